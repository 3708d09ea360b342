"""The raw escape hatch ``SMSCClient.call`` and how it picks limit rules and retry safety."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from smsc_async import (
    AuthenticationError,
    BadRequestError,
    HTTPStatusError,
    RateLimitedError,
    SMSCClient,
    TransportError,
    _endpoints,
    contacts,
    documents,
    exports,
    history,
    jobs,
    senders,
    service,
    subclients,
    templates,
)
from smsc_async._endpoints import Endpoint, endpoint_for_call
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
        ("users.php", {"add": "1", "user": "a"}, "users_add", False),
        ("users.php", {"chg": "1", "user": "a"}, "users_change", False),
        ("ping.php", {"id": "1"}, "ping", False),
        ("downloads.php", {}, "downloads", True),
        ("downloads.php", {"get": "1", "id": "5"}, "downloads", True),
    ],
)
def test_endpoint_for_call_picks_rules_and_safety(
    script: str, fields: dict[str, str], name: str, safe: bool
) -> None:
    endpoint = endpoint_for_call(script, fields)
    assert (endpoint.name, endpoint.script, endpoint.safe) == (name, script, safe)


def _typed_endpoints() -> list[Endpoint[Any]]:
    modules = (_endpoints, contacts, senders, subclients, documents, exports, history, jobs)
    found: dict[int, Endpoint[Any]] = {}
    for module in (*modules, service, templates):
        for value in vars(module).values():
            if isinstance(value, Endpoint):
                found[id(value)] = value
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                # Endpoint tables kept in small holder objects (e.g. per-script bundles).
                for field in dataclasses.fields(value):
                    inner = getattr(value, field.name)
                    if isinstance(inner, Endpoint):
                        found[id(inner)] = inner
    return list(found.values())


def test_only_reads_may_be_repeated() -> None:
    """Every typed endpoint is safe exactly when the raw path would call it a read."""
    endpoints = _typed_endpoints()
    assert len(endpoints) >= 60
    for endpoint in endpoints:
        if endpoint.script == "status.php":
            continue  # status/delete safety depends on the request, checked above
        raw = endpoint_for_call(endpoint.script, endpoint.command)
        assert endpoint.safe == raw.safe, (endpoint.name, endpoint.script, dict(endpoint.command))
        # A raw call() of the same command counts in the same limit windows.
        assert endpoint.name == raw.name, (endpoint.name, raw.name)


_CHANGES: list[tuple[str, Callable[[SMSCClient], Awaitable[object]]]] = [
    ("users.php", lambda c: c.subclients.top_up("shop1", 10)),
    ("users.php", lambda c: c.subclients.add("shop2", "pw-123")),
    ("jobs.php", lambda c: c.jobs.add("Sale", PHONE, "hi")),
    ("phones.php", lambda c: c.contacts.add(PHONE, "Ann")),
    ("senders.php", lambda c: c.senders.add("Shop")),
    ("templates.php", lambda c: c.templates.add("otp", "Code")),
    ("receive_phones.php", lambda c: c.inbound_numbers.buy("79010000001")),
    ("wait_call.php", lambda c: c.wait_call(PHONE)),
    ("ping.php", lambda c: c.notify_event(1)),
    ("documents.php", lambda c: c.documents.add_invoice(10, "SMS", user="shop1")),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("script", "change"), _CHANGES)
async def test_a_change_whose_answer_is_lost_is_not_repeated(
    client: SMSCClient,
    emulator: Emulator,
    script: str,
    change: Callable[[SMSCClient], Awaitable[object]],
) -> None:
    emulator.faults.drop(1, script=script, after_processing=True)
    with pytest.raises(TransportError) as info:
        await change(client)
    assert info.value.request_sent
    assert sum(r.script == script for r in emulator.requests) == 1


@pytest.mark.asyncio
async def test_a_list_whose_answer_is_lost_is_asked_again(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.contacts.add(PHONE, "Ann")
    emulator.faults.drop(1, script="phones.php", after_processing=True)
    assert [c.name for c in await client.contacts.list()] == ["Ann"]
    assert sum(r.script == "phones.php" for r in emulator.requests) == 3
