"""The limits gate: keep every request inside SMSC's error-9 rules before it is sent.

SMSC answers error 9 when, per login, 15 or more requests are in flight at once, or when a
script's "more than N (identical | any) requests per minute" rule is broken (smsc-api.md §3.4,
§3.4a). The gate makes the client wait (or refuse with :class:`RateLimitedError`) instead. The
rules, the identity of a request and the wait policy live in :mod:`smsc_async._rules`.

How a rate rule is counted. "N per minute" means no 60-second window ever holds more than N
requests *as SMSC sees them*, and a request reaches SMSC at some unknown moment between its start
and its completion. So each rule keeps a sliding-window log per identity key: a request occupies a
slot from the moment it is admitted until ``completion + period + margin`` (while in flight, it
simply occupies), and a request is admitted only when fewer than N slots are occupied. For any
N + 1 requests of one key, the one admitted last found a slot already expired, so its start is at
least ``period + margin`` after the completion of another one of them: no window of ``period``
seconds can ever see N + 1 arrivals, whatever the latency. A leaky bucket (aiolimiter) or spacing
stamped at start cannot promise this.

What is shared. An account's counts, its "core" (the requests in flight for the cap and, per
(rule, key), the slots in flight and the expiry stamps), change only under the core's lock, so
the limits hold whatever threads do. Loops on the standard clock (``BaseEventLoop.time``, that is
``time.monotonic()``: their stamps compare) share one core per account for the whole process:
every client of a login and host, in any thread and across ``asyncio.run`` calls, shares its 14
slots and its windows. A loop with a clock of its own (looptime's virtual time, or another loop
implementation such as uvloop) has a core of its own per account, as its stamps mean nothing
elsewhere. Cores live as long as the process (shared) or the loop; idle (rule, key) logs in them
are evicted by sweeps, so memory follows what is live.

What stays per loop. Futures and timers belong to their loop, so each loop keeps its own FIFOs of
waiters (one for the cap, one per (rule, key)) in a registry keyed weakly by the loop; the core
points at those queues only while they hold waiters. Every waiter draws a number from the core,
and a free slot goes to the lowest number among the heads of running loops' queues: strict FIFO
within a loop, and across loops as well, though best effort there (a stopped loop holds no one
back, and a hand-off to another loop costs one iteration of it). No thread touches another loop:
whoever frees a slot, or finds one free, that another loop's waiter is first in line for wakes
that loop with ``call_soon_threadsafe`` (at most one wake-up on its way per queue), and it
serves its queue itself. No polling either: a waiter is woken when a slot is freed (completion,
refund) or when the oldest stamp of its key expires, by one ``loop.call_at`` timer per loop and
key armed while that loop waits there (a new, earlier stamp wakes it to re-arm). All time is the
loop clock, so tests run on virtual time.

Loops that go away. A request frees its slots in its exit, but a loop closed with requests inside
(``loop.close()`` with their tasks pending, an ``asyncio.run`` whose shutdown was interrupted)
never runs those exits, and the garbage collector may run them late or never. So every loop's
account keeps its admissions that hold slots (a set: O(1) per admission), and when someone must
wait (a queue that cannot serve its head, an estimate that would refuse), a new loop comes by, or
a sweep runs, the accounts of loops found closed are reaped: O(loops). A closed loop never runs
again, so its requests cannot be running: those inside their block may have reached SMSC, so
their rate slots are stamped as completed at that moment (the margin covers bytes still on the
wire); those still at the gate never started, so theirs are given back, with any slot already
handed to them. Waiters queued before the close learn of it through a watch object the loop
holds in its timer heap, due never: ``close()`` discards it, and its finaliser wakes them to
reap. A loop stopped but not closed may run again, so its requests keep their slots until it is
closed or collected; exits the collector runs out of their loop put the counts right and wake
the waiters through their loops.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import math
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Protocol

from smsc_async._numbers import seconds
from smsc_async._rules import (
    CONCURRENCY_RULE,
    DEFAULT_RULES,
    MAX_IN_FLIGHT,
    RULES,
    Charge,
    Rule,
    WaitPolicy,
    charges_for,
)
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

_SWEEP_MIN: Final = 256  # admissions between sweeps of idle keys, at least
_SWEEP_AFTER: Final = 60.0  # seconds after which 256 admissions are enough for a sweep


@dataclass(frozen=True, slots=True)
class GateStats:
    """A snapshot of one account's gate state, for tests and benchmarks.

    Attributes:
        in_flight: Requests holding a concurrency slot: in the whole process when the running
            loop is on the standard clock (shared state), in this loop otherwise.
        waiting: Admissions of the running loop now blocked (by a rate rule or by the cap).
        live_keys: (rule, key) logs stored, in the same scope as ``in_flight``; idle ones are
            evicted.
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
        timeout: float | None = None,
    ) -> AbstractAsyncContextManager[Ticket]:
        """Return a context manager that waits for the slots and holds them during a request.

        ``timeout`` is the longest the request may run once admitted, in seconds (``None``:
        not bounded), for gates that lease their slots (a crashed holder's slots come back).
        """
        ...


