"""The limits gate across event loops: shared by the whole process on the standard clock.

These tests run real event loops (``asyncio.run`` in worker threads) on real, short time. Each
uses an account of its own, as the shared state outlives a test. They are ``async`` tests that
reach the threads through ``asyncio.to_thread``: a plain sync test can trip looptime's
unclosed-loop warning.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

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

from .test_limits import Record, check_rule

WAIT = WaitPolicy()
RAISE = WaitPolicy(on_limit="raise")
SEND = {"phones": "79990000001", "mes": "hi"}
T = TypeVar("T")
_numbers = itertools.count()


def new_account() -> str:
    return f"process.test|user{next(_numbers)}"


def in_thread(main: Callable[[], Coroutine[Any, Any, T]]) -> Coroutine[Any, Any, T]:
    """Run ``asyncio.run(main())`` in a worker thread: a fresh standard event loop."""
    return asyncio.to_thread(run_bounded, main)


def run_bounded(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` in a new loop, failing after 20 s: a thread must end, even on a bug."""

    async def bounded() -> T:
        async with asyncio.timeout(20):
            return await main()

    return asyncio.run(bounded())


def shared_state(account: str) -> _limits._Core:
    return _limits._SHARED[account]


class Gauge:
    """Counts requests in flight per thread, and the peaks, under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = [0, 0]
        self.peak = 0
        self.overlap = 0  # the most requests in flight in the thread with fewer, at a time

    def enter(self, side: int) -> None:
        with self.lock:
            self.now[side] += 1
            self.peak = max(self.peak, sum(self.now))
            self.overlap = max(self.overlap, min(self.now))

    def leave(self, side: int) -> None:
        with self.lock:
            self.now[side] -= 1


@pytest.mark.asyncio
async def test_two_threads_share_the_fourteen_slots() -> None:
    account, gauge = new_account(), Gauge()
    start = threading.Barrier(2)

    async def one(side: int, rng: random.Random) -> None:
        async with LocalGate().admit(account, (), WAIT):  # a gate (a client) per request even
            gauge.enter(side)
            await asyncio.sleep(rng.uniform(0.001, 0.005))
            gauge.leave(side)

    def run(side: int) -> None:
        rng = random.Random(side)

        async def main() -> None:
            await asyncio.gather(*(one(side, rng) for _ in range(40)))

        start.wait(timeout=10)
        run_bounded(main)

    async with asyncio.timeout(30):
        await asyncio.gather(asyncio.to_thread(run, 0), asyncio.to_thread(run, 1))
    assert 7 < gauge.peak <= MAX_IN_FLIGHT
    assert gauge.overlap > 0  # both threads really held slots at the same time
    core = shared_state(account)
    assert (core.in_flight, core.cap_heads, core.logs) == (0, {}, {})


@pytest.mark.asyncio
async def test_two_threads_share_the_rate_windows() -> None:
    # A rule with a short period, so real time can show it: 3 per 50 ms, no margin.
    account, gate = new_account(), LocalGate(margin=0.0)
    rule = Rule("t.fast", 3, period=0.05, scope="any")
    records: list[Record] = []
    lock, start = threading.Lock(), threading.Barrier(2)

    async def one(rng: random.Random) -> None:
        loop = asyncio.get_running_loop()
        async with gate.admit(account, [Charge(rule, b"")], WAIT):
            begin = loop.time()
            await asyncio.sleep(rng.choice([0.0, 0.002, 0.01]))
            end = loop.time()
        with lock:
            records.append(Record(begin, end, (Charge(rule, b""),)))

    def run(side: int) -> None:
        rng = random.Random(side)

        async def main() -> None:
            await asyncio.gather(*(one(rng) for _ in range(12)))

        start.wait(timeout=10)
        run_bounded(main)

    async with asyncio.timeout(30):
        await asyncio.gather(asyncio.to_thread(run, 0), asyncio.to_thread(run, 1))
    assert len(records) == 24
    assert check_rule(records, rule) == 21  # no 50 ms window saw more than 3 of both threads


@pytest.mark.asyncio
async def test_a_slot_freed_in_one_thread_wakes_a_waiter_in_another() -> None:
    account = new_account()
    held, release = threading.Event(), threading.Event()
    holder_loop: list[asyncio.AbstractEventLoop] = []

    async def hold_all() -> None:
        done = asyncio.Event()
        holder_loop.append(asyncio.get_running_loop())

        async def one() -> None:
            async with LocalGate().admit(account, (), WAIT):
                await done.wait()

        tasks = [asyncio.create_task(one()) for _ in range(MAX_IN_FLIGHT)]
        await asyncio.sleep(0)
        held.set()
        await asyncio.to_thread(release.wait, 10)
        done.set()
        await asyncio.gather(*tasks)

    async def contend() -> tuple[RateLimitedError, float]:
        gate = LocalGate()
        assert gate.stats(account) == GateStats(in_flight=14, waiting=0, live_keys=0)
        with pytest.raises(RateLimitedError) as refused:
            async with gate.admit(account, (), WaitPolicy(max_wait=0.05)):
                pass
        waiter = asyncio.create_task(_enter_and_leave(gate, account, ()))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        assert gate.stats(account).waiting == 1
        freed = time.monotonic()
        release.set()
        await asyncio.wait_for(waiter, 5)
        return refused.value, time.monotonic() - freed

    async with asyncio.timeout(30):
        holding = asyncio.create_task(in_thread(hold_all))
        await asyncio.to_thread(held.wait, 10)
        refused, latency = await in_thread(contend)
        await holding
    assert (refused.rule, refused.retry_after) == (CONCURRENCY_RULE, 0.0)
    assert latency < 1.0
    assert shared_state(account).in_flight == 0


async def _enter_and_leave(
    gate: LocalGate,
    account: str,
    charges: tuple[Charge, ...],
    policy: WaitPolicy = WAIT,
    cap: int = MAX_IN_FLIGHT,
) -> float:
    async with gate.admit(account, charges, policy, max_in_flight=cap):
        return time.monotonic()


@pytest.mark.asyncio
async def test_waiters_of_several_loops_are_served_in_arrival_order() -> None:
    # With a cap of 1 only one request runs at a time, so the order they run in is the order
    # they were granted in. b queues in loop B after a1 and before a2 in loop A, and loop B is
    # busy when its turn comes: loop A must not serve a2 meanwhile.
    account, order, lock = new_account(), list[str](), threading.Lock()
    a_queued, b_queued = threading.Event(), threading.Event()

    async def enter(label: str) -> None:
        async with LocalGate().admit(account, (), WAIT, max_in_flight=1):
            with lock:
                order.append(label)
            await asyncio.sleep(0.002)

    async def side_a() -> None:
        release = asyncio.Event()

        async def hold() -> None:
            async with LocalGate().admit(account, (), WAIT):
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0)
        first = [asyncio.create_task(enter("a1")) for _ in range(3)]
        await asyncio.sleep(0)
        a_queued.set()
        await asyncio.to_thread(b_queued.wait, 10)
        release.set()
        await asyncio.gather(holder, *first)
        await asyncio.gather(*(enter("a2") for _ in range(3)))

    async def side_b() -> None:
        await asyncio.to_thread(a_queued.wait, 10)
        task = asyncio.create_task(enter("b"))
        await asyncio.sleep(0)
        b_queued.set()
        time.sleep(0.5)  # noqa: ASYNC251 - the loop is running but busy when its turn comes
        await task

    await asyncio.gather(in_thread(side_a), in_thread(side_b))
    assert order == ["a1"] * 3 + ["b"] + ["a2"] * 3


@pytest.mark.asyncio
async def test_a_stopped_loop_does_not_hold_the_others_back() -> None:
    account = new_account()

    def scenario() -> None:
        stopped = asyncio.new_event_loop()
        try:
            with asyncio.Runner() as runner:
                release = asyncio.Event()

                async def hold() -> None:
                    async with LocalGate().admit(account, (), WAIT):
                        await release.wait()

                async def start_holding() -> asyncio.Task[None]:
                    holder = asyncio.create_task(hold())
                    await asyncio.sleep(0)
                    return holder

                async def queue_one() -> asyncio.Task[float]:
                    waiter = asyncio.create_task(_enter_and_leave(LocalGate(), account, (), cap=1))
                    await asyncio.sleep(0)
                    return waiter

                holder = runner.run(start_holding())
                # The first in line waits in a loop that then stops (but is not closed).
                first = stopped.run_until_complete(queue_one())
                assert not first.done()

                async def second_in_line() -> None:
                    waiter = await queue_one()
                    release.set()
                    await holder
                    await asyncio.wait_for(waiter, 5)  # served although the first one sleeps

                runner.run(second_in_line())
            # Running again, the stopped loop finds the wake-up it was sent, and is served.
            stopped.run_until_complete(asyncio.wait_for(first, 5))
        finally:
            stopped.close()

    await asyncio.to_thread(scenario)
    core = shared_state(account)
    assert (core.in_flight, core.cap_heads) == (0, {})


@pytest.mark.asyncio
async def test_a_refund_in_one_thread_wakes_a_rate_waiter_in_another() -> None:
    account = new_account()
    send = charges_for("send", SEND)
    admitted, refund = threading.Event(), threading.Event()

    async def send_then_refund() -> None:
        async with LocalGate().admit(account, send, WAIT) as ticket:
            admitted.set()
            await asyncio.to_thread(refund.wait, 10)
            ticket.refund()

    async def same_send() -> float:
        waiter = asyncio.create_task(_enter_and_leave(LocalGate(), account, send))
        await asyncio.sleep(0.05)
        assert not waiter.done()  # the send in flight holds the window's only slot
        refund.set()
        return await asyncio.wait_for(waiter, 5)  # not 61 s: the refund freed the slot

    async with asyncio.timeout(30):
        sender = asyncio.create_task(in_thread(send_then_refund))
        await asyncio.to_thread(admitted.wait, 10)
        await in_thread(same_send)
        await sender
    with pytest.raises(RateLimitedError):  # and the one that got through was stamped
        await in_thread(lambda: _enter_and_leave(LocalGate(), account, send, RAISE))


@pytest.mark.asyncio
async def test_a_stamp_in_one_thread_arms_the_timer_of_a_waiter_in_another() -> None:
    # The waiter queues while the only slot is in flight (no stamp yet, so no timer); the
    # holder's completion stamps it, and must make the waiting loop arm its timer.
    account, gate = new_account(), LocalGate(margin=0.0)
    rule = Rule("t.once", 1, period=0.1, scope="any")
    charges = (Charge(rule, b""),)
    admitted, finish = threading.Event(), threading.Event()
    finished: list[float] = []

    async def hold() -> None:
        async with gate.admit(account, charges, WAIT):
            admitted.set()
            await asyncio.to_thread(finish.wait, 10)
            finished.append(time.monotonic())

    async def wait_for_the_window() -> float:
        waiter = asyncio.create_task(_enter_and_leave(gate, account, charges))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        finish.set()
        return await asyncio.wait_for(waiter, 5)

    async with asyncio.timeout(30):
        holder = asyncio.create_task(in_thread(hold))
        await asyncio.to_thread(admitted.wait, 10)
        entered = await in_thread(wait_for_the_window)
        await holder
    assert finished[0] + 0.1 <= entered < finished[0] + 1.0


@pytest.mark.asyncio
async def test_rate_history_carries_across_asyncio_run_calls() -> None:
    account = new_account()
    balance = charges_for("balance", {})

    async def first() -> None:
        gate = LocalGate()
        for _ in range(10):
            async with gate.admit(account, balance, RAISE):
                pass
        async with gate.admit(account, charges_for("send", {**SEND, "id": "1"}), RAISE):
            pass

    async def second() -> list[RateLimitedError]:
        gate = LocalGate()  # another client, in another loop, maybe in another thread
        errors: list[RateLimitedError] = []
        for charges in (balance, charges_for("send", {**SEND, "id": "2"})):
            with pytest.raises(RateLimitedError) as refused:
                async with gate.admit(account, charges, RAISE):
                    pass
            errors.append(refused.value)
        return errors

    await in_thread(first)
    errors = await in_thread(second)
    assert [e.rule for e in errors] == ["balance.any", "send.identical"]
    for error in errors:
        assert error.retry_after == pytest.approx(61.0, abs=1.0)
        assert error.retry_after <= 61.0


@pytest.mark.asyncio
async def test_loops_are_not_kept_by_the_shared_state() -> None:
    account = new_account()
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def main() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        gate = LocalGate()
        async with asyncio.timeout(5):  # waits on both the window and the cap, then leaves
            cap = [asyncio.create_task(_enter_and_leave(gate, account, ())) for _ in range(30)]
            await asyncio.gather(*cap)
        late = asyncio.create_task(_enter_and_leave(gate, account, charges_for("jobs", {})))
        await asyncio.sleep(0)
        late.cancel()  # leaves a stamped key behind, and a cancelled waiter

    await in_thread(main)
    await in_thread(main)
    gc.collect()
    assert [ref() for ref in loops] == [None, None]
    assert not shared_state(account).cap_heads


class OwnClockLoop(asyncio.SelectorEventLoop):
    """A loop with a clock of its own: its stamps cannot be compared with anyone's."""

    def time(self) -> float:
        return super().time() + 1000.0


