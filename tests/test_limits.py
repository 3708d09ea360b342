"""The limits gate on virtual time (looptime): windows, concurrency, policies, cleanup."""

from __future__ import annotations

import asyncio
import gc
import random
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from smsc_async import _limits
from smsc_async._limits import (
    CONCURRENCY_RULE,
    MAX_IN_FLIGHT,
    Charge,
    GateStats,
    LocalGate,
    Rule,
    WaitPolicy,
    charges_for,
)
from smsc_async.errors import RateLimitedError

ACCOUNT = "smsc.ru|alice"
WAIT = WaitPolicy()
RAISE = WaitPolicy(on_limit="raise")
CREDS = {"login": "alice", "psw": "secret", "fmt": "3", "charset": "utf-8"}


@dataclass
class Record:
    start: float
    end: float
    charges: tuple[Charge, ...]


@dataclass
class Recorder:
    """Runs requests through a gate and records what the server would have seen."""

    gate: LocalGate = field(default_factory=LocalGate)
    records: list[Record] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def request(
        self,
        charges: Sequence[Charge] = (),
        duration: float = 0.0,
        *,
        policy: WaitPolicy = WAIT,
        cap: int = MAX_IN_FLIGHT,
        account: str = ACCOUNT,
        label: str = "",
        gate: LocalGate | None = None,
    ) -> Record:
        loop = asyncio.get_running_loop()
        async with (gate or self.gate).admit(account, charges, policy, max_in_flight=cap):
            start = loop.time()
            self.order.append(label)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(duration)
            finally:
                self.in_flight -= 1
            end = loop.time()
        record = Record(start, end, tuple(charges))
        self.records.append(record)
        return record


