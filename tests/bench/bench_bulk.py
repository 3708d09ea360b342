"""Bulk send and bulk status of 100,000 messages against the emulator, with its rules on.

Run with ``nox -s bench`` (or ``python tests/bench/bench_bulk.py [-n N] [--rounds R]``). The
emulator runs in its own process with SMSC's limits enforced. Each client figure is set against
a floor: raw aiohttp + msgspec doing the same work the rules allow, on the same server, with
its bodies encoded before the clock starts —

- bulk send: the very request bodies the client packed (with fresh ids), 14 in flight; the
  client goes first in every round, since the floor needs its packing;
- bulk status: one single status request per message, 14 in flight (no mass request: the
  client's one mass request a minute is its own gain); client and floor in an order that
  rotates from round to round.

Every round (two by default: "measured twice") sends to fresh recipients, so no message is
asked for more than SMSC's five status requests a minute. The ratio is client wall time over
the floor's, per round; requests issued are counted at the client.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from smsc_async import RateLimitedError, SMSCClient
from smsc_async._endpoints import Endpoint
from smsc_async.bulk import DEFAULT_MAX_REQUEST_BYTES, BulkSendItem, _form_size, _room

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, emulator_process, machine, ratios, report, rotated, spread

LOGIN, PASSWORD = "demo", "demo-password"
IN_FLIGHT = 14
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


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


def messages(n: int, first: int = 0) -> list[tuple[str, str]]:
    return [
        (f"+7999{i:07d}", f"Заказ {i} готов к выдаче, код {i * 7919 % 10000:04d}")
        for i in range(first, first + n)
    ]


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run_pool(
    bodies: Sequence[bytes],
    url: str,
    session: aiohttp.ClientSession,
    decoder: msgspec.json.Decoder[Any],
) -> None:
    """POST every pre-encoded body, 14 at a time, and decode each answer."""
    todo = iter(bodies)

    async def worker() -> None:
        for body in todo:
            async with session.post(url, data=body, headers=FORM_HEADERS) as resp:
                answer = decoder.decode(await resp.read())
                if isinstance(answer, dict) or getattr(answer, "status", 0) is None:
                    raise RuntimeError(f"unexpected answer {answer!r}")

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


AUTH = {"login": LOGIN, "psw": PASSWORD, "fmt": "3", "charset": "utf-8"}


async def one_round(
    smsc: CountingClient,
    session: aiohttp.ClientSession,
    base_url: str,
    wanted: list[tuple[str, str]],
    round_no: int,
) -> dict[str, float]:
    """Send ``wanted`` and ask each status, client and floor in the round's (rotating) order."""
    out: dict[str, float] = {}
    smsc.counts.clear()
    started = time.perf_counter()
    results = await smsc.bulk.send(wanted)
    out["send_client"] = time.perf_counter() - started
    out["send_requests"] = smsc.counts["send"]
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} messages failed, first: {failed[0].error!r}")
    # The floor's send: the very bodies the client packed, with fresh ids, encoded beforehand.
    by_request: dict[int | str, list[BulkSendItem]] = collections.defaultdict(list)
    for item in results:
        by_request[item.id].append(item)
    send_bodies = [
        urlencode(
            {
                **AUTH,
                "op": "1",
                "translit": "0",  # else SMSC's rule sees the client's identical send again
                "id": f"raw{round_no}-{k}",
                "list": "\n".join(f"{wanted[i.index][0]}:{wanted[i.index][1]}" for i in items),
            }
        ).encode()
        for k, items in enumerate(by_request.values())
    ]
    pairs = [(r.id, r.phone) for r in results]
    status_bodies = [urlencode({**AUTH, "id": str(i), "phone": p}).encode() for i, p in pairs]

    async def raw_send() -> None:
        started = time.perf_counter()
        await run_pool(send_bodies, f"{base_url}/sys/send.php", session, SENT)
        out["send_raw"] = time.perf_counter() - started

    async def client_status() -> None:
        smsc.counts.clear()
        started = time.perf_counter()
        got = 0
        async for _ in smsc.bulk.iter_statuses(pairs):
            got += 1
        out["status_client"] = time.perf_counter() - started
        if got != len(pairs):
            raise RuntimeError(f"{got} statuses for {len(pairs)} messages")
        out["status_requests"] = sum(smsc.counts.values())
        out["status_mass"] = smsc.counts["status_mass"]

    async def raw_status() -> None:
        started = time.perf_counter()
        await run_pool(status_bodies, f"{base_url}/sys/status.php", session, STATUS)
        out["status_raw"] = time.perf_counter() - started

    await raw_send()
    for job in rotated([client_status, raw_status], round_no):
        await job()
    return out


