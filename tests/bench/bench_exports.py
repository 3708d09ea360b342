"""Streamed export download: throughput and memory of the client against raw aiohttp.

Run with ``nox -s bench`` (or ``python tests/bench/bench_exports.py``; a quick run:
``--sizes 128 --rounds 2``). How it is measured:

- The emulator serves the exports from its own process (rules off, requests not recorded), so
  the client's process holds only the client and the CSV is generated on the other core. Its
  resident size is read before and after the rounds: nothing may pile up per download.
- Every measurement runs in a fresh client process, after ``sync`` (no run pays for writing
  out the previous run's file). The process warms its session up with one request, resets its
  peak-memory counter (``VmHWM``), and reports the download's time and its peak growth over
  the resident size at that moment. Each such process runs with ``MALLOC_TOP_PAD_`` set (glibc
  keeps 16 MiB spare at the top of its heap): without it, the heap grown and shrunk in small
  steps around aiohttp's 256 KiB buffers faulted fresh pages in for up to half of the bytes
  read, in some processes and not others (by where the imports had left the heap), which made
  the same raw read run at 1.5 or 6 GB/s and flattered whichever side was lucky.
- Modes, per file size (128 MiB, 512 MiB and 1 GiB by default): ``raw discard`` (aiohttp
  reading the body with ``content.read(256 KiB)``, the read the client makes) against
  ``chunks()`` (the client's chunks, discarded); ``raw file`` (the same reads, each written
  with a blocking ``write``: the naive way, which stalls the event loop) against ``save_to()``
  (the client's atomic save, written from a thread); ``save_to(fsync=True)`` (forced onto the
  disk too) is reported. ``rows()`` parses a 64 MiB file into rows. The raw requests' bodies
  are encoded before the clock starts.
- Rounds interleave every mode in an order that rotates from round to round, so slow spells
  of the machine fall on all of them; each figure is min–median–max over the rounds, and each
  ratio is taken per round (client against raw of the same round), its median judged.

The default of 20 rounds takes about 3.5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, machine, ratios, report, rotated, spread

LOGIN, PASSWORD = "demo", "demo-password"
MIB = 1024 * 1024
CHUNK = 256 * 1024  # the client's default chunk size
TARGET_RSS_MIB = 32
TARGET_SAVE = 0.90
TARGET_ROWS_MIB_S = 60.0
HEAP_PAD = 16 * MIB  # glibc's M_TOP_PAD in every measuring process (see the docstring)
FORM = f"login={LOGIN}&psw={PASSWORD}&fmt=3&charset=utf-8".encode()
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

# mode -> (label, what it is set against)
FILE_MODES: dict[str, tuple[str, str | None]] = {
    "raw_discard": ("raw aiohttp, discarded", None),
    "chunks": ("chunks(), discarded", "raw_discard"),
    "raw_file": ("raw aiohttp to a file", None),
    "save_to": ("save_to()", "raw_file"),
    "save_to_fsync": ("save_to(fsync=True)", None),
}
STREAMED = ("chunks", "save_to", "save_to_fsync", "rows")


# --- the server process ----------------------------------------------------------------------


async def serve(port: int, sizes: list[int], rows_size: int) -> None:
    from smsc_async.emulator import Emulator

    emu = Emulator(rules=False, record_requests=False)
    async with emu.serve(port=port) as url:
        # One task per file size: a download changes nothing in the task but a counter.
        tasks = {str(size): emu.add_export(size=size, start_after=0, run_for=0) for size in sizes}
        tasks["rows"] = emu.add_export(size=rows_size, start_after=0, run_for=0)
        lengths = {
            key: next(j.size for j in emu.exports() if j.id == t) for key, t in tasks.items()
        }
        print(json.dumps({"url": url, "tasks": tasks, "sizes": lengths}), flush=True)
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def resident_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def server_process(sizes: list[int], rows_size: int) -> Iterator[tuple[dict[str, Any], int]]:
    command = [sys.executable, __file__, "--serve", str(free_port())]
    command += ["--sizes", ",".join(map(str, sizes)), "--rows-size", str(rows_size)]  # bytes
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        yield json.loads(line), proc.pid
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(10)


# --- one measurement (in a fresh client process) ---------------------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class PeakMemory:
    """Peak resident memory growth of this process from :meth:`start` on."""

    def __init__(self) -> None:
        self._baseline = 0
        self._peak = 0
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        try:
            # "5" resets VmHWM to the current RSS (Linux >= 4.0).
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:  # no permission: sample the resident size instead
            self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._baseline = self._peak = _status_kib("VmRSS")
        if self._sampler is not None:
            self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, _status_kib("VmRSS"))

    def growth_kib(self) -> int:
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join()
            return max(0, self._peak - self._baseline)
        return max(0, _status_kib("VmHWM") - self._baseline)


async def measure(mode: str, url: str, task: int, directory: str) -> dict[str, float]:
    import aiohttp

    from smsc_async import SMSCClient  # both imported already (see main)

    memory = PeakMemory()
    target = Path(directory) / f"export-{mode}-{task}.csv"
    received = 0
    if mode.startswith("raw"):
        script = f"{url}/sys/downloads.php"
        body = FORM + f"&get=1&id={task}".encode()
        async with aiohttp.ClientSession(headers=FORM_HEADERS) as session:
            async with session.post(script, data=FORM) as warm:
                await warm.read()
            memory.start()
            start = time.perf_counter()
            async with session.post(script, data=body) as resp:
                read = resp.content.read
                if mode == "raw_discard":
                    while chunk := await read(CHUNK):
                        received += len(chunk)
                else:
                    with open(target, "wb") as out:  # noqa: ASYNC230 - the naive baseline
                        while chunk := await read(CHUNK):
                            out.write(chunk)
                            received += len(chunk)
            seconds = time.perf_counter() - start
    else:
        async with SMSCClient(LOGIN, PASSWORD, base_url=url, max_retries=0) as smsc:
            await smsc.exports.list()  # warm up the session and the connection
            memory.start()
            start = time.perf_counter()
            download = smsc.exports.download(task)
            if mode == "chunks":
                async for chunk in download.chunks():
                    received += len(chunk)
            elif mode.startswith("save_to"):
                await download.save_to(target, fsync=mode == "save_to_fsync")
                received = download.received
            else:
                async for _ in download.rows():
                    received += 1
            seconds = time.perf_counter() - start
    growth = memory.growth_kib()
    target.unlink(missing_ok=True)
    return {"seconds": seconds, "received": received, "rss_growth_kib": growth}


def run_measurement(mode: str, url: str, task: int, directory: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", mode, url, str(task), directory]
    env = {**os.environ, "MALLOC_TOP_PAD_": str(HEAP_PAD)}
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


# --- the rounds and the table ----------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    sizes = [mib * MIB for mib in args.sizes]
    # (mode, size key) in a fixed order; every round rotates it.
    runs = [(mode, str(size)) for size in sizes for mode in FILE_MODES] + [("rows", "rows")]
    results: dict[tuple[str, str], list[dict[str, float]]] = {key: [] for key in runs}
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(dir=args.dir, prefix="smsc-bench-") as directory,
        server_process(sizes, args.rows_size * MIB) as (server, server_pid),
    ):
        url, tasks, lengths = server["url"], server["tasks"], server["sizes"]
        server_before = server_after = 0
        for round_no in range(args.rounds):
            for mode, key in rotated(runs, round_no):
                os.sync()  # the last run's file is not still being written out during this one
                result = run_measurement(mode, url, tasks[key], directory)
                if mode != "rows" and result["received"] != lengths[key]:
                    raise RuntimeError(f"{mode}: received {result['received']} bytes")
                results[mode, key].append(result)
            # The first round warms the server up (buffers, caches); growth is counted after it.
            server_after = resident_kib(server_pid)
            if round_no == 0:
                server_before = server_after
    elapsed = time.monotonic() - began

    print(
        f"\ndownloads.php exports from the emulator (own process), {args.rounds} rounds,"
        f" MiB/s min–median–max, worst peak RSS growth\n{machine()}\n"
    )
    columns = f"| {'mode':<22} | {'size':>8} | {'MiB/s':>17} | {'/ raw, per round':>16} |"
    print(f"{columns} {'peak RSS':>9} |")
    print(f"|{'-' * 24}|{'-' * 10}|{'-' * 19}|{'-' * 18}|{'-' * 11}|")
    rates: dict[tuple[str, str], list[float]] = {}
    worst: dict[tuple[str, str], float] = {}
    for mode, key in runs:
        mib = lengths[key] / MIB
        rates[mode, key] = [mib / r["seconds"] for r in results[mode, key]]
        worst[mode, key] = max(r["rss_growth_kib"] for r in results[mode, key]) / 1024
    targets: list[Target] = []
    for mode, key in runs:
        label, against = FILE_MODES.get(mode, ("rows(), parsed", None))
        versus = ""
        if against is not None:
            per_round = ratios(rates[mode, key], rates[against, key])
            versus = spread(per_round, "{:.2f}")
        size = f"{lengths[key] / MIB:.0f} MiB"
        print(
            f"| {label:<22} | {size:>8} | {spread(rates[mode, key]):>17} | {versus:>16} |"
            f" {worst[mode, key]:>5.1f} MiB |"
        )
    print()
    for size in sizes:
        key = str(size)
        name = f"{size // MIB} MiB"
        saved = ratios(rates["save_to", key], rates["raw_file", key])
        median = statistics.median(saved)
        targets.append(
            Target(
                f"save_to() / raw aiohttp file, {name}",
                f"{spread(saved, '{:.2f}')} (save_to {spread(rates['save_to', key])} MiB/s,"
                f" raw {spread(rates['raw_file', key])} MiB/s; peak RSS growth"
                f" {worst['save_to', key]:.1f} MiB)",
                median,
                f">= {TARGET_SAVE:.2f}",
                median >= TARGET_SAVE,
            )
        )
    for size in sizes:
        key = str(size)
        chunked = ratios(rates["chunks", key], rates["raw_discard", key])
        targets.append(
            Target(
                f"chunks() / raw aiohttp discard, {size // MIB} MiB",
                f"{spread(chunked, '{:.2f}')} ({spread(rates['chunks', key])} MiB/s)",
                statistics.median(chunked),
                "reported",
                None,
            )
        )
    for size in sizes:
        key = str(size)
        targets.append(
            Target(
                f"save_to(fsync=True), {size // MIB} MiB",
                f"{spread(rates['save_to_fsync', key])} MiB/s",
                None,
                "reported",
                None,
            )
        )
    rows_rate = rates["rows", "rows"]
    rows_per_second = [r["received"] / r["seconds"] for r in results["rows", "rows"]]
    targets.append(
        Target(
            f"rows() on a {lengths['rows'] / MIB:.0f} MiB export",
            f"{spread(rows_rate)} MiB/s, {spread(rows_per_second, '{:,.0f}')} rows/s"
            f" (peak RSS growth {worst['rows', 'rows']:.1f} MiB)",
            statistics.median(rows_rate) / TARGET_ROWS_MIB_S,
            f">= {TARGET_ROWS_MIB_S:.0f} MiB/s",
            statistics.median(rows_rate) >= TARGET_ROWS_MIB_S,
        )
    )
    streamed = {key: peak for key, peak in worst.items() if key[0] in STREAMED}
    (mode, key), peak = max(streamed.items(), key=lambda item: item[1])
    where = "rows()" if mode == "rows" else f"{FILE_MODES[mode][0]} at {int(key) // MIB} MiB"
    targets.append(
        Target(
            "peak RSS growth, worst streamed mode",
            f"{peak:.1f} MiB ({where})",
            None,
            f"< {TARGET_RSS_MIB} MiB",
            peak < TARGET_RSS_MIB,
        )
    )
    print(
        f"emulator resident size: {server_before / 1024:.1f} MiB after the first round,"
        f" {server_after / 1024:.1f} MiB at the end; {elapsed:.0f} s in all"
    )
    report("exports", targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[128, 512, 1024],
        help="file sizes in MiB, comma-separated (default 128,512,1024)",
    )
    parser.add_argument("--rows-size", type=int, default=64, help="MiB parsed by rows()")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dir", default=None, help="where the files are written")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve is not None:
        asyncio.run(serve(args.serve, args.sizes, args.rows_size))
    elif args.measure is not None:
        # The same process for every mode: the same modules imported before the event loop.
        import aiohttp  # noqa: F401

        import smsc_async  # noqa: F401

        mode, url, task, directory = args.measure
        print(json.dumps(asyncio.run(measure(mode, url, int(task), directory))))
    else:
        run(args)


if __name__ == "__main__":
    main()
