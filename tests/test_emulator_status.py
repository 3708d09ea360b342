"""The emulator's status.php (status, delete) and balance.php over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import Account, Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

CREDS = {"login": "demo", "psw": "demo-password"}
PHONE = "79991234567"
CLOCK = 1_700_000_000.0  # 15.11.2023 01:13:20 Moscow time
BASE_KEYS = {"status", "last_date", "last_timestamp", "flag", "err"}
FULL_KEYS = BASE_KEYS | {
    "send_date",
    "send_timestamp",
    "phone",
    "cost",
    "sender_id",
    "status_name",
    "message",
    "comment",
    "type",
    "sms_cnt",
    "mccmnc",
}
HLR_KEYS = {"imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet"}


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

    async def send(self, **params: str) -> Any:
        return await self.json("send.php", **{"phones": PHONE, "mes": "hello", **params})

    async def status(self, **params: str) -> Any:
        return await self.json("status.php", **{"phone": PHONE, "id": "1", **params})


@pytest_asyncio.fixture
async def emu(smsc_emulator_factory: EmulatorFactory) -> Emulator:
    return await smsc_emulator_factory(clock_start=CLOCK)


@pytest_asyncio.fixture
async def api(emu: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, emu)


@pytest.mark.asyncio
async def test_fresh_message_is_queued(api: Api) -> None:
    await api.send()
    answer = await api.status()
    assert set(answer) == BASE_KEYS
    assert (answer["status"], answer["err"], answer["flag"]) == (-1, 0, 0)


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_status_follows_the_schedule_on_the_loop_clock(api: Api) -> None:
    loop = asyncio.get_running_loop()
    await api.send(id="7")
    sent = api.emu.messages()[0].accepted_at
    seen = []
    for moment in (0.5, 1.0, 2.9, 3.0, 100.0):
        await asyncio.sleep(sent + moment - loop.time())
        answer = await api.status(id="7")
        seen.append((answer["status"], answer["last_timestamp"]))
    start = seen[0][1]
    assert seen == [
        (-1, start),
        (0, start + 1),
        (0, start + 1),
        (1, start + 3),
        (1, start + 3),
    ]


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_dates_are_moscow_time() -> None:
    emu = Emulator(clock_start=CLOCK)
    async with emu.serve(), aiohttp.ClientSession() as http:
        api = Api(http, emu)
        await api.send()
        await asyncio.sleep(3)
        answer = await api.status(all="1")
    assert answer["send_date"] == "15.11.2023 01:13:20"
    assert answer["send_timestamp"] == 1_700_000_000
    assert answer["last_date"] == "15.11.2023 01:13:23"
    assert answer["last_timestamp"] == 1_700_000_003


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_set_outcome_replaces_the_final_status(api: Api) -> None:
    await api.send(phones=f"{PHONE},79990000001")
    api.emu.set_outcome("+79990000001", status=20, err=1)
    await asyncio.sleep(5)
    assert (await api.status())["status"] == 1
    answer = await api.status(phone="79990000001")
    assert (answer["status"], answer["err"]) == (20, 1)
    api.emu.set_outcome(PHONE, status=25, err=6)
    await api.send(mes="later")  # an outcome also applies to messages sent afterwards
    await asyncio.sleep(5)
    answer = await api.status(id="2")
    assert (answer["status"], answer["err"]) == (25, 6)


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_scheduled_message_waits_for_its_time(api: Api) -> None:
    await api.send(time="+2")
    await asyncio.sleep(119)
    assert (await api.status())["status"] == -1
    await asyncio.sleep(2)
    assert (await api.status())["status"] == 0


@pytest.mark.asyncio
async def test_unknown_message_is_status_minus_3(api: Api) -> None:
    answer = await api.status(id="404")
    assert answer["status"] == -3
    assert set(answer) == BASE_KEYS


@pytest.mark.asyncio
async def test_multi_status_lists_every_message_with_id_and_phone(api: Api) -> None:
    await api.send(phones=f"{PHONE},79990000001")
    answer = await api.json("status.php", id="1,1,9", phone=f"{PHONE},+79990000001,{PHONE}")
    assert [(a["id"], a["phone"], a["status"]) for a in answer] == [
        ("1", PHONE, -1),
        ("1", "79990000001", -1),
        ("9", PHONE, -3),
    ]


@pytest.mark.asyncio
async def test_trailing_comma_forces_the_list_format(api: Api) -> None:
    await api.send()
    answer = await api.status(id="1,", phone=f"{PHONE},")
    assert isinstance(answer, list)
    assert (answer[0]["id"], answer[0]["phone"], answer[0]["status"]) == ("1", PHONE, -1)
    assert isinstance(await api.status(id="1", phone=f"{PHONE},"), list)
    assert isinstance(await api.status(id="1", phone=PHONE), dict)


@pytest.mark.asyncio
async def test_one_phone_pairs_with_every_id(api: Api) -> None:
    await api.send(mes="a")
    await api.send(mes="b")
    answer = await api.json("status.php", id="1,2", phone=PHONE)
    assert [a["id"] for a in answer] == ["1", "2"]


@pytest.mark.parametrize(
    "params", [{"id": "1,2,3", "phone": "1,2"}, {"id": ""}, {"phone": ""}, {"all": "5"}]
)
@pytest.mark.asyncio
async def test_bad_status_parameters_are_error_1(api: Api, params: dict[str, str]) -> None:
    assert (await api.status(**params))["error_code"] == 1


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_all_1_and_all_2_add_fields(api: Api) -> None:
    await api.send(sender="Shop", mes="a" * 200)
    await asyncio.sleep(3)
    full = await api.status(all="1")
    assert set(full) == FULL_KEYS
    assert full["phone"] == PHONE
    assert full["cost"] == "5.00"
    assert full["sender_id"] == "Shop"
    assert full["status_name"] == "Доставлено"
    assert full["message"] == "a" * 200
    assert (full["type"], full["sms_cnt"], full["mccmnc"]) == (0, 2, "25002")
    region = await api.status(all="2")
    assert set(region) == FULL_KEYS | {"country", "operator", "region"}
    assert region["country"] == "Россия"


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_hlr_fields_appear_once_final(api: Api) -> None:
    await api.send(hlr="1", mes="")
    assert not HLR_KEYS & set(await api.status())
    await asyncio.sleep(3)
    answer = await api.status()
    assert set(answer) >= HLR_KEYS
    assert answer["imsi"].startswith("25002")
    assert (answer["mcc"], answer["mnc"], answer["cn"]) == ("250", "02", "Россия")


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_fmt_1_columns(api: Api) -> None:
    await api.send(mes="a,b", sender="S")
    await api.send(phones="79990000001", hlr="1", mes="")
    await asyncio.sleep(3)
    row = (await api.body("status.php", phone=PHONE, id="1", fmt="1")).split(",")
    assert row[0] == "1"
    assert row[2] == "0"
    assert len(row) == 3
    row = (await api.body("status.php", phone=PHONE, id="1", fmt="1", all="1")).split(",")
    assert row[3:9] == [row[3], PHONE, "2.50", "S", "Доставлено", "a"]
    assert row[9] == "b"
    row = (await api.body("status.php", phone=PHONE, id="1", fmt="1", all="2")).split(",")
    assert row[8:11] == ["Россия", "МегаФон", "Москва и Московская область"]
    assert row[11:] == ["a", "b"]
    hlr = (await api.body("status.php", phone="79990000001", id="2", fmt="1")).split(",")
    assert len(hlr) == 11
    assert hlr[5:7] == ["250", "02"]
    hlr = (await api.body("status.php", phone="79990000001", id="2", fmt="1", all="1")).split(",")
    assert hlr[14] == "HLR"  # where the official libraries look for it
    hlr = (await api.body("status.php", phone="79990000001", id="2", fmt="1", all="2")).split(",")
    assert hlr[17] == "HLR"
    multi = await api.body("status.php", phone=f"{PHONE},79990000001", id="1,2", fmt="1")
    lines = [line.split(",") for line in multi.splitlines()]
    assert [line[:3] for line in lines] == [["1", PHONE, "1"], ["2", "79990000001", "1"]]


@pytest.mark.asyncio
async def test_fmt_0_status_lines(api: Api) -> None:
    await api.send()
    text = await api.body("status.php", phone=PHONE, id="1", fmt="0")
    # The page's all=0 line always carries err, even 0.
    assert text == "Status = -1, check_time = 15.11.2023 01:13:20, err = 0"
    full = await api.body("status.php", phone=PHONE, id="1", fmt="0", all="1")
    assert full.startswith("Status = -1, check_time = ")
    assert ", err = 0, send_date = " in full
    assert ", message = hello" in full
    multi = await api.body("status.php", phone=f"{PHONE},{PHONE}", id="1,2", fmt="0")
    first, second = multi.splitlines()
    assert first.startswith(f"id = 1, phone = {PHONE}, Status = -1, check_time = ")
    assert second.startswith(f"id = 2, phone = {PHONE}, Status = -3, check_time = ")


@pytest.mark.asyncio
async def test_delete_removes_the_message(api: Api) -> None:
    await api.send(id="x1")
    assert await api.status(id="x1", **{"del": "1"}) == {"result": "OK"}
    assert (await api.status(id="x1"))["status"] == -3
    message = api.emu.find_message("x1", PHONE)
    assert message is not None
    assert message.deleted
    answer = await api.status(id="x1", **{"del": "1"})
    assert answer == {"error": "error deleting message", "error_code": 5}


@pytest.mark.asyncio
async def test_delete_in_fmt_0_and_1_and_unknown_is_error_5(api: Api) -> None:
    await api.send(mes="one")
    await api.send(mes="two")
    assert await api.body("status.php", phone=PHONE, id="1", fmt="0", **{"del": "1"}) == "OK"
    assert await api.body("status.php", phone=PHONE, id="2", fmt="1", **{"del": "1"}) == "OK"
    text = await api.body("status.php", phone=PHONE, id="3", fmt="0", **{"del": "1"})
    assert text == "ERROR = 5 (error deleting message)"
    assert await api.body("status.php", phone=PHONE, id="3", fmt="1", **{"del": "1"}) == "0,-5"


@pytest.mark.asyncio
async def test_balance_is_debited_by_sends(api: Api) -> None:
    assert await api.json("balance.php") == {"balance": "1000.00"}
    await api.send(phones=f"{PHONE},79990000001", mes="a" * 161)
    assert await api.json("balance.php") == {"balance": "990.00"}
    assert await api.json("balance.php", cur="1") == {"balance": "990.00", "currency": "RUR"}
    assert await api.body("balance.php", fmt="0") == "990.00"
    assert await api.body("balance.php", fmt="1", cur="1") == "990.00,RUR"


@pytest.mark.asyncio
async def test_balance_with_credit_and_currency(smsc_emulator_factory: EmulatorFactory) -> None:
    account = Account(balance=Decimal("250.8"), credit=Decimal("100"), currency="KZT")
    emu = await smsc_emulator_factory([account])
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu)
        assert await api.json("balance.php", cur="1") == {
            "balance": "250.80",
            "credit": "100.00",
            "currency": "KZT",
        }
        assert await api.json("balance.php") == {"balance": "250.80"}
        assert await api.body("balance.php", fmt="1", cur="1") == "250.80,100.00,KZT"
    emu.set_balance("demo", 7)
    assert emu.balance("demo") == Decimal(7)
