"""Callbacks: parsing and verifying notifications, the aiohttp handler, the emulator's posts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from smsc_async import CallbackError, CallbackSignatureError, MessageState, SMSCClient
from smsc_async.callbacks import (
    DEFAULT_MAX_BODY,
    SIGNED_FIELDS,
    CallbackEvent,
    CallbackKind,
    CallConfirmationEvent,
    IncomingMessageEvent,
    MessageStatusEvent,
    callback_app,
    callback_handler,
    callback_kind,
    callback_signature,
    parse_callback,
    parse_callback_body,
    verify_signature,
)
from smsc_async.emulator import Emulator
from smsc_async.emulator.__main__ import _emulator, _parser, main
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .conftest import LOGIN, PASSWORD

SECRET = "s3cret-key"
PHONE = "79991234567"
CLOCK = 1_700_000_000.0  # the emulator's wall clock at start (2023-11-14 22:13:20 UTC)
FAST = ((1.0, 0), (3.0, 1))


def md5_of(*parts: str, charset: str = "cp1251") -> str:
    """The signature as the reference states it, computed independently of the library."""
    return hashlib.md5(":".join(parts).encode(charset)).hexdigest()


def status_form(secret: str = SECRET, **extra: str) -> dict[str, str]:
    form = {"id": "42", "phone": PHONE, "status": "1", "err": "0", "type": "0"}
    form |= {"flag": "0", "cnt": "2", "ts": "1700000003", "time": "1700000001"}
    form |= extra
    form["md5"] = md5_of(form["id"], form["phone"], form["status"], secret)
    return form


def incoming_form(secret: str = SECRET, mes: str = "Привет, SMSC!") -> dict[str, str]:
    form = {"phone": "79990001122", "mes": mes, "to": "79010000000", "id": "7"}
    form |= {"sms_id": "42", "sent": "1700000010", "time": "1700000011"}
    form["md5"] = md5_of(form["phone"], form["mes"], form["to"], secret)
    return form


def call_form(secret: str = SECRET) -> dict[str, str]:
    form = {"waitcall": "1", "phone": PHONE, "ts": "1700000020"}
    form["md5"] = md5_of(PHONE, "1700000020", secret)
    return form


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_parse_status() -> None:
    form = status_form()
    event = parse_callback(form, secret=SECRET)
    assert isinstance(event, MessageStatusEvent)
    assert event.kind is CallbackKind.STATUS
    assert (event.id, event.phone, event.status, event.err) == ("42", PHONE, 1, 0)
    assert event.status is MessageState.DELIVERED
    assert (event.type, event.flag, event.cnt) == (0, 0, 2)
    assert event.timestamp == datetime(2023, 11, 14, 22, 13, 23, tzinfo=UTC)
    assert event.time == datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC)
    assert event.changed_at == event.timestamp
    assert event.fields == form
    assert event.key == ("status", "42", PHONE, "1")  # the signed fields only


@pytest.mark.asyncio
async def test_parse_status_lenient_values() -> None:
    form = {"id": "order-7", "phone": PHONE, "status": "77", "time": "01.02.2024 10:00:00"}
    form["md5"] = md5_of("order-7", PHONE, "77", SECRET)
    event = parse_callback(form, secret=SECRET)
    assert isinstance(event, MessageStatusEvent)
    assert event.id == "order-7"
    assert event.status == 77
    assert event.status.name == "UNKNOWN_77"
    assert (event.err, event.type, event.flag, event.cnt, event.timestamp) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert event.time == datetime(2024, 2, 1, 7, 0, tzinfo=UTC)  # Moscow is UTC+3
    assert event.changed_at == event.time


@pytest.mark.asyncio
async def test_parse_incoming() -> None:
    event = parse_callback(incoming_form(), secret=SECRET)
    assert isinstance(event, IncomingMessageEvent)
    assert event.kind is CallbackKind.INCOMING
    assert (event.phone, event.message, event.to_phone) == (
        "79990001122",
        "Привет, SMSC!",
        "79010000000",
    )
    assert (event.id, event.sms_id) == (7, "42")
    assert event.sent == datetime.fromtimestamp(1700000010, UTC)
    assert event.time == datetime.fromtimestamp(1700000011, UTC)
    assert event.key == ("incoming", "79990001122", "Привет, SMSC!", "79010000000")


@pytest.mark.asyncio
async def test_parse_call_confirmation() -> None:
    event = parse_callback(call_form(), secret=SECRET)
    assert isinstance(event, CallConfirmationEvent)
    assert event.kind is CallbackKind.CALL_CONFIRMATION
    assert (event.phone, event.waitcall) == (PHONE, "1")
    assert event.timestamp == datetime.fromtimestamp(1700000020, UTC)
    assert event.key == ("waitcall", PHONE, "1700000020")


@pytest.mark.asyncio
async def test_kind_is_told_by_mes_then_waitcall() -> None:
    assert callback_kind({"id": "1", "phone": PHONE, "status": "1"}) is CallbackKind.STATUS
    assert callback_kind({"waitcall": "1", "phone": PHONE}) is CallbackKind.CALL_CONFIRMATION
    assert callback_kind({"mes": "", "waitcall": "1"}) is CallbackKind.INCOMING


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [status_form, incoming_form, call_form])
async def test_signature_of_each_kind(make: Callable[[], dict[str, str]]) -> None:
    form = make()
    assert callback_signature(form, SECRET) == form["md5"]
    assert verify_signature(form, SECRET) is callback_kind(form)
    with pytest.raises(CallbackSignatureError, match="does not match"):
        parse_callback(form, secret="another-secret")


@pytest.mark.asyncio
async def test_signature_missing_or_tampered() -> None:
    unsigned = status_form()
    del unsigned["md5"]
    with pytest.raises(CallbackSignatureError, match="not signed"):
        parse_callback(unsigned, secret=SECRET)
    with pytest.raises(CallbackSignatureError):
        parse_callback(status_form() | {"status": "20"}, secret=SECRET)  # changed after signing
    with pytest.raises(CallbackSignatureError):
        parse_callback(status_form() | {"md5": "ü" * 32}, secret=SECRET)  # not hex: no TypeError
    with pytest.raises(CallbackSignatureError):
        parse_callback(status_form() | {"md5": "\udc00"}, secret=SECRET)  # a lone surrogate
    upper = status_form()
    upper["md5"] = upper["md5"].upper()
    assert parse_callback(upper, secret=SECRET).kind is CallbackKind.STATUS


@pytest.mark.asyncio
async def test_unsigned_fields_may_change() -> None:
    # err is not signed (per the reference's formula): changing it keeps the signature valid.
    event = parse_callback(status_form() | {"err": "5"}, secret=SECRET)
    assert isinstance(event, MessageStatusEvent)
    assert event.err == 5


@pytest.mark.asyncio
async def test_the_formula_lives_in_the_field_table(monkeypatch: pytest.MonkeyPatch) -> None:
    old = status_form()
    new = dict(old)
    new["md5"] = md5_of("42", PHONE, "1", "0", SECRET)
    with pytest.raises(CallbackSignatureError):
        parse_callback(new, secret=SECRET)
    monkeypatch.setitem(SIGNED_FIELDS, CallbackKind.STATUS, ("id", "phone", "status", "err"))
    assert parse_callback(new, secret=SECRET).kind is CallbackKind.STATUS
    with pytest.raises(CallbackSignatureError):
        parse_callback(old, secret=SECRET)


@pytest.mark.asyncio
async def test_secret_is_required() -> None:
    with pytest.raises(ValueError, match="secret is empty"):
        parse_callback(status_form(), secret="")
    with pytest.raises(TypeError, match="secret must be a str"):
        parse_callback(status_form(), secret=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown charset"):
        parse_callback(status_form(), secret=SECRET, charset="klingon")


def signed_status(**fields: str) -> dict[str, str]:
    return fields | {
        "md5": md5_of(
            fields.get("id", ""), fields.get("phone", ""), fields.get("status", ""), SECRET
        )
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("form", "message"),
    [
        (signed_status(phone=PHONE, status="1"), "field 'id' is missing"),
        (signed_status(id="1", status="1"), "field 'phone' is missing"),
        (signed_status(id="1", phone=PHONE), "field 'status' is missing"),
        (signed_status(id="1", phone=PHONE, status="delivered"), "'status' is not an integer"),
        (signed_status(id="1", phone=PHONE, status="1", err="x"), "'err' is not an integer"),
        (signed_status(id="1", phone=PHONE, status="1", ts="yesterday"), "'ts' is not a time"),
        (signed_status(id="1", phone=PHONE, status="1", ts="9" * 19), "'ts' is not a time"),
    ],
)
async def test_malformed_fields(form: dict[str, str], message: str) -> None:
    with pytest.raises(CallbackError, match=message) as info:
        parse_callback(form, secret=SECRET)
    assert not isinstance(info.value, CallbackSignatureError)


@pytest.mark.asyncio
async def test_call_confirmation_needs_ts() -> None:
    form = {"waitcall": "1", "phone": PHONE, "md5": md5_of(PHONE, "", SECRET)}
    with pytest.raises(CallbackError, match="'ts' is missing"):
        parse_callback(form, secret=SECRET)


@pytest.mark.asyncio
async def test_wrong_types() -> None:
    with pytest.raises(CallbackError, match="not text: int"):
        parse_callback({"id": 42, "phone": PHONE, "status": "1"}, secret=SECRET)  # type: ignore[dict-item]
    with pytest.raises(CallbackError, match="must be a mapping"):
        parse_callback([("id", "1")], secret=SECRET)  # type: ignore[arg-type]
    with pytest.raises(CallbackError, match="must be bytes"):
        parse_callback_body("id=1", secret=SECRET)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_body_size_limit() -> None:
    body = urlencode(status_form()).encode()
    assert parse_callback_body(body, secret=SECRET, max_body=len(body)).kind is CallbackKind.STATUS
    with pytest.raises(CallbackError, match=f"larger than {len(body) - 1} bytes"):
        parse_callback_body(body, secret=SECRET, max_body=len(body) - 1)
    with pytest.raises(CallbackError, match=f"larger than {DEFAULT_MAX_BODY}"):
        parse_callback_body(b"a" * (DEFAULT_MAX_BODY + 1), secret=SECRET)


@pytest.mark.asyncio
async def test_cp1251_body_with_cyrillic() -> None:
    form = incoming_form(mes="Ответ: да")
    body = urlencode(form, encoding="cp1251").encode()
    assert b"%CE%F2%E2%E5%F2" in body  # "Ответ" in windows-1251
    event = parse_callback_body(body, secret=SECRET)  # windows-1251 is the default
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Ответ: да"
    # Raw (unescaped) windows-1251 bytes are read the same way.
    raw = "&".join(f"{k}={v}" for k, v in form.items() if k != "mes").encode()
    raw += "&mes=Ответ:+да".encode("cp1251")
    assert parse_callback_body(raw, secret=SECRET) == event


@pytest.mark.asyncio
async def test_utf8_account() -> None:
    form = incoming_form(mes="Ответ")
    form["md5"] = md5_of(form["phone"], "Ответ", form["to"], SECRET, charset="utf-8")
    body = urlencode(form, encoding="utf-8").encode()
    event = parse_callback_body(body, secret=SECRET, charset="utf-8")
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Ответ"
    # The same text signed in windows-1251 does not verify as UTF-8 text.
    with pytest.raises(CallbackSignatureError):
        parse_callback_body(
            urlencode(incoming_form(mes="Ответ")).encode(), secret=SECRET, charset="utf-8"
        )


@pytest.mark.asyncio
async def test_wrong_charset() -> None:
    body = urlencode(incoming_form(mes="Ответ"), encoding="cp1251").encode()
    with pytest.raises(CallbackError, match="not valid utf-8 text") as info:
        parse_callback_body(body, secret=SECRET, charset="utf-8")
    assert not isinstance(info.value, CallbackSignatureError)
    with pytest.raises(CallbackError, match="not valid cp1251"):
        parse_callback_body(b"phone=1&mes=%98", secret=SECRET)  # 0x98 is unassigned in cp1251
    with pytest.raises(CallbackError, match="cannot be written in windows-1251"):
        parse_callback({"phone": "1", "mes": "🙂", "md5": "0" * 32}, secret=SECRET)


@pytest.mark.asyncio
async def test_repeated_field_and_malformed_form() -> None:
    body = urlencode(status_form()).encode() + b"&status=20"
    with pytest.raises(CallbackError, match="'status' appears more than once"):
        parse_callback_body(body, secret=SECRET)
    with pytest.raises(CallbackError, match="malformed form body"):
        parse_callback_body(b"&".join([b"a=1"] * 101), secret=SECRET)


def multipart(form: Mapping[str, str], charset: str = "cp1251", boundary: str = "XyZ") -> bytes:
    parts = []
    for name, value in form.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode(charset) + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.mark.asyncio
async def test_multipart_body() -> None:
    form = incoming_form(mes="Да")
    body = multipart(form)
    event = parse_callback_body(
        body, secret=SECRET, content_type="multipart/form-data; boundary=XyZ"
    )
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Да"
    with pytest.raises(CallbackError, match="malformed multipart"):
        parse_callback_body(body, secret=SECRET, content_type="multipart/form-data")
    with pytest.raises(CallbackError, match="not valid cp1251"):
        parse_callback_body(
            multipart({"phone": "1", "mes": "\x98"}, charset="latin-1"),
            secret=SECRET,
            content_type="multipart/form-data; boundary=XyZ",
        )


# --- the aiohttp handler over real HTTP ------------------------------------------------------


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class Events:
    """What a user's ``on_event`` saw: every event kept, a failure on demand (``fail``)."""

    patience = 60.0  # seconds wait_for() waits for the next event

    def __init__(self) -> None:
        self.events: list[CallbackEvent] = []
        self.fail = False
        self.arrived = asyncio.Event()

    async def on_event(self, event: CallbackEvent) -> None:
        if self.fail:
            raise RuntimeError("the database is down")
        self.events.append(event)
        self.arrived.set()

    async def wait_for(self, count: int) -> list[CallbackEvent]:
        while len(self.events) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), self.patience)
        return self.events


