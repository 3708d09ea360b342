"""Notifications SMSC posts to your URL: delivery statuses, incoming messages, call confirmations.

Set the URL of your handler and a secret key in the SMSC cabinet ("User settings"; for a
subclient, ``users.php`` ``url=`` and its flags). SMSC then POSTs a form there for every delivery
status (:class:`MessageStatusEvent`), every incoming message (:class:`IncomingMessageEvent`, a
form with ``mes``) and every call confirming a number after wait_call.php
(:class:`CallConfirmationEvent`, a form with ``waitcall``).

**Signature.** ``md5`` is the lowercase hex MD5 of some fields joined with ``:`` plus your
secret. The field lists come from one third-party integration, not from an SMSC page, so they
live in one table, :data:`SIGNED_FIELDS`, and nowhere else: should SMSC turn out to sign other
fields, change that table (for example ``SIGNED_FIELDS[CallbackKind.STATUS] = ("id", "phone",
"status", "err")``). Comparison is constant-time. A missing or wrong signature raises
:class:`~smsc_async.CallbackSignatureError`; there is no way to skip verification.

**Charset.** SMSC posts in the account's charset, ``windows-1251`` unless you changed it; pass
``charset=`` when yours differs. The signature is computed over the text in that charset.

**Answers.** :func:`callback_handler`, :func:`callback_app` (aiohttp.web) and
:func:`callback_asgi` (any ASGI framework or server) share one parsing core and answer alike:
HTTP 200 ``ok`` once your coroutine returned (the third-party integration the formula comes
from answers this way; SMSC's own expectation and retry policy are not documented), 400 with a
short reason for a malformed, oversized or badly signed request (never repeating the secret),
and 500 when your coroutine raises (the error is logged on the ``smsc_async`` logger), so SMSC
may try again.

**Duplicates.** SMSC may post the same notification more than once. Every post is handed to
you as it comes; each event's :attr:`~MessageStatusEvent.key` identifies it, so keep the keys
you processed if repeats matter. A key is made of the kind and the fields the signature covers
(:data:`SIGNED_FIELDS`), and of nothing else: a replay of a signed post with a changed unsigned
field (``ts``, ``time``, ``err``, ``id`` of an incoming message...) has the key of the original
and counts as a repeat. By default that is message id, phone and status for a status; sender,
text and receiving number for an incoming message (so the same text from the same sender to the
same number counts as a repeat: nothing signed tells two such messages apart); phone and ``ts``
for a call. All three kinds are signed and verification cannot be skipped, so no key is ever
built from unsigned fields.

Example::

    from aiohttp import web
    from smsc_async.callbacks import MessageStatusEvent, callback_app

    async def on_event(event):
        if isinstance(event, MessageStatusEvent):
            print(event.id, event.phone, event.status.name)

    app = web.Application()
    app.add_subapp("/smsc", callback_app(on_event, secret="my-secret"))
"""

from __future__ import annotations

import codecs
import enum
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Final, TypeAlias

import msgspec
from aiohttp import web

from ._callback_asgi import ASGIApp, asgi_app
from ._callback_form import decode_form, shown
from .errors import CallbackError, CallbackSignatureError
from .models import MessageState, _moscow_naive_to_utc

__all__ = [
    "DEFAULT_CHARSET",
    "DEFAULT_MAX_BODY",
    "SIGNED_FIELDS",
    "CallConfirmationEvent",
    "CallbackEvent",
    "CallbackKind",
    "EventHandler",
    "IncomingMessageEvent",
    "MessageStatusEvent",
    "callback_app",
    "callback_asgi",
    "callback_handler",
    "callback_kind",
    "callback_signature",
    "parse_callback",
    "parse_callback_body",
    "verify_signature",
]

log = logging.getLogger("smsc_async")

DEFAULT_CHARSET: Final = "windows-1251"
"""SMSC's default account charset, in which notifications arrive."""

DEFAULT_MAX_BODY: Final = 64 * 1024
"""The largest notification body accepted, in bytes (an incoming SMS is a few kilobytes)."""

_INT = re.compile(r"-?\d{1,19}")


