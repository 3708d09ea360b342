"""The ``status`` command: delivery statuses, once or until every message has settled."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import IO, Any

import click
from rich.text import Text

from .._client import SMSCClient
from .._status_texts import error_meaning
from ..bulk import DEFAULT_POLL_INTERVAL
from ..errors import StatusWaitTimeoutError
from ..history import SentMessage
from ..models import MessageState, MessageStatus
from ._exits import EXIT_GAVE_UP, EXIT_OK
from ._output import json_record, local_time, name_of
from ._runtime import Settings, pass_settings, read_pairs, seconds_option
from ._sandbox import SANDBOX_INTERVAL
from ._waiting import WaitLine

__all__ = ["in_given_order", "state_words", "status", "status_json"]

_GOOD = frozenset({MessageState.DELIVERED, MessageState.READ, MessageState.LINK_CLICKED})
_PENDING = frozenset({MessageState.QUEUED, MessageState.SENT})


def _status_pairs(args: Sequence[str], csv_file: IO[bytes] | None) -> list[tuple[str, str]]:
    if csv_file is not None:
        if args:
            raise click.UsageError("give ID PHONE, ID:PHONE..., or --csv FILE, not both")
        return read_pairs(csv_file, header="id", names="id,phone")
    if not args:
        raise click.UsageError("give ID PHONE, ID:PHONE... or --csv FILE")
    if len(args) == 2 and not any(":" in arg for arg in args):
        return [(args[0].strip(), args[1].strip())]
    pairs = []
    for arg in args:
        message_id, colon, phone = arg.partition(":")
        if not colon or not message_id.strip() or not phone.strip():
            raise click.UsageError(
                f"{arg!r} is not ID:PHONE; give ID PHONE for one message, or ID:PHONE for each"
            )
        pairs.append((message_id.strip(), phone.strip()))
    return pairs


def _style(state: MessageState) -> str:
    if state in _GOOD:
        return "green"
    return "" if state in _PENDING else "red"


def state_words(state: MessageState, err: int) -> str:
    """Show a status with its error in words: ``cannot deliver (error 1: subscriber ...)``."""
    if not err:
        return name_of(state)
    meaning = error_meaning(err)
    return f"{name_of(state)} (error {err}" + (f": {meaning})" if meaning else ")")


class _StatusLines:
    """Human status lines, aligned on the widths of the ids and numbers asked for."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.id_width = max(len(str(i)) for i, _ in pairs)
        self.phone_width = max(len(p) for _, p in pairs)

    def __call__(self, status: MessageStatus) -> Text:
        state = state_words(status.status, status.err)
        line = Text(f"{status.id!s:<{self.id_width}}  {status.phone!s:<{self.phone_width}}  ")
        line.append(state, _style(status.status))
        if when := local_time(status.last_time):
            line.append(f"  {when}")
        return line


def status_json(status: MessageStatus | SentMessage) -> dict[str, Any]:
    """A status (or a sent message of the history) as JSON.

    Its times are ISO 8601 with their offset (``last_time``, ``send_time``) instead of SMSC's
    unlabelled Moscow ``last_date``/``send_date``; ``state`` and ``error_meaning`` say the
    codes in words (SMSC's own ``status_name`` is Russian).
    """
    times = {
        "last_date": ("last_time", status.last_time),
        "send_date": ("send_time", status.send_time),
    }
    return json_record(
        status,
        times=times,
        state=name_of(status.status).replace(" ", "_"),
        error_meaning=error_meaning(status.err) if status.err else None,
        settled=status.status.is_settled,
    )


