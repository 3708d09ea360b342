"""Random faults of the emulator: seeded drops, error pages and delays on every request."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from smsc_async import SendOutcomeUnknownError, SMSCClient
from smsc_async.emulator import Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .conftest import LOGIN, PASSWORD, url_of

CREDS = {"login": "demo", "psw": "demo-password", "fmt": "3", "charset": "utf-8"}
PHONE = "79991234567"


class Raw:
    """Posts forms straight to the emulator; a dropped connection answers ``None``."""

    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http = http
        self.emu = emu

    async def post(self, script: str, **params: str) -> tuple[int, Any] | None:
        url = f"{url_of(self.emu)}/sys/{script}"
        try:
            async with self.http.post(url, data={**CREDS, **params}) as resp:
                body = await resp.read()
        except aiohttp.ServerDisconnectedError:
            return None
        if resp.status != 200:
            return resp.status, body.decode()
        return resp.status, json.loads(body)

    async def status(self, n: int) -> tuple[int, Any] | None:
        return await self.post("status.php", id=str(n), phone=PHONE)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def fault_sequence(emu: Emulator, http: aiohttp.ClientSession, n: int) -> list[str | None]:
    raw = Raw(http, emu)
    for i in range(n):
        await raw.status(i)
    return [r.fault for r in emu.requests]


@pytest.mark.asyncio
async def test_seeded_faults_repeat_and_follow_the_shares(
    smsc_emulator_factory: EmulatorFactory, http: aiohttp.ClientSession
) -> None:
    sequences = []
    for seed in (7, 7, 8):
        emu = await smsc_emulator_factory()
        emu.faults.randomly(drop=0.10, http_error=0.05, seed=seed)
        sequences.append(await fault_sequence(emu, http, 600))
    assert sequences[0] == sequences[1]
    assert sequences[0] != sequences[2]
    kinds = Counter(sequences[0])
    assert 30 <= kinds["drop"] + kinds["drop_after_processing"] <= 90  # 60 expected
    assert 10 <= kinds["drop_after_processing"] <= 50  # half of the drops
    assert 10 <= kinds["http_error"] <= 50  # 30 expected
    assert emu.faults.injected["http_error"] == Counter(sequences[2])["http_error"]


@pytest.mark.asyncio
async def test_faults_are_persistent_and_counted(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    raw = Raw(http, smsc_emulator)
    smsc_emulator.faults.randomly(http_error=1.0, statuses=(502,), seed=1)
    for i in range(3):
        answer = await raw.status(i)
        assert answer is not None
        assert answer[0] == 502
        assert "<h1>502 Bad Gateway</h1>" in answer[1]
    assert smsc_emulator.faults.injected == {"http_error": 3}
    smsc_emulator.faults.randomly(drop=1.0, seed=1)  # replaces the previous setting
    assert await raw.status(3) is None
    smsc_emulator.faults.randomly()  # all shares zero: off
    assert smsc_emulator.faults.random_faults is None
    answer = await raw.status(4)
    assert answer is not None
    assert (answer[0], answer[1]["status"]) == (200, -3)
    assert sum(smsc_emulator.faults.injected.values()) == 4


@pytest.mark.asyncio
async def test_error_pages_draw_from_the_statuses(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    smsc_emulator.faults.randomly(http_error=1.0, seed=3)
    raw = Raw(http, smsc_emulator)
    seen = set()
    for i in range(40):
        answer = await raw.status(i)
        assert answer is not None
        seen.add(answer[0])
    assert seen == {500, 502, 503}


@pytest.mark.asyncio
async def test_drop_after_processing_stores_the_send(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    raw = Raw(http, smsc_emulator)
    smsc_emulator.faults.randomly(drop=1.0, after_processing=1.0, seed=1, script="send")
    assert await raw.post("send.php", phones=PHONE, mes="kept", id="41") is None
    (message,) = smsc_emulator.messages()
    assert (message.id, message.phone, message.text) == (41, PHONE, "kept")
    assert await raw.status(41) is not None  # other scripts are not targeted
    smsc_emulator.faults.randomly(drop=1.0, after_processing=0.0, seed=1, script="send")
    assert await raw.post("send.php", phones=PHONE, mes="lost", id="42") is None
    assert len(smsc_emulator.messages()) == 1
    assert smsc_emulator.faults.injected == {"drop_after_processing": 1, "drop": 1}


@pytest.mark.asyncio
async def test_one_shot_faults_go_first(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    raw = Raw(http, smsc_emulator)
    smsc_emulator.faults.randomly(drop=1.0, after_processing=0.0, seed=1)
    smsc_emulator.faults.api_error(code=5, script="status.php")
    assert await raw.status(1) == (200, {"error": "error deleting message", "error_code": 5})
    assert await raw.status(2) is None
    smsc_emulator.faults.clear()
    assert smsc_emulator.faults.random_faults is None
    assert await raw.status(3) is not None
    assert smsc_emulator.faults.injected == {"api_error": 1, "drop": 1}


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_random_delays_stay_in_the_range(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    smsc_emulator.faults.randomly(delay=(1.0, 3.0), seed=5)
    smsc_emulator.faults.delay(10, script="balance.php")
    raw = Raw(http, smsc_emulator)
    loop = asyncio.get_running_loop()
    took = []
    for i in range(20):
        start = loop.time()
        await raw.status(i)
        took.append(loop.time() - start)
    assert all(1.0 <= t <= 3.1 for t in took)
    assert max(took) - min(took) > 1  # spread, not one fixed delay
    start = loop.time()
    await raw.post("balance.php")
    assert 11.0 <= loop.time() - start <= 13.1  # added to the fixed delay
    assert smsc_emulator.faults.injected == {"delay": 21}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop": 1.5}, "drop must be a share"),
        ({"http_error": -0.1}, "http_error must be a share"),
        ({"drop": float("nan")}, "drop must be a share"),
        ({"drop": 0.6, "http_error": 0.5}, "at most 1"),
        ({"after_processing": 2.0}, "after_processing must be a share"),
        ({"http_error": 0.1, "statuses": (200,)}, "400..599"),
        ({"http_error": 0.1, "statuses": ()}, "400..599"),
        ({"delay": (2.0, 1.0)}, "shortest <= longest"),
        ({"delay": (-1.0, 1.0)}, "shortest <= longest"),
        ({"delay": (0.0, float("inf"))}, "shortest <= longest"),
    ],
)
async def test_random_fault_arguments_are_checked(
    smsc_emulator: Emulator, kwargs: dict[str, Any], message: str
) -> None:
    smsc_emulator.faults.randomly(drop=0.1, seed=1)
    before = smsc_emulator.faults.random_faults
    with pytest.raises(ValueError, match=message):
        smsc_emulator.faults.randomly(**kwargs)
    assert smsc_emulator.faults.random_faults is before  # a refused call changes nothing


@pytest.mark.asyncio
async def test_error_answers_and_requests_are_counted(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    raw = Raw(http, smsc_emulator)
    for _ in range(2):
        await raw.post("send.php", phones=PHONE, mes="same text")  # the second: error 9
    await raw.post("send.php", phones="12", mes="x")  # error 7
    await raw.post("balance.php", psw="wrong")  # error 2
    assert smsc_emulator.request_count == 4
    assert smsc_emulator.errors_answered == {"demo": {9: 1, 7: 1, 2: 1}}
    smsc_emulator.clear_requests()
    assert (smsc_emulator.request_count, smsc_emulator.errors_answered) == (0, {})


@pytest.mark.asyncio
async def test_client_reads_complete_and_sends_reconcile_under_faults(
    smsc_emulator: Emulator,
) -> None:
    smsc_emulator.faults.randomly(drop=0.2, http_error=0.1, seed=11)
    sent: list[str] = []
    unknown: list[SendOutcomeUnknownError] = []
    async with SMSCClient(
        LOGIN,
        PASSWORD,
        base_url=url_of(smsc_emulator),
        max_retries=10,
        retry_backoff=0,
        reconcile_delay=0,
    ) as smsc:
        for i in range(60):
            phone = f"+7999000{i:04d}"
            try:
                result = await smsc.send_sms(phone, f"text {i}")
            except SendOutcomeUnknownError as exc:
                unknown.append(exc)
            else:
                sent.append(str(result.id))
            await smsc.get_status(i + 1, phone)
    stored = [str(m.id) for m in smsc_emulator.messages()]
    assert sorted(stored) == sorted(sent)  # every reported send stored once, no other
    assert unknown
    assert all(exc.checked for exc in unknown)  # SMSC was asked and does not have them
    assert len(sent) + len(unknown) == 60
    assert smsc_emulator.faults.injected.get("drop_after_processing", 0) > 0
