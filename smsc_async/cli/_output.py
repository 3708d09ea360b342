"""How the command writes: rich tables and lines for people, one JSON document with ``--json``.

Standard output carries the result (a table, lines, or the JSON document); standard error
carries notes (the sandbox banner, progress) and the one ``error: ...`` line of a failure, so
that ``--json`` output stays parseable whatever happens.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import click
import msgspec
from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from ._exits import describe, exit_code_for, one_line

__all__ = ["Output", "error_info", "json_record", "local_time", "name_of", "to_json"]

_PIPE_WIDTH: Final = 1000
# Attributes of the library's errors worth keeping in a JSON error object.
_ERROR_ATTRIBUTES: Final = (
    "code",
    "message_id",
    "phone",
    "phones",
    "status",
    "error",
    "task_id",
    "retry_after",
)


def error_info(exc: BaseException, *, credentials: str | None = None) -> dict[str, object]:
    """Describe an error as a JSON object: type, one-line message, exit code, its details."""
    info: dict[str, object] = {
        "type": type(exc).__name__,
        "message": describe(exc, credentials=credentials),
        "exit_code": exit_code_for(exc),
    }
    for name in _ERROR_ATTRIBUTES:
        value = getattr(exc, name, None)
        if isinstance(value, int | str | float):
            info[name] = value
    return info


def to_json(value: object, *, credentials: str | None = None) -> str:
    """Encode a value (Structs, lists, dicts, errors) as indented JSON; Decimals as strings.

    Aware datetimes become ISO 8601 with their offset (``Z`` for UTC).
    """

    def enc_hook(value: object) -> object:
        if isinstance(value, BaseException):
            return error_info(value, credentials=credentials)
        raise NotImplementedError(f"cannot encode {type(value).__name__} as JSON")

    return msgspec.json.format(msgspec.json.encode(value, enc_hook=enc_hook), indent=2).decode()


def local_time(value: datetime | None) -> str:
    """Show an aware time in the local zone, with the zone's name (``""`` when unknown).

    E.g. ``2026-12-06 21:51:25 UTC``, or ``... MSK`` in Moscow: SMSC writes its dates in
    Moscow time without saying so, and a reader must not have to guess.
    """
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def json_record(
    value: Any, *, times: Mapping[str, tuple[str, datetime | None]], **extra: object
) -> dict[str, Any]:
    """Turn a result into a JSON object whose times are ISO 8601 with their offset.

    SMSC writes dates as ``DD.MM.YYYY hh:mm:ss`` in Moscow time, unlabelled; a JSON reader would
    take them for local or UTC time. Each raw field named in ``times`` is replaced, in place, by
    the library's aware time (e.g. ``last_date`` by ``last_time``: ``2026-12-06T21:51:25Z``).

    Args:
        value: A msgspec Struct.
        times: ``{raw field: (new field, aware datetime or None)}``.
        **extra: Fields added at the end (e.g. a status in words).
    """
    record: dict[str, Any] = {}
    for name, field in msgspec.to_builtins(value).items():
        if name in times:
            new_name, when = times[name]
            record[new_name] = when
        else:
            record[name] = field
    record.update(extra)
    return record


def name_of(member: enum.Enum | None) -> str:
    """Show an enum member as words: ``MessageState.CANNOT_DELIVER`` -> ``cannot deliver``."""
    return "" if member is None else member.name.lower().replace("_", " ")


def _cell(value: object) -> Text:
    # Text objects keep user data (names, message texts) from being read as rich markup.
    if value is None:
        return Text("")
    if isinstance(value, Text):
        return value
    if isinstance(value, datetime):
        return Text(local_time(value))
    if isinstance(value, enum.Enum):
        return Text(name_of(value))
    return Text(str(value))


class Output:
    """Where and how one run of the command writes.

    Args:
        json_mode: Write results as one JSON document instead of tables and lines.
    """

    def __init__(self, *, json_mode: bool) -> None:
        self.json = json_mode
        self.credentials: str | None = None
        """The variables the account came from, e.g. ``SMSC_APIKEY``: what error 2 says to check
        (with the server); ``None`` for the sandbox."""
        self._console: Console | None = None
        self._err_console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich console of standard output (made on first use, so tests can swap it)."""
        if self._console is None:
            console = Console(highlight=False, markup=False, emoji=False)
            if not console.is_terminal:  # a file or a pipe: rows stay whole for grep and cut
                console = Console(highlight=False, markup=False, emoji=False, width=_PIPE_WIDTH)
            self._console = console
        return self._console

    @property
    def err_console(self) -> Console:
        """The rich console of standard error (progress bars)."""
        if self._err_console is None:
            self._err_console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        return self._err_console

    def document(self, value: object) -> None:
        """Write the JSON document of the result on standard output."""
        click.echo(to_json(value, credentials=self.credentials))

    def table(
        self,
        columns: Sequence[str | Column],
        rows: Iterable[Sequence[object]],
        *,
        empty: str,
    ) -> None:
        """Write a table on standard output, or the line ``empty`` when there are no rows."""
        table = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        if not table.row_count:
            self.line(empty)
            return
        self.console.print(table)

    def line(self, text: str | Text) -> None:
        """Write one line on standard output (never wrapped)."""
        self.console.print(Text(text) if isinstance(text, str) else text, soft_wrap=True)

    def note(self, text: str) -> None:
        """Write a note on standard error (in JSON mode too: it never mixes with the result)."""
        click.echo(text, err=True)

    def error(self, text: str) -> None:
        """Write the one ``error: ...`` line on standard error."""
        click.echo(f"error: {one_line(text)}", err=True)

    def describe(self, exc: BaseException) -> str:
        """Return an error as one line, with what to check for a refused login (error 2)."""
        return describe(exc, credentials=self.credentials)

    def failure(self, exc: BaseException, *, hint: str | None = None) -> int:
        """Report an error that ended the command; return its exit code.

        One line on standard error; with ``--json`` also ``{"error": {...}}`` on standard
        output, so a script reading the document learns what happened (e.g. the message id of
        a send whose outcome is unknown).

        Args:
            exc: The error.
            hint: What to do about it, added to the line (and to the JSON ``message``).
        """
        info = error_info(exc, credentials=self.credentials)
        if hint:
            info["message"] = f"{info['message']}; {hint}"
        self.error(str(info["message"]))
        if self.json:
            self.document({"error": info})
        return exit_code_for(exc)
