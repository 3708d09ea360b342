"""One login, four OS processes: SMSC's limits on a shared RedisGate, then on per-process gates.

Run with ``nox -s load`` (or ``python tests/bench/bench_redis_load.py [--calls N] [--processes
4] [--tasks 32] [--runs redis,local]``). For each run a fresh emulator starts in its own process
with SMSC's rules on and 2-second windows (``--rule-period 2``, ``--stats-on-exit``; every
answer held 1 ms so that requests overlap), and four worker processes of one login share the
calls, each with its own :class:`~smsc_async.SMSCClient` (``rule_period=2``):

- ``redis``: every client on a :class:`~smsc_async.redis.RedisGate` of one redis-server (started
  here, on a free 127.0.0.1 port);
- ``local``: every client on its process's :class:`~smsc_async.LocalGate`, the old behaviour: each
  process keeps the limits for itself only.

The mix, 20,000 calls in all: sends of distinct messages, the status of each message sent (asked
once, about 100 sends later), and in each process a chain of 15 balance requests (SMSC allows
10 a window per login) and one of 8 identical cost requests (5 a window), one after another
(identical reads in flight at once would be joined into one). Workers wait until every process is
ready, then start together.

Reported: error-9 answers and the most requests in flight as the emulator counts them, calls
completed per process, each process's elapsed time and longest single call (no process starved),
failures by class. Exit status 1 when the RedisGate run shows any error 9 or more than 14 requests
in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# The repository root, for the redis-server starter the tests use too (run as a script, only
# this folder is on the path).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import machine
from tests.redis_server import redis_server

LOGIN, PASSWORD = "demo", "demo-password"
PERIOD = 2.0  # the emulator's and the clients' rule windows, seconds
MARGIN = 0.2  # added to every window by the gates
POLL = 0.5  # RedisGate: seconds between a waiter's own checks
BALANCES = 15  # per process: 4 x 15 = 60 at 10 a window
COSTS = 8  # per process: 4 x 8 = 32 at 5 a window
STATUS_LAG = 100  # a status asks about the message this process sent this many sends earlier
# Every answer held 1 ms: the emulator's handlers would otherwise never overlap, and the
# in-flight count would prove nothing.
LATENCY = ("--delay", "0.001")
RUNS = ("redis", "local")


# -- the machine, and the servers in their own processes ---------------------------------------


class EmulatorProcess:
    """The emulator in its own process, rules on, 2-second windows; counters as JSON at exit."""

    def __init__(self) -> None:
        argv = [sys.executable, "-m", "smsc_async.emulator", "--port", "0", "--stats-on-exit"]
        argv += ["--balance", "1000000000", "--rule-period", str(PERIOD), *LATENCY]
        self._proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("the emulator did not start")

    def stop(self) -> dict[str, Any]:
        """Stop the emulator; return its last counters ({} if it printed none)."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
        out, _ = self._proc.communicate(timeout=60)
        lines = out.strip().splitlines()
        return dict(json.loads(lines[-1])) if lines else {}


# -- one worker process --------------------------------------------------------------------------


def message(index: int, number: int) -> tuple[str, str]:
    """Return the (id, phone) of send ``number`` of process ``index``: distinct everywhere."""
    return f"p{index}-{number}", f"+7{9_000_000_000 + index * 10_000_000 + number}"


