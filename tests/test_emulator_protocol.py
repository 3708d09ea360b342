"""The emulator's transport rules: methods, encodings, charsets, fmt, auth, recording."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio

from smsc_async.emulator import Account, Emulator, RecordedFile
from smsc_async.emulator.pytest_plugin import EmulatorFactory

CREDS = {"login": "demo", "psw": "demo-password"}
PHONE = "79991234567"
FORM = "application/x-www-form-urlencoded"


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_raw(
    http: aiohttp.ClientSession, url: str, body: bytes, *, content_type: str = FORM
) -> tuple[str, bytes]:
    async with http.post(url, data=body, headers={"Content-Type": content_type}) as resp:
        assert resp.status == 200
        return resp.headers["Content-Type"], await resp.read()


async def post_json(http: aiohttp.ClientSession, url: str, **params: str) -> Any:
    async with http.post(url, data={"fmt": "3", "charset": "utf-8", **params}) as resp:
        assert resp.status == 200
        return json.loads(await resp.read())


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("3", '{"error":"authorise error","error_code":2}'),
        ("0", "ERROR = 2 (authorise error)"),
        ("1", "0,-2"),
        ("", "ERROR = 2 (authorise error)"),
        (
            "2",
            "<?xml version='1.0'?><result><error>authorise error</error>"
            "<error_code>2</error_code></result>",
        ),
    ],
)
@pytest.mark.asyncio
async def test_error_envelope_in_every_fmt(
    smsc_emulator: Emulator, http: aiohttp.ClientSession, fmt: str, expected: str
) -> None:
    body = urlencode({"login": "demo", "psw": "wrong", "fmt": fmt}).encode()
    _, answer = await post_raw(http, f"{smsc_emulator.base_url}/sys/balance.php", body)
    assert answer.decode() == expected
    assert smsc_emulator.requests[-1].answered_error == 2
    assert smsc_emulator.requests[-1].http_status == 200


@pytest.mark.asyncio
async def test_fmt_2_success_is_xml(smsc_emulator: Emulator, http: aiohttp.ClientSession) -> None:
    body = urlencode({**CREDS, "fmt": "2", "phones": PHONE, "mes": "<b>"}).encode()
    ctype, answer = await post_raw(http, f"{smsc_emulator.base_url}/sys/send.php", body)
    assert ctype.startswith("text/xml")
    assert answer.decode() == "<?xml version='1.0'?><result><id>1</id><cnt>1</cnt></result>"


@pytest.mark.parametrize(
    ("charset", "codec", "label"),
    [
        ("utf-8", "utf-8", "utf-8"),
        ("windows-1251", "cp1251", "windows-1251"),
        ("koi8-r", "koi8_r", "koi8-r"),
        (None, "cp1251", "windows-1251"),  # SMSC's default
    ],
)
@pytest.mark.asyncio
async def test_charset_decodes_the_request_and_encodes_the_answer(
    smsc_emulator: Emulator,
    http: aiohttp.ClientSession,
    charset: str | None,
    codec: str,
    label: str,
) -> None:
    text = "Привет, мир! Ёж"
    params = {**CREDS, "fmt": "3", "phones": PHONE, "mes": text}
    if charset is not None:
        params["charset"] = charset
    url = smsc_emulator.base_url
    await post_raw(http, f"{url}/sys/send.php", urlencode(params, encoding=codec).encode())
    assert smsc_emulator.messages()[0].text == text
    assert smsc_emulator.requests[-1].params["mes"] == text

    query = {k: v for k, v in params.items() if k not in ("mes", "phones")}
    status = urlencode({**query, "phone": PHONE, "id": "1", "all": "1"}, encoding=codec)
    ctype, answer = await post_raw(http, f"{url}/sys/status.php", status.encode())
    assert ctype == f"application/json; charset={label}"
    assert json.loads(answer.decode(codec))["message"] == text
    if codec != "utf-8":
        with pytest.raises(UnicodeDecodeError):
            answer.decode("utf-8")


@pytest.mark.asyncio
async def test_password_md5_and_apikey_authenticate(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    url = f"{smsc_emulator.base_url}/sys/balance.php"
    md5 = hashlib.md5(b"demo-password").hexdigest()
    assert await post_json(http, url, login="demo", psw="demo-password") == {"balance": "1000.00"}
    assert await post_json(http, url, login="demo", psw=md5) == {"balance": "1000.00"}
    assert await post_json(http, url, apikey="demo-apikey") == {"balance": "1000.00"}
    assert await post_json(http, url, login="", psw="demo-apikey") == {"balance": "1000.00"}
    for bad in (
        {"login": "demo", "psw": "nope"},
        {"login": "demo", "psw": md5.upper() + "x"},
        {"login": "ghost", "psw": "demo-password"},
        {"login": "demo"},
        {"apikey": "wrong"},
        {},
    ):
        assert (await post_json(http, url, **bad))["error_code"] == 2
    assert [r.login for r in smsc_emulator.requests] == [
        *["demo"] * 4,
        "demo",
        "demo",
        "ghost",
        "demo",
        None,
        None,
    ]


@pytest.mark.asyncio
async def test_accounts_are_separate(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await smsc_emulator_factory(
        [Account(), Account(login="other", password="pw2", apikey=None, balance=Decimal(5))]
    )
    async with aiohttp.ClientSession() as http:
        url = f"{emu.base_url}/sys/"
        await post_json(http, url + "send.php", login="other", psw="pw2", phones=PHONE, mes="x")
        answer = await post_json(http, url + "balance.php", login="other", psw="pw2")
        assert answer == {"balance": "2.50"}
        assert await post_json(http, url + "balance.php", **CREDS) == {"balance": "1000.00"}
        answer = await post_json(http, url + "status.php", **CREDS, phone=PHONE, id="1")
        assert answer["status"] == -3  # the other login's message is not visible
    assert len(emu.messages("other")) == 1
    assert emu.messages() == []
    with pytest.raises(KeyError, match="ghost"):
        emu.balance("ghost")


@pytest.mark.asyncio
async def test_get_with_query_and_mixed_query_and_body(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    url = f"{smsc_emulator.base_url}/sys/send.php"
    query = {**CREDS, "fmt": "3", "phones": PHONE, "mes": "from query"}
    async with http.get(url, params=query) as resp:
        assert json.loads(await resp.read()) == {"id": 1, "cnt": 1}
    async with http.post(
        url, params={"fmt": "3", "mes": "query"}, data={**CREDS, "mes": "body", "phones": PHONE}
    ) as resp:
        assert json.loads(await resp.read()) == {"id": 2, "cnt": 1}
    first, second = smsc_emulator.requests
    assert (first.method, first.content_type) == ("GET", "")
    assert first.query_keys == frozenset(query)
    assert (second.method, second.content_type) == ("POST", FORM)
    assert second.query_keys == {"fmt", "mes"}
    assert second.params["mes"] == "body"
    assert [m.text for m in smsc_emulator.messages()] == ["from query", "body"]


@pytest.mark.asyncio
async def test_multipart_fields_and_files_are_recorded(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    for name, value in {**CREDS, "fmt": "3", "charset": "utf-8", "phones": PHONE}.items():
        form.add_field(name, value)
    form.add_field("mms", "1")
    form.add_field("subj", "Фото")
    form.add_field("file0", b"\x89PNG" + b"\0" * 96, filename="a.png", content_type="image/png")
    form.add_field("file1", b"hello", filename="b.txt", content_type="text/plain")
    async with http.post(f"{smsc_emulator.base_url}/sys/send.php", data=form) as resp:
        assert json.loads(await resp.read()) == {"id": 1, "cnt": 1}
    record = smsc_emulator.requests[-1]
    assert record.content_type == "multipart/form-data"
    assert record.files == (
        RecordedFile("file0", "a.png", 100, "image/png"),
        RecordedFile("file1", "b.txt", 5, "text/plain"),
    )
    assert record.params["subj"] == "Фото"
    assert "file0" not in record.params
    assert smsc_emulator.messages()[0].subject == "Фото"


@pytest.mark.asyncio
async def test_unknown_script_is_error_1_and_other_paths_404(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    answer = await post_json(http, f"{smsc_emulator.base_url}/sys/nothing.php", **CREDS)
    assert answer == {"error": "parameters error", "error_code": 1}
    async with http.get(f"{smsc_emulator.base_url}/other/send.php") as resp:
        assert resp.status == 404
    async with http.put(f"{smsc_emulator.base_url}/sys/send.php") as resp:
        assert resp.status == 405


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_requests_record_arrival_time_and_clear(
    smsc_emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    loop = asyncio.get_running_loop()
    url = f"{smsc_emulator.base_url}/sys/balance.php"
    await post_json(http, url, **CREDS)
    await asyncio.sleep(42)
    before = loop.time()
    await post_json(http, url, **CREDS, fmt="1")
    first, second = smsc_emulator.requests
    assert second.at - first.at == pytest.approx(42, abs=0.1)
    assert second.at >= before
    assert second.params == {**CREDS, "fmt": "1", "charset": "utf-8"}
    smsc_emulator.clear_requests()
    assert smsc_emulator.requests == []
    assert smsc_emulator.max_in_flight == {"demo": 0}


@pytest.mark.asyncio
async def test_in_flight_counts_per_login(smsc_emulator: Emulator) -> None:
    smsc_emulator.faults.delay(0.05)
    async with aiohttp.ClientSession() as http:
        url = f"{smsc_emulator.base_url}/sys/status.php"
        calls = [post_json(http, url, **CREDS, phone=PHONE, id=str(i)) for i in range(3)]
        task = asyncio.gather(*calls)
        for _ in range(1000):
            if smsc_emulator.in_flight.get("demo", 0) == 3:
                break
            await asyncio.sleep(0.001)
        assert smsc_emulator.in_flight == {"demo": 3}
        answers = await task
    assert [a["status"] for a in answers] == [-3, -3, -3]
    assert smsc_emulator.in_flight == {"demo": 0}
    assert smsc_emulator.max_in_flight == {"demo": 3}


@pytest.mark.asyncio
async def test_record_requests_off_keeps_nothing(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await smsc_emulator_factory(record_requests=False)
    async with aiohttp.ClientSession() as http:
        await post_json(http, f"{emu.base_url}/sys/balance.php", **CREDS)
    assert emu.requests == []
    assert emu.max_in_flight == {"demo": 1}


@pytest.mark.asyncio  # async: looptime 0.9 leaks an event loop around sync tests
async def test_constructor_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="login 'a'"):
        Emulator([Account(login="a"), Account(login="a")])
    with pytest.raises(ValueError, match="at least one account"):
        Emulator([])
    with pytest.raises(ValueError, match="delivery_schedule"):
        Emulator(delivery_schedule=((3.0, 0), (1.0, 1)))
    with pytest.raises(ValueError, match="delivery_schedule"):
        Emulator(delivery_schedule=())


@pytest.mark.asyncio
async def test_serve_twice_at_once_is_refused_and_serve_again_works() -> None:
    emu = Emulator()
    async with emu.serve() as first:
        assert first.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already serving"):
            async with emu.serve():
                pass
    assert emu.base_url is None
    async with emu.serve() as second, aiohttp.ClientSession() as http:
        assert await post_json(http, f"{second}/sys/balance.php", **CREDS) == {"balance": "1000.00"}


@pytest.mark.asyncio
async def test_app_can_be_served_again_on_a_new_event_loop() -> None:
    emu = Emulator()

    async def balance() -> Any:
        async with emu.serve() as url, aiohttp.ClientSession() as http:
            return await post_json(http, f"{url}/sys/balance.php", **CREDS)

    assert await balance() == {"balance": "1000.00"}
    # Each asyncio.run in a worker thread is a new loop; an aiohttp app binds to one.
    assert await asyncio.to_thread(asyncio.run, balance()) == {"balance": "1000.00"}
    assert await asyncio.to_thread(asyncio.run, balance()) == {"balance": "1000.00"}