@pytest.mark.asyncio
async def test_loops_with_a_clock_of_their_own_keep_state_of_their_own() -> None:
    account = new_account()
    send = charges_for("send", SEND)

    async def send_once() -> int:
        gate = LocalGate()
        async with gate.admit(account, send, RAISE):
            pass
        with pytest.raises(RateLimitedError):  # the loop's own window works
            async with gate.admit(account, send, RAISE):
                pass
        return gate.stats(account).live_keys

    def twice() -> list[int]:
        runs = []
        for _ in range(2):
            with asyncio.Runner(loop_factory=OwnClockLoop) as runner:
                runs.append(runner.run(asyncio.wait_for(send_once(), 20)))
        return runs

    assert await asyncio.to_thread(twice) == [1, 1]  # a fresh window in each loop
    assert account not in _limits._SHARED
    await in_thread(send_once)  # and the standard loops never saw those sends


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_virtual_time_loops_keep_state_of_their_own() -> None:
    account = new_account()
    send = charges_for("send", SEND)
    gate = LocalGate()
    await in_thread(lambda: _enter_and_leave(gate, account, send))  # stamped in shared state
    async with gate.admit(account, send, RAISE):  # this virtual loop has its own windows
        pass
    hold = asyncio.Event()

    async def one() -> None:
        async with gate.admit(account, (), WAIT):
            await hold.wait()

    holders = [asyncio.create_task(one()) for _ in range(MAX_IN_FLIGHT)]
    await asyncio.sleep(0)
    assert gate.stats(account).in_flight == MAX_IN_FLIGHT
    # The standard loops do not see this loop's 14 requests in flight.
    await in_thread(lambda: _enter_and_leave(gate, account, ()))
    assert shared_state(account).in_flight == 0
    hold.set()
    await asyncio.gather(*holders)


