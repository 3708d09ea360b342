"""Sender names (senders.php): the client against the emulator's stateful senders.php."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

import aiohttp
import msgspec
import pytest

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CodeAlreadySentError,
    InvalidCodeError,
    InvalidPhoneError,
    IPBlockedError,
    NotFoundError,
    OperationFailedError,
    RateLimitedError,
    ServerRateLimitError,
    SMSCClient,
)
from smsc_async.emulator import Emulator
from smsc_async.senders import (
    MAX_PAGE_SIZE,
    OperatorStatus,
    SenderName,
    SenderOperator,
    SenderStatus,
)

from .conftest import LOGIN, PASSWORD, url_of

DIGITAL = "79991234567"


def sent(emulator: Emulator) -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == "senders.php"]


# --- lifecycle -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_name_lifecycle(client: SMSCClient, emulator: Emulator) -> None:
    new_id = await client.senders.add(
        "MyShop",
        comment="shop notices",
        organisation="OOO Shop",
        inn="7700000000",
        email="boss@shop.example",
        register_with=[SenderOperator.MTS_STEP, SenderOperator.MEGAFON_STEP],
    )
    params = sent(emulator)[-1]
    assert params["add"] == "1"
    assert params["sender"] == "MyShop"
    assert params["cmt"] == "shop notices"
    assert params["fio"] == "OOO Shop"
    assert params["mts_step"] == params["mega_step"] == "1"

    # Waiting for moderation: not among the approved names, listed with include_all.
    assert await client.senders.list() == []
    [waiting] = await client.senders.list(include_all=True)
    assert (waiting.id, waiting.sender, waiting.status) == (new_id, "MyShop", 0)
    assert waiting.status is SenderStatus.MODERATION
    assert waiting.mts_step_status is None  # operator statuses only when asked

    emulator.moderate_sender(
        "MyShop",
        1,
        operators={"mts_step": 2, "mega_step": 8, "tele2": 3},
        replacement="MyShop-R",
    )
    [approved] = await client.senders.list(operator_statuses=True)
    assert sent(emulator)[-1]["operators"] == "1"
    assert approved.status is SenderStatus.ALLOWED
    assert approved.mts_step_status is OperatorStatus.APPROVED
    assert approved.mega_step_status is OperatorStatus.DOCUMENTS_REQUIRED
    assert approved.tele2_status is OperatorStatus.REJECTED
    assert approved.replacement == "MyShop-R"
    assert approved.operator_statuses == {
        "mega_step": OperatorStatus.DOCUMENTS_REQUIRED,
        "mts_step": OperatorStatus.APPROVED,
        "tele2": OperatorStatus.REJECTED,
    }

    await client.senders.change(
        id=new_id, comment="new comment", site="shop.example", register_with=[SenderOperator.MTS]
    )
    assert sent(emulator)[-1]["id"] == str(new_id)
    [record] = emulator.sender_names()
    assert record.details["cmt"] == "new comment"
    assert record.details["site"] == "shop.example"
    assert record.operators["mts"] == 0

    await client.senders.delete("MyShop")
    assert await client.senders.list(include_all=True) == []
    assert emulator.sender_names() == []


@pytest.mark.asyncio
async def test_digital_name_confirmed_with_a_code(client: SMSCClient, emulator: Emulator) -> None:
    name_id = await client.senders.add(DIGITAL)
    await client.senders.send_code(DIGITAL, site_name="shop.example")
    assert sent(emulator)[-1]["site_name"] == "shop.example"
    code = emulator.sender_code(name_id)
    assert code is not None
    assert code.isdigit()
    assert len(code) == 6

    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidCodeError) as caught:
        await client.senders.check_code(DIGITAL, wrong)
    assert caught.value.code == 11
    assert caught.value.script == "senders.php"
    assert "Invalid confirmation code." in str(caught.value)
    assert not isinstance(caught.value, BadRequestError)
    assert emulator.sender_names()[0].confirmed is False

    await client.senders.check_code(DIGITAL, code)
    assert emulator.sender_names()[0].confirmed is True
    [name] = await client.senders.list()
    assert (name.sender, name.status) == (DIGITAL, SenderStatus.ALLOWED)
    await client.senders.delete(id=name_id)
    assert emulator.sender_names() == []


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_second_code_within_8_hours_is_refused(
    client: SMSCClient, emulator: Emulator
) -> None:
    name_id = await client.senders.add(DIGITAL)
    await client.senders.send_code(DIGITAL)
    first = emulator.sender_code(name_id)
    assert first is not None

    await asyncio.sleep(8 * 3600 - 1)
    with pytest.raises(CodeAlreadySentError) as caught:
        await client.senders.send_code(DIGITAL, site_name="shop.example")
    assert caught.value.code == 10
    assert caught.value.script == "senders.php"
    assert "Retry is possible after 8 hours" in str(caught.value)
    # Another subclient's name of the same number: the same phone would get the SMS.
    await client.senders.add(DIGITAL, user="shop1")
    with pytest.raises(CodeAlreadySentError):
        await client.senders.send_code(DIGITAL, user="shop1")
    # Another number is not affected.
    await client.senders.add("79990000002")
    await client.senders.send_code("79990000002")
    assert [r.answered_error for r in emulator.requests if "send_code" in r.params] == [
        None,
        10,
        10,
        None,
    ]

    # The code sent first still confirms the name.
    assert emulator.sender_code(name_id) == first
    await client.senders.check_code(DIGITAL, first)
    assert emulator.sender_names()[0].confirmed is True

    await asyncio.sleep(1)  # 8 hours after the first code: a new one may be sent
    await client.senders.send_code(DIGITAL, user="shop1")
    assert emulator.sender_code(DIGITAL, user="shop1") is not None


@pytest.mark.asyncio
async def test_send_code_to_a_bad_number_is_invalid_phone(
    client: SMSCClient, emulator: Emulator
) -> None:
    # Five digits pass the client's check (a short number may be a digital name somewhere);
    # SMSC (here the emulator: 10 to 15 digits) finds the format invalid.
    await client.senders.add("12345")
    with pytest.raises(InvalidPhoneError) as caught:
        await client.senders.send_code("12345")
    assert caught.value.code == 7
    assert caught.value.script == "senders.php"
    assert "Invalid number format." in str(caught.value)
    assert emulator.sender_code("12345") is None
    # The format is checked before the name is looked up.
    with pytest.raises(InvalidPhoneError):
        await client.senders.send_code("+441234")


@pytest.mark.asyncio
async def test_subclient_names_are_kept_apart(client: SMSCClient, emulator: Emulator) -> None:
    await client.senders.add("Main")
    await client.senders.add("Sub", user="shop1")
    assert sent(emulator)[-1]["user"] == "shop1"
    [own] = await client.senders.list(include_all=True)
    [theirs] = await client.senders.list(include_all=True, user="shop1")
    assert (own.sender, theirs.sender) == ("Main", "Sub")
    with pytest.raises(NotFoundError):
        await client.senders.delete("Sub")  # not the account's own name
    await client.senders.delete("Sub", user="shop1")
    assert [r.sender for r in emulator.sender_names()] == ["Main"]


# --- listing and paging --------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime  # seven adds: the sixth waits for the five-a-minute rule
async def test_iterate_pages_with_prev_id(client: SMSCClient, emulator: Emulator) -> None:
    ids = [await client.senders.add(f"Name{i}") for i in range(7)]
    emulator.clear_requests()
    names = [name async for name in client.senders.iterate(include_all=True, page_size=3)]
    assert [n.id for n in names] == sorted(ids, reverse=True)  # newest first, each once
    pages = sent(emulator)
    assert len(pages) == 3
    assert [p["cnt"] for p in pages] == ["3", "3", "3"]
    assert "prev_id" not in pages[0]
    assert pages[1]["prev_id"] == str(names[2].id)
    assert pages[2]["prev_id"] == str(names[5].id)
    assert all(p["all"] == "1" for p in pages)


@pytest.mark.asyncio
async def test_iterate_stops_on_an_empty_last_page(client: SMSCClient, emulator: Emulator) -> None:
    for i in range(4):
        await client.senders.add(f"Name{i}")
    emulator.clear_requests()
    names = [n.sender async for n in client.senders.iterate(include_all=True, page_size=2)]
    assert names == ["Name3", "Name2", "Name1", "Name0"]
    # Two full pages, then a page that finds nothing (error 3, read as the end).
    assert len(sent(emulator)) == 3
    assert emulator.requests[-1].answered_error == 3


@pytest.mark.asyncio
async def test_list_sends_its_filters(client: SMSCClient, emulator: Emulator) -> None:
    first = await client.senders.add("Old")
    await client.senders.add("New")
    page = await client.senders.list(
        include_all=True, before_id=first + 1, limit=10, from_date=date(2000, 1, 31)
    )
    assert [n.sender for n in page] == ["Old"]
    params = sent(emulator)[-1]
    assert (params["prev_id"], params["cnt"], params["from_date"]) == (
        str(first + 1),
        "10",
        "31.01.2000",
    )
    # Nothing changed after a date in the future.
    assert await client.senders.list(include_all=True, from_date="01.01.2100") == []


@pytest.mark.asyncio
async def test_empty_lists(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.senders.list() == []
    assert await client.senders.list(include_all=True, operator_statuses=True) == []
    assert [n async for n in client.senders.iterate()] == []
    assert [r.answered_error for r in emulator.requests] == [3, 3, 3]


def test_unknown_status_codes_are_tolerated() -> None:
    body = b'[{"id": "5", "sender": "X", "status": 7, "mts_step_status": 9, "new": 1}]'
    [name] = msgspec.json.decode(body, type=list[SenderName], strict=False)
    assert name.id == 5
    assert name.status == 7
    assert name.status is not None
    assert name.status.name == "UNKNOWN_7"
    assert name.mts_step_status == 9
    assert name.operator_statuses == {"mts_step": 9}


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_natural_errors(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(NotFoundError) as missing:
        await client.senders.delete("Nobody")
    assert missing.value.code == 3
    with pytest.raises(NotFoundError):
        await client.senders.change(id=424242, comment="x")
    with pytest.raises(NotFoundError):
        await client.senders.send_code(DIGITAL)

    await client.senders.add("Twice")
    with pytest.raises(OperationFailedError) as duplicate:
        await client.senders.add("twice")
    assert duplicate.value.code == 5

    with pytest.raises(BadRequestError) as too_long:
        await client.senders.add("FarTooLongForASender")
    assert too_long.value.code == 1
    await client.senders.add(DIGITAL)
    with pytest.raises(InvalidCodeError) as no_code:
        await client.senders.check_code(DIGITAL, "1234")  # no code was ever sent
    assert no_code.value.code == 11
    assert [r.sender for r in emulator.sender_names()] == ["Twice", DIGITAL]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1, BadRequestError),
        (2, AuthenticationError),
        (3, NotFoundError),
        (4, IPBlockedError),
        (5, OperationFailedError),
        (7, InvalidPhoneError),
        (9, ServerRateLimitError),
        (10, CodeAlreadySentError),
        (11, InvalidCodeError),
    ],
)
async def test_error_codes_map_to_classes(
    client: SMSCClient, emulator: Emulator, code: int, error: type[APIError]
) -> None:
    emulator.faults.api_error(1, code=code, script="senders.php")
    with pytest.raises(error) as caught:
        await client.senders.delete(id=1)
    assert caught.value.code == code
    assert caught.value.script == "senders.php"
    assert type(caught.value) is error


@pytest.mark.asyncio
async def test_list_raises_errors_other_than_no_records(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.api_error(1, code=2, script="senders.php")
    with pytest.raises(AuthenticationError):
        await client.senders.list()


# --- bad input -------------------------------------------------------------------------------

Call = Callable[[SMSCClient], Awaitable[object]]


async def _iterate(c: SMSCClient, **kwargs: object) -> object:
    return c.senders.iterate(**kwargs)  # type: ignore[arg-type]


BAD: list[tuple[str, Call, type[Exception]]] = [
    ("empty name", lambda c: c.senders.add(""), ValueError),
    ("blank name", lambda c: c.senders.add("  "), ValueError),
    ("name not str", lambda c: c.senders.add(42), TypeError),  # type: ignore[arg-type]
    ("unknown detail", lambda c: c.senders.add("A", bogus="x"), TypeError),  # type: ignore[call-arg]
    ("bad email", lambda c: c.senders.add("A", email="nobody"), ValueError),
    ("operator as str", lambda c: c.senders.add("A", register_with=["mts"]), TypeError),  # type: ignore[list-item]
    ("empty comment", lambda c: c.senders.add("A", comment=""), ValueError),
    ("limit 0", lambda c: c.senders.list(limit=0), ValueError),
    ("limit too big", lambda c: c.senders.list(limit=MAX_PAGE_SIZE + 1), ValueError),
    ("iso date", lambda c: c.senders.list(from_date="2024-01-31"), ValueError),
    ("date as int", lambda c: c.senders.list(from_date=20240131), TypeError),  # type: ignore[arg-type]
    ("negative before_id", lambda c: c.senders.list(before_id=-1), ValueError),
    ("flag not bool", lambda c: c.senders.list(include_all=1), TypeError),  # type: ignore[arg-type]
    ("page size 0", lambda c: _iterate(c, page_size=0), ValueError),
    ("iterate bad date", lambda c: _iterate(c, from_date="yesterday"), ValueError),
    ("change neither", lambda c: c.senders.change(comment="x"), TypeError),
    ("change both", lambda c: c.senders.change("A", id=1, comment="x"), TypeError),
    ("change nothing", lambda c: c.senders.change("A"), ValueError),
    ("delete neither", lambda c: c.senders.delete(), TypeError),
    ("code letters", lambda c: c.senders.check_code(DIGITAL, "12a4"), ValueError),
    ("code int", lambda c: c.senders.check_code(DIGITAL, 1234), TypeError),  # type: ignore[arg-type]
    ("code for alpha name", lambda c: c.senders.send_code("MyShop"), ValueError),
    ("empty site name", lambda c: c.senders.send_code(DIGITAL, site_name=""), ValueError),
    ("empty user", lambda c: c.senders.delete("A", user=""), ValueError),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("call", "error"), [(c, e) for _, c, e in BAD], ids=[n for n, _, _ in BAD])
async def test_bad_input_sends_nothing(
    client: SMSCClient, emulator: Emulator, call: Call, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_unknown_detail_is_named(client: SMSCClient) -> None:
    with pytest.raises(TypeError, match="colour"):
        await client.senders.add("A", colour="red")  # type: ignore[call-arg]


# --- limits ----------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_three_identical_requests_per_minute(client: SMSCClient, emulator: Emulator) -> None:
    await client.senders.add("Limited")
    emulator.moderate_sender("Limited")
    emulator.clear_requests()
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):
        assert len(await client.senders.list()) == 1
    assert loop.time() - start < 1
    # A different request is not identical: it passes at once.
    assert len(await client.senders.list(limit=5)) == 1
    assert loop.time() - start < 1
    # The fourth identical one waits for the first to leave the minute.
    assert len(await client.senders.list()) == 1
    assert loop.time() - start >= 60
    stamps = [r.at for r in emulator.requests if "cnt" not in r.params]
    assert len(stamps) == 4
    assert stamps[3] - stamps[0] >= 60
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_fourth_identical_request_can_fail_fast(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), on_limit="raise") as c:
        for _ in range(3):
            await c.senders.list()
        with pytest.raises(RateLimitedError) as caught:
            await c.senders.list()
    assert caught.value.rule == "senders.identical"
    assert len(emulator.requests) == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_sixth_new_name_in_a_minute_waits_at_the_gate(
    client: SMSCClient, emulator: Emulator
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(5):
        await client.senders.add(f"Shop{i}")
        assert loop.time() - start < 10 * i + 1
        await asyncio.sleep(10)
    # Different names, so no "identical" rule holds the sixth: only "five adds a minute".
    await client.senders.add("Shop5")
    assert loop.time() - start >= 60
    # A raw call() of the same command counts in the same window: it waits for the add at 10.
    await client.call("senders.php", add=1, sender="Shop6")
    assert loop.time() - start >= 70
    adds = [r.at for r in emulator.requests if "add" in r.params]
    assert len(adds) == 7
    assert adds[5] - adds[0] >= 60
    assert adds[6] - adds[1] >= 60
    for i, t in enumerate(adds):
        assert sum(1 for u in adds[i:] if u <= t + 60) <= 5
    assert all(r.answered_error is None for r in emulator.requests)
    assert len(emulator.sender_names()) == 7


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_sixth_new_name_can_fail_fast(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), on_limit="raise") as c:
        for i in range(5):
            await c.senders.add(f"Shop{i}", user="shop1" if i % 2 else None)
        with pytest.raises(RateLimitedError) as caught:
            await c.senders.add("Shop5")
        # Other senders.php commands are not adds.
        assert len(await c.senders.list(include_all=True)) == 3
    assert caught.value.rule == "senders.add"
    assert 55 <= caught.value.retry_after <= 62
    assert len(emulator.requests) == 6


# --- the emulator in the other formats ------------------------------------------------------


async def _raw(http: aiohttp.ClientSession, emulator: Emulator, **fields: str) -> str:
    data = {"login": LOGIN, "psw": PASSWORD, **fields}
    async with http.post(f"{url_of(emulator)}/sys/senders.php", data=data) as resp:
        assert resp.status == 200
        return await resp.text()


@pytest.mark.asyncio
async def test_emulator_answers_fmt_0_and_1(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        added = await _raw(http, emulator, add="1", sender="RawName", fmt="0")
        assert added.startswith("ID = ")
        name_id = int(added.removeprefix("ID = "))
        emulator.moderate_sender(name_id, 1, operators={"mts_step": 2}, replacement="Alt")
        text = await _raw(http, emulator, get="1", operators="1", fmt="0")
        assert text == (
            f"id = {name_id}, sender = RawName, status = 1, mts_step_status = 2, replacement = Alt"
        )
        # fmt=1 leaves the replacement out (SMSC adds it in fmt 0, 2 and 3 only).
        assert await _raw(http, emulator, get="1", operators="1", fmt="1") == (
            f"{name_id},RawName,1,2"
        )
        assert await _raw(http, emulator, add="1", sender="RawName2", fmt="1") == str(name_id + 1)
        assert await _raw(http, emulator, send_code="1", sender="RawName", fmt="0") == (
            "ERROR = 7 (Invalid number format.)"
        )
        # Found by id, the name is still no number.
        assert await _raw(http, emulator, send_code="1", id=str(name_id), fmt="1") == "0,-7"
        assert await _raw(http, emulator, chg="1", id=str(name_id), cmt="c", fmt="0") == "OK"
        assert await _raw(http, emulator, del_="1", fmt="1") == "0,-1"  # no command
        assert await _raw(http, emulator, **{"del": "1"}, id=str(name_id), fmt="1") == "OK"
        assert await _raw(http, emulator, **{"del": "1"}, id=str(name_id), fmt="0") == (
            "ERROR = 3 (no records found)"
        )
        assert await _raw(http, emulator, get="1", cnt="1001", fmt="1") == "0,-1"
