"""Retries, failover and the send-safety rules, with faults injected by the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from smsc_async import (
    AuthenticationError,
    BadRequestError,
    ConnectError,
    HTTPStatusError,
    IPBlockedError,
    Region,
    RequestTimeoutError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    ServerRateLimitError,
    SMSCClient,
    TransportError,
)
from smsc_async._transport import backoff_delay
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
    with pytest.raises(IPBlockedError):
        await client.get_balance()
    emulator.faults.api_error(1, code=2, script="status.php")
    with pytest.raises(AuthenticationError):
        await client.get_status(1, PHONE)
    assert count(emulator, "balance.php") == 2
    assert count(emulator, "status.php") == 1


@pytest.mark.asyncio
async def test_4xx_answers_are_not_retried(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.http_error(1, status=404, script="balance.php")
    with pytest.raises(HTTPStatusError) as info:
        await client.get_balance()
    assert info.value.status == 404
    assert count(emulator, "balance.php") == 1


def test_backoff_is_capped_and_jittered() -> None:
    assert backoff_delay(1, base=0, cap=8) == 0
    delays = [backoff_delay(a, base=0.5, cap=4.0) for a in range(1, 10) for _ in range(20)]
    assert all(0 < d <= 4.0 for d in delays)
    first = [backoff_delay(1, base=0.5, cap=4.0) for _ in range(50)]
    assert all(0.25 <= d <= 0.5 for d in first)
    assert len(set(first)) > 1  # jittered
    late = [backoff_delay(8, base=0.5, cap=4.0) for _ in range(50)]
    assert all(2.0 <= d <= 4.0 for d in late)


def test_default_backup_is_www2_of_smsc_hosts_only() -> None:
    assert SMSCClient(LOGIN, PASSWORD).base_urls == ("https://smsc.ru", "https://www2.smsc.ru")
    assert SMSCClient(LOGIN, PASSWORD, base_url=Region.KZ).base_urls == (
        "https://smsc.kz",
        "https://www2.smsc.kz",
    )
    assert SMSCClient(LOGIN, PASSWORD, base_url="https://www.smscentre.com/").base_urls == (
        "https://www.smscentre.com",
        "https://www2.smscentre.com",
    )
    assert SMSCClient(LOGIN, PASSWORD, base_url="http://127.0.0.1:8080").base_urls == (
        "http://127.0.0.1:8080",
    )
    assert SMSCClient(LOGIN, PASSWORD, backup_urls=[]).base_urls == ("https://smsc.ru",)


@contextlib.asynccontextmanager
async def odd_server(
    send_answer: web.StreamResponse | None = None,
) -> AsyncIterator[tuple[str, list[str]]]:
    """A tiny server that answers send.php with what a test needs and status.php "not found"."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        seen.append(request.path)
        if request.path.endswith("/status.php"):
            return web.json_response({"status": -3, "err": 0})
        return send_answer or web.Response(text="<html>maintenance</html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_garbage_answer_to_a_send_is_an_unknown_outcome_not_a_resend() -> None:
    async with (
        odd_server() as (url, seen),
        SMSCClient(LOGIN, PASSWORD, base_url=url, retry_backoff=0, reconcile_delay=0) as c,
    ):
        with pytest.raises(SendOutcomeUnknownError) as info:
            await c.send_sms(PHONE, "x", id="garbled")
    assert isinstance(info.value.__cause__, ResponseDecodeError)
    assert info.value.checked
    assert seen == ["/sys/send.php", "/sys/status.php"]


@pytest.mark.asyncio
async def test_redirects_are_not_followed() -> None:
    async with (
        odd_server(web.Response(status=302, headers={"Location": "/elsewhere"})) as (url, seen),
        SMSCClient(LOGIN, PASSWORD, base_url=url, reconcile_sends=False) as c,
    ):
        with pytest.raises(SendOutcomeUnknownError) as info:
            await c.send_sms(PHONE, "x")
    assert isinstance(info.value.__cause__, HTTPStatusError)
    assert info.value.__cause__.status == 302
    assert seen == ["/sys/send.php"]


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
@pytest.mark.looptime
async def test_connection_refused_fails_over_to_the_backup(emulator: Emulator) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with SMSCClient(
        LOGIN,
        PASSWORD,
        base_url=closed_port_url(),
        backup_urls=[url_of(emulator)],
        retry_backoff=0,
    ) as c:
        sent = await c.send_sms(PHONE, "definitely not sent the first time")
        assert (await c.get_balance()).currency == "RUR"
    # The send that could not connect was retried (nothing had been sent) and went once; its
    # refused attempt was refunded at the gate, so the retry did not wait for the send window.
    assert emulator.sends_accepted() == 1
    assert emulator.find_message(sent.id, "79990000001") is not None
    assert loop.time() - start < 5


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
    assert count(emulator, "status.php") == 1
    assert count(emulator, "send.php") == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_reconcile_does_not_confirm_another_text_under_a_reused_id(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.send_sms(PHONE, "first text", id="reused")
    emulator.faults.drop(1, script="send.php", after_processing=False)
    with pytest.raises(SendOutcomeUnknownError, match="another text") as info:
        await client.send_sms(PHONE, "second text", id="reused")
    assert info.value.checked
    assert emulator.sends_accepted() == 1


@pytest.mark.asyncio
async def test_cancelled_send_keeps_its_id(
    client: SMSCClient, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.faults.delay(1.0, script="send.php")
    with pytest.raises(TimeoutError) as info:
        async with asyncio.timeout(0.2):
            await client.send_sms(PHONE, "cancel me", id="cancelled-1")
    cancelled = info.value.__cause__ or info.value.__context__
    assert isinstance(cancelled, asyncio.CancelledError)
    assert any("cancelled-1" in note for note in getattr(cancelled, "__notes__", []))
    assert any("cancelled-1" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert count(emulator, "send.php") == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancelled_while_waiting_at_the_gate_adds_no_note(
    client: SMSCClient, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    await client.send_sms(PHONE, "same")
    task = asyncio.create_task(client.send_sms(PHONE, "same", id="waiting-1"))
    await asyncio.sleep(5)  # the identical send waits for its minute at the gate
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as info:
        await task
    assert not getattr(info.value, "__notes__", [])
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert count(emulator, "send.php") == 1


def test_decode_error_class_keeps_prefix() -> None:
    err = ResponseDecodeError("bad", script="send.php", body_prefix=b"x" * 500)
    assert len(err.body_prefix) == 200


@pytest.mark.asyncio
async def test_reconcile_does_not_confirm_an_older_message_under_a_reused_id() -> None:
    # SMSC's clock an hour behind: the message found under the id is an hour older than the
    # attempt, so it cannot be this send (transliteration keeps the texts from being compared).
    emulator = Emulator(clock_start=time.time() - 3600)
    async with emulator.serve(), emulator.client(retry_backoff=0, reconcile_delay=0) as c:
        await c.send_sms(PHONE, "first", id="order-7", translit=True)
        emulator.faults.drop(1, script="send.php", after_processing=False)
        with pytest.raises(SendOutcomeUnknownError) as info:
            await c.send_sms(PHONE, "second", id="order-7", translit=True)
    assert info.value.checked
    assert "older message" in str(info.value)
    assert emulator.sends_accepted() == 1


@pytest.mark.asyncio
async def test_reconcile_confirms_a_send_of_this_moment_under_a_callers_id(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=True)
    sent = await client.send_sms(PHONE, "now", id="order-8", translit=True)
    assert sent.reconciled
