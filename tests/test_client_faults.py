"""Retries, failover and the send-safety rules, with faults injected by the emulator."""

from __future__ import annotations

import socket

import pytest

from smsc_async import (
    BadRequestError,
    ConnectError,
    HTTPStatusError,
    RequestTimeoutError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    ServerRateLimitError,
    SMSCClient,
    TransportError,
)
from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD, url_of

PHONE = "+79990000001"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def count(emulator: Emulator, script: str) -> int:
    return sum(1 for r in emulator.requests if r.script == script)


@pytest.mark.asyncio
async def test_reads_retry_on_5xx_and_dropped_connections(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.http_error(2, status=502, script="balance.php")
    assert (await client.get_balance()).currency == "RUR"
    assert count(emulator, "balance.php") == 3
    emulator.faults.drop(1, script="status.php")
    await client.get_status(1, PHONE)
    assert count(emulator, "status.php") == 2


@pytest.mark.asyncio
async def test_reads_give_up_after_max_retries(emulator: Emulator) -> None:
    emulator.faults.http_error(10, status=503, script="balance.php")
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), retry_backoff=0, max_retries=2
    ) as c:
        with pytest.raises(HTTPStatusError) as info:
            await c.get_balance()
    assert info.value.status == 503
    assert b"<html" in info.value.body_prefix.lower()
    assert count(emulator, "balance.php") == 3


@pytest.mark.asyncio
async def test_api_errors_are_not_retried(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.api_error(1, code=9, script="balance.php")
    with pytest.raises(ServerRateLimitError):
        await client.get_balance()
    emulator.faults.api_error(1, code=4, script="balance.php")
    with pytest.raises(Exception, match="error 4"):
        await client.get_balance()
    assert count(emulator, "balance.php") == 2


@pytest.mark.asyncio
async def test_plain_text_error_becomes_the_right_api_error(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.plain_text_error(1, code=1, script="balance.php")
    with pytest.raises(BadRequestError) as info:
        await client.get_balance()
    assert info.value.code == 1
    assert info.value.script == "balance.php"


@pytest.mark.asyncio
async def test_timeout_is_typed(emulator: Emulator) -> None:
    emulator.faults.delay(2.0, script="balance.php")
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), timeout=0.2, max_retries=0
    ) as c:
        with pytest.raises(RequestTimeoutError) as info:
            await c.get_balance()
    assert isinstance(info.value, TimeoutError)
    assert info.value.request_sent
    assert PASSWORD not in str(info.value)


@pytest.mark.asyncio
async def test_connection_refused_fails_over_to_the_backup(emulator: Emulator) -> None:
    assert emulator.base_url is not None
    async with SMSCClient(
        LOGIN,
        PASSWORD,
        base_url=closed_port_url(),
        backup_urls=[url_of(emulator)],
        retry_backoff=0,
    ) as c:
        sent = await c.send_sms(PHONE, "definitely not sent the first time")
        assert (await c.get_balance()).currency == "RUR"
    # The send that could not connect was retried (nothing had been sent) and went once.
    assert emulator.sends_accepted() == 1
    assert emulator.find_message(sent.id, "79990000001") is not None


@pytest.mark.asyncio
async def test_connection_refused_everywhere_is_a_connect_error() -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=closed_port_url(), retry_backoff=0) as c:
        with pytest.raises(ConnectError) as info:
            await c.send_sms(PHONE, "x")
    assert info.value.request_sent is False
    assert "127.0.0.1" in info.value.url


@pytest.mark.asyncio
async def test_maybe_sent_send_is_reconciled_not_resent(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=True)
    sent = await client.send_sms(PHONE, "answer lost", id="lost-1")
    assert sent.reconciled
    assert sent.id == "lost-1"
    assert count(emulator, "send.php") == 1
    assert emulator.sends_accepted() == 1
    assert count(emulator, "status.php") == 1


@pytest.mark.asyncio
async def test_maybe_sent_send_not_found_raises_unknown(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=False)
    with pytest.raises(SendOutcomeUnknownError) as info:
        await client.send_sms(PHONE, "request lost", id="lost-2")
    assert info.value.message_id == "lost-2"
    assert info.value.checked
    assert isinstance(info.value.__cause__, TransportError)
    assert count(emulator, "send.php") == 1
    assert emulator.sends_accepted() == 0


@pytest.mark.asyncio
async def test_send_5xx_and_garbage_are_not_resent(emulator: Emulator) -> None:
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), retry_backoff=0, reconcile_sends=False
    ) as c:
        emulator.faults.http_error(1, status=502, script="send.php")
        with pytest.raises(SendOutcomeUnknownError) as info:
            await c.send_sms(PHONE, "x", id="gw-1")
        assert not info.value.checked
        assert isinstance(info.value.__cause__, HTTPStatusError)
        emulator.faults.drop(1, script="send.php", after_processing=True)
        with pytest.raises(SendOutcomeUnknownError):
            await c.send_sms(PHONE, "y", id="gw-2")
    assert count(emulator, "send.php") == 2
    assert count(emulator, "status.php") == 0


@pytest.mark.asyncio
async def test_send_plain_text_error_is_an_answer_not_unknown(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.plain_text_error(1, code=7, script="send.php")
    with pytest.raises(Exception) as info:
        await client.send_sms(PHONE, "x")
    assert type(info.value).__name__ == "InvalidPhoneError"


@pytest.mark.asyncio
async def test_timed_out_send_is_reconciled(emulator: Emulator) -> None:
    emulator.faults.delay(1.0, script="send.php")
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), timeout=0.3, reconcile_delay=1.0
    ) as c:
        sent = await c.send_sms(PHONE, "slow")
    assert sent.reconciled
    assert emulator.sends_accepted() == 1


def test_decode_error_class_keeps_prefix() -> None:
    err = ResponseDecodeError("bad", script="send.php", body_prefix=b"x" * 500)
    assert len(err.body_prefix) == 200
