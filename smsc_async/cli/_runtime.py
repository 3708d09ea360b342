"""What every command shares: the global options, the client (real or sandbox), the runner."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from .._client import SMSCClient
from .._env import ENV_APIKEY, ENV_BASE_URL, ENV_LOGIN, ENV_PASSWORD
from ..errors import SMSCError
from ._exits import EXIT_OK, EXIT_USAGE
from ._output import Output
from ._sandbox import SANDBOX_INTERVAL

__all__ = [
    "Command",
    "HelpGroup",
    "Interrupted",
    "NoCredentials",
    "Settings",
    "pass_settings",
    "read_pairs",
    "seconds_option",
    "take",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

Command = Callable[[SMSCClient], Awaitable[int | None]]
"""The body of a command: given an open client, do the work; return an exit code or None."""


class HelpGroup(click.Group):
    """A command group that shows its help, as a usage error, when given no command.

    Click's own way differs between versions (help on standard output and exit 0 before 8.2);
    this keeps one behaviour: the help on standard error and exit code 2.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Show the help and exit 2 when no command is given; otherwise parse as usual."""
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), err=True, color=ctx.color)
            ctx.exit(EXIT_USAGE)
        return super().parse_args(ctx, args)


class NoCredentials(click.ClickException):
    """The environment names no usable account: a usage error (exit code 2)."""

    exit_code = EXIT_USAGE


class Interrupted(Exception):
    """Ctrl-C stopped the command.

    Attributes:
        hint: What to check after the interruption (e.g. a send that may have reached SMSC).
    """

    def __init__(self, hint: str | None) -> None:
        self.hint = hint
        super().__init__("interrupted")


@dataclass(slots=True)
class Settings:
    """The global options of one run, shared by every command through the click context.

    Attributes:
        output: Where and how to write.
        sandbox: Run against the built-in emulator instead of the account in the environment.
        timeout: Seconds allowed for one request to SMSC.
        interrupt_hint: Set by a command while a send is in flight: what to tell the user if
            Ctrl-C stops it.
    """

    output: Output
    sandbox: bool
    timeout: float
    interrupt_hint: str | None = None

    @property
    def json(self) -> bool:
        """Whether the result is written as one JSON document."""
        return self.output.json

    def poll_interval(self, given: float | None, default: float) -> float:
        """Return the seconds between two polls: as given, else the sandbox's or ``default``."""
        if given is not None:
            return given
        return SANDBOX_INTERVAL if self.sandbox else default

    def run(self, command: Command) -> int:
        """Run a command body on a fresh event loop with an open client; return the exit code.

        An error of the library, of an argument check or of a local file is reported as one
        line (see :meth:`Output.failure`) and becomes the exit code.

        Raises:
            Interrupted: on Ctrl-C.
            NoCredentials: no usable credentials in the environment.
        """
        try:
            code = asyncio.run(self._main(command))
        except KeyboardInterrupt:
            raise Interrupted(self.interrupt_hint) from None
        except BrokenPipeError:
            raise  # the reader went away (e.g. `| head`): click ends quietly
        except (SMSCError, ValueError, TypeError, OSError) as exc:
            return self.output.failure(exc)
        return EXIT_OK if code is None else code

    async def _main(self, command: Command) -> int | None:
        async with self._client() as smsc:
            return await command(smsc)

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[SMSCClient]:
        if self.sandbox:
            from ._sandbox import sandbox  # the emulator is loaded only when asked for

            async with sandbox(self.output, request_timeout=self.timeout) as smsc:
                yield smsc
            return
        try:
            client = SMSCClient.from_env(timeout=self.timeout)
        except ValueError as exc:  # it names the variable to fix, never a value
            raise NoCredentials(f"{exc} (or use --sandbox)") from None
        self.output.credentials = _credentials_read(client)
        async with client:
            yield client


def _credentials_read(client: SMSCClient) -> str:
    """Name the variables the account came from and the server: what error 2 says to check."""
    names = ENV_APIKEY if os.environ.get(ENV_APIKEY) else f"{ENV_LOGIN} and {ENV_PASSWORD}"
    server = client.base_urls[0]
    if os.environ.get(ENV_BASE_URL):
        return f"{names} (server {server}, from {ENV_BASE_URL})"
    return f"{names} (server {server}; {ENV_BASE_URL} picks another)"


pass_settings = click.make_pass_decorator(Settings)
"""Decorator handing a command the :class:`Settings` of the run."""


def seconds_option(*names: str, help: str, **attrs: Any) -> Callable[[F], F]:
    """Declare an option taking a positive number of seconds."""
    option: Callable[[F], F] = click.option(
        *names, type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help=help, **attrs
    )
    return option


def _text_lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """Decode a file line by line as UTF-8 (a byte order mark first is dropped).

    Raises:
        click.UsageError: a line that is not UTF-8, named by its number.
    """
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode()
        except UnicodeDecodeError:
            raise click.UsageError(
                f"{name} is not UTF-8 text (line {number}); save it as CSV UTF-8"
            ) from None
        yield line.removeprefix("\ufeff") if number == 1 else line


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "end of data" in text:  # strict mode at the end of the file inside a quoted field
        return 'a quoted field has no closing quote (a field opened with " must end with ")'
    if "field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return text


def read_pairs(stream: IO[bytes], *, header: str, names: str) -> list[tuple[str, str]]:
    """Read two-column CSV rows (UTF-8), skipping blank rows and an optional header row.

    Args:
        stream: The file, opened in binary (``-`` is standard input).
        header: The first column's name in a header row, e.g. ``"phone"``.
        names: What the two columns are, for error messages, e.g. ``"phone,text"``.

    Returns:
        The rows as ``(first, second)``, the first column stripped.

    Raises:
        click.UsageError: text that is not UTF-8, CSV that cannot be read (e.g. a quote that is
            never closed, a field too long), a row without exactly two fields, or no rows at
            all; the message names the file and the line.
    """
    name = getattr(stream, "name", None)
    if not isinstance(name, str) or name in ("-", "<stdin>"):
        name = "standard input"
    reader = csv.reader(_text_lines(stream, name), strict=True)
    pairs: list[tuple[str, str]] = []
    first = True
    line = 1  # where the row being read starts
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise click.UsageError(f"{name} line {line}: {_csv_problem(exc)}") from None
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if first and row[0].strip().lower() == header:
            first = False
            continue
        first = False
        if len(row) != 2:
            raise click.UsageError(
                f"{name} line {row_line}: expected {names} (2 fields), got {len(row)}; "
                'quote a field that holds a comma ("like, this")'
            )
        pairs.append((row[0].strip(), row[1].strip()))
    if not pairs:
        raise click.UsageError(f"{name} has no {names} rows")
    return pairs


async def take(items: AsyncIterator[T], limit: int) -> list[T]:
    """Collect at most ``limit`` items of an async iterator, then close it."""
    got: list[T] = []
    try:
        async for item in items:
            got.append(item)
            if len(got) >= limit:
                break
    finally:
        close = getattr(items, "aclose", None)
        if close is not None:
            await close()
    return got
