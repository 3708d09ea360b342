"""One login, several OS processes, one Redis: the limits hold across processes.

The emulator runs in the test's process with its rules on and a 2-second rule period; the
workers (``tests/redis_worker.py``) are separate Python processes whose clients share one
:class:`~smsc_async.redis.RedisGate`. Real time, bounded by timeouts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from smsc_async import GateUnavailableError, SMSCClient
from smsc_async._limits import WaitPolicy
from smsc_async.emulator import Account, Emulator
from smsc_async.redis import RedisGate

from .conftest import LOGIN, PASSWORD, url_of
from .redis_server import RedisServer, require_binary

pytestmark = pytest.mark.asyncio

WORKER = Path(__file__).with_name("redis_worker.py")
PERIOD = 2.0


async def run_worker(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(120):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_four_processes_keep_every_rule(redis_server: RedisServer, redis_prefix: str) -> None:
    emu = Emulator([Account(balance=Decimal(100_000))], rule_period=PERIOD, record_requests=False)
    emu.faults.delay(0.004)  # answers overlap, so the in-flight count means something
    async with emu.serve():
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                run_worker("load", url_of(emu), redis_server.url, redis_prefix, str(i), str(PERIOD))
                for i in range(4)
            )
        )
        elapsed = time.monotonic() - started
    assert emu.errors_answered.get(LOGIN, {}).get(9, 0) == 0
    assert 10 <= emu.max_in_flight[LOGIN] <= 14  # the cap was reached, never passed
    for result in results:
        assert result["failures"] == {}
        assert result["done"]["send"] == 160
        assert result["done"]["balance"] == 4
        assert result["done"]["cost"] == 3
    assert emu.sends_accepted() == 4 * 160
    # 16 balance requests at 10 a window and 12 identical cost requests at 5 a window: every
    # process went through three windows, and none waited much longer than they take.
    assert max(r["longest"] for r in results) < 3 * (PERIOD + 0.2) + 5
    assert elapsed < 60


async def test_a_killed_holder_gives_its_slots_back_within_its_lease(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "hog",
        "-",
        redis_server.url,
        redis_prefix,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = await process.stdout.readline()
        assert line.strip() == b"holding"
        async with RedisGate.from_url(redis_server.url, prefix=redis_prefix) as gate:
            assert (await gate.stats("hog")).in_flight == 14
            await asyncio.sleep(2.0)  # alive: its leases (1.5 s) are renewed, nothing frees
            assert (await gate.stats("hog")).in_flight == 14
            os.kill(process.pid, signal.SIGKILL)
            killed = time.monotonic()
            async with asyncio.timeout(10):
                async with gate.admit("hog", (), WaitPolicy()):
                    waited = time.monotonic() - killed
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    assert waited < 1.5 + 0.5  # at most one lease after the kill (plus the wake-up)


async def test_redis_restarted_mid_run(
    redis_server: RedisServer, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu = Emulator()
    async with (
        emu.serve(),
        RedisGate.from_url(redis_server.url, prefix=redis_prefix, redis_timeout=0.5) as gate,
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), gate=gate, retry_backoff=0) as smsc,
    ):
        first = await smsc.send_sms("+79990000001", "before")
        # A send in flight while Redis goes away: its answer still reaches the caller.
        emu.faults.delay(0.5, "send.php")
        in_flight = asyncio.create_task(smsc.send_sms("+79990000002", "during"))
        await asyncio.sleep(0.2)
        redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="smsc_async"):
            during = await in_flight
        assert "could not release" in caplog.text
        emu.faults.delay(0, "send.php")
        requests_before = emu.request_count
        with pytest.raises(GateUnavailableError):
            await smsc.send_sms("+79990000003", "while down")
        assert emu.request_count == requests_before  # refused before anything was sent
        redis_server.start()
        after = await smsc.send_sms("+79990000003", "after")
    ids = [m.id for m in emu.messages()]
    assert sorted(map(str, ids)) == sorted(str(r.id) for r in (first, during, after))


async def test_a_stalled_or_refusing_redis_is_a_typed_error(redis_prefix: str) -> None:
    server = RedisServer(require_binary(), password="right-pw-1")
    server.start()
    emu = Emulator()
    try:
        async with (
            emu.serve(),
            RedisGate.from_url(server.url, prefix=redis_prefix, redis_timeout=0.5) as gate,
            SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), gate=gate) as smsc,
        ):
            await smsc.get_balance()
            assert server.process is not None
            server.process.send_signal(signal.SIGSTOP)  # alive, but answers nothing
            try:
                started = time.monotonic()
                with pytest.raises(GateUnavailableError, match="did not answer"):
                    await smsc.send_sms("+79990000001", "stalled")
                assert time.monotonic() - started < 2.0  # bounded by redis_timeout
            finally:
                server.process.send_signal(signal.SIGCONT)
            assert emu.request_count == 1
            await smsc.send_sms("+79990000001", "after")  # and it goes on afterwards
        # A Redis that refuses: a wrong password (never repeated in the error).
        wrong = f"redis://:not-the-pw-42@127.0.0.1:{server.port}/0"
        async with (
            emu.serve(),
            RedisGate.from_url(wrong, prefix=redis_prefix, redis_timeout=0.5) as gate,
            SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), gate=gate) as smsc,
        ):
            with pytest.raises(GateUnavailableError) as info:
                await smsc.get_balance()
            assert "not-the-pw-42" not in str(info.value)
            assert "right-pw-1" not in str(info.value)
            assert emu.request_count == 2  # the balance and the send after the stall
    finally:
        server.close()