_Loop = asyncio.AbstractEventLoop
_LogKey = tuple[Rule, bytes]
_Head = tuple[int, int]  # (number drawn, cap) of a queue's first waiter; cap 0 for rate queues


class _Deadline(Exception):
    """Set on a waiter's future when its ``max_wait`` runs out."""


_NO_HEADS: Final[dict[_Queue, _Head]] = {}  # never written: see _Slots.heads and _Queue.join


class _Slots:
    """The sliding-window log of one (rule, key) in a core: slots in flight and expiry stamps.

    ``heads`` maps each loop's queue of waiters for this key, while not empty, to its head.
    """

    __slots__ = ("heads", "in_flight", "key", "limit", "rule", "stamps")

    def __init__(self, rule: Rule, key: bytes) -> None:
        self.rule = rule
        self.key = key
        self.limit = rule.limit
        self.in_flight = 0
        self.stamps: list[float] = []  # expiry times (completion + period + margin), sorted
        # Most keys never have a waiter: they share one empty table until join() needs their own.
        self.heads: dict[_Queue, _Head] = _NO_HEADS

    def purge(self, now: float) -> None:
        stamps = self.stamps
        if stamps and stamps[0] <= now:
            del stamps[: bisect.bisect_right(stamps, now)]

    def idle(self) -> bool:
        return not (self.in_flight or self.stamps or self.heads)

    def try_take(self, now: float) -> bool:
        self.purge(now)
        if self.heads or self.in_flight + len(self.stamps) >= self.limit:
            return False
        self.in_flight += 1
        return True

    def estimate(self, now: float, hold: float) -> float:
        """Return a lower bound of the wait before a newcomer gets a slot (0 when free now).

        Slots free in stamp order; a slot still in flight frees at ``completion + hold`` with
        the completion unknown but not before now, so ``now + hold`` stands for it. A slot freed
        for someone queued ahead (in any loop) is busy again for at least ``hold``.
        """
        self.purge(now)
        queued = sum(not fut.done() for queue in self.heads for _, _, fut in queue.queue)
        need = queued + self.in_flight + len(self.stamps) - self.limit
        if need < 0:
            return 0.0
        rounds, index = divmod(need, self.limit)
        first = self.stamps[index] if index < len(self.stamps) else now + hold
        return max(first + rounds * hold - now, 0.0)


