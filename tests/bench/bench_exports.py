"""Streamed export download: throughput and memory of the client against raw aiohttp.

Run with ``nox -s bench`` (or ``python tests/bench/bench_exports.py``; ``--size 64`` for a quick
run). The emulator serves the export from its own process (its rules off), so the client's
process holds only the client, and the server's CSV generation runs on the other core instead
of competing with the reader for one event loop. Every measurement runs in a fresh client
process: its peak-memory counter (``VmHWM``) is reset once the session is warm, and the growth
over the resident size at that moment is the download's peak memory.

Modes: ``raw discard`` (aiohttp reading the body with the same ``content.read(256 KiB)`` calls
the client makes; ``iter_any()`` and ``iter_chunked()`` measured slower), ``chunks()`` (the
client's chunk iterator, discarded), ``raw file`` (aiohttp with plain blocking writes: the
naive way, which stalls the event loop), ``save_to()`` (the client's atomic save: writes from a
worker thread, then a rename), the same with ``fsync=True`` (forced onto the disk too) and
``rows()`` (every row parsed, on a smaller file). ``chunks()`` is compared with raw reading,
``save_to()`` with the raw file. The parent runs ``sync`` before each measurement, so no run
pays for writing out the previous run's file. Expect some ten percent of noise between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
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

LOGIN, PASSWORD = "demo", "demo-password"
MIB = 1024 * 1024
CHUNK = 256 * 1024  # the client's default chunk size
TARGET_RSS_MIB = 32
TARGET_RATIO = 0.70


# --- the server process ----------------------------------------------------------------------


async def serve(port: int, size: int, rows_size: int, tasks: int) -> None:
    from smsc_async.emulator import Emulator

    emu = Emulator(rules=False, record_requests=False)
    async with emu.serve(port=port) as url:
        big = [emu.add_export(size=size, start_after=0, run_for=0) for _ in range(tasks)]
        small = [emu.add_export(size=rows_size, start_after=0, run_for=0) for _ in range(tasks)]
        sizes = {str(job.id): job.size for job in emu.exports()}
        print(json.dumps({"url": url, "big": big, "small": small, "sizes": sizes}), flush=True)
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(size: int, rows_size: int, tasks: int) -> Iterator[dict[str, Any]]:
    port = free_port()
    command = [
        sys.executable,
        __file__,
        "--serve",
        str(port),
        "--size",
        str(size),
        "--rows-size",
        str(rows_size),
        "--tasks",
        str(tasks),
    ]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        yield json.loads(line)
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

    from smsc_async import SMSCClient

    memory = PeakMemory()
    target = Path(directory) / f"export-{mode}-{task}.csv"
    received = 0
    if mode.startswith("raw"):
        form = {"login": LOGIN, "psw": PASSWORD, "fmt": "3", "charset": "utf-8"}
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/sys/downloads.php", data=form) as warm:
                await warm.read()
            memory.start()
            start = time.perf_counter()
            async with session.post(
                f"{url}/sys/downloads.php", data={**form, "get": "1", "id": str(task)}
            ) as resp:
                if mode == "raw_discard":
                    while chunk := await resp.content.read(CHUNK):
                        received += len(chunk)
                else:
                    with open(target, "wb") as out:  # noqa: ASYNC230 - the naive baseline
                        while chunk := await resp.content.read(CHUNK):
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
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


# --- the table -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024, help="export size in MiB")
    parser.add_argument("--rows-size", type=int, default=64, help="MiB parsed by rows()")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where the files are written")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve is not None:
        asyncio.run(serve(args.serve, args.size, args.rows_size, args.tasks))
        return
    if args.measure is not None:
        mode, url, task, directory = args.measure
        print(json.dumps(asyncio.run(measure(mode, url, int(task), directory))))
        return

    size, rows_size = args.size * MIB, args.rows_size * MIB
    modes = [
        ("raw_discard", "raw aiohttp, discarded", "big"),
        ("chunks", "chunks(), discarded", "big"),
        ("raw_file", "raw aiohttp to a file", "big"),
        ("save_to", "save_to()", "big"),
        ("save_to_fsync", "save_to(fsync=True)", "big"),
        ("rows", "rows(), parsed", "small"),
    ]
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode, _, _ in modes}
    with (
        tempfile.TemporaryDirectory(dir=args.dir, prefix="smsc-bench-") as directory,
        server_process(size, rows_size, args.rounds) as server,
    ):
        for round_no in range(args.rounds):
            for mode, _, kind in modes:
                task = server[kind][round_no]
                os.sync()  # the last run's file is not still being written out during this one
                result = run_measurement(mode, server["url"], task, directory)
                if mode != "rows" and result["received"] != server["sizes"][str(task)]:
                    raise RuntimeError(f"{mode}: received {result['received']} bytes")
                results[mode].append(result)
    file_mib = server["sizes"][str(server["big"][0])] / MIB
    rows_mib = server["sizes"][str(server["small"][0])] / MIB
    print(
        f"\ndownloads.php export from the emulator (own process): {file_mib:.0f} MiB"
        f" ({rows_mib:.0f} MiB for rows()), {args.rounds} rounds, median throughput,"
        f" worst peak RSS growth\nmachine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print(f"| {'mode':<24} | {'MiB/s':>8} | {'vs raw':>7} | {'peak RSS growth':>15} |")
    print(f"|{'-' * 26}|{'-' * 10}|{'-' * 9}|{'-' * 17}|")
    rate: dict[str, float] = {}
    worst_rss: dict[str, float] = {}
    for mode, label, kind in modes:
        mib = file_mib if kind == "big" else rows_mib
        rate[mode] = statistics.median(mib / r["seconds"] for r in results[mode])
        worst_rss[mode] = max(r["rss_growth_kib"] for r in results[mode]) / 1024
        baseline = {"chunks": "raw_discard", "save_to": "raw_file"}.get(mode)
        ratio = f"{rate[mode] / rate[baseline]:>7.0%}" if baseline else f"{'':>7}"
        print(f"| {label:<24} | {rate[mode]:>8.0f} | {ratio} | {worst_rss[mode]:>11.1f} MiB |")
    rows_per_second = statistics.median(r["received"] / r["seconds"] for r in results["rows"])
    print(f"\nrows(): {rows_per_second:,.0f} rows a second")
    streamed = ("chunks", "save_to", "save_to_fsync", "rows")
    rss_ok = all(worst_rss[m] < TARGET_RSS_MIB for m in streamed)
    ratio_chunks = rate["chunks"] / rate["raw_discard"]
    ratio_file = rate["save_to"] / rate["raw_file"]
    print(
        f"targets: peak RSS growth under {TARGET_RSS_MIB} MiB -> "
        f"{'met' if rss_ok else 'MISSED'} (worst {max(worst_rss[m] for m in streamed):.1f} MiB);"
        f" throughput at least {TARGET_RATIO:.0%} of raw -> "
        f"{'met' if min(ratio_chunks, ratio_file) >= TARGET_RATIO else 'MISSED'}"
        f" (chunks() {ratio_chunks:.0%} of raw reading, save_to() {ratio_file:.0%} of the raw"
        f" file and {rate['save_to'] / rate['raw_discard']:.0%} of raw reading)"
    )


if __name__ == "__main__":
    main()
