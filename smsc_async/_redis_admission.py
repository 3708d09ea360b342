"""One pass through a :class:`~smsc_async.redis.RedisGate`: the admission and its local side.

An admission asks the server (``ADMIT``), waits as it says, and releases (``RELEASE``) at the
end of its block. Locally, per event loop and account, it keeps the waiters handed a slot by a
release (through the account's channel) and a FIFO line per rule log, so that only the first
admission of a line asks the server while the others wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING, Any

from redis.exceptions import TimeoutError as RedisTimeoutError

from ._limits import Charge, WaitPolicy
from ._rules import CONCURRENCY_RULE
from .errors import GateUnavailableError, RateLimitedError

if TYPE_CHECKING:
    from .redis import RedisGate

__all__ = ["Admission", "LocalSide"]

log = logging.getLogger("smsc_async")

_Loop = asyncio.AbstractEventLoop
_ADMITTED, _REFUSED, _QUEUED = 1, 0, 2


def _tag(account: str) -> str:
    # The account names the hash tag, so it must not hold braces of its own.
    return account.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


class LocalSide:
    """One account's local side in one event loop: waiters, lines and the subscription."""

    __slots__ = (
        "channel",
        "early",
        "freed",
        "grants",
        "idle_since",
        "keys",
        "lines",
        "listener",
        "mine",
        "subscribed",
        "tag",
        "waiting",
    )

    def __init__(self, prefix: str, account: str, mine: str) -> None:
        self.tag = f"{prefix}{{{_tag(account)}}}:"
        self.keys = (f"{self.tag}in", f"{self.tag}q", f"{self.tag}qd", f"{self.tag}seq")
        self.channel = f"{self.tag}wake"
        self.mine = mine  # the start of this gate's tickets
        self.grants: dict[str, asyncio.Future[None]] = {}  # waiters queued for the cap
        # Grants of this gate's tickets that came before their waiter listened for them.
        self.early: set[str] = set()
        # Local FIFO per rule log: only the first admission of a line asks the server.
        self.lines: dict[str, deque[asyncio.Future[None]]] = {}
        self.freed: asyncio.Future[None] | None = None  # resolved when a refund frees slots
        self.listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self.waiting = 0
        self.idle_since = 0.0  # loop time when the last waiting admission ended

    def log_key(self, charge: Charge) -> str:
        return f"{self.tag}r:{charge.rule.name}:{charge.key.hex()}"

    def dispatch(self, data: bytes | str) -> None:
        text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
        if text.startswith("g "):
            for ticket in text[2:].split():
                fut = self.grants.pop(ticket, None)
                if fut is not None:
                    if not fut.done():
                        fut.set_result(None)
                elif ticket.startswith(self.mine):
                    if len(self.early) > 10_000:  # a grant nobody waits for any more: stale
                        self.early.clear()
                    self.early.add(ticket)
        elif text == "f" and self.freed is not None:
            if not self.freed.done():
                self.freed.set_result(None)
            self.freed = None


async def _nap(fut: asyncio.Future[None] | None, seconds: float) -> None:
    """Wait ``seconds`` or until ``fut`` resolves, whichever comes first."""
    if seconds <= 0:
        return
    if fut is None:
        await asyncio.sleep(seconds)
        return
    try:
        async with asyncio.timeout(seconds):
            await asyncio.shield(fut)
    except TimeoutError:
        pass