class _Core:
    """One account's counts, for the loops of its scope; all of it is guarded by ``lock``."""

    __slots__ = (
        "admissions",
        "cap_heads",
        "drawn",
        "expiry_logs",
        "expiry_times",
        "holders",
        "in_flight",
        "lock",
        "logs",
        "sweep",
    )

    def __init__(self) -> None:
        # Reentrant: a request left inside the gate of a closed loop is finalised by the garbage
        # collector, in whatever thread allocates, maybe one holding the lock (see _Admission).
        self.lock = threading.RLock()
        self.in_flight = 0
        # Every loop's account here, with what its requests hold, until its loop is found closed.
        self.holders: set[_LoopAccount] = set()
        self.cap_heads: dict[_Queue, _Head] = {}  # loops' queues for the cap, while not empty
        # Per rule, then per key: no (rule, key) pair is kept for each of thousands of keys.
        self.logs: dict[Rule, dict[bytes, _Slots]] = {}
        # Every stamp's time and log, in stamping order: the logs to look at as time passes.
        self.expiry_times: deque[float] = deque()
        self.expiry_logs: deque[_Slots] = deque()
        self.drawn = 0  # the numbers that order waiters across loops
        self.admissions = 0
        self.sweep = (_SWEEP_MIN, -math.inf)  # admissions before the next sweep; last sweep

    def slots(self, rule: Rule, key: bytes) -> _Slots:
        table = self.logs.get(rule)
        if table is None:
            table = self.logs[rule] = {}
        slots = table.get(key)
        if slots is None:
            slots = table[key] = _Slots(rule, key)
        return slots

    def find(self, rule: Rule, key: bytes) -> _Slots | None:
        table = self.logs.get(rule)
        return None if table is None else table.get(key)

    def stored(self) -> int:
        """Return how many (rule, key) logs are kept."""
        return sum(len(table) for table in self.logs.values())

    def evict(self, slots: _Slots) -> None:
        table = self.logs.get(slots.rule)
        if table is not None and slots.idle() and table.get(slots.key) is slots:
            del table[slots.key]
            if not table:
                del self.logs[slots.rule]

    def stamp(self, slots: _Slots, expiry: float) -> None:
        """Record a stamp in ``slots``, due to expire at ``expiry``."""
        if slots.stamps:
            bisect.insort(slots.stamps, expiry)
        else:
            slots.stamps = [expiry]  # sized for one: most keys never hold more
        self.expiry_times.append(expiry)
        self.expiry_logs.append(slots)

    def reap(self, wake: list[_Queue]) -> bool:
        """Take back the slots held by requests of closed (or collected) loops; tell if any.

        Under the lock, in a running loop: when someone must wait (a queue that cannot serve its
        head, an estimate that would refuse), when a loop comes by for the first time, and at
        sweeps. O(loops with an account here); it also forgets the accounts of closed loops.
        """
        freed = False
        for where in list(self.holders):
            loop = where.loop_ref()
            if loop is None or loop.is_closed():
                self.holders.discard(where)
                freed = where.reclaim(wake) or freed
        return freed

    def count_admission(self, now: float, wake: list[_Queue]) -> None:
        """Count one admission and drop the logs that went idle.

        Every stamp is queued with its log in stamping order; the queue's head is looked at on
        each admission, so a log whose last stamp expired goes at the next admission: O(1)
        amortised, and the table holds only live logs. Expiries are in order as long as every
        rule of the account has the same period and margin (SMSC's rules are all per minute);
        should they differ, a log waits behind a later expiry for at most the difference.

        A full sweep still runs every max(256, logs kept by the last sweep) admissions, or
        after 256 admissions once a minute has passed since the last one, for logs that left
        the queue while busy: O(stored logs) per sweep, amortised O(1) per admission. It reaps
        closed loops too (see ``reap``), so accounts of loops gone do not pile up.
        """
        times, logs = self.expiry_times, self.expiry_logs
        while times and times[0] <= now:
            times.popleft()
            slots = logs.popleft()
            slots.purge(now)
            self.evict(slots)
        self.admissions += 1
        sweep_at, swept_at = self.sweep
        if self.admissions < _SWEEP_MIN or (
            self.admissions < sweep_at and now < swept_at + _SWEEP_AFTER
        ):
            return
        for table in list(self.logs.values()):
            for slots in list(table.values()):
                slots.purge(now)
                self.evict(slots)
        self.reap(wake)
        self.admissions = 0
        self.sweep = (max(_SWEEP_MIN, self.stored()), now)


class _Queue:
    """One loop's FIFO of waiters for one resource of a core: the cap, or one (rule, key).

    Entries are ``(number drawn, cap, future)``. Only its loop's thread changes it (under the
    core lock), but for clearing it once its loop is closed; other threads only read it.
    """

    __slots__ = ("core", "loop_ref", "pending", "queue", "when")

    def __init__(self, loop: _Loop, core: _Core) -> None:
        self.loop_ref = weakref.ref(loop)  # never a strong reference: the registry is weak
        self.core = core
        self.queue: deque[tuple[int, int, asyncio.Future[None]]] = deque()
        self.pending = False  # a call_soon_threadsafe(pump) is on its way
        self.when = math.inf  # when its expiry timer fires (rate queues only)

    def has_room(self, cap: int) -> bool:
        raise NotImplementedError

    def take(self) -> None:
        raise NotImplementedError

    def pump(self) -> None:
        raise NotImplementedError

    def join(self, heads: dict[_Queue, _Head], cap: int) -> asyncio.Future[None]:
        """Queue a new waiter (under the core lock); ``pump`` next, out of the lock."""
        loop = self.loop_ref()
        assert loop is not None  # the running loop
        fut = loop.create_future()
        self.core.drawn += 1
        self.queue.append((self.core.drawn, cap, fut))
        heads.setdefault(self, (self.core.drawn, cap))
        return fut

    def serve(self, heads: dict[_Queue, _Head], wake: list[_Queue]) -> None:
        """Hand free slots to this queue's waiters in order (under the core lock)."""
        queue, reaped = self.queue, False
        while queue:
            drawn, cap, fut = queue[0]
            if fut.done():
                queue.popleft()
                continue
            heads[self] = (drawn, cap)
            if not self.has_room(cap):
                if reaped or not self.core.reap(wake):  # held by a closed loop? Then look again.
                    break
                reaped = True
                continue
            if len(heads) > 1 and _first(heads, wake) is not self:
                break
            queue.popleft()
            self.take()
            fut.set_result(None)
        # Waiters that left (cancelled, deadline) stay queued until they reach the head: removing
        # each from the middle would make a mass cancellation quadratic. Every leaver re-pumps,
        # so a queue never starts with a leaver once control returns to the loop.
        if not queue:
            heads.pop(self, None)
        if heads:
            _hand_on(heads, None, wake, [])


