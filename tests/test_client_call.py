"""The raw escape hatch ``SMSCClient.call`` and how it picks limit rules and retry safety."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from smsc_async import (
    AuthenticationError,
    BadRequestError,
    HTTPStatusError,
    RateLimitedError,
    SMSCClient,
    TransportError,
)
from smsc_async._endpoints import endpoint_for_call
from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD, url_of

PHONE = "+79990000001"


@pytest.mark.asyncio
async def test_call_returns_the_decoded_json(client: SMSCClient, emulator: Emulator) -> None:
    answer = await client.call("balance.php", cur=True)
    assert answer == {"balance": "1000.00", "currency": "RUR"}
    sent = await client.send_sms(PHONE, "hello")
    status = await client.call("status.php", id=sent.id, phone=PHONE, all=1)
    assert status["status"] == -1
    assert status["phone"] == "79990000001"
    recorded = emulator.requests[-1]
    assert recorded.params["fmt"] == "3"
    assert recorded.params["charset"] == "utf-8"
    assert "psw" not in recorded.query_keys  # credentials travel in the body


@pytest.mark.asyncio
async def test_call_encodes_values_the_way_smsc_reads_them(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.call(
        "send.php",
        phones=["+79990000001", "+79990000002"],
        mes="hi",
        translit=False,
        flash=True,
        sender=None,
        maxsms=Decimal(3),
    )
    params = emulator.requests[-1].params
    assert params["phones"] == "+79990000001,+79990000002"
    assert params["translit"] == "0"
    assert params["flash"] == "1"
    assert params["maxsms"] == "3"
    assert "sender" not in params
    assert emulator.sends_accepted() == 1


@pytest.mark.asyncio
async def test_call_raises_smsc_errors_as_typed_errors(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, "wrong-password", base_url=url_of(emulator)) as smsc:
        with pytest.raises(AuthenticationError) as info:
            await smsc.call("balance.php")
    assert info.value.code == 2
    assert info.value.script == "balance.php"
    assert "wrong-password" not in str(info.value)
    assert "wrong-password" not in repr(info.value)
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)) as smsc:
        with pytest.raises(BadRequestError):
            await smsc.call("no_such_script.php", get=1)


@pytest.mark.asyncio
async def test_call_refuses_bad_input_before_any_request(
    client: SMSCClient, emulator: Emulator
) -> None:
    for name in ("login", "psw", "apikey", "fmt", "charset"):
        with pytest.raises(ValueError, match=name):
            await client.call("balance.php", **{name: "x"})
    for script in ("", "balance", "../balance.php", "sys/balance.php", "Balance.PHP"):
        with pytest.raises(ValueError, match="script"):
            await client.call(script)
    with pytest.raises(TypeError, match="float"):
        await client.call("balance.php", cur=1.5)  # type: ignore[arg-type]
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_reads_through_call_are_retried(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.http_error(2, status=502, script="balance.php")
    assert (await client.call("balance.php"))["balance"] == "1000.00"
    assert sum(r.script == "balance.php" for r in emulator.requests) == 3


@pytest.mark.asyncio
async def test_changes_through_call_are_never_repeated(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=True)
    with pytest.raises(TransportError):
        await client.call("send.php", phones=PHONE, mes="once")
    emulator.faults.http_error(1, status=502, script="status.php")
    with pytest.raises(HTTPStatusError):
        await client.call("status.php", id=1, phone=PHONE, **{"del": 1})
    assert sum(r.script == "send.php" for r in emulator.requests) == 1
    assert sum(r.script == "status.php" for r in emulator.requests) == 1
    assert emulator.sends_accepted() == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_call_counts_in_the_same_windows_as_the_typed_command(
    emulator: Emulator,
) -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), on_limit="raise") as smsc:
        for _ in range(9):
            await smsc.get_balance()
        await smsc.call("balance.php")  # the 10th balance request of the minute
        with pytest.raises(RateLimitedError) as info:
            await smsc.call("balance.php")
        assert info.value.rule == "balance.any"
        with pytest.raises(RateLimitedError):
            await smsc.get_balance()
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_identical_raw_sends_wait_a_minute(client: SMSCClient, emulator: Emulator) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await client.call("send.php", phones=PHONE, mes="same")
    await client.call("send.php", phones=PHONE, mes="same")
    assert loop.time() - start >= 60
    assert [r.answered_error for r in emulator.requests] == [None, None]


@pytest.mark.parametrize(
    ("script", "fields", "name", "safe"),
    [
        ("send.php", {"phones": "1", "mes": "x"}, "send", False),
        ("send.php", {"cost": "1"}, "send_cost", True),
        ("send.php", {"cost": "3"}, "send", False),
        ("status.php", {"id": "1", "phone": "2"}, "status", True),
        ("status.php", {"id": "1,2,", "phone": "2,3,"}, "status_mass", True),
        ("status.php", {"id": "1", "phone": "2", "del": "1"}, "status_delete", False),
        ("balance.php", {}, "balance", True),
        ("get.php", {"get_stat": "1"}, "get_stat", True),
        ("get.php", {"get_messages": "1"}, "get", True),
        ("info.php", {"get_operator": "1"}, "info_operator", True),
        ("phones.php", {"get": "1"}, "phones", True),
        ("phones.php", {"get": "0", "add": "1"}, "phones", False),
        ("jobs.php", {"get_all": "1"}, "jobs", True),
        ("jobs.php", {"add": "1"}, "jobs", False),
        ("users.php", {"get_stat": "1"}, "users", True),
        ("ping.php", {"id": "1"}, "ping", False),
    ],
)
def test_endpoint_for_call_picks_rules_and_safety(
    script: str, fields: dict[str, str], name: str, safe: bool
) -> None:
    endpoint = endpoint_for_call(script, fields)
    assert (endpoint.name, endpoint.script, endpoint.safe) == (name, script, safe)
