"""Batch job: send 10,000 personalised SMS and follow them until each has an outcome.

Shows ``smsc.bulk``: the messages go in as few send.php requests as the size bound allows, with
as many requests in flight as SMSC permits; every message gets its own result; then the
statuses are polled (single requests plus one mass request a minute) until each message is
delivered or has failed. Nothing waits on SMSC's error 9: the client keeps inside its limits.

Runs against the built-in SMSC emulator, so no account is needed:

    python examples/batch_job.py

To use the real service, set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY), optionally
SMSC_BASE_URL, and SMSC_BATCH_CSV: a UTF-8 file of ``phone,text`` lines to send. Every line is
sent and charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

from smsc_async import BulkSendItem, SMSCClient
from smsc_async.emulator import Account, Emulator

COUNT = 10_000


def demo_messages() -> list[tuple[str, str]]:
    """Personalised reminders for the emulator run."""
    return [
        (f"+7999{n:07d}", f"Order {n} is ready for pickup; your code is {n * 7919 % 10000:04d}.")
        for n in range(COUNT)
    ]


def read_csv(path: str) -> list[tuple[str, str]]:
    """Read ``phone,text`` lines (the text may be quoted to hold commas)."""
    with open(path, encoding="utf-8", newline="") as file:
        return [(row[0], row[1]) for row in csv.reader(file) if row]


@contextlib.asynccontextmanager
async def connect() -> AsyncIterator[tuple[SMSCClient, list[tuple[str, str]], float]]:
    """Yield a client, the messages and a poll interval: the real service when configured."""
    if SMSCClient.env_configured():
        path = os.environ.get("SMSC_BATCH_CSV")
        if not path:
            sys.exit("Set SMSC_BATCH_CSV to a file of phone,text lines to send.")
        messages = await asyncio.to_thread(read_csv, path)
        async with SMSCClient.from_env() as client:
            yield client, messages, 15.0  # SMSC allows five status requests a message a minute
        return
    # Money for every message, quick delivery, and two numbers that cannot be reached.
    emulator = Emulator([Account(balance=Decimal(100_000))], delivery_schedule=((0.5, 0), (1.5, 1)))
    emulator.undeliverable_phones = {"79990000013"}
    emulator.set_outcome("79990000042", status=20, err=1)
    async with emulator.serve() as base_url, emulator.client() as client:
        print(f"Using the built-in SMSC emulator at {base_url} (no real messages are sent)\n")
        yield client, demo_messages(), 2.0


async def main() -> None:
    """Send the batch, report refusals, then follow every accepted message to its outcome."""
    async with connect() as (smsc, messages, interval):
        done = 0

        def progress(item: BulkSendItem) -> None:
            nonlocal done
            done += 1
            if done % 2500 == 0:
                print(f"  {done} of {len(messages)} sent")

        started = time.perf_counter()
        results = await smsc.bulk.send(messages, on_result=progress)
        requests = len({r.id for r in results})
        accepted = sum(r.ok for r in results)
        print(
            f"Sent a batch of {len(results)} messages in {requests} requests "
            f"in {time.perf_counter() - started:.1f} s: {accepted} accepted"
        )
        for failed in (r for r in results if not r.ok):
            print(f"  not sent to {failed.phone}: {type(failed.error).__name__}: {failed.error}")

        sent = [(r.id, r.phone) for r in results if r.ok]  # may be empty: then nothing to poll
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        async for status in smsc.bulk.iter_settled(sent, interval=interval, timeout=3600):
            outcomes[status.status.name.lower()] += 1
        print(
            f"Followed {len(sent)} messages to an outcome in {time.perf_counter() - started:.1f} s"
        )
        for outcome, count in outcomes.most_common():
            print(f"  {outcome}: {count}")


if __name__ == "__main__":
    asyncio.run(main())
