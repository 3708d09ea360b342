"""Callbacks over ASGI: callback_asgi under uvicorn, mounted in FastAPI, fed by the emulator,
and answering every request exactly as the aiohttp.web handler does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
import uvicorn
from aiohttp import web
from fastapi import FastAPI

from smsc_async import MessageState, SMSCClient
from smsc_async.callbacks import (
    CallbackEvent,
    CallConfirmationEvent,
    IncomingMessageEvent,
    MessageStatusEvent,
    callback_app,
    callback_asgi,
)
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .conftest import LOGIN, PASSWORD
from .test_callbacks import (
    HOSTILE_MULTIPART,
    PHONE,
    SECRET,
    Events,
    call_form,
    incoming_form,
    multipart,
    serve,
    signed_status,
    status_form,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
QUICK = ((0.05, 0), (0.1, 1))  # the emulator's delivery: sent, then delivered, in real time


@contextlib.asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port and yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        # uvicorn offers a flag, not an event: look at it once per loop turn until it is up.
        while not server.started:
            if task.done():
                task.result()  # startup failed: raise why
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


class Receiver(Events):
    """One kind of receiver (aiohttp.web or ASGI) at ``url``, every event kept."""

    patience = 30.0

    def __init__(self) -> None:
        super().__init__()
        self.url = ""


@contextlib.asynccontextmanager
async def both(**options: Any) -> AsyncIterator[tuple[Receiver, Receiver]]:
    """An aiohttp.web receiver and an ASGI one under uvicorn, built with the same options."""
    old, new = Receiver(), Receiver()
    app = web.Application()
    app.add_subapp("/smsc", callback_app(old.on_event, secret=SECRET, **options))
    async with (
        serve(app) as aiohttp_url,
        serve_asgi(callback_asgi(new.on_event, secret=SECRET, **options)) as u,
    ):
        old.url, new.url = aiohttp_url + "/smsc", u + "/smsc"
        yield old, new


@pytest_asyncio.fixture
async def pair() -> AsyncIterator[tuple[Receiver, Receiver]]:
    async with both() as receivers:
        yield receivers


Answer = tuple[int, str, str | None, str | None]


async def request(
    url: str, data: Any = None, headers: dict[str, str] | None = None, method: str = "POST"
) -> Answer:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=data, headers=headers) as resp,
    ):
        text = await resp.text()
        return resp.status, text, resp.headers.get("Content-Type"), resp.headers.get("Allow")


async def same_answer(
    receivers: tuple[Receiver, Receiver],
    data: Callable[[], Any] | bytes | dict[str, str],
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, str]:
    """Make one request of each receiver; both must answer the same; return the answer."""
    answers = []
    for receiver in receivers:
        body = data() if callable(data) else data  # a stream can be sent once only
        answers.append(await request(receiver.url, body, headers, method))
    old, new = answers
    assert new == old
    status, text, content_type, _ = new
    assert content_type == "text/plain; charset=utf-8"
    return status, text


# --- the same answers as the aiohttp.web handler -----------------------------------------------


@pytest.mark.asyncio
async def test_both_accept_every_kind(pair: tuple[Receiver, Receiver]) -> None:
    body = urlencode(incoming_form(), encoding="cp1251").encode()
    assert await same_answer(pair, body, FORM) == (200, "ok")
    labelled = {"Content-Type": "application/x-www-form-urlencoded; charset=windows-1251"}
    assert await same_answer(pair, urlencode(status_form()).encode(), labelled) == (200, "ok")

    def form_data() -> aiohttp.FormData:
        fd = aiohttp.FormData(default_to_multipart=True)
        for name, value in call_form().items():
            fd.add_field(name, value)
        return fd

    assert await same_answer(pair, form_data) == (200, "ok")
    old, new = pair
    assert [type(e) for e in new.events] == [
        IncomingMessageEvent,
        MessageStatusEvent,
        CallConfirmationEvent,
    ]
    assert new.events == old.events
    first = new.events[0]
    assert isinstance(first, IncomingMessageEvent)
    assert first.message == "Привет, SMSC!"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("data", "text"),
    [
        (status_form(secret="forged"), "the md5 signature does not match the secret"),
        (
            {k: v for k, v in status_form().items() if k != "md5"},
            "the notification is not signed (no md5 field)",
        ),
        (signed_status(phone=PHONE, status="1"), "field 'id' is missing"),
        (
            urlencode(status_form()).encode() + b"&status=20",
            "field 'status' appears more than once",
        ),
        (b"&".join([b"a=1"] * 101), "malformed form body: Max number of fields exceeded"),
        (b"\x00\xff%%garbage=\xfe&&=", "the notification is not signed (no md5 field)"),
        (b"phone=1&mes=%98", "the body is not valid cp1251 text (check charset=)"),
        (urlencode(status_form(ts="9" * 5000)).encode(), "field 'ts' is not a time: '99999"),
    ],
)
async def test_both_refuse_bad_requests(
    pair: tuple[Receiver, Receiver], data: Any, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "smsc_async")
    headers = FORM if isinstance(data, bytes) else None
    status, answer = await same_answer(pair, data, headers)
    assert (status, answer[: len(text)]) == (400, text)
    assert pair[0].events == pair[1].events == []
    assert caplog.text.count("SMSC notification rejected") == 2
    assert SECRET not in caplog.text


@pytest.mark.asyncio
@pytest.mark.parametrize(("body", "content_type"), HOSTILE_MULTIPART)
async def test_both_refuse_hostile_multipart(
    pair: tuple[Receiver, Receiver], body: bytes, content_type: str
) -> None:
    status, text = await same_answer(pair, body, {"Content-Type": content_type})
    assert (status, text.split(":")[0]) == (400, "malformed form body")
    assert pair[1].events == []


@pytest.mark.asyncio
async def test_both_read_multipart_in_the_account_charset(pair: tuple[Receiver, Receiver]) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    body = multipart(incoming_form(mes="Да"))
    assert await same_answer(pair, body, headers) == (200, "ok")
    bare = {"Content-Type": "multipart/form-data"}  # no boundary
    assert await same_answer(pair, body, bare) == (400, "malformed multipart body")
    event = pair[1].events[0]
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Да"


@pytest.mark.asyncio
async def test_both_refuse_a_charset_mismatch() -> None:
    async with both(charset="utf-8") as receivers:
        body = urlencode(incoming_form(), encoding="cp1251").encode()
        assert await same_answer(receivers, body, FORM) == (
            400,
            "the body is not valid utf-8 text (check charset=)",
        )


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
async def test_both_allow_post_only(pair: tuple[Receiver, Receiver], method: str) -> None:
    answers = [await request(r.url, method=method) for r in pair]
    assert answers[0] == answers[1]
    expected = "" if method == "HEAD" else "405: Method Not Allowed"
    assert answers[1] == (405, expected, "text/plain; charset=utf-8", "POST")


@pytest.mark.asyncio
async def test_both_refuse_oversized_bodies() -> None:
    async with both(max_body=300) as receivers:
        small = urlencode(status_form()).encode()
        assert len(small) < 300
        assert await same_answer(receivers, small, FORM) == (200, "ok")
        big = urlencode(status_form(extra="x" * 400)).encode()
        too_large = (400, "the body is larger than 300 bytes")
        assert await same_answer(receivers, big, FORM) == too_large

        sent: list[int] = []

        def endless() -> AsyncIterator[bytes]:
            async def chunks() -> AsyncIterator[bytes]:  # chunked: counted while read
                for _ in range(100_000):  # 10 MB, unless the answer comes first
                    sent.append(100)
                    yield b"x" * 100
                    await asyncio.sleep(0)

            return chunks()

        assert await same_answer(receivers, endless) == too_large
        assert [len(r.events) for r in receivers] == [1, 1]
    assert len(sent) < 20_000  # each refused after 300 bytes, not after reading everything


@pytest.mark.asyncio
async def test_both_answer_500_when_your_code_fails(
    pair: tuple[Receiver, Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    for receiver in pair:
        receiver.fail = True
    assert await same_answer(pair, status_form()) == (500, "error")
    assert caplog.text.count("the notification handler failed") == 2
    assert "the database is down" in caplog.text  # in the log, never in the answer
    assert SECRET not in caplog.text
    assert PHONE not in caplog.text
    for receiver in pair:
        receiver.fail = False
    assert await same_answer(pair, status_form()) == (200, "ok")


@pytest.mark.asyncio
async def test_arguments_are_checked_as_for_aiohttp() -> None:
    async def keep(event: CallbackEvent) -> None:
        pass

    with pytest.raises(ValueError, match="secret is empty"):
        callback_asgi(keep, secret="")
    for codec in ("nope", "base64", "undefined"):
        with pytest.raises(ValueError, match="unknown charset"):
            callback_asgi(keep, secret=SECRET, charset=codec)
    with pytest.raises(ValueError, match="max_body must be positive"):
        callback_asgi(keep, secret=SECRET, max_body=0)


# --- the ASGI protocol ---------------------------------------------------------------------------


class Exchange:
    """Drive an ASGI app by hand: the messages it will receive, and what it sent."""

    def __init__(self, *incoming: dict[str, Any]) -> None:
        self.incoming = list(incoming)
        self.received = 0
        self.sent: list[MutableMapping[str, Any]] = []

    async def receive(self) -> MutableMapping[str, Any]:
        self.received += 1
        return self.incoming.pop(0)

    async def send(self, message: MutableMapping[str, Any]) -> None:
        self.sent.append(message)

    def answer(self) -> tuple[int, bytes]:
        start, body = self.sent
        assert (start["type"], body["type"]) == ("http.response.start", "http.response.body")
        return start["status"], body["body"]


def http_scope(body_size: int | None = None, content_type: str = "") -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1")]
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    if body_size is not None:
        headers.append((b"content-length", str(body_size).encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "method": "POST", "headers": headers}


def parts(body: bytes, size: int) -> list[dict[str, Any]]:
    cut = [body[i : i + size] for i in range(0, len(body), size)]
    return [
        {"type": "http.request", "body": piece, "more_body": i < len(cut) - 1}
        for i, piece in enumerate(cut)
    ]


@pytest.mark.asyncio
async def test_a_body_in_many_messages() -> None:
    receiver = Receiver()
    app = callback_asgi(receiver.on_event, secret=SECRET)
    body = urlencode(incoming_form(mes="Ответ"), encoding="cp1251").encode()
    exchange = Exchange(*parts(body, 7))  # cut inside names, values and percent-escapes
    await app(http_scope(), exchange.receive, exchange.send)
    assert exchange.answer() == (200, b"ok")
    assert exchange.received == len(body) // 7 + 1
    [event] = receiver.events
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Ответ"


@pytest.mark.asyncio
async def test_an_oversized_body_is_counted_as_it_arrives() -> None:
    receiver = Receiver()
    app = callback_asgi(receiver.on_event, secret=SECRET, max_body=100)
    exchange = Exchange(*parts(b"x" * 10_000, 30))
    await app(http_scope(), exchange.receive, exchange.send)
    assert exchange.answer() == (400, b"the body is larger than 100 bytes")
    assert exchange.received == 4  # 120 bytes read, then no more
    declared = Exchange()  # a Content-Length over the limit: refused before any read
    await app(http_scope(body_size=101), declared.receive, declared.send)
    assert declared.answer() == (400, b"the body is larger than 100 bytes")
    assert declared.received == 0
    assert receiver.events == []


@pytest.mark.asyncio
async def test_a_client_gone_mid_body_gets_nothing() -> None:
    receiver = Receiver()
    app = callback_asgi(receiver.on_event, secret=SECRET)
    body = urlencode(status_form()).encode()
    first = {"type": "http.request", "body": body[:20], "more_body": True}
    exchange = Exchange(first, {"type": "http.disconnect"})
    await app(http_scope(len(body)), exchange.receive, exchange.send)
    assert exchange.sent == []
    assert receiver.events == []


@pytest.mark.asyncio
async def test_lifespan_websocket_and_unknown_scopes() -> None:
    app = callback_asgi(Receiver().on_event, secret=SECRET)
    life = Exchange({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, life.receive, life.send)
    assert life.sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    socket = Exchange({"type": "websocket.connect"})
    await app({"type": "websocket", "path": "/"}, socket.receive, socket.send)
    assert socket.sent == [{"type": "websocket.close", "code": 1008}]
    with pytest.raises(ValueError, match="not 'webtransport'"):
        await app({"type": "webtransport"}, socket.receive, socket.send)


@pytest.mark.asyncio
async def test_under_uvicorn_a_chunked_body_and_a_dropped_client() -> None:
    receiver = Receiver()
    inner = callback_asgi(receiver.on_event, secret=SECRET)
    requests: list[int] = []  # http.request messages per request
    sent: list[dict[str, Any]] = []
    finished = asyncio.Event()
    read = asyncio.Event()

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def counting() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                requests[-1] += 1
                read.set()
            return message

        async def keeping(message: Any) -> None:
            sent.append(message)
            await send(message)

        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        requests.append(0)
        try:
            await inner(scope, counting, keeping)
        finally:
            finished.set()

    body = urlencode(status_form()).encode()

    async def stream() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 10):
            read.clear()
            yield body[i : i + 10]
            # The next piece only once the app has read this one: uvicorn hands over what it
            # has, so pieces sent at once would reach the app as one message.
            await asyncio.wait_for(read.wait(), 30)

    async with serve_asgi(watched) as url:
        assert (await request(url, stream(), FORM))[:2] == (200, "ok")
        assert requests[0] >= -(-len(body) // 10)  # a message per piece (and a last empty one)
        finished.clear()
        sent.clear()
        reader, writer = await asyncio.open_connection(*url.removeprefix("http://").split(":"))
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body[:20])
        await writer.drain()
        writer.close()  # gone before the body ended
        await writer.wait_closed()
        await asyncio.wait_for(finished.wait(), 30)
        assert await reader.read() == b""
    assert sent == []
    assert len(receiver.events) == 1


# --- mounted in FastAPI, fed by the emulator ------------------------------------------------------


@pytest.mark.asyncio
async def test_mounted_in_fastapi_with_the_emulator_posting(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    receiver = Receiver()
    api = FastAPI()

    @api.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    api.mount("/smsc", callback_asgi(receiver.on_event, secret=SECRET))
    async with serve_asgi(api) as url:
        async with aiohttp.ClientSession() as http, http.get(url + "/health") as resp:
            assert await resp.json() == {"ok": True}  # the app's own routes still work
        emulator = await smsc_emulator_factory(
            delivery_schedule=QUICK, callback_url=url + "/smsc/", callback_secret=SECRET
        )
        assert emulator.base_url is not None
        async with SMSCClient(LOGIN, PASSWORD, base_url=emulator.base_url) as client:
            sent = await client.send_sms("+79991234567", "hello")
            events = await receiver.wait_for(2)
        emulator.add_incoming(PHONE, "Да, приду")
        incoming = (await receiver.wait_for(3))[2]
    assert [(getattr(e, "id", None), getattr(e, "status", None)) for e in events[:2]] == [
        (str(sent.id), MessageState.SENT),
        (str(sent.id), MessageState.DELIVERED),
    ]
    assert isinstance(incoming, IncomingMessageEvent)
    assert incoming.message == "Да, приду"
    posted = emulator.posted_callbacks
    assert [(p.kind, p.http_status, p.answer) for p in posted] == [
        ("status", 200, "ok"),
        ("status", 200, "ok"),
        ("incoming", 200, "ok"),
    ]


@pytest.mark.asyncio
async def test_the_emulator_posting_to_plain_uvicorn(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    receiver = Receiver()
    async with serve_asgi(callback_asgi(receiver.on_event, secret=SECRET)) as url:
        emulator = await smsc_emulator_factory(callback_url=url, callback_secret="not-the-secret")
        emulator.add_incoming(PHONE, "forged")
        await emulator.drain_callbacks()
        emulator.callback_secret = SECRET
        emulator.add_incoming(PHONE, "signed")
        await emulator.drain_callbacks()
    assert [(p.http_status, p.answer) for p in emulator.posted_callbacks] == [
        (400, "the md5 signature does not match the secret"),
        (200, "ok"),
    ]
    [event] = receiver.events
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "signed"
