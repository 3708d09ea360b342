"""aclose() with work in flight: answers within the grace period, typed errors after it."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from smsc_async import (
    ConnectError,
    SendOutcomeUnknownError,
    SMSCClient,
    TransportError,
)
from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD, url_of

pytestmark = pytest.mark.asyncio

PHONE = "+79990000001"


def count(emulator: Emulator, script: str) -> int:
    return sum(1 for r in emulator.requests if r.script == script)


async def test_a_send_in_flight_finishes_within_the_grace(emulator: Emulator) -> None:
    emulator.faults.delay(0.3, script="send.php")
    client = await SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)).open()
    sending = asyncio.create_task(client.send_sms(PHONE, "in flight", id="close-1"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await client.aclose()
    assert 0.1 < time.monotonic() - started < 2.0  # it waited for the answer, no longer
    sent = await sending
    assert sent.id == "close-1"
    assert not sent.reconciled
    assert emulator.sends_accepted() == 1


async def test_a_send_cut_short_ends_as_unknown_with_its_id(emulator: Emulator) -> None:
    emulator.faults.delay(3.0, script="send.php")
    client = await SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), close_grace=0.2, retry_backoff=0
    ).open()
    sending = asyncio.create_task(client.send_sms(PHONE, "cut short", id="close-2"))
    await asyncio.sleep(0.1)
    await client.aclose()
    with pytest.raises(SendOutcomeUnknownError) as info:
        await sending
    assert info.value.message_id == "close-2"
    assert "closed" in str(info.value)
    assert isinstance(info.value.__cause__, TransportError)
    assert emulator.sends_accepted() == 1  # it did reach the server: the id is the handle
    assert count(emulator, "status.php") == 0  # nothing asked through a closing client


async def test_a_read_cut_short_is_a_library_error(emulator: Emulator) -> None:
    emulator.faults.delay(3.0, script="balance.php")
    client = await SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), close_grace=0.1, retry_backoff=0
    ).open()
    reading = asyncio.create_task(client.get_balance())
    await asyncio.sleep(0.1)
    await client.aclose()
    with pytest.raises(TransportError) as info:
        await reading
    assert not isinstance(info.value, ConnectError)
    assert count(emulator, "balance.php") == 1  # not retried on a closed client


async def test_a_request_waiting_at_the_gate_never_leaves(emulator: Emulator) -> None:
    emulator.faults.delay(3.0, script="balance.php")
    client = await SMSCClient(
        LOGIN,
        PASSWORD,
        base_url=url_of(emulator),
        close_grace=0.1,
        max_in_flight=1,
        retry_backoff=0,
    ).open()
    first = asyncio.create_task(client.get_balance())
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(client.send_sms(PHONE, "waits", id="close-3"))
    await asyncio.sleep(0.1)
    await client.aclose()
    with pytest.raises(TransportError):
        await first
    with pytest.raises(ConnectError) as info:
        await waiting  # surely never sent: the caller may send it again
    assert info.value.request_sent is False
    assert emulator.sends_accepted() == 0


async def test_new_calls_are_refused_once_closing(emulator: Emulator) -> None:
    emulator.faults.delay(0.3, script="balance.php")
    client = await SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)).open()
    reading = asyncio.create_task(client.get_balance())
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(client.aclose())
    await asyncio.sleep(0.05)
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_cost(PHONE, "new work")
    await closing
    await reading  # the one under way got its answer
    await client.aclose()  # idempotent


async def test_a_borrowed_session_is_left_open_and_its_request_ends(emulator: Emulator) -> None:
    emulator.faults.delay(0.5, script="balance.php")
    async with aiohttp.ClientSession() as session:
        client = await SMSCClient(
            LOGIN, PASSWORD, base_url=url_of(emulator), session=session, close_grace=0.1
        ).open()
        reading = asyncio.create_task(client.get_balance())
        await asyncio.sleep(0.1)
        await client.aclose()
        assert not session.closed
        balance = await reading  # it ran on in the caller's session
        assert balance.balance > 0