def check_rule(records: Sequence[Record], rule: Rule) -> int:
    """Assert SMSC's view of ``rule`` holds; return how many requests the rule held back.

    Whatever moment in [start, end] a request reaches SMSC, no window of ``period`` seconds may
    see more than ``limit`` arrivals of one key. That is true exactly when no start finds
    ``limit`` other requests of its key that started no later and ended less than a period ago
    (any such set could arrive together). This is the strong property in the form that holds
    with overlapping requests of random durations: "start[k + N] >= end[k] + period" with k
    counted in start order is stricter than SMSC needs once a later-started request can finish
    first (see test_equal_durations_keep_k_plus_n_after_k_completion for that form).
    """
    by_key: defaultdict[bytes, list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        for charge in set(record.charges):  # a charge listed twice is one charge
            if charge.rule == rule:
                by_key[charge.key].append((record.start, record.end))
    held_back = 0
    for spans in by_key.values():
        starts = sorted(start for start, _ in spans)
        for i in range(len(starts) - rule.limit):
            assert starts[i + rule.limit] - starts[i] > rule.period, (rule.name, starts[i])
        for j, (start_j, _) in enumerate(spans):
            hot = [
                i
                for i, (start_i, end_i) in enumerate(spans)
                if i != j and start_i <= start_j and end_i > start_j - rule.period
            ]
            assert len(hot) < rule.limit, (rule.name, start_j, [spans[i] for i in hot])
        held_back += max(0, len(spans) - rule.limit)
    return held_back


# --- the window properties, for every rule kind ---------------------------------------------

FieldMaker = Callable[[random.Random], dict[str, str]]
HOT_PHONES = ["79990000001", "79990000002", "79990000003"]


def _send(rng: random.Random) -> dict[str, str]:
    mes = rng.choice(["hello", "code 1234"])
    return {**CREDS, "phones": rng.choice(HOT_PHONES), "mes": mes, "id": str(rng.random())}


def _status(rng: random.Random) -> dict[str, str]:
    msg_id = rng.choice(["17", "18"])
    return {**CREDS, "id": rng.choice([msg_id, msg_id + ","]), "phone": rng.choice(HOT_PHONES)}


def _operator(rng: random.Random) -> dict[str, str]:
    pool = HOT_PHONES if rng.random() < 0.3 else [f"7999{n:07}" for n in range(150)]
    return {**CREDS, "get_operator": "1", "phone": rng.choice(pool)}


def _list(rng: random.Random) -> dict[str, str]:
    return {**CREDS, "get": "1", "page": rng.choice(["1", "2"])}


SCENARIOS: dict[str, tuple[FieldMaker, int]] = {
    "send": (_send, 120),
    "send_cost": (lambda rng: {**_send(rng), "cost": "1", "id": ""}, 150),
    "status": (_status, 150),
    "status_mass": (lambda rng: {**CREDS, "id": "1,2,", "phone": "7,8,"}, 40),
    "balance": (lambda rng: dict(CREDS), 150),
    "get_stat": (lambda rng: {**CREDS, "get_stat": "1", "start": rng.choice("ab")}, 80),
    "info_operator": (_operator, 400),
    "phones": (_list, 120),
    "receive_phones": (_list, 100),
    "jobs": (_list, 60),
    "downloads": (_list, 100),
    "no_such_endpoint": (_list, 100),
}


@pytest.mark.asyncio
@pytest.mark.looptime
@pytest.mark.parametrize("endpoint", sorted(SCENARIOS))
async def test_no_window_ever_sees_more_than_the_limit(endpoint: str) -> None:
    make_fields, count = SCENARIOS[endpoint]
    rng = random.Random(f"limits-{endpoint}")
    recorder = Recorder()

    async def one(arrival: float, fields: dict[str, str], duration: float) -> None:
        await asyncio.sleep(arrival)
        await recorder.request(charges_for(endpoint, fields), duration)

    jobs = []
    for _ in range(count):
        # A mix of instant, short and long requests, partly arriving in bursts.
        duration = rng.choice([0.0, rng.uniform(0, 0.5), rng.uniform(0, 3), rng.uniform(0, 40)])
        arrival = rng.choice([0.0, rng.uniform(0, 120), rng.uniform(0, 600)])
        jobs.append(one(arrival, make_fields(rng), duration))
    await asyncio.gather(*jobs)

    assert len(recorder.records) == count
    assert recorder.max_in_flight <= MAX_IN_FLIGHT
    for charge in recorder.records[0].charges:
        # check_rule asserts the windows; > 0 proves the scenario pushed against every rule.
        assert check_rule(recorder.records, charge.rule) > 0, charge.rule.name
    assert recorder.gate.stats(ACCOUNT).in_flight == 0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_equal_durations_keep_k_plus_n_after_k_completion() -> None:
    # With equal durations completions come in start order, and the textbook form holds:
    # start[k + N] >= end[k] + period (+ margin).
    recorder = Recorder()
    charges = charges_for("phones", {"get": "1"})
    await asyncio.gather(*(recorder.request(charges, 7.0) for _ in range(12)))
    records = sorted(recorder.records, key=lambda r: r.start)
    for k in range(len(records) - 3):
        assert records[k + 3].start >= records[k].end + 60.0 + 1.0
    assert records[-1].start == pytest.approx(3 * (7.0 + 61.0))  # and not a second later


@pytest.mark.asyncio
@pytest.mark.looptime
@pytest.mark.parametrize("margin", [1.0, 0.0, 2.5])
async def test_the_next_slot_opens_exactly_at_completion_plus_period_plus_margin(
    margin: float,
) -> None:
    recorder = Recorder(gate=LocalGate(margin=margin))
    balance = charges_for("balance", {})
    firsts = await asyncio.gather(*(recorder.request(balance, 5.0 + i) for i in range(10)))
    assert [r.start for r in firsts] == [0.0] * 10  # no needless spacing inside the limit
    eleventh = await recorder.request(balance)
    assert eleventh.start == pytest.approx(5.0 + 60.0 + margin)


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_at_most_fourteen_in_flight_and_the_fifteenth_waits() -> None:
    recorder = Recorder()
    tasks = [asyncio.create_task(recorder.request((), 10.0)) for _ in range(40)]
    await asyncio.sleep(1)
    assert recorder.in_flight == 14
    stats = recorder.gate.stats(ACCOUNT)
    assert (stats.in_flight, stats.waiting) == (14, 26)
    await asyncio.gather(*tasks)
    assert recorder.max_in_flight == 14
    assert sorted({r.start for r in recorder.records}) == [0.0, 10.0, 20.0]
    assert recorder.gate.stats(ACCOUNT) == GateStats(in_flight=0, waiting=0, live_keys=0)


@pytest.mark.asyncio
@pytest.mark.looptime
@pytest.mark.parametrize(("cap", "expected"), [(3, 3), (1, 1), (14, 14), (50, 14)])
async def test_a_caller_cap_is_honoured_and_never_above_fourteen(cap: int, expected: int) -> None:
    recorder = Recorder()
    await asyncio.gather(*(recorder.request((), 2.0, cap=cap) for _ in range(30)))
    assert recorder.max_in_flight == expected


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_callers_with_different_caps_each_wait_for_their_own_cap_in_fifo_order() -> None:
    recorder = Recorder()
    long_ones = [asyncio.create_task(recorder.request((), 10.0 * (i + 1))) for i in range(3)]
    await asyncio.sleep(0)
    low = asyncio.create_task(recorder.request((), 1.0, cap=2, label="low"))
    await asyncio.sleep(0)
    # Strict FIFO: the cap-14 caller queues behind the cap-2 one, which cannot be starved.
    high = asyncio.create_task(recorder.request((), 1.0, label="high"))
    await asyncio.sleep(15)
    assert recorder.in_flight == 2  # one finished at 10 s; the cap-2 caller still waits
    assert recorder.gate.stats(ACCOUNT).waiting == 2
    await asyncio.gather(*long_ones)
    assert ((await low).start, (await high).start) == (20.0, 20.0)
    assert recorder.order == ["", "", "", "low", "high"]


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        LocalGate().admit(ACCOUNT, (), WAIT, max_in_flight=0)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_two_gates_in_one_loop_share_an_account() -> None:
    first, second = LocalGate(), LocalGate()
    recorder = Recorder(gate=first)
    send = charges_for("send", {"phones": "79990000001", "mes": "hi", "id": "1"})
    same_send = charges_for("send", {"phones": "79990000001", "mes": "hi", "id": "2"})
    await recorder.request(send, 4.0)
    with pytest.raises(RateLimitedError):
        await recorder.request(same_send, policy=RAISE, gate=second)
    later = await recorder.request(same_send, gate=second)
    assert later.start == 65.0

    recorder.max_in_flight = 0
    await asyncio.gather(
        *(recorder.request((), 3.0, gate=first if i % 2 else second) for i in range(30))
    )
    assert recorder.max_in_flight == 14


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_accounts_are_independent() -> None:
    recorder = Recorder()
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    records = await asyncio.gather(
        recorder.request(send, 1.0, account="smsc.ru|alice"),
        recorder.request(send, 1.0, account="smsc.ru|bob"),
        recorder.request(send, 1.0, account="smsc.kz|alice"),
        *(recorder.request((), 5.0, account=f"smsc.ru|u{i}") for i in range(20)),
    )
    assert {r.start for r in records} == {0.0}
    assert recorder.max_in_flight == 23


# --- policies --------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_raise_mode_reports_when_to_retry() -> None:
    loop = asyncio.get_running_loop()
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    running = asyncio.create_task(recorder.request(send, 10.0))
    await asyncio.sleep(2)
    with pytest.raises(RateLimitedError) as in_flight:
        await recorder.request(send, policy=RAISE)
    # Still in flight: its completion is unknown, so the estimate is period + margin.
    assert (in_flight.value.retry_after, in_flight.value.rule) == (61.0, "send.identical")
    assert gate.stats(ACCOUNT) == GateStats(1, 0, 1)  # nothing reserved
    await running
    await asyncio.sleep(10)
    with pytest.raises(RateLimitedError) as stamped:
        await recorder.request(send, policy=RAISE)
    assert stamped.value.retry_after == pytest.approx(10.0 + 61.0 - 20.0)
    await asyncio.sleep(stamped.value.retry_after)
    passed = await recorder.request(send, policy=RAISE)
    assert passed.start == loop.time() == 71.0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_raise_mode_reserves_nothing_when_any_charge_is_blocked() -> None:
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    first, second = Rule("t.first", 1), Rule("t.second", 1)
    a, b = Charge(first, b"a"), Charge(second, b"b")
    await recorder.request([b])
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request([a, b], policy=RAISE)
    assert refused.value.rule == "t.second"
    assert gate.stats(ACCOUNT).live_keys == 1  # no log for "a" was left behind
    await recorder.request([a], policy=RAISE)  # "a" was not reserved by the refused request


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_raise_mode_names_the_blocking_rule_of_several() -> None:
    recorder = Recorder()
    await asyncio.gather(
        *(
            recorder.request(charges_for("info_operator", {"phone": f"7999{n:07}"}))
            for n in range(100)
        )
    )
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request(charges_for("info_operator", {"phone": "7000"}), policy=RAISE)
    assert (refused.value.rule, refused.value.retry_after) == ("info_operator.any", 61.0)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_max_wait_raises_at_once_when_the_estimate_is_too_long() -> None:
    loop = asyncio.get_running_loop()
    recorder = Recorder()
    jobs = charges_for("jobs", {"get": "1"})
    await recorder.request(jobs, 3.0)
    before = loop.time()
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request(jobs, policy=WaitPolicy(max_wait=30.0))
    assert loop.time() == before  # did not wait first
    assert (refused.value.rule, refused.value.retry_after) == ("jobs.identical", 61.0)
    assert recorder.gate.stats(ACCOUNT).waiting == 0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_max_wait_waits_when_the_estimate_is_short() -> None:
    recorder = Recorder()
    jobs = charges_for("jobs", {"get": "1"})
    await recorder.request(jobs, 3.0)
    await asyncio.sleep(50)
    passed = await recorder.request(jobs, policy=WaitPolicy(max_wait=15.0))
    assert passed.start == 64.0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_estimates_count_the_callers_queued_ahead() -> None:
    recorder = Recorder()
    jobs = charges_for("jobs", {"get": "1"})
    await recorder.request(jobs, 1.0)  # stamped until 62
    queued = asyncio.create_task(recorder.request(jobs, 1.0))  # gets 62, stamped until >= 124
    await asyncio.sleep(10)
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request(jobs, policy=WaitPolicy(max_wait=60.0))
    assert refused.value.retry_after == 62.0 + 61.0 - 11.0  # a lower bound: 0 s requests
    with pytest.raises(RateLimitedError) as raised:
        await recorder.request(jobs, policy=RAISE)
    assert raised.value.retry_after == 62.0 + 61.0 - 11.0
    await queued
    assert (await recorder.request(jobs)).start == 124.0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_max_wait_bounds_the_total_wait_and_leaves_nothing_behind() -> None:
    loop = asyncio.get_running_loop()
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    jobs = charges_for("jobs", {"get": "1"})
    blocker = asyncio.create_task(recorder.request(jobs, 200.0))
    await asyncio.sleep(0)
    # The estimate (61 s, the blocker's completion being unknown) fits, the real wait does not.
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request(jobs, policy=WaitPolicy(max_wait=100.0))
    assert loop.time() == 100.0
    assert refused.value.rule == "jobs.identical"
    assert refused.value.retry_after == 61.0
    assert gate.stats(ACCOUNT) == GateStats(1, 0, 1)
    await blocker
    after = await recorder.request(jobs)
    assert after.start == 261.0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_max_wait_also_bounds_the_concurrency_wait() -> None:
    loop = asyncio.get_running_loop()
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    busy = [asyncio.create_task(recorder.request((), 30.0)) for _ in range(14)]
    await asyncio.sleep(0)
    jobs = charges_for("jobs", {"get": "1"})
    with pytest.raises(RateLimitedError) as refused:
        await recorder.request(jobs, policy=WaitPolicy(max_wait=5.0))
    assert loop.time() == 5.0
    assert refused.value.rule == CONCURRENCY_RULE
    assert gate.stats(ACCOUNT).waiting == 0
    assert gate.stats(ACCOUNT).live_keys == 0  # the jobs slot it had reserved was released
    await asyncio.gather(*busy)
    await recorder.request(jobs, policy=RAISE)


def test_policy_rule_and_gate_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="limit"):
        Rule("x", 0)
    with pytest.raises(ValueError, match="period"):
        Rule("x", 1, period=0.0)
    with pytest.raises(ValueError, match="max_wait"):
        WaitPolicy(max_wait=-1.0)
    with pytest.raises(ValueError, match="max_wait"):
        WaitPolicy(max_wait=float("nan"))
    with pytest.raises(ValueError, match="margin"):
        LocalGate(margin=-0.5)
    assert LocalGate(margin=2).margin == 2.0


