"""Data commands end to end: history, incoming, statistics, tariffs, operators, short links.

Every test runs on virtual time (looptime): the limits gate shares its per-minute windows
process-wide on the real clock, so repeated get.php requests from several tests would
otherwise wait real minutes for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    IPBlockedError,
    MessageState,
    NotFoundError,
    ServerRateLimitError,
    SMSCClient,
)
from smsc_async.emulator import Emulator
from smsc_async.history import HISTORY, STATISTICS, StatisticsRow

from .conftest import LOGIN, PASSWORD, url_of

pytestmark = [pytest.mark.asyncio, pytest.mark.looptime]

MSK = timezone(timedelta(hours=3))
START = datetime(2024, 3, 15, 10, 0, tzinfo=MSK)
DAY = date(2024, 3, 15)
NEXT_DAY = date(2024, 3, 16)
PHONES = ("+79990000001", "+79990000002", "+79990000003")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    # Overrides conftest's: a fixed wall clock makes dates exact. Fixtures run on the real loop
    # clock and looptime restarts it at 0 for the test body, so the clock is set to show START
    # (plus half a second, so whole seconds do not round down) at loop time 0.
    loop_now = asyncio.get_running_loop().time()
    emu = Emulator(clock_start=START.timestamp() + 0.5 + loop_now)
    async with emu.serve():
        yield emu


def get_requests(emulator: Emulator, script: str = "get.php") -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == script]


async def send_three(client: SMSCClient) -> list[str | int]:
    ids = []
    for n, phone in enumerate(PHONES):
        sent = await client.send_sms(phone, f"message {n}")
        ids.append(sent.id)
    return ids


async def raw_post(emulator: Emulator, script: str, **params: str) -> str:
    form = {"login": LOGIN, "psw": PASSWORD, "charset": "utf-8", **params}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url_of(emulator)}/sys/{script}", data=form) as response,
    ):
        assert response.status == 200
        return await response.text()


# --- history -----------------------------------------------------------------------------------


async def test_history_lists_sent_messages_newest_first(
    client: SMSCClient, emulator: Emulator
) -> None:
    ids = await send_three(client)
    history = await client.get_history(DAY, DAY)
    assert [m.phone for m in history] == ["79990000003", "79990000002", "79990000001"]
    assert [m.message for m in history] == ["message 2", "message 1", "message 0"]
    assert [m.id for m in history] == ids[::-1]
    assert history[0].int_id > history[1].int_id > history[2].int_id > 0
    first = history[-1]
    assert first.status is MessageState.QUEUED
    assert first.cost == Decimal("2.50")
    assert first.sms_cnt == 1
    assert first.send_date is not None
    assert first.send_date.startswith("15.03.2024 10:00:")
    assert first.send_time is not None
    assert first.send_time.tzinfo is not None
    assert abs(first.send_time - START) < timedelta(seconds=5)
    assert first.country == "Россия"
    assert get_requests(emulator)[-1]["get_messages"] == "1"
    assert get_requests(emulator)[-1]["start"] == "15.03.2024"
    assert get_requests(emulator)[-1]["end"] == "15.03.2024"


async def test_history_shows_status_changes(client: SMSCClient) -> None:
    await client.send_sms(PHONES[0], "track me")
    await asyncio.sleep(10)
    (message,) = await client.get_history("15.03.2024")
    assert message.status is MessageState.DELIVERED
    assert message.last_time is not None
    assert message.send_time is not None
    assert message.last_time > message.send_time


async def test_iter_history_pages_with_prev_id(client: SMSCClient, emulator: Emulator) -> None:
    for n in range(5):
        await client.send_sms(f"+7999000010{n}", f"page test {n}")
    emulator.clear_requests()
    seen = [m async for m in client.iter_history(DAY, page_size=2)]
    assert [m.message for m in seen] == [f"page test {n}" for n in (4, 3, 2, 1, 0)]
    pages = get_requests(emulator)
    assert len(pages) == 3
    assert all(p["cnt"] == "2" for p in pages)
    assert "prev_id" not in pages[0]
    assert pages[1]["prev_id"] == str(seen[1].int_id)
    assert pages[2]["prev_id"] == str(seen[3].int_id)


async def test_history_before_id_and_limit(client: SMSCClient, emulator: Emulator) -> None:
    await send_three(client)
    newest, middle, oldest = await client.get_history(DAY)
    older = await client.get_history(DAY, before_id=newest.int_id, limit=1)
    assert older == [middle]
    assert get_requests(emulator)[-1]["cnt"] == "1"
    assert get_requests(emulator)[-1]["prev_id"] == str(newest.int_id)
    rest = [m async for m in client.iter_history(DAY, before_id=middle.int_id)]
    assert rest == [oldest]
    assert await client.get_history(DAY, before_id=oldest.int_id) == []


async def test_history_filters_by_phone(client: SMSCClient, emulator: Emulator) -> None:
    await send_three(client)
    one = await client.get_history(DAY, phones=PHONES[1])
    assert [m.phone for m in one] == ["79990000002"]
    two = await client.get_history(DAY, phones=[PHONES[0], PHONES[2]])
    assert [m.phone for m in two] == ["79990000003", "79990000001"]
    assert get_requests(emulator)[-1]["phone"] == f"{PHONES[0]},{PHONES[2]}"


async def test_history_filters_by_date(client: SMSCClient) -> None:
    await client.send_sms(PHONES[0], "first day")
    await asyncio.sleep(24 * 3600)
    await client.send_sms(PHONES[0], "second day")
    assert [m.message for m in await client.get_history(DAY, DAY)] == ["first day"]
    assert [m.message for m in await client.get_history(NEXT_DAY)] == ["second day"]
    both = await client.get_history(DAY, NEXT_DAY)
    assert [m.message for m in both] == ["second day", "first day"]
    assert await client.get_history(date(2024, 3, 1), date(2024, 3, 14)) == []


async def test_email_history(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms(PHONES[0], "an sms")
    for address in ("a@example.com", "b@example.com"):
        await client.send_email(address, "hi", subject="S", from_address="me@example.com")
    sms_only = await client.get_history(DAY)
    assert [m.message for m in sms_only] == ["an sms"]
    mails = await client.get_history(DAY, email=True)
    assert [m.phone for m in mails] == ["b@example.com", "a@example.com"]
    assert all(m.format == 8 and m.type == 8 for m in mails)
    assert get_requests(emulator)[-1]["format"] == "8"
    one = await client.get_history(DAY, emails="a@example.com")
    assert [m.phone for m in one] == ["a@example.com"]
    assert get_requests(emulator)[-1]["email"] == "a@example.com"
    assert get_requests(emulator)[-1]["format"] == "8"


async def test_history_nothing_found_is_empty(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.get_history(DAY) == []
    assert [m async for m in client.iter_history(DAY)] == []
    assert [r.answered_error for r in emulator.requests] == [3, 3]


async def test_six_month_span_boundary(client: SMSCClient, emulator: Emulator) -> None:
    # Exactly six calendar months passes (the emulator agrees: nothing found, not error 1).
    assert await client.get_history(date(2023, 9, 15), date(2024, 3, 15)) == []
    assert emulator.requests[-1].answered_error == 3
    # Without `end` the span runs to today at SMSC: the emulator refuses it with error 1.
    with pytest.raises(BadRequestError) as info:
        await client.get_history(date(2023, 9, 1))
    assert info.value.code == 1
    assert info.value.script == "get.php"


def _bad_history_calls(
    client: SMSCClient,
) -> list[tuple[Callable[[], Awaitable[Any]], type[Exception]]]:
    return [
        (lambda: client.get_history("2024-03-01"), ValueError),
        (lambda: client.get_history(20240301), TypeError),  # type: ignore[arg-type]
        (lambda: client.get_history(DAY, date(2024, 3, 14)), ValueError),
        (lambda: client.get_history(date(2024, 1, 1), date(2024, 7, 2)), ValueError),
        (lambda: client.get_history(date(2024, 8, 31), date(2025, 3, 1)), ValueError),
        (lambda: client.get_history(DAY, limit=1001), ValueError),
        (lambda: client.get_history(DAY, limit=0), ValueError),
        (lambda: client.get_history(DAY, before_id=-1), ValueError),
        (lambda: client.get_history(DAY, phones=PHONES[0], email=True), ValueError),
        (lambda: client.get_history(DAY, phones=PHONES[0], emails="a@example.com"), ValueError),
        (lambda: client.get_history(DAY, phones=[]), ValueError),
        (lambda: client.get_history(DAY, email=1), TypeError),  # type: ignore[arg-type]
    ]


async def test_history_bad_input_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    for call, error in _bad_history_calls(client):
        with pytest.raises(error):
            await call()
    # The iterators check everything when called, before the first page.
    with pytest.raises(ValueError, match="page_size"):
        client.iter_history(DAY, page_size=1001)
    with pytest.raises(ValueError, match="end"):
        client.iter_history(DAY, date(2024, 3, 1))
    assert emulator.requests == []


# --- incoming ----------------------------------------------------------------------------------


async def test_incoming_messages_are_read_back(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_sms(PHONES[0], "your code is 1234")
    first = emulator.add_incoming("+7 999 000-00-01", "thanks")
    second = emulator.add_incoming(PHONES[1], "who is this?", to_phone="+79005550000")
    assert second == first + 1
    a, b = await client.get_incoming()
    assert (a.id, a.phone, a.message) == (first, "79990000001", "thanks")
    assert a.sms_id == sent.id  # it answers the message sent to that number
    assert b.sms_id == 0
    assert b.to_phone == "79005550000"
    assert a.received == "15.03.2024 10:00:00"
    assert a.received_time == START.astimezone(UTC)
    assert a.sent_time == START.astimezone(UTC)


async def test_iter_incoming_pages_with_after_id(client: SMSCClient, emulator: Emulator) -> None:
    ids = [emulator.add_incoming(f"+7999000020{n}", f"in {n}") for n in range(5)]
    seen = [m async for m in client.iter_incoming(page_size=2)]
    assert [m.id for m in seen] == ids
    assert [m.message for m in seen] == [f"in {n}" for n in range(5)]
    pages = get_requests(emulator)
    assert [p.get("after_id") for p in pages] == [None, str(ids[1]), str(ids[3])]
    assert all(p["cnt"] == "2" and p["get_answers"] == "1" for p in pages)
    # Polling: start after the last id seen.
    assert [m async for m in client.iter_incoming(after_id=ids[-1])] == []
    later = emulator.add_incoming(PHONES[0], "later")
    assert [m.id async for m in client.iter_incoming(after_id=ids[-1])] == [later]


async def test_incoming_filters(client: SMSCClient, emulator: Emulator) -> None:
    old = emulator.add_incoming(PHONES[0], "old")
    await asyncio.sleep(3 * 3600)
    new = emulator.add_incoming(PHONES[1], "new", to_phone="+79005550000")
    assert [m.id for m in await client.get_incoming()] == [old, new]
    assert [m.id for m in await client.get_incoming(hours=2)] == [new]
    assert get_requests(emulator)[-1]["hour"] == "2"
    assert [m.id for m in await client.get_incoming(to_phone="+79005550000")] == [new]
    assert [m.id for m in await client.get_incoming(after_id=old)] == [new]
    assert [m.id for m in await client.get_incoming(limit=1)] == [old]
    await asyncio.sleep(169 * 3600)
    assert await client.get_incoming(hours=168) == []


async def test_incoming_nothing_is_empty(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.get_incoming() == []
    assert [m async for m in client.iter_incoming()] == []
    assert [r.answered_error for r in emulator.requests] == [3, 3]


async def test_incoming_bad_input_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    bad: list[tuple[Callable[[], Awaitable[Any]], type[Exception]]] = [
        (lambda: client.get_incoming(hours=0), ValueError),
        (lambda: client.get_incoming(hours=169), ValueError),
        (lambda: client.get_incoming(hours="24"), TypeError),  # type: ignore[arg-type]
        (lambda: client.get_incoming(limit=10001), ValueError),
        (lambda: client.get_incoming(after_id="abc"), ValueError),  # type: ignore[arg-type]
        (lambda: client.get_incoming(to_phone=""), ValueError),
        (lambda: client.get_incoming(to_phone="+79990000001,+79990000002"), ValueError),
    ]
    for call, error in bad:
        with pytest.raises(error):
            await call()
    with pytest.raises(ValueError, match="page_size"):
        client.iter_incoming(page_size=10001)
    with pytest.raises(ValueError, match="hours"):
        client.iter_incoming(hours=200)
    assert emulator.requests == []


# --- statistics --------------------------------------------------------------------------------


async def test_statistics_match_what_was_sent(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms(PHONES[0], "short")
    await client.send_sms(PHONES[1], "x" * 200)  # two parts
    (row,) = await client.get_statistics(DAY, DAY)
    assert row.login == LOGIN
    assert row.count == 3
    assert row.spent == Decimal("7.50")
    assert row.income == Decimal("0.00")
    assert row.currency == "RUR"
    assert get_requests(emulator)[-1]["get_stat"] == "1"
    assert "mycur" not in get_requests(emulator)[-1]
    await client.get_statistics(DAY, in_my_currency=True, electronic_balance=True)
    assert get_requests(emulator)[-1]["mycur"] == "1"
    assert get_requests(emulator)[-1]["balance2"] == "1"
    assert await client.get_statistics(date(2024, 3, 1), date(2024, 3, 14)) == []
    assert emulator.requests[-1].answered_error == 3


async def test_statistics_rule_waits_at_the_gate(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms(PHONES[0], "count me")
    loop = asyncio.get_running_loop()
    begin = loop.time()
    # "At most 3 statistics requests a minute", whatever their parameters.
    for start in (DAY, date(2024, 3, 14), date(2024, 3, 13), date(2024, 3, 12)):
        rows = await client.get_statistics(start)
        assert [r.count for r in rows] == [1]
    assert loop.time() - begin >= 60
    stamps = [r.at for r in emulator.requests if r.params.get("get_stat") == "1"]
    assert len(stamps) == 4
    assert stamps[3] - stamps[0] >= 60
    assert all(r.answered_error is None for r in emulator.requests)


async def test_statistics_decode_one_object_or_a_list_and_either_count() -> None:
    assert STATISTICS.decoder is not None
    one = STATISTICS.decoder.decode(
        b'{"login":"a","cnt":"5","credit":"12.50","debit":100,"currency":"RUR"}'
    )
    assert one == StatisticsRow(
        login="a", cnt=5, spent=Decimal("12.50"), income=Decimal(100), currency="RUR"
    )
    several = STATISTICS.decoder.decode(b'[{"login":"a","sms":7},{"login":"b","cnt":0}]')
    assert isinstance(several, list)
    assert [(r.login, r.count) for r in several] == [("a", 7), ("b", 0)]


async def test_statistics_bad_input_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="before"):
        await client.get_statistics(DAY, date(2024, 3, 1))
    with pytest.raises(ValueError):
        await client.get_statistics("15/03/2024")
    with pytest.raises(TypeError):
        await client.get_statistics(DAY, in_my_currency=1)  # type: ignore[arg-type]
    assert emulator.requests == []


# --- tariffs, operators, short links -----------------------------------------------------------


async def test_prices(client: SMSCClient, emulator: Emulator) -> None:
    tariffs = await client.get_prices()
    russia = next(t for t in tariffs if t.name == "Россия")
    assert russia.api_price == Decimal("2.50")  # the part price the emulator charges
    assert russia.mass_price == Decimal("2.60")
    assert russia.hlr_price == Decimal("0.20")
    assert russia.zone == 1
    assert len({t.zone for t in tariffs}) == len(tariffs) > 1
    assert get_requests(emulator)[-1]["get_price"] == "1"


async def test_operator_of_a_number(client: SMSCClient, emulator: Emulator) -> None:
    ru = await client.get_operator("+79991234567")
    assert (ru.country, ru.operator, ru.mcc, ru.mnc, ru.tz) == ("Россия", "МегаФон", "250", "02", 0)
    kz = await client.get_operator("+77011234567")
    assert (kz.operator, kz.mcc, kz.mnc) == ("Beeline KZ", "401", "01")
    assert get_requests(emulator, "info.php")[-1]["phone"] == "+77011234567"
    assert get_requests(emulator, "info.php")[-1]["get_operator"] == "1"


async def test_unknown_operator_is_not_found(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.get_operator("+12025550123")
    assert info.value.code == 3
    assert info.value.script == "info.php"
    emulator.add_operator("1202", country="USA", operator="Verizon", mcc="310", mnc="004", tz=-8)
    us = await client.get_operator("+12025550123")
    assert (us.country, us.operator, us.mcc, us.tz) == ("USA", "Verizon", "310", -8)
    emulator.mark_unknown_number("+79990000009")
    with pytest.raises(NotFoundError):
        await client.get_operator("+79990000009")


async def test_operator_bad_input_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="phone"):
        await client.get_operator("  ")
    with pytest.raises(ValueError, match="one value"):
        await client.get_operator("+79990000001,+79990000002")
    with pytest.raises(TypeError):
        await client.get_operator(79990000001)  # type: ignore[arg-type]
    assert emulator.requests == []


async def test_short_link_stats(client: SMSCClient, emulator: Emulator) -> None:
    url = "https://example.com/offer"
    link_id = emulator.add_short_link(url, clicks=7, clicks_month=5, clicks_yesterday=2)
    by_id = await client.get_short_link_stats(id=link_id)
    assert (by_id.id, by_id.clicks, by_id.clicks_month) == (link_id, 7, 5)
    assert (by_id.clicks_today, by_id.clicks_yesterday) == (0, 2)
    emulator.click_short_link(link_id, times=3)
    by_link = await client.get_short_link_stats(link=url)
    assert (by_link.id, by_link.clicks, by_link.clicks_month, by_link.clicks_today) == (
        link_id,
        10,
        8,
        3,
    )
    assert get_requests(emulator, "tinyurls.php")[-1]["link"] == url
    with pytest.raises(NotFoundError) as info:
        await client.get_short_link_stats(id=link_id + 1)
    assert info.value.code == 3
    with pytest.raises(NotFoundError):
        await client.get_short_link_stats(link="https://example.com/other")


async def test_short_link_bad_input_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="exactly one"):
        await client.get_short_link_stats()
    with pytest.raises(TypeError, match="exactly one"):
        await client.get_short_link_stats(link="https://example.com", id=1)
    with pytest.raises(ValueError, match="link"):
        await client.get_short_link_stats(link=" ")
    with pytest.raises(ValueError):
        await client.get_short_link_stats(id=-5)
    assert emulator.requests == []


# --- documented errors -------------------------------------------------------------------------

COMMANDS: dict[str, tuple[str, Callable[[SMSCClient], Awaitable[Any]]]] = {
    "history": ("get.php", lambda c: c.get_history(DAY)),
    "incoming": ("get.php", lambda c: c.get_incoming()),
    "statistics": ("get.php", lambda c: c.get_statistics(DAY)),
    "prices": ("get.php", lambda c: c.get_prices()),
    "operator": ("info.php", lambda c: c.get_operator("+79990000001")),
    "short_link": ("tinyurls.php", lambda c: c.get_short_link_stats(id=1)),
}
ERRORS = {
    1: BadRequestError,
    2: AuthenticationError,
    4: IPBlockedError,
    9: ServerRateLimitError,
}


@pytest.mark.parametrize("code", sorted(ERRORS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_documented_errors(
    client: SMSCClient, emulator: Emulator, command: str, code: int
) -> None:
    script, call = COMMANDS[command]
    emulator.faults.api_error(1, code=code, script=script)
    with pytest.raises(ERRORS[code]) as info:
        await call(client)
    assert info.value.code == code
    assert info.value.script == script
    # API errors are answers, never retried.
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("command", ["history", "incoming", "statistics", "prices"])
async def test_error_3_of_a_list_command_is_empty(
    client: SMSCClient, emulator: Emulator, command: str
) -> None:
    script, call = COMMANDS[command]
    emulator.add_incoming(PHONES[0], "there is something")
    await client.send_sms(PHONES[0], "there is something")
    emulator.faults.api_error(1, code=3, script=script)
    assert await call(client) == []
    assert emulator.requests[-1].answered_error == 3


@pytest.mark.parametrize("command", ["operator", "short_link"])
async def test_error_3_of_a_single_item_raises(
    client: SMSCClient, emulator: Emulator, command: str
) -> None:
    script, call = COMMANDS[command]
    emulator.add_short_link("https://example.com", clicks=1)
    emulator.faults.api_error(1, code=3, script=script)
    with pytest.raises(NotFoundError):
        await call(client)


async def test_wrong_password_is_error_2(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, "wrong", base_url=url_of(emulator)) as smsc:
        with pytest.raises(AuthenticationError) as info:
            await smsc.get_history(DAY)
    assert info.value.code == 2
    assert [r.answered_error for r in emulator.requests] == [2]


async def test_unexpected_code_keeps_the_code(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.api_error(1, code=77, script="get.php")
    with pytest.raises(APIError) as info:
        await client.get_prices()
    assert info.value.code == 77


# --- the emulator's other formats --------------------------------------------------------------


async def test_raw_history_formats(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_sms(PHONES[0], "raw")
    text = await raw_post(emulator, "get.php", get_messages="1", start="15.03.2024", fmt="0")
    assert text.startswith("status = -1, last_date = 15.03.2024 10:00:00")
    assert f"id = {sent.id}" in text
    assert "int_id = 100001" in text
    csv = await raw_post(emulator, "get.php", get_messages="1", start="15.03.2024", fmt="1")
    assert csv.split(",")[:4] == ["-1", "15.03.2024 10:00:00", str(int(START.timestamp())), "0"]
    xml = await raw_post(emulator, "get.php", get_messages="1", start="15.03.2024", fmt="2")
    assert "<sms><status>-1</status>" in xml
    assert "<message>raw</message>" in xml
    before = {"start": "14.03.2024", "end": "14.03.2024"}
    empty = await raw_post(emulator, "get.php", get_messages="1", fmt="1", **before)
    assert empty == "0,-3"
    plain = await raw_post(emulator, "get.php", get_messages="1", **before)
    assert plain == "ERROR = 3 (no records found)"


async def test_raw_incoming_statistics_and_prices(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms(PHONES[0], "one")
    emulator.add_incoming(PHONES[1], "hello there")
    incoming = await raw_post(emulator, "get.php", get_answers="1", fmt="1")
    now = "15.03.2024 10:00:00"
    assert incoming == f"1,{now},79990000002,hello there,79010000000,{now},0"
    stat = await raw_post(emulator, "get.php", get_stat="1", start="15.03.2024", fmt="1")
    assert stat == "demo,1,2.50,0.00,RUR"
    stat0 = await raw_post(emulator, "get.php", get_stat="1", start="15.03.2024", fmt="0")
    assert stat0 == "login = demo, cnt = 1, credit = 2.50, debit = 0.00, currency = RUR"
    prices = await raw_post(emulator, "get.php", get_price="1", fmt="1")
    assert prices.splitlines()[0] == "1,Россия,2.50,2.60,12.00,0.20,3.00"


async def test_raw_info_and_tinyurls(emulator: Emulator) -> None:
    info = await raw_post(emulator, "info.php", get_operator="1", phone="79991234567", fmt="1")
    assert info == "79991234567,Россия,МегаФон,Москва и Московская область,250,02,0"
    text = await raw_post(emulator, "info.php", get_operator="1", phone="79991234567")
    assert text.startswith("phone = 79991234567, country = Россия")
    many = await raw_post(
        emulator, "info.php", get_operator="1", phone="79991234567,12025550123,77011234567", fmt="3"
    )
    assert many.startswith('[{"phone":"79991234567"')
    assert '"phone":"77011234567"' in many
    assert "12025550123" not in many
    unknown = await raw_post(emulator, "info.php", get_operator="1", phone="12025550123", fmt="1")
    assert unknown == "0,-3"
    link_id = emulator.add_short_link("https://example.com/a", clicks=4)
    tiny = await raw_post(emulator, "tinyurls.php", get="1", id=str(link_id), fmt="1")
    assert tiny == f"{link_id},4,4,0,0"
    tiny0 = await raw_post(emulator, "tinyurls.php", get="1", link="https://example.com/a")
    assert tiny0 == f"id = {link_id}, cnt = 4, cnt_mon = 4, cnt_day = 0, cnt_yes = 0"


@pytest.mark.parametrize(
    ("script", "params"),
    [
        ("get.php", {}),  # no command
        ("get.php", {"get_messages": "1", "get_stat": "1", "start": "15.03.2024"}),  # two
        ("get.php", {"get_messages": "1"}),  # no start
        ("get.php", {"get_messages": "1", "start": "2024-03-15"}),  # not dd.mm.yyyy
        ("get.php", {"get_messages": "1", "start": "15.03.2024", "end": "14.03.2024"}),
        ("get.php", {"get_messages": "1", "start": "01.01.2024", "end": "02.07.2024"}),
        ("get.php", {"get_messages": "1", "start": "15.03.2024", "format": "5"}),
        ("get.php", {"get_messages": "1", "start": "15.03.2024", "cnt": "1001"}),
        ("get.php", {"get_answers": "1", "hour": "169"}),
        ("get.php", {"get_answers": "1", "cnt": "10001"}),
        ("get.php", {"get_stat": "1"}),
        ("info.php", {"get_operator": "1"}),
        ("info.php", {"phone": "79991234567"}),
        ("tinyurls.php", {"get": "1"}),
        ("tinyurls.php", {"get": "1", "id": "1", "link": "https://example.com"}),
    ],
)
async def test_emulator_parameter_errors(
    emulator: Emulator, script: str, params: dict[str, str]
) -> None:
    assert await raw_post(emulator, script, fmt="3", **params) == (
        '{"error":"parameters error","error_code":1}'
    )
    assert emulator.requests[-1].answered_error == 1


async def test_history_rows_decode_leniently() -> None:
    # Quoted numbers, an unknown status code and unknown fields are all accepted.
    assert HISTORY.decoder is not None
    (message,) = HISTORY.decoder.decode(
        b'[{"status":"77","int_id":"9","cost":1.5,"new_field":true,'
        b'"send_date":"15.03.2024 10:00:00","phone":"79990000001"}]'
    )
    assert message.status == 77
    assert message.status.name == "UNKNOWN_77"
    assert message.int_id == 9
    assert message.cost == Decimal("1.5")
    assert message.send_time == START.astimezone(UTC)
