"""Saturation, limiter memory and import time, each against its target, in one table.

Run with ``nox -s bench`` (or ``python tests/bench/bench_limits.py``; ``--only`` picks parts).

- Saturation: the emulator runs in its own process and answers every request after a fixed
  50 ms (rules off). N status requests for distinct messages are started at once through one
  client with the default 14 in flight; the ideal wall time is N x 50 ms / 14. Target: within
  10% of it. The best round is judged (a shared machine only ever adds time) and the median
  shown; rounds of raw aiohttp with a semaphore of 14 show what the machine and the emulator
  add by themselves.
- Limiter memory: 1,000,000 admissions with distinct keys (status of distinct messages) pass
  the in-process gate on a loop whose clock the benchmark sets (virtual time), spread evenly
  over some virtual minutes so that keys expire. Each spread runs in a fresh process, so its
  peak RSS is its own. Target: the gate keeps only live keys (checked every 1000 admissions:
  stored equals the keys admitted within the last window; one more window later, exactly the
  keys admitted since) and peak RSS grows by less than 50 MiB. The first spread is the fastest
  pace one login can keep at the saturation latency (14 in flight / 50 ms = 280 requests/s);
  the second, six times faster, only a server on loopback allows.
- Import time: the median wall time of fresh interpreters running ``import aiohttp`` and
  ``import smsc_async``, interleaved, both from cached bytecode. Target: at most 1.3x.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from smsc_async import LocalGate, SMSCClient, WaitPolicy
from smsc_async._limits import MAX_IN_FLIGHT, RULES, charges_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, emulator_process, report, rotated, spread

LOGIN, PASSWORD = "demo", "demo-password"
LATENCY = 0.05  # the emulator's fixed answer time, seconds
MIB = 1024 * 1024
PARTS = ("saturation", "memory", "imports")


@dataclass(frozen=True)
class Row:
    target: str
    measured: str
    met: bool
    ratio: float | None = None
    goal: str = ""


# --- saturation ----------------------------------------------------------------------------


async def saturate(base_url: str, n: int, rounds: int) -> tuple[list[float], list[float]]:
    """Return the wall times of rounds of ``n`` requests started at once: client, raw aiohttp.

    The raw rounds (aiohttp and a semaphore of 14, nothing else) show what this machine and
    the emulator's answer path add to the ideal by themselves.
    """
    client_times: list[float] = []
    raw_times: list[float] = []
    url = f"{base_url}/sys/status.php"
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url, max_retries=0) as smsc,
    ):
        offset = 1

        async def raw(i: int) -> None:
            form = {"login": LOGIN, "psw": PASSWORD, "id": str(i), "phone": f"+7999{i:07d}"}
            form |= {"fmt": "3", "charset": "utf-8"}
            async with in_flight, session.post(url, data=form) as resp:
                await resp.read()

        async def client(i: int) -> None:
            await smsc.get_status(i, f"+7999{i:07d}")

        async def round_of(call: Callable[[int], Awaitable[None]], count: int) -> float:
            nonlocal offset
            first, offset = offset, offset + count
            start = time.perf_counter()
            await asyncio.gather(*(call(i) for i in range(first, first + count)))
            return time.perf_counter() - start

        for call in (client, raw):  # warm up: connections, caches
            await round_of(call, MAX_IN_FLIGHT * 20)
        times = {client: client_times, raw: raw_times}
        for round_no in range(rounds):
            for call in rotated([client, raw], round_no):
                times[call].append(await round_of(call, n))
    return client_times, raw_times


def saturation_row(n: int, rounds: int) -> Row:
    with emulator_process("--no-rules", "--delay", str(LATENCY)) as base_url:
        times, raw_times = asyncio.run(saturate(base_url, n, rounds))
    ideal = n * LATENCY / MAX_IN_FLIGHT
    best, median, raw = min(times), statistics.median(times), min(raw_times)
    return Row(
        f"saturation: {n} requests at {LATENCY * 1000:.0f} ms, {MAX_IN_FLIGHT} in flight,"
        f" within 10% of ideal {ideal:.2f} s",
        f"{spread(times, '{:.2f}')} s; best {best:.2f} s ({best / ideal - 1:+.1%}), median"
        f" {median:.2f} s ({median / ideal - 1:+.1%}) of {rounds} rounds in rotating order;"
        f" raw aiohttp + semaphore {spread(raw_times, '{:.2f}')} s, best {raw:.2f} s"
        f" ({raw / ideal - 1:+.1%})",
        best / ideal - 1 <= 0.10,
        best / ideal,
        "best round <= 1.10 x ideal",
    )


# --- limiter memory ------------------------------------------------------------------------


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock only moves when ``now`` is set (the gate reads loop time)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def time(self) -> float:
        return self.now


def peak_rss() -> int:
    """Return the peak resident memory of this process, in bytes.

    VmHWM where /proc has it: ru_maxrss starts at the parent's peak (kept across exec).
    """
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


async def admit_keys(keys: int, seconds: float) -> dict[str, float]:
    """Pass ``keys`` distinct status admissions over ``seconds`` of virtual time."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualClockLoop)
    gate, policy, account = LocalGate(), WaitPolicy(), "bench|memory"
    (rule,) = RULES["status"]
    window = rule.period + gate.margin

    def at(i: int) -> float:
        return i * seconds / keys

    async def admit(i: int) -> None:
        fields = {"id": str(i), "phone": f"+7{i:010d}"}
        async with gate.admit(account, charges_for("status", fields), policy):
            pass  # completes at the instant it starts: its key expires at start + window

    baseline = peak_rss()
    started = time.perf_counter()
    expired = 0  # admissions [0, expired) have expired
    most_stored = most_ratio = 0.0
    for i in range(keys):
        loop.now = at(i)
        await admit(i)
        if i % 1000 == 999:
            # The gate's own sum, so both agree on the instant a key expires.
            while at(expired) + rule.period + gate.margin <= loop.now:
                expired += 1
            stored = gate.stats(account).live_keys
            most_stored = max(most_stored, stored)
            most_ratio = max(most_ratio, stored / (i + 1 - expired))
    elapsed = time.perf_counter() - started
    while at(expired) + rule.period + gate.margin <= loop.now:
        expired += 1
    stored_end, live_end = gate.stats(account).live_keys, keys - expired
    # Past one more window every key above has expired; the next sweep (at most 256
    # admissions away once a minute has passed) must leave exactly the keys admitted since.
    start = loop.now + window + 1.0
    tail = 256
    for i in range(keys, keys + tail):
        loop.now = start + (i - keys) * 0.001
        await admit(i)
    return {
        "keys": keys,
        "seconds": seconds,
        "elapsed": elapsed,
        "stored_end": stored_end,
        "live_end": live_end,
        "most_stored": most_stored,
        "most_ratio": most_ratio,
        "stored_after": gate.stats(account).live_keys,
        "live_after": tail,
        "rss_growth": peak_rss() - baseline,
    }