# --- refunds, failures, cancellation ---------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_refund_releases_the_slot_at_once() -> None:
    loop = asyncio.get_running_loop()
    gate = LocalGate()
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    async with gate.admit(ACCOUNT, send, WAIT) as ticket:
        await asyncio.sleep(3)
        ticket.refund()
        ticket.refund()  # idempotent
        async with gate.admit(ACCOUNT, send, RAISE):  # e.g. a retry after "connection refused"
            pass
    with pytest.raises(RateLimitedError):  # the retry was stamped, the refunded one was not
        async with gate.admit(ACCOUNT, send, RAISE):
            pass
    await asyncio.sleep(61)
    async with gate.admit(ACCOUNT, send, RAISE):
        assert loop.time() == 64.0
    with pytest.raises(RuntimeError, match="refund"):
        ticket.refund()


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_refund_wakes_a_waiter() -> None:
    recorder = Recorder()
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    waiter = asyncio.create_task(recorder.request(send, label="waiter"))
    async with recorder.gate.admit(ACCOUNT, send, WAIT) as ticket:
        await asyncio.sleep(1)
        assert not waiter.done()
        await asyncio.sleep(4)
        ticket.refund()
        await asyncio.sleep(0)
    assert (await waiter).start == 5.0


@pytest.mark.asyncio
@pytest.mark.looptime
@pytest.mark.parametrize("failure", [ValueError, asyncio.CancelledError])
async def test_a_failing_body_still_stamps(failure: type[BaseException]) -> None:
    gate = LocalGate()
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})

    async def failing_request() -> None:
        async with gate.admit(ACCOUNT, send, WAIT):
            await asyncio.sleep(2)
            raise failure

    with pytest.raises(failure):
        await failing_request()
    assert gate.stats(ACCOUNT).in_flight == 0
    await asyncio.sleep(10)
    with pytest.raises(RateLimitedError) as refused:
        async with gate.admit(ACCOUNT, send, RAISE):
            pass
    assert refused.value.retry_after == 2.0 + 61.0 - 12.0  # stamped when the body failed
    await asyncio.sleep(refused.value.retry_after)
    async with gate.admit(ACCOUNT, send, RAISE):
        pass


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancelling_a_rate_waiter_leaks_nothing() -> None:
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    await recorder.request(send, 1.0)
    cancelled = asyncio.create_task(recorder.request(send, label="cancelled"))
    behind = asyncio.create_task(recorder.request(send, label="behind"))
    await asyncio.sleep(10)
    assert gate.stats(ACCOUNT).waiting == 2
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert gate.stats(ACCOUNT).waiting == 1
    assert (await behind).start == 62.0  # took the freed slot; nothing else held it
    assert recorder.order == ["", "behind"]
    await asyncio.sleep(62)
    stats = gate.stats(ACCOUNT)
    assert (stats.in_flight, stats.waiting) == (0, 0)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancelling_a_concurrency_waiter_releases_its_rate_slots() -> None:
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    busy = [asyncio.create_task(recorder.request((), 30.0)) for _ in range(14)]
    await asyncio.sleep(0)
    jobs = charges_for("jobs", {"get": "1"})
    stuck = asyncio.create_task(recorder.request(jobs))
    await asyncio.sleep(5)
    assert gate.stats(ACCOUNT) == GateStats(14, 1, 1)
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    assert gate.stats(ACCOUNT) == GateStats(14, 0, 0)
    await asyncio.gather(*busy)
    await recorder.request(jobs, policy=RAISE)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_mass_cancellation_leaves_clean_queues() -> None:
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    jobs = charges_for("jobs", {"get": "1"})
    busy = [asyncio.create_task(recorder.request(jobs if i == 0 else (), 30.0)) for i in range(14)]
    await asyncio.sleep(0)
    on_rate = [asyncio.create_task(recorder.request(jobs)) for _ in range(2000)]
    on_cap = [
        asyncio.create_task(recorder.request(charges_for("phones", {"n": str(n)})))
        for n in range(2000)
    ]
    await asyncio.sleep(1)
    assert gate.stats(ACCOUNT) == GateStats(14, 4000, 2001)
    doomed = on_rate + on_cap
    random.Random(7).shuffle(doomed)
    for task in doomed:
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)
    assert gate.stats(ACCOUNT) == GateStats(14, 0, 1)
    # White-box: the queues hold no dead entries either, although "jobs" is still occupied.
    state = _limits._REGISTRY[asyncio.get_running_loop()][ACCOUNT]
    assert not state.queue
    assert not state.waits  # the loop's rate queues went with their last waiter
    assert not state.core.cap_heads
    assert [len(s.heads) for t in state.core.logs.values() for s in t.values()] == [0]
    await asyncio.gather(*busy)
    assert (await recorder.request(jobs)).start == 30.0 + 61.0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_cancellation_landing_after_the_grant_gives_the_slot_back() -> None:
    gate = LocalGate()
    recorder = Recorder(gate=gate)
    jobs = charges_for("jobs", {"get": "1"})
    async with gate.admit(ACCOUNT, (), WAIT, max_in_flight=1):
        late = asyncio.create_task(recorder.request(jobs, cap=1))
        await asyncio.sleep(1)
        assert gate.stats(ACCOUNT).waiting == 1
    late.cancel()  # the exit above already handed the slot to `late`, which has not run yet
    with pytest.raises(asyncio.CancelledError):
        await late
    assert gate.stats(ACCOUNT) == GateStats(0, 0, 0)
    await recorder.request(jobs, policy=RAISE)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_waiters_of_one_key_are_served_in_arrival_order() -> None:
    recorder = Recorder()
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(recorder.request(send, 1.0, label=str(i))))
        await asyncio.sleep(0.5)
    await asyncio.gather(*tasks)
    assert recorder.order == ["0", "1", "2", "3", "4", "5"]
    assert [r.start for r in recorder.records] == [0.0, 62.0, 124.0, 186.0, 248.0, 310.0]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_overlapping_charges_in_any_order_do_not_deadlock() -> None:
    recorder = Recorder()
    one, two = Rule("t.one", 1), Rule("t.two", 1)
    a, b = Charge(one, b"k"), Charge(two, b"k")
    async with asyncio.timeout(10_000):
        await asyncio.gather(
            *(recorder.request([a, b] if i % 2 else [b, a, b], 1.0) for i in range(10))
        )
    assert check_rule(recorder.records, one) == check_rule(recorder.records, two) == 9


