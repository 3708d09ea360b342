"""RedisGate against a real redis-server on loopback: the gate's rules, one step at a time.

Rules here have short periods (tenths of a second) on real time: Redis keeps its own clock, so
virtual time cannot drive it. Every wait asserted is bounded from both sides.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

import smsc_async.redis
from smsc_async import GateUnavailableError, LocalGate, RateLimitedError, SMSCClient
from smsc_async._limits import CONCURRENCY_RULE, Charge, Rule, WaitPolicy
from smsc_async._redis_scripts import ADMIT
from smsc_async.emulator import Emulator
from smsc_async.redis import RedisGate

from .conftest import LOGIN, PASSWORD, url_of
from .redis_server import RedisServer, free_port

pytestmark = pytest.mark.asyncio

WAIT = WaitPolicy()
ACCOUNT = "emulator|demo"
NO_RULES: tuple[Charge, ...] = ()


@pytest_asyncio.fixture
async def gate(redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[RedisGate]:
    async with RedisGate.from_url(redis_server.url, prefix=redis_prefix, margin=0.05) as g:
        yield g


@pytest_asyncio.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


def rule(limit: int, period: float = 0.4, name: str = "test.rule") -> Rule:
    return Rule(name, limit, period=period)


async def test_admits_and_releases_a_slot(gate: RedisGate) -> None:
    async with gate.admit(ACCOUNT, NO_RULES, WAIT):
        assert (await gate.stats(ACCOUNT)).in_flight == 1
    assert (await gate.stats(ACCOUNT)).in_flight == 0


async def test_cap_is_shared_by_gates_of_one_redis(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    gates = [RedisGate.from_url(redis_server.url, prefix=redis_prefix) for _ in range(3)]
    inside = peak = 0

    async def one(g: RedisGate) -> None:
        nonlocal inside, peak
        async with g.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=5):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    try:
        await asyncio.gather(*(one(gates[i % 3]) for i in range(60)))
    finally:
        for g in gates:
            await g.aclose()
    assert peak == 5


async def test_a_rule_holds_its_window_after_completion(gate: RedisGate) -> None:
    charge = Charge(rule(2, period=0.3), b"k")
    starts: list[float] = []
    ends: list[float] = []
    for _ in range(3):
        async with gate.admit(ACCOUNT, (charge,), WAIT):
            starts.append(time.monotonic())
            await asyncio.sleep(0.02)
            ends.append(time.monotonic())
    # The third may start only period + margin after the first one completed.
    assert starts[2] - ends[0] >= 0.3 + 0.05 - 0.01
    assert starts[2] - ends[0] < 1.5


async def test_on_limit_raise_tells_when_to_retry(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=5.0, name="send.identical"), b"same")
    async with gate.admit(ACCOUNT, (charge,), WAIT):
        pass
    with pytest.raises(RateLimitedError) as info:
        async with gate.admit(ACCOUNT, (charge,), WaitPolicy(on_limit="raise")):
            pytest.fail("admitted past the rule")
    assert info.value.rule == "send.identical"
    assert 4.0 < info.value.retry_after <= 5.1


async def test_refund_frees_the_rule_slot(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=30.0), b"k")
    async with gate.admit(ACCOUNT, (charge,), WAIT) as ticket:
        ticket.refund()
    async with asyncio.timeout(2):
        async with gate.admit(ACCOUNT, (charge,), WaitPolicy(on_limit="raise")):
            pass


async def test_max_wait_on_the_cap(gate: RedisGate) -> None:
    async with gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1):
        with pytest.raises(RateLimitedError) as info:
            async with gate.admit(ACCOUNT, NO_RULES, WaitPolicy(max_wait=0.2), max_in_flight=1):
                pytest.fail("admitted past the cap")
    assert info.value.rule == CONCURRENCY_RULE
    stats = await gate.stats(ACCOUNT)
    assert stats.in_flight == 0


async def test_waiters_on_the_cap_go_in_order(gate: RedisGate) -> None:
    order: list[int] = []
    first = gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1)
    await first.__aenter__()

    async def one(i: int) -> None:
        async with gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1):
            order.append(i)
            await asyncio.sleep(0.005)

    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0.02)  # each queued before the next arrives
    await first.__aexit__(None, None, None)
    async with asyncio.timeout(5):
        await asyncio.gather(*tasks)
    assert order == list(range(6))


async def test_unreachable_redis_is_a_typed_error_before_sending(redis_prefix: str) -> None:
    emu = Emulator()
    port = free_port()
    async with (
        emu.serve(),
        RedisGate.from_url(
            f"redis://:hunter2-secret@127.0.0.1:{port}/0", prefix=redis_prefix, redis_timeout=0.5
        ) as gate,
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), gate=gate) as smsc,
    ):
        with pytest.raises(GateUnavailableError) as info:
            await smsc.send_sms("+79990000001", "hello")
        assert emu.request_count == 0
    text = str(info.value)
    assert f"127.0.0.1:{port}" in text
    assert "hunter2" not in text
    assert "hunter2" not in repr(gate)
    assert info.value.where == f"127.0.0.1:{port}"


async def test_fallback_only_when_asked(redis_prefix: str) -> None:
    emu = Emulator()
    async with (
        emu.serve(),
        RedisGate.from_url(
            f"redis://127.0.0.1:{free_port()}/0",
            prefix=redis_prefix,
            redis_timeout=0.5,
            fallback=LocalGate(scope=redis_prefix),
        ) as gate,
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), gate=gate) as smsc,
    ):
        await smsc.get_balance()
        assert emu.request_count == 1


async def test_a_dead_holder_frees_the_cap_at_its_lease_and_counts_in_windows(
    gate: RedisGate, raw: aioredis.Redis, redis_prefix: str
) -> None:
    # What a process killed inside the gate leaves: a ticket admitted and never released.
    tag = f"{redis_prefix}{{{ACCOUNT}}}:"
    log = f"{tag}r:test.rule:{b'k'.hex()}"
    admit = raw.register_script(ADMIT)
    keys = [f"{tag}in", f"{tag}q", f"{tag}qd", f"{tag}seq", log]
    result = await admit(keys=keys, args=["dead:1", 1, 300, 5000, f"{tag}wake", 1, 2000])
    assert result == [1, 0, 0]
    started = time.monotonic()
    async with gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1):
        freed_cap = time.monotonic() - started
    assert 0.2 < freed_cap < 0.6  # at the lease's end (0.3 s), not at a poll, not forever
    # The dead request counts as completed when its lease ran out: its rule slot (2 s after
    # that) is still taken, so the rule refuses and says for how long.
    charge = Charge(rule(1, period=1.95), b"k")  # 1.95 s + the gate's 0.05 s margin = 2 s
    with pytest.raises(RateLimitedError) as info:
        async with gate.admit(ACCOUNT, (charge,), WaitPolicy(on_limit="raise")):
            pass
    assert 1.5 < info.value.retry_after <= 2.0


async def test_a_long_request_keeps_its_lease_by_renewing_it(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    async with (
        RedisGate.from_url(redis_server.url, prefix=redis_prefix, lease_margin=0.2) as holder,
        RedisGate.from_url(redis_server.url, prefix=redis_prefix) as other,
    ):
        # A lease of 0.1 + 0.2 s, renewed every 0.1 s: the block runs five leases long.
        async with holder.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1, timeout=0.1):
            with pytest.raises(RateLimitedError):
                async with other.admit(
                    ACCOUNT, NO_RULES, WaitPolicy(max_wait=1.5), max_in_flight=1
                ):
                    pytest.fail("the slot was taken from a live holder")
        async with asyncio.timeout(2), other.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1):
            pass


async def test_waiters_for_one_rule_in_a_process_go_in_order(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=0.15), b"one key")
    order: list[int] = []

    async def one(i: int) -> None:
        async with gate.admit(ACCOUNT, (charge,), WAIT):
            order.append(i)

    tasks = []
    for i in range(5):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0.01)
    async with asyncio.timeout(10):
        await asyncio.gather(*tasks)
    assert order == list(range(5))


async def test_a_cancelled_waiter_leaves_nothing_behind(gate: RedisGate) -> None:
    charge = Charge(rule(5, period=30.0), b"k")
    first = gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1)
    await first.__aenter__()
    waiter = asyncio.create_task(_enter_and_leave(gate, (charge,)))
    await asyncio.sleep(0.2)  # queued for the cap, holding its rule slot
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await first.__aexit__(None, None, None)
    await asyncio.sleep(0.1)  # the give-back runs on the side
    stats = await gate.stats(ACCOUNT)
    assert stats.in_flight == 0
    # Its rule slot was given back too: all five are free again.
    for _ in range(5):
        async with gate.admit(ACCOUNT, (charge,), WaitPolicy(on_limit="raise")):
            pass


async def _enter_and_leave(gate: RedisGate, charges: tuple[Charge, ...]) -> None:
    async with gate.admit(ACCOUNT, charges, WAIT, max_in_flight=1):
        pass


async def test_bad_numbers_are_refused(redis_server: RedisServer) -> None:
    for options in (
        {"margin": -1.0},
        {"lease_margin": 0.0},
        {"poll_interval": float("nan")},
        {"redis_timeout": float("inf")},
        {"max_connections": 0},
        {"prefix": "a{b}"},
    ):
        with pytest.raises(ValueError, match=next(iter(options))):
            RedisGate.from_url(redis_server.url, **options)
    with pytest.raises(ValueError, match="redis://") as info:
        RedisGate.from_url("http://user:pw-5@host/0")
    assert "pw-5" not in str(info.value)


async def test_a_slot_handed_to_a_dead_waiter_comes_back_at_its_heartbeat(
    gate: RedisGate, raw: aioredis.Redis, redis_prefix: str
) -> None:
    tag = f"{redis_prefix}{{{ACCOUNT}}}:"
    keys = [f"{tag}in", f"{tag}q", f"{tag}qd", f"{tag}seq"]
    admit = raw.register_script(ADMIT)
    holder = gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1)
    await holder.__aenter__()
    # A waiter of a process that then died: queued with a one-second heartbeat, never back.
    dead = await admit(keys=keys, args=["dead:1", 1, 60_000, 1000, f"{tag}wake"])
    assert dead[0] == 2
    live = asyncio.create_task(_enter_and_leave(gate, NO_RULES))
    await asyncio.sleep(0.1)
    released = time.monotonic()
    await holder.__aexit__(None, None, None)  # hands the slot to the dead waiter first
    async with asyncio.timeout(10):
        await live
    # Its heartbeat (at most a second), not its 60-second lease.
    assert time.monotonic() - released < 2.0


async def test_a_small_cap_is_not_starved_by_larger_ones(gate: RedisGate) -> None:
    stop = asyncio.Event()

    async def busy() -> None:
        while not stop.is_set():
            async with gate.admit(ACCOUNT, NO_RULES, WAIT):
                await asyncio.sleep(0.005)

    crowd = [asyncio.create_task(busy()) for _ in range(30)]
    try:
        await asyncio.sleep(0.3)
        started = time.monotonic()
        async with gate.admit(ACCOUNT, NO_RULES, WaitPolicy(max_wait=3), max_in_flight=1):
            waited = time.monotonic() - started
    finally:
        stop.set()
        await asyncio.gather(*crowd)
    assert waited < 1.0


async def test_a_cancelled_waiter_in_a_rule_line_keeps_the_order(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=0.15), b"line")
    order: list[str] = []

    async def one(name: str) -> None:
        async with gate.admit(ACCOUNT, (charge,), WAIT):
            order.append(name)

    tasks = {}
    for name in "ABCD":
        tasks[name] = asyncio.create_task(one(name))
        await asyncio.sleep(0.02)
    tasks["C"].cancel()
    async with asyncio.timeout(10):
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert order == ["A", "B", "D"]


async def test_on_limit_raise_never_waits_behind_local_waiters(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=2.0), b"busy")
    async with gate.admit(ACCOUNT, (charge,), WAIT):
        pass
    waiter = asyncio.create_task(_enter_and_leave(gate, (charge,)))
    await asyncio.sleep(0.1)  # it waits in the local line for the window
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as info:
        async with gate.admit(ACCOUNT, (charge,), WaitPolicy(on_limit="raise")):
            pass
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after > 1.0
    async with asyncio.timeout(5):
        await waiter


async def test_the_channel_is_left_when_idle_and_at_close(
    redis_server: RedisServer,
    redis_prefix: str,
    raw: aioredis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(smsc_async.redis, "_LISTEN_IDLE", 0.2)
    channel = f"{redis_prefix}{{{ACCOUNT}}}:wake".encode()

    async def subscribed() -> bool:
        return channel in await raw.pubsub_channels()

    async with RedisGate.from_url(redis_server.url, prefix=redis_prefix, redis_timeout=0.4) as gate:
        holder = gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1)
        await holder.__aenter__()
        waiter = asyncio.create_task(_enter_and_leave(gate, NO_RULES))
        await asyncio.sleep(0.2)
        assert await subscribed()  # a waiter listens for its slot
        await holder.__aexit__(None, None, None)
        await waiter
        for _ in range(30):  # idle: the listener leaves within a read or two
            if not await subscribed():
                break
            await asyncio.sleep(0.1)
        assert not await subscribed()
        # And a gate closed while its account waits leaves the channel too.
        holder = gate.admit(ACCOUNT, NO_RULES, WAIT, max_in_flight=1)
        await holder.__aenter__()
        waiter = asyncio.create_task(_enter_and_leave(gate, NO_RULES))
        await asyncio.sleep(0.2)
        assert await subscribed()
        await holder.__aexit__(None, None, None)
        await waiter
    for _ in range(10):  # the server drops a subscription when its connection closes
        if not await subscribed():
            break
        await asyncio.sleep(0.05)
    assert not await subscribed()


async def test_a_rule_waiter_goes_in_when_the_window_frees_not_at_a_poll(gate: RedisGate) -> None:
    charge = Charge(rule(1, period=0.3), b"in flight")
    holder = gate.admit(ACCOUNT, (charge,), WAIT)
    await holder.__aenter__()
    started = time.monotonic()
    waiter = asyncio.create_task(_enter_and_leave(gate, (charge,)))
    await asyncio.sleep(0.1)
    await holder.__aexit__(None, None, None)  # its slot frees 0.35 s from now
    async with asyncio.timeout(5):
        await waiter
    took = time.monotonic() - started
    assert 0.1 + 0.35 - 0.02 <= took < 0.8  # not the 1 s poll interval
