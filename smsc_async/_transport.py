"""The only module that talks to aiohttp: one POST, a bounded read, and error mapping.

Also holds the retry policy as plain functions; the loop that applies it lives in the client,
because every retry must pass the limits gate again.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator, Mapping
from typing import Final
from urllib.parse import quote_plus

import aiohttp
from aiohttp import hdrs

from ._secrets import reach, scrub_text
from .errors import (
    ConnectError,
    HTTPStatusError,
    RequestTimeoutError,
    ResponseDecodeError,
    SMSCError,
    TransportError,
)

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_MAX_BODY",
    "StreamedBody",
    "Transport",
    "backoff_delay",
    "is_retryable",
    "urlencode_form",
]

DEFAULT_MAX_BODY: Final = 32 * 1024 * 1024
"""Largest answer body read into memory, counted after decompression (history pages of 1000
messages fit easily)."""

CHUNK_SIZE: Final = 256 * 1024
"""Bytes read per chunk of a streamed answer (bounded memory whatever the file size)."""

_PREFIX: Final = 200
_FORM_HEADERS: Final = {"Content-Type": "application/x-www-form-urlencoded"}
# The characters quote_plus never escapes: a name or value made of these alone goes as it is;
# with "+" among them (a phone number in international form), only that one is escaped.
_PLAIN: Final = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
_PLAIN_OR_PLUS: Final = re.compile(r"[A-Za-z0-9_.~+-]*").fullmatch


def _quoted(text: str) -> str:
    if _PLAIN(text):
        return text
    if _PLAIN_OR_PLUS(text):
        return text.replace("+", "%2B")
    return quote_plus(text)


def urlencode_form(fields: Mapping[str, str]) -> bytes:
    """Encode ``fields`` as an ``application/x-www-form-urlencoded`` body (UTF-8).

    The same bytes as ``urllib.parse.urlencode(fields).encode()``, about four times faster on
    SMSC's forms, where most names and values (ids, flags, digits) need no escaping at all.

    Raises:
        UnicodeEncodeError: a value holds a lone surrogate (not text UTF-8 can carry).
    """
    return "&".join([f"{_quoted(k)}={_quoted(v)}" for k, v in fields.items()]).encode("ascii")


class Transport:
    """POSTs forms to SMSC scripts and returns the body, mapping failures to library errors."""

    __slots__ = ("_max_body", "_session", "_timeout")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: aiohttp.ClientTimeout,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._session = session
        self._timeout = timeout
        self._max_body = max_body

    async def post(self, url: str, data: bytes | aiohttp.FormData) -> bytes:
        """POST ``data`` to ``url`` and return the body of a 200 answer.

        Args:
            url: Full script URL; never contains credentials (they travel in ``data``).
            data: A form already encoded (:func:`urlencode_form`), or a FormData (multipart,
                for files).

        Returns:
            The body bytes.

        Raises:
            ConnectError: no connection could be made; nothing was sent.
            RequestTimeoutError: no complete answer in time.
            TransportError: the connection failed after the request may have been sent.
            HTTPStatusError: a non-200 answer (redirects are not followed).
            ResponseDecodeError: the body is larger than the configured bound.
        """
        headers = _FORM_HEADERS if isinstance(data, bytes) else None
        try:
            # No redirects: aiohttp would repeat a POST as a bodiless GET, losing the command.
            async with self._session.post(
                url, data=data, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as resp:
                if resp.status != 200:
                    prefix = await _read_prefix(resp)
                    raise HTTPStatusError(resp.status, url=url, body_prefix=prefix)
                # Content-Length counts the bytes on the wire. Unencoded, it is the size read,
                # and one read() is the fast path. Compressed (aiohttp asks for gzip and
                # deflate), 300 KB can inflate to 300 MB, and read() would inflate all of it:
                # such a body is read in chunks, counting what comes out of the decompressor.
                length = resp.content_length
                if (
                    length is not None
                    and length <= self._max_body
                    and hdrs.CONTENT_ENCODING not in resp.headers
                ):
                    return await resp.read()
                return await self._read_bounded(resp, url)
        except SMSCError:
            raise
        except (aiohttp.ClientError, OSError) as exc:  # TimeoutError is an OSError
            failure = exc
        # Raised outside the handler, so that a cause left out is not kept as the context.
        raise _mapped(failure, url) from _chainable(failure)

    @contextlib.asynccontextmanager
    async def stream(
        self, url: str, data: bytes, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamedBody]:
        """POST ``data`` and hand over the 200 answer's body to be read in chunks.

        The whole-request timeout does not apply (a large file takes as long as it takes);
        instead no chunk may take longer than ``idle_timeout`` (default: the request timeout).

        Raises:
            ConnectError, RequestTimeoutError, TransportError, HTTPStatusError: as :meth:`post`,
                also while the body is read.
        """
        idle = idle_timeout if idle_timeout is not None else self._timeout.total
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self._timeout.connect, sock_connect=None, sock_read=idle
        )
        async with contextlib.AsyncExitStack() as stack:
            failure: aiohttp.ClientError | OSError | None = None
            try:
                resp = await stack.enter_async_context(
                    self._session.post(
                        url,
                        data=data,
                        headers=_FORM_HEADERS,
                        timeout=timeout,
                        allow_redirects=False,
                    )
                )
                if resp.status != 200:
                    prefix = await _read_prefix(resp)
                    raise HTTPStatusError(resp.status, url=url, body_prefix=prefix)
            except SMSCError:
                raise
            except (aiohttp.ClientError, OSError) as exc:
                failure = exc
            if failure is not None:
                raise _mapped(failure, url) from _chainable(failure)
            # Outside the mapping: what the caller's block raises (e.g. a full disk) is theirs.
            yield StreamedBody(resp, url)

    async def _read_bounded(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        # aiohttp (3.12+) inflates a compressed body step by step as it is read, a buffer's
        # worth at a time, so the chunks counted here are decompressed bytes and memory stays
        # within max_body plus aiohttp's read buffer: an answer over the bound is dropped at
        # max_body + 1 byte, however small it was on the wire.
        chunks: list[bytes] = []
        size = 0
        # iter_chunks hands over aiohttp's buffered pieces one by one (iter_any would join them).
        async for chunk, _ in resp.content.iter_chunks():
            size += len(chunk)
            chunks.append(chunk)
            if size > self._max_body:
                head = bytearray()
                for piece in chunks:  # only the first bytes: joining all would double memory
                    head += piece[: reach(_PREFIX) - len(head)]
                    if len(head) >= reach(_PREFIX):
                        break
                chunks.clear()
                raise ResponseDecodeError(
                    f"answer larger than {self._max_body} bytes",
                    script=url.rsplit("/", 1)[-1],
                    body_prefix=bytes(head),
                )
        return b"".join(chunks)


async def _read_prefix(resp: aiohttp.ClientResponse) -> bytes:
    """Read the first bytes of an error answer: enough to mask a password it repeats whole."""
    want = reach(_PREFIX)
    prefix = b""
    while len(prefix) < want and (more := await resp.content.read(want - len(prefix))):
        prefix += more
    return prefix


class StreamedBody:
    """The body of an answer, read in chunks as it arrives.

    Attributes:
        url: The script URL it came from.
        total: The ``Content-Length`` in bytes, ``None`` when the server did not say.
        content_type: The media type, e.g. ``"text/csv"``.
    """

    __slots__ = ("_resp", "content_type", "total", "url")

    def __init__(self, resp: aiohttp.ClientResponse, url: str) -> None:
        self._resp = resp
        self.url = url
        # A compressed body's Content-Length counts the wire bytes, not the bytes handed over.
        encoded = hdrs.CONTENT_ENCODING in resp.headers
        self.total = None if encoded else resp.content_length
        self.content_type = resp.content_type

    async def chunks(self, size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``size`` bytes; a broken connection raises.

        A compressed body is inflated as it is read, about ``size`` bytes at a time: memory is
        bounded per chunk, not the file's size (an export may legitimately be gigabytes).

        Raises:
            TransportError: the connection broke, or the body ended before ``total`` bytes.
            RequestTimeoutError: no data for longer than the idle timeout.
        """
        try:
            while chunk := await self._resp.content.read(size):
                yield chunk
        except SMSCError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            failure = exc
        else:
            return
        raise _mapped(failure, self.url) from _chainable(failure)