class Receiver(Events):
    """A user's web app: SMSC notifications mounted at /smsc, every event kept."""

    def __init__(self, *, secret: str = SECRET, charset: str = "windows-1251") -> None:
        super().__init__()
        self.app = web.Application()
        self.app.add_subapp("/smsc", callback_app(self.on_event, secret=secret, charset=charset))


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver()
    async with serve(app.app) as url:
        yield app, url + "/smsc"


async def post(url: str, data: object, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url, data=data, headers=headers) as resp:
        return resp.status, await resp.text()


@pytest.mark.asyncio
async def test_handler_answers_ok(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    body = urlencode(incoming_form(), encoding="cp1251")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert await post(url, body.encode(), headers=headers) == (200, "ok")
    assert await post(url + "/", urlencode(status_form()).encode(), headers=headers) == (200, "ok")
    fd = aiohttp.FormData(default_to_multipart=True)
    for name, value in call_form().items():
        fd.add_field(name, value)
    assert await post(url, fd) == (200, "ok")
    assert [type(e) for e in app.events] == [
        IncomingMessageEvent,
        MessageStatusEvent,
        CallConfirmationEvent,
    ]
    first = app.events[0]
    assert isinstance(first, IncomingMessageEvent)
    assert first.message == "Привет, SMSC!"


@pytest.mark.asyncio
async def test_handler_rejects_bad_requests(
    receiver: tuple[Receiver, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, url = receiver
    caplog.set_level(logging.WARNING, "smsc_async")
    form = urlencode(status_form(secret="forged")).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert await post(url, form, headers=headers) == (
        400,
        "the md5 signature does not match the secret",
    )
    unsigned = {k: v for k, v in status_form().items() if k != "md5"}
    assert await post(url, unsigned) == (400, "the notification is not signed (no md5 field)")
    assert await post(url, signed_status(phone=PHONE, status="1")) == (400, "field 'id' is missing")
    cp1251_into_utf8 = Receiver(charset="utf-8")
    async with serve(cp1251_into_utf8.app) as other:
        body = urlencode(incoming_form(), encoding="cp1251").encode()
        status, text = await post(other + "/smsc", body, headers=headers)
    assert (status, text) == (400, "the body is not valid utf-8 text (check charset=)")
    assert app.events == []
    assert cp1251_into_utf8.events == []
    assert SECRET not in caplog.text
    assert "SMSC notification rejected" in caplog.text
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 405


@pytest.mark.asyncio
async def test_handler_refuses_oversized_bodies() -> None:
    events: list[CallbackEvent] = []

    async def keep(event: CallbackEvent) -> None:
        events.append(event)

    app = web.Application()
    app.router.add_post("/hook", callback_handler(keep, secret=SECRET, max_body=300))
    async with serve(app) as url:
        small = urlencode(status_form()).encode()
        assert len(small) < 300
        assert await post(url + "/hook", small) == (200, "ok")
        big = urlencode(status_form(extra="x" * 400)).encode()
        assert await post(url + "/hook", big) == (400, "the body is larger than 300 bytes")

        sent: list[int] = []

        async def endless() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            for _ in range(100_000):  # 10 MB, unless the answer comes first
                sent.append(100)
                yield b"x" * 100
                await asyncio.sleep(0)

        assert await post(url + "/hook", endless()) == (400, "the body is larger than 300 bytes")
    assert len(events) == 1
    assert len(sent) < 10_000  # refused after 300 bytes, not after reading everything


@pytest.mark.asyncio
async def test_handler_answers_500_when_your_code_fails(
    receiver: tuple[Receiver, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, url = receiver
    app.fail = True
    assert await post(url, status_form()) == (500, "error")
    assert "the notification handler failed" in caplog.text
    assert "the database is down" in caplog.text
    assert SECRET not in caplog.text
    assert PHONE not in caplog.text  # the event's fields stay out of the log
    app.fail = False
    assert await post(url, status_form()) == (200, "ok")  # SMSC's retry then gets through
    assert len(app.events) == 1


@pytest.mark.asyncio
async def test_duplicates_are_handed_over_each_time(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    for _ in range(2):
        assert await post(url, status_form()) == (200, "ok")
    first, second = app.events
    assert first == second
    assert first.key == second.key
    assert len({event.key for event in app.events}) == 1


@pytest.mark.asyncio
async def test_a_replay_with_new_unsigned_fields_has_the_same_key() -> None:
    # ts, time and err are not signed: a replay that changes them still verifies, and must not
    # pass as a new notification.
    original = parse_callback(status_form(), secret=SECRET)
    replay = parse_callback(
        status_form(ts="1800000000", time="1800000000", err="255", cnt="9"), secret=SECRET
    )
    assert replay.fields != original.fields
    assert replay.key == original.key == ("status", "42", PHONE, "1")
    # Each signed field does change the key.
    for changed in ({"id": "43"}, {"phone": "79990000000"}, {"status": "20"}):
        form = status_form() | changed
        form["md5"] = md5_of(form["id"], form["phone"], form["status"], SECRET)
        assert parse_callback(form, secret=SECRET).key != original.key

    incoming = parse_callback(incoming_form(), secret=SECRET)
    moved = incoming_form() | {"id": "8", "sms_id": "1", "sent": "1800000000", "time": "1"}
    assert parse_callback(moved, secret=SECRET).key == incoming.key
    assert incoming.key == ("incoming", "79990001122", "Привет, SMSC!", "79010000000")

    call = parse_callback(call_form() | {"waitcall": "2", "extra": "x"}, secret=SECRET)
    assert call.key == ("waitcall", PHONE, "1700000020")


@pytest.mark.asyncio
async def test_the_key_follows_the_field_table(monkeypatch: pytest.MonkeyPatch) -> None:
    for make in (status_form, incoming_form, call_form):
        event = parse_callback(make(), secret=SECRET)
        names = SIGNED_FIELDS[event.kind]
        assert event.key == (event.kind.value, *(event.fields[n] for n in names))
    monkeypatch.setitem(SIGNED_FIELDS, CallbackKind.STATUS, ("id", "phone", "status", "err"))
    form = status_form()
    form["md5"] = md5_of("42", PHONE, "1", "0", SECRET)
    assert parse_callback(form, secret=SECRET).key == ("status", "42", PHONE, "1", "0")


@pytest.mark.asyncio
async def test_the_key_of_an_event_built_by_hand() -> None:
    status = MessageStatusEvent(id="42", phone=PHONE, status=MessageState.DELIVERED)
    assert status.key == parse_callback(status_form(), secret=SECRET).key
    incoming = IncomingMessageEvent(
        phone="79990001122", message="Привет, SMSC!", to_phone="79010000000"
    )
    assert incoming.key == parse_callback(incoming_form(), secret=SECRET).key
    call = CallConfirmationEvent(phone=PHONE, timestamp=datetime.fromtimestamp(1700000020, UTC))
    assert call.key == parse_callback(call_form(), secret=SECRET).key


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("time", "01.01.0001 00:00:00"),  # 3 hours before year 1 in UTC: ValueError was a 500
        ("time", "01.01.0001 02:59:59"),
        ("ts", "253402300800"),  # year 10000
        ("ts", "9" * 5000),  # more digits than int() reads
    ],
)
async def test_a_time_out_of_range_is_a_400(
    receiver: tuple[Receiver, str], name: str, value: str
) -> None:
    app, url = receiver
    form = status_form(**{name: value})  # validly signed: time and ts are not signed
    with pytest.raises(CallbackError, match=f"field '{name}' is not a time") as info:
        parse_callback(form, secret=SECRET)
    assert not isinstance(info.value, CallbackSignatureError)
    incoming = incoming_form() | {"sent": value}
    with pytest.raises(CallbackError, match="field 'sent' is not a time"):
        parse_callback(incoming, secret=SECRET)
    status, text = await post(url, form)
    assert status == 400
    assert text.startswith(f"field '{name}' is not a time: ")
    assert app.events == []


@pytest.mark.asyncio
async def test_times_at_the_edges_of_the_range() -> None:
    first = parse_callback(status_form(time="01.01.0001 03:00:00"), secret=SECRET)
    assert isinstance(first, MessageStatusEvent)
    assert first.time == datetime(1, 1, 1, tzinfo=UTC)
    last = parse_callback(status_form(time="31.12.9999 23:59:59"), secret=SECRET)
    assert isinstance(last, MessageStatusEvent)
    assert last.time == datetime(9999, 12, 31, 20, 59, 59, tzinfo=UTC)


HOSTILE_MULTIPART = [
    # The stdlib email header parser raises IndexError on this Content-Type.
    (b"--B\r\n\r\n\r\n--B--\r\n", "multipart/form-data; boundary=B;c(b)*"),
    # Part charsets that are no text codec (LookupError), fail on use (UnicodeError) or hold
    # a NUL (ValueError from codecs.lookup).
    *(
        (
            multipart({"phone": "1", "mes": "x"}).replace(
                b'name="mes"', b'name="mes"\r\nContent-Type: text/plain; charset=' + label
            ),
            "multipart/form-data; boundary=XyZ",
        )
        for label in (b"quopri", b"base64", b"undefined", b"punycode", b"a\x00b")
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("body", "content_type"), HOSTILE_MULTIPART)
async def test_hostile_multipart_is_a_400(
    receiver: tuple[Receiver, str], body: bytes, content_type: str
) -> None:
    app, url = receiver
    with pytest.raises(CallbackError, match="malformed form body"):
        parse_callback_body(body, secret=SECRET, content_type=content_type)
    status, text = await post(url, body, headers={"Content-Type": content_type})
    assert (status, text.split(":")[0]) == (400, "malformed form body")
    assert app.events == []


@pytest.mark.asyncio
async def test_handler_arguments_are_checked() -> None:
    async def keep(event: CallbackEvent) -> None:
        pass

    with pytest.raises(ValueError, match="secret is empty"):
        callback_handler(keep, secret="")
    with pytest.raises(ValueError, match="unknown charset"):
        callback_app(keep, secret=SECRET, charset="nope")
    # Codecs that exist but decode no text would fail every request later (a 500 each).
    for codec in ("base64", "hex", "undefined"):
        with pytest.raises(ValueError, match="unknown charset"):
            callback_app(keep, secret=SECRET, charset=codec)
    with pytest.raises(ValueError, match="max_body must be positive"):
        callback_handler(keep, secret=SECRET, max_body=0)


# --- the emulator posts notifications --------------------------------------------------------


async def start_emulator(
    factory: EmulatorFactory, url: str, repeat: int = 1
) -> tuple[Emulator, SMSCClient]:
    emulator = await factory(
        delivery_schedule=FAST,
        clock_start=CLOCK,
        callback_url=url,
        callback_secret=SECRET,
        callback_repeat=repeat,
    )
    assert emulator.base_url is not None
    return emulator, SMSCClient(LOGIN, PASSWORD, base_url=emulator.base_url, retry_backoff=0)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_end_to_end_delivery_statuses(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, client = await start_emulator(smsc_emulator_factory, url)
    async with client:
        sent = await client.send_sms("+79991234567", "hello")
        started = asyncio.get_running_loop().time()
        events = await app.wait_for(2)
        assert asyncio.get_running_loop().time() - started == pytest.approx(3.0, abs=0.1)
        status = await client.get_status(sent.id, PHONE)
    sent_event, delivered = events
    assert isinstance(sent_event, MessageStatusEvent)
    assert isinstance(delivered, MessageStatusEvent)
    assert (sent_event.id, sent_event.phone, sent_event.status) == (
        str(sent.id),
        PHONE,
        MessageState.SENT,
    )
    assert (delivered.id, delivered.status, delivered.err) == (
        str(sent.id),
        MessageState.DELIVERED,
        0,
    )
    assert (delivered.type, delivered.cnt) == (0, 1)
    assert delivered.timestamp is not None  # the emulator's clock: CLOCK at start, virtual time
    assert delivered.timestamp.timestamp() == pytest.approx(CLOCK + 3.0, abs=1.0)
    assert status.status is delivered.status  # the callback agrees with status.php
    posted = emulator.posted_callbacks
    assert [(p.kind, p.http_status, p.answer, p.attempt) for p in posted] == [
        ("status", 200, "ok", 1),
        ("status", 200, "ok", 1),
    ]
    assert posted[1].fields["md5"] == md5_of(str(sent.id), PHONE, "1", SECRET)
    assert posted[1].at - posted[0].at == pytest.approx(2.0, abs=0.1)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_end_to_end_final_outcome(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, client = await start_emulator(smsc_emulator_factory, url)
    emulator.set_outcome("79990000005", status=20, err=1)
    async with client:
        # A number id of your own comes back as its digits (form fields are text).
        sent = await client.send_sms("+79990000005", "x", id=12345)
        events = await app.wait_for(2)
    assert [(e.kind, getattr(e, "status", None), getattr(e, "err", None)) for e in events] == [
        (CallbackKind.STATUS, MessageState.SENT, 0),
        (CallbackKind.STATUS, MessageState.CANNOT_DELIVER, 1),
    ]
    assert sent.id == 12345
    assert [getattr(e, "id", None) for e in events] == ["12345", "12345"]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_end_to_end_incoming_message(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, client = await start_emulator(smsc_emulator_factory, url)
    async with client:
        sent = await client.send_sms("+79990001122", "Придёте?")
        await app.wait_for(2)  # its two statuses
        new_id = emulator.add_incoming("+79990001122", "Да, приду", to_phone="79587000101")
        (event,) = (await app.wait_for(3))[2:]
    assert isinstance(event, IncomingMessageEvent)
    assert (event.phone, event.message, event.to_phone) == (
        "79990001122",
        "Да, приду",
        "79587000101",
    )
    assert (event.id, event.sms_id) == (new_id, str(sent.id))
    assert event.time is not None
    assert event.time.timestamp() == pytest.approx(CLOCK + 3.0, abs=1.5)
    record = emulator.posted_callbacks[-1]
    assert (record.kind, record.http_status) == ("incoming", 200)
    assert record.fields["mes"] == "Да, приду"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_end_to_end_call_confirmation(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, client = await start_emulator(smsc_emulator_factory, url)
    async with client:
        await client.wait_call(PHONE)
        await asyncio.sleep(30)  # the user dials
        confirmed = emulator.simulate_call(PHONE)
        (event,) = await app.wait_for(1)
    assert isinstance(event, CallConfirmationEvent)
    assert event.phone == PHONE
    assert confirmed.confirmed_at is not None
    assert event.timestamp == datetime.fromtimestamp(int(confirmed.confirmed_at), UTC)
    assert event.fields == confirmed.callback_form(SECRET)  # the same fields, the same md5


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_emulator_repeats_notifications(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, _ = await start_emulator(smsc_emulator_factory, url, repeat=2)
    emulator.add_incoming(PHONE, "twice")
    first, second = await app.wait_for(2)
    assert first == second
    assert [(p.attempt, p.http_status) for p in emulator.posted_callbacks] == [(1, 200), (2, 200)]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_unsigned_or_wrongly_signed_notifications_are_refused(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, _ = await start_emulator(smsc_emulator_factory, url)
    emulator.callback_secret = None
    emulator.add_incoming(PHONE, "unsigned")
    emulator.callback_secret = "not-the-receivers"
    emulator.add_incoming(PHONE, "forged")
    await emulator.drain_callbacks()
    posted = emulator.posted_callbacks
    assert sorted((p.fields["mes"], "md5" in p.fields, p.http_status) for p in posted) == [
        ("forged", True, 400),
        ("unsigned", False, 400),
    ]
    assert {p.answer for p in posted} == {
        "the notification is not signed (no md5 field)",
        "the md5 signature does not match the secret",
    }
    assert app.events == []


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_failures_are_recorded_and_harmless(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    async with serve(web.Application()) as gone:
        pass  # a port nobody listens on any more
    emulator, client = await start_emulator(smsc_emulator_factory, gone + "/smsc")
    async with client:
        await client.send_sms(PHONE, "nobody listens")
        await asyncio.sleep(5)
        await emulator.drain_callbacks()
        assert [(p.kind, p.http_status) for p in emulator.posted_callbacks] == [
            ("status", None),
            ("status", None),
        ]
        assert all("ClientConnectorError" in (p.error or "") for p in emulator.posted_callbacks)
        emulator.posted_callbacks.clear()
        emulator.callback_url = url
        app.fail = True
        emulator.add_incoming(PHONE, "boom")
        await emulator.drain_callbacks()
        assert [(p.http_status, p.answer) for p in emulator.posted_callbacks] == [(500, "error")]
        assert (await client.get_balance()).balance == emulator.balance()  # still serving


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_what_is_not_announced(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator, client = await start_emulator(smsc_emulator_factory, url)
    emulator.callback_url = None
    async with client:
        await client.send_sms("+79990000001", "stored without a URL")
        emulator.callback_url = url
        deleted = await client.send_sms("+79990000002", "deleted before delivery")
        await asyncio.sleep(2)  # its "sent" step is announced
        await client.delete_message(deleted.id, "+79990000002")
        await asyncio.sleep(5)
    await emulator.drain_callbacks()
    assert [(p.fields["phone"], p.fields["status"]) for p in emulator.posted_callbacks] == [
        ("79990000002", "0")
    ]
    assert len(app.events) == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_only_changes_are_announced(
    receiver: tuple[Receiver, str], smsc_emulator_factory: EmulatorFactory
) -> None:
    app, url = receiver
    emulator = await smsc_emulator_factory(
        delivery_schedule=((1.0, 0), (2.0, 1), (3.0, 1)), callback_url=url, callback_secret=SECRET
    )
    emulator.set_outcome("79990000009", status=20, err=1)  # the last step changes after all
    assert emulator.base_url is not None
    async with SMSCClient(LOGIN, PASSWORD, base_url=emulator.base_url) as client:
        await client.send_sms("+79990000008,+79990000009", "two recipients")
        await asyncio.sleep(10)
    await emulator.drain_callbacks()
    posted = sorted((p.fields["phone"], p.fields["status"]) for p in emulator.posted_callbacks)
    assert posted == [
        ("79990000008", "0"),
        ("79990000008", "1"),
        ("79990000009", "0"),
        ("79990000009", "1"),
        ("79990000009", "20"),
    ]
    assert len(app.events) == 5


@pytest.mark.asyncio
async def test_leaving_serve_cancels_pending_notifications(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    emulator = Emulator(callback_url=url, callback_secret=SECRET)
    async with (
        emulator.serve() as base_url,
        SMSCClient(LOGIN, PASSWORD, base_url=base_url) as client,
    ):
        await client.send_sms(PHONE, "never delivered in time")
    assert emulator.posted_callbacks == []
    emulator.add_incoming(PHONE, "after serving")  # not serving: recorded, not posted
    (record,) = emulator.posted_callbacks
    assert (record.kind, record.http_status, record.error) == (
        "incoming",
        None,
        "the emulator is not serving",
    )
    assert app.events == []


@pytest.mark.asyncio
async def test_emulator_callback_settings() -> None:
    emulator = Emulator(
        callback_url="http://127.0.0.1:9/hook",
        callback_secret="k",
        callback_repeat=3,
        callback_charset="utf-8",
    )
    assert (emulator.callback_url, emulator.callback_secret) == ("http://127.0.0.1:9/hook", "k")
    assert (emulator.callback_repeat, emulator.callback_charset) == (3, "utf-8")
    assert Emulator().callback_charset == "cp1251"
    with pytest.raises(ValueError, match="positive int"):
        emulator.callback_repeat = 0
    with pytest.raises(ValueError, match="unknown charset"):
        Emulator(callback_charset="nope")


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_emulator_posts_in_its_charset(smsc_emulator_factory: EmulatorFactory) -> None:
    app = Receiver(charset="utf-8")
    async with serve(app.app) as url:
        emulator = await smsc_emulator_factory(
            callback_url=url + "/smsc", callback_secret=SECRET, callback_charset="utf-8"
        )
        emulator.add_incoming(PHONE, "Ёлка 🎄")
        (event,) = await app.wait_for(1)
        emulator.callback_charset = "windows-1251"  # the receiver still expects UTF-8
        emulator.add_incoming(PHONE, "Ёлка 🎄")
        await emulator.drain_callbacks()
    assert isinstance(event, IncomingMessageEvent)
    assert event.message == "Ёлка 🎄"
    last = emulator.posted_callbacks[-1]
    assert last.fields["mes"] == "Ёлка ?"  # what windows-1251 cannot hold arrives as "?"
    assert last.http_status == 400


@pytest.mark.asyncio
async def test_factory_passes_callback_options(smsc_emulator_factory: EmulatorFactory) -> None:
    emulator = await smsc_emulator_factory(
        callback_url="http://127.0.0.1:9/x", callback_secret="k", callback_repeat=2
    )
    assert (emulator.callback_url, emulator.callback_secret, emulator.callback_repeat) == (
        "http://127.0.0.1:9/x",
        "k",
        2,
    )


# --- the command line ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_command_line_callback_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(
        ["--callback-url", "http://127.0.0.1:8000/smsc", "--callback-secret", "k"]
    )
    emulator = _emulator(args)
    assert (emulator.callback_url, emulator.callback_secret) == ("http://127.0.0.1:8000/smsc", "k")
    plain = _emulator(_parser().parse_args([]))
    assert (plain.callback_url, plain.callback_secret) == (None, None)
    with pytest.raises(SystemExit) as exit_info:
        main(["--callback-url", "ftp://example.org"])
    assert exit_info.value.code == 2
    assert "not an http(s) URL: 'ftp://example.org'" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_command_line_posts_notifications(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "smsc_async.emulator"),
        *("--port=0", f"--callback-url={url}", f"--callback-secret={SECRET}"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        async with SMSCClient(LOGIN, PASSWORD, base_url=base_url) as client:
            sent = await client.send_sms(PHONE, "from the command line")
        (event,) = await app.wait_for(1)  # "sent to operator", one real second later
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert isinstance(event, MessageStatusEvent)
    assert (event.id, event.status) == (str(sent.id), MessageState.SENT)