def _first(heads: dict[_Queue, _Head], wake: list[_Queue]) -> _Queue | None:
    """Return the queue whose head drew first among running loops (under the core lock).

    Queues of closed loops leave ``heads`` (``_deliver`` lets their futures go, out of the
    lock); stopped loops are woken once (they pump when they run again) but hold no one back.
    """
    first: _Queue | None = None
    first_drawn = 0
    dead: list[_Queue] = []
    for queue, (drawn, _cap) in heads.items():
        loop = queue.loop_ref()
        if loop is None or loop.is_closed():
            dead.append(queue)
        elif not loop.is_running():
            _wake(queue, None, wake, [])
        elif first is None or drawn < first_drawn:
            first, first_drawn = queue, drawn
    for queue in dead:
        del heads[queue]
        wake.append(queue)
    return first


def _wake(queue: _Queue, here: _Loop | None, wake: list[_Queue], direct: list[_Queue]) -> None:
    """Have ``queue`` pumped: directly if it is of ``here``, the loop running this code."""
    if here is not None and queue.loop_ref() is here:
        direct.append(queue)
    elif not queue.pending:
        queue.pending = True
        wake.append(queue)


def _hand_on(
    heads: dict[_Queue, _Head],
    here: _Loop | None,
    wake: list[_Queue],
    direct: list[_Queue],
) -> None:
    """Wake the queue first in line if a slot is free for it (under the core lock)."""
    first = _first(heads, wake)
    if first is not None and first.has_room(heads[first][1]):
        _wake(first, here, wake, direct)


def _wake_live(queues: Iterable[_Queue], wake: list[_Queue]) -> None:
    """Have the queues of running or stopped loops pumped, to look again: reads only.

    For code out of any loop, maybe run by the garbage collector while this thread holds the
    lock mid-operation: it must not change ``heads`` (``_first`` does, dropping closed loops).
    """
    for queue in queues:
        loop = queue.loop_ref()
        if loop is not None and not loop.is_closed():
            _wake(queue, None, wake, [])


def _deliver(wake: list[_Queue], direct: Sequence[_Queue] = ()) -> None:
    """Pump queues of other loops through their loop, then this loop's ones (lock released)."""
    for queue in wake:
        loop = queue.loop_ref()
        if loop is None or loop.is_closed():
            queue.queue.clear()  # dropped from its core already; nothing will ever pump it
            continue
        with contextlib.suppress(RuntimeError):  # closed meanwhile: dropped when next seen
            loop.call_soon_threadsafe(queue.pump)
    for queue in direct:
        queue.pump()


class _KeyQueue(_Queue):
    """One loop's waiters for one (rule, key), and that loop's timer for its oldest stamp."""

    __slots__ = ("slots", "timer", "waits")

    def __init__(
        self,
        loop: _Loop,
        core: _Core,
        slots: _Slots,
        waits: dict[_LogKey, _KeyQueue],
    ) -> None:
        super().__init__(loop, core)
        self.slots = slots
        self.waits = waits  # the loop's rate queues, to leave when empty
        self.timer: asyncio.TimerHandle | None = None

    def has_room(self, cap: int) -> bool:
        slots = self.slots
        return slots.in_flight + len(slots.stamps) < slots.limit

    def take(self) -> None:
        self.slots.in_flight += 1

    def pump(self, now: float | None = None) -> None:
        """Hand free slots over, re-arm the timer, wake the next loop, evict when idle."""
        loop = self.loop_ref()
        if loop is None or asyncio._get_running_loop() is not loop:
            return  # a waiter finalised out of its (closed) loop: see _Admission
        slots, wake = self.slots, list[_Queue]()
        with self.core.lock:
            self.pending = False
            slots.purge(loop.time() if now is None else now)
            self.serve(slots.heads, wake)
            when = slots.stamps[0] if self.queue and slots.stamps else math.inf
            if when != self.when or (self.timer is None and when != math.inf):
                if self.timer is not None:
                    self.timer.cancel()
                self.timer = None if when == math.inf else loop.call_at(when, self._fire, when)
                self.when = when
            self.core.evict(slots)
        ident = (slots.rule, slots.key)
        if not self.queue and self.waits.get(ident) is self:
            del self.waits[ident]
        _deliver(wake)

    def _fire(self, when: float) -> None:
        with self.core.lock:
            self.timer, self.when = None, math.inf
        # The loop may run a timer up to its clock resolution early; the stamp is due anyway.
        self.pump(max(asyncio.get_running_loop().time(), when))