def test_an_admission_cannot_be_entered_twice() -> None:
    async def main() -> None:
        admission = LocalGate().admit(ACCOUNT, (), WAIT)
        async with admission:
            pass
        with pytest.raises(RuntimeError, match="once"):
            async with admission:
                pass

    asyncio.run(main())


# --- memory and loops ------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_idle_keys_are_evicted_so_memory_follows_what_is_live() -> None:
    gate = LocalGate()
    per_batch, gap = 100, 1.5
    hold = 60.0 + 1.0
    live = int(hold / gap + 1) * per_batch  # requests stamped within the last period + margin
    peak = 0
    for batch in range(200):  # 20,000 distinct sends over 300 virtual seconds
        for n in range(per_batch):
            fields = {"phones": "79990000001", "mes": f"code {batch}-{n}"}
            async with gate.admit(ACCOUNT, charges_for("send", fields), WAIT):
                pass
        peak = max(peak, gate.stats(ACCOUNT).live_keys)
        await asyncio.sleep(gap)
    assert live - per_batch <= peak <= live + per_batch  # expired keys go at once
    await asyncio.sleep(3600)
    for n in range(256):
        async with gate.admit(ACCOUNT, charges_for("balance", {"n": str(n)}), WAIT):
            pass
    assert gate.stats(ACCOUNT).live_keys == 1  # only balance.any is still live


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_key_goes_with_the_first_admission_after_it_expired() -> None:
    gate = LocalGate()
    for n in range(300):  # one sweep ran at the 256th; 44 admissions since
        fields = {"id": str(n), "phone": "79990000001"}
        async with gate.admit(ACCOUNT, charges_for("status", fields), WAIT):
            pass
    assert gate.stats(ACCOUNT).live_keys == 300
    await asyncio.sleep(61.5)
    async with gate.admit(ACCOUNT, charges_for("status", {"id": "x", "phone": "1"}), WAIT):
        pass
    assert gate.stats(ACCOUNT).live_keys == 1  # no sweep was due: the expired went one by one


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_eviction_never_drops_a_key_that_is_still_occupied() -> None:
    gate = LocalGate()
    kept = charges_for("send", {"phones": "79990000001", "mes": "keep me"})
    async with gate.admit(ACCOUNT, kept, WAIT):
        pass
    await asyncio.sleep(30)
    for n in range(3000):  # several sweeps run meanwhile
        async with gate.admit(ACCOUNT, charges_for("send", {"mes": str(n)}), WAIT):
            pass
        await asyncio.sleep(0.01)
    with pytest.raises(RateLimitedError):
        async with gate.admit(ACCOUNT, kept, RAISE):
            pass


