"""Sending commands: ``send`` and ``cost``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import IO

import click
import msgspec
from rich.text import Text

from .._client import SMSCClient
from .._status_texts import status_text
from ..bulk import BulkSendItem
from ..errors import (
    AuthenticationError,
    RecipientRejectedError,
    SendOutcomeUnknownError,
    SMSCError,
)
from ..estimate import estimate_message
from ..models import PhoneDetail
from ..params import SendOptions, new_message_id
from ._exits import EXIT_OK, auth_hint, exit_code_for, most_serious, one_line, status_hint
from ._runtime import Settings, pass_settings, read_pairs

__all__ = ["Outcome", "cost", "send"]

_SEPARATORS = re.compile(r"[,;]")
# What Ctrl-C during a send of several messages may leave behind; the library's warnings, one
# line each on standard error, name the message ids of the requests that were in flight.
_BULK_INTERRUPTED = "some messages may have reached SMSC; check `smsc history` before sending again"


class Outcome(msgspec.Struct, kw_only=True):
    """What became of one message of a send (an item of ``smsc --json send``).

    Attributes:
        phone: The number as given.
        id: The message id; with the phone it names the message for ``smsc status``.
        parts: SMS parts (known for a send to one number).
        cost: The price, when SMSC gave it.
        reconciled: The answer was lost and the send was confirmed through status.php.
        error: Why the message was not sent (or may not have been), or ``None``.
    """

    phone: str
    id: int | str
    parts: int | None = None
    cost: Decimal | None = None
    reconciled: bool = False
    error: BaseException | None = None


def _phones(args: Sequence[str]) -> list[str]:
    return [p.strip() for arg in args for p in _SEPARATORS.split(arg) if p.strip()]


def _send_options(
    sender: str | None, translit: bool, tinyurl: bool, when: str | None, valid: int | None
) -> SendOptions:
    options: SendOptions = {}
    if sender is not None:
        options["sender"] = sender
    if translit:
        options["translit"] = True
    if tinyurl:
        options["tinyurl"] = True
    if when is not None:
        options["time"] = when
    if valid is not None:
        options["valid"] = valid
    return options


def _result_text(outcome: Outcome) -> Text:
    error = outcome.error
    if error is None:
        return Text("sent (confirmed by status)" if outcome.reconciled else "sent", "green")
    if isinstance(error, RecipientRejectedError):
        return Text(f"refused: {status_text(error.status, error.error)}", "red")
    if isinstance(error, SendOutcomeUnknownError):
        hint = status_hint(outcome.id, outcome.phone)
        return Text(f"may or may not have been accepted; {hint}", "yellow")
    return Text(one_line(str(error)) or type(error).__name__, "red")  # advice: in the error line


def _show_outcomes(settings: Settings, outcomes: Sequence[Outcome]) -> int:
    """Write the outcome of every message; return the exit code (the most serious error)."""
    out = settings.output
    if settings.json:
        out.document(outcomes)
    else:
        rows = [(o.phone, o.id, o.parts, o.cost, _result_text(o)) for o in outcomes]
        out.table(("phone", "id", "parts", "cost", "result"), rows, empty="nothing was sent")
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return EXIT_OK
    if len(outcomes) == 1 and failed[0].error is not None:
        out.error(out.describe(failed[0].error))  # e.g. SMSC's error, or the status to check
        return exit_code_for(failed[0].error)
    message = f"{len(failed)} of {len(outcomes)} messages were not sent"
    if any(isinstance(o.error, AuthenticationError) for o in failed):
        message += "; " + auth_hint(out.credentials)
    unknown = [o for o in failed if isinstance(o.error, SendOutcomeUnknownError)]
    if unknown:
        checks = " ".join(f"{o.id}:{o.phone}" for o in unknown[:3])
        more = " ..." if len(unknown) > 3 else ""
        message += (
            f"; {len(unknown)} may or may not have been accepted: check them with "
            f"`smsc status {checks}{more}` before sending again"
        )
    out.error(message)
    return most_serious(exit_code_for(o.error) for o in failed if o.error is not None)


def _bulk_outcome(item: BulkSendItem) -> Outcome:
    return Outcome(phone=item.phone, id=item.id, cost=item.cost, error=item.error)


@click.command()
@click.argument("phones", nargs=-1, metavar="[PHONE]...")
@click.option("-t", "--text", metavar="TEXT", help="The message to send to every PHONE.")
@click.option(
    "--csv",
    "csv_file",
    type=click.File("rb"),
    metavar="FILE",
    help="Personalised messages: rows of phone,text (a header row is optional; - reads "
    "standard input).",
)
@click.option("--sender", metavar="NAME", help="Sender name, as registered in SMSC.")
@click.option("--translit", is_flag=True, help="Transliterate Cyrillic into Latin letters.")
@click.option("--tinyurl", is_flag=True, help="Replace links by short links (clicks are counted).")
@click.option(
    "--time",
    "when",
    metavar="TIME",
    help="Send later, in SMSC's form: 'DD.MM.YY hh:mm' or '+MINUTES' from now.",
)
@click.option("--valid", type=click.IntRange(1, 24), metavar="HOURS", help="Lifetime (1-24 h).")
@click.option(
    "--id",
    "message_id",
    metavar="ID",
    help="Your own message id (one PHONE only); by default a random one.",
)
@pass_settings
def send(
    settings: Settings,
    phones: tuple[str, ...],
    text: str | None,
    csv_file: IO[bytes] | None,
    sender: str | None,
    translit: bool,
    tinyurl: bool,
    when: str | None,
    valid: int | None,
    message_id: str | None,
) -> int:
    """Send an SMS to one or more numbers, or personalised texts from a CSV file.

    PHONE... with --text sends one text to every number; --csv FILE sends each row's text to
    its number. Every message is shown with its id, parts and cost. Numbers SMSC refused are
    shown with their error, and the exit code is then not 0. A send is never repeated: if its
    answer is lost and SMSC does not confirm it, the exit code is 4 and the message id is
    shown.

    \b
    Examples:
      smsc send +79991234567 --text "Your code: 4242"
      smsc send +79991234567 +79997654321 --text "Sale!" --sender Shop
      smsc send --csv orders.csv
    """  # noqa: D301
    options = _send_options(sender, translit, tinyurl, when, valid)
    numbers = _phones(phones)
    if csv_file is not None:
        if phones or text is not None:
            raise click.UsageError("give PHONE... with --text, or --csv FILE, not both")
    elif not numbers:
        raise click.UsageError("give at least one PHONE (or --csv FILE)")
    elif text is None:
        raise click.UsageError("give the message with --text")
    if message_id is not None and (csv_file is not None or len(numbers) > 1):
        raise click.UsageError("--id works with one PHONE only")

    if csv_file is not None:
        pairs = read_pairs(csv_file, header="phone", names="phone,text")

        async def personalised(smsc: SMSCClient) -> int:
            settings.interrupt_hint = _BULK_INTERRUPTED
            items = await smsc.bulk.send(pairs, **options)
            return _show_outcomes(settings, [_bulk_outcome(item) for item in items])

        return settings.run(personalised)
    assert text is not None  # checked above
    if len(numbers) > 1:

        async def many(smsc: SMSCClient) -> int:
            settings.interrupt_hint = _BULK_INTERRUPTED
            items = await smsc.bulk.send_text(numbers, text, **options)
            return _show_outcomes(settings, [_bulk_outcome(item) for item in items])

        return settings.run(many)

    phone = numbers[0]
    chosen = message_id or new_message_id()
    single: SendOptions = {**options, "id": chosen, "with_cost": True}

    async def one(smsc: SMSCClient) -> int:
        try:
            result = await smsc.send_sms(phone, text, **single)
        except asyncio.CancelledError as exc:
            if getattr(exc, "__notes__", None):  # the library's mark: the request had left
                settings.interrupt_hint = (
                    f"the send with message id {chosen} may have reached SMSC; "
                    + status_hint(chosen, phone)
                )
            raise
        except SMSCError as exc:  # shown like a refused message of a send to several numbers
            outcome = Outcome(phone=phone, id=chosen, error=exc)
        else:
            outcome = Outcome(
                phone=phone,
                id=result.id,
                parts=result.cnt if not result.reconciled else None,
                cost=result.cost,
                reconciled=result.reconciled,
            )
        return _show_outcomes(settings, [outcome])

    return settings.run(one)


def _detail_text(detail: PhoneDetail) -> Text:
    if detail.status is not None or detail.error:
        return Text(f"would be refused: {status_text(detail.status, detail.error)}", "red")
    return Text("")


@click.command()
@click.argument("phones", nargs=-1, metavar="[PHONE]...")
@click.option("-t", "--text", required=True, metavar="TEXT", help="The message to price.")
@click.option("--sender", metavar="NAME", help="Sender name, as registered in SMSC.")
@click.option("--translit", is_flag=True, help="Transliterate Cyrillic into Latin letters.")
@click.option(
    "--offline",
    is_flag=True,
    help="Only count the SMS parts of --text, here: no PHONE, no credentials, no network.",
)
@pass_settings
def cost(
    settings: Settings,
    phones: tuple[str, ...],
    text: str,
    sender: str | None,
    translit: bool,
    offline: bool,
) -> int:
    """Show what a message would cost, without sending it.

    The price of sending --text to every PHONE, per number and in all. With --offline, only
    how the text travels: its encoding, characters, SMS parts and what is left in the last
    part, counted here without asking SMSC.

    \b
    Examples:
      smsc cost +79991234567 +79997654321 --text "Sale!"
      smsc cost --offline --text "Ваш код: 4242"
    """  # noqa: D301
    if offline:
        return _show_estimate(settings, text, translit=translit)
    numbers = _phones(phones)
    if not numbers:
        raise click.UsageError("give at least one PHONE (or --offline to count parts only)")
    options = _send_options(sender, translit, False, None, None)
    options["op"] = True

    async def price(smsc: SMSCClient) -> None:
        result = await smsc.get_cost(numbers, text, **options)
        out = settings.output
        if settings.json:
            out.document(result)
            return
        rows = [(d.phone, d.cost, _detail_text(d)) for d in result.phones or ()]
        if rows:
            out.table(("phone", "cost", "note"), rows, empty="")
        out.line(f"total {result.cost} for {result.cnt} SMS part(s)")

    return settings.run(price)


def _show_estimate(settings: Settings, text: str, *, translit: bool) -> int:
    """Write the offline part count of ``text`` (``smsc cost --offline``)."""
    try:
        estimate = estimate_message(text, translit=1 if translit else 0)
    except ValueError as exc:  # not reachable from click's str input; kept for safety
        raise click.UsageError(str(exc)) from None
    out = settings.output
    if settings.json:
        out.document(estimate)
        return EXIT_OK
    out.line(f"encoding:   {estimate.encoding}")
    out.line(f"characters: {estimate.characters}")
    out.line(f"units:      {estimate.units}")
    out.line(f"parts:      {estimate.parts} (up to {estimate.per_part} units each)")
    out.line(f"left:       {estimate.left} in the last part")
    return EXIT_OK