class _LoopAccount(_Queue):
    """An account's state in one loop: its core, its cap queue, its rate queues, its holders.

    ``held`` is the loop's admissions that may hold slots (from their first slot to their exit),
    for the day the loop is found closed with some of them inside: then ``reclaim`` frees their
    slots and marks the account ``dead``, and the admissions' own exits, should the garbage
    collector ever run them, do nothing.
    """

    __slots__ = ("dead", "held", "waiting", "waits")

    def __init__(self, loop: _Loop, core: _Core) -> None:
        super().__init__(loop, core)
        self.waits: dict[_LogKey, _KeyQueue] = {}
        self.waiting = 0  # admissions of this loop blocked at the gate
        self.held: set[_Admission] = set()
        self.dead = False

    def reclaim(self, wake: list[_Queue]) -> bool:
        """Free what this account's requests hold, their loop being closed; tell if anything.

        Under the lock, in another (running) loop. A closed loop never runs again, so none of
        its requests can still be running: requests inside their block may have reached SMSC, so
        their rate slots are stamped as completed now; requests still at the gate never started,
        so theirs are given back, with any slot already handed to them.
        """
        self.dead = True
        held, self.held = self.held, set()
        if not held:
            return False
        core, now = self.core, asyncio.get_running_loop().time()  # the standard clock
        touched: list[_Slots] = []
        cap = False
        for admission in held:
            cap = admission.reclaimed(core, now, touched) or cap
        if cap and core.cap_heads:
            _hand_on(core.cap_heads, None, wake, [])
        for slots in touched:
            if slots.heads:
                _wake_live(slots.heads, wake)  # each re-arms its timer, or is served
            else:
                core.evict(slots)
        return True

    def alert(self) -> None:
        """Have the live loops waiting where this one holds or waits look again (``_Watch``).

        This loop was closed or collected: the first pump of a waiter that finds no room reaps
        it (``_Core.reap``). Out of any loop, maybe in the garbage collector: reads only.
        """
        core, wake = self.core, list[_Queue]()
        with core.lock:
            if self.dead:
                return
            keys = [queue.slots for queue in self.waits.values()]
            for admission in list(self.held):  # a copy: the collector may finalise one meanwhile
                keys.extend(admission.holds())
            if self.held or self.queue:
                _wake_live(core.cap_heads, wake)
            for slots in keys:
                _wake_live(slots.heads, wake)
        _deliver(wake)

    def has_room(self, cap: int) -> bool:
        return self.core.in_flight < cap

    def take(self) -> None:
        self.core.in_flight += 1

    def pump(self) -> None:
        if asyncio._get_running_loop() is not self.loop_ref():
            return  # a waiter finalised out of its (closed) loop: see _Admission
        wake: list[_Queue] = []
        with self.core.lock:
            self.pending = False
            self.serve(self.core.cap_heads, wake)
        _deliver(wake)


# Keyed weakly by loop so that nothing loop-bound outlives its loop; values never refer to it.
_REGISTRY: weakref.WeakKeyDictionary[_Loop, dict[str, _LoopAccount]] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK: Final = threading.Lock()  # loops in several threads may register at once
_SHARED: dict[str, _Core] = {}  # the cores of loops on the standard clock; no loop when idle
_SHARED_LOCK: Final = threading.Lock()


def _shares_clock(loop: _Loop) -> bool:
    """Tell whether ``loop`` runs on the standard clock, ``time.monotonic()``."""
    return type(loop).time is asyncio.BaseEventLoop.time


class _Watch:
    """Sits in a shared-clock loop's timer heap, due never, to learn when the loop goes away.

    ``loop.close()`` discards pending callbacks (documented), and so does the collection of an
    abandoned loop: then CPython frees this object at once, and its finaliser alerts the loop's
    accounts, so that waiters of other loops reap what the loop's requests held. No polling.
    """

    __slots__ = ("accounts",)

    def __init__(self, accounts: dict[str, _LoopAccount]) -> None:
        self.accounts = accounts  # never the loop: nothing here may keep it alive

    def __del__(self) -> None:
        if not sys.is_finalizing():
            for where in list(self.accounts.values()):
                where.alert()


