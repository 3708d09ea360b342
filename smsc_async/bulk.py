"""Bulk work: many messages and many statuses at the pace SMSC's rules allow (``smsc.bulk``).

Sending: personalised messages go as send.php ``list=`` requests, one text for many numbers as
``phones=`` requests, each packed up to a request-size bound and sent with as many requests in
flight as the login may have. Every message gets a :class:`BulkSendItem`: the id of the request
that carried it, or the error that concerns it. A request whose answer is lost is confirmed
through status.php or reported as :class:`~smsc_async.errors.SendOutcomeUnknownError`; nothing
is ever sent twice.

Statuses: single status requests run at full concurrency (SMSC limits them per message, not per
login), and whenever the "one mass request per minute" rule has room, one mass request takes a
large share of what is left. :meth:`Bulk.iter_settled` polls until every message has an outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import (
    AsyncGenerator,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, NamedTuple, Unpack

import msgspec

from ._api import Namespace
from ._bulk_status import Overdue, Query, make_queries, poll_once, recipient_key
from ._messaging import MessagingCommands, _status_fields
from ._transport import sleep
from .errors import (
    AuthenticationError,
    IPBlockedError,
    RecipientRejectedError,
    SendOutcomeUnknownError,
    SMSCError,
    StatusWaitTimeoutError,
)
from .models import MessageState, MessageStatus, SendResult
from .params import (
    MessageKind,
    SendOptions,
    check_parts,
    check_text,
    encode_list_line,
    encode_send_options,
    join_phones,
    validate_message_id,
)

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_POLL_INTERVAL",
    "ENVELOPE_BYTES",
    "MASS_STATUS_SIZE",
    "Bulk",
    "BulkSendItem",
    "SettleProgress",
]

DEFAULT_MAX_REQUEST_BYTES: Final = 256 * 1024
"""Default bound on the encoded size of one bulk send request (bytes of form body).

SMSC does not publish a limit on a request's size or on the lines of ``list=``; 256 KiB stays
well under the 1 MiB that common web servers accept by default and still packs thousands of
messages per request. Pass ``max_request_bytes`` to change it; :data:`ENVELOPE_BYTES` of it are
kept for the credentials and answer format the client adds to every request.
"""

MASS_STATUS_SIZE: Final = 1000
"""Default number of messages asked for in one mass status request.

SMSC does not publish how many ids a mass request may carry; 1000 ids with their numbers make a
request of about 30 KiB. Pass ``mass_size`` to change it (1 turns mass requests off).
"""

DEFAULT_POLL_INTERVAL: Final = 15.0
"""Seconds between status polls of one message while waiting (SMSC allows 5 a minute)."""

ENVELOPE_BYTES: Final = 512
"""Bytes of each bulk request's bound kept for the credentials, ``fmt`` and ``charset``."""
_ID_BYTES: Final = 44  # "&id=" and the longest id SMSC takes (40 characters)
# Bytes that form encoding writes as themselves (a space becomes "+", also one byte).
_AS_IS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~ "
# These end the run: every request after them would fail the same way.
_FATAL: Final = (AuthenticationError, IPBlockedError)

log = logging.getLogger("smsc_async")


def _form_size(value: str) -> int:
    """Return the length of ``value`` once form-encoded (UTF-8, percent escapes)."""
    raw = value.encode()
    return len(raw) + 2 * len(raw.translate(None, _AS_IS))


def _fields_size(fields: Mapping[str, str]) -> int:
    return sum(len(name) + 2 + _form_size(value) for name, value in fields.items())


