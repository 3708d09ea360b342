"""The emulator's error-9 limits, on the event loop's (virtual) clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import LIMIT_RULES, MAX_IN_FLIGHT, Account, Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

CREDS = {"login": "demo", "psw": "demo-password"}
PHONE = "79991234567"


class Api:
    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    async def json(self, script: str, **params: str) -> Any:
        data = {**CREDS, "fmt": "3", "charset": "utf-8", **params}
        async with self.http.post(f"{self.emu.base_url}/sys/{script}", data=data) as resp:
            assert resp.status == 200
            return json.loads(await resp.read())

    async def code(self, script: str, **params: str) -> int:
        """Return the error code answered, 0 for a success."""
        answer = await self.json(script, **params)
        return answer.get("error_code", 0) if isinstance(answer, dict) else 0

    async def send(self, **params: str) -> int:
        return await self.code("send.php", **{"phones": PHONE, "mes": "hello", **params})

    async def status(self, **params: str) -> int:
        return await self.code("status.php", **{"phone": PHONE, "id": "1", **params})


@pytest_asyncio.fixture
async def api(smsc_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, smsc_emulator)


async def at(moment: float) -> None:
    """Sleep until loop time ``moment`` (the test's loop starts at 0 under looptime)."""
    await asyncio.sleep(moment - asyncio.get_running_loop().time())


# Async although it awaits nothing: looptime 0.9 leaks an event loop around sync tests
# on Python 3.11, which filterwarnings=error turns into a failure of a later test.
@pytest.mark.asyncio
async def test_rule_table_has_the_documented_limits() -> None:
    limits = {(rule.script, rule.name): rule.limit for rule in LIMIT_RULES}
    assert limits[("send.php", "identical send")] == 1
    assert limits[("send.php", "identical cost request")] == 5
    assert limits[("status.php", "status of one message")] == 5
    assert limits[("status.php", "mass status request")] == 1
    assert limits[("balance.php", "balance request")] == 10
    assert limits[("phones.php", "identical phones.php")] == 3
    assert limits[("senders.php", "identical senders.php")] == 3
    assert limits[("senders.php", "sender name add")] == 5
    assert MAX_IN_FLIGHT == 14


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_the_15th_concurrent_request_gets_error_9(api: Api) -> None:
    api.emu.faults.delay(1.0)
    answers = await asyncio.gather(
        *(api.json("status.php", phone=PHONE, id=str(i)) for i in range(15))
    )
    refused = [a for a in answers if isinstance(a, dict) and "error_code" in a]
    assert refused == [{"error": "too many concurrent requests", "error_code": 9}]
    assert api.emu.max_in_flight == {"demo": 15}
    assert api.emu.in_flight == {"demo": 0}
    assert await api.status(id="99") == 0  # all answered: room again


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_fourteen_concurrent_requests_pass(api: Api) -> None:
    api.emu.faults.delay(1.0)
    codes = await asyncio.gather(*(api.status(id=str(i)) for i in range(14)))
    assert codes == [0] * 14


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_no_limits_without_rules(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await smsc_emulator_factory(rules=False)
    emu.faults.delay(1.0)
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu)
        codes = await asyncio.gather(*(api.status(id=str(i)) for i in range(20)))
        assert codes == [0] * 20
        assert [await api.send() for _ in range(3)] == [0, 0, 0]
    assert emu.max_in_flight == {"demo": 20}


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_identical_send_window_slides_and_refusals_do_not_count(api: Api) -> None:
    assert await api.send(id="1") == 0
    await at(30)
    assert await api.send(id="2") == 9  # the id does not make a send different
    assert await api.send(mes="other text") == 0
    await at(59.5)
    assert await api.send(id="3") == 9
    await at(60.01)
    assert await api.send(id="4") == 0  # the refused ones at 30 and 59.5 were not counted
    assert await api.send(id="5") == 9
    assert api.emu.sends_accepted() == 3


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_the_window_is_sixty_seconds_inclusive(api: Api) -> None:
    assert await api.send() == 0
    first = api.emu.requests[0].at
    await at(first + 60)
    assert await api.send() == 9
    await at(first + 60.001)
    assert await api.send() == 0


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_identity_ignores_credentials_fmt_and_charset(api: Api) -> None:
    assert await api.send() == 0
    data = {"apikey": "demo-apikey", "login": "", "psw": "", "charset": "windows-1251"}
    assert await api.send(**data) == 9


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_cost_requests_allow_five_identical_a_minute(api: Api) -> None:
    assert [await api.send(cost="1") for _ in range(6)] == [0, 0, 0, 0, 0, 9]
    assert await api.send() == 0  # a real send is counted apart
    await at(60.01)
    assert await api.send(cost="1") == 0


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_status_of_one_message_five_a_minute_delete_included(api: Api) -> None:
    await api.send()
    assert [await api.status() for _ in range(4)] == [0, 0, 0, 0]
    assert await api.status(id="1,", phone=f"{PHONE},") == 0  # one message, list format
    assert await api.status(**{"del": "1"}) == 9
    assert await api.status(id="2") == 0  # another message
    await at(60.01)
    assert await api.status(**{"del": "1"}) == 0
    assert await api.status() == 0  # status -3 now, still an answer


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_one_mass_status_request_a_minute(api: Api) -> None:
    assert await api.status(id="1,2", phone=f"{PHONE},{PHONE}") == 0
    assert await api.status(id="3,4", phone=PHONE) == 9
    assert await api.status(id="3") == 0  # single requests are counted apart
    await at(60.01)
    assert await api.status(id="5,6", phone=PHONE) == 0


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_balance_ten_a_minute_on_a_sliding_window(api: Api) -> None:
    for second in range(10):
        await at(second)
        assert await api.code("balance.php") == 0
    await at(10)
    assert await api.code("balance.php") == 9
    await at(60.01)  # the request at 0 slid out
    assert await api.code("balance.php") == 0
    await at(60.5)  # the ones at 1..9 and 60.01 fill the window
    assert await api.code("balance.php") == 9
    await at(61.01)
    assert await api.code("balance.php") == 0


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_five_new_sender_names_a_minute(api: Api) -> None:
    async def add(name: str, **params: str) -> int:
        return await api.code("senders.php", add="1", sender=name, **params)

    assert await add("Shop0") == 0
    await at(0.5)
    assert await add("shop0") == 5  # exists: answered with an error, not counted
    for second in range(1, 5):
        await at(second)
        assert await add(f"Shop{second}") == 0
    await at(10)
    assert await api.json("senders.php", add="1", sender="Shop5") == {
        "error": "too many requests, wait a minute",
        "error_code": 9,
    }
    assert await add("Shop5", user="sub") == 9  # per login, whichever subclient
    # Other senders.php commands are not adds.
    assert await api.code("senders.php", get="1", all="1") == 0
    assert await api.code("senders.php", chg="1", sender="Shop1", cmt="c") == 0
    await at(60.01)  # the add at 0 slid out
    assert await add("Shop5") == 0
    assert await add("Shop6") == 9
    assert len(api.emu.sender_names()) == 6


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_requests_answered_with_errors_are_not_counted(api: Api) -> None:
    assert await api.send(phones="123") == 7
    assert await api.send(phones="123") == 7
    api.emu.set_balance("demo", 0)
    assert await api.send() == 3
    api.emu.set_balance("demo", 10)
    assert await api.send() == 0
    assert await api.send() == 9


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_limits_are_per_login_and_can_be_reset(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await smsc_emulator_factory([Account(), Account(login="b", password="pb")])
    async with aiohttp.ClientSession() as http:
        api = Api(http, emu)
        assert await api.send() == 0
        assert await api.send(login="b", psw="pb") == 0
        assert await api.send() == 9
        emu.reset_limits()
        assert await api.send() == 0
    assert emu.sends_accepted() == 2
    assert emu.sends_accepted("b") == 1