def _never(watch: _Watch) -> None:
    """The watch's callback; due at the end of time, it never runs."""


def _loop_account(loop: _Loop, account: str) -> _LoopAccount:
    accounts = _REGISTRY.get(loop)
    if accounts is None:
        with _REGISTRY_LOCK:
            accounts = _REGISTRY.get(loop)
            if accounts is None:
                accounts = _REGISTRY[loop] = {}
                if _shares_clock(loop):  # an empty context: keep none of the caller's values
                    loop.call_at(math.inf, _never, _Watch(accounts), context=contextvars.Context())
    state = accounts.get(account)
    if state is None:
        core = _Core()
        if _shares_clock(loop):
            with _SHARED_LOCK:
                core = _SHARED.setdefault(account, core)
        state = accounts[account] = _LoopAccount(loop, core)
        wake: list[_Queue] = []
        with core.lock:
            core.reap(wake)  # a new loop comes by: take back what closed ones left inside
            core.holders.add(state)
        _deliver(wake)
    return state


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
    """One pass through the gate: the context manager and, once entered, the ticket.

    From its first slot to its exit, an admission is in its loop account's ``held``. Should its
    loop be closed with the request inside (tasks never resumed: ``loop.close()`` without
    cancelling them, an interrupted ``asyncio.run`` shutdown), another loop takes its slots back
    (``_LoopAccount.reclaim``), without the garbage collector. Should the collector finalise it
    instead, out of its loop and maybe in a thread that holds the core lock mid-operation, the
    counts are put right (safe under the reentrant lock) and waiters woken through their loops,
    with no hand-on or eviction; or nothing at all, when its slots were taken back already.
    Every such release happens under the lock, after the check of ``dead``.
    """

    __slots__ = (
        "_account",
        "_cap",
        "_charges",
        "_grant",
        "_margin",
        "_policy",
        "_state",
        "_taken",
        "_where",
    )

    def __init__(
        self, account: str, charges: tuple[Charge, ...], policy: WaitPolicy, cap: int, margin: float
    ) -> None:
        self._account = account
        self._charges = charges
        self._policy = policy
        self._cap = cap
        self._margin = margin
        self._state = "new"  # new → entering → open → closed
        self._taken: list[tuple[_Slots, Rule]] = []
        # While it waits: its future and what it waits for (None: the cap), as a grant is a slot
        # held before the task resumes. Never the loop: held admissions must not keep it alive.
        self._grant: tuple[asyncio.Future[None], _Slots | None] | None = None
        self._where: _LoopAccount | None = None

    async def __aenter__(self) -> _Admission:
        if self._state != "new":
            raise RuntimeError("a gate admission can be entered only once")
        self._state = "entering"
        loop = asyncio.get_running_loop()
        now = loop.time()
        where = self._where = _loop_account(loop, self._account)
        core, policy = where.core, self._policy
        deadline = None if policy.max_wait is None else now + policy.max_wait
        if policy.on_limit == "raise" or policy.max_wait is not None:
            self._check_estimates(core, now)
        charges, taken = self._charges, self._taken
        with core.lock:  # the fast path, under one lock: every slot free and nobody waiting
            where.held.add(self)
            for charge in charges:
                slots = core.slots(charge.rule, charge.key)  # fetched only now: never stale
                if not slots.try_take(now):
                    break
                taken.append((slots, charge.rule))
            else:
                if not core.cap_heads and core.in_flight < self._cap:
                    core.in_flight += 1
                    self._state = "open"
                    return self
        try:
            for charge in charges[len(taken) :]:
                await self._take_slot(loop, where, charge, deadline)
            with core.lock:
                fut = None
                if core.cap_heads or core.in_flight >= self._cap:
                    fut = where.join(core.cap_heads, self._cap)
                    self._grant = (fut, None)
                else:
                    core.in_flight += 1
            if fut is not None:
                await self._wait(fut, deadline, where, None)
        except BaseException:
            self._free(False, False, done=True)
            raise
        self._state = "open"
        return self

    async def _take_slot(
        self,
        loop: _Loop,
        where: _LoopAccount,
        charge: Charge,
        deadline: float | None,
    ) -> None:
        core, ident = where.core, (charge.rule, charge.key)
        with core.lock:
            slots, queue = core.slots(charge.rule, charge.key), None
            if not slots.try_take(loop.time()):
                queue = where.waits.get(ident)
                if queue is None or queue.slots is not slots:
                    queue = where.waits[ident] = _KeyQueue(loop, core, slots, where.waits)
                if slots.heads is _NO_HEADS:
                    slots.heads = {}
                fut = queue.join(slots.heads, 0)
                self._grant = (fut, slots)
        if queue is not None:
            await self._wait(fut, deadline, queue, slots)
        self._taken.append((slots, charge.rule))

    def _check_estimates(self, core: _Core, now: float) -> None:
        wake: list[_Queue] = []
        with core.lock:
            worst, worst_rule = self._worst(core, now)
            if self._refused(worst) and core.reap(wake):  # slots of closed loops, back first
                worst, worst_rule = self._worst(core, now)
        _deliver(wake)
        if self._refused(worst):
            raise RateLimitedError(worst, worst_rule)

    def _worst(self, core: _Core, now: float) -> tuple[float, str]:
        worst, worst_rule = 0.0, ""
        for charge in self._charges:
            slots = core.find(charge.rule, charge.key)
            if slots is not None:
                wait = slots.estimate(now, charge.rule.period + self._margin)
                if wait > worst:
                    worst, worst_rule = wait, charge.rule.name
        return worst, worst_rule

    def _refused(self, worst: float) -> bool:
        policy = self._policy
        return worst > 0 and (
            policy.on_limit == "raise" or (policy.max_wait is not None and worst > policy.max_wait)
        )

    async def _wait(
        self,
        fut: asyncio.Future[None],
        deadline: float | None,
        queue: _Queue,
        slots: _Slots | None,
    ) -> None:
        where = self._where
        assert where is not None  # set by __aenter__
        queue.pump()  # serves at once if it can, arms the timer for the oldest stamp
        where.waiting += 1
        try:
            await _await_grant(
                fut, deadline, queue.pump, lambda: self._free(False, False, grant=True)
            )
        except _Deadline:
            if slots is None:
                # Concurrency frees whenever some request completes: no estimate is possible.
                raise RateLimitedError(0.0, CONCURRENCY_RULE) from None
            rule, now = slots.rule, asyncio.get_running_loop().time()
            with where.core.lock:
                wait = slots.estimate(now, rule.period + self._margin)
            raise RateLimitedError(wait, rule.name) from None
        finally:
            where.waiting -= 1
        self._grant = None  # granted: the caller records the slot before anything else runs

    def _free(self, cap: bool, stamp: bool, done: bool = False, grant: bool = False) -> None:
        """Free the cap slot (``cap``) and the rate slots taken, stamped or given back; wake next.

        ``grant``: instead, give back the slot handed to this admission's waiter, which left
        before resuming. ``done``: the admission holds nothing any more.
        """
        where = self._where
        assert where is not None  # set by __aenter__
        core, loop = where.core, where.loop_ref()
        # None when finalised out of its loop (see the class): then the counts and wake-ups only.
        here = loop if loop is not None and asyncio._get_running_loop() is loop else None
        now = time.monotonic() if loop is None else loop.time()
        wake: list[_Queue] = []
        direct: list[_Queue] = []
        with core.lock:
            if where.dead:
                return  # its loop was found closed: reclaim() freed all it held
            if grant:
                assert self._grant is not None
                granted = self._grant[1]
                self._grant = None
                cap, taken = granted is None, [] if granted is None else [(granted, granted.rule)]
            else:
                taken, self._taken = self._taken, []
            if done:
                self._state = "closed"
                where.held.discard(self)
            if cap:
                core.in_flight -= 1
                if here is None:
                    _wake_live(core.cap_heads, wake)
                elif core.cap_heads:
                    _hand_on(core.cap_heads, here, wake, direct)
            for slots, rule in taken:
                slots.in_flight -= 1
                if stamp:
                    expiry = now + rule.period + self._margin
                    core.stamp(slots, expiry)
                    for queue in () if here is None else slots.heads:
                        if queue.when > expiry:  # a waiting loop whose timer is now too late
                            _wake(queue, here, wake, direct)
                elif here is not None and slots.heads:
                    slots.purge(now)
                    _hand_on(slots.heads, here, wake, direct)
                elif here is not None:
                    core.evict(slots)
                if here is None:
                    _wake_live(slots.heads, wake)
            if stamp and here is not None:
                core.count_admission(now, wake)
        if wake or direct:
            _deliver(wake, direct)

    def holds(self) -> list[_Slots]:
        """Return the (rule, key) logs where it holds or waits for a slot (under the lock)."""
        keys = [slots for slots, _ in self._taken]
        if self._grant is not None and self._grant[1] is not None:
            keys.append(self._grant[1])
        return keys

    def reclaimed(self, core: _Core, now: float, touched: list[_Slots]) -> bool:
        """Free what it holds, its loop being closed (under the lock); tell if a cap slot was.

        Inside its block, the request may have reached SMSC: its rate slots are stamped as
        completed ``now``. Still at the gate, it never started: they are given back, and so is a
        slot handed to its waiter that the closed loop never resumed.
        """
        inside, taken, grant = self._state == "open", self._taken, self._grant
        self._state, self._taken, self._grant = "closed", [], None
        if inside:
            core.in_flight -= 1
        for slots, rule in taken:
            slots.in_flight -= 1
            if inside:
                core.stamp(slots, now + rule.period + self._margin)
            touched.append(slots)
        if grant is None or inside:
            return inside
        fut, granted = grant
        if not fut.done() or fut.cancelled() or fut.exception() is not None:
            return False
        if granted is None:
            core.in_flight -= 1
            return True
        granted.in_flight -= 1
        touched.append(granted)
        return False

    def refund(self) -> None:
        """Release the rate slots now: the request surely never reached SMSC.

        Raises:
            RuntimeError: When called outside the ``async with`` block.
        """
        if self._state != "open":
            raise RuntimeError("refund() is only possible inside the admitted block")
        self._free(False, False)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._free(True, True, True)  # done: positional, on the fast path