class CallbackKind(enum.StrEnum):
    """What a notification is about."""

    STATUS = "status"
    """A delivery status of a message you sent."""
    INCOMING = "incoming"
    """An incoming message (a form with ``mes``)."""
    CALL_CONFIRMATION = "waitcall"
    """A user called to confirm a number (a form with ``waitcall``)."""


SIGNED_FIELDS: Final[dict[CallbackKind, tuple[str, ...]]] = {
    CallbackKind.STATUS: ("id", "phone", "status"),
    CallbackKind.INCOMING: ("phone", "mes", "to"),
    CallbackKind.CALL_CONFIRMATION: ("phone", "ts"),
}
"""The fields each kind's ``md5`` covers, in order; the secret is appended last.

``md5 = md5("{f1}:{f2}:...:{secret}")`` in lowercase hex, over the text in the account charset;
a field that did not come counts as ``""``. Source: one third-party integration, not an SMSC
page: this table is the only place the formula lives, so change it here.
"""


# --- events ----------------------------------------------------------------------------------


class MessageStatusEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery status SMSC posted for a message you sent.

    Which of the optional fields SMSC sends is not documented beyond ``id``, ``phone``,
    ``status``, ``type``, ``flag`` and ``ts``; the others are read when present.

    Attributes:
        id: The message id as text: the id the send carried (the client assigns string ids;
            a number you gave comes back as its digits), so compare with ``str(sent.id)``.
            A form carries no types, and a digits-only string id must not turn into a number.
        phone: The recipient.
        status: The new status (:class:`~smsc_async.MessageState`; unknown codes tolerated).
        err: The error code inside the status (0 = none).
        type: The message type: 0 SMS, 1 flash, 2 binary, 3 WAP push, 4 HLR, 5 ping, 6 MMS,
            7 call, 8 e-mail, 10 Viber, 12 social networks.
        flag: Message flags as SMSC sends them (8 and 40 were seen for e-mail).
        cnt: SMS parts (seconds for a call), when sent.
        timestamp: ``ts`` as an aware UTC datetime, when sent.
        time: ``time`` as an aware UTC datetime, when sent.
        fields: Every field as received (``md5`` and unknown fields included).
    """

    id: str
    phone: str
    status: MessageState
    err: int = 0
    type: int | None = None
    flag: int | None = None
    cnt: int | None = None
    timestamp: datetime | None = None
    time: datetime | None = None
    fields: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def kind(self) -> CallbackKind:
        """:attr:`CallbackKind.STATUS`."""
        return CallbackKind.STATUS

    @property
    def changed_at(self) -> datetime | None:
        """When the status changed: :attr:`timestamp`, else :attr:`time`, when known."""
        return self.timestamp or self.time

    @property
    def key(self) -> tuple[str, ...]:
        """What identifies this notification among repeats: kind, then the signed fields.

        With the default :data:`SIGNED_FIELDS`: ``("status", id, phone, status)``. ``ts``,
        ``time`` and ``err`` are not signed, so a repeat that changes them has the same key.
        """
        own = {"id": self.id, "phone": self.phone, "status": str(int(self.status))}
        return _signed_key(self.kind, self.fields, own)


class IncomingMessageEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An incoming message SMSC posted (someone wrote to your number).

    Only ``phone``, ``mes`` and ``to`` are known from a source; ``id``, ``sms_id``, ``sent`` and
    ``time`` are read when present.

    Attributes:
        phone: The sender's number.
        message: The text (``mes``), decoded with the account charset.
        to_phone: Your number that received it (``to``), ``""`` when not sent.
        id: The incoming message's id (SMSC's number), when sent.
        sms_id: The id of your message this one answers, as text (see
            :attr:`MessageStatusEvent.id`), when sent.
        sent: When the sender sent it (``sent``), as an aware UTC datetime, when sent.
        time: ``time`` as an aware UTC datetime, when sent.
        fields: Every field as received (``md5`` and unknown fields included).
    """

    phone: str
    message: str
    to_phone: str = ""
    id: int | None = None
    sms_id: str | None = None
    sent: datetime | None = None
    time: datetime | None = None
    fields: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def kind(self) -> CallbackKind:
        """:attr:`CallbackKind.INCOMING`."""
        return CallbackKind.INCOMING

    @property
    def key(self) -> tuple[str, ...]:
        """What identifies this notification among repeats: kind, then the signed fields.

        With the default :data:`SIGNED_FIELDS`: ``("incoming", phone, mes, to)``. ``id``,
        ``sent`` and ``time`` are not signed, so they are not part of it: the same text from
        the same sender to the same number counts as a repeat.
        """
        own = {"phone": self.phone, "mes": self.message, "to": self.to_phone}
        return _signed_key(self.kind, self.fields, own)


class CallConfirmationEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A user called from ``phone`` to confirm it (after wait_call.php).

    Attributes:
        phone: The number confirmed.
        timestamp: When the call arrived (``ts``), as an aware UTC datetime.
        waitcall: The ``waitcall`` field as sent (its meaning is not documented).
        fields: Every field as received (``md5`` and unknown fields included).
    """

    phone: str
    timestamp: datetime
    waitcall: str = ""
    fields: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def kind(self) -> CallbackKind:
        """:attr:`CallbackKind.CALL_CONFIRMATION`."""
        return CallbackKind.CALL_CONFIRMATION

    @property
    def key(self) -> tuple[str, ...]:
        """What identifies this notification among repeats: kind, then the signed fields.

        With the default :data:`SIGNED_FIELDS`: ``("waitcall", phone, ts)``.
        """
        own = {"phone": self.phone, "ts": str(int(self.timestamp.timestamp()))}
        return _signed_key(self.kind, self.fields, own)


def _signed_key(
    kind: CallbackKind, fields: Mapping[str, str], own: Mapping[str, str]
) -> tuple[str, ...]:
    # The fields as received (the text the signature covers); an event built by hand without
    # ``fields`` falls back on its own attributes.
    return (kind.value, *(fields.get(name, own.get(name, "")) for name in SIGNED_FIELDS[kind]))


CallbackEvent: TypeAlias = MessageStatusEvent | IncomingMessageEvent | CallConfirmationEvent
"""Any notification: match on the class (or on ``event.kind``)."""

EventHandler: TypeAlias = Callable[[CallbackEvent], Awaitable[object]]
"""Your coroutine function: called once per notification received."""


# --- signature -------------------------------------------------------------------------------


def callback_kind(fields: Mapping[str, str]) -> CallbackKind:
    """Tell what a notification is: ``mes`` ⇒ incoming, ``waitcall`` ⇒ call, else status."""
    if "mes" in fields:
        return CallbackKind.INCOMING
    if "waitcall" in fields:
        return CallbackKind.CALL_CONFIRMATION
    return CallbackKind.STATUS


def callback_signature(
    fields: Mapping[str, str],
    secret: str,
    *,
    charset: str = DEFAULT_CHARSET,
    kind: CallbackKind | None = None,
) -> str:
    """Compute the ``md5`` SMSC attaches to a notification (see :data:`SIGNED_FIELDS`).

    Useful to build signed test requests for your own handler.

    Args:
        fields: The notification's fields (``md5`` itself is not used).
        secret: The secret key set in the SMSC cabinet.
        charset: The account charset the text is hashed in.
        kind: The kind; default :func:`callback_kind` of ``fields``.

    Returns:
        The lowercase hex MD5.

    Raises:
        CallbackError: A signed field cannot be written in ``charset``.
        ValueError: ``charset`` is not a known codec.
    """
    names = SIGNED_FIELDS[callback_kind(fields) if kind is None else kind]
    text = ":".join([*(fields.get(name, "") for name in names), secret])
    try:
        data = text.encode(_codec(charset))
    except UnicodeEncodeError:
        raise CallbackError(f"the signed fields cannot be written in {charset}") from None
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def verify_signature(
    fields: Mapping[str, str], secret: str, *, charset: str = DEFAULT_CHARSET
) -> CallbackKind:
    """Check a notification's ``md5`` against your secret, in constant time.

    Args:
        fields: The notification's fields.
        secret: The secret key set in the SMSC cabinet (not empty).
        charset: The account charset.

    Returns:
        The notification's kind.

    Raises:
        CallbackSignatureError: ``md5`` is missing or does not match.
        CallbackError: A signed field cannot be written in ``charset``.
        ValueError: ``secret`` is empty or ``charset`` unknown.
    """
    _check_secret(secret)
    kind = callback_kind(fields)
    given = fields.get("md5", "").strip().lower()
    if not given:
        raise CallbackSignatureError("the notification is not signed (no md5 field)")
    expected = callback_signature(fields, secret, charset=charset, kind=kind)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", errors="replace")):
        raise CallbackSignatureError("the md5 signature does not match the secret")
    return kind


# --- parsing ---------------------------------------------------------------------------------


def parse_callback(
    fields: Mapping[str, str], *, secret: str, charset: str = DEFAULT_CHARSET
) -> CallbackEvent:
    """Verify a notification's form fields and turn them into a typed event.

    Framework-neutral: pass the decoded form of any web framework. Nothing is deduplicated.

    Args:
        fields: The POSTed form, field name → text (already decoded with ``charset``).
        secret: The secret key set in the SMSC cabinet (not empty).
        charset: The account charset (the signature is computed over the text in it).

    Returns:
        A :class:`MessageStatusEvent`, :class:`IncomingMessageEvent` or
        :class:`CallConfirmationEvent`.

    Raises:
        CallbackSignatureError: ``md5`` is missing or does not match the secret.
        CallbackError: A field is missing, not text, or of the wrong form (a time a datetime
            cannot hold, such as ``01.01.0001 00:00:00`` Moscow time, included).
        ValueError: ``secret`` is empty or ``charset`` unknown.
    """
    _check_secret(secret)
    if not isinstance(fields, Mapping):
        raise CallbackError(f"the fields must be a mapping, not {type(fields).__name__}")
    for name, value in fields.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise CallbackError(f"field {shown(name)} is not text: {type(value).__name__}")
    kind = verify_signature(fields, secret, charset=charset)
    received = dict(fields)
    if kind is CallbackKind.INCOMING:
        return IncomingMessageEvent(
            phone=_required(received, "phone"),
            message=received["mes"],
            to_phone=received.get("to", "").strip(),
            id=_int(received, "id"),
            sms_id=received.get("sms_id", "").strip() or None,
            sent=_time(received, "sent"),
            time=_time(received, "time"),
            fields=received,
        )
    if kind is CallbackKind.CALL_CONFIRMATION:
        timestamp = _time(received, "ts")
        if timestamp is None:
            raise CallbackError("field 'ts' is missing")
        return CallConfirmationEvent(
            phone=_required(received, "phone"),
            timestamp=timestamp,
            waitcall=received["waitcall"],
            fields=received,
        )
    message_id = _required(received, "id")
    status = _int(received, "status")
    if status is None:
        raise CallbackError("field 'status' is missing")
    return MessageStatusEvent(
        id=message_id,
        phone=_required(received, "phone"),
        status=MessageState(status),
        err=_int(received, "err") or 0,
        type=_int(received, "type"),
        flag=_int(received, "flag"),
        cnt=_int(received, "cnt"),
        timestamp=_time(received, "ts"),
        time=_time(received, "time"),
        fields=received,
    )


def parse_callback_body(
    body: bytes,
    *,
    secret: str,
    content_type: str = "application/x-www-form-urlencoded",
    charset: str = DEFAULT_CHARSET,
    max_body: int = DEFAULT_MAX_BODY,
) -> CallbackEvent:
    """Decode a raw notification body, verify it and turn it into a typed event.

    Args:
        body: The request body as received.
        secret: The secret key set in the SMSC cabinet (not empty).
        content_type: The request's whole ``Content-Type`` header (a multipart body needs its
            ``boundary``); anything but ``multipart/form-data`` is read as urlencoded.
        charset: The account charset the text is in (a multipart part's own ``charset``
            label wins for that part).
        max_body: The largest body accepted, in bytes.

    Returns:
        The event, as :func:`parse_callback` returns it.

    Raises:
        CallbackSignatureError: ``md5`` is missing or does not match the secret.
        CallbackError: The body is too large, malformed, or not text in ``charset``, or a
            field is missing or of the wrong form.
        ValueError: ``secret`` is empty or ``charset`` unknown.
    """
    _check_secret(secret)
    codec = _codec(charset)
    try:
        fields = decode_form(body, content_type, codec, max_body)
    except (IndexError, LookupError, ValueError) as exc:
        # What the multipart path lets through from the stdlib on hostile input: the email
        # header parser's IndexError (a Content-Type such as "...; boundary=B;c(b)*"), and a
        # part's charset label that is no text codec ("quopri": LookupError; "undefined",
        # "punycode": UnicodeError; one with a NUL: ValueError). CallbackError is none of these.
        raise CallbackError(f"malformed form body: {type(exc).__name__}") from exc
    return parse_callback(fields, secret=secret, charset=charset)


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise CallbackError(f"field {name!r} is missing")
    return value


def _int(fields: dict[str, str], name: str) -> int | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    if _INT.fullmatch(value) is None:
        raise CallbackError(f"field {name!r} is not an integer: {shown(value)}")
    return int(value)


def _time(fields: dict[str, str], name: str) -> datetime | None:
    # A Unix time, or SMSC's Moscow "DD.MM.YYYY hh:mm:ss".
    value = fields.get(name, "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise CallbackError(f"field {name!r} is not a time: {shown(value)}") from None
    moscow = _moscow_naive_to_utc(value)
    if moscow is None:
        raise CallbackError(f"field {name!r} is not a time: {shown(value)}")
    return moscow


def _check_secret(secret: str) -> None:
    if not isinstance(secret, str):
        raise TypeError(f"secret must be a str, not {type(secret).__name__}")
    if not secret:
        raise ValueError("secret is empty: set a secret key in the SMSC cabinet and pass it")


def _codec(charset: str) -> str:
    try:
        name = codecs.lookup(charset).name
        # A codec such as "base64" or "undefined" exists but decodes no text: every request
        # would fail later, so refuse it here. (Empty input skips the codec, hence b"0".)
        b"0".decode(name, "ignore")
    except (LookupError, UnicodeError):
        raise ValueError(
            f"unknown charset {charset!r}; SMSC uses windows-1251, utf-8 or koi8-r"
        ) from None
    return name


# --- the receivers' common core --------------------------------------------------------------


class _Receiver:
    """What every receiver (aiohttp.web, ASGI) does with a body read: parse, hand over, answer.

    The receivers differ only in how they read the body and write the answer; the checks of
    the arguments, the parsing, the answers and their logging live here, once.
    """

    def __init__(self, on_event: EventHandler, *, secret: str, charset: str, max_body: int) -> None:
        _check_secret(secret)
        _codec(charset)
        if max_body < 1:
            raise ValueError(f"max_body must be positive, not {max_body}")
        self.on_event = on_event
        self.secret = secret
        self.charset = charset
        self.max_body = max_body

    def too_large(self) -> CallbackError:
        """The error for a body that passed ``max_body`` while it was read."""
        return CallbackError(f"the body is larger than {self.max_body} bytes")

    def rejected(self, exc: CallbackError) -> tuple[int, str]:
        """Log a refused notification and return the answer: 400 and the short reason."""
        log.warning("SMSC notification rejected: %s", exc)
        return 400, str(exc)

    async def answer(self, body: bytes, content_type: str) -> tuple[int, str]:
        """Parse a whole body, hand its event over, and return the HTTP status and text."""
        try:
            event = parse_callback_body(
                body,
                secret=self.secret,
                content_type=content_type,
                charset=self.charset,
                max_body=self.max_body,
            )
        except CallbackError as exc:
            return self.rejected(exc)
        try:
            await self.on_event(event)
        except Exception:
            # The event's fields (phones, texts) stay out of the log; the traceback says enough.
            log.exception("the notification handler failed on a %s notification", event.kind)
            return 500, "error"
        return 200, "ok"


# --- aiohttp.web -----------------------------------------------------------------------------


def callback_handler(
    on_event: EventHandler,
    *,
    secret: str,
    charset: str = DEFAULT_CHARSET,
    max_body: int = DEFAULT_MAX_BODY,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Build an aiohttp.web request handler for SMSC's notifications.

    It reads the POSTed form (urlencoded or multipart, at most ``max_body`` bytes), verifies
    and parses it, awaits ``on_event(event)`` and answers 200 ``ok``; 400 with a short reason
    for a malformed or badly signed request (``on_event`` is not called); 500 when
    ``on_event`` raised (logged), so SMSC may post again. Repeats are handed over each time.

    Example::

        app.router.add_post("/smsc", callback_handler(on_event, secret="my-secret"))

    Args:
        on_event: Your coroutine function, called with each event.
        secret: The secret key set in the SMSC cabinet (not empty).
        charset: The account charset (``windows-1251`` unless changed in the cabinet).
        max_body: The largest body accepted, in bytes.

    Returns:
        The handler.

    Raises:
        ValueError: ``secret`` is empty, ``charset`` unknown or ``max_body`` not positive.
    """
    receiver = _Receiver(on_event, secret=secret, charset=charset, max_body=max_body)

    async def handle(request: web.Request) -> web.Response:
        try:
            body = await _read_body(request, max_body)
        except CallbackError as exc:
            status, text = receiver.rejected(exc)
        else:
            status, text = await receiver.answer(body, request.headers.get("Content-Type", ""))
        return web.Response(status=status, text=text)

    return handle


