"""Around the Redis gate: account keys, the environment, the command line, what Redis holds."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
import redis.asyncio as aioredis

from smsc_async import Charge, GateUnavailableError, SMSCClient, Ticket, WaitPolicy
from smsc_async._limits import Rule
from smsc_async.emulator import Account, Emulator
from smsc_async.redis import RedisGate

from .conftest import APIKEY, LOGIN, PASSWORD, url_of
from .redis_server import RedisServer, free_port
from .test_cli import NO_ACCOUNT, account, error_line, smsc

pytestmark = pytest.mark.asyncio


class _Stop(Exception):
    pass


class AccountRecorder:
    """A gate that records the account key and stops the request before any I/O."""

    def __init__(self) -> None:
        self.accounts: list[str] = []

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = 14,
        timeout: float | None = None,
    ) -> AbstractAsyncContextManager[Ticket]:
        self.accounts.append(account)
        raise _Stop


async def account_of(**options: Any) -> str:
    recorder = AccountRecorder()
    async with SMSCClient(gate=recorder, **options) as client:
        with pytest.raises(_Stop):
            await client.get_balance()
    return recorder.accounts[0]


@pytest.mark.parametrize(
    "spelling",
    [
        "https://smsc.ru:443/",
        "https://www.smsc.ru",
        "https://SMSC.RU",
        "https://www2.smsc.ru/",
        "http://smsc.ru",
        "https://smsc.ru.",
    ],
)
async def test_one_account_whatever_the_spelling_of_the_server(spelling: str) -> None:
    plain = await account_of(login="user", password="pw", base_url="https://smsc.ru")
    assert await account_of(login="user", password="pw", base_url=spelling) == plain


async def test_other_servers_and_logins_are_other_accounts() -> None:
    base = await account_of(login="user", password="pw", base_url="https://smsc.ru")
    others = [
        await account_of(login="user", password="pw", base_url="https://smscentre.com"),
        await account_of(login="other", password="pw", base_url="https://smsc.ru"),
        await account_of(login="user", password="pw", base_url="http://127.0.0.1:8001"),
        await account_of(login="user", password="pw", base_url="http://127.0.0.1:8002"),
    ]
    assert len({base, *others}) == 5


async def test_an_api_key_account_is_a_keyed_hash() -> None:
    key = "k-" + "x" * 38
    got = await account_of(apikey=key, base_url="https://www.smsc.ru")
    assert got.startswith("smsc.ru|apikey:")
    assert key not in got
    assert hashlib.sha256(key.encode()).hexdigest()[:16] not in got  # not a plain digest
    assert got == await account_of(apikey=key, base_url="https://smsc.ru")
    assert got != await account_of(apikey=key + "y", base_url="https://smsc.ru")


@pytest.mark.parametrize("base_url", ["https://demo:s3cret-pw", "https://smsc.ru:99999"])
async def test_a_port_that_is_no_port_is_refused_without_repeating_it(base_url: str) -> None:
    with pytest.raises(ValueError, match=r"port|password") as info:
        SMSCClient("demo", "pw", base_url=base_url)
    assert "s3cret" not in str(info.value)
    assert "99999" not in str(info.value)


async def test_spellings_that_reach_one_emulator_share_the_cap() -> None:
    emu = Emulator()
    emu.faults.delay(0.05)
    async with emu.serve():
        root = url_of(emu)
        spellings = [root, root + "/", root.replace("http://", "HTTP://")]
        clients = [SMSCClient(LOGIN, PASSWORD, base_url=url) for url in spellings]
        for client in clients:
            await client.open()
        try:
            await asyncio.gather(
                *(clients[i % 3].get_cost(f"+7999000{i:04d}", "hi") for i in range(42))
            )
        finally:
            for client in clients:
                await client.aclose()
    assert emu.max_in_flight[LOGIN] == 14


# --- SMSC_REDIS_URL ---------------------------------------------------------------------------


async def test_from_env_uses_and_closes_the_redis_gate(redis_server: RedisServer) -> None:
    emu = Emulator([Account(login="env-redis-user", password=PASSWORD)])
    env = {
        "SMSC_LOGIN": "env-redis-user",
        "SMSC_PASSWORD": PASSWORD,
        "SMSC_REDIS_URL": redis_server.url,
    }
    raw = aioredis.from_url(redis_server.url)
    try:
        async with emu.serve():
            env["SMSC_BASE_URL"] = url_of(emu)
            client = SMSCClient.from_env(env)
            async with client:
                await client.get_balance()
                tag = f"smsc:{{{url_of(emu).removeprefix('http://')}|env-redis-user}}:"
                keys = [k.decode() async for k in raw.scan_iter(match=f"{tag}*")]
                assert f"{tag}in" in keys or any(k.startswith(f"{tag}r:") for k in keys)
                gate = client._owned_gate
                assert isinstance(gate, RedisGate)
            assert client._owned_gate is None
            with pytest.raises(RuntimeError, match="closed"):
                gate.admit("x", (), WaitPolicy())
    finally:
        await raw.aclose()


async def test_from_env_names_a_bad_redis_url_without_repeating_it() -> None:
    env = {"SMSC_LOGIN": "u", "SMSC_PASSWORD": "p", "SMSC_REDIS_URL": "http://:pw-9@h"}
    with pytest.raises(ValueError, match=r"^SMSC_REDIS_URL: ") as info:
        SMSCClient.from_env(env)
    assert "pw-9" not in str(info.value)


async def test_the_command_line_uses_the_redis_gate(redis_server: RedisServer) -> None:
    emu = Emulator([Account(login="cli-redis-user")])
    raw = aioredis.from_url(redis_server.url)
    try:
        async with emu.serve():
            env = {**account(emu), "SMSC_REDIS_URL": redis_server.url}
            result = await smsc(env, "balance")
            assert result.exit_code == 0, result.stderr
            tag = f"smsc:{{{url_of(emu).removeprefix('http://')}|cli-redis-user}}:"
            assert [k async for k in raw.scan_iter(match=f"{tag}r:balance.any:*")]
            down = f"redis://:pw-7x@127.0.0.1:{free_port()}/0"
            result = await smsc({**env, "SMSC_REDIS_URL": down}, "balance")
            assert result.exit_code == 3
            line = error_line(result)
            assert "Redis at 127.0.0.1:" in line
            assert "pw-7x" not in result.stderr
            assert emu.request_count == 1  # the second balance never left
    finally:
        await raw.aclose()
    assert NO_ACCOUNT["SMSC_REDIS_URL"] is None  # a developer's Redis never leaks in


# --- what Redis holds -----------------------------------------------------------------------


async def everything_under(raw: aioredis.Redis, prefix: str) -> list[str]:
    """Every key name under ``prefix`` and every member, value and field they hold."""
    seen: list[str] = []
    async for key in raw.scan_iter(match=f"{prefix}*"):
        seen.append(str(key))
        kind = str(await raw.type(key))
        if kind == "zset":
            seen += [str(m) for m in await raw.zrange(key, 0, -1)]
        elif kind == "string":
            seen.append(str(await raw.get(key)))
        else:
            raise AssertionError(f"unexpected {kind} {key!r}")
    return seen


async def test_no_password_or_key_in_redis(redis_server: RedisServer, redis_prefix: str) -> None:
    emu = Emulator()
    raw = aioredis.from_url(redis_server.url, decode_responses=True)
    accounts: tuple[dict[str, Any], ...] = (
        {"login": LOGIN, "password": PASSWORD},
        {"login": LOGIN, "password": PASSWORD, "md5_password": True},
        {"apikey": APIKEY},
    )
    try:
        async with (
            emu.serve(),
            RedisGate.from_url(redis_server.url, prefix=redis_prefix) as gate,
        ):
            for i, options in enumerate(accounts):
                async with SMSCClient(base_url=url_of(emu), gate=gate, **options) as client:
                    await client.get_balance()
                    sent = await client.send_sms(f"+7999000000{i}", f"text {i}")
                    await client.get_status(sent.id, f"+7999000000{i}")
            stored = await everything_under(raw, redis_prefix)
    finally:
        await raw.aclose()
    assert any("apikey:" in item for item in stored)  # the API-key account was there
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest()
    for secret in (PASSWORD, md5, APIKEY):
        assert not [item for item in stored if secret in item]


async def test_idle_identities_leave_nothing_behind(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    rule = Rule("test.identical", 3, period=2.0)
    raw = aioredis.from_url(redis_server.url)

    async def count() -> int:
        return len([k async for k in raw.scan_iter(match=f"{redis_prefix}*", count=1000)])

    try:
        async with RedisGate.from_url(
            redis_server.url, prefix=redis_prefix, margin=0.0, poll_interval=0.2
        ) as gate:

            async def one(i: int) -> None:
                charges = (Charge(rule, i.to_bytes(4, "big")),)
                async with gate.admit("acct", charges, WaitPolicy(), timeout=30):
                    pass

            for start in range(0, 3000, 500):
                await asyncio.gather(*(one(i) for i in range(start, start + 500)))
            assert await count() >= 3000  # one log per identity while its window lasts
            # Each log lives its window (2 s) and a second, not the 35 s of its lease.
            for _ in range(100):  # ten seconds at most
                if (left := await count()) == 0:
                    break
                await asyncio.sleep(0.1)
    finally:
        await raw.aclose()
    assert left == 0


async def test_gate_unavailable_is_picklable_and_typed() -> None:
    import pickle

    exc = GateUnavailableError("the gate did not answer", where="127.0.0.1:1")
    back = pickle.loads(pickle.dumps(exc))
    assert isinstance(back, GateUnavailableError)
    assert (str(back), back.where) == (str(exc), exc.where)