@pytest.mark.asyncio
async def test_a_loop_closed_with_requests_inside_leaks_no_slot() -> None:
    # A program bug (closing a loop with tasks still inside the gate) must not eat the shared
    # slots: the requests in flight are finalised by the garbage collector and give their slots
    # back; the waiters' queues are dropped when another loop comes by.
    account, gate = new_account(), LocalGate(margin=0.0)
    short = (Charge(Rule("t.short", 1, period=0.05), b"k"),)
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    def abandon() -> None:
        loop = asyncio.new_event_loop()
        loops.append(weakref.ref(loop))

        async def hold(charges: tuple[Charge, ...]) -> None:
            async with gate.admit(account, charges, WAIT, max_in_flight=3):
                await asyncio.sleep(3600)

        async def start() -> None:
            # 3 in flight, 2 waiting for the cap, 1 waiting for the "t.short" window.
            for charges in (short, (), (), (), (), short):
                asyncio.create_task(hold(charges))  # noqa: RUF006 - abandoned on purpose
            await asyncio.sleep(0.01)

        loop.run_until_complete(start())
        core = shared_state(account)
        assert (core.in_flight, len(core.cap_heads)) == (3, 1)
        loop.close()

    def collect() -> None:
        gc.collect()

    await asyncio.to_thread(abandon)
    await asyncio.to_thread(collect)
    core = shared_state(account)
    assert core.in_flight == 0  # the three in flight were finalised out of their loop

    async def come_by() -> None:
        await asyncio.gather(*(_enter_and_leave(gate, account, ()) for _ in range(20)))
        await _enter_and_leave(gate, account, short)

    await in_thread(come_by)
    await asyncio.to_thread(collect)
    assert (core.in_flight, core.cap_heads) == (0, {})
    assert [len(s.heads) for t in core.logs.values() for s in t.values()] == [0]
    assert [ref() for ref in loops] == [None]


@pytest.mark.asyncio
async def test_a_request_finalised_under_the_lock_does_not_deadlock() -> None:
    # The garbage collector may finalise an abandoned request in a thread that holds the lock.
    account = new_account()
    send = charges_for("send", SEND)

    def abandon_then_collect_under_the_lock() -> tuple[int, int]:
        loop = asyncio.new_event_loop()

        async def hold() -> None:
            async with LocalGate().admit(account, send, WAIT):
                await asyncio.sleep(3600)

        async def start() -> None:
            asyncio.create_task(hold())  # noqa: RUF006 - abandoned on purpose
            await asyncio.sleep(0)

        loop.run_until_complete(start())
        loop.close()
        core = shared_state(account)
        with core.lock:
            gc.collect()
            return core.in_flight, len(core.logs[send[0].rule][send[0].key].stamps)

    done: list[tuple[int, int]] = []
    worker = threading.Thread(target=lambda: done.append(abandon_then_collect_under_the_lock()))
    worker.daemon = True
    worker.start()
    await asyncio.to_thread(worker.join, 10)
    assert done == [(0, 1)]  # given back, and stamped: it may have reached SMSC