@click.command()
@click.argument("messages", nargs=-1, metavar="ID PHONE | ID:PHONE...")
@click.option(
    "--csv",
    "csv_file",
    type=click.File("rb"),
    metavar="FILE",
    help="Messages as rows of id,phone (a header row is optional; - reads standard input).",
)
@click.option("--wait", is_flag=True, help="Wait until every message is delivered or failed.")
@seconds_option(
    "--wait-timeout", help="With --wait: give up after this long (exit code 5). Default: none."
)
@seconds_option(
    "--interval",
    help=f"With --wait: seconds between two checks of a message (default "
    f"{DEFAULT_POLL_INTERVAL:g}, {SANDBOX_INTERVAL:g} with --sandbox; SMSC allows 5 a minute).",
)
@pass_settings
def status(
    settings: Settings,
    messages: tuple[str, ...],
    csv_file: IO[bytes] | None,
    wait: bool,
    wait_timeout: float | None,
    interval: float | None,
) -> int:
    """Show the delivery status of messages (by message id and phone number).

    Each status is shown with its error in words, e.g. "cannot deliver (error 1: subscriber
    does not exist)", and the time of its last change in the local time zone. With --wait each
    message is shown once it is delivered or has failed; meanwhile, on a terminal, a line on
    standard error says how many are still pending and when the next check is.

    \b
    Examples:
      smsc status 1001 +79990000001
      smsc status 1001:+79990000001 1001:+79990000003 --wait
      smsc status --csv sent.csv --wait --wait-timeout 600
    """  # noqa: D301
    pairs = _status_pairs(messages, csv_file)
    if not wait and (wait_timeout is not None or interval is not None):
        raise click.UsageError("--wait-timeout and --interval go with --wait")
    every = settings.poll_interval(interval, DEFAULT_POLL_INTERVAL)
    show = _StatusLines(pairs)
    out = settings.output

    async def check(smsc: SMSCClient) -> int:
        seen: list[MessageStatus] = []
        if not wait:
            seen = [one async for one in smsc.bulk.iter_statuses(pairs)]
            _write_statuses(settings, seen, pairs, show, arrived=False)
            return EXIT_OK
        # On a terminal a line on standard error says what the wait is at; never in a log.
        terminal = not settings.json and out.err_console.is_terminal
        progress = WaitLine(out.err_console, len(pairs)) if terminal else None

        def settled(one: MessageStatus) -> None:
            seen.append(one)
            if not settings.json:
                if progress is not None:
                    progress.clear()
                out.line(show(one))  # each one as soon as it has settled

        try:
            async with progress.shown() if progress is not None else contextlib.nullcontext():
                statuses = smsc.bulk.iter_settled(
                    pairs,
                    interval=every,
                    timeout=wait_timeout,
                    on_poll=None if progress is None else progress.update,
                )
                async with contextlib.aclosing(statuses):
                    async for one in statuses:
                        settled(one)
        except StatusWaitTimeoutError as exc:
            seen.extend(exc.pending)
            if not settings.json:
                for pending in exc.pending:
                    out.line(show(pending))
            _write_statuses(settings, seen, pairs, show, arrived=True)
            out.error(
                f"{len(exc.pending)} of {len(pairs)} messages had not settled after "
                f"{exc.timeout:g} s"
            )
            return EXIT_GAVE_UP
        _write_statuses(settings, seen, pairs, show, arrived=True)
        return EXIT_OK

    return settings.run(check)


def _write_statuses(
    settings: Settings,
    seen: list[MessageStatus],
    pairs: Sequence[tuple[str, str]],
    show: _StatusLines,
    *,
    arrived: bool,
) -> None:
    """Write the statuses: JSON in the order they arrived, lines in the order asked."""
    if settings.json:
        settings.output.document([status_json(s) for s in seen])
        return
    if arrived:
        return  # already written one by one
    for one in in_given_order(seen, pairs):
        settings.output.line(show(one))


def in_given_order(
    statuses: Sequence[MessageStatus], pairs: Sequence[tuple[str, str]]
) -> list[MessageStatus]:
    """Sort statuses (which arrive in any order) into the order the messages were given."""
    order = {pair: index for index, pair in reversed(list(enumerate(pairs)))}
    return sorted(statuses, key=lambda s: order.get((str(s.id), str(s.phone)), len(order)))
