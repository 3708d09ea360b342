"""Bulk send and bulk status of 100,000 messages against the emulator, with its rules on.

Run with ``nox -s bench`` (or ``python tests/bench/bench_bulk.py [-n N]``). The emulator runs
in its own process with SMSC's limits enforced. Each client figure is set against a floor:
raw aiohttp + msgspec doing the same work the rules allow, on the same server —

- bulk send: the very request bodies the client packed (with fresh ids), 14 in flight;
- bulk status: one single status request per message, 14 in flight (no mass request: the
  client's one mass request a minute is its own gain).

The ratio is client wall time over the floor's. Requests issued are counted at the client.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
import msgspec

from smsc_async import RateLimitedError, SMSCClient
from smsc_async._endpoints import Endpoint
from smsc_async.bulk import DEFAULT_MAX_REQUEST_BYTES, BulkSendItem, _form_size, _room

LOGIN, PASSWORD = "demo", "demo-password"
IN_FLIGHT = 14


class RawSent(msgspec.Struct):
    id: int | str
    cnt: int


class RawStatus(msgspec.Struct):
    status: int
    err: int = 0


class CountingClient(SMSCClient):
    """An SMSCClient that counts the requests it sends, by endpoint (not those its gate refused)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: collections.Counter[str] = collections.Counter()

    async def _post(self, endpoint: Endpoint[Any], *args: Any, **kwargs: Any) -> bytes:
        try:
            body = await super()._post(endpoint, *args, **kwargs)
        except RateLimitedError:
            raise  # refused by the gate: never sent
        except BaseException:
            self.counts[endpoint.name] += 1
            raise
        self.counts[endpoint.name] += 1
        return body


@contextmanager
def emulator_process() -> Iterator[str]:
    """Start the emulator (rules on, money for every message) and yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsc_async.emulator", "--port", "0", "--balance", "1e9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError("the emulator did not start")
        yield base_url
    finally:
        proc.terminate()
        proc.wait(10)


def messages(n: int) -> list[tuple[str, str]]:
    return [
        (f"+7999{i:07d}", f"Заказ {i} готов к выдаче, код {i * 7919 % 10000:04d}") for i in range(n)
    ]


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run_pool(
    jobs: Sequence[Mapping[str, str]],
    url: str,
    session: aiohttp.ClientSession,
    decoder: msgspec.json.Decoder[Any],
) -> None:
    todo = iter(jobs)

    async def worker() -> None:
        for form in todo:
            async with session.post(url, data=form) as resp:
                answer = decoder.decode(await resp.read())
                if isinstance(answer, dict) or getattr(answer, "status", 0) is None:
                    raise RuntimeError(f"unexpected answer {answer!r}")

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


async def measure(base_url: str, n: int) -> dict[str, dict[str, float]]:
    auth = {"login": LOGIN, "psw": PASSWORD, "fmt": "3", "charset": "utf-8"}
    wanted = messages(n)
    out: dict[str, dict[str, float]] = {}
    async with (
        CountingClient(LOGIN, PASSWORD, base_url=base_url, timeout=120) as smsc,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        await smsc.get_balance()  # open the connections
        before = rss_mib()

        started = time.perf_counter()
        results = await smsc.bulk.send(wanted)
        client_send = time.perf_counter() - started
        failed = [r for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"{len(failed)} messages failed, first: {failed[0].error!r}")

        # The floor: the same packed bodies, posted by raw aiohttp with fresh ids.
        by_request: dict[int | str, list[BulkSendItem]] = collections.defaultdict(list)
        for item in results:
            by_request[item.id].append(item)
        bodies = [
            {
                **auth,
                "op": "1",
                "translit": "0",  # else SMSC's rule sees the client's identical send again
                "id": f"raw{k}",
                "list": "\n".join(f"{wanted[i.index][0]}:{wanted[i.index][1]}" for i in items),
            }
            for k, items in enumerate(by_request.values())
        ]
        started = time.perf_counter()
        await run_pool(bodies, f"{base_url}/sys/send.php", session, msgspec.json.Decoder(RawSent))
        raw_send = time.perf_counter() - started
        encoded = sum(_form_size(f"{p}:{t}") + 3 for p, t in wanted)
        out["send"] = {
            "client_s": client_send,
            "raw_s": raw_send,
            "requests": smsc.counts["send"],
            "least": math.ceil(encoded / _room(DEFAULT_MAX_REQUEST_BYTES, {"op": "1"}, "list")),
        }

        pairs = [(r.id, r.phone) for r in results]
        smsc.counts.clear()
        started = time.perf_counter()
        got = 0
        async for _ in smsc.bulk.iter_statuses(pairs):
            got += 1
        client_status = time.perf_counter() - started
        assert got == n

        forms = [{**auth, "id": str(i), "phone": p} for i, p in pairs]
        started = time.perf_counter()
        await run_pool(
            forms, f"{base_url}/sys/status.php", session, msgspec.json.Decoder(RawStatus)
        )
        raw_status = time.perf_counter() - started
        out["status"] = {
            "client_s": client_status,
            "raw_s": raw_status,
            "requests": sum(smsc.counts.values()),
            "mass": smsc.counts["status_mass"],
        }
        out["memory"] = {"rss_growth_mib": rss_mib() - before}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="messages (default 100000)")
    args = parser.parse_args()
    with emulator_process() as base_url:
        figures = asyncio.run(measure(base_url, args.n))
    send, status = figures["send"], figures["status"]
    print(
        f"\nbulk work against the emulator (rules on, its own process): {args.n} messages"
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| job | requests issued | client wall | raw floor | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| bulk send (personalised) | {send['requests']:.0f} (bound allows >= {send['least']:.0f})"
        f" | {send['client_s']:.1f} s | {send['raw_s']:.1f} s |"
        f" {send['client_s'] / send['raw_s']:.2f} |"
    )
    print(
        f"| bulk status | {status['requests']:.0f} ({status['mass']:.0f} mass)"
        f" | {status['client_s']:.1f} s | {status['raw_s']:.1f} s |"
        f" {status['client_s'] / status['raw_s']:.2f} |"
    )
    print(f"\nclient RSS growth over both runs: {figures['memory']['rss_growth_mib']:.0f} MiB")
    print(
        f"messages per second: send {args.n / send['client_s']:.0f}, "
        f"status {args.n / status['client_s']:.0f}"
    )


if __name__ == "__main__":
    main()
