"""Run the SMSC emulator from the command line.

Usage::

    python -m smsc_async.emulator --port 8080 [--host 127.0.0.1] [--login demo]
        [--password demo-password] [--apikey demo-apikey] [--balance 1000.00]
        [--price 2.50] [--no-rules] [--rule-period SECONDS] [--delay SECONDS]
        [--callback-url URL] [--callback-secret SECRET] [--drop-rate SHARE]
        [--drop-after-share SHARE] [--error-rate SHARE] [--delay-range SHORTEST LONGEST]
        [--seed N] [--stats-on-exit]

It prints the base URL (e.g. ``http://127.0.0.1:8080``) alone on the first line of
standard output, then serves until Ctrl-C or SIGTERM. ``--port 0`` picks a free port.
``--rule-period`` shortens SMSC's one-minute error-9 windows, for demonstrations that go through
several windows in seconds.
With ``--callback-url`` it posts delivery statuses, incoming messages and call confirmations
to that URL as SMSC would, signed with ``--callback-secret`` when given.

``--drop-rate``, ``--error-rate`` and ``--delay-range`` inject random faults into every
script (see :meth:`~smsc_async.emulator.Faults.randomly`), reproducibly with ``--seed``.
With ``--stats-on-exit`` it prints one JSON line of counters on standard output when it
stops (and, on POSIX, at each SIGUSR1 while it serves), for a benchmark driving it from
another process::

    {"requests": 200512, "errors": {"demo": {"9": 0}}, "error_9": {"demo": 0},
     "max_in_flight": {"demo": 14}, "injected": {"drop": 10021, ...},
     "sends_accepted": {"demo": 50000}, "messages": {"demo": 50000},
     "duplicates": {"demo": 0}}

``duplicates`` counts stored messages whose (id, recipient) pair was already stored: a send
that went through twice. The command line keeps no log of requests (it cannot be read from
outside), so memory grows only with the messages stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from ._app import Emulator
from ._rules import WINDOW_SECONDS
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


def _period(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds > 0: {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"not a share between 0 and 1: {text!r}")
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
    parser.add_argument(
        "--port", type=int, default=8080, help="port (8080); 0 picks a free one and prints it"
    )
    parser.add_argument("--login", default=defaults.login, help=f"({defaults.login})")
    parser.add_argument("--password", default=defaults.password, help=f"({defaults.password})")
    parser.add_argument(
        "--apikey", default=defaults.apikey, help=f"({defaults.apikey}; empty turns keys off)"
    )
    parser.add_argument("--balance", type=_decimal, default=defaults.balance)
    parser.add_argument("--currency", default=defaults.currency)
    parser.add_argument("--price", type=_decimal, default=defaults.price_per_part)
    parser.add_argument(
        "--no-rules", action="store_true", help="do not enforce SMSC's limits (error 9)"
    )
    parser.add_argument(
        "--rule-period",
        type=_period,
        default=WINDOW_SECONDS,
        metavar="SECONDS",
        help=f"length of the error-9 limit windows (default {WINDOW_SECONDS:g}, SMSC's "
        "minute); shorter ones go through several windows in seconds",
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
    faults = parser.add_argument_group("random faults (every script)")
    faults.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        help="share of requests whose connection is closed without an answer (default 0)",
    )
    faults.add_argument(
        "--drop-after-share",
        type=_share,
        default=0.5,
        help="share of the drops made after the request took effect, e.g. a send stored "
        "(default 0.5)",
    )
    faults.add_argument(
        "--error-rate",
        type=_share,
        default=0.0,
        help="share of requests answered with an HTML 500/502/503 page (default 0)",
    )
    faults.add_argument(
        "--delay-range",
        type=_seconds,
        nargs=2,
        metavar=("SHORTEST", "LONGEST"),
        default=None,
        help="hold every answer a random time in this range of seconds, added to --delay",
    )
    faults.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed the random faults and the call-confirmation codes (reproducible runs)",
    )
    parser.add_argument(
        "--stats-on-exit",
        action="store_true",
        help="print one JSON line of counters on standard output when stopped "
        "(and at each SIGUSR1)",
    )
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0 to 65535, got {args.port}")
    if args.drop_rate + args.error_rate > 1:
        parser.error("--drop-rate plus --error-rate must be at most 1")
    if args.delay_range is not None and args.delay_range[0] > args.delay_range[1]:
        parser.error("--delay-range: SHORTEST must not exceed LONGEST")


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
        record_requests=False,
        seed=args.seed or 0,
        callback_url=args.callback_url,
        callback_secret=args.callback_secret or None,
        rule_period=args.rule_period,
    )
    if args.delay:
        emulator.faults.delay(args.delay)
    emulator.faults.randomly(
        drop=args.drop_rate,
        after_processing=args.drop_after_share,
        http_error=args.error_rate,
        delay=None if args.delay_range is None else (args.delay_range[0], args.delay_range[1]),
        seed=args.seed,
    )
    return emulator


def _stats(emulator: Emulator) -> dict[str, object]:
    """Return the counters ``--stats-on-exit`` prints (JSON-ready)."""
    logins = [account.login for account in emulator.accounts]
    duplicates: dict[str, int] = {}
    stored: dict[str, int] = {}
    for login in logins:
        messages = emulator.messages(login)
        stored[login] = len(messages)
        pairs = Counter((str(message.id), message.phone) for message in messages)
        duplicates[login] = sum(count - 1 for count in pairs.values())
    errors = {
        login: {str(code): count for code, count in sorted(codes.items())}
        for login, codes in emulator.errors_answered.items()
    }
    return {
        "requests": emulator.request_count,
        "errors": errors,
        "error_9": {login: emulator.errors_answered.get(login, {}).get(9, 0) for login in logins},
        "max_in_flight": dict(emulator.max_in_flight),
        "injected": dict(sorted(emulator.faults.injected.items())),
        "sends_accepted": {login: emulator.sends_accepted(login) for login in logins},
        "messages": stored,
        "duplicates": duplicates,
    }


async def _serve(args: argparse.Namespace) -> None:
    emulator = _emulator(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    snapshot = getattr(signal, "SIGUSR1", None)  # POSIX only
    if args.stats_on_exit and snapshot is not None:
        loop.add_signal_handler(snapshot, _print_stats, emulator)
    async with emulator.serve(args.host, args.port) as base_url:
        print(base_url, flush=True)
        print(_greeting(emulator), file=sys.stderr, flush=True)
        await stop.wait()
    if args.stats_on_exit:
        _print_stats(emulator)


def _greeting(emulator: Emulator) -> str:
    """Return the line printed on standard error once serving: the account, odd settings."""
    account = emulator.accounts[0]
    # The emulator's own test credentials (set by --login/--password/--apikey), not a secret:
    # a client needs them to talk to it.
    line = f"SMSC emulator: accepts login {account.login!r} with password {account.password!r}"
    if account.apikey:
        line += f", or API key {account.apikey!r}"
    if emulator.rules and emulator.rule_period != WINDOW_SECONDS:
        line += f"; error-9 windows of {emulator.rule_period:g} s, not SMSC's {WINDOW_SECONDS:g}"
    return line + "; Ctrl-C stops it"


def _print_stats(emulator: Emulator) -> None:
    print(json.dumps(_stats(emulator)), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until interrupted; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