def _chainable(exc: BaseException) -> BaseException | None:
    """Return ``exc`` to chain as the cause, or ``None`` when its text repeats a credential.

    aiohttp quotes a malformed answer in its errors (a bad status line, a bad chunk size): a
    server echoing the request there would put the password into the cause chain. The mapped
    error says what happened, scrubbed, in its own message.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        text = str(link)
        if scrub_text(text) != text:
            return None
        link = link.__cause__ or link.__context__
    return exc


def _mapped(exc: BaseException, url: str) -> SMSCError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        # Timed out while connecting: the request was never written.
        return ConnectError("connect timed out", url=url)
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Refused, DNS failure, TLS handshake: the request was never written.
        return ConnectError(f"cannot connect: {exc.os_error or exc}", url=url)
    if isinstance(exc, TimeoutError):
        return RequestTimeoutError("no answer in time", url=url)
    return TransportError(f"{type(exc).__name__}: {exc}", url=url)


def is_retryable(exc: BaseException, *, safe: bool) -> bool:
    """Whether a failed attempt may be repeated.

    Args:
        exc: What the attempt raised.
        safe: Whether the command may be repeated once it possibly reached SMSC (reads).

    Returns:
        ``True`` for transport failures and 5xx answers of safe commands, and for connection
        failures of any command (nothing was sent). API errors are never retried here: error 2
        and 4 must not be repeated, and the others will not change by repeating.
    """
    if isinstance(exc, TransportError):
        return safe or not exc.request_sent
    if isinstance(exc, HTTPStatusError):
        return safe and exc.status >= 500
    return False


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Return the pause before retry number ``attempt`` (1-based): capped, with full jitter.

    ``base=0`` turns the pause off (for tests).
    """
    if base <= 0:
        return 0.0
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography


async def sleep(seconds: float) -> None:
    """Sleep on the loop clock (so tests can use virtual time)."""
    if seconds > 0:
        await asyncio.sleep(seconds)
