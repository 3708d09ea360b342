"""Per-request cost of the client against the leanest raw aiohttp + msgspec, on one emulator.

Run with ``nox -s bench`` (or ``python tests/bench/bench_requests.py [-n N] [--rounds R]``).

- The emulator runs in its own process with its rules off and keeps nothing per request
  (``python -m smsc_async.emulator`` records no requests), so round 11 meets the same server
  as round 1. Every request asks the status of a different message (unknown to the emulator:
  the answer is the same short JSON each time), so the client's per-message rule never waits.
- The raw baseline is as lean as aiohttp allows: the form bodies are encoded before the clock
  starts, each is POSTed as bytes with a fixed header dict, the answer is read whole and
  decoded by a msgspec decoder into a Struct. ``raw, dict form`` is aiohttp encoding the same
  form from a dict itself (what a hand-written client usually does), shown for reference.
- Each round runs every contender once, in an order that rotates from round to round; the
  client's ratio is taken per round (client over lean raw of the same round), and the median
  ratio is judged. Figures are microseconds per request, min–median–max over the rounds.
- Where the difference goes (14 in flight, the same rounds): the client with a gate that
  admits everything at once (``gate=`` a no-op; no rule, no cap), and the client's ``_post``
  alone (the gate, the form and the transport, without validation, the shared-read path or
  decoding into the typed result). Differences taken within each round, reported, not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

import aiohttp
import msgspec

from smsc_async import SMSCClient, WaitPolicy
from smsc_async._endpoints import STATUS
from smsc_async._limits import Charge

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, emulator_process, machine, ratios, report, rotated, spread

LOGIN, PASSWORD = "demo", "demo-password"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
GOALS = {"sequential": 1.10, "14 in flight": 1.15}


class RawStatus(msgspec.Struct):
    status: int
    err: int = 0


class _Admitted:
    """A ticket and its block: admitted at once, nothing to free."""

    def refund(self) -> None:
        """Nothing was taken."""

    async def __aenter__(self) -> _Admitted:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class OpenGate:
    """A gate that admits every request at once: what the client costs without its gate."""

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = 14,
        timeout: float | None = None,
    ) -> _Admitted:
        return _Admitted()


Call = Callable[[int], Awaitable[None]]


async def run_batch(call: Call, first: int, n: int, concurrency: int) -> float:
    """Run calls ``first`` .. ``first + n - 1`` with ``concurrency`` workers; return s/request."""
    counter = iter(range(first, first + n))

    async def worker() -> None:
        for i in counter:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - start) / n


def phone(i: int) -> str:
    return f"+7999{i:07d}"


def form(i: int) -> dict[str, str]:
    return {
        "login": LOGIN,
        "psw": PASSWORD,
        "id": str(i),
        "phone": phone(i),
        "fmt": "3",
        "charset": "utf-8",
    }


async def measure(
    base_url: str, n: int, rounds: int, modes: list[tuple[str, int]]
) -> dict[str, dict[str, list[float]]]:
    """Return seconds per request: mode -> contender -> one figure per round."""
    decoder = msgspec.json.Decoder(RawStatus)
    url = f"{base_url}/sys/status.php"
    times: dict[str, dict[str, list[float]]] = {}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url, max_retries=0) as smsc,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url, max_retries=0, gate=OpenGate()) as open_,
    ):
        bodies: dict[int, bytes] = {}

        async def raw(i: int) -> None:
            async with session.post(url, data=bodies.pop(i), headers=FORM_HEADERS) as resp:
                decoder.decode(await resp.read())

        async def raw_dict(i: int) -> None:
            async with session.post(url, data=form(i)) as resp:
                decoder.decode(await resp.read())

        async def client(i: int) -> None:
            await smsc.get_status(i, phone(i))

        async def no_gate(i: int) -> None:
            await open_.get_status(i, phone(i))

        async def post_only(i: int) -> None:
            await smsc._post(STATUS, {"id": str(i), "phone": phone(i)})

        contenders: list[tuple[str, Call]] = [
            ("raw", raw),
            ("raw, dict form", raw_dict),
            ("client", client),
            ("client, no gate", no_gate),
            ("client _post only", post_only),
        ]
        next_id = 1  # message ids start at 1
        for label, concurrency in modes:
            times[label] = {name: [] for name, _ in contenders}
            for round_no in range(-1, rounds):  # round -1 warms connections and caches
                for name, call in rotated(contenders, max(round_no, 0)):
                    first, next_id = next_id, next_id + n
                    if call is raw:
                        bodies = {
                            i: urlencode(form(i)).encode("ascii") for i in range(first, next_id)
                        }
                    seconds = await run_batch(call, first, n, concurrency)
                    if round_no >= 0:
                        times[label][name].append(seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="requests per round and contender")
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    modes = [("sequential", 1), ("14 in flight", 14)]
    with emulator_process("--no-rules") as base_url:
        times = asyncio.run(measure(base_url, args.n, args.rounds, modes))
    print(
        f"\nstatus.php against the emulator: {args.n} requests per contender and round,"
        f" {args.rounds} rounds, rotating order; µs per request, min–median–max\n{machine()}\n"
    )
    print("| mode | raw (pre-encoded) | raw, dict form | SMSCClient | client / raw (per round) |")
    print("|---|---|---|---|---|")
    targets: list[Target] = []
    for label, _ in modes:
        got = times[label]
        us = {name: [s * 1e6 for s in values] for name, values in got.items()}
        per_round = ratios(got["client"], got["raw"])
        print(
            f"| {label} | {spread(us['raw'])} | {spread(us['raw, dict form'])} |"
            f" {spread(us['client'])} | {spread(per_round, '{:.3f}')} |"
        )
        median = statistics.median(per_round)
        extra = statistics.median(us["client"]) - statistics.median(us["raw"])
        targets.append(
            Target(
                name=f"per-request cost, {label} (client / lean raw aiohttp + msgspec)",
                measured=(
                    f"{spread(us['client'])} µs against {spread(us['raw'])} µs"
                    f" ({extra:+.0f} µs); ratio {spread(per_round, '{:.3f}')}"
                ),
                ratio=median,
                goal=f"<= {GOALS[label]:.2f}",
                met=median <= GOALS[label],
            )
        )
    at14 = times["14 in flight"]

    def within(a: str, b: str, minus: str = "", plus: str = "") -> str:
        """min–median–max over rounds of a − b (− c + d) within each round, in µs."""
        values = []
        for k in range(len(at14["raw"])):
            value = at14[a][k] - at14[b][k]
            if minus:
                value -= at14[minus][k] - at14[plus][k]
            values.append(value * 1e6)
        return spread(values, "{:+.1f}")

    print(
        "\nwhere the difference goes at 14 in flight (differences within each round, µs per"
        " request, min–median–max):"
        f"\n- the gate (client − client without it): {within('client', 'client, no gate')}"
        "\n- validation, the shared-read path and typed decoding (client − its _post alone):"
        f" {within('client', 'client _post only')}"
        "\n- the rest of _post: the rule identity, the form, the transport (its _post alone"
        f" − raw − the gate): {within('client _post only', 'raw', 'client', 'client, no gate')}"
    )
    report("requests", targets)


if __name__ == "__main__":
    main()