def test_asyncio_runs_share_rate_history_and_loops_are_not_kept() -> None:
    gate = LocalGate()
    account = f"smsc.ru|{uuid.uuid4()}"  # of its own: on the standard clock, state is shared
    send = charges_for("send", {"phones": "79990000001", "mes": "hi"})
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def first() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        async with gate.admit(account, send, RAISE):
            pass
        with pytest.raises(RateLimitedError):
            async with gate.admit(account, send, RAISE):
                pass
        assert gate.stats(account).live_keys == 1

    async def second() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        with pytest.raises(RateLimitedError) as refused:  # a new loop, the same history
            async with gate.admit(account, send, RAISE):
                pass
        assert 60.0 < refused.value.retry_after <= 61.0
        assert gate.stats(account) == GateStats(in_flight=0, waiting=0, live_keys=1)

    asyncio.run(first())
    asyncio.run(second())
    gc.collect()
    assert [ref() for ref in loops] == [None, None]


# --- identity and the table ------------------------------------------------------------------


def _key(endpoint: str, fields: Mapping[str, str], rule: str | None = None) -> bytes:
    charges = charges_for(endpoint, fields)
    return next(c.key for c in charges if rule is None or c.rule.name == rule)


def test_identity_ignores_credentials_format_and_charset() -> None:
    bare = {"phones": "79990000001", "mes": "hi"}
    assert _key("phones", bare) == _key("phones", {**bare, **CREDS})
    assert _key("phones", bare) == _key("phones", {**bare, "apikey": "k", "login": "bob"})
    assert _key("phones", bare) == _key("phones", dict(reversed(list(bare.items()))))
    assert len(_key("phones", bare)) == 16


