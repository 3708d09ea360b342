"""The emulator's send.php over real loopback HTTP, with plain aiohttp (no client code)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import Account, Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

CREDS = {"login": "demo", "psw": "demo-password"}
PHONE = "79991234567"
# 14.11.2023 22:13:20 UTC = 15.11.2023 01:13:20 Moscow time
CLOCK = 1_700_000_000.0


class Api:
    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    async def body(self, script: str, **params: str) -> str:
        data = {**CREDS, "charset": "utf-8", **params}
        async with self.http.post(f"{self.emu.base_url}/sys/{script}", data=data) as resp:
            assert resp.status == 200
            return (await resp.read()).decode("utf-8")

    async def json(self, script: str, **params: str) -> Any:
        return json.loads(await self.body(script, fmt="3", **params))


@pytest_asyncio.fixture
async def api(smsc_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, smsc_emulator)


async def send(api: Api, **params: str) -> Any:
    return await api.json("send.php", **{"phones": PHONE, "mes": "hello", **params})


@pytest.mark.asyncio
async def test_send_stores_charges_and_answers_id_and_cnt(api: Api) -> None:
    answer = await send(api, phones="+7 (999) 123-45-67", sender="Shop")
    assert answer == {"id": 1, "cnt": 1}
    (message,) = api.emu.messages()
    assert (message.id, message.phone, message.text, message.kind) == (1, PHONE, "hello", "sms")
    assert (message.sender, message.parts, message.cost) == ("Shop", 1, Decimal("2.50"))
    assert "psw" not in message.params
    assert api.emu.balance() == Decimal("997.50")
    assert api.emu.sends_accepted() == 1
    assert api.emu.find_message(1, "+79991234567") is message


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 160, 1),  # é is in the GSM 03.38 alphabet
        ("á" * 160, 3),  # á is Latin-1 but not GSM 03.38: UCS-2
        ("€" * 80, 1),  # an extension character takes two septets
        ("€" * 81, 2),
        ("я" * 70, 1),
        ("я" * 71, 2),
        ("я" * 134, 2),
        ("я" * 135, 3),
        ("a" * 159 + "я", 3),  # one Cyrillic letter makes the whole text UCS-2
    ],
)
@pytest.mark.asyncio
async def test_parts_follow_sms_sizes(api: Api, text: str, parts: int) -> None:
    answer = await send(api, mes=text, cost="1")
    assert answer == {"cost": f"{Decimal('2.50') * parts:.2f}", "cnt": parts}


@pytest.mark.asyncio
async def test_maxsms_caps_parts_and_translit_counts_latin(api: Api) -> None:
    assert (await send(api, mes="a" * 500, maxsms="2", cost="1"))["cnt"] == 2
    assert (await send(api, mes="д" * 100, cost="1"))["cnt"] == 2
    assert (await send(api, mes="д" * 100, translit="1", cost="1"))["cnt"] == 1


@pytest.mark.asyncio
async def test_cnt_is_parts_times_recipients_and_cost_modes(api: Api) -> None:
    two = "79991234567,79991234568"
    answer = await send(api, phones=two, mes="a" * 200, cost="2")
    assert answer == {"id": 1, "cnt": 4, "cost": "10.00"}
    answer = await send(api, phones="79991234567;79991234569", mes="b", cost="3")
    assert answer == {"id": 2, "cnt": 2, "cost": "5.00", "balance": "985.00"}
    assert api.emu.balance() == Decimal("985.00")
    assert len(api.emu.messages()) == 4
    assert api.emu.sends_accepted() == 2


@pytest.mark.asyncio
async def test_cost_request_sends_and_charges_nothing(api: Api) -> None:
    answer = await send(api, phones="79991234567,79991234568", cost="1")
    assert answer == {"cost": "5.00", "cnt": 2}
    assert api.emu.messages() == []
    assert api.emu.balance() == Decimal("1000.00")
    assert api.emu.sends_accepted() == 0


@pytest.mark.asyncio
async def test_list_sends_one_id_with_per_line_texts(api: Api) -> None:
    listing = "79991234567:Your code: 1\\nbye\n\n79991234568,79991234569;Hi;there"
    answer = await api.json("send.php", list=listing, cost="2")
    assert answer == {"id": 1, "cnt": 3, "cost": "7.50"}
    texts = {m.phone: m.text for m in api.emu.messages()}
    assert texts == {
        "79991234567": "Your code: 1\nbye",
        "79991234568": "Hi;there",
        "79991234569": "Hi;there",
    }
    assert {m.id for m in api.emu.messages()} == {1}


@pytest.mark.asyncio
async def test_list_line_without_separator_is_error_1(api: Api) -> None:
    answer = await api.json("send.php", list="79991234567 hello")
    assert answer == {"error": "parameters error", "error_code": 1}


@pytest.mark.parametrize(
    ("sent", "answered"),
    [("42", 42), ("2147483647", 2147483647), ("order-7.a_b", "order-7.a_b"), ("x" * 40, "x" * 40)],
)
@pytest.mark.asyncio
async def test_client_ids_are_answered_as_sent(api: Api, sent: str, answered: int | str) -> None:
    assert (await send(api, id=sent))["id"] == answered
    assert api.emu.messages()[0].id == answered
    assert api.emu.find_message(sent, PHONE) is not None


@pytest.mark.parametrize("bad", ["2147483648", "x" * 41, "bad id", "id/1", "a+b"])
@pytest.mark.asyncio
async def test_invalid_client_ids_are_error_1(api: Api, bad: str) -> None:
    assert (await send(api, id=bad))["error_code"] == 1
    assert api.emu.messages() == []


@pytest.mark.asyncio
async def test_server_ids_increase_and_id_0_means_assign(api: Api) -> None:
    assert (await send(api, mes="one"))["id"] == 1
    assert (await send(api, mes="two", id="0"))["id"] == 2
    assert (await send(api, mes="three", id=""))["id"] == 3


@pytest.mark.parametrize(
    ("params", "kind", "cnt"),
    [
        ({"flash": "1"}, "flash", 1),
        ({"bin": "1", "mes": "x" * 141}, "bin", 2),
        ({"bin": "2", "mes": "0605040B8423F0"}, "bin", 1),
        ({"push": "1", "mes": "http://x.ru\nTitle"}, "push", 1),
        ({"hlr": "1", "mes": ""}, "hlr", 1),
        ({"ping": "1", "mes": ""}, "ping", 1),
        ({"mms": "1", "mes": "", "subj": "Pic"}, "mms", 1),
        ({"mail": "1", "phones": "a@b.ru", "subj": "S", "sender": "me@x.ru"}, "mail", 1),
        ({"call": "1", "voice": "w2", "mes": "x" * 61}, "call", 10),
        ({"viber": "1"}, "viber", 1),
        ({"soc": "1"}, "soc", 1),
        ({"tg": "1", "phones": "@some_nick,#12345"}, "tg", 2),
        ({"whatsapp": "1"}, "whatsapp", 1),
        ({"bot": "@shop_bot", "smsreq": "30"}, "tg", 1),
        ({"bot": "wa:79990000000"}, "whatsapp", 1),
    ],
)
@pytest.mark.asyncio
async def test_each_kind_is_stored_with_its_kind(
    api: Api, params: dict[str, str], kind: str, cnt: int
) -> None:
    answer = await send(api, **params)
    assert answer == {"id": 1, "cnt": cnt}
    assert {m.kind for m in api.emu.messages()} == {kind}


@pytest.mark.parametrize(
    "params",
    [
        {"bin": "2", "mes": "0605zz"},
        {"bin": "3"},
        {"mail": "1", "phones": "a@b.ru", "sender": "me@x.ru"},
        {"mail": "1", "phones": "a@b.ru", "subj": "S"},
        {"mms": "1", "mes": ""},
        {"call": "1", "voice": "robot"},
        {"bot": "shop"},
        {"mes": "a" * 1001},
        {"mes": ""},
        {"phones": ""},
        {"cost": "7"},
        {"maxsms": "many"},
        {"tz": "x"},
    ],
)
@pytest.mark.asyncio
async def test_parameter_errors_are_error_1_without_id(api: Api, params: dict[str, str]) -> None:
    assert await send(api, **params) == {"error": "parameters error", "error_code": 1}
    assert api.emu.balance() == Decimal("1000.00")


@pytest.mark.asyncio
async def test_missing_mes_is_error_1(api: Api) -> None:
    answer = await api.json("send.php", phones=PHONE)
    assert answer["error_code"] == 1


@pytest.mark.asyncio
async def test_flash_call_code_is_answered_and_remembered(api: Api) -> None:
    answer = await send(api, call="1", mes="code")
    assert re.fullmatch(r"\d{4}", answer["code"])
    assert answer["cnt"] == 1
    assert api.emu.messages()[0].code == answer["code"]


@pytest.mark.asyncio
async def test_invalid_phones_give_error_7_with_id_in_every_fmt(api: Api) -> None:
    assert await send(api, phones="123,abc") == {
        "error": "invalid phone number format",
        "error_code": 7,
        "id": 1,
    }
    assert await api.body("send.php", phones="12", mes="x", fmt="1", id="9") == "9,-7"
    text = await api.body("send.php", phones="12", mes="y", fmt="0", id="abc")
    assert text == "ERROR = 7 (invalid phone number format), ID - abc"
    assert api.emu.messages() == []


@pytest.mark.asyncio
async def test_forbidden_word_gives_error_6_with_id(api: Api) -> None:
    api.emu.forbidden_words = {"Casino"}
    answer = await send(api, mes="Best CASINO here", id="77")
    assert answer == {"error": "message is denied", "error_code": 6, "id": 77}
    assert api.emu.sends_accepted() == 0


@pytest.mark.asyncio
async def test_undeliverable_phone_gives_error_8_or_is_left_out(api: Api) -> None:
    api.emu.undeliverable_phones = {"+79990000000"}
    answer = await send(api, phones="79990000000")
    assert (answer["error_code"], answer["id"]) == (8, 1)
    answer = await send(api, phones="79990000000,79991234567", err="1")
    assert answer == {
        "id": 2,
        "cnt": 1,
        "phones": [
            {"phone": "79990000000", "mccmnc": "25002", "cost": "0.00", "status": 20, "error": 248}
        ],
    }
    assert [m.phone for m in api.emu.messages()] == [PHONE]


@pytest.mark.asyncio
async def test_insufficient_funds_gives_error_3_and_keeps_balance(api: Api) -> None:
    api.emu.set_balance("demo", "2.00")
    answer = await send(api, id="5")
    assert answer == {"error": "no money", "error_code": 3, "id": 5}
    assert api.emu.balance() == Decimal("2.00")
    assert api.emu.messages() == []
    assert (await send(api, cost="1")) == {"cost": "2.50", "cnt": 1}  # estimates still work


@pytest.mark.asyncio
async def test_credit_lets_the_balance_go_negative(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await smsc_emulator_factory([Account(balance=Decimal("1.00"), credit=Decimal("3"))])
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu)
        assert (await send(api, cost="3"))["balance"] == "-1.50"
        assert (await send(api, mes="again"))["error_code"] == 3
    assert emu.balance() == Decimal("-1.50")


@pytest.mark.asyncio
async def test_op_lists_every_number_and_err_only_problems(api: Api) -> None:
    answer = await send(api, phones="79991234567,12345,380501234567", op="1")
    assert answer["cnt"] == 2
    assert answer["phones"] == [
        {"phone": "79991234567", "mccmnc": "25002", "cost": "2.50"},
        {"phone": "12345", "mccmnc": "0", "cost": "0.00", "status": 22, "error": 249},
        {"phone": "380501234567", "mccmnc": "25503", "cost": "2.50"},
    ]
    answer = await send(api, phones="79991234567,12345", err="1", mes="other")
    assert answer["phones"] == [
        {"phone": "12345", "mccmnc": "0", "cost": "0.00", "status": 22, "error": 249}
    ]
    answer = await send(api, phones="79991234567", cost="1", op="1", mes="third")
    assert answer == {
        "cost": "2.50",
        "cnt": 1,
        "phones": [{"phone": "79991234567", "mccmnc": "25002", "cost": "2.50"}],
    }


@pytest.mark.asyncio
async def test_duplicate_recipients_in_one_request_count_once(api: Api) -> None:
    assert (await send(api, phones="79991234567,+79991234567"))["cnt"] == 1


@pytest.mark.asyncio
async def test_unknown_parameters_are_ignored(api: Api) -> None:
    assert await send(api, frobnicate="1", tinyurl="1", valid="12") == {"id": 1, "cnt": 1}


@pytest.mark.asyncio
async def test_success_in_fmt_0_and_1(api: Api) -> None:
    assert await api.body("send.php", phones=PHONE, mes="a", fmt="1") == "1,1"
    assert await api.body("send.php", phones=PHONE, mes="b", fmt="1", cost="3") == "2,1,2.50,995.00"
    text = await api.body("send.php", phones=PHONE, mes="c", fmt="0", cost="3")
    assert text == "OK - 1 SMS, ID - 3, COST - 2.50, BALANCE - 992.50"
    assert await api.body("send.php", phones=PHONE, mes="d", fmt="0") == "OK - 1 SMS, ID - 4"
    assert await api.body("send.php", phones=PHONE, mes="e", fmt="1", cost="1") == "2.50,1"
    assert await api.body("send.php", phones=PHONE, mes="f", fmt="0", cost="1") == "2.50 (1 SMS)"


def moscow(day: int, month: int, hour: int, minute: int = 0) -> float:
    return datetime.fromisoformat(
        f"2023-{month:02}-{day:02}T{hour:02}:{minute:02}+03:00"
    ).timestamp()


@pytest.mark.parametrize(
    ("time", "extra", "delay"),
    [
        ("0", {}, 0.0),
        ("+10", {}, 600.0),
        (f"0{int(CLOCK) + 900}", {}, 900.0),
        ("0112231200", {}, moscow(1, 12, 12) - CLOCK),
        ("01.12.23 12:00", {}, moscow(1, 12, 12) - CLOCK),
        ("01.12.23 12:00", {"tz": "2"}, moscow(1, 12, 10) - CLOCK),
        ("9-18", {}, moscow(15, 11, 9) - CLOCK),  # 01:13 now: wait until 09:00
        ("0-24", {}, 0.0),
        ("01.01.20 10:00", {}, 0.0),  # in the past: now
    ],
)
@pytest.mark.asyncio
async def test_time_formats_schedule_the_message(
    smsc_emulator_factory: EmulatorFactory, time: str, extra: dict[str, str], delay: float
) -> None:
    emu = await smsc_emulator_factory(clock_start=CLOCK)
    async with aiohttp.ClientSession() as http:
        answer = await send(Api(http, emu), time=time, **extra)
    assert answer == {"id": 1, "cnt": 1}
    (message,) = emu.messages()
    assert message.send_at - message.accepted_at == pytest.approx(delay, abs=1.0)


@pytest.mark.parametrize(
    "time", ["32.12.23 10:00", "tomorrow", "1234", "1.12.23 10:00", "18-9", "+x"]
)
@pytest.mark.asyncio
async def test_bad_time_is_error_5(api: Api, time: str) -> None:
    assert await send(api, time=time) == {"error": "invalid date format", "error_code": 5}