SENT = msgspec.json.Decoder(RawSent)
STATUS = msgspec.json.Decoder(RawStatus)


async def measure(base_url: str, n: int, rounds: int) -> tuple[list[dict[str, float]], float]:
    runs: list[dict[str, float]] = []
    async with (
        CountingClient(LOGIN, PASSWORD, base_url=base_url, timeout=120) as smsc,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        await smsc.get_balance()  # open the connections
        before = rss_mib()
        for round_no in range(rounds):
            # Fresh recipients each round: SMSC allows five status requests a minute per message.
            wanted = messages(n, first=round_no * n)
            runs.append(await one_round(smsc, session, base_url, wanted, round_no))
        growth = rss_mib() - before
    return runs, growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="messages (default 100000)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (default 2)")
    args = parser.parse_args()
    with emulator_process("--balance", "1e9") as base_url:
        runs, growth = asyncio.run(measure(base_url, args.n, args.rounds))
    least = math.ceil(
        sum(_form_size(f"{p}:{t}") + 3 for p, t in messages(args.n))
        / _room(DEFAULT_MAX_REQUEST_BYTES, {"op": "1"}, "list")
    )
    print(
        f"\nbulk work against the emulator (rules on, its own process): {args.n:,} messages a"
        f" round, {args.rounds} rounds (status: client and floor in rotating order); seconds"
        f" min–median–max\n{machine()}\n"
    )
    send_ratio = ratios([r["send_client"] for r in runs], [r["send_raw"] for r in runs])
    status_ratio = ratios([r["status_client"] for r in runs], [r["status_raw"] for r in runs])
    print("| job | requests issued (per round) | client wall | raw floor | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| bulk send (personalised) | {spread([r['send_requests'] for r in runs])}"
        f" (the 256 KiB bound allows >= {least})"
        f" | {spread([r['send_client'] for r in runs], '{:.2f}')} s"
        f" | {spread([r['send_raw'] for r in runs], '{:.2f}')} s"
        f" | {spread(send_ratio, '{:.3f}')} |"
    )
    print(
        f"| bulk status | {spread([r['status_requests'] for r in runs])}"
        f" ({spread([r['status_mass'] for r in runs])} mass)"
        f" | {spread([r['status_client'] for r in runs], '{:.2f}')} s"
        f" | {spread([r['status_raw'] for r in runs], '{:.2f}')} s"
        f" | {spread(status_ratio, '{:.3f}')} |"
    )
    per_s = [args.n / r["status_client"] for r in runs]
    print(f"\nclient RSS growth over all rounds: {growth:.0f} MiB")
    print(
        f"messages per second: send {spread([args.n / r['send_client'] for r in runs])},"
        f" status {spread(per_s)}"
    )
    status_median = statistics.median(status_ratio)
    report(
        "bulk",
        [
            Target(
                name=f"bulk status of {args.n:,} messages / raw floor (single requests, 14 in"
                " flight)",
                measured=(
                    f"{spread([r['status_client'] for r in runs], '{:.2f}')} s against"
                    f" {spread([r['status_raw'] for r in runs], '{:.2f}')} s; ratio"
                    f" {spread(status_ratio, '{:.3f}')}"
                ),
                ratio=status_median,
                goal="<= 1.05",
                met=status_median <= 1.05,
            ),
            Target(
                name=f"bulk send of {args.n:,} messages / raw floor (the same bodies)",
                measured=(
                    f"{spread([r['send_client'] for r in runs], '{:.2f}')} s against"
                    f" {spread([r['send_raw'] for r in runs], '{:.2f}')} s;"
                    f" {spread([r['send_requests'] for r in runs])} requests (>= {least})"
                ),
                ratio=statistics.median(send_ratio),
                goal="reported",
                met=None,
            ),
        ],
    )


if __name__ == "__main__":
    main()
