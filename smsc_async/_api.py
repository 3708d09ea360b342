"""What the command modules build on: the request methods, namespaces and paging.

:class:`Requester` is the base of :class:`~smsc_async.SMSCClient`. The command modules
(contacts, senders, history, ...) only see this interface: they check arguments, build form
fields, and call one of its methods with an endpoint from their table. The client supplies
``_post`` (the gate, the transport, retries); everything here is transport-free.

Empty lists: several SMSC scripts answer error 3 ("no records found") to a list request that
finds nothing (documented for phones.php/mails.php). Every list command of this library treats
error 3 (and an empty JSON array) as an empty list, so "nothing found" never raises and an
iterator simply ends. Error 3 from a command that is not a list (e.g. the operator of an
unknown number) still raises :class:`~smsc_async.errors.NotFoundError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, TypeVar

import msgspec

from ._endpoints import Endpoint
from ._rules import WaitPolicy
from ._transport import StreamedBody
from ._wire import decode, decode_ok, raise_json_error, raise_plain_error
from .errors import APIError, ResponseDecodeError

__all__ = [
    "NO_RECORDS",
    "Namespace",
    "Progress",
    "Requester",
    "decode_answer",
    "decoder",
    "paginate",
]

T = TypeVar("T")
R = TypeVar("R")

NO_RECORDS: Final = 3
"""The error code list commands answer when nothing matches."""

_PREFIX = 200


class Progress:
    """Whether a request of a send has been handed to the network."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


def decode_answer(endpoint: Endpoint[T], body: bytes) -> T:
    """Decode an answer with the endpoint's decoder, or raise the SMSC error it carries."""
    if endpoint.decoder is None:  # pragma: no cover - a table mistake, not a runtime condition
        raise TypeError(f"{endpoint.name} answers OK only; use _command()")
    return decode(endpoint.script, body, endpoint.decoder)


class Requester:
    """The request methods every command is built from (implemented by ``SMSCClient``)."""

    __slots__ = ()

    async def _post(
        self,
        endpoint: Endpoint[Any],
        fields: Mapping[str, str],
        files: Sequence[tuple[str, bytes]] = (),
        progress: Progress | None = None,
        policy: WaitPolicy | None = None,
    ) -> bytes:
        """Send one command through the gate and return the raw body.

        ``files`` go as multipart ``file0..N``; ``progress.started`` is set once a request has
        been handed to the network; ``policy`` replaces the client's wait policy for this one.
        """
        raise NotImplementedError

    def _stream(
        self,
        endpoint: Endpoint[Any],
        fields: Mapping[str, str],
        *,
        idle_timeout: float | None = None,
    ) -> AbstractAsyncContextManager[StreamedBody]:
        """Send one command through the gate and hand over its answer body in chunks.

        The gate's in-flight slot is held until the block ends (the download is a request in
        flight for SMSC). Failures before the body starts are retried as for ``_post``; once
        the body is handed over, nothing is repeated.
        """
        raise NotImplementedError

    async def _request(self, endpoint: Endpoint[T], fields: Mapping[str, str]) -> T:
        """Send a command and decode its answer with the endpoint's decoder."""
        return decode_answer(endpoint, await self._post(endpoint, fields))

    async def _command(self, endpoint: Endpoint[Any], fields: Mapping[str, str]) -> None:
        """Send a command whose answer is only "OK"."""
        decode_ok(endpoint.script, await self._post(endpoint, fields))

    async def _request_found(self, endpoint: Endpoint[T], fields: Mapping[str, str]) -> T | None:
        """Send a command that lists records; "no records found" (error 3) is ``None``."""
        try:
            return await self._request(endpoint, fields)
        except APIError as exc:
            if exc.code == NO_RECORDS:
                return None
            raise

    async def _request_list(
        self, endpoint: Endpoint[list[T]], fields: Mapping[str, str]
    ) -> list[T]:
        """Send a list command; "no records found" (error 3) is an empty list."""
        found = await self._request_found(endpoint, fields)
        return [] if found is None else found

    async def _request_bytes(self, endpoint: Endpoint[Any], fields: Mapping[str, str]) -> bytes:
        """Send a command that answers a file; an SMSC error in its place still raises."""
        body = await self._post(endpoint, fields)
        head = body.lstrip()[:1]
        if head == b"{":
            raise_json_error(endpoint.script, body)
        elif head == b"E":
            raise_plain_error(endpoint.script, body)
        return body


class Namespace:
    """A group of related commands reached through the client, e.g. ``smsc.contacts``."""

    __slots__ = ("_client",)

    def __init__(self, client: Requester) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


async def paginate(
    fetch: Callable[[str | None], Awaitable[list[T]]],
    cursor_of: Callable[[T], int | None],
    page_size: int,
    *,
    script: str,
) -> AsyncIterator[T]:
    """Yield the items of every page, asking for the next page after the last item's cursor.

    ``fetch(None)`` gets the first page, ``fetch(str(cursor))`` the next. A page shorter than
    ``page_size`` is the last. Each page is a separate request, so each passes the limits gate.

    Raises:
        ResponseDecodeError: a full page whose last item has no cursor, or a cursor that does not
            move (either would repeat or lose items).
    """
    cursor: int | None = None
    while True:
        page = await fetch(None if cursor is None else str(cursor))
        for item in page:
            yield item
        if len(page) < page_size:
            return
        following = cursor_of(page[-1])
        if following is None or following == cursor:
            raise ResponseDecodeError(
                "cannot ask for the next page: the last item has no new id to page after",
                script=script,
                body_prefix=b"",
            )
        cursor = following


def decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    """Build the decoder of an answer type once (numbers SMSC quotes are accepted)."""
    return msgspec.json.Decoder(kind, strict=False)
