from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from smsc_async import MessageState, OperationFailedError, SMSCClient
from smsc_async.emulator import Account, Emulator

PHONE = "+79990000001"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_status_moves_from_queued_to_delivered(
    client: SMSCClient, emulator: Emulator
) -> None:
    sent = await client.send_sms(PHONE, "hello")
    first = await client.get_status(sent.id, PHONE)
    assert first.status is MessageState.QUEUED
    assert not first.status.is_final
    await asyncio.sleep(10)
    done = await client.get_status(sent.id, PHONE)
    assert done.status is MessageState.DELIVERED
    assert done.err == 0
    assert done.last_time is not None


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_final_failure_outcome(client: SMSCClient, emulator: Emulator) -> None:
    emulator.set_outcome("79990000005", status=20, err=1)
    sent = await client.send_sms("+79990000005", "x")
    await asyncio.sleep(10)
    st = await client.get_status(sent.id, "+79990000005")
    assert st.status is MessageState.CANNOT_DELIVER
    assert st.status.is_final
    assert st.err == 1


@pytest.mark.asyncio
async def test_status_details(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_sms(PHONE, "details please")
    full = await client.get_status(sent.id, PHONE, all=1)
    assert full.message == "details please"
    assert isinstance(full.cost, Decimal)
    assert full.send_time is not None
    assert full.country is None
    geo = await client.get_status(sent.id, PHONE, all=2)
    assert geo.country
    assert geo.operator
    assert emulator.requests[-1].params["all"] == "2"


@pytest.mark.asyncio
async def test_unknown_message_is_not_found(client: SMSCClient) -> None:
    st = await client.get_status("nope", PHONE)
    assert st.status is MessageState.NOT_FOUND
    assert st.status.is_final


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_hlr_fields(client: SMSCClient) -> None:
    sent = await client.send_hlr(PHONE)
    await asyncio.sleep(10)
    st = await client.get_status(sent.id, PHONE)
    assert st.is_hlr
    assert st.imsi
    assert st.mcc
    assert st.mnc


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_get_statuses_mass_request(client: SMSCClient, emulator: Emulator) -> None:
    a = await client.send_sms("+79990000001", "a")
    b = await client.send_sms("+79990000002", "b")
    emulator.clear_requests()
    items = await client.get_statuses([(a.id, "+79990000001"), (b.id, "+79990000002")])
    assert [(s.id, s.status) for s in items] == [
        (a.id, MessageState.QUEUED),
        (b.id, MessageState.QUEUED),
    ]
    params = emulator.requests[-1].params
    assert params["id"] == f"{a.id},{b.id},"
    assert params["phone"] == "+79990000001,+79990000002,"
    assert len(emulator.requests) == 1


@pytest.mark.asyncio
async def test_get_statuses_single_pair_uses_single_request(
    client: SMSCClient, emulator: Emulator
) -> None:
    a = await client.send_sms(PHONE, "a")
    items = await client.get_statuses([(a.id, PHONE)], all=1)
    assert len(items) == 1
    assert items[0].id == a.id
    assert items[0].phone == PHONE
    assert "," not in emulator.requests[-1].params["id"]


@pytest.mark.asyncio
async def test_status_input_checks(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="get_statuses"):
        await client.get_status("1,2", PHONE)
    with pytest.raises(ValueError, match="phone"):
        await client.get_status(1, "")
    with pytest.raises(ValueError, match="all must be"):
        await client.get_status(1, PHONE, all=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        await client.get_statuses([])
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_delete_message(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_sms(PHONE, "to delete")
    await client.delete_message(sent.id, PHONE)
    assert emulator.requests[-1].params["del"] == "1"
    stored = emulator.find_message(sent.id, "79990000001")
    assert stored is not None
    assert stored.deleted
    assert (await client.get_status(sent.id, PHONE)).status is MessageState.NOT_FOUND
    with pytest.raises(OperationFailedError) as info:
        await client.delete_message(sent.id, PHONE)
    assert info.value.code == 5


@pytest.mark.asyncio
async def test_balance(client: SMSCClient, emulator: Emulator) -> None:
    bal = await client.get_balance()
    assert bal.balance == Decimal("1000.00")
    assert bal.currency == "RUR"
    assert bal.credit is None
    sent = await client.send_sms(PHONE, "x", with_cost=True)
    assert sent.cost is not None
    assert (await client.get_balance()).balance == Decimal("1000.00") - sent.cost
    assert emulator.requests[-1].params["cur"] == "1"


@pytest.mark.asyncio
async def test_balance_with_credit() -> None:
    emu = Emulator(accounts=[Account(credit=Decimal("500.00"), currency="KZT")])
    async with emu.serve() as url, SMSCClient("demo", "demo-password", base_url=url) as c:
        bal = await c.get_balance()
    assert (bal.credit, bal.currency) == (Decimal("500.00"), "KZT")
