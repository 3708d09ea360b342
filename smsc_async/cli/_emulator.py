"""``smsc emulator``: run ``python -m smsc_async.emulator`` and say how to point ``smsc`` at it."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO, cast

import click

__all__ = ["emulator"]


class _FirstLineWatcher:
    """Standard output that calls ``then(line)`` once the first line has been written.

    The emulator prints its base URL alone on the first line (port 0 picks a free port, so the
    URL is known only then); everything is passed through unchanged.
    """

    def __init__(self, stream: TextIO, then: Callable[[str], None]) -> None:
        self._stream = stream
        self._then: Callable[[str], None] | None = then
        self._first = ""

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if self._then is not None:
            self._first += text
            if "\n" in self._first:
                then, self._then = self._then, None
                self._stream.flush()
                then(self._first.split("\n", 1)[0].strip())
        return written

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _env_lines(login: str, password: str) -> Callable[[str], None]:
    def show(base_url: str) -> None:
        # SMSC_APIKEY is blanked: an empty variable counts as unset, and a key would clash.
        values = {
            "SMSC_BASE_URL": base_url,
            "SMSC_LOGIN": login,
            "SMSC_PASSWORD": password,
            "SMSC_APIKEY": "",
        }
        lines = [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
        click.echo("Point the smsc command at it (in another shell):", err=True)
        click.echo("\n".join(f"  {line}" for line in lines), err=True)

    return show


@click.command(
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> int:
    """Run the SMSC emulator on this machine (its options: smsc emulator --help).

    The options are those of python -m smsc_async.emulator. It serves until Ctrl-C, prints its
    base URL on the first line of standard output, and on standard error the environment that
    points smsc at it.

    \b
    Example:
      smsc emulator --port 8080
    """  # noqa: D301
    from ..emulator.__main__ import _check, _parser, main

    parser = _parser()
    parser.prog = "smsc emulator"

    def fail(message: str) -> NoReturn:
        raise click.UsageError(message)

    parser.error = fail  # type: ignore[method-assign]  # one "error:" line, exit code 2
    try:
        options = parser.parse_args(list(args))
    except SystemExit as exc:  # --help was shown
        return exc.code if isinstance(exc.code, int) else 0
    _check(parser, options)
    watcher = _FirstLineWatcher(sys.stdout, _env_lines(options.login, options.password))
    sys.stdout = cast(TextIO, watcher)
    try:
        return main(list(args))
    except OSError as exc:  # e.g. the port is taken
        raise click.ClickException(f"cannot serve the emulator: {exc}") from None
    finally:
        sys.stdout = watcher._stream