class BulkSendItem(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one message of a bulk send.

    Attributes:
        index: Position of the message in what was given to the bulk send.
        phone: The recipient as given (blanks removed).
        id: Id of the send.php request that carried the message; with ``phone`` it names the
            message for status requests. Set even when ``error`` is, so that a message whose
            outcome is unknown can still be looked up.
        cost: The price SMSC gave for this number, when it did.
        error: ``None`` when SMSC accepted the message; otherwise what concerns it, e.g.
            :class:`~smsc_async.errors.RecipientRejectedError` for a refused number,
            :class:`~smsc_async.errors.InsufficientFundsError` for a refused request, or
            :class:`~smsc_async.errors.SendOutcomeUnknownError` when the answer was lost and
            could not be confirmed (the message was not re-sent).
    """

    index: int
    phone: str
    id: int | str
    cost: Decimal | None = None
    error: SMSCError | None = None

    @property
    def ok(self) -> bool:
        """Whether SMSC accepted the message."""
        return self.error is None


class _Entry(NamedTuple):
    pos: int
    phone: str
    payload: str  # the list= line, or the number for a one-text send
    size: int  # its encoded size, separator included
    text: str


class _Chunk(NamedTuple):
    entries: list[_Entry]
    fields: dict[str, str]


def _pack(entries: Iterable[_Entry], budget: int) -> list[list[_Entry]]:
    """Pack entries into as few chunks of at most ``budget`` bytes as possible, in order.

    A recipient never appears twice in one chunk: its n-th message goes to the n-th layer of
    chunks, so every (request id, number) pair names exactly one message.
    """
    seen: dict[str, int] = {}
    layers: list[list[_Entry]] = []
    for entry in entries:
        key = recipient_key(entry.phone)
        layer = seen.get(key, 0)
        seen[key] = layer + 1
        if layer == len(layers):
            layers.append([])
        layers[layer].append(entry)
    chunks: list[list[_Entry]] = []
    for layer_entries in layers:
        current: list[_Entry] = []
        used = 0
        for entry in layer_entries:
            if current and used + entry.size > budget:
                chunks.append(current)
                current, used = [], 0
            current.append(entry)
            used += entry.size
        if current:
            chunks.append(current)
    return chunks


def _room(max_request_bytes: object, fields: Mapping[str, str], packed: str) -> int:
    """Return the bytes left for the packed field's value once everything else is counted."""
    if isinstance(max_request_bytes, bool) or not isinstance(max_request_bytes, int):
        raise TypeError(f"max_request_bytes must be an int, got {max_request_bytes!r}")
    if max_request_bytes < 2 * ENVELOPE_BYTES:
        raise ValueError(
            f"max_request_bytes must be at least {2 * ENVELOPE_BYTES}, got {max_request_bytes}"
        )
    others = _fields_size(fields) + ENVELOPE_BYTES + _ID_BYTES
    return max_request_bytes - others - len(packed) - 2


def _check_options(options: Mapping[str, object]) -> dict[str, str]:
    if "id" in options:
        raise ValueError(
            "a bulk send gives each request its own id; drop the id option "
            "(each result carries the id of the request that sent it)"
        )
    fields = encode_send_options(options)
    fields["op"] = "1"  # per-number details: which numbers SMSC refused, and their prices
    return fields


def _chunks(
    entries: list[_Entry],
    fields: Mapping[str, str],
    packed: str,
    separator: str,
    max_request_bytes: object,
) -> list[_Chunk]:
    """Pack the entries into requests: ``fields`` plus ``packed`` joining their payloads.

    Raises:
        ValueError: a bad bound, or an entry larger than a request has room for.
        TypeError: a bound that is not an int.
    """
    room = _room(max_request_bytes, fields, packed)
    for entry in entries:
        if entry.size > room:
            raise ValueError(
                f"message {entry.pos} (to {entry.phone!r}) takes {entry.size} bytes encoded, "
                f"more than the {room} a request has room for; raise max_request_bytes or "
                "shorten it"
            )
    return [
        _Chunk(group, {**fields, packed: separator.join(e.payload for e in group)})
        for group in _pack(entries, room)
    ]


async def _run_all(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` concurrently; the first unexpected exception cancels the others."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class Bulk(Namespace):
    """Bulk sends and status tracking at the pace SMSC's rules allow (``smsc.bulk``)."""

    __slots__ = ()

    _client: MessagingCommands

    def __init__(self, client: MessagingCommands) -> None:
        """Bind the namespace to its client (done by ``SMSCClient``)."""
        super().__init__(client)

    # -- sending ---------------------------------------------------------------------------

    async def send(
        self,
        messages: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        on_result: Callable[[BulkSendItem], object] | None = None,
        **options: Unpack[SendOptions],
    ) -> list[BulkSendItem]:
        """Send personalised SMS, one text per number, in as few requests as fit the bound.

        The messages are packed into send.php ``list=`` requests of at most
        ``max_request_bytes`` each and sent with as many requests in flight as the login may
        have. Everything is checked before the first request. A number given several times
        gets each of its messages, in different requests.

        Args:
            messages: ``{phone: text}`` or ``(phone, text)`` pairs, one number each.
            max_request_bytes: Bound on one request's encoded size.
            on_result: Called with each message's result as soon as its request finishes
                (for saving progress as it happens).
            **options: :class:`~smsc_async.params.SendOptions` for every message, except
                ``id``: each request gets its own.

        Returns:
            One :class:`BulkSendItem` per message, in the order given.

        Raises:
            ValueError: bad input (an empty list, a bad number or text, several numbers in
                one message, a message larger than a request may be), before any request.
            TypeError: an unknown option or a value of the wrong type.
            Exception: whatever ``on_result`` raised, once the requests in flight have finished
                (no further request is started). SMSC's refusals, lost answers and limits are
                not raised: each message's ``error`` holds them (e.g.
                :class:`~smsc_async.errors.RecipientRejectedError`,
                :class:`~smsc_async.errors.InsufficientFundsError`,
                :class:`~smsc_async.errors.SendOutcomeUnknownError`).
        """
        fields = _check_options(options)
        pairs = messages.items() if isinstance(messages, Mapping) else messages
        entries: list[_Entry] = []
        for index, pair in enumerate(pairs):
            phone, text = pair
            joined, line = encode_list_line(phone, text, options)
            if "," in joined:
                raise ValueError(
                    f"message {index} is for several numbers ({phone!r}); give one number per "
                    "message, or use send_text() for one text to many numbers"
                )
            entries.append(_Entry(index, joined, line, _form_size(line) + 3, text))
        if not entries:
            raise ValueError("messages is empty; give at least one (phone, text) pair")
        chunks = _chunks(entries, fields, "list", "\n", max_request_bytes)
        return await self._send_chunks(len(entries), chunks, options, on_result)

    async def send_text(
        self,
        phones: Iterable[str],
        text: str,
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        on_result: Callable[[BulkSendItem], object] | None = None,
        **options: Unpack[SendOptions],
    ) -> list[BulkSendItem]:
        """Send one SMS text to many numbers, in as few requests as fit the bound.

        The numbers are packed into send.php ``phones=`` requests of at most
        ``max_request_bytes`` each, sent with as many requests in flight as the login may have.
        A number listed twice gets the text twice, in different requests.

        Args:
            phones: The numbers, one per item.
            text: The text, at most 1000 characters.
            max_request_bytes: Bound on one request's encoded size.
            on_result: Called with each number's result as soon as its request finishes.
            **options: :class:`~smsc_async.params.SendOptions` except ``id``.

        Returns:
            One :class:`BulkSendItem` per number, in the order given.

        Raises:
            ValueError: no numbers, a bad number or text, a text that leaves no room for a
                number in a request, before any request.
            TypeError: an unknown option or a value of the wrong type.
            Exception: whatever ``on_result`` raised, once the requests in flight have finished
                (no further request is started). SMSC's refusals, lost answers and limits are
                not raised: each message's ``error`` holds them (e.g.
                :class:`~smsc_async.errors.RecipientRejectedError`,
                :class:`~smsc_async.errors.InsufficientFundsError`,
                :class:`~smsc_async.errors.SendOutcomeUnknownError`).
        """
        if isinstance(phones, str):
            raise TypeError("phones must be a list of numbers, not one str; split it first")
        fields = _check_options(options)
        fields["mes"] = check_text(text, MessageKind.SMS)
        check_parts(text, options)
        entries: list[_Entry] = []
        for index, phone in enumerate(phones):
            joined = join_phones([phone])
            entries.append(_Entry(index, joined, joined, _form_size(joined) + 3, text))
        if not entries:
            raise ValueError("phones is empty; give at least one number")
        chunks = _chunks(entries, fields, "phones", ",", max_request_bytes)
        return await self._send_chunks(len(entries), chunks, options, on_result)

    async def _send_chunks(
        self,
        count: int,
        chunks: list[_Chunk],
        options: Mapping[str, object],
        on_result: Callable[[BulkSendItem], object] | None,
    ) -> list[BulkSendItem]:
        client = self._client
        results: list[BulkSendItem | None] = [None] * count
        pending = iter(chunks)
        fatal: list[SMSCError] = []
        broken: list[Exception] = []  # what on_result raised: no new request is started then

        def record(items: list[BulkSendItem]) -> None:
            for item in items:
                results[item.index] = item
                if on_result is not None and not broken:
                    try:
                        on_result(item)
                    except Exception as exc:
                        broken.append(exc)

        async def worker() -> None:
            for chunk in pending:
                if broken:
                    return
                message_id = validate_message_id(client._new_id())
                if fatal:
                    record(_failed(chunk, message_id, fatal[0]))
                    continue
                first = chunk.entries[0]
                try:
                    sent = await client._submit(
                        dict(chunk.fields), {**options, "id": message_id}, first.phone, first.text
                    )
                except SendOutcomeUnknownError as exc:
                    lookup = client._reconcile and len(chunk.entries) > 1
                    record(
                        await self._confirm(chunk, message_id)
                        if lookup
                        else _failed(chunk, message_id, exc)
                    )
                except SMSCError as exc:
                    if isinstance(exc, _FATAL):
                        fatal.append(exc)
                    record(_failed(chunk, message_id, exc))
                else:
                    if sent.reconciled and len(chunk.entries) > 1:
                        record(await self._confirm(chunk, message_id))
                    else:
                        record(_accepted(chunk, sent))

        workers = min(len(chunks), client._max_in_flight)
        await _run_all([worker() for _ in range(workers)])
        if broken:
            raise broken[0]  # after the requests in flight finished: none of them is lost
        done = [item for item in results if item is not None]
        assert len(done) == count  # every message has exactly one result
        return done

    async def _confirm(self, chunk: _Chunk, message_id: int | str) -> list[BulkSendItem]:
        """Ask status.php, number by number, what a request whose answer was lost did.

        The client's own check looks at one number only; a request carries many, and SMSC may
        have refused some of them. A number SMSC knows under the request's id was sent; one it
        does not know is reported unknown (checked), never sent again.
        """
        queries = [
            Query(e.pos, _status_fields(message_id, e.phone, 0), message_id, e.phone)
            for e in chunk.entries
        ]
        known: dict[int, bool] = {}
        try:
            async with contextlib.aclosing(poll_once(self._client, queries, 0, 1)) as statuses:
                async for pos, status in statuses:
                    known[pos] = status.status != MessageState.NOT_FOUND
        except SMSCError as exc:
            log.debug("send %s: status lookups failed: %s", message_id, exc)
        items = []
        for e in chunk.entries:
            found = known.get(e.pos)
            error = (
                None
                if found
                else SendOutcomeUnknownError(message_id, e.phone, checked=found is not None)
            )
            items.append(BulkSendItem(index=e.pos, phone=e.phone, id=message_id, error=error))
        return items

    # -- statuses --------------------------------------------------------------------------

    async def iter_statuses(
        self,
        messages: Iterable[tuple[int | str, str]],
        *,
        all: Literal[0, 1, 2] = 0,
        mass_size: int = MASS_STATUS_SIZE,
    ) -> AsyncGenerator[MessageStatus]:
        """Yield the current status of every message, each as soon as it arrives.

        SMSC: ``status.php``, single and mass (multi-message) requests. Single status requests
        run with as many in flight as the login may have; whenever the one-mass-request-a-minute
        rule has room and enough messages are left, one mass request takes up to ``mass_size``
        of them. Each message is asked for once.

        Args:
            messages: ``(id, phone)`` pairs, e.g. ``(item.id, item.phone)`` of sent items.
            all: Detail level as for :meth:`SMSCClient.get_status`.
            mass_size: Most messages in one mass request; 1 uses single requests only.

        Yields:
            One status per message, with ``id`` and ``phone`` set, in the order they arrive.

        Raises:
            ValueError: a bad id, phone, ``all`` or ``mass_size``, before any request (no
                messages at all is not an error: nothing is asked).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: a status
                request failed after its retries; the iteration stops.
        """
        queries = make_queries(messages, all, mass_size)
        async with contextlib.aclosing(
            poll_once(self._client, queries, all, mass_size)
        ) as statuses:
            async for _, status in statuses:
                yield status

    async def iter_settled(
        self,
        messages: Iterable[tuple[int | str, str]],
        *,
        all: Literal[0, 1, 2] = 0,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109
        mass_size: int = MASS_STATUS_SIZE,
        on_poll: Callable[[SettleProgress], None] | None = None,
    ) -> AsyncGenerator[MessageStatus]:
        """Poll until every message has an outcome; yield each one's status when it has.

        A status is settled when :attr:`MessageState.is_settled`: delivered, read, or any final
        status (expired, undeliverable, ...). Every ``interval`` seconds the messages still
        waiting are asked for again, by the route :meth:`iter_statuses` takes (``status.php``).

        Args:
            messages: ``(id, phone)`` pairs.
            all: Detail level as for :meth:`SMSCClient.get_status`.
            interval: Seconds between polls of the same message (SMSC allows 5 a minute per
                message; the client's gate spaces faster polls).
            timeout: Most seconds to wait in all, or ``None`` for no limit.
            mass_size: As for :meth:`iter_statuses`.
            on_poll: Called with a :class:`SettleProgress` when a round of polls starts, as
                each status of a round arrives, and before the pause to the next round (then
                with its time): what a progress display needs.

        Yields:
            The settled status of each message, with ``id`` and ``phone`` set.

        Raises:
            ValueError: bad input, before any request.
            StatusWaitTimeoutError: ``timeout`` passed with messages unsettled (their last
                statuses are in ``.pending``).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: a status
                request failed after its retries; the iteration stops.
        """
        settled = self._settled(messages, all, interval, timeout, mass_size, on_poll)
        async with contextlib.aclosing(settled):
            async for _, status in settled:
                yield status

    async def wait_settled(
        self,
        messages: Iterable[tuple[int | str, str]],
        *,
        all: Literal[0, 1, 2] = 0,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109
        mass_size: int = MASS_STATUS_SIZE,
    ) -> list[MessageStatus]:
        """Wait until every message has an outcome and return the statuses in the order given.

        The same polling of ``status.php`` as :meth:`iter_settled`, with the same arguments.

        Returns:
            The settled status of each message, with ``id`` and ``phone`` set.

        Raises:
            ValueError: bad input, before any request.
            StatusWaitTimeoutError: ``timeout`` passed with messages unsettled (their last
                statuses are in ``.pending``).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: a status
                request failed after its retries.
        """
        settled = self._settled(messages, all, interval, timeout, mass_size)
        async with contextlib.aclosing(settled):
            found = {index: status async for index, status in settled}
        return [found[index] for index in range(len(found))]

    async def _settled(
        self,
        messages: Iterable[tuple[int | str, str]],
        all: int,
        interval: float,
        timeout: float | None,  # noqa: ASYNC109
        mass_size: int,
        on_poll: Callable[[SettleProgress], None] | None = None,
    ) -> AsyncGenerator[tuple[int, MessageStatus]]:
        if not (interval > 0 and math.isfinite(interval)):
            raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0 or None, got {timeout!r}")
        queries = make_queries(messages, all, mass_size)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        last: dict[int, MessageStatus] = {}  # the latest status of each unsettled message

        total = len(queries)
        done: set[int] = set()  # positions settled

        def overdue() -> StatusWaitTimeoutError:
            seen = [last[q.pos] for q in queries if q.pos in last]
            return StatusWaitTimeoutError(seen, timeout or 0.0)

        def report(next_poll: float | None) -> None:
            if on_poll is not None:
                pending = tuple(last.get(q.pos) for q in queries if q.pos not in done)
                on_poll(SettleProgress(total - len(pending), pending, next_poll))

        while True:
            started = loop.time()
            report(None)
            polled = poll_once(self._client, queries, all, mass_size, deadline)
            try:
                async with contextlib.aclosing(polled) as statuses:
                    async for index, status in statuses:
                        if status.status.is_settled:
                            last.pop(index, None)
                            done.add(index)
                            yield index, status
                        else:
                            last[index] = status
                        if len(done) < total:
                            report(None)
            except Overdue:
                raise overdue() from None
            queries = [q for q in queries if q.pos in last]
            if not queries:
                return
            wake = started + interval
            if deadline is not None:
                if loop.time() >= deadline:
                    raise overdue()
                wake = min(wake, deadline)
            report(wake)
            await sleep(max(0.0, wake - loop.time()))


@dataclass(frozen=True, slots=True)
class SettleProgress:
    """Where :meth:`Bulk.iter_settled` is at, for a progress display.

    Attributes:
        settled: Messages settled so far.
        pending: The last status seen of each message still pending, in the order given
            (``None``: not checked yet).
        next_poll: Loop time (``loop.time()``) when the next round of polls starts, or ``None``
            while a round is running.
    """

    settled: int
    pending: tuple[MessageStatus | None, ...]
    next_poll: float | None


def _failed(chunk: _Chunk, message_id: int | str, error: SMSCError) -> list[BulkSendItem]:
    return [
        BulkSendItem(index=e.pos, phone=e.phone, id=message_id, error=error) for e in chunk.entries
    ]


def _accepted(chunk: _Chunk, sent: SendResult) -> list[BulkSendItem]:
    details = {recipient_key(d.phone): d for d in sent.phones or ()}
    items = []
    for entry in chunk.entries:
        detail = details.get(recipient_key(entry.phone))
        if detail is None:
            items.append(BulkSendItem(index=entry.pos, phone=entry.phone, id=sent.id))
        elif detail.status is not None or detail.error:
            # SMSC fills status and error only for a number it refused.
            refused = RecipientRejectedError(
                sent.id, detail.phone, status=detail.status or 0, error=detail.error or 0
            )
            items.append(
                BulkSendItem(index=entry.pos, phone=entry.phone, id=sent.id, error=refused)
            )
        else:
            items.append(
                BulkSendItem(index=entry.pos, phone=entry.phone, id=sent.id, cost=detail.cost)
            )
    return items