def test_identity_of_a_send_ignores_the_message_id_and_answer_shape_only() -> None:
    bare = {"phones": "79990000001", "mes": "hi"}
    assert (
        _key("send", {**bare, "id": "1"}) == _key("send", {**bare, "id": "2"}) == _key("send", bare)
    )
    assert _key("send", bare) == _key("send", {**bare, "cost": "3", "op": "1", "err": "1"})
    assert _key("send_cost", {**bare, "id": "1"}) != _key("send_cost", {**bare, "id": "2"})
    assert _key("send", bare) != _key("send", {**bare, "mes": "hi!"})
    assert _key("send", bare) != _key("send", {**bare, "phones": "79990000002"})
    assert _key("send", bare) != _key("send", {**bare, "sender": "Shop"})


def test_identity_encoding_is_unambiguous() -> None:
    assert _key("phones", {"a": "bc"}) != _key("phones", {"ab": "c"})
    assert _key("phones", {"a": "", "b": "c"}) != _key("phones", {"a": "b", "c": ""})
    assert _key("phones", {"a": "b\x00c"}) != _key("phones", {"a": "b", "c": ""})
    assert _key("phones", {}) != _key("mails", {})  # the endpoint is part of the identity
    assert _key("no_such", {"x": "1"}) != _key("other_unknown", {"x": "1"})


