"""SMSCClient.from_env / env_configured and Emulator.client."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from smsc_async import LocalGate, RateLimitedError, SMSCClient, WaitPolicy
from smsc_async.emulator import Account, Emulator

from .conftest import LOGIN, PASSWORD


@pytest.mark.asyncio
async def test_emulator_client_talks_to_the_serving_emulator() -> None:
    emu = Emulator(
        [Account(), Account(login="other", password="other-password", balance=Decimal(5))]
    )
    with pytest.raises(RuntimeError, match="not serving"):
        emu.client()
    async with emu.serve():
        async with emu.client() as smsc:
            assert smsc._auth == {"login": LOGIN, "psw": PASSWORD}
            assert (await smsc.get_balance()).balance == emu.balance(LOGIN)
        async with emu.client("other", timeout=5) as smsc:
            assert (await smsc.get_balance()).balance == 5
        with pytest.raises(KeyError):
            emu.client("nobody")


def test_from_env_login_and_password() -> None:
    env = {"SMSC_LOGIN": "shop", "SMSC_PASSWORD": "secret-word"}
    client = SMSCClient.from_env(env)
    assert client._auth == {"login": "shop", "psw": "secret-word"}
    assert client.base_urls == ("https://smsc.ru", "https://www2.smsc.ru")
    assert "secret-word" not in repr(client)


def test_from_env_apikey_and_base_url() -> None:
    env = {"SMSC_APIKEY": "key-123", "SMSC_BASE_URL": "https://smsc.kz"}
    client = SMSCClient.from_env(env, max_in_flight=3)
    assert client._auth == {"apikey": "key-123"}
    assert client.base_urls[0] == "https://smsc.kz"


def test_an_explicit_base_url_wins_over_the_variable() -> None:
    env = {"SMSC_APIKEY": "key-123", "SMSC_BASE_URL": "https://smsc.kz"}
    client = SMSCClient.from_env(env, base_url="https://smsc.ua")
    assert client.base_urls[0] == "https://smsc.ua"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set SMSC_LOGIN and SMSC_PASSWORD, or SMSC_APIKEY"),
        ({"SMSC_LOGIN": "", "SMSC_APIKEY": ""}, "set SMSC_LOGIN and SMSC_PASSWORD, or SMSC_APIKEY"),
        ({"SMSC_LOGIN": "shop"}, "SMSC_PASSWORD is not set"),
        ({"SMSC_PASSWORD": "secret-word"}, "SMSC_LOGIN is not set"),
        ({"SMSC_APIKEY": "k", "SMSC_LOGIN": "shop"}, "unset one of them"),
        (
            {"SMSC_APIKEY": "k", "SMSC_BASE_URL": "ftp//u:secret-word@h"},
            "^SMSC_BASE_URL: base_url must be an http",
        ),
    ],
)
def test_from_env_says_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        SMSCClient.from_env(env)
    assert "secret-word" not in str(caught.value)


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_LOGIN", "shop")
    monkeypatch.setenv("SMSC_PASSWORD", "secret-word")
    monkeypatch.delenv("SMSC_APIKEY", raising=False)
    monkeypatch.delenv("SMSC_BASE_URL", raising=False)
    assert SMSCClient.env_configured()
    assert SMSCClient.from_env()._auth["login"] == "shop"


@pytest.mark.parametrize(
    ("env", "configured"),
    [
        ({}, False),
        ({"SMSC_LOGIN": ""}, False),
        ({"SMSC_LOGIN": "shop"}, True),
        ({"SMSC_APIKEY": "k"}, True),
        ({"SMSC_PASSWORD": "p", "SMSC_BASE_URL": "https://smsc.ru"}, False),
    ],
)
def test_env_configured(env: dict[str, str], configured: bool) -> None:
    assert SMSCClient.env_configured(env) is configured


@pytest.mark.asyncio
async def test_an_emulator_on_a_reused_port_starts_with_clean_limits() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for _ in range(2):
        emu = Emulator()
        async with emu.serve(port=port), emu.client(on_limit="raise") as smsc:
            # SMSC allows five identical cost requests a minute: the window is full now.
            for _ in range(5):
                await smsc.get_cost("+79991234567", "same text")
            with pytest.raises(RateLimitedError):
                await smsc.get_cost("+79991234567", "same text")
            async with emu.client(on_limit="raise") as other:  # same emulator, same windows
                with pytest.raises(RateLimitedError):
                    await other.get_cost("+79991234567", "same text")


@pytest.mark.asyncio
async def test_gates_of_different_scopes_do_not_share_accounts() -> None:
    first, second = LocalGate(scope="a"), LocalGate(scope="b")
    async with first.admit("host|demo", [], WaitPolicy()):
        assert first.stats("host|demo").in_flight == 1
        assert LocalGate(scope="a").stats("host|demo").in_flight == 1
        assert second.stats("host|demo").in_flight == 0
        assert LocalGate().stats("host|demo").in_flight == 0
