"""Identical reads in flight share one request; changes never do."""

from __future__ import annotations

import asyncio

import pytest

from smsc_async import IPBlockedError, SMSCClient
from smsc_async.emulator import Emulator

PHONE = "+79990000001"


def count(emulator: Emulator, script: str) -> int:
    return sum(r.script == script for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_ten_balance_calls_at_once_cause_one_request(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.delay(0.5, script="balance.php")
    results = await asyncio.gather(*(client.get_balance() for _ in range(10)))
    assert count(emulator, "balance.php") == 1
    assert len({r.balance for r in results}) == 1
    await client.get_balance()  # later calls ask again
    assert count(emulator, "balance.php") == 2


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_different_reads_are_not_joined(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.delay(0.5, script="status.php")
    sent = await client.send_sms(PHONE, "x")
    await asyncio.gather(
        client.get_status(sent.id, PHONE),
        client.get_status(sent.id, PHONE, all=1),
        client.get_status(sent.id, PHONE),
    )
    assert count(emulator, "status.php") == 2


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_failure_reaches_every_caller(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.delay(0.5, script="balance.php")
    emulator.faults.api_error(1, code=4, script="balance.php")
    results = await asyncio.gather(
        *(client.get_balance() for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, IPBlockedError) for r in results)
    assert count(emulator, "balance.php") == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_joiners_cancellation_does_not_cancel_the_others(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.delay(1.0, script="balance.php")
    first = asyncio.create_task(client.get_balance())
    second = asyncio.create_task(client.get_balance())
    await asyncio.sleep(0.1)
    second.cancel()
    assert (await first).currency == "RUR"
    assert second.cancelled()
    assert count(emulator, "balance.php") == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_when_the_asking_caller_is_cancelled_the_others_ask_again(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.delay(1.0, script="balance.php")
    first = asyncio.create_task(client.get_balance())
    others = [asyncio.create_task(client.get_balance()) for _ in range(3)]
    await asyncio.sleep(0.1)
    first.cancel()
    assert [b.currency for b in await asyncio.gather(*others)] == ["RUR"] * 3
    assert first.cancelled()
    assert count(emulator, "balance.php") == 2  # the cancelled one, then one for the three
    assert client._joined == {}


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_changes_are_never_joined(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.delay(0.5, script="phones.php")
    await asyncio.gather(
        client.contacts.add_group("A"),
        client.contacts.add_group("A"),
    )
    assert count(emulator, "phones.php") == 2
    assert [g.name for g in await client.contacts.list_groups()] == ["A", "A"]