def memory_child(keys: int, minutes: float) -> None:
    loop = VirtualClockLoop()
    try:
        result = loop.run_until_complete(admit_keys(keys, minutes * 60))
    finally:
        loop.close()
    print(json.dumps(result))


def memory_row(keys: int, minutes: float) -> Row:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(keys), str(minutes)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    r = json.loads(out)
    growth = r["rss_growth"] / MIB
    exact = r["stored_after"] == r["live_after"]
    bounded = r["stored_end"] == r["live_end"] and r["most_ratio"] <= 1.001
    return Row(
        f"limiter memory: {keys:,} keys over {minutes:g} virtual min"
        f" ({keys / minutes / 60:,.0f}/s), only live keys kept, RSS growth < 50 MiB",
        f"end: {r['stored_end']:,.0f} stored / {r['live_end']:,.0f} live"
        f" (peak {r['most_stored']:,.0f}, at most {r['most_ratio']:.2f}x live);"
        f" a window later {r['stored_after']:,.0f} / {r['live_after']:,.0f};"
        f" RSS +{growth:.1f} MiB; {r['elapsed']:.1f} s",
        exact and bounded and growth < 50,
        None,
        "stored = live; < 50 MiB",
    )


# --- import time ---------------------------------------------------------------------------


def import_row(runs: int) -> Row:
    def wall(module: str, cwd: str, env: dict[str, str]) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], cwd=cwd, env=env, check=True)
        return time.perf_counter() - start

    plain: list[float] = []
    ours: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory() as cwd:
        # Both imports from cached bytecode, as after a pip install: the cache goes to a
        # directory of its own, and PYTHONDONTWRITEBYTECODE (which would leave one package
        # compiling from source on every start and the other not) is left out. An empty
        # working directory: the package comes from the environment, as for a user.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cwd
        for module in ("smsc_async", "aiohttp"):
            wall(module, cwd, env)  # warm up: write the bytecode, fill the file cache
        series = {"aiohttp": plain, "smsc_async": ours, "sys": bare}
        for run in range(runs):
            for module in rotated(list(series), run):
                series[module].append(wall(module, cwd, env))
    a, s = statistics.median(plain), statistics.median(ours)
    per_run = [o / p for o, p in zip(ours, plain, strict=True)]
    return Row(
        "import time: `import smsc_async` at most 1.3x `import aiohttp`",
        f"{spread([x * 1000 for x in ours])} ms vs {spread([x * 1000 for x in plain])} ms"
        f" (medians {s / a:.2f}x; per run {spread(per_run, '{:.2f}')}x; interpreter alone"
        f" {statistics.median(bare) * 1000:.0f} ms), {runs} interpreters each, rotating order",
        s / a <= 1.3,
        s / a,
        "<= 1.30",
    )


# --- the table -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("-n", type=int, default=4200, help="saturation requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="saturation rounds")
    parser.add_argument("--keys", type=int, default=1_000_000, help="limiter admissions")
    parser.add_argument(
        "--minutes",
        type=float,
        nargs="+",
        default=None,
        help="virtual minutes to spread the admissions over, one run each (default: the"
        " pace of 14 in flight at 50 ms, then 10 minutes)",
    )
    parser.add_argument("--imports", type=int, default=15, help="interpreters per import")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(int(args.memory_child[0]), float(args.memory_child[1]))
        return
    parts = args.only or PARTS
    rows: list[Row] = []
    if "saturation" in parts:
        rows.append(saturation_row(args.n, args.rounds))
    if "memory" in parts:
        pace = args.keys * LATENCY / MAX_IN_FLIGHT / 60  # minutes at 280 requests/s
        for minutes in args.minutes or (math.ceil(pace * 10) / 10, 10.0):
            rows.append(memory_row(args.keys, minutes))
    if "imports" in parts:
        rows.append(import_row(args.imports))
    print(
        "\nlimits: saturation, limiter memory, import time"
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| target | measured | verdict |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row.target} | {row.measured} | {'met' if row.met else 'MISSED'} |")
    report(
        "limits",
        [
            Target(row.target, row.measured, row.ratio, row.goal or "see the target", row.met)
            for row in rows
        ],
    )


if __name__ == "__main__":
    main()