async def worker_main(args: argparse.Namespace) -> dict[str, Any]:
    from smsc_async import Gate, LocalGate, SMSCClient, SMSCError
    from smsc_async.redis import RedisGate

    index, calls = args.index, args.share
    done: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    took: list[float] = []
    longest = (0.0, "")
    gate: Gate = (
        LocalGate(margin=MARGIN)
        if args.gate == "local"
        else RedisGate.from_url(
            args.redis_url, prefix=args.prefix, margin=MARGIN, poll_interval=POLL
        )
    )
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(gate, RedisGate):
            stack.push_async_callback(gate.aclose)
        smsc = await stack.enter_async_context(
            SMSCClient(
                LOGIN,
                PASSWORD,
                base_url=args.base_url,
                gate=gate,
                rule_period=PERIOD,
                reconcile_delay=0.05,
            )
        )

        async def call(kind: str, number: int) -> None:
            nonlocal longest
            started = loop.time()
            try:
                if kind == "send":
                    message_id, phone = message(index, number)
                    await smsc.send_sms(phone, f"process {index} message {number}", id=message_id)
                elif kind == "status":
                    await smsc.get_status(*message(index, number))
                elif kind == "balance":
                    await smsc.get_balance()
                else:
                    await smsc.get_cost("+79990000000", "the same cost request")
                done[kind] += 1
            except SMSCError as exc:
                failures[type(exc).__name__] += 1
            except Exception as exc:  # counted apart: every failure should be an SMSCError
                failures[f"untyped {type(exc).__name__}"] += 1
            seconds = loop.time() - started
            took.append(seconds)
            if seconds > longest[0]:
                longest = (seconds, kind)

        # Sends and statuses alternate; a status asks about the send made STATUS_LAG earlier.
        rest = calls - BALANCES - COSTS
        work = iter(
            # The first statuses ask about messages never sent (distinct ones): "not found".
            ("send", k // 2) if k % 2 == 0 else ("status", k // 2 - STATUS_LAG)
            for k in range(rest)
        )

        async def pull() -> None:
            for kind, number in work:
                await call(kind, number)

        async def chain(kind: str, count: int) -> None:
            for number in range(count):
                await call(kind, number)

        print("ready", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)  # "go": every process is ready
        started = loop.time()
        mix_done = 0.0

        async def mix() -> None:
            nonlocal mix_done
            await asyncio.gather(*(pull() for _ in range(args.tasks)))
            mix_done = loop.time() - started

        await asyncio.gather(mix(), chain("balance", BALANCES), chain("cost", COSTS))
        elapsed = loop.time() - started
    return {
        "index": index,
        "done": dict(done),
        "failures": dict(failures),
        "elapsed": elapsed,
        "mix_done": mix_done,
        "longest": longest[0],
        "longest_kind": longest[1],
        "median": statistics.median(took) if took else 0.0,
    }


# -- one run: the emulator, four processes -------------------------------------------------------


def run(gate: str, calls: int, processes: int, tasks: int, redis_url: str) -> dict[str, Any]:
    emulator = EmulatorProcess()
    workers: list[subprocess.Popen[str]] = []
    try:
        prefix = f"bench-load-{os.getpid()}-{gate}:"
        for index in range(processes):
            share = calls // processes + (index < calls % processes)
            command = [sys.executable, __file__, "--worker", "--index", str(index)]
            command += ["--share", str(share), "--gate", gate, "--tasks", str(tasks)]
            command += ["--base-url", emulator.base_url, "--redis-url", redis_url]
            command += ["--prefix", prefix]
            workers.append(
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        for proc in workers:  # every process has imported and opened its client
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a worker did not start")
        started = time.monotonic()
        for proc in workers:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.close()
        results = []
        for proc in workers:
            assert proc.stdout is not None
            out = proc.stdout.read()  # its result, at its end (a worker gives up after 600 s)
            if proc.wait() != 0:
                raise RuntimeError(f"a worker failed (exit status {proc.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall = time.monotonic() - started
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stats = emulator.stop()
    return {"gate": gate, "wall": wall, "processes": results, "emulator": stats}


def failures_of(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items())) or "none"


def checks(result: dict[str, Any]) -> list[str]:
    """Return what the run broke of SMSC's limits (empty when nothing)."""
    emu = result["emulator"]
    if not emu:
        return ["the emulator printed no counters"]
    broken = []
    error_9 = emu["error_9"].get(LOGIN, 0)
    if error_9:
        broken.append(f"{error_9} error-9 answers")
    most = emu["max_in_flight"].get(LOGIN, 0)
    if most > 14:
        broken.append(f"{most} requests in flight")
    return broken


def report(results: list[dict[str, Any]], calls: int, processes: int, tasks: int) -> None:
    names = {"redis": "RedisGate, shared", "local": "LocalGate, one per process"}
    print(
        f"\n# {processes} processes of one login: {calls:,} calls, rules on, {PERIOD:g} s windows"
        f"\n{machine()}\n{tasks} tasks per process pull sends and statuses; each process chains"
        f" {BALANCES} balance (10 a window) and {COSTS} identical cost requests (5 a window);"
        f" gate margin {MARGIN:g} s, RedisGate poll_interval {POLL:g} s; emulator answers held"
        " 1 ms, in its own process.\n"
    )
    print(
        "| gate | calls completed | error 9 (emulator) | max in flight (emulator) | wall s"
        " | elapsed per process s | longest call per process s | failures by class |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        emu, procs = r["emulator"], r["processes"]
        completed = sum(sum(p["done"].values()) for p in procs)
        failures: Counter[str] = Counter()
        for p in procs:
            failures.update(p["failures"])
        elapsed = " / ".join(f"{p['elapsed']:.1f}" for p in procs)
        longest = " / ".join(f"{p['longest']:.1f}" for p in procs)
        print(
            f"| {names[r['gate']]} | {completed:,} / {calls:,}"
            f" | {emu['error_9'].get(LOGIN, 0):,} | {emu['max_in_flight'].get(LOGIN, 0)}"
            f" | {r['wall']:.1f} | {elapsed} | {longest}"
            f" | {failures_of(dict(failures))} |"
        )
    print(
        "\n| gate | process | send | status | balance | cost | sends + statuses done s"
        " | elapsed s | longest call s | median call ms | failures by class |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        for p in r["processes"]:
            done = p["done"]
            print(
                f"| {names[r['gate']]} | {p['index']} | {done.get('send', 0):,}"
                f" | {done.get('status', 0):,} | {done.get('balance', 0)} | {done.get('cost', 0)}"
                f" | {p['mix_done']:.1f} | {p['elapsed']:.1f}"
                f" | {p['longest']:.2f} ({p['longest_kind']})"
                f" | {p['median'] * 1000:.1f} | {failures_of(p['failures'])} |"
            )
    print()
    for r in results:
        emu = r["emulator"]
        broken = checks(r)
        print(
            f"{names[r['gate']]}: emulator received {emu.get('requests', 0):,} requests,"
            f" stored {emu.get('messages', {}).get(LOGIN, 0):,} messages"
            f" ({emu.get('duplicates', {}).get(LOGIN, 0)} twice), errors by code"
            f" {emu.get('errors', {}).get(LOGIN, {})}; limits: "
            + ("kept" if not broken else "BROKEN: " + "; ".join(broken))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls in all, per run")
    parser.add_argument("--processes", type=int, default=4, help="worker processes")
    parser.add_argument("--tasks", type=int, default=32, help="concurrent tasks per process")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, from {RUNS}")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--share", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--gate", default="redis", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = asyncio.run(asyncio.wait_for(worker_main(args), 600))
        print(json.dumps(result), flush=True)
        return 0
    runs = [name.strip() for name in args.runs.split(",") if name.strip()]
    if not runs or set(runs) - set(RUNS):
        parser.error(f"--runs: choose from {RUNS}")
    if args.calls < args.processes * (BALANCES + COSTS + 2):
        parser.error(f"--calls must be at least {args.processes * (BALANCES + COSTS + 2)}")
    results = []
    with redis_server() as redis_url:
        for gate in runs:
            print(f"  run {gate}: {args.calls:,} calls", file=sys.stderr, flush=True)
            results.append(run(gate, args.calls, args.processes, args.tasks, redis_url))
    report(results, args.calls, args.processes, args.tasks)
    return 1 if any(r["gate"] == "redis" and checks(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
