"""Export download: wait for a deferred export task, save its CSV file, then read its rows.

Shows ``smsc.exports``: polling a task within SMSC's limits until it is completed, saving the
file in constant memory (written beside the target and renamed only once complete), and
parsing the same file as typed rows while it streams.

Runs against the built-in SMSC emulator, which makes an export task of 20,000 rows:

    python examples/export_download.py

To use the real service, set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY), optionally
SMSC_BASE_URL, and SMSC_EXPORT_TASK: the id of an export task made in your SMSC account.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from smsc_async import ExportTask, SMSCClient
from smsc_async.emulator import Emulator


@contextlib.asynccontextmanager
async def connect() -> AsyncIterator[tuple[SMSCClient, int, float]]:
    """Yield a client, a task id and a poll interval: the real service when configured."""
    if SMSCClient.env_configured():
        given = os.environ.get("SMSC_EXPORT_TASK", "")
        if not given.isdigit():
            sys.exit("Set SMSC_EXPORT_TASK to the id of an export task made in your SMSC account.")
        async with SMSCClient.from_env() as client:
            yield client, int(given), 20.5  # 3 polls a minute
        return
    emulator = Emulator()
    async with emulator.serve() as base_url:
        print(f"Using the built-in SMSC emulator at {base_url} (no real account is used)\n")
        # Pending for 0.5 s, running for 1 s: three polls a second apart see it through,
        # within SMSC's three identical requests a minute.
        task_id = emulator.add_export("Sent in November", rows=20_000, start_after=0.5, run_for=1)
        async with emulator.client() as client:
            yield client, task_id, 1.0


async def main() -> None:
    """Wait for the task, save its file, then count its rows by status."""
    async with connect() as (smsc, task_id, interval):

        def polled(task: ExportTask) -> None:
            state = task.status.name.lower() if task.status is not None else "unknown"
            print(f"  task {task.id} ({task.name}): {state}")

        task = await smsc.exports.wait(task_id, timeout=3600, interval=interval, on_poll=polled)

        shown = 0

        def progress(received: int, total: int | None) -> None:
            nonlocal shown
            if received - shown >= 1 << 20 or received == total:
                shown = received
                print(f"  {received:,} of {total:,} bytes" if total else f"  {received:,} bytes")

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "sent.csv"
            started = time.perf_counter()
            await smsc.exports.download(task, on_progress=progress).save_to(target)
            took = time.perf_counter() - started
            print(f"Saved {target.stat().st_size:,} bytes in {took:.2f} s")

        statuses: Counter[str] = Counter()
        async for row in smsc.exports.download(task).rows():
            statuses[row.status.name.lower() if row.status is not None else "?"] += 1
        print(f"Read {sum(statuses.values()):,} rows; by status:")
        for status, count in statuses.most_common():
            print(f"  {status}: {count:,}")


if __name__ == "__main__":
    asyncio.run(main())