class LocalGate:
    """The in-process :class:`Gate`: one state per account for every gate of the process.

    Every ``LocalGate`` of the process shares an account's state with all the others, in any
    thread and across ``asyncio.run`` calls, while their loops run on the standard clock (per
    loop otherwise, e.g. on virtual time): two clients of one login share its 14 slots and its
    windows. Other processes using the same login are not seen; a shared backend would implement
    :class:`Gate` for that. A ``scope`` keeps a set of gates apart from all the others.
    """

    __slots__ = ("_margin", "_scope")

    def __init__(self, *, margin: float = 1.0, scope: str = "") -> None:
        """Create a gate.

        Args:
            margin: Seconds added to every window, for clock granularity at SMSC.
            scope: Gates of one scope share accounts' state only with each other. The default
                scope is the process's; :meth:`Emulator.client
                <smsc_async.emulator.Emulator.client>` gives each emulator its own, so a later
                emulator on a reused port does not inherit an earlier one's windows.

        Raises:
            ValueError: When ``margin`` is negative or not finite.
            TypeError: When ``margin`` is not a number.
        """
        self._margin = seconds("margin", margin, zero=True)
        self._scope = scope

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
        timeout: float | None = None,
    ) -> AbstractAsyncContextManager[Ticket]:
        """Return a context manager that admits one request to SMSC.

        Entering it first reserves a slot in every charge's window (in a fixed global order, so
        requests with overlapping charges cannot deadlock), then waits for a concurrency slot
        (``in_flight < max_in_flight``, FIFO). Leaving it frees the concurrency slot and stamps
        the reservations with the completion time, even when the block raised, unless
        ``ticket.refund()`` was called. A cancelled wait leaves nothing reserved.

        Args:
            account: Opaque account key (host + login, never the password).
            charges: What the request counts against (the client computes them per command).
            policy: How long the caller accepts to wait.
            max_in_flight: Concurrency cap for this caller; at most 14 (SMSC refuses the 15th).
            timeout: The request's own time bound; unused here (slots in one process are freed
                by the block's exit, even when it fails, or once its loop is found closed).

        Returns:
            An async context manager yielding a :class:`Ticket`.

        Raises:
            ValueError: When ``max_in_flight`` is below 1.
        """
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        if len(charges) < 2:  # most commands: nothing to deduplicate or order
            ordered = tuple(charges)
        else:
            unique = {(c.rule, c.key): c for c in charges}
            ordered = tuple(sorted(unique.values(), key=_charge_order))
        cap = min(max_in_flight, MAX_IN_FLIGHT)
        return _Admission(self._scoped(account), ordered, policy, cap, self._margin)

    def _scoped(self, account: str) -> str:
        return f"{self._scope}\x00{account}" if self._scope else account

    def stats(self, account: str) -> GateStats:
        """Return a snapshot of ``account``'s state as the running loop sees it.

        Raises:
            RuntimeError: When no event loop is running.
        """
        loop = asyncio.get_running_loop()
        account = self._scoped(account)
        where = _REGISTRY.get(loop, {}).get(account)
        core = where.core if where is not None else None
        if core is None and _shares_clock(loop):
            core = _SHARED.get(account)
        if core is None:
            return GateStats(in_flight=0, waiting=0, live_keys=0)
        waiting = 0 if where is None else where.waiting
        with core.lock:  # other threads may be changing the tables
            return GateStats(in_flight=core.in_flight, waiting=waiting, live_keys=core.stored())
