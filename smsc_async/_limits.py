"""The limits gate: keep every request inside SMSC's error-9 rules before it is sent.

SMSC answers error 9 when, per login, 15 or more requests are in flight at once, or when a
script's "more than N (identical | any) requests per minute" rule is broken (smsc-api.md §3.4,
§3.4a). The gate makes the client wait (or refuse with :class:`RateLimitedError`) instead.

How a rate rule is counted. "N per minute" means no 60-second window ever holds more than N
requests *as SMSC sees them*, and a request reaches SMSC at some unknown moment between its start
and its completion. So each rule keeps a sliding-window log per identity key: a request occupies a
slot from the moment it is admitted until ``completion + period + margin`` (while in flight, it
simply occupies), and a request is admitted only when fewer than N slots are occupied. For any
N + 1 requests of one key, the one admitted last found a slot already expired, so its start is at
least ``period + margin`` after the completion of another one of them: no window of ``period``
seconds can ever see N + 1 arrivals, whatever the latency. A leaky bucket (aiolimiter) or spacing
stamped at start cannot promise this.

State. Everything loop-bound (futures, timer handles) lives in a registry keyed weakly by the
running event loop and created lazily in it, one state per ``account`` string, shared by every
:class:`LocalGate` in that loop. A new loop (a second ``asyncio.run``) starts with empty state:
rate history does not carry across loops. Idle keys are evicted, so memory follows what is live.

Waiting. No polling: a waiter is woken when a slot is refunded or when the oldest stamp of its
key expires (one ``loop.call_at`` timer per key, armed only while someone waits). Waiters of one
key, and waiters for the concurrency cap, are served strictly first in, first out. All time is
the loop clock, so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import math
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Final, Literal, Protocol

from smsc_async.errors import RateLimitedError

__all__ = [
    "CONCURRENCY_RULE",
    "DEFAULT_RULES",
    "MAX_IN_FLIGHT",
    "RULES",
    "Charge",
    "Gate",
    "GateStats",
    "LocalGate",
    "Rule",
    "Ticket",
    "WaitPolicy",
    "charges_for",
]

MAX_IN_FLIGHT: Final = 14
"""Hard ceiling of requests in flight per login: SMSC answers error 9 at 15 concurrent."""

CONCURRENCY_RULE: Final = "concurrency"
"""The ``rule`` of a :class:`RateLimitedError` raised because ``max_wait`` ran out on the cap."""

# Fields that never make two requests different for SMSC's "identical" check: credentials and
# the answer format are about the caller, not about the request.
_NOT_IDENTITY: Final = frozenset({"login", "psw", "apikey", "fmt", "charset"})
_SWEEP_MIN: Final = 256  # admissions between sweeps of idle keys, at least
_SWEEP_AFTER: Final = 60.0  # seconds after which 256 admissions are enough for a sweep


@dataclass(frozen=True, slots=True)
class Rule:
    """One SMSC rule "more than ``limit`` requests per ``period`` seconds → error 9".

    Attributes:
        name: Stable name used in errors and logs, e.g. ``"send.identical"``.
        limit: N, the most requests any window of ``period`` seconds may hold.
        period: Window length in seconds (SMSC: one minute).
        scope: What counts as "the same" request: ``"identical"`` (same fields),
            ``"any"`` (every request of the script) or ``"message"`` (same message id/phone).
        ignore: Extra fields left out of the identity for ``"identical"``.
    """

    name: str
    limit: int
    period: float = 60.0
    scope: Literal["identical", "any", "message"] = "identical"
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"Rule {self.name!r}: limit must be at least 1, got {self.limit}")
        if not (self.period > 0 and math.isfinite(self.period)):
            raise ValueError(f"Rule {self.name!r}: period must be a positive number of seconds")
        if self.scope not in ("identical", "any", "message"):
            raise ValueError(f"Rule {self.name!r}: scope must be identical, any or message")


@dataclass(frozen=True, slots=True)
class Charge:
    """One (rule, key) pair a request must pass.

    Attributes:
        rule: The rule charged.
        key: Identity inside the rule: ``b""`` for ``"any"``, a 16-byte digest otherwise.
    """

    rule: Rule
    key: bytes


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """How long a caller accepts to wait at the gate.

    Attributes:
        on_limit: ``"wait"`` waits for rate rules; ``"raise"`` raises
            :class:`RateLimitedError` at once when a rate rule has no free slot now.
            Concurrency slots are always waited for (bounded only by ``max_wait``).
        max_wait: Longest total wait in seconds (rate and concurrency together), or ``None``.
            If the estimated rate wait is already longer, the gate raises before waiting.

    The estimate (also ``RateLimitedError.retry_after``) is a lower bound: it counts the callers
    queued ahead, takes a slot still in flight as freeing ``period + margin`` from now (its
    completion time is unknown), and does not foresee refunds. When ``max_wait`` runs out on the
    concurrency cap, the error has ``rule == CONCURRENCY_RULE`` and ``retry_after == 0.0``: a
    slot frees whenever any request completes, so there is nothing better to say.
    """

    on_limit: Literal["wait", "raise"] = "wait"
    max_wait: float | None = None

    def __post_init__(self) -> None:
        if self.on_limit not in ("wait", "raise"):
            raise ValueError(f"on_limit must be 'wait' or 'raise', got {self.on_limit!r}")
        if self.max_wait is not None and not self.max_wait >= 0:
            raise ValueError(f"max_wait must be None or >= 0 seconds, got {self.max_wait!r}")


@dataclass(frozen=True, slots=True)
class GateStats:
    """A snapshot of one account's gate state, for tests and benchmarks.

    Attributes:
        in_flight: Requests holding a concurrency slot.
        waiting: Admissions currently blocked (by a rate rule or by the concurrency cap).
        live_keys: (rule, key) logs stored; idle ones are evicted.
    """

    in_flight: int
    waiting: int
    live_keys: int


class Ticket(Protocol):
    """What ``async with gate.admit(...) as ticket`` yields."""

    def refund(self) -> None:
        """Release the rate slots now instead of stamping them at exit.

        Call only when the request surely never reached SMSC (e.g. connection refused).
        """


class Gate(Protocol):
    """The admission interface endpoint code uses, so a shared backend can replace it later."""

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> AbstractAsyncContextManager[Ticket]:
        """Return a context manager that waits for the slots and holds them during a request."""
        ...


_LogKey = tuple[Rule, bytes]


class _Deadline(Exception):
    """Set on a waiter's future when its ``max_wait`` runs out."""


