"""The emulator's fmt=0/1/2/3 bodies where SMSC's pages show them, over raw loopback HTTP.

The client always asks for fmt=3; SMSC's own libraries and many integrations read fmt=0/1 text
and fmt=2 XML, so these shapes are checked byte for byte against the pages (smsc-api.md §7.2
status_answer, §8 balance_answer, §16 jobs_answer).
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

CREDS = {"login": "demo", "psw": "demo-password", "charset": "utf-8"}
PHONE = "79991234567"
CLOCK = 1_700_000_000.0
NOW = "15.11.2023 01:13:20"  # CLOCK in Moscow time
XML = "<?xml version='1.0'?>"


class Raw:
    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    async def body(self, script: str, **params: str) -> str:
        url = f"{self.emu.base_url}/sys/{script}"
        async with self.http.post(url, data={**CREDS, **params}) as resp:
            assert resp.status == 200
            return (await resp.read()).decode("utf-8")

    async def send(self, **params: str) -> Any:
        sent = {"phones": PHONE, "mes": "hello", "sender": "Shop", "fmt": "3", **params}
        return json.loads(await self.body("send.php", **sent))


@pytest_asyncio.fixture
async def raw(smsc_emulator_factory: EmulatorFactory) -> AsyncIterator[Raw]:
    emu = await smsc_emulator_factory(clock_start=CLOCK)
    async with aiohttp.ClientSession() as http:
        yield Raw(http, emu)


# --- status.php ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_status_fmt_0_always_carries_err(raw: Raw) -> None:
    await raw.send()
    line = await raw.body("status.php", phone=PHONE, id="1", fmt="0")
    assert line == f"Status = -1, check_time = {NOW}, err = 0"
    unknown = await raw.body("status.php", phone=PHONE, id="77", fmt="0")
    assert unknown == f"Status = -3, check_time = {NOW}, err = 0"


@pytest.mark.asyncio
async def test_status_fmt_0_all_1_lists_the_pages_fields_in_order(raw: Raw) -> None:
    await raw.send()
    line = await raw.body("status.php", phone=PHONE, id="1", fmt="0", all="1")
    assert line == (
        f"Status = -1, check_time = {NOW}, err = 0, send_date = {NOW}, phone = {PHONE}, "
        "cost = 2.50, sender_id = Shop, status_name = Ожидает отправки, message = hello, "
        "comment = , type = 0"
    )
    # all=2 (not shown on the page): the region fields follow, as country/operator/region.
    full = await raw.body("status.php", phone=PHONE, id="1", fmt="0", all="2")
    assert full.startswith(line + ", country = Россия, operator = МегаФон, region = ")
    assert full.count(" = ") == line.count(" = ") + 3


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_status_fmt_0_of_an_hlr_request_puts_its_fields_after_err(raw: Raw) -> None:
    await raw.send(hlr="1", mes="")
    await asyncio.sleep(3)
    line = await raw.body("status.php", phone=PHONE, id="1", fmt="0")
    names = [part.split(" = ")[0] for part in line.split(", ")]
    assert names == [
        "Status",
        "check_time",
        "err",
        *("imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet"),
    ]


@pytest.mark.asyncio
async def test_status_fmt_2_is_one_sms_element(raw: Raw) -> None:
    await raw.send()
    body = await raw.body("status.php", phone=PHONE, id="1", fmt="2")
    assert body == (
        f"{XML}<sms><status>-1</status><last_date>{NOW}</last_date>"
        "<last_timestamp>1700000000</last_timestamp><flag>0</flag><err>0</err></sms>"
    )
    full = ET.fromstring(await raw.body("status.php", phone=PHONE, id="1", fmt="2", all="1"))
    assert full.tag == "sms"
    assert [child.tag for child in full][:5] == [
        "status",
        "last_date",
        "last_timestamp",
        "flag",
        "err",
    ]
    assert (full.findtext("phone"), full.findtext("message")) == (PHONE, "hello")
    # Gap: a multi request's XML is not shown; each message is an <sms> of its own.
    multi = ET.fromstring(await raw.body("status.php", phone=f"{PHONE},", id="1,", fmt="2"))
    assert [(sms.tag, sms.findtext("id")) for sms in multi] == [("sms", "1")]


@pytest.mark.asyncio
async def test_status_fmt_1_keeps_the_official_libraries_columns(raw: Raw) -> None:
    await raw.send()
    assert await raw.body("status.php", phone=PHONE, id="1", fmt="1") == "-1,1700000000,0"


# --- balance.php ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_balance_fmt_2_is_a_balance_element(raw: Raw) -> None:
    assert await raw.body("balance.php", fmt="2") == f"{XML}<balance>1000.00</balance>"
    # Gap: with cur=1 the page shows no XML; the values share one root, <balance> keeps its name.
    with_currency = ET.fromstring(await raw.body("balance.php", fmt="2", cur="1"))
    assert (with_currency.findtext("balance"), with_currency.findtext("currency")) == (
        "1000.00",
        "RUR",
    )
    # fmt 0 and 1 are the bare amount, as the official libraries read it.
    assert await raw.body("balance.php", fmt="0") == "1000.00"
    assert await raw.body("balance.php", fmt="1") == "1000.00"


# --- jobs.php ------------------------------------------------------------------------------------

ADD = {"add": "1", "name": "Promo", "phones": f"{PHONE},79990000001", "mes": "Sale"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fmt", "plain", "priced"),
    [
        ("0", "OK, ID - {id}", "OK, ID - {id}, COST - 5.00"),
        ("1", "{id}", "{id},5.00"),
        (
            "2",
            XML + "<result><id>{id}</id></result>",
            XML + "<result><id>{id}</id><cost>5.00</cost></result>",
        ),
        ("3", '{{"id":{id}}}', '{{"id":{id},"cost":"5.00"}}'),
    ],
)
async def test_jobs_add_answers_the_id_and_with_cost_1_the_price(
    raw: Raw, fmt: str, plain: str, priced: str
) -> None:
    first = await raw.body("jobs.php", **ADD, fmt=fmt)
    second = await raw.body("jobs.php", **{**ADD, "name": "Priced"}, fmt=fmt, cost="1")
    first_id, second_id = (m.id for m in raw.emu.jobs())
    assert first == plain.format(id=first_id)
    assert second == priced.format(id=second_id)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fmt", "ok"),
    [("0", "OK"), ("1", "OK"), ("2", f"{XML}<result>OK</result>"), ("3", '{"result":"OK"}')],
)
async def test_jobs_cancel_and_delete_answer_ok(raw: Raw, fmt: str, ok: str) -> None:
    await raw.body("jobs.php", **ADD, time="+60", fmt="3")
    job_id = str(raw.emu.jobs()[0].id)
    assert await raw.body("jobs.php", cancel="1", id=job_id, fmt=fmt) == ok
    assert await raw.body("jobs.php", **{"del": "1"}, id=job_id, fmt=fmt) == ok


@pytest.mark.asyncio
async def test_jobs_errors_are_the_pages_codes_and_texts(raw: Raw) -> None:
    raw.emu.set_balance("demo", "4.99")  # two recipients at 2.50 each
    assert await raw.body("jobs.php", **ADD, fmt="0") == "ERROR = 3 (error saving a record)"
    assert await raw.body("jobs.php", **{**ADD, "phones": "123"}, fmt="1") == "0,-3"
    assert await raw.body("jobs.php", **ADD, fmt="0", time="99.99.99 99:99") == (
        "ERROR = 5 (operation error)"
    )
    assert json.loads(await raw.body("jobs.php", get="1", id="424242", fmt="3")) == {
        "error": "operation error",
        "error_code": 5,
    }
    assert await raw.body("jobs.php", **ADD, fmt="1", cost="2") == "0,-1"
    assert {r.answered_error for r in raw.emu.requests} == {1, 3, 5}