class Admission:
    """One pass through a :class:`RedisGate`: the context manager and, once in, the ticket."""

    __slots__ = (
        "_account",
        "_cap",
        "_charges",
        "_delegate",
        "_dirty",
        "_gate",
        "_holds",
        "_lease_ms",
        "_line",
        "_logs",
        "_policy",
        "_refunded",
        "_renewal",
        "_st",
        "_state",
        "_ticket",
        "_timeout",
    )

    def __init__(
        self,
        gate: RedisGate,
        account: str,
        charges: tuple[Charge, ...],
        policy: WaitPolicy,
        cap: int,
        lease_ms: int,
        timeout: float | None,
    ) -> None:
        self._gate = gate
        self._account = account
        self._charges = charges
        self._policy = policy
        self._cap = cap
        self._lease_ms = lease_ms
        self._timeout = timeout
        self._state = "new"  # new → entering → open → closed
        self._refunded = False
        self._renewal: asyncio.TimerHandle | None = None
        self._delegate: Any = None  # the fallback gate's admission, when Redis was away
        self._ticket = ""
        self._logs: list[str] = []
        self._holds: list[int] = []
        self._st: LocalSide | None = None
        self._line: str | None = None  # the local line this admission stands in
        self._dirty = False  # a script call may have taken slots on the server

    async def __aenter__(self) -> Admission:
        if self._state != "new":
            raise RuntimeError("a gate admission can be entered only once")
        self._state = "entering"
        gate = self._gate
        loop = asyncio.get_running_loop()
        st = self._st = gate._state(loop, self._account)
        margin_ms = int(gate._margin * 1000)
        self._logs = [st.log_key(c) for c in self._charges]
        self._holds = [int(c.rule.period * 1000) + margin_ms for c in self._charges]
        self._ticket = gate._new_ticket(self._cap)
        try:
            claimed = await self._enter(loop, st)
        except GateUnavailableError:
            if gate._fallback is None:
                self._state = "closed"
                raise
            if not gate._unavailable:
                gate._unavailable = True
                log.warning("limits gate: Redis at %s is away; using the fallback", gate._where)
            self._delegate = gate._fallback.admit(
                self._account,
                self._charges,
                self._policy,
                max_in_flight=self._cap,
                timeout=self._timeout,
            )
            await self._delegate.__aenter__()
        except BaseException:
            self._state = "closed"
            raise
        else:
            # A slot handed over by a release is held only briefly until claimed for the
            # whole lease: the first renewal claims it, at once.
            period = self._lease_ms / 3000
            self._renewal = loop.call_later(period if claimed else 0, self._renew_soon, period)
        self._state = "open"
        return self

    async def _enter(self, loop: _Loop, st: LocalSide) -> bool:
        """Get admitted; return False when a release handed the slot over (still to claim)."""
        st.waiting += 1
        try:
            return await self._attempts(loop, st)
        except Exception:
            if self._dirty:  # give back whatever the server may hold for this admission
                await self._release_quietly(refund=True, level=logging.DEBUG)
            raise
        except BaseException:  # cancelled: no more waiting here, so give back on the side
            if self._dirty:
                self._gate._spawn(self._release_quietly(refund=True, level=logging.DEBUG))
            raise
        finally:
            st.waiting -= 1
            if not st.waiting:
                st.idle_since = loop.time()
            st.early.discard(self._ticket)
            if self._line is not None:
                _leave_line(st, self._line)
                self._line = None

    async def _attempts(self, loop: _Loop, st: LocalSide) -> bool:
        """Ask the server until admitted, waiting between the attempts as it says."""
        gate, policy, logs = self._gate, self._policy, self._logs
        keys = [*st.keys, *logs]
        args: list[Any] = [self._ticket, self._cap, self._lease_ms, gate._beat_ms, st.channel]
        for charge, hold in zip(self._charges, self._holds, strict=True):
            args += (charge.rule.limit, hold)
        deadline = None if policy.max_wait is None else loop.time() + policy.max_wait
        # FIFO in this process: behind local admissions already waiting for these slots. A
        # caller who would rather fail than wait asks the server first, for a true estimate.
        waiting_lines = [name for name in logs if st.lines.get(name)]
        if waiting_lines and policy.on_limit == "wait" and deadline is None:
            await self._queue_up(st, waiting_lines[0], deadline)
        while True:
            before, self._dirty = self._dirty, True
            try:
                status, value, which, *exact = await gate._run(gate._admit, keys, args)
            except GateUnavailableError as exc:
                if not _maybe_ran(exc):
                    self._dirty = before
                raise
            if status == _ADMITTED:
                return True
            if status == _REFUSED:
                self._dirty = before  # a refusal takes nothing
                known = bool(exact and exact[0])
                await self._wait_for_rule(loop, st, value / 1000, which - 1, deadline, known)
                continue
            # Queued for the cap, holding the rule slots: the next in line may go on.
            if self._line is not None:
                _leave_line(st, self._line)
                self._line = None
            if await self._await_grant(loop, st, deadline, which / 1000):
                return False
            if deadline is not None and loop.time() >= deadline:
                raise RateLimitedError(0.0, CONCURRENCY_RULE)

    async def _wait_for_rule(
        self,
        loop: _Loop,
        st: LocalSide,
        wait: float,
        index: int,
        deadline: float | None,
        exact: bool,
    ) -> None:
        """Wait until a rule's window may have room (refused by rule ``index``), or raise.

        An ``exact`` wait is slept through (a refund on the way wakes it early); otherwise the
        slot awaited is still in flight and ``wait`` a lower bound, so the server is asked
        again after ``poll_interval`` at most.
        """
        if self._policy.on_limit == "raise" or (
            deadline is not None and loop.time() + wait > deadline
        ):
            raise RateLimitedError(wait, self._charges[index].rule.name)
        name = self._logs[index]
        if self._line != name:
            if self._line is not None:
                _leave_line(st, self._line)
                self._line = None
            if await self._queue_up(st, name, deadline):
                return  # waited behind others: the window has moved on meanwhile
        if exact and wait > self._gate._poll:
            await self._gate._ensure_listener(st, deadline)  # refunds wake the long sleepers
        if st.freed is None:
            st.freed = loop.create_future()
        await _nap(st.freed, wait if exact else min(wait, self._gate._poll))

    async def _queue_up(self, st: LocalSide, name: str, deadline: float | None) -> bool:
        """Stand in the local line for ``name``; return True if others were ahead.

        Leaves the line again (and raises) when ``deadline`` passes or the wait is cancelled.
        """
        line = st.lines.setdefault(name, deque())
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        line.append(fut)
        if len(line) == 1:
            fut.set_result(None)
            self._line = name
            return False
        timeout = None if deadline is None else max(deadline - loop.time(), 0.0)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except TimeoutError:
            _leave_line(st, name, fut)
            rule = self._charges[self._logs.index(name)].rule.name
            raise RateLimitedError(0.0, rule) from None
        except BaseException:
            _leave_line(st, name, fut)
            raise
        self._line = name
        return True

    async def _await_grant(
        self, loop: _Loop, st: LocalSide, deadline: float | None, lease_end: float
    ) -> bool:
        """Wait for a release to hand this admission a slot; False to ask the server again.

        The server is asked again after ``poll_interval`` in any case, and when the oldest
        lease runs out (``lease_end`` seconds from now: its holder may have died).
        """
        if self._ticket in st.early:  # handed over while the answer was on its way
            return True
        if await self._gate._ensure_listener(st, deadline):
            return False  # just subscribed: a grant published before then was missed
        if self._ticket in st.early:
            return True
        fut = st.grants[self._ticket] = loop.create_future()
        timeout = self._gate._poll
        if lease_end > 0:
            timeout = min(timeout, lease_end)
        if deadline is not None:
            timeout = min(timeout, deadline - loop.time())
        try:
            async with asyncio.timeout(max(timeout, 0.0)):
                await fut
        except TimeoutError:
            return False
        finally:
            if st.grants.get(self._ticket) is fut:
                del st.grants[self._ticket]
        return True

    def _renew_soon(self, period: float) -> None:
        self._renewal = None
        if self._state == "open":
            self._gate._spawn(self._extend(period))

    async def _extend(self, period: float) -> None:
        st = self._st
        assert st is not None
        args: list[Any] = [self._ticket, self._lease_ms, *self._holds]
        try:
            kept = (await self._gate._run(self._gate._renew, [st.keys[0], *self._logs], args))[0]
        except GateUnavailableError as exc:
            log.warning("limits gate: could not renew a lease (%s)", exc)
            kept = 1  # try again next period; the lease may still be running
        if not kept and self._state == "open":
            log.warning(
                "limits gate: a request outlived its lease (%.0f s); its slot may be reused",
                self._lease_ms / 1000,
            )
        elif self._state == "open":
            loop = asyncio.get_running_loop()
            self._renewal = loop.call_later(period, self._renew_soon, period)

    async def _release_quietly(self, *, refund: bool, level: int = logging.WARNING) -> None:
        try:
            await self._release_now(refund=refund)
        except GateUnavailableError as exc:
            log.log(
                level,
                "limits gate: could not release a slot (%s); it frees when its lease ends",
                exc,
            )

    async def _release_now(self, *, refund: bool) -> None:
        st = self._st
        assert st is not None
        args: list[Any] = [self._ticket, "r" if refund else "s", st.channel, *self._holds]
        await self._gate._run(self._gate._release, [*st.keys[:3], *self._logs], args)

    def refund(self) -> None:
        """Give the rate slots back at exit instead of stamping them: SMSC was never reached.

        Raises:
            RuntimeError: When called outside the ``async with`` block.
        """
        if self._state != "open":
            raise RuntimeError("refund() is only possible inside the admitted block")
        if self._delegate is not None:
            self._delegate.refund()
        self._refunded = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = "closed"
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        if self._delegate is not None:
            await self._delegate.__aexit__(exc_type, exc, tb)
            return
        try:
            await self._release_now(refund=self._refunded)
        except GateUnavailableError as error:
            # The request is over: its answer matters more than the gate. The lease frees the
            # slot and counts the request as completed then.
            log.warning(
                "limits gate: could not release a slot (%s); it frees when its lease ends", error
            )
        except asyncio.CancelledError:
            self._gate._spawn(self._release_quietly(refund=self._refunded))
            raise


def _maybe_ran(exc: GateUnavailableError) -> bool:
    """Tell whether a failed script call may still have run on the server (a timeout)."""
    cause = exc.__cause__
    return isinstance(cause, TimeoutError | RedisTimeoutError)


def _leave_line(st: LocalSide, name: str, fut: asyncio.Future[None] | None = None) -> None:
    """Leave the local line ``name`` (as its head, or ``fut`` from anywhere in it)."""
    line = st.lines.get(name)
    if not line:
        return
    if fut is None or line[0] is fut:
        line.popleft()
        while line and line[0].done():  # cancelled ones are dropped on the way
            line.popleft()
        if line:
            line[0].set_result(None)
        else:
            del st.lines[name]
    else:
        with contextlib.suppress(ValueError):
            line.remove(fut)