class _Log:
    """The sliding-window log of one (rule, key): in-flight count and expiry stamps."""

    __slots__ = ("_ident", "_owner", "_timer", "_when", "in_flight", "limit", "stamps", "waiters")

    def __init__(self, owner: dict[_LogKey, _Log], ident: _LogKey) -> None:
        self._owner = owner
        self._ident = ident
        self.limit = ident[0].limit
        self.in_flight = 0
        self.stamps: list[float] = []  # expiry times (completion + period + margin), sorted
        self.waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._when = 0.0

    def purge(self, now: float) -> None:
        stamps = self.stamps
        if stamps and stamps[0] <= now:
            del stamps[: bisect.bisect_right(stamps, now)]

    def idle(self) -> bool:
        return not (self.in_flight or self.stamps or self.waiters)

    def try_take(self, now: float) -> bool:
        self.purge(now)
        if self.waiters or self.in_flight + len(self.stamps) >= self.limit:
            return False
        self.in_flight += 1
        return True

    def estimate(self, now: float, hold: float) -> float:
        """Return a lower bound of the wait before a newcomer gets a slot (0 when free now).

        Slots free in stamp order; a slot still in flight frees at ``completion + hold`` with
        the completion unknown but not before now, so ``now + hold`` stands for it. A slot freed
        for someone queued ahead is busy again for at least ``hold``.
        """
        self.purge(now)
        queued = sum(not fut.done() for fut in self.waiters)
        need = queued + self.in_flight + len(self.stamps) - self.limit
        if need < 0:
            return 0.0
        rounds, index = divmod(need, self.limit)
        first = self.stamps[index] if index < len(self.stamps) else now + hold
        return max(first + rounds * hold - now, 0.0)

    def release(self) -> None:
        """Give back an in-flight slot that never reached SMSC (refund or abandoned wait)."""
        self.in_flight -= 1
        self.pump()

    def stamp(self, expiry: float) -> None:
        """Turn an in-flight slot into a stamp that stays occupied until ``expiry``."""
        self.in_flight -= 1
        bisect.insort(self.stamps, expiry)
        self.pump()

    def pump(self, now: float | None = None) -> None:
        """Hand free slots to waiters in FIFO order, re-arm the timer, evict when idle."""
        loop = asyncio.get_running_loop()
        self.purge(loop.time() if now is None else now)
        waiters = self.waiters
        while waiters and self.in_flight + len(self.stamps) < self.limit:
            fut = waiters.popleft()
            if not fut.done():
                self.in_flight += 1
                fut.set_result(None)
        # Waiters that left (cancelled, deadline) stay queued until they reach the head: removing
        # each from the middle would make a mass cancellation quadratic. Every leaver re-pumps,
        # so a queue never starts with a leaver once control returns to the loop.
        while waiters and waiters[0].done():
            waiters.popleft()
        if waiters and self.stamps:
            when = self.stamps[0]
            if self._timer is None or self._when != when:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = loop.call_at(when, self._on_timer, when)
                self._when = when
        elif self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.idle() and self._owner.get(self._ident) is self:
            del self._owner[self._ident]

    def _on_timer(self, when: float) -> None:
        self._timer = None
        # The loop may run a timer up to its clock resolution early; the stamp is due anyway.
        self.pump(max(asyncio.get_running_loop().time(), when))


