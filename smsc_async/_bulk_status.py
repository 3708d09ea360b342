"""How smsc.bulk asks for many statuses: single requests plus an opportunistic mass request."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Iterator
from typing import Any, Final, NamedTuple

import msgspec

from . import _endpoints as ep
from ._api import decode_answer
from ._messaging import MessagingCommands, _mass_status_fields, _status_fields
from ._rules import MAX_IN_FLIGHT, WaitPolicy
from ._transport import sleep
from .errors import RateLimitedError, ResponseDecodeError, ServerRateLimitError
from .models import MessageStatus

__all__ = ["Overdue", "Query", "make_queries", "poll_once", "recipient_key"]

_WONT_WAIT: Final = WaitPolicy(on_limit="raise")


def recipient_key(phone: str) -> str:
    """What makes two spellings of one recipient the same: digits, or the lowered address."""
    if "@" in phone:
        return phone.lower()
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits or phone.lower()


class Overdue(Exception):
    """A polling round ran into the caller's deadline."""


class Query(NamedTuple):
    pos: int
    fields: dict[str, str]
    id: int | str
    phone: str


async def poll_once(
    client: MessagingCommands,
    queries: list[Query],
    all: int,
    mass_size: int,
    deadline: float | None = None,
) -> AsyncGenerator[tuple[int, MessageStatus]]:
    """Ask for each query's status once; yield (index, status) as answers arrive.

    Raises:
        Overdue: the loop clock reached ``deadline`` before every answer arrived.
    """
    if not queries:
        return
    todo = deque(queries)
    # What arrived and is not yet handed over; the consumer takes all of it at each wake-up
    # (several answers often arrive in one turn of the loop: one wake-up for them all).
    arrived: deque[tuple[int, MessageStatus] | BaseException] = deque()
    waiter: list[asyncio.Future[None]] = []  # the consumer's, while it waits for more
    singles = max(1, min(client._max_in_flight, MAX_IN_FLIGHT))
    held: list[Query] = []  # what the mass request in flight has taken
    changed = asyncio.Event()  # the mass request gave its messages back or answered them

    def put(item: tuple[int, MessageStatus] | BaseException) -> None:
        arrived.append(item)
        if waiter and not waiter[0].done():
            waiter[0].set_result(None)

    def deliver(query: Query, status: MessageStatus) -> None:
        put((query.pos, msgspec.structs.replace(status, id=query.id, phone=query.phone)))

    async def single() -> None:
        while todo or held:
            if not todo:
                changed.clear()
                await changed.wait()
                continue
            query = todo.popleft()
            deliver(query, await client._request(ep.STATUS, query.fields))

    async def mass() -> None:
        # Worth it only while the single requests have more than a round of work left.
        while mass_size > 1 and len(todo) > singles:
            held[:] = [todo.pop() for _ in range(min(mass_size, len(todo) - singles))]
            held.reverse()
            fields = _mass_status_fields((q.fields for q in held), all)
            try:
                body = await client._post(ep.STATUS_MASS, fields, policy=_WONT_WAIT)
                answer = decode_answer(ep.STATUS_MASS, body)
            except (RateLimitedError, ServerRateLimitError) as exc:
                # Refused by the gate, or by SMSC for a mass request made elsewhere under
                # this login: nothing was answered, so the single requests take them.
                todo.extend(held)
                held.clear()
                changed.set()
                await sleep(exc.retry_after if isinstance(exc, RateLimitedError) else 61.0)
                continue
            for query, status in _pair_rows(held, answer, body):
                deliver(query, status)
            held.clear()
            changed.set()

    async def run(job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            await job()
        except Exception as exc:  # handed to the consumer, which stops everything
            put(exc)

    tasks = [asyncio.ensure_future(run(single)) for _ in range(singles)]
    tasks.append(asyncio.ensure_future(run(mass)))
    loop = asyncio.get_running_loop()
    try:
        for _ in range(len(queries)):
            if not arrived:
                waiter.append(loop.create_future())
                try:
                    if deadline is None:
                        await waiter[0]
                    else:
                        async with asyncio.timeout_at(deadline):
                            await waiter[0]
                except TimeoutError:
                    raise Overdue from None
                finally:
                    waiter.clear()
            got = arrived.popleft()
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _pair_rows(
    held: list[Query], answer: list[MessageStatus], body: bytes
) -> Iterator[tuple[Query, MessageStatus]]:
    """Pair a mass answer's rows with the messages asked for, by id and number.

    SMSC answers in the order asked; rows that name their message are still matched by name,
    so a reordered answer cannot give a status to the wrong message.
    """
    if len(answer) != len(held):
        raise ResponseDecodeError(
            f"{len(answer)} statuses for {len(held)} messages",
            script=ep.STATUS_MASS.script,
            body_prefix=body,
        )
    rows: dict[tuple[str, str], MessageStatus] = {}
    for status in answer:
        if status.id is None or status.phone is None:
            return zip(held, answer, strict=True)  # rows without names: SMSC's order it is
        rows[(str(status.id), recipient_key(status.phone))] = status
    pairs = []
    for query in held:
        status_of = rows.get((query.fields["id"], recipient_key(query.fields["phone"])))
        if status_of is None:
            raise ResponseDecodeError(
                f"no status for message {query.id!r} to {query.phone!r} in the mass answer",
                script=ep.STATUS_MASS.script,
                body_prefix=body,
            )
        pairs.append((query, status_of))
    return iter(pairs)


def make_queries(
    messages: Iterable[tuple[int | str, str]], all: int, mass_size: int
) -> list[Query]:
    """Check the ``(id, phone)`` pairs and the options; return one query per message.

    No messages is not an error: a batch whose every message was refused has nothing to follow.
    """
    if isinstance(mass_size, bool) or not isinstance(mass_size, int) or mass_size < 1:
        raise ValueError(f"mass_size must be a whole number >= 1, got {mass_size!r}")
    return [
        Query(index, _status_fields(id, phone, all), id, phone.strip())
        for index, (id, phone) in enumerate(messages)
    ]
