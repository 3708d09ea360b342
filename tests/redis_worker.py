"""A worker process for the multi-process tests: one SMSCClient on a shared RedisGate.

``python tests/redis_worker.py load BASE_URL REDIS_URL PREFIX INDEX PERIOD`` runs a mix of
calls against the emulator and prints one JSON line: how many calls of each kind completed,
the failures by class, and the longest single call.

``python tests/redis_worker.py hog BASE_URL REDIS_URL PREFIX`` takes fourteen slots, prints
``holding`` and waits to be killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter

from smsc_async import Gate, LocalGate, SMSCClient
from smsc_async._limits import WaitPolicy
from smsc_async.redis import RedisGate

LOGIN, PASSWORD = "demo", "demo-password"
SENDS = 160
BALANCES = 4
COSTS = 3
CONCURRENCY = 40


async def load(base_url: str, redis_url: str, prefix: str, index: int, period: float) -> None:
    failures: Counter[str] = Counter()
    done: Counter[str] = Counter()
    longest = 0.0
    sent: list[str] = []

    gate: Gate = (
        LocalGate(margin=0.2)  # "local": the per-process gate, to show what Redis prevents
        if redis_url == "local"
        else RedisGate.from_url(redis_url, prefix=prefix, margin=0.2, poll_interval=0.5)
    )
    async with (
        contextlib.AsyncExitStack() as stack,
        SMSCClient(
            LOGIN,
            PASSWORD,
            base_url=base_url,
            gate=gate,
            rule_period=period,
            max_wait=30,
            retry_backoff=0,
            reconcile_delay=0,
        ) as smsc,
    ):
        if isinstance(gate, RedisGate):
            stack.push_async_callback(gate.aclose)

        async def call(kind: str, number: int) -> None:
            nonlocal longest
            started = time.monotonic()
            try:
                if kind == "send":
                    phone = f"+7999{index:03d}{number:04d}"
                    result = await smsc.send_sms(phone, f"worker {index} message {number}")
                    sent.append(f"{result.id}:{phone}")
                elif kind == "status" and sent:
                    msg_id, phone = sent[number % len(sent)].split(":")
                    await smsc.get_status(msg_id, phone)
                elif kind == "balance":
                    await smsc.get_balance()
                elif kind == "cost":
                    await smsc.get_cost("+79990000000", "the same cost request")
                done[kind] += 1
            except Exception as exc:
                failures[type(exc).__name__] += 1
            longest = max(longest, time.monotonic() - started)

        work = [("send", i) for i in range(SENDS)]
        work += [("status", i) for i in range(SENDS // 4)]
        queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                await call(*queue.get_nowait())

        async def chain(kind: str, count: int) -> None:
            # One after the other: concurrent identical reads would be merged into one.
            for number in range(count):
                await call(kind, number)

        await asyncio.gather(
            *(worker() for _ in range(CONCURRENCY)),
            chain("balance", BALANCES),
            chain("cost", COSTS),
        )
    print(json.dumps({"done": done, "failures": failures, "longest": longest}), flush=True)


async def hog(base_url: str, redis_url: str, prefix: str) -> None:
    del base_url
    gate = RedisGate.from_url(redis_url, prefix=prefix, lease_margin=0.5)
    held = [gate.admit("hog", (), WaitPolicy(), timeout=1.0) for _ in range(14)]
    for admission in held:
        await admission.__aenter__()
    print("holding", flush=True)
    await asyncio.sleep(3600)


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "load":
        base_url, redis_url, prefix, index, period = args
        asyncio.run(load(base_url, redis_url, prefix, int(index), float(period)))
    else:
        asyncio.run(hog(*args))


if __name__ == "__main__":
    main()