def test_message_identity_is_the_message_and_phone() -> None:
    base = _key("status", {"id": "17", "phone": "79990000001"})
    assert base == _key("status", {"id": "17,", "phone": "+7 999 000-00-01", "all": "2", **CREDS})
    assert base == _key("status_delete", {"id": "17", "phone": "79990000001", "del": "1"})
    assert base != _key("status", {"id": "18", "phone": "79990000001"})
    assert base != _key("status", {"id": "17", "phone": "79990000002"})


def test_any_rules_have_one_key() -> None:
    assert _key("balance", {"cur": "1"}) == _key("balance", {}) == b""
    assert _key("status_mass", {"id": "1,2,"}) == b""
    assert _key("info_operator", {"phone": "1"}, "info_operator.any") == b""
    assert _key("info_operator", {"phone": "1"}, "info_operator.identical") != b""


TABLE: dict[str, list[tuple[str, int, str]]] = {
    "send": [("send.identical", 1, "identical")],
    "send_cost": [("cost.identical", 5, "identical")],
    "status": [("status.message", 5, "message")],
    "status_delete": [("status.message", 5, "message")],
    "status_mass": [("status.mass", 1, "any")],
    "balance": [("balance.any", 10, "any")],
    **{
        name: [(f"{name}.identical", 3, "identical")]
        for name in ("phones", "mails", "senders", "get", "templates", "users", "get_mnp")
    },
    "get_stat": [("get_stat.any", 3, "any")],
    "info_operator": [
        ("info_operator.identical", 3, "identical"),
        ("info_operator.any", 100, "any"),
    ],
    "receive_phones": [("receive_phones.identical", 2, "identical")],
    "jobs": [("jobs.identical", 1, "identical")],
    "downloads": [("downloads.identical", 3, "identical")],
    "something_new": [("default.identical", 3, "identical")],
}


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_the_table(endpoint: str) -> None:
    rules = [c.rule for c in charges_for(endpoint, {})]
    assert [(r.name, r.limit, r.scope) for r in rules] == TABLE[endpoint]
    assert all(r.period == 60.0 for r in rules)
    assert charges_for("status", {})[0].rule is charges_for("status_delete", {})[0].rule
