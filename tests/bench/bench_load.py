"""Load and fault runs: 100,000 calls against the emulator with SMSC's rules on.

Run with ``nox -s load`` (or ``python tests/bench/bench_load.py [--requests N] [--runs
one,several,one-faults,several-faults] [--workers 64] [--seed 1]``). Every run starts a
fresh emulator in its own process (rules on, ``--stats-on-exit``) and a fresh Python process
for the clients, so memory figures start clean:

- ``one``: one :class:`~smsc_async.SMSCClient`;
- ``several``: four clients of the same login, two in each of two threads with their own
  event loops (the limits gate is process-wide);
- ``one-faults``, ``several-faults``: the same under random faults injected by the emulator:
  10% dropped connections (half of them after the request took effect), 5% HTML 500/502/503
  pages, every answer held 0-20 ms. Without faults every answer is held 1 ms.

The mix: sends of distinct messages (distinct phone and text: an identical send within a
minute is error 9), statuses of the messages sent, and a few rule-limited reads (balance,
10 a minute; one identical cost request, 5 a minute) that the gate must hold back. A bounded
number of worker tasks pulls the calls. Checks (exit status 1 when one fails): no error-9
answer, at most 14 requests in flight at the emulator, no message stored twice, every
exception an ``SMSCError``, every read completed, and every send's outcome as reported
matching what the emulator stored (after a fault run, status.php is asked about every send
not reported plainly sent, and the plain ones are matched by count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from smsc_async import (
    LocalGate,
    MessageState,
    SendOutcomeUnknownError,
    SMSCClient,
    SMSCError,
)

LOGIN, PASSWORD = "demo", "demo-password"
HELD = 5.0  # a call slower than this was held back by a per-minute rule
WORKERS = 64  # concurrent worker tasks per run (spread over the loops), by default
MARKS = (10, 50, 90, 99, 100)  # RSS is sampled when this percentage of the calls is done
FAULTS = ("--drop-rate", "0.10", "--error-rate", "0.05", "--delay-range", "0", "0.02")
# Without faults every answer still takes 1 ms, so that requests overlap at the emulator (its
# handlers would otherwise run one at a time and the in-flight count would prove nothing).
LATENCY = ("--delay", "0.001")
BALANCE_CALLS = 12
COST_CALLS = 7
STATUS_LAG = 100  # a status asks about the message sent this many sends earlier


@dataclass(frozen=True)
class Scenario:
    name: str
    threads: int
    clients_per_thread: int
    faults: bool


SCENARIOS = {
    "one": Scenario("one client", 1, 1, faults=False),
    "several": Scenario("4 clients, 2 loops", 2, 2, faults=False),
    "one-faults": Scenario("one client + faults", 1, 1, faults=True),
    "several-faults": Scenario("4 clients, 2 loops + faults", 2, 2, faults=True),
}


# -- the emulator in its own process ------------------------------------------------------------


class EmulatorProcess:
    """The emulator in its own process; its counters come as JSON lines on its stdout."""

    def __init__(self, faults: bool, seed: int) -> None:
        argv = [sys.executable, "-m", "smsc_async.emulator", "--port", "0", "--stats-on-exit"]
        argv += ["--balance", "1000000000"]
        argv += [*FAULTS, "--seed", str(seed)] if faults else LATENCY
        self._proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._proc.stdout is not None
        self._out = self._proc.stdout
        self.base_url = self._out.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("the emulator did not start")

    def snapshot(self) -> dict[str, Any]:
        """Return the counters now (the emulator prints them at SIGUSR1)."""
        self._proc.send_signal(signal.SIGUSR1)
        return dict(json.loads(self._out.readline()))

    def stop(self) -> dict[str, Any]:
        """Stop the emulator; return its last counters ({} if it printed none)."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
        out, _ = self._proc.communicate(timeout=60)
        lines = out.strip().splitlines()
        return dict(json.loads(lines[-1])) if lines else {}


# -- what one run records -----------------------------------------------------------------------


