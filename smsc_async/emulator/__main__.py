"""Run the SMSC emulator from the command line.

Usage::

    python -m smsc_async.emulator --port 8080 [--host 127.0.0.1] [--login demo]
        [--password demo-password] [--apikey demo-apikey] [--balance 1000.00]
        [--price 2.50] [--no-rules] [--delay SECONDS] [--callback-url URL]
        [--callback-secret SECRET]

It prints the base URL (e.g. ``http://127.0.0.1:8080``) alone on the first line of
standard output, then serves until Ctrl-C or SIGTERM. ``--port 0`` picks a free port.
With ``--callback-url`` it posts delivery statuses, incoming messages and call confirmations
to that URL as SMSC would, signed with ``--callback-secret`` when given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from ._app import Emulator
from ._types import Account

__all__ = ["main"]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return value


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    defaults = Account()
    parser = argparse.ArgumentParser(
        prog="python -m smsc_async.emulator",
        description="Serve a stateful SMSC HTTP API emulator (send, status, balance).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument("--login", default=defaults.login)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--apikey", default=defaults.apikey)
    parser.add_argument("--balance", type=_decimal, default=defaults.balance)
    parser.add_argument("--currency", default=defaults.currency)
    parser.add_argument("--price", type=_decimal, default=defaults.price_per_part)
    parser.add_argument(
        "--no-rules", action="store_true", help="do not enforce SMSC's limits (error 9)"
    )
    parser.add_argument(
        "--delay",
        type=_seconds,
        default=0.0,
        help="answer every request after this many seconds (default 0)",
    )
    parser.add_argument(
        "--callback-url",
        type=_url,
        default=None,
        help="post SMSC's notifications (statuses, incoming, call confirmations) to this URL",
    )
    parser.add_argument(
        "--callback-secret",
        default=None,
        help="the secret that signs the notifications (md5); unsigned without it",
    )
    return parser


def _emulator(args: argparse.Namespace) -> Emulator:
    account = Account(
        login=args.login,
        password=args.password,
        apikey=args.apikey or None,
        balance=args.balance,
        currency=args.currency,
        price_per_part=args.price,
    )
    emulator = Emulator(
        [account],
        rules=not args.no_rules,
        callback_url=args.callback_url,
        callback_secret=args.callback_secret or None,
    )
    if args.delay:
        emulator.faults.delay(args.delay)
    return emulator


async def _serve(args: argparse.Namespace) -> None:
    emulator = _emulator(args)
    account = emulator.accounts[0]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    async with emulator.serve(args.host, args.port) as base_url:
        print(base_url, flush=True)
        print(
            f"SMSC emulator: login {account.login!r} with the password and API key given by "
            "--password/--apikey (defaults: see --help); Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until interrupted; return the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
