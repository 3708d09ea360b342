"""The ``smsc`` group: global options, the exit codes, and one-line errors.

Every failure ends as one ``error: ...`` line on standard error and an exit code from
:mod:`._exits`, click's own usage errors included; nothing prints a traceback for an error the
library or the user can cause.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, NoReturn, overload

import click

from .. import __version__
from ._account import balance, contacts, history, senders
from ._emulator import emulator
from ._exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, one_line
from ._exports import exports
from ._messages import cost, send
from ._output import Output
from ._runtime import HelpGroup, Interrupted, Settings, seconds_option
from ._sandbox import SANDBOX_HELP
from ._status import status

__all__ = ["cli", "run"]

# A paragraph starting with "\b" (a backspace) is printed as written, not rewrapped, by click.
EPILOG = f"""\b
Exit codes:
  0    done
  1    SMSC refused: an API error, a refused number, a limit, a cancelled or
       failed export (or a local file could not be written)
  2    usage: a bad option or argument, or no credentials
  3    network or server: no connection, a timeout, an HTTP error, an answer
       that cannot be read, or the shared limits gate (Redis) not answering
  4    outcome unknown: a send may or may not have been accepted; it was not
       repeated (check it with `smsc status` before sending again)
  5    gave up waiting (status --wait, exports wait)
  130  interrupted (Ctrl-C)
When messages fail differently, the most serious code wins (4, then 3, then 1).

\b
Environment:
  SMSC_LOGIN and SMSC_PASSWORD, or SMSC_APIKEY   the account (no option
                                                 takes a password)
  SMSC_BASE_URL   the server, default https://smsc.ru (e.g. smscentre.com,
                  or an emulator: see `smsc emulator`)
  SMSC_REDIS_URL  share SMSC's limits with every process and host using
                  this Redis, e.g. redis://127.0.0.1:6379/0 (redis extra)

{SANDBOX_HELP}"""


class _Cli(HelpGroup):
    """The top group: runs the command and turns every error into one line and an exit code."""

    @overload
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: Literal[True] = True,
        **extra: Any,
    ) -> NoReturn: ...

    @overload
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = ...,
        **extra: Any,
    ) -> Any: ...

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; return the exit code (or exit with it when standalone)."""
        _library_warnings_to_stderr()

        def invoke() -> object:
            return super(_Cli, self).main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            )

        code = _guarded(invoke)
        if standalone_mode:
            sys.exit(code)
        return code


class _WarningLines(logging.Handler):
    """Write each of the library's warnings as one ``warning: ...`` line on standard error.

    Only the message is written, never a traceback: a warning such as a send cancelled after it
    may have reached SMSC names the message id to check, and that must not be lost.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record's message as one line."""
        try:
            text = one_line(record.getMessage())
        except Exception:  # a bad format string in a record must not stop the command
            self.handleError(record)
            return
        click.echo(f"warning: {text}", err=True)


def _library_warnings_to_stderr() -> None:
    """Show the library's warnings as one line each, unless logging was set up.

    Without a handler anywhere, Python would print them through its last-resort handler;
    this keeps the ``word: message`` form of the command's other lines instead.
    """
    library = logging.getLogger("smsc_async")
    if not logging.getLogger().handlers and not library.handlers:
        library.addHandler(_WarningLines())


def _error(text: str) -> None:
    click.echo(f"error: {one_line(text)}", err=True)


def _guarded(invoke: Callable[[], object]) -> int:
    """Call click and map what escapes it to one error line and an exit code."""
    try:
        result = invoke()
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _error(exc.format_message() + hint)
        return EXIT_USAGE
    except click.ClickException as exc:  # e.g. a file that cannot be opened
        _error(exc.format_message())
        return exc.exit_code
    except (click.Abort, Interrupted) as exc:
        check = exc.hint if isinstance(exc, Interrupted) else None
        _error("interrupted" + (f"; {check}" if check else ""))
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # click's own exit on a closed standard output
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return result if isinstance(result, int) else EXIT_OK


@click.group(
    "smsc",
    cls=_Cli,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--json",
    "json_mode",
    is_flag=True,
    help="Write the result as one JSON document on standard output.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against a built-in SMSC emulator with sample data (see below); nothing is sent.",
)
@seconds_option(
    "--timeout", default=30.0, show_default=True, help="Time limit of one request to SMSC."
)
@click.version_option(__version__, "-V", "--version", prog_name="smsc")
@click.pass_context
def cli(ctx: click.Context, json_mode: bool, sandbox: bool, timeout: float) -> None:
    """Send SMS and manage an SMSC account (smsc.ru, smscentre.com, smsc.kz, smsc.ua).

    Credentials come from the environment only (see below). Results are tables for people;
    --json writes one JSON document instead (money as strings). Errors are one line on
    standard error, and the exit code says what kind of error it was.
    """
    ctx.obj = Settings(Output(json_mode=json_mode), sandbox=sandbox, timeout=timeout)


for _command in (send, cost, status, balance, history, contacts, senders, exports, emulator):
    cli.add_command(_command)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the ``smsc`` command line with ``argv`` (default ``sys.argv[1:]``); return its code."""
    code: int = cli.main(args=argv, standalone_mode=False)
    return code