class _Account:
    """Per-(loop, account) state: the concurrency counter, its FIFO, and the rule logs."""

    __slots__ = ("admissions", "in_flight", "logs", "sweep_at", "swept_at", "waiters", "waiting")

    def __init__(self) -> None:
        self.in_flight = 0
        self.waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self.logs: dict[_LogKey, _Log] = {}
        self.waiting = 0
        self.admissions = 0
        self.sweep_at = _SWEEP_MIN
        self.swept_at = -math.inf

    def log(self, ident: _LogKey) -> _Log:
        log = self.logs.get(ident)
        if log is None:
            log = self.logs[ident] = _Log(self.logs, ident)
        return log

    def try_take(self, cap: int) -> bool:
        if self.waiters or self.in_flight >= cap:
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1
        self.pump()

    def pump(self) -> None:
        # Strict FIFO even with mixed caps: a caller with a low cap at the head holds back the
        # ones behind it, so it cannot be starved by callers with a higher cap.
        waiters = self.waiters
        while waiters:
            cap, fut = waiters[0]
            if fut.done():
                waiters.popleft()
            elif self.in_flight < cap:
                waiters.popleft()
                self.in_flight += 1
                fut.set_result(None)
            else:
                break

    def count_admission(self, now: float) -> None:
        """Count one admission and sweep idle logs now and then.

        A sweep runs every max(256, logs kept by the last sweep) admissions, or after 256
        admissions once a minute has passed since the last one. It costs O(stored logs), but its
        interval grows with them and a log outlives its last use by only period + margin, so each
        log is scanned a few times at most: amortised O(1) per admission, while stored logs stay
        within a small multiple of the live ones (plus what expired since the last sweep).
        """
        self.admissions += 1
        if self.admissions < _SWEEP_MIN or (
            self.admissions < self.sweep_at and now < self.swept_at + _SWEEP_AFTER
        ):
            return
        for ident, log in list(self.logs.items()):
            log.purge(now)
            if log.idle():
                del self.logs[ident]
        self.admissions = 0
        self.sweep_at = max(_SWEEP_MIN, len(self.logs))
        self.swept_at = now


