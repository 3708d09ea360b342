"""The ASGI side of :func:`smsc_async.callbacks.callback_asgi`: no framework, ASGI 3 only.

It reads the body and writes the answer; :class:`~smsc_async.callbacks._Receiver` parses, hands
the event over and chooses the answer, as it does for the aiohttp.web handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import CallbackError

if TYPE_CHECKING:
    from .callbacks import _Receiver

__all__ = ["ASGIApp", "Receive", "Scope", "Send", "asgi_app"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""

# aiohttp's own answer to another method on a POST-only route, matched byte for byte.
_NOT_ALLOWED = (405, "405: Method Not Allowed")


class _Disconnected(Exception):
    """The client went away before its body ended."""


def asgi_app(receiver: _Receiver) -> ASGIApp:
    """Wrap the receivers' common core in an ASGI 3 application."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await _http(receiver, scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            # Closing before accepting refuses the handshake (servers answer 403).
            await send({"type": "websocket.close", "code": 1008})
        else:
            # The ASGI spec: an application raises on a scope type it does not know.
            raise ValueError(f"SMSC's notifications come over http, not {kind!r}")

    return app


async def _http(receiver: _Receiver, scope: Scope, receive: Receive, send: Send) -> None:
    if scope["method"] != "POST":
        await _answer(send, *_NOT_ALLOWED, allow=True)
        return
    content_type = _header(scope, b"content-type")
    try:
        body = await _read_body(receiver, scope, receive)
    except _Disconnected:
        return  # nobody to answer, and half a notification is no notification
    except CallbackError as exc:
        await _answer(send, *receiver.rejected(exc))
        return
    await _answer(send, *await receiver.answer(body, content_type))


async def _read_body(receiver: _Receiver, scope: Scope, receive: Receive) -> bytes:
    """Read the body, refusing it as soon as it passes ``max_body`` bytes (as aiohttp's does)."""
    declared = _header(scope, b"content-length")
    # The server has refused a malformed Content-Length already; a body is counted anyway.
    if declared.isdigit() and int(declared) > receiver.max_body:
        raise receiver.too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > receiver.max_body:
            raise receiver.too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str:
    """The first value of a header, as aiohttp's ``headers.get`` gives it; ``""`` when absent."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""


async def _answer(send: Send, status: int, text: str, *, allow: bool = False) -> None:
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if allow:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    # Nothing to start or stop: say so, so that servers run with lifespan="on" go ahead.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
