"""Per-request cost of the client against raw aiohttp+msgspec, on the same emulator.

Run with ``nox -s bench`` (or ``python tests/bench/bench_requests.py``). The emulator runs in
its own process with its rules off, so both sides see the same server. Every request asks the
status of a different message, so the client's per-message rule never waits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import msgspec

from smsc_async import SMSCClient

LOGIN, PASSWORD = "demo", "demo-password"


class RawStatus(msgspec.Struct):
    status: int
    err: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsc_async.emulator", "--port", str(port), "--no-rules"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


Runner = Callable[[int], Awaitable[None]]


async def run_batch(call: Runner, n: int, concurrency: int) -> float:
    """Run ``n`` calls with ``concurrency`` workers; return seconds per request."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - start) / n


async def measure(base_url: str, n: int, rounds: int) -> list[tuple[str, float, float]]:
    decoder = msgspec.json.Decoder(RawStatus)
    url = f"{base_url}/sys/status.php"
    rows: list[tuple[str, float, float]] = []
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url, max_retries=0) as smsc,
    ):
        offset = 0

        async def raw(i: int) -> None:
            form = {
                "login": LOGIN,
                "psw": PASSWORD,
                "id": str(offset + i),
                "phone": f"+7999{offset + i:07d}",
                "fmt": "3",
                "charset": "utf-8",
            }
            async with session.post(url, data=form) as resp:
                decoder.decode(await resp.read())

        async def client(i: int) -> None:
            await smsc.get_status(offset + i, f"+7999{offset + i:07d}")

        for label, concurrency in (("sequential", 1), ("14 in flight", 14)):
            raw_times: list[float] = []
            client_times: list[float] = []
            await run_batch(raw, 200, concurrency)  # warm up connections and caches
            await run_batch(client, 200, concurrency)
            for _ in range(rounds):
                offset += n
                raw_times.append(await run_batch(raw, n, concurrency))
                offset += n
                client_times.append(await run_batch(client, n, concurrency))
            rows.append((label, statistics.median(raw_times), statistics.median(client_times)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with emulator_process() as base_url:
        rows = asyncio.run(measure(base_url, args.n, args.rounds))
    print(
        f"\nstatus.php against the emulator: {args.n} requests x {args.rounds} rounds (median)"
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print(f"| {'mode':<14} | {'raw aiohttp+msgspec':>20} | {'SMSCClient':>12} | {'overhead':>8} |")
    print(f"|{'-' * 16}|{'-' * 22}|{'-' * 14}|{'-' * 10}|")
    worst = 0.0
    for label, raw_s, client_s in rows:
        overhead = (client_s / raw_s - 1) * 100
        worst = max(worst, overhead)
        print(
            f"| {label:<14} | {raw_s * 1e6:>17.0f} us | {client_s * 1e6:>9.0f} us |"
            f" {overhead:>+7.1f}% |"
        )
    verdict = "met" if worst <= 10 else "MISSED"
    print(f"\ntarget: client at most 10% over raw -> {verdict} (worst {worst:+.1f}%)")


if __name__ == "__main__":
    main()