# Keyed weakly by loop so that nothing loop-bound outlives its loop; values never refer to it.
_REGISTRY: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Account]] = (
    weakref.WeakKeyDictionary()
)
_REGISTRY_LOCK: Final = threading.Lock()  # loops in several threads may register at once


def _accounts(loop: asyncio.AbstractEventLoop) -> dict[str, _Account]:
    accounts = _REGISTRY.get(loop)
    if accounts is None:
        with _REGISTRY_LOCK:
            accounts = _REGISTRY.setdefault(loop, {})
    return accounts


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(_Deadline())


async def _await_grant(
    fut: asyncio.Future[None],
    deadline: float | None,
    leave: Callable[[], None],
    give_back: Callable[[], None],
) -> None:
    """Wait until ``fut`` is granted; on failure give the slot back, or re-pump the queue.

    A future that is done without being granted (cancelled, deadline) counts as gone from its
    queue; ``leave`` re-pumps so the waiters behind it are not held back.
    """
    loop = asyncio.get_running_loop()
    timer = None if deadline is None else loop.call_at(deadline, _expire, fut)
    try:
        await fut
    except BaseException:
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            give_back()  # granted, but a cancellation landed before this task resumed
        else:
            leave()
        raise
    finally:
        if timer is not None:
            timer.cancel()


def _charge_order(charge: Charge) -> tuple[str, float, int, str, tuple[str, ...], bytes]:
    rule = charge.rule
    return (rule.name, rule.period, rule.limit, rule.scope, tuple(sorted(rule.ignore)), charge.key)


class _Admission:
    """One pass through the gate: the context manager and, once entered, the ticket."""

    __slots__ = ("_account", "_acct", "_cap", "_charges", "_margin", "_policy", "_state", "_taken")

    def __init__(
        self, account: str, charges: tuple[Charge, ...], policy: WaitPolicy, cap: int, margin: float
    ) -> None:
        self._account = account
        self._charges = charges
        self._policy = policy
        self._cap = cap
        self._margin = margin
        self._state = "new"  # new → entering → open → closed
        self._taken: list[tuple[_Log, Rule]] = []
        self._acct: _Account | None = None

    async def __aenter__(self) -> _Admission:
        if self._state != "new":
            raise RuntimeError("a gate admission can be entered only once")
        self._state = "entering"
        loop = asyncio.get_running_loop()
        now = loop.time()
        accounts = _accounts(loop)
        acct = accounts.get(self._account)
        if acct is None:
            acct = accounts[self._account] = _Account()
        self._acct = acct
        policy = self._policy
        deadline = None if policy.max_wait is None else now + policy.max_wait
        if policy.on_limit == "raise" or policy.max_wait is not None:
            self._check_estimates(acct, now)
        try:
            for charge in self._charges:
                log = acct.log((charge.rule, charge.key))  # fetched only now: never a stale log
                if not log.try_take(loop.time()):
                    fut = loop.create_future()
                    log.waiters.append(fut)
                    log.pump()  # arms the timer for the oldest stamp
                    await self._wait(acct, fut, deadline, log.pump, log.release, log, charge.rule)
                self._taken.append((log, charge.rule))
            if not acct.try_take(self._cap):
                fut = loop.create_future()
                acct.waiters.append((self._cap, fut))
                await self._wait(acct, fut, deadline, acct.pump, acct.release, None, None)
        except BaseException:
            self._give_back()
            self._state = "closed"
            raise
        self._state = "open"
        return self

    def _check_estimates(self, acct: _Account, now: float) -> None:
        worst, worst_rule = 0.0, ""
        for charge in self._charges:
            log = acct.logs.get((charge.rule, charge.key))
            if log is not None:
                wait = log.estimate(now, charge.rule.period + self._margin)
                if wait > worst:
                    worst, worst_rule = wait, charge.rule.name
        if worst > 0 and (
            self._policy.on_limit == "raise"
            or (self._policy.max_wait is not None and worst > self._policy.max_wait)
        ):
            raise RateLimitedError(worst, worst_rule)

    async def _wait(
        self,
        acct: _Account,
        fut: asyncio.Future[None],
        deadline: float | None,
        leave: Callable[[], None],
        give_back: Callable[[], None],
        log: _Log | None,
        rule: Rule | None,
    ) -> None:
        acct.waiting += 1
        try:
            await _await_grant(fut, deadline, leave, give_back)
        except _Deadline:
            if log is None or rule is None:
                # Concurrency frees whenever some request completes: no estimate is possible.
                raise RateLimitedError(0.0, CONCURRENCY_RULE) from None
            now = asyncio.get_running_loop().time()
            raise RateLimitedError(
                log.estimate(now, rule.period + self._margin), rule.name
            ) from None
        finally:
            acct.waiting -= 1

    def _give_back(self) -> None:
        taken, self._taken = self._taken, []
        for log, _rule in taken:
            log.release()

    def refund(self) -> None:
        """Release the rate slots now: the request surely never reached SMSC.

        Raises:
            RuntimeError: When called outside the ``async with`` block.
        """
        if self._state != "open":
            raise RuntimeError("refund() is only possible inside the admitted block")
        self._give_back()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        acct = self._acct
        assert acct is not None  # set by __aenter__
        now = asyncio.get_running_loop().time()
        self._state = "closed"
        acct.release()
        taken, self._taken = self._taken, []
        for log, rule in taken:
            log.stamp(now + rule.period + self._margin)
        acct.count_admission(now)


