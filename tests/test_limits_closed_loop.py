"""The shared limits gate when a loop goes away with requests inside it.

A loop closed while requests hold slots of the process-wide gate (``loop.close()`` after
``run_until_complete``, an interrupted ``asyncio.run`` shutdown, a thread's abandoned loop) never
runs their exits again. Their slots must come back at once, without the garbage collector: the
tests keep the abandoned tasks referenced, so it cannot finalise them. Real loops in threads, as
in ``test_limits_process``; short bounded timeouts detect a hang.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from smsc_async._limits import MAX_IN_FLIGHT, Charge, LocalGate, Rule, WaitPolicy
from smsc_async.errors import RateLimitedError

from .test_limits_process import new_account, run_bounded, shared_state

WAIT = WaitPolicy()
RAISE = WaitPolicy(on_limit="raise")
PROMPTLY = 5.0  # seconds; a hang is detected, a slow machine still passes


class Abandoned:
    """A loop in a thread that starts requests inside the gate, then stops with them inside.

    The tasks stay referenced (``self.tasks``): the garbage collector cannot finalise them, so
    only the gate itself can give their slots back.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, *coroutines: Coroutine[Any, Any, None]) -> None:
        async def start() -> None:
            self.tasks.extend(asyncio.create_task(c) for c in coroutines)
            await asyncio.sleep(0.01)

        self.loop.run_until_complete(start())

    def run(self, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.loop.run_until_complete(main())

    def close(self) -> float:
        self.loop.close()  # the tasks are never resumed: their exits never run
        return time.monotonic()


async def hold(
    gate: LocalGate,
    account: str,
    charges: tuple[Charge, ...] = (),
    cap: int = MAX_IN_FLIGHT,
) -> None:
    async with gate.admit(account, charges, WAIT, max_in_flight=cap):
        await asyncio.sleep(3600)


async def in_thread(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return await asyncio.to_thread(run_bounded, main)


async def serve_all(gate: LocalGate, account: str, n: int) -> int:
    """Run ``n`` requests at once; return how many got through within ``PROMPTLY``."""
    served = 0

    async def one() -> None:
        nonlocal served
        async with gate.admit(account, (), WAIT):
            served += 1
            await asyncio.sleep(0.001)

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await asyncio.wait(tasks, timeout=PROMPTLY)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return served


@pytest.mark.asyncio
async def test_a_loop_closed_with_requests_inside_gives_its_slots_back() -> None:
    account, gate = new_account(), LocalGate(margin=1.0)
    rule = Rule("t.closed", 2, period=60.0)
    charged = (Charge(rule, b"k"),)
    abandoned = Abandoned()

    def abandon() -> float:
        holders = [hold(gate, account, charged) for _ in range(2)]
        abandoned.start(*holders, *(hold(gate, account) for _ in range(MAX_IN_FLIGHT - 2)))
        assert shared_state(account).in_flight == MAX_IN_FLIGHT
        return abandoned.close()

    closed = await asyncio.to_thread(abandon)
    # A later asyncio.run on the same login: all 40 are served, none waits for the dead ones.
    assert await in_thread(lambda: serve_all(gate, account, 40)) == 40
    core = shared_state(account)
    assert (core.in_flight, core.cap_heads) == (0, {})
    # The two charged requests may have reached SMSC: their slots were stamped as completed when
    # found closed, never simply given back.
    log = core.logs[rule][b"k"]
    assert log.in_flight == 0
    assert len(log.stamps) == 2
    for expiry in log.stamps:
        assert closed + 61.0 <= expiry < closed + 61.0 + PROMPTLY

    async def once_more() -> None:
        with pytest.raises(RateLimitedError) as refused:
            async with gate.admit(account, charged, RAISE):
                pass
        assert 55.0 < refused.value.retry_after <= 61.0

    await in_thread(once_more)
    assert len(abandoned.tasks) == MAX_IN_FLIGHT  # still referenced: no garbage collection
    for task in abandoned.tasks:  # their exits, run late (as the collector would): no effect
        task.get_coro().close()
    assert (core.in_flight, log.in_flight, len(log.stamps)) == (0, 0, 2)


@pytest.mark.asyncio
async def test_waiters_queued_before_the_loop_closes_are_woken() -> None:
    account, gate = new_account(), LocalGate()
    abandoned = Abandoned()
    held, queued, closed = threading.Event(), threading.Event(), threading.Event()

    def abandon() -> None:
        abandoned.start(*(hold(gate, account) for _ in range(MAX_IN_FLIGHT)))
        held.set()
        assert queued.wait(10)
        abandoned.close()
        closed.set()

    async def contend() -> int:
        assert await asyncio.to_thread(held.wait, 10)
        tasks = asyncio.create_task(serve_all(gate, account, 40))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if gate.stats(account).waiting == 40:
                break
        assert gate.stats(account).waiting == 40  # all of them wait for the 14 of the other loop
        queued.set()
        return await tasks

    async with asyncio.timeout(20):
        closer = asyncio.to_thread(abandon)
        served, _ = await asyncio.gather(in_thread(contend), closer)
    assert closed.is_set()
    assert served == 40
    assert shared_state(account).in_flight == 0


@pytest.mark.asyncio
async def test_a_rate_waiter_queued_before_the_close_gets_the_slot_a_window_later() -> None:
    # The only slot of a 0.2 s window is held by a request of the loop that closes: the waiter
    # of another loop is woken, and enters one window after the close, not at once.
    account, gate = new_account(), LocalGate(margin=0.0)
    rule = Rule("t.window", 1, period=0.2, scope="any")
    charges = (Charge(rule, b""),)
    abandoned = Abandoned()
    held, queued = threading.Event(), threading.Event()
    closed: list[float] = []

    def abandon() -> None:
        abandoned.start(hold(gate, account, charges))
        held.set()
        assert queued.wait(10)
        closed.append(abandoned.close())

    async def wait_for_the_window() -> float:
        async def enter() -> float:
            async with gate.admit(account, charges, WAIT):
                return time.monotonic()

        assert await asyncio.to_thread(held.wait, 10)
        waiter = asyncio.create_task(enter())
        await asyncio.sleep(0.05)
        assert not waiter.done()
        queued.set()
        return await asyncio.wait_for(waiter, PROMPTLY)

    entered, _ = await asyncio.gather(in_thread(wait_for_the_window), asyncio.to_thread(abandon))
    assert closed[0] + 0.2 <= entered < closed[0] + 2.0


@pytest.mark.asyncio
async def test_a_closed_loop_gives_back_what_its_waiters_held() -> None:
    # Waiters of the closed loop held slots too: a rate slot taken while it waited for the cap,
    # and a cap slot handed to one that never resumed. Those requests never started: their
    # slots are given back, not stamped.
    account, gate = new_account(), LocalGate()
    rule = Rule("t.waiter", 1, period=60.0)
    charged = (Charge(rule, b"k"),)
    abandoned = Abandoned()

    def abandon() -> None:
        release = asyncio.Event()

        async def hold_until_released() -> None:
            async with gate.admit(account, (), WAIT, max_in_flight=1):
                await release.wait()

        async def release_and_stop() -> None:
            release.set()  # the holder's exit hands its slot to the first waiter...

        abandoned.start(hold_until_released(), hold(gate, account, charged, cap=1))
        abandoned.run(release_and_stop)  # ...and the loop stops before that waiter resumes
        core = shared_state(account)
        assert core.in_flight == 1
        assert core.logs[rule][b"k"].in_flight == 1
        abandoned.close()

    await asyncio.to_thread(abandon)

    async def after() -> int:
        async with asyncio.timeout(PROMPTLY):
            async with gate.admit(account, charged, WAIT):  # given back: no 61 s wait
                pass
        return await serve_all(gate, account, 40)

    assert await in_thread(after) == 40
    core = shared_state(account)
    assert (core.in_flight, core.cap_heads) == (0, {})
    assert len(core.logs[rule][b"k"].stamps) == 1  # the one request above, nothing else


@pytest.mark.asyncio
async def test_an_abandoned_loop_collected_wakes_the_waiters() -> None:
    # A loop never closed may run again, so its requests keep their slots; once the garbage
    # collector proves it gone, its requests are finalised out of their loop: the waiters of
    # the live loops must then be woken, not only the counts put right.
    account, gate = new_account(), LocalGate()
    held, queued = threading.Event(), threading.Event()

    def abandon_then_collect() -> None:
        abandoned = Abandoned()
        abandoned.start(*(hold(gate, account) for _ in range(MAX_IN_FLIGHT)))
        held.set()
        assert queued.wait(10)
        del abandoned  # the thread lets its loop go without closing it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # the unclosed loop's own warning
            gc.collect()

    async def contend() -> int:
        assert await asyncio.to_thread(held.wait, 10)
        tasks = asyncio.create_task(serve_all(gate, account, 40))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if gate.stats(account).waiting == 40:
                break
        assert gate.stats(account).waiting == 40
        queued.set()
        return await tasks

    served, _ = await asyncio.gather(in_thread(contend), asyncio.to_thread(abandon_then_collect))
    assert served == 40
    assert shared_state(account).in_flight == 0


@pytest.mark.asyncio
async def test_requests_collected_out_of_a_live_loop_wake_the_waiters() -> None:
    # Tasks that nothing refers to (each waits on a future only it knows) are collected while
    # their loop lives on, stopped: no close to notice. Their exits run out of their loop, where
    # the counts are put right; the waiters of the other loop must be woken too.
    account, gate = new_account(), LocalGate()
    held, queued = threading.Event(), threading.Event()

    async def lost() -> None:
        async with gate.admit(account, (), WAIT):
            await asyncio.get_running_loop().create_future()

    def abandon_then_collect() -> None:
        abandoned = Abandoned()
        abandoned.start(*(lost() for _ in range(MAX_IN_FLIGHT)))
        abandoned.tasks.clear()
        held.set()
        assert queued.wait(10)
        gc.collect()
        assert not abandoned.loop.is_closed()
        abandoned.close()

    async def contend() -> int:
        assert await asyncio.to_thread(held.wait, 10)
        tasks = asyncio.create_task(serve_all(gate, account, 40))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if gate.stats(account).waiting == 40:
                break
        assert gate.stats(account).waiting == 40
        queued.set()
        return await tasks

    automatic = gc.isenabled()
    gc.disable()  # the test collects once, when the waiters are queued
    try:
        served, _ = await asyncio.gather(
            in_thread(contend), asyncio.to_thread(abandon_then_collect)
        )
    finally:
        if automatic:
            gc.enable()
    assert served == 40
    assert shared_state(account).in_flight == 0