def rss_mib() -> float:
    """Resident memory of this process now, in MiB (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Tally:
    """What one loop saw; merged at the end of the run."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    failed_reads: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)  # calls slower than HELD, by kind
    longest: float = 0.0

    def merge(self, other: Tally) -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.untyped += other.untyped
        self.failed_reads += other.failed_reads
        self.held += other.held
        self.longest = max(self.longest, other.longest)


class Progress:
    """Counts completed calls across threads and samples RSS at the marks."""

    def __init__(self, total: int) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._next = [(max(1, total * mark // 100), mark) for mark in MARKS]
        self.samples: list[tuple[int, float, float, int]] = []  # mark, seconds, MiB, keys
        self.start = time.perf_counter()

    def step(self, smsc: SMSCClient) -> None:
        with self._lock:
            self._done += 1
            marks = []
            while self._next and self._done >= self._next[0][0]:
                marks.append(self._next.pop(0)[1])
        if marks:
            keys = LocalGate().stats(smsc._account).live_keys
            now, mib = time.perf_counter() - self.start, rss_mib()
            self.samples += [(mark, now, mib, keys) for mark in marks]


OUTCOMES = ["", "sent", "reconciled", "unknown, checked", "unknown, unchecked"]


class Work:
    """The calls of a run, shared by every worker of every loop.

    Kept compact (one byte per call for a send's outcome) so that the memory measured is the
    client's, not the benchmark's.
    """

    def __init__(self, total: int, run: int) -> None:
        self.total = total
        self.run = run
        self.outcomes = bytearray(total)  # per call: index into OUTCOMES, 0 if not a send
        self._indexes = iter(range(total))
        self._lock = threading.Lock()

    def next(self) -> int | None:
        with self._lock:
            return next(self._indexes, None)

    def record(self, i: int, outcome: str) -> None:
        with self._lock:
            if outcome not in OUTCOMES:
                OUTCOMES.append(outcome)
            self.outcomes[i] = OUTCOMES.index(outcome)

    def message(self, i: int) -> tuple[str, str]:
        """Return the (id, phone) that send ``i`` uses; the id is the benchmark's own."""
        return f"load-{self.run}-{i}", f"+7{9_000_000_000 + self.run * 10_000_000 + i}"


def kind_of(i: int, total: int) -> str:
    """Return what call ``i`` of ``total`` is.

    Twelve balance requests (the rule admits 10 a minute) and seven identical cost requests
    (5 a minute), spread over the first half of the run, so that the gate holds a few of each
    back for a minute while the rest of the run goes on; the other calls alternate between
    sends and statuses.
    """
    if i in _spread(total, BALANCE_CALLS, 0):
        return "balance"
    if i in _spread(total, COST_CALLS, 1):
        return "cost"
    return "send" if i % 2 == 0 else "status"


@functools.cache
def _spread(total: int, count: int, offset: int) -> frozenset[int]:
    return frozenset(total * k // (2 * count) + offset for k in range(count))


async def call(smsc: SMSCClient, work: Work, i: int, kind: str, tally: Tally) -> None:
    """Make call ``i``; record its outcome."""
    if kind == "send":
        message_id, phone = work.message(i)
        outcome = "sent"
        try:
            result = await smsc.send_sms(phone, f"load run {work.run} message {i}", id=message_id)
        except SendOutcomeUnknownError as exc:
            outcome = "unknown, checked" if exc.checked else "unknown, unchecked"
            tally.errors[type(exc).__name__] += 1
        except SMSCError as exc:
            outcome = type(exc).__name__
            tally.errors[outcome] += 1
        else:
            outcome = "reconciled" if result.reconciled else "sent"
        work.record(i, outcome)
        return
    try:
        if kind == "status":
            # The status of the send made STATUS_LAG sends earlier (distinct messages, each
            # asked once); a message never sent answers "not found", which is fine too.
            message_id, phone = work.message(i - 1 - 2 * STATUS_LAG)
            await smsc.get_status(message_id, phone)
        elif kind == "balance":
            await smsc.get_balance()
        else:
            await smsc.get_cost("+79990000000", "how much is this one")
    except SMSCError as exc:
        tally.errors[type(exc).__name__] += 1
        tally.failed_reads[f"{kind}: {type(exc).__name__}"] += 1


async def drive(clients: list[SMSCClient], work: Work, workers: int, progress: Progress) -> Tally:
    tally = Tally()
    loop = asyncio.get_running_loop()

    async def worker() -> None:
        while (i := work.next()) is not None:
            kind = kind_of(i, work.total)
            smsc = clients[i % len(clients)]
            tally.calls[kind] += 1
            started = loop.time()
            try:
                await call(smsc, work, i, kind, tally)
            except Exception as exc:  # counting what escapes the typed errors
                tally.errors[type(exc).__name__] += 1
                tally.untyped.append(f"{kind}: {exc!r}"[:200])
            took = loop.time() - started
            if took > HELD:
                tally.held[kind] += 1
            tally.longest = max(tally.longest, took)
            progress.step(smsc)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return tally


def client_options(faults: bool) -> dict[str, Any]:
    # The emulator stores a send at arrival: a short reconciliation delay is enough.
    options: dict[str, Any] = {"reconcile_delay": 0.05}
    if faults:
        # A read fails only after 9 faults in a row (odds 0.15**9); short pauses between.
        options.update(max_retries=8, retry_backoff=0.02, retry_backoff_cap=0.2)
    return options


async def loop_main(
    base_url: str, n_clients: int, work: Work, workers: int, progress: Progress, faults: bool
) -> Tally:
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                SMSCClient(LOGIN, PASSWORD, base_url=base_url, **client_options(faults))
            )
            for _ in range(n_clients)
        ]
        return await drive(clients, work, workers, progress)


async def verify(base_url: str, work: Work) -> dict[str, dict[str, int]]:
    """Ask status.php about every send not reported plainly sent.

    Returns, per reported outcome, how many are stored and not stored. The plain "sent" ones
    are not asked one by one: :func:`checks` compares their count with the messages stored.
    """
    sent = OUTCOMES.index("sent")
    table: dict[str, dict[str, int]] = {}
    sends = iter([(i, code) for i, code in enumerate(work.outcomes) if code and code != sent])
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=base_url, max_retries=20, retry_backoff=0.02
    ) as smsc:

        async def worker() -> None:
            for i, code in sends:
                status = await smsc.get_status(*work.message(i))
                row = table.setdefault(OUTCOMES[code], {"stored": 0, "not stored": 0})
                row["stored" if status.status != MessageState.NOT_FOUND else "not stored"] += 1

        await asyncio.gather(*(worker() for _ in range(64)))
    return table


# -- one run, in a process of its own -------------------------------------------------------------


def run_scenario(
    key: str, total: int, seed: int, time_limit: float, workers: int
) -> dict[str, Any]:
    scenario = SCENARIOS[key]
    baseline = rss_mib()
    work = Work(total, run=list(SCENARIOS).index(key))
    emulator = EmulatorProcess(scenario.faults, seed)
    try:
        base_url = emulator.base_url
        per_loop = max(1, workers // scenario.threads)
        results: list[Tally] = []
        errors: list[BaseException] = []

        def thread_main() -> None:
            try:
                run = loop_main(
                    base_url,
                    scenario.clients_per_thread,
                    work,
                    per_loop,
                    progress,
                    scenario.faults,
                )
                results.append(asyncio.run(asyncio.wait_for(run, time_limit)))
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        progress = Progress(total)
        threads = [threading.Thread(target=thread_main) for _ in range(scenario.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - progress.start
        if errors:
            raise errors[0]
        during = emulator.snapshot()
        tally = Tally()
        for part in results:
            tally.merge(part)

        async def finish() -> tuple[int, dict[str, dict[str, int]]]:
            account = SMSCClient(LOGIN, PASSWORD, base_url=base_url)._account
            keys = LocalGate().stats(account).live_keys
            return keys, (await verify(base_url, work) if scenario.faults else {})

        live_keys, table = asyncio.run(finish())
    finally:
        final = emulator.stop()
    outcomes = Counter(OUTCOMES[code] for code in work.outcomes if code)
    return {
        "key": key,
        "scenario": scenario.name,
        "faults": scenario.faults,
        "requests": total,
        "workers": per_loop * scenario.threads,
        "wall": wall,
        "calls": dict(tally.calls),
        "errors": dict(tally.errors),
        "untyped": tally.untyped[:5],
        "untyped_count": len(tally.untyped),
        "failed_reads": dict(tally.failed_reads),
        "outcomes": dict(outcomes),
        "verified": table,
        "held": dict(tally.held),
        "longest": tally.longest,
        "rss_baseline": baseline,
        "rss": progress.samples,
        "live_keys": live_keys,
        "emulator": during,
        "emulator_final": final,
    }


def checks(result: dict[str, Any]) -> list[str]:
    """Return the failed checks of one run (empty when all pass)."""
    emu = result["emulator_final"]  # the run and the verification pass after it
    if not emu:
        return ["the emulator printed no counters"]
    failed = []
    error_9 = sum(emu["error_9"].values()) + result["errors"].get("ServerRateLimitError", 0)
    if error_9:
        failed.append(f"{error_9} error-9 answers")
    most = max(emu["max_in_flight"].values(), default=0)
    if most > 14:
        failed.append(f"{most} requests in flight at the emulator")
    duplicates = sum(emu["duplicates"].values())
    if duplicates:
        failed.append(f"{duplicates} messages stored twice")
    if result["untyped_count"]:
        failed.append(f"{result['untyped_count']} exceptions outside SMSCError")
    if result["failed_reads"]:
        failed.append(f"reads not completed: {result['failed_reads']}")
    if not result["faults"] and result["errors"]:
        failed.append(f"exceptions without faults: {result['errors']}")
    outcomes = result["outcomes"]
    stored = sum(emu["messages"].values())
    if not result["verified"]:
        if set(outcomes) - {"sent"} or stored != outcomes.get("sent", 0):
            failed.append(f"send outcomes {outcomes} but {stored} messages stored")
        return failed
    for outcome, row in result["verified"].items():
        # Surely stored: a result; surely not: SMSC said "not found", or no connection at all.
        wrong = 0
        if outcome == "reconciled":
            wrong = row["not stored"]
        elif outcome in ("unknown, checked", "ConnectError"):
            wrong = row["stored"]
        if wrong:
            failed.append(f"outcome {outcome!r} vs emulator: {row}")
    # Every stored message is one of these sends (ids are unique, none stored twice): when
    # the count matches, every send reported "sent" is stored.
    found = sum(row["stored"] for row in result["verified"].values())
    if stored != outcomes.get("sent", 0) + found:
        failed.append(
            f"{stored} messages stored, but {outcomes.get('sent', 0)} sends reported sent"
            f" and {found} others found"
        )
    return failed


# -- the report ----------------------------------------------------------------------------------


def print_run(result: dict[str, Any]) -> None:
    emu, final = result["emulator"], result["emulator_final"]
    wall = result["wall"]
    print(f"\n## {result['scenario']}: {result['requests']} calls in {wall:.1f} s")
    print(f"calls: {result['calls']}")
    done, rate = pace(result)
    print(
        f"99% of the calls done in {done:.1f} s ({rate:.0f} calls/s); the last ones waited"
        " for per-minute rules"
    )
    print(
        f"emulator: {emu['requests']} requests received, error-9 answers"
        f" {final['error_9']}, max in flight {final['max_in_flight']}, messages stored"
        f" {final['messages']}, stored twice {final['duplicates']}"
    )
    if result["faults"]:
        print(f"faults injected during the run: {emu['injected']}")
        print(f"requests of the verification pass: {final['requests'] - emu['requests']}")
    print(
        f"held back > {HELD:.0f} s: {result['held'] or 'none'} (longest {result['longest']:.1f} s);"
        f" gate live keys at the end {result['live_keys']}"
    )
    rss = ", ".join(
        f"{mark}%: {mib:.0f} MiB at {sec:.0f} s ({keys} keys)"
        for mark, sec, mib, keys in result["rss"]
    )
    print(f"RSS: start {result['rss_baseline']:.0f} MiB; {rss}")
    print(f"exceptions by type: {result['errors'] or 'none'}")
    if result["untyped"]:
        print(f"untyped: {result['untyped']}")
    print(f"send outcomes: {result['outcomes']}")
    if result["verified"]:
        print("\n| outcome reported | sends | stored at the emulator | not stored |")
        print("|---|---|---|---|")
        stored = sum(final["messages"].values())
        found = sum(row["stored"] for row in result["verified"].values())
        sent = result["outcomes"].get("sent", 0)
        print(f"| sent | {sent} | {stored - found} (stored in all minus the others found) | |")
        for outcome, row in sorted(result["verified"].items()):
            count = result["outcomes"][outcome]
            print(f"| {outcome} | {count} | {row['stored']} | {row['not stored']} |")
    failed = checks(result)
    print("checks: " + ("all passed" if not failed else "FAILED: " + "; ".join(failed)))


def pace(result: dict[str, Any]) -> tuple[float, float]:
    """Return when 99% of the calls were done, and the calls per second until then.

    The run's wall time ends with the few calls a per-minute rule holds back, up to a minute
    (more under faults, as retries use up the windows), so it says little about throughput.
    """
    seconds = next(sec for mark, sec, _, _ in result["rss"] if mark == 99)
    return seconds, result["requests"] * 0.99 / seconds


def print_summary(results: list[dict[str, Any]]) -> None:
    print(
        f"\n# Summary\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print(
        "| run | calls | 99% done | calls/s | all done | error 9 | max in flight "
        "| RSS MiB start/10/50/100% | live keys at 100% | exceptions | stored twice | checks |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        emu = r["emulator_final"]
        rss = "/".join(
            [f"{r['rss_baseline']:.0f}"]
            + [f"{mib:.0f}" for mark, _, mib, _ in r["rss"] if mark in (10, 50, 100)]
        )
        keys = r["rss"][-1][3]
        errors = ", ".join(f"{n} {name}" for name, n in sorted(r["errors"].items())) or "none"
        done, rate = pace(r)
        print(
            f"| {r['scenario']} | {r['requests']} | {done:.1f} s | {rate:.0f} | {r['wall']:.1f} s"
            f" | {sum(emu['error_9'].values())} | {max(emu['max_in_flight'].values())}"
            f" | {rss} | {keys} | {errors} | {sum(emu['duplicates'].values())}"
            f" | {'ok' if not checks(r) else 'FAILED'} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="calls per run")
    parser.add_argument(
        "--runs", default=",".join(SCENARIOS), help=f"comma-separated, from {list(SCENARIOS)}"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the emulator's faults")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per run")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="concurrent tasks per run (all loops)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.requests < 1 or args.workers < 1:
        parser.error("--requests and --workers must be at least 1")
    if args.child is not None:
        result = run_scenario(args.child, args.requests, args.seed, args.time_limit, args.workers)
        with open(args.result_file, "w") as out:
            json.dump(result, out)
        return 0
    keys = [key.strip() for key in args.runs.split(",") if key.strip()]
    unknown = [key for key in keys if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown runs {unknown}; choose from {list(SCENARIOS)}")
    results = []
    for key in keys:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "result.json")
            command = [sys.executable, __file__, "--child", key, "--result-file", path]
            command += ["--requests", str(args.requests), "--seed", str(args.seed)]
            command += ["--time-limit", str(args.time_limit), "--workers", str(args.workers)]
            status = subprocess.run(command, check=False).returncode
            if status != 0 or not os.path.exists(path):
                print(f"\n## {SCENARIOS[key].name}: the run failed (exit status {status})")
                return 1
            with open(path) as f:
                result = json.load(f)
        print_run(result)
        results.append(result)
    print_summary(results)
    return 1 if any(checks(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