class LocalGate:
    """The in-process :class:`Gate`: state shared per event loop and account.

    Every ``LocalGate`` in one event loop shares the state of an account, so two clients of one
    login in one process share its 14 slots and its windows. Other processes using the same
    login are not seen; a shared backend would implement :class:`Gate` for that.
    """

    __slots__ = ("_margin",)

    def __init__(self, *, margin: float = 1.0) -> None:
        """Create a gate.

        Args:
            margin: Seconds added to every window, for clock granularity at SMSC.

        Raises:
            ValueError: When ``margin`` is negative or not finite.
        """
        if not (margin >= 0 and math.isfinite(margin)):
            raise ValueError(f"margin must be a finite number of seconds >= 0, got {margin!r}")
        self._margin = float(margin)

    @property
    def margin(self) -> float:
        """Seconds added to every rule's period."""
        return self._margin

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> AbstractAsyncContextManager[Ticket]:
        """Return a context manager that admits one request to SMSC.

        Entering it first reserves a slot in every charge's window (in a fixed global order, so
        requests with overlapping charges cannot deadlock), then waits for a concurrency slot
        (``in_flight < max_in_flight``, FIFO). Leaving it frees the concurrency slot and stamps
        the reservations with the completion time, even when the block raised, unless
        ``ticket.refund()`` was called. A cancelled wait leaves nothing reserved.

        Args:
            account: Opaque account key (host + login, never the password).
            charges: What the request counts against, usually from :func:`charges_for`.
            policy: How long the caller accepts to wait.
            max_in_flight: Concurrency cap for this caller; at most :data:`MAX_IN_FLIGHT`.

        Returns:
            An async context manager yielding a :class:`Ticket`.

        Raises:
            ValueError: When ``max_in_flight`` is below 1.
        """
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        unique = {(c.rule, c.key): c for c in charges}
        ordered = tuple(sorted(unique.values(), key=_charge_order))
        cap = min(max_in_flight, MAX_IN_FLIGHT)
        return _Admission(account, ordered, policy, cap, self._margin)

    def stats(self, account: str) -> GateStats:
        """Return a snapshot of ``account``'s state in the running loop.

        Raises:
            RuntimeError: When no event loop is running.
        """
        acct = _accounts(asyncio.get_running_loop()).get(account)
        if acct is None:
            return GateStats(in_flight=0, waiting=0, live_keys=0)
        return GateStats(in_flight=acct.in_flight, waiting=acct.waiting, live_keys=len(acct.logs))