def callback_app(
    on_event: EventHandler,
    *,
    secret: str,
    charset: str = DEFAULT_CHARSET,
    max_body: int = DEFAULT_MAX_BODY,
) -> web.Application:
    """Build an aiohttp.web application that receives SMSC's notifications.

    It answers POSTs to its root (``/smsc`` and ``/smsc/`` once mounted with
    ``app.add_subapp("/smsc", callback_app(...))``) as :func:`callback_handler` does.

    Args:
        on_event: Your coroutine function, called with each event.
        secret: The secret key set in the SMSC cabinet (not empty).
        charset: The account charset (``windows-1251`` unless changed in the cabinet).
        max_body: The largest body accepted, in bytes.

    Returns:
        The application.

    Raises:
        ValueError: ``secret`` is empty, ``charset`` unknown or ``max_body`` not positive.
    """
    handler = callback_handler(on_event, secret=secret, charset=charset, max_body=max_body)
    app = web.Application(client_max_size=max_body)
    app.router.add_post("", handler)  # "/prefix" once mounted as a sub-application
    app.router.add_post("/", handler)
    return app


async def _read_body(request: web.Request, max_body: int) -> bytes:
    """Read the body, refusing it as soon as it passes ``max_body`` bytes."""
    length = request.content_length
    if length is not None and length > max_body:
        raise CallbackError(f"the body is larger than {max_body} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > max_body:
            raise CallbackError(f"the body is larger than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# --- ASGI ------------------------------------------------------------------------------------


def callback_asgi(
    on_event: EventHandler,
    *,
    secret: str,
    charset: str = DEFAULT_CHARSET,
    max_body: int = DEFAULT_MAX_BODY,
) -> ASGIApp:
    """Build a plain ASGI 3 application that receives SMSC's notifications.

    For FastAPI, Starlette, Litestar, Django (ASGI) or any ASGI server; it needs none of them.
    It answers exactly as :func:`callback_handler` does: 200 ``ok`` once ``on_event``
    returned, 400 with a short reason for a malformed, oversized or badly signed body
    (``on_event`` is not called), 500 ``error`` when ``on_event`` raised (logged), and 405
    with ``Allow: POST`` to any other method. The application is one endpoint: it answers at
    whatever path it is mounted on. It counts the body's bytes as they arrive and stops
    reading past ``max_body``; a client gone before the body ended gets no answer and no
    event. It completes the ``lifespan`` protocol and refuses websockets.

    Example::

        from fastapi import FastAPI

        app = FastAPI()
        app.mount("/smsc", callback_asgi(on_event, secret="my-secret"))

    Args:
        on_event: Your coroutine function, called with each event.
        secret: The secret key set in the SMSC cabinet (not empty).
        charset: The account charset (``windows-1251`` unless changed in the cabinet).
        max_body: The largest body accepted, in bytes.

    Returns:
        The ASGI application: ``await app(scope, receive, send)``.

    Raises:
        ValueError: ``secret`` is empty, ``charset`` unknown or ``max_body`` not positive.
    """
    return asgi_app(_Receiver(on_event, secret=secret, charset=charset, max_body=max_body))
