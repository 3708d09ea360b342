from __future__ import annotations

import logging

import aiohttp
import pytest

from smsc_async import AuthenticationError, SMSCClient
from smsc_async.emulator import Emulator

from .conftest import APIKEY, LOGIN, PASSWORD, url_of


@pytest.mark.asyncio
async def test_use_before_open_and_after_close(emulator: Emulator) -> None:
    smsc = SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator))
    with pytest.raises(RuntimeError, match="not open"):
        await smsc.get_balance()
    async with smsc:
        with pytest.raises(RuntimeError, match="already open"):
            await smsc.open()
        assert (await smsc.get_balance()).balance > 0
    with pytest.raises(RuntimeError, match="closed"):
        await smsc.get_balance()
    with pytest.raises(RuntimeError, match="closed"):
        await smsc.open()
    await smsc.aclose()  # idempotent
    assert len(emulator.requests) == 1


@pytest.mark.asyncio
async def test_borrowed_session_is_not_closed(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), session=session) as c:
            await c.get_balance()
        assert not session.closed
        async with session.post(f"{emulator.base_url}/sys/balance.php") as resp:
            assert resp.status == 200


@pytest.mark.asyncio
async def test_closed_borrowed_session_is_refused(emulator: Emulator) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    with pytest.raises(RuntimeError, match="session passed"):
        await SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), session=session).open()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((), {}, "login and password"),
        ((LOGIN,), {}, "login and password"),
        ((LOGIN, PASSWORD), {"apikey": "k"}, "not both"),
        ((), {"apikey": ""}, "apikey is empty"),
        ((LOGIN, PASSWORD), {"max_in_flight": 15}, "max_in_flight"),
        ((LOGIN, PASSWORD), {"max_in_flight": 0}, "max_in_flight"),
        ((LOGIN, PASSWORD), {"base_url": "smsc.ru"}, "server root"),
        ((LOGIN, PASSWORD), {"base_url": "https://u:p@smsc.ru"}, "credentials"),
        ((LOGIN, PASSWORD), {"max_retries": -1}, "max_retries"),
        ((LOGIN, PASSWORD), {"on_limit": "sleep"}, "on_limit"),
        ((LOGIN, PASSWORD), {"max_wait": -1.0}, "max_wait"),
    ],
)
def test_constructor_validation(
    args: tuple[str, ...], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        SMSCClient(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["https//login:S3CRET@smsc.ru", "ftp://login:S3CRET@smsc.ru", "S3CRET", "//:S3CRET@h"]
)
def test_a_bad_base_url_is_not_repeated(url: str) -> None:
    with pytest.raises(ValueError, match="server root") as caught:
        SMSCClient(LOGIN, PASSWORD, base_url=url)
    assert "S3CRET" not in str(caught.value)


def test_repr_hides_secrets() -> None:
    assert PASSWORD not in repr(SMSCClient(LOGIN, PASSWORD))
    assert "demo" in repr(SMSCClient(LOGIN, PASSWORD))
    r = repr(SMSCClient(apikey=APIKEY))
    assert APIKEY not in r
    assert "***" in r


@pytest.mark.asyncio
async def test_credentials_travel_in_the_body_only(client: SMSCClient, emulator: Emulator) -> None:
    await client.get_balance()
    await client.send_sms("+79990000001", "hi")
    for req in emulator.requests:
        assert req.method == "POST"
        assert req.query_keys == frozenset()
        assert req.content_type == "application/x-www-form-urlencoded"
        assert req.params["login"] == LOGIN
        assert req.params["psw"] == PASSWORD
        assert req.params["fmt"] == "3"
        assert req.params["charset"] == "utf-8"


@pytest.mark.asyncio
async def test_apikey_and_md5_password(emulator: Emulator) -> None:
    async with SMSCClient(apikey=APIKEY, base_url=url_of(emulator)) as c:
        assert (await c.get_balance()).currency
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), md5_password=True) as c:
        assert (await c.get_balance()).currency
    assert emulator.requests[0].params["apikey"] == APIKEY
    assert "psw" not in emulator.requests[0].params
    md5 = emulator.requests[1].params["psw"]
    assert len(md5) == 32
    assert md5 != PASSWORD


@pytest.mark.asyncio
async def test_bad_credentials_are_not_retried_and_not_leaked(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="smsc_async")
    secret = "wrong-secret-password"
    async with SMSCClient(LOGIN, secret, base_url=url_of(emulator), retry_backoff=0) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.get_balance()
    assert info.value.code == 2
    assert secret not in str(info.value)
    assert secret not in repr(info.value)
    assert len(emulator.requests) == 1
    assert all(secret not in r.getMessage() for r in caplog.records)