# --- identity ----------------------------------------------------------------------------------


def _digest(parts: Iterable[str]) -> bytes:
    # Length-prefixed UTF-8, so ("ab", "c") and ("a", "bc") can never collide.
    h = hashlib.blake2b(digest_size=16, person=b"smsc_async.lim1")
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


def _identity(endpoint: str, rule: Rule, fields: Mapping[str, str]) -> bytes:
    if rule.scope == "any":
        return b""
    if rule.scope == "message":
        # Conservative normalisation: "123," and "123", "+7 999" and "7999" are one message.
        msg_id = fields.get("id", "").strip().rstrip(",").strip()
        phone = "".join(ch for ch in fields.get("phone", "") if ch.isdigit())
        return _digest(("message", msg_id, phone))
    drop = _NOT_IDENTITY | rule.ignore
    parts = ["identical", endpoint]
    for name, value in sorted((k, v) for k, v in fields.items() if k not in drop):
        parts += (name, value)
    return _digest(parts)


def charges_for(endpoint: str, fields: Mapping[str, str]) -> tuple[Charge, ...]:
    """Return the charges a request to ``endpoint`` with ``fields`` must pass.

    For ``"identical"`` rules the key digests the endpoint name and the sorted form fields minus
    credentials, ``fmt``, ``charset`` and the rule's ``ignore`` set; for ``"message"`` rules it
    digests the message ``id`` and ``phone``; ``"any"`` rules use one key, ``b""``.

    Args:
        endpoint: Endpoint name, a key of :data:`RULES`; unknown names get :data:`DEFAULT_RULES`.
        fields: The form fields as sent (strings).

    Returns:
        One :class:`Charge` per rule of the endpoint.
    """
    rules = RULES.get(endpoint, DEFAULT_RULES)
    return tuple(Charge(rule, _identity(endpoint, rule, fields)) for rule in rules)


# --- the table (smsc-api.md §3.4a) ------------------------------------------------------------


def _three_identical(endpoint: str) -> tuple[Rule, ...]:
    return (Rule(f"{endpoint}.identical", 3),)


_STATUS_MESSAGE: Final = Rule("status.message", 5, scope="message")

RULES: Mapping[str, tuple[Rule, ...]] = MappingProxyType(
    {
        # The client puts its own message id on every send; SMSC's duplicate check is about the
        # content, so neither the id nor the fields that only shape the answer (cost=2/3, op,
        # err) may make two identical sends look different.
        "send": (Rule("send.identical", 1, ignore=frozenset({"id", "cost", "op", "err"})),),
        "send_cost": (Rule("cost.identical", 5),),
        "status": (_STATUS_MESSAGE,),
        # Conservative: deleting a message asks status.php about that same message, so it counts
        # against the same per-message window as the status queries.
        "status_delete": (_STATUS_MESSAGE,),
        "status_mass": (Rule("status.mass", 1, scope="any"),),
        "balance": (Rule("balance.any", 10, scope="any"),),
        **{
            name: _three_identical(name)
            for name in ("phones", "mails", "senders", "get", "templates", "users", "get_mnp")
        },
        # The get_stat page says "more than 3 requests per minute": any, stricter than the table.
        "get_stat": (Rule("get_stat.any", 3, scope="any"),),
        "info_operator": (
            Rule("info_operator.identical", 3),
            Rule("info_operator.any", 100, scope="any"),
        ),
        "receive_phones": (Rule("receive_phones.identical", 2),),
        "jobs": (Rule("jobs.identical", 1),),
        "downloads": (Rule("downloads.identical", 3),),
    }
)
"""The rate rules of each endpoint name (per login), from smsc-api.md §3.4a."""

# Gap: limits of scripts not in the table are not documented; 3 identical per minute is the most
# common published rule, so unknown endpoints get it (the key includes the endpoint name).
DEFAULT_RULES: tuple[Rule, ...] = (Rule("default.identical", 3),)
"""Rules for endpoint names :data:`RULES` does not list."""
