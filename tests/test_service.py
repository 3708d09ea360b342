"""Dedicated numbers (receive_phones.php), call confirmation (wait_call.php), events (ping.php)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async import SMSCClient
from smsc_async.emulator import Account, Emulator
from smsc_async.emulator._params import MOSCOW
from smsc_async.emulator._service import (
    CALL_LINES,
    DEFAULT_FREE_NUMBERS,
    WAIT_CALL_TIMEOUT,
    NotifiedEvent,
)
from smsc_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidPhoneError,
    IPBlockedError,
    MessageForbiddenError,
    NotFoundError,
    OperationFailedError,
    ServerRateLimitError,
    UndeliverableError,
)
from smsc_async.service import InboundNumber, WaitCallResult

from .conftest import LOGIN, PASSWORD, url_of

CLASSES: dict[int, type[APIError]] = {
    1: BadRequestError,
    2: AuthenticationError,
    3: NotFoundError,
    4: IPBlockedError,
    5: OperationFailedError,
    6: MessageForbiddenError,
    7: InvalidPhoneError,
    8: UndeliverableError,
    9: ServerRateLimitError,
}
# 21.06.2024 12:00 Moscow: 10 days of June's 30 are left, today included.
JUNE_21 = datetime(2024, 6, 21, 12, 0, tzinfo=MOSCOW).timestamp()
NUMBER = "79587000101"


async def raw_post(emulator: Emulator, script: str, **params: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url_of(emulator)}/sys/{script}",
            data={"login": LOGIN, "psw": PASSWORD, "charset": "utf-8", **params},
        ) as resp,
    ):
        assert resp.status == 200
        return (await resp.read()).decode("utf-8")


@pytest_asyncio.fixture
async def june() -> AsyncIterator[tuple[Emulator, SMSCClient]]:
    """An emulator whose clock shows 21 June 2024, with a client; balance 1000.00."""
    emu = Emulator(clock_start=JUNE_21)
    async with (
        emu.serve(),
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), retry_backoff=0) as smsc,
    ):
        yield emu, smsc


# --- receive_phones.php ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_list_available(client: SMSCClient, emulator: Emulator) -> None:
    numbers = await client.inbound_numbers.list_available()
    assert numbers == [
        InboundNumber(
            phone=n.phone, monthly_cost=n.monthly_cost, operator=n.operator, region=n.region
        )
        for n in DEFAULT_FREE_NUMBERS
    ]
    assert numbers[0].monthly_cost == Decimal("450.00")
    assert emulator.requests[-1].params["get"] == "1"


@pytest.mark.asyncio
async def test_list_available_empty(client: SMSCClient, emulator: Emulator) -> None:
    emulator.clear_free_inbound_numbers()
    assert await client.inbound_numbers.list_available() == []
    assert emulator.requests[-1].answered_error == 3


@pytest.mark.asyncio
async def test_buy_charges_the_rest_of_the_month(june: tuple[Emulator, SMSCClient]) -> None:
    emulator, client = june
    await client.inbound_numbers.buy("+7 958 700-01-01")
    assert emulator.balance() == Decimal("850.00")  # 450.00 * 10 / 30
    (owned,) = emulator.inbound_numbers()
    assert (owned.phone, owned.charged, owned.renew) == (NUMBER, Decimal("150.00"), True)
    available = await client.inbound_numbers.list_available()
    assert NUMBER not in {n.phone for n in available}
    assert len(available) == len(DEFAULT_FREE_NUMBERS) - 1
    balance = await client.get_balance()
    assert balance.balance == Decimal("850.00")


@pytest.mark.asyncio
async def test_buy_without_enough_money() -> None:
    poor = Emulator(accounts=[Account(balance=Decimal("100.00"))], clock_start=JUNE_21)
    async with (
        poor.serve(),
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(poor), retry_backoff=0) as client,
    ):
        with pytest.raises(OperationFailedError) as caught:
            await client.inbound_numbers.buy(NUMBER)
        assert caught.value.code == 5
        assert poor.balance() == Decimal("100.00")
        assert poor.inbound_numbers() == []
        assert NUMBER in {n.phone for n in poor.free_inbound_numbers()}


@pytest.mark.asyncio
async def test_buy_unknown_or_taken_number(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.inbound_numbers.buy("79990000000")
    assert caught.value.code == 3
    await client.inbound_numbers.buy(NUMBER)
    with pytest.raises(NotFoundError):
        await client.inbound_numbers.buy(NUMBER)
    assert len(emulator.inbound_numbers()) == 1


@pytest.mark.asyncio
async def test_set_renewal(client: SMSCClient, emulator: Emulator) -> None:
    await client.inbound_numbers.buy(NUMBER)
    await client.inbound_numbers.set_renewal(NUMBER, False)
    sent = emulator.requests[-1].params
    assert (sent["chg"], sent["phone"], sent["noprolong"]) == ("1", NUMBER, "1")
    assert emulator.inbound_numbers()[0].renew is False
    await client.inbound_numbers.set_renewal(NUMBER, True)
    assert emulator.requests[-1].params["noprolong"] == "0"
    assert emulator.inbound_numbers()[0].renew is True


@pytest.mark.asyncio
async def test_set_renewal_of_a_number_not_owned(client: SMSCClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.inbound_numbers.set_renewal(NUMBER, False)
    assert caught.value.code == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_third_identical_list_waits_a_minute(client: SMSCClient, emulator: Emulator) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):
        assert len(await client.inbound_numbers.list_available()) == 4
    elapsed = loop.time() - start
    assert 60 <= elapsed < 70
    stamps = [r.at for r in emulator.requests]
    assert stamps[1] - stamps[0] < 1
    assert stamps[2] - stamps[0] >= 60
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
async def test_receive_phones_fmt_0_and_1(emulator: Emulator) -> None:
    body = await raw_post(emulator, "receive_phones.php", get="1", fmt="1")
    assert body.splitlines()[0] == "79587000101,450.00,MTS,Moscow"
    body = await raw_post(emulator, "receive_phones.php", buy="1", phone=NUMBER, fmt="0")
    assert body == "OK"
    body = await raw_post(
        emulator, "receive_phones.php", chg="1", phone=NUMBER, noprolong="2", fmt="0"
    )
    assert body == "ERROR = 1 (parameters error)"
    body = await raw_post(emulator, "receive_phones.php", buy="1", phone=NUMBER, fmt="1")
    assert body == "0,-3"
    # The list flag is get=1; the third-party gets=1 is not a command here.
    body = await raw_post(emulator, "receive_phones.php", gets="1", fmt="0")
    assert body == "ERROR = 1 (parameters error)"


# --- wait_call.php ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_wait_call_and_the_call(client: SMSCClient, emulator: Emulator) -> None:
    result = await client.wait_call("+7 (999) 123-45-67")
    assert result == WaitCallResult(call_to=CALL_LINES[0], timeout=WAIT_CALL_TIMEOUT)
    assert emulator.requests[-1].params["phone"] == "+7 (999) 123-45-67"
    (pending,) = emulator.call_confirmations()
    assert (pending.phone, pending.call_to, pending.confirmed_at) == (
        "79991234567",
        CALL_LINES[0],
        None,
    )

    confirmed = emulator.simulate_call("+79991234567")
    assert confirmed.confirmed_at is not None
    form = confirmed.callback_form("s3cret")
    ts = str(int(confirmed.confirmed_at))
    expected = hashlib.md5(f"79991234567:{ts}:s3cret".encode()).hexdigest()
    assert form == {"waitcall": "1", "phone": "79991234567", "ts": ts, "md5": expected}
    with pytest.raises(LookupError):
        emulator.simulate_call("79991234567")  # already confirmed

    second = await client.wait_call("79990000002")
    assert second.call_to == CALL_LINES[1]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_wait_call_expires(client: SMSCClient, emulator: Emulator) -> None:
    await client.wait_call("79991234567")
    await asyncio.sleep(WAIT_CALL_TIMEOUT + 1)
    with pytest.raises(LookupError, match="expired"):
        emulator.simulate_call("79991234567")
    assert emulator.call_confirmations()[0].confirmed_at is None


@pytest.mark.asyncio
async def test_wait_call_invalid_phone(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        await client.wait_call("12345")
    assert caught.value.code == 7
    assert caught.value.script == "wait_call.php"
    assert emulator.call_confirmations() == []


@pytest.mark.asyncio
async def test_wait_call_fmt_0_and_1(emulator: Emulator) -> None:
    body = await raw_post(emulator, "wait_call.php", phone="79991234567", fmt="1")
    assert body == f"{CALL_LINES[0]},{WAIT_CALL_TIMEOUT}"
    body = await raw_post(emulator, "wait_call.php", phone="79991234568", fmt="0")
    assert body == f"phone = {CALL_LINES[1]}, timeout = {WAIT_CALL_TIMEOUT}"
    body = await raw_post(emulator, "wait_call.php", fmt="0")
    assert body == "ERROR = 1 (parameters error)"


# --- ping.php ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_notify_event(client: SMSCClient, emulator: Emulator) -> None:
    await client.notify_event(12, name="web-1", host="10.0.0.5", info="disk full")
    sent = emulator.requests[-1].params
    assert (sent["id"], sent["ok"]) == ("12", "0")
    await client.notify_event("12", host="10.0.0.5", recovered=True)
    assert "name" not in emulator.requests[-1].params
    first, second = emulator.notified_events()
    assert first == NotifiedEvent(
        group_id=12,
        name="web-1",
        host="10.0.0.5",
        info="disk full",
        recovered=False,
        at=first.at,
    )
    assert (second.group_id, second.name, second.host, second.recovered) == (
        12,
        "",
        "10.0.0.5",
        True,
    )


@pytest.mark.asyncio
async def test_ping_without_id_refused_by_emulator(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.call("ping.php", name="x")
    assert caught.value.code == 1
    assert emulator.notified_events() == []


@pytest.mark.asyncio
async def test_ping_fmt_0_and_1(emulator: Emulator) -> None:
    assert await raw_post(emulator, "ping.php", id="5", ok="1", fmt="0") == "OK"
    assert await raw_post(emulator, "ping.php", id="x", fmt="1") == "0,-1"
    (event,) = emulator.notified_events()
    assert (event.group_id, event.recovered) == (5, True)


# --- errors and bad input ---------------------------------------------------------------------

Action = Callable[[SMSCClient], Awaitable[Any]]
ACTIONS: dict[str, tuple[str, Action]] = {
    "list_available": ("receive_phones.php", lambda c: c.inbound_numbers.list_available()),
    "buy": ("receive_phones.php", lambda c: c.inbound_numbers.buy(NUMBER)),
    "set_renewal": ("receive_phones.php", lambda c: c.inbound_numbers.set_renewal(NUMBER, True)),
    "wait_call": ("wait_call.php", lambda c: c.wait_call("79991234567")),
    "notify_event": ("ping.php", lambda c: c.notify_event(1)),
}


@pytest.mark.parametrize("code", sorted(CLASSES))
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.asyncio
async def test_errors_map_to_classes(
    client: SMSCClient, emulator: Emulator, action: str, code: int
) -> None:
    script, call = ACTIONS[action]
    emulator.faults.api_error(1, code=code, script=script)
    if action == "list_available" and code == 3:
        assert await call(client) == []  # "no records found" is an empty list
        return
    with pytest.raises(CLASSES[code]) as caught:
        await call(client)
    assert caught.value.code == code
    assert caught.value.script == script
    assert emulator.requests[-1].fault == "api_error"


BAD_CALLS: list[tuple[str, Action, type[Exception]]] = [
    ("buy empty", lambda c: c.inbound_numbers.buy(""), ValueError),
    ("buy list", lambda c: c.inbound_numbers.buy("79990000001,79990000002"), ValueError),
    ("buy int", lambda c: c.inbound_numbers.buy(79990000001), TypeError),  # type: ignore[arg-type]
    ("renew empty", lambda c: c.inbound_numbers.set_renewal(" ", True), ValueError),
    ("renew not bool", lambda c: c.inbound_numbers.set_renewal(NUMBER, 0), TypeError),  # type: ignore[arg-type]
    ("wait_call empty", lambda c: c.wait_call(""), ValueError),
    ("wait_call none", lambda c: c.wait_call(None), TypeError),  # type: ignore[arg-type]
    ("ping id text", lambda c: c.notify_event("abc"), ValueError),
    ("ping id bool", lambda c: c.notify_event(True), TypeError),
    ("ping empty name", lambda c: c.notify_event(1, name=""), ValueError),
    ("ping host int", lambda c: c.notify_event(1, host=5), TypeError),  # type: ignore[arg-type]
    ("ping recovered", lambda c: c.notify_event(1, recovered="yes"), TypeError),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("call", "error"),
    [(call, error) for _, call, error in BAD_CALLS],
    ids=[name for name, _, _ in BAD_CALLS],
)
@pytest.mark.asyncio
async def test_bad_input_sends_nothing(
    client: SMSCClient, emulator: Emulator, call: Action, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert emulator.requests == []
