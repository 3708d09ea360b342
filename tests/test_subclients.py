"""Subclients (users.php) and their documents (documents.php) against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

import aiohttp
import msgspec
import pytest

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    IPBlockedError,
    NotFoundError,
    OperationFailedError,
    ResponseDecodeError,
    ServerRateLimitError,
    SMSCClient,
)
from smsc_async.emulator import Emulator
from smsc_async.subclients import Currency, SubclientStats, SubclientType, _created_id

from .conftest import LOGIN, PASSWORD, url_of

PHONE = "+79990000001"


def sent(emulator: Emulator, script: str = "users.php") -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == script]


# --- add / change ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_add_sends_settings_and_creates_a_login(
    client: SMSCClient, emulator: Emulator
) -> None:
    new_id = await client.subclients.add(
        "shop1",
        "secret-1",
        type=SubclientType.MAIN_TARIFF,
        email="shop@example.com",
        phone="+79990000009",
        full_name="OOO Shop",
        tariff=2,
        currency=Currency.RUB,
        utc_offset=3,
        sender="Shop",
        daily_limit=500,
        allowed_prefixes=["7", "-77"],
        allowed_hours=(9, 21),
        balance_alert=Decimal("50"),
        callback_url="https://shop.example/smsc",
        flags={"fl2[27]": True, "fl[29]": True, "fl[6]": False},
    )
    params = sent(emulator)[-1]
    assert params["add"] == "1"
    assert (params["user"], params["password"]) == ("shop1", "secret-1")
    assert params["type"] == "1"
    assert params["fio"] == "OOO Shop"
    assert params["tariff"] == "1"  # plan 2 is SMSC's tariff=1
    assert params["curr"] == "1"
    assert params["tz"] == "15"  # UTC+3 is SMSC's tz=15
    assert params["dlim"] == "500"
    assert params["fmts"] == "7,-77"
    assert params["tmlim"] == "9-21"
    assert params["nb"] == "50"
    assert params["url"] == "https://shop.example/smsc"
    assert (params["fl2[27]"], params["fl[29]"], params["fl[6]"]) == ("1", "1", "0")

    record = emulator.subclient("shop1")
    assert new_id == record.id
    assert record.type == SubclientType.MAIN_TARIFF
    assert record.settings["fl2[27]"] == "1"
    # The subclient is a login of its own, with an empty balance.
    async with SMSCClient("shop1", "secret-1", base_url=url_of(emulator)) as sub:
        assert (await sub.get_balance()).balance == 0


@pytest.mark.asyncio
async def test_change_login_password_and_settings(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    with pytest.raises(BadRequestError):
        await client.subclients.change("shop1", password="x", current_password="wrong")
    await client.subclients.change(
        "shop1",
        new_login="shop2",
        password="secret-2",
        current_password="secret-1",
        email="new@example.com",
        type=SubclientType.INDEPENDENT,
    )
    params = sent(emulator)[-1]
    assert (params["chg"], params["user"], params["new_login"]) == ("1", "shop1", "shop2")
    assert (params["password"], params["pswc"]) == ("secret-2", "secret-1")
    assert [s.login for s in emulator.subclients()] == ["shop2"]
    assert emulator.subclient("shop2").settings["email"] == "new@example.com"
    assert emulator.subclient("shop2").type == 0
    async with SMSCClient("shop2", "secret-2", base_url=url_of(emulator)) as sub:
        assert (await sub.get_balance()).balance == 0
    async with SMSCClient("shop1", "secret-1", base_url=url_of(emulator)) as old:
        with pytest.raises(AuthenticationError):
            await old.get_balance()


@pytest.mark.asyncio
@pytest.mark.looptime  # five adds: the fourth waits a minute at the gate
async def test_add_and_change_errors(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    await client.subclients.add("shop2", "secret-2")
    for taken in ("shop1", LOGIN):
        with pytest.raises(OperationFailedError) as duplicate:
            await client.subclients.add(taken, "pw")
        assert duplicate.value.code == 5
    with pytest.raises(OperationFailedError):
        await client.subclients.change("shop1", new_login="shop2")
    with pytest.raises(NotFoundError) as missing:
        await client.subclients.change("nobody", password="pw")
    assert missing.value.code == 3
    with pytest.raises(BadRequestError):
        await client.subclients.add("bad login!", "pw")
    assert [s.login for s in emulator.subclients()] == ["shop1", "shop2"]


# --- money -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_top_up_moves_money_both_ways(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    await client.subclients.top_up("shop1", Decimal("150.50"))
    assert sent(emulator)[-1]["sum"] == "150.50"
    assert emulator.balance() == Decimal("849.50")
    assert emulator.balance("shop1") == Decimal("150.50")
    assert (await client.get_balance()).balance == Decimal("849.50")

    await client.subclients.top_up("shop1", -50)
    assert sent(emulator)[-1]["sum"] == "-50"
    assert emulator.balance() == Decimal("899.50")
    assert emulator.balance("shop1") == Decimal("100.50")

    with pytest.raises(NotFoundError) as poor_main:
        await client.subclients.top_up("shop1", "10000")
    assert poor_main.value.code == 3
    with pytest.raises(NotFoundError):
        await client.subclients.top_up("shop1", "-100.51")
    with pytest.raises(NotFoundError):
        await client.subclients.top_up("nobody", 1)
    assert emulator.balance() == Decimal("899.50")
    assert emulator.balance("shop1") == Decimal("100.50")
    assert [p.amount for p in emulator.payments()] == [Decimal("150.50"), Decimal("-50")]


# --- statistics ------------------------------------------------------------------------------


async def _two_subclients(client: SMSCClient, emulator: Emulator) -> int:
    await client.subclients.add("alpha", "pw-a", type=SubclientType.INDEPENDENT)
    beta = await client.subclients.add("beta", "pw-b", type=SubclientType.MAIN_TARIFF_AND_BALANCE)
    assert beta is not None
    await client.subclients.top_up("alpha", 100)
    async with SMSCClient("alpha", "pw-a", base_url=url_of(emulator)) as alpha:
        await alpha.send_sms(PHONE, "one")
        await alpha.send_sms("+380501234567", "two")
    return beta


@pytest.mark.asyncio
async def test_statistics_from_the_subclients_messages(
    client: SMSCClient, emulator: Emulator
) -> None:
    beta_id = await _two_subclients(client, emulator)
    assert emulator.balance("alpha") == Decimal("95.00")
    rows = await client.subclients.statistics(start=date(2000, 1, 1), in_my_currency=True)
    params = sent(emulator)[-1]
    assert (params["get_stat"], params["start"], params["mycur"]) == ("1", "01.01.2000", "1")
    assert rows == [
        SubclientStats(
            login="alpha",
            cnt=2,
            credit=Decimal("5.00"),
            debit=Decimal("100.00"),
            currency="RUR",
        ),
        SubclientStats(
            login="beta", cnt=0, credit=Decimal("0.00"), debit=Decimal("0.00"), currency="RUR"
        ),
    ]
    assert rows[0].messages == 2

    [beta] = await client.subclients.statistics(user_id=beta_id)
    assert (beta.login, sent(emulator)[-1]["user_id"]) == ("beta", str(beta_id))
    [alpha] = await client.subclients.statistics(user="alpha", electronic_balance=True)
    assert (alpha.login, sent(emulator)[-1]["balance2"]) == ("alpha", "1")
    [own_balance] = await client.subclients.statistics(independent_only=True)
    assert (own_balance.login, sent(emulator)[-1]["reseller"]) == ("alpha", "1")

    # A period without messages still lists the subclients, with nothing in it.
    old = await client.subclients.statistics(start="01.01.2000", end="31.01.2000")
    assert [(r.login, r.cnt, r.credit) for r in old] == [
        ("alpha", 0, Decimal("0.00")),
        ("beta", 0, Decimal("0.00")),
    ]

    emulator.mark_subclient_deleted("beta")
    shown = await client.subclients.statistics(hide_deleted=True)
    assert [r.login for r in shown] == ["alpha"]
    assert await client.subclients.statistics(user="nobody") == []


@pytest.mark.asyncio
async def test_detailed_statistics(client: SMSCClient, emulator: Emulator) -> None:
    await _two_subclients(client, emulator)
    rows = await client.subclients.detailed_statistics(start=date(2000, 1, 1))
    assert sent(emulator)[-1]["get_stat_all"] == "1"
    assert sorted((r.login, r.country, r.cnt, r.credit) for r in rows) == [
        ("alpha", "Россия", 1, Decimal("2.50")),
        ("alpha", "Украина", 1, Decimal("2.50")),
    ]
    assert all(r.date is not None and len(r.date) == 10 for r in rows)
    assert await client.subclients.detailed_statistics(end=date(2000, 1, 1)) == []


@pytest.mark.asyncio
async def test_empty_statistics(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.subclients.statistics() == []
    assert await client.subclients.detailed_statistics() == []
    assert [r.answered_error for r in emulator.requests] == [3, 3]


def test_lenient_answers() -> None:
    # users.php answers are not captured: an id, an OK object and a bare OK all mean success.
    assert _created_id("users.php", b'{"id": "17"}') == 17
    assert _created_id("users.php", b'{"result": "OK"}') is None
    assert _created_id("users.php", b"OK\n") is None
    with pytest.raises(ResponseDecodeError):
        _created_id("users.php", b"<html>")
    # One integrator calls the message count "sms" instead of get.php's "cnt".
    [row] = msgspec.json.decode(
        b'[{"login": "a", "sms": "4", "credit": 1.5, "extra": true}]',
        type=list[SubclientStats],
        strict=False,
    )
    assert (row.messages, row.credit, row.cnt) == (4, Decimal("1.5"), None)


# --- documents ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_invoice_created_and_downloaded(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    invoice_id = await client.documents.add_invoice(
        Decimal("1200.00"), "SMS services", user="shop1"
    )
    params = sent(emulator, "documents.php")[-1]
    assert (params["add_account"], params["sum"], params["service"]) == (
        "1",
        "1200.00",
        "SMS services",
    )
    [document] = emulator.documents()
    assert (document.id, document.kind, document.login) == (invoice_id, "invoice", "shop1")

    pdf = await client.documents.get_invoice(invoice_id)
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"1200.00" in pdf
    assert b"SMS services" in pdf
    assert await client.documents.get_invoice(invoice_id, user="shop1") == pdf

    by_id = await client.documents.add_invoice(5, "Услуги", user_id=emulator.subclient("shop1").id)
    assert b"Amount: 5.00" in await client.documents.get_invoice(by_id)

    with pytest.raises(NotFoundError):
        await client.documents.get_invoice(invoice_id, user="other")
    with pytest.raises(NotFoundError) as missing:
        await client.documents.get_invoice(999_999)
    assert missing.value.code == 3
    with pytest.raises(NotFoundError):
        await client.documents.add_invoice(1, "SMS", user="nobody")


@pytest.mark.asyncio
async def test_act_downloaded_by_id_or_number(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    act = emulator.issue_act("shop1", Decimal("99.90"), number="A-2024-7")
    by_id = await client.documents.get_act(act.id)
    by_number = await client.documents.get_act(number="A-2024-7")
    assert by_id == by_number
    assert by_id.startswith(b"%PDF-1.4")
    assert b"A-2024-7" in by_id
    assert b"99.90" in by_id
    assert sent(emulator, "documents.php")[-1]["num"] == "A-2024-7"
    invoice_id = await client.documents.add_invoice(1, "SMS", user="shop1")
    with pytest.raises(NotFoundError):
        await client.documents.get_act(invoice_id)  # an invoice is not an act
    with pytest.raises(NotFoundError):
        await client.documents.get_act(number="A-0")


@pytest.mark.asyncio
async def test_a_file_answer_can_still_be_an_error(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.api_error(1, code=2, script="documents.php")
    with pytest.raises(AuthenticationError):
        await client.documents.get_invoice(1)
    emulator.faults.plain_text_error(1, code=4, script="documents.php")
    with pytest.raises(IPBlockedError):
        await client.documents.get_act(number="A-1")


# --- error codes ----------------------------------------------------------------------------

ERRORS = [
    (1, BadRequestError),
    (2, AuthenticationError),
    (3, NotFoundError),
    (4, IPBlockedError),
    (5, OperationFailedError),
    (9, ServerRateLimitError),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "error"), ERRORS)
async def test_users_error_codes(
    client: SMSCClient, emulator: Emulator, code: int, error: type[APIError]
) -> None:
    emulator.faults.api_error(1, code=code, script="users.php")
    with pytest.raises(error) as caught:
        await client.subclients.top_up("shop1", 1)
    assert (type(caught.value), caught.value.code, caught.value.script) == (
        error,
        code,
        "users.php",
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "error"), ERRORS)
async def test_documents_error_codes(
    client: SMSCClient, emulator: Emulator, code: int, error: type[APIError]
) -> None:
    emulator.faults.api_error(1, code=code, script="documents.php")
    with pytest.raises(error) as caught:
        await client.documents.add_invoice(1, "SMS", user="shop1")
    assert (type(caught.value), caught.value.code, caught.value.script) == (
        error,
        code,
        "documents.php",
    )


# --- bad input -------------------------------------------------------------------------------

Call = Callable[[SMSCClient], Awaitable[object]]

BAD: list[tuple[str, Call, type[Exception]]] = [
    ("empty login", lambda c: c.subclients.add("", "pw"), ValueError),
    ("empty password", lambda c: c.subclients.add("x", ""), ValueError),
    ("unknown setting", lambda c: c.subclients.add("x", "pw", colour="red"), TypeError),  # type: ignore[call-arg]
    ("type out of range", lambda c: c.subclients.add("x", "pw", type=7), ValueError),  # type: ignore[arg-type]
    ("type as str", lambda c: c.subclients.add("x", "pw", type="1"), TypeError),  # type: ignore[arg-type]
    ("utc offset", lambda c: c.subclients.add("x", "pw", utc_offset=13), ValueError),
    ("tariff 0", lambda c: c.subclients.add("x", "pw", tariff=0), ValueError),
    ("currency 9", lambda c: c.subclients.add("x", "pw", currency=9), ValueError),  # type: ignore[arg-type]
    ("bad flag name", lambda c: c.subclients.add("x", "pw", flags={"fl[x]": True}), ValueError),
    ("flag not bool", lambda c: c.subclients.add("x", "pw", flags={"fl[1]": 1}), TypeError),  # type: ignore[dict-item]
    ("hours reversed", lambda c: c.subclients.add("x", "pw", allowed_hours=(21, 9)), ValueError),
    ("bad email", lambda c: c.subclients.add("x", "pw", email="nobody"), ValueError),
    ("prefix word", lambda c: c.subclients.add("x", "pw", allowed_prefixes=["ru"]), ValueError),
    ("prefixes str", lambda c: c.subclients.add("x", "pw", allowed_prefixes="7"), TypeError),
    ("float alert", lambda c: c.subclients.add("x", "pw", balance_alert=1.5), TypeError),  # type: ignore[arg-type]
    ("negative limit", lambda c: c.subclients.add("x", "pw", daily_limit=-1), ValueError),
    ("change nothing", lambda c: c.subclients.change("x"), ValueError),
    ("change only pswc", lambda c: c.subclients.change("x", current_password="p"), ValueError),
    ("top up zero", lambda c: c.subclients.top_up("x", 0), ValueError),
    ("top up float", lambda c: c.subclients.top_up("x", 1.5), TypeError),  # type: ignore[arg-type]
    ("top up word", lambda c: c.subclients.top_up("x", "ten"), ValueError),
    ("iso date", lambda c: c.subclients.statistics(start="2024-01-01"), ValueError),
    ("date as int", lambda c: c.subclients.statistics(end=20240101), TypeError),  # type: ignore[arg-type]
    (
        "start after end",
        lambda c: c.subclients.statistics(start=date(2024, 2, 1), end=date(2024, 1, 1)),
        ValueError,
    ),
    ("user and id", lambda c: c.subclients.statistics(user="a", user_id=1), TypeError),
    (
        "user and reseller",
        lambda c: c.subclients.statistics(user="a", independent_only=True),
        TypeError,
    ),
    ("flag as int", lambda c: c.subclients.statistics(hide_deleted=1), TypeError),  # type: ignore[arg-type]
    ("detail bad date", lambda c: c.subclients.detailed_statistics(start="tomorrow"), ValueError),
    ("invoice zero", lambda c: c.documents.add_invoice(0, "SMS", user="a"), ValueError),
    ("invoice negative", lambda c: c.documents.add_invoice(-5, "SMS", user="a"), ValueError),
    ("invoice float", lambda c: c.documents.add_invoice(1.5, "SMS", user="a"), TypeError),  # type: ignore[arg-type]
    ("invoice no user", lambda c: c.documents.add_invoice(1, "SMS"), TypeError),
    ("invoice empty service", lambda c: c.documents.add_invoice(1, " ", user="a"), ValueError),
    ("invoice id word", lambda c: c.documents.get_invoice("abc"), ValueError),  # type: ignore[arg-type]
    ("act neither", lambda c: c.documents.get_act(), TypeError),
    ("act both", lambda c: c.documents.get_act(1, number="A-1"), TypeError),
    ("act empty number", lambda c: c.documents.get_act(number=""), ValueError),
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
async def test_unknown_setting_is_named(client: SMSCClient) -> None:
    with pytest.raises(TypeError, match="colour"):
        await client.subclients.change("x", colour="red")  # type: ignore[call-arg]


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_three_identical_requests_per_minute(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    emulator.clear_requests()
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(4):
        [row] = await client.subclients.statistics(user="shop1")
        assert row.login == "shop1"
    assert loop.time() - start >= 60
    stamps = [r.at for r in emulator.requests]
    assert stamps[2] - stamps[0] < 1
    assert stamps[3] - stamps[0] >= 60
    assert all(r.answered_error is None for r in emulator.requests)


# --- the emulator in the other formats ------------------------------------------------------


async def _raw(http: aiohttp.ClientSession, emulator: Emulator, script: str, **fields: str) -> str:
    data = {"login": LOGIN, "psw": PASSWORD, **fields}
    async with http.post(f"{url_of(emulator)}/sys/{script}", data=data) as resp:
        assert resp.status == 200
        return await resp.text()


@pytest.mark.asyncio
async def test_emulator_answers_fmt_0_and_1(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        added = await _raw(http, emulator, "users.php", add="1", user="raw", password="p", fmt="0")
        assert added == f"ID = {emulator.subclient('raw').id}"
        assert await _raw(http, emulator, "users.php", pay="1", user="raw", sum="10", fmt="0") == (
            "OK"
        )
        assert (
            await _raw(http, emulator, "users.php", get_stat="1", fmt="1") == "raw,0,0.00,10.00,RUR"
        )
        assert await _raw(http, emulator, "users.php", get_stat="1", fmt="0") == (
            "login = raw, cnt = 0, credit = 0.00, debit = 10.00, currency = RUR"
        )
        assert await _raw(
            http, emulator, "users.php", pay="1", user="nobody", sum="1", fmt="0"
        ) == ("ERROR = 3 (no records found)")
        assert await _raw(http, emulator, "users.php", pay="1", user="raw", sum="0", fmt="1") == (
            "0,-1"
        )
        invoice = await _raw(
            http,
            emulator,
            "documents.php",
            add_account="1",
            user="raw",
            sum="3",
            service="S",
            fmt="1",
        )
        assert invoice.isdigit()
        pdf = await _raw(http, emulator, "documents.php", get_account="1", id=invoice, fmt="0")
        assert pdf.startswith("%PDF-1.4\n")
        assert await _raw(http, emulator, "documents.php", get_act="1", num="X", fmt="0") == (
            "ERROR = 3 (no records found)"
        )


@pytest.mark.asyncio
async def test_documents_are_served_as_pdf_files(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "secret-1")
    invoice_id = await client.documents.add_invoice(Decimal("10"), "SMS", user="shop1")
    form = {"get_account": "1", "id": str(invoice_id), "login": LOGIN, "psw": PASSWORD, "fmt": "3"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url_of(emulator)}/sys/documents.php", data=form) as response,
    ):
        assert response.content_type == "application/pdf"
        assert (await response.read()).startswith(b"%PDF-1.4")


@pytest.mark.asyncio
async def test_passwords_are_sent_exactly_as_given(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", " secret with blanks ")
    assert sent(emulator)[-1]["password"] == " secret with blanks "
    async with SMSCClient("shop1", " secret with blanks ", base_url=url_of(emulator)) as sub:
        assert (await sub.get_balance()).balance == 0
    await client.subclients.change(
        "shop1", password=" new ", current_password=" secret with blanks "
    )
    params = sent(emulator)[-1]
    assert (params["password"], params["pswc"]) == (" new ", " secret with blanks ")
    with pytest.raises(ValueError, match="password is empty"):
        await client.subclients.add("shop2", "   ")


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_adds_count_together_and_changes_per_subclient(
    client: SMSCClient, emulator: Emulator
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(3):
        await client.subclients.add(f"shop{n}", "pw-123")
    for n in range(3):  # other subclients: no wait
        await client.subclients.change(f"shop{n}", password="pw-456")
    await client.subclients.change("shop0", password="pw-789")
    await client.subclients.change("shop0", password="pw-000")
    assert loop.time() - start < 1
    await client.subclients.change("shop0", password="pw-111")  # the 4th change of shop0
    assert loop.time() - start >= 60
    middle = loop.time()
    for n in range(3, 6):  # the first adds' window is past by now
        await client.subclients.add(f"shop{n}", "pw-123")
    assert loop.time() - middle < 1
    await client.subclients.add("shop6", "pw-123")  # the 4th add of any login in a minute
    assert loop.time() - middle >= 60
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
async def test_a_renamed_subclient_keeps_its_data(client: SMSCClient, emulator: Emulator) -> None:
    await client.subclients.add("shop1", "pw-123")
    async with SMSCClient("shop1", "pw-123", base_url=url_of(emulator)) as sub:
        group = await sub.contacts.add_group("Regulars")
    await client.subclients.change("shop1", new_login="shop9")
    async with SMSCClient("shop9", "pw-123", base_url=url_of(emulator)) as sub:
        assert [g.id for g in await sub.contacts.list_groups()] == [group]
