"""Bad input is refused before the gate and before any request, with what to change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from smsc_async import MessageKind, SMSCClient
from smsc_async.emulator import Emulator
from smsc_async.params import check_recipients

pytestmark = [pytest.mark.asyncio, pytest.mark.looptime]

PHONE = "+79990000001"


async def refused(emulator: Emulator, call: Any, match: str) -> None:
    before = emulator.request_count
    with pytest.raises(ValueError, match=match):
        await call
    assert emulator.request_count == before  # nothing left


@pytest.mark.parametrize("phone", ["+7999abc0001", "call me", "79990000001; DROP", "+"])
async def test_phone_numbers_with_letters(
    client: SMSCClient, emulator: Emulator, phone: str
) -> None:
    await refused(emulator, client.send_sms(phone, "hi"), "not a phone number")
    await refused(emulator, client.get_cost(phone, "hi"), "not a phone number")


async def test_recipients_that_are_fine(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms("+7 (999) 000-00-02", "hi")
    await client.send_email("ann@example.com", "hi", subject="s", from_address="a@shop.example")
    assert emulator.request_count == 2
    assert check_recipients("G12,+79990000003", MessageKind.SMS)  # a contact group is one too
    assert check_recipients("@nick,#123", MessageKind.TELEGRAM)


@pytest.mark.parametrize("bad", [-5, 0, 10**30, "1 OR 1=1", "-5", "a" * 41, "99999999999999999999"])
async def test_ids_of_status_and_delete(client: SMSCClient, emulator: Emulator, bad: Any) -> None:
    await refused(emulator, client.get_status(bad, PHONE), "id")
    await refused(emulator, client.delete_message(bad, PHONE), "id")


async def test_a_recipient_to_look_up_must_be_one(client: SMSCClient, emulator: Emulator) -> None:
    await refused(emulator, client.get_status(5, "1' OR '1'='1"), "not the recipient")
    await refused(emulator, client.get_status(5, "+7999\n0"), "not the recipient")


@pytest.mark.parametrize(
    ("sender", "match"),
    [("S" * 100, "not a sender name"), ("Shop\nX", "control character"), ("Ш" * 5, "sender")],
)
async def test_senders(client: SMSCClient, emulator: Emulator, sender: str, match: str) -> None:
    await refused(emulator, client.send_sms(PHONE, "hi", sender=sender), match)


async def test_senders_that_are_fine(client: SMSCClient, emulator: Emulator) -> None:
    for sender in ("Shop", "My Shop 24", "79991234567", "", "."):
        await client.get_cost(PHONE, "hi", sender=sender)
    with pytest.raises(ValueError, match="e-mail address"):
        await client.get_cost("a@b.c", "hi", kind=MessageKind.EMAIL, sender="Shop")


async def test_times_before_1970_or_out_of_two_digit_years(
    client: SMSCClient, emulator: Emulator
) -> None:
    old = datetime(1960, 1, 1, tzinfo=UTC)
    await refused(emulator, client.send_sms(PHONE, "hi", time=old), "before 1970")
    await refused(emulator, client.send_sms(PHONE, "hi", time=datetime(2120, 1, 1)), "2000-2099")


async def test_a_lone_surrogate_is_refused_before_the_gate(
    client: SMSCClient, emulator: Emulator
) -> None:
    loop = asyncio.get_running_loop()
    await refused(emulator, client.send_sms(PHONE, "code \ud800"), "lone surrogate")
    await refused(emulator, client.send_sms(PHONE, "hi", sender="S\udfff"), "lone surrogate")
    # The refused send took no slot: the same send goes at once, not a minute later.
    started = loop.time()
    await client.send_sms(PHONE, "code \ud800".replace("\ud800", "1"))
    await client.send_sms(PHONE, "code 2")
    assert loop.time() - started < 1
