"""The emulator's fault knobs: delays, dropped connections, proxy pages, injected errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import Emulator

CREDS = {"login": "demo", "psw": "demo-password"}
PHONE = "79991234567"


class Api:
    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    async def raw(self, script: str, **params: str) -> tuple[int, str, str]:
        data = {**CREDS, "fmt": "3", "charset": "utf-8", **params}
        async with self.http.post(f"{self.emu.base_url}/sys/{script}", data=data) as resp:
            return resp.status, resp.content_type, (await resp.read()).decode()

    async def json(self, script: str, **params: str) -> Any:
        status, _, body = await self.raw(script, **params)
        assert status == 200
        return json.loads(body)

    async def send(self, **params: str) -> Any:
        return await self.json("send.php", **{"phones": PHONE, "mes": "hello", **params})


@pytest_asyncio.fixture
async def api(smsc_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, smsc_emulator)


async def timed(api: Api, script: str, **params: str) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await api.json(script, **params)
    return loop.time() - start


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_delay_holds_answers_on_the_loop_clock(api: Api) -> None:
    api.emu.faults.delay(5)
    assert await timed(api, "balance.php") == pytest.approx(5, abs=0.1)
    api.emu.faults.delay(2, script="status")
    assert await timed(api, "status.php", phone=PHONE, id="1") == pytest.approx(2, abs=0.1)
    assert await timed(api, "balance.php") == pytest.approx(5, abs=0.1)
    api.emu.faults.delay(0)
    assert await timed(api, "balance.php") == pytest.approx(0, abs=0.1)
    assert await timed(api, "status.php", phone=PHONE, id="2") == pytest.approx(2, abs=0.1)
    api.emu.faults.delay(0, script="status.php")
    assert await timed(api, "status.php", phone=PHONE, id="3") == pytest.approx(0, abs=0.1)


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_delayed_send_takes_effect_at_arrival(api: Api) -> None:
    api.emu.faults.delay(30, script="send.php")
    task = asyncio.create_task(api.send())
    await asyncio.sleep(1)
    assert len(api.emu.messages()) == 1  # stored and charged before the answer
    assert api.emu.in_flight == {"demo": 1}
    assert await task == {"id": 1, "cnt": 1}


@pytest.mark.asyncio
async def test_drop_closes_the_connection_without_effect(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.emu.faults.drop(2, script="send.php")
    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.send()
    assert await api.json("balance.php") == {"balance": "1000.00"}
    assert await api.send() == {"id": 1, "cnt": 1}
    dropped = api.emu.requests[0]
    assert (dropped.fault, dropped.http_status, dropped.answered_error) == ("drop", None, None)
    assert [r.fault for r in api.emu.requests] == ["drop", "drop", None, None]
    assert api.emu.sends_accepted() == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.asyncio
async def test_drop_after_processing_is_the_maybe_sent_case(api: Api) -> None:
    api.emu.faults.drop(after_processing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send(id="42")
    (message,) = api.emu.messages()
    assert message.id == 42
    assert api.emu.balance() == Decimal("997.50")
    assert api.emu.requests[0].fault == "drop_after_processing"
    answer = await api.send(id="42")  # a blind resend is refused as a duplicate
    assert answer["error_code"] == 9
    answer = await api.json("status.php", phone=PHONE, id="42")
    assert answer["status"] == -1  # reconcile through status instead


@pytest.mark.asyncio
async def test_http_error_answers_an_html_page(api: Api) -> None:
    api.emu.faults.http_error(2, status=503)
    for _ in range(2):
        status, ctype, body = await api.raw("send.php", phones=PHONE, mes="x")
        assert (status, ctype) == (503, "text/html")
        assert "<h1>503 Service Unavailable</h1>" in body
    assert await api.json("balance.php") == {"balance": "1000.00"}
    assert [r.http_status for r in api.emu.requests] == [503, 503, 200]
    assert api.emu.messages() == []


@pytest.mark.asyncio
async def test_plain_text_error_ignores_fmt(api: Api) -> None:
    api.emu.faults.plain_text_error(code=4)
    status, ctype, body = await api.raw("balance.php")
    assert (status, ctype, body) == (
        200,
        "text/plain",
        "ERROR = 4 (IP address is temporarily blocked)",
    )
    assert api.emu.requests[0].answered_error == 4


@pytest.mark.asyncio
async def test_api_error_uses_the_asked_fmt_and_send_ids(api: Api) -> None:
    api.emu.faults.api_error(3, code=3, script="send.php")
    assert await api.send(id="abc") == {"error": "no money", "error_code": 3, "id": "abc"}
    answer = await api.send()
    assert (answer["error_code"], answer["id"]) == (3, 1)
    _, _, body = await api.raw("send.php", phones=PHONE, mes="x", fmt="1", id="5")
    assert body == "5,-3"
    api.emu.faults.api_error(code=5, script="status.php")
    answer = await api.json("status.php", phone=PHONE, id="1")
    assert answer == {"error": "error deleting message", "error_code": 5}
    assert api.emu.messages() == []
    assert [r.answered_error for r in api.emu.requests] == [3, 3, 3, 5]


@pytest.mark.asyncio
async def test_faults_target_scripts_in_order_and_clear(api: Api) -> None:
    faults = api.emu.faults
    faults.api_error(code=9, script="/sys/send.php")
    faults.http_error(status=500)
    assert [f.kind for f in faults.pending] == ["api_error", "http_error"]
    status, _, _ = await api.raw("balance.php")  # skips the send.php fault
    assert status == 500
    assert (await api.send())["error_code"] == 9
    assert faults.pending == ()
    faults.drop(5)
    faults.delay(10)
    faults.clear()
    assert faults.pending == ()
    assert await api.json("balance.php") == {"balance": "1000.00"}


@pytest.mark.asyncio
async def test_fault_arguments_are_checked(smsc_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="n must be at least 1"):
        smsc_emulator.faults.drop(0)
    with pytest.raises(ValueError, match=r"400\.\.599"):
        smsc_emulator.faults.http_error(status=200)
    with pytest.raises(ValueError, match=">= 0"):
        smsc_emulator.faults.delay(-1)


@pytest.mark.asyncio
async def test_leaving_serve_drops_delayed_answers_quickly() -> None:
    emu = Emulator()
    emu.faults.delay(60)
    async with aiohttp.ClientSession() as http:
        async with emu.serve() as url:
            request = asyncio.create_task(
                http.post(f"{url}/sys/balance.php", data={**CREDS, "fmt": "3"})
            )
            for _ in range(1000):
                if emu.in_flight.get("demo"):
                    break
                await asyncio.sleep(0.001)
            started = time.monotonic()
        assert time.monotonic() - started < 2
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await request
    assert emu.in_flight == {"demo": 0}
