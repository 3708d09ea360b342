"""What every command shares: the global options, the client (real or sandbox), the runner."""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from .._client import SMSCClient
from ..errors import SMSCError
from ._exits import EXIT_OK, EXIT_USAGE
from ._output import Output

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
        except ValueError as exc:
            # Only variable names are in these messages, never their values.
            detail = str(exc) if "SMSC_" in str(exc) else f"SMSC_BASE_URL: {exc}"
            raise NoCredentials(f"{detail} (or use --sandbox)") from None
        async with client:
            yield client


pass_settings = click.make_pass_decorator(Settings)
"""Decorator handing a command the :class:`Settings` of the run."""


def seconds_option(*names: str, help: str, **attrs: Any) -> Callable[[F], F]:
    """Declare an option taking a positive number of seconds."""
    option: Callable[[F], F] = click.option(
        *names, type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help=help, **attrs
    )
    return option


def read_pairs(stream: IO[str], *, header: str, names: str) -> list[tuple[str, str]]:
    """Read two-column CSV rows, skipping blank rows and an optional header row.

    Args:
        stream: The open file (``-`` is standard input).
        header: The first column's name in a header row, e.g. ``"phone"``.
        names: What the two columns are, for error messages, e.g. ``"phone,text"``.

    Returns:
        The rows as ``(first, second)``, the first column stripped.

    Raises:
        click.UsageError: a row without exactly two fields, or no rows at all.
    """
    name = getattr(stream, "name", "the CSV file")
    reader = csv.reader(stream)
    pairs: list[tuple[str, str]] = []
    first = True
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if first and row[0].strip().lower() == header:
            first = False
            continue
        first = False
        if len(row) != 2:
            raise click.UsageError(
                f"{name} line {reader.line_num}: expected {names} (2 fields), got {len(row)}; "
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
