"""RedisGate: SMSC's limits kept for every process and host that shares one Redis.

The in-process gate (:class:`~smsc_async.LocalGate`) keeps SMSC's error-9 rules inside one
process. Web backends with several workers, bots with replicas and batch jobs split over
machines share one login, so they share its limits: pass them all one ``RedisGate``::

    from smsc_async import SMSCClient
    from smsc_async.redis import RedisGate

    async with RedisGate.from_url("redis://127.0.0.1:6379/0") as gate:
        async with SMSCClient("login", "password", gate=gate) as smsc:
            await smsc.send_sms("+79991234567", "Hello")

It keeps the in-process gate's rules, across processes: fewer than fifteen requests in flight
per login, and every "N per minute" rule as a sliding-window log stamped at completion + period
+ margin, with the same request identities, refunds, ``on_limit`` and ``max_wait``. Each
admission and each release is one Lua script on the server, so processes never race between a
read and a write; time is the Redis server's, so hosts' clocks never matter.

Crash safety: a slot in flight is a lease, as long as the request's timeout plus
``lease_margin`` and renewed while the request runs. A process killed while it holds slots gives
them back when their leases run out, and each of its requests then counts in the per-minute
windows as completed at that moment, never as a slot that frees early.

Waiting: an admission that finds every slot taken waits in a queue on the server, FIFO across
processes; a release hands the freed slot to the oldest waiter and publishes it on the
account's channel, so nobody polls. Each waiter also asks again every ``poll_interval``
seconds, so a lost message costs a delay, never a hang. A per-minute rule tells how long to
wait; the waiter sleeps that long (waking early when a refund frees a slot).

When Redis cannot be reached, admissions raise :class:`~smsc_async.GateUnavailableError`
before anything is sent. There is no silent fall-back: pass ``fallback=LocalGate()`` to keep
sending under per-process limits while Redis is away.

Key layout and the scripts: ``smsc_async/_redis_scripts.py``. Needs the ``redis`` extra
(``pip install "smsc-async[redis]"``); ``import smsc_async`` never imports this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import os
import secrets
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Final, Self

try:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - the extra is installed wherever this is tested
    raise ImportError('smsc_async.redis needs redis-py: pip install "smsc-async[redis]"') from exc

from ._env import ENV_REDIS_URL
from ._limits import MAX_IN_FLIGHT, Charge, Gate, GateStats, WaitPolicy
from ._numbers import count, seconds
from ._redis_admission import Admission, LocalSide
from ._redis_scripts import ADMIT, RELEASE, RENEW, STATS
from .errors import GateUnavailableError

__all__ = ["ENV_REDIS_URL", "RedisGate"]

log = logging.getLogger("smsc_async")


_Loop = asyncio.AbstractEventLoop
_DEFAULT_LEASE: Final = 60.0  # seconds, for a request with no time bound of its own
_LISTEN_IDLE: Final = 30.0  # seconds without a waiter before an account's channel is left


def _describe(client: Any) -> str:
    """Return where ``client`` connects (host:port or a socket path), never its password."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None) or {}
    if "path" in kwargs:
        return str(kwargs["path"])
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


class RedisGate:
    """A :class:`~smsc_async.Gate` on a Redis server, shared by every process that uses it.

    Every client of one login, in any process or host whose gate points at the same Redis (and
    prefix), shares the login's fourteen slots in flight and its per-minute windows.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "smsc:",
        margin: float = 1.0,
        lease_margin: float = 5.0,
        poll_interval: float = 1.0,
        redis_timeout: float = 2.0,
        max_connections: int = 16,
        fallback: Gate | None = None,
    ) -> None:
        """Create a gate on a ``redis.asyncio.Redis`` client it borrows (never closes).

        Args:
            client: The Redis client; it may decode responses or not.
            prefix: Start of every key and channel name, so several applications (or tests)
                can share one Redis; gates must use the same prefix to share limits.
            margin: Seconds added to every per-minute window, for clock granularity at SMSC.
            lease_margin: Seconds added to a request's timeout to make its lease: how long
                after a crash its slot stays taken. A request with no timeout of its own gets
                60 s. A lease is renewed while its request runs.
            poll_interval: Seconds between the checks a waiter makes on its own in case a
                wake-up message was lost; it also sets how soon the queue place of a crashed
                waiter is dropped (four intervals and a second).
            redis_timeout: Longest wait for one Redis command, in seconds.
            max_connections: Most Redis commands the gate runs at once per event loop (each
                takes a connection of the client's pool), besides one subscription per account
                whose callers wait; callers beyond it queue in the process.
            fallback: A gate to use when Redis cannot be reached (e.g. ``LocalGate()``: limits
                per process only). ``None``, the default, raises
                :class:`~smsc_async.GateUnavailableError` instead.

        Raises:
            ValueError: When a duration is not a finite positive number of seconds (``margin``
                may be 0), ``max_connections`` is below 1, or ``prefix`` holds a brace.
            TypeError: When a number is of the wrong type.
        """
        count("max_connections", max_connections, least=1)
        if "{" in prefix or "}" in prefix:
            raise ValueError("prefix must not contain braces: the gate puts a hash tag after it")
        self._client = client
        self._prefix = prefix
        self._margin = seconds("margin", margin, zero=True)
        self._lease_margin = seconds("lease_margin", lease_margin)
        self._poll = seconds("poll_interval", poll_interval)
        self._redis_timeout = seconds("redis_timeout", redis_timeout)
        self._beat_ms = int((4 * self._poll + 1.0) * 1000)
        self._fallback = fallback
        self._owned = False
        self._closed = False
        self._where = _describe(client)
        self._admit = client.register_script(ADMIT)
        self._release = client.register_script(RELEASE)
        self._renew = client.register_script(RENEW)
        self._stats = client.register_script(STATS)
        self._tickets = itertools.count()
        self._me = f"{os.getpid():x}.{secrets.token_hex(4)}"
        self._states: weakref.WeakKeyDictionary[_Loop, dict[str, LocalSide]] = (
            weakref.WeakKeyDictionary()
        )
        self._background: set[asyncio.Task[Any]] = set()
        self._max_calls = max_connections
        self._calls: weakref.WeakKeyDictionary[_Loop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._unavailable = False  # a fall-back warning was logged for the current outage

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "smsc:",
        margin: float = 1.0,
        lease_margin: float = 5.0,
        poll_interval: float = 1.0,
        redis_timeout: float = 2.0,
        max_connections: int = 16,
        fallback: Gate | None = None,
        **redis_options: Any,
    ) -> Self:
        """Create a gate with a Redis client of its own, closed by :meth:`aclose`.

        Args:
            url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS) or
                ``unix:///path/to/socket``.
            prefix: As for the constructor, and the other gate arguments likewise.
            margin: See the constructor.
            lease_margin: See the constructor.
            poll_interval: See the constructor.
            redis_timeout: See the constructor; also the client's connect and socket timeouts
                unless ``redis_options`` sets them.
            max_connections: See the constructor.
            fallback: See the constructor.
            **redis_options: Passed on to ``redis.asyncio.from_url``.

        Returns:
            A gate that owns its client.

        Raises:
            ValueError: When the URL is not a Redis URL (the message never repeats it: it may
                hold a password), or an argument is invalid.
        """
        timeout = seconds("redis_timeout", redis_timeout)
        redis_options.setdefault("socket_connect_timeout", timeout)
        redis_options.setdefault("socket_timeout", timeout)
        try:
            client = aioredis.from_url(url, **redis_options)
        except ValueError:
            raise ValueError(
                "the Redis URL must look like redis://host:6379/0, rediss://host:6380/0 or "
                "unix:///path/to/redis.sock"
            ) from None
        gate = cls(
            client,
            prefix=prefix,
            margin=margin,
            lease_margin=lease_margin,
            poll_interval=poll_interval,
            redis_timeout=timeout,
            max_connections=max_connections,
            fallback=fallback,
        )
        gate._owned = True
        return gate

    @property
    def client(self) -> aioredis.Redis:
        """The Redis client the gate uses."""
        return self._client

    @property
    def margin(self) -> float:
        """Seconds added to every rule's period."""
        return self._margin

    def __repr__(self) -> str:
        return f"<RedisGate redis={self._where} prefix={self._prefix!r}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Finish pending releases, stop listening, and close the client if the gate owns it.

        Idempotent. A borrowed client stays open.
        """
        if self._closed:
            return
        self._closed = True
        pending = [task for task in self._background if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=self._redis_timeout)
        states = self._states.get(asyncio.get_running_loop(), {})
        listeners = [st.listener for st in states.values() if st.listener is not None]
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        if self._owned:
            await self._client.aclose()

    # -- admission -------------------------------------------------------------------------

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        timeout: float | None = None,
    ) -> Admission:
        """Return a context manager that admits one request to SMSC (see :class:`Gate`).

        Entering it takes a slot in every charge's window and a slot in flight in one step on
        the server, or waits for them: for a per-minute rule as long as the rule says, for the
        cap in the server's queue until a release hands it a slot. Leaving it frees the slot in
        flight and stamps the windows with the completion time, even when the block raised,
        unless ``ticket.refund()`` was called.

        Args:
            account: Opaque account key (server + login, never a password).
            charges: What the request counts against.
            policy: How long the caller accepts to wait.
            max_in_flight: Concurrency cap for this caller, at most 14.
            timeout: The request's own time bound, in seconds: its lease is this plus
                ``lease_margin`` (60 s plus the margin when ``None``), renewed while it runs.

        Returns:
            An async context manager yielding a :class:`~smsc_async.Ticket`.

        Raises:
            ValueError: When ``max_in_flight`` is below 1.
            RuntimeError: When the gate is closed.
        """
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        if self._closed:
            raise RuntimeError("RedisGate is closed; create a new one")
        unique = {(c.rule, c.key): c for c in charges}
        ordered = tuple(sorted(unique.values(), key=lambda c: (c.rule.name, c.key)))
        bound = timeout if timeout is not None and math.isfinite(timeout) else _DEFAULT_LEASE
        lease_ms = int((max(bound, 0.0) + self._lease_margin) * 1000)
        cap = min(max_in_flight, MAX_IN_FLIGHT)
        return Admission(self, account, ordered, policy, cap, lease_ms, timeout)

    async def stats(self, account: str) -> GateStats:
        """Return a snapshot of ``account``'s state on the server.

        ``in_flight`` counts every process's requests; ``waiting`` counts this event loop's
        admissions now blocked; ``live_keys`` counts the account's keys in Redis.

        Raises:
            GateUnavailableError: When Redis cannot be reached.
        """
        st = self._state(asyncio.get_running_loop(), account)
        in_flight, _queued = await self._run(self._stats, list(st.keys[:3]), [])
        live = 0
        try:
            async with asyncio.timeout(self._redis_timeout * 10):
                async for _ in self._client.scan_iter(match=f"{st.tag}*", count=1000):
                    live += 1
        except (RedisError, OSError, TimeoutError) as exc:
            raise self._unavailable_error(exc) from exc
        return GateStats(in_flight=int(in_flight), waiting=st.waiting, live_keys=live)

    # -- internals -------------------------------------------------------------------------

    def _state(self, loop: _Loop, account: str) -> LocalSide:
        accounts = self._states.get(loop)
        if accounts is None:
            accounts = self._states[loop] = {}
        st = accounts.get(account)
        if st is None:
            st = accounts[account] = LocalSide(self._prefix, account, f"{self._me}.")
        return st

    def _new_ticket(self, cap: int) -> str:
        return f"{self._me}.{next(self._tickets):x}:{cap}"

    def _unavailable_error(self, exc: BaseException) -> GateUnavailableError:
        reason = type(exc).__name__ if isinstance(exc, TimeoutError) else _scrubbed(exc, self)
        return GateUnavailableError(
            f"the shared limits gate (Redis at {self._where}) did not answer: {reason}. "
            "Nothing was sent to SMSC. Check that Redis runs and is reachable there (the "
            f"{ENV_REDIS_URL} setting), or pass fallback=LocalGate() to go on with "
            "per-process limits",
            where=self._where,
        )

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> list[int]:
        """Run one script, bounded by ``redis_timeout``; any failure is GateUnavailableError."""
        loop = asyncio.get_running_loop()
        calls = self._calls.get(loop)
        if calls is None:
            calls = self._calls[loop] = asyncio.Semaphore(self._max_calls)
        try:
            async with calls, asyncio.timeout(self._redis_timeout):
                result = await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise self._unavailable_error(exc) from exc
        self._unavailable = False
        return [int(item) for item in result] if isinstance(result, list) else [int(result)]

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _listen(self, st: LocalSide) -> None:
        """Follow the account's channel while its admissions wait; reconnect after failures.

        It stops once no admission of the account has waited for ``_LISTEN_IDLE`` seconds (the
        next wait subscribes again), so an account that waited once holds no connection.
        """
        loop = asyncio.get_running_loop()
        pause = 0.05
        while not self._closed:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(st.channel)
                st.subscribed.set()
                pause = 0.05
                while not self._closed:
                    # A bounded read: older redis-py versions cut an unbounded one at the
                    # socket timeout and reconnect, losing messages.
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self._redis_timeout / 2
                    )
                    if message is not None:
                        if message.get("type") == "message":
                            st.dispatch(message["data"])
                    elif not st.waiting and loop.time() - st.idle_since > _LISTEN_IDLE:
                        return
            except (RedisError, OSError) as exc:
                log.debug(
                    "limits gate: the wake-up channel failed (%s); reconnecting",
                    _scrubbed(exc, self),
                )
            finally:
                st.subscribed.clear()
                with contextlib.suppress(RedisError, OSError):  # the connection is gone anyway
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._poll)

    async def _ensure_listener(self, st: LocalSide, deadline: float | None) -> bool:
        """Start following the channel; return True if it was not followed a moment ago."""
        if st.subscribed.is_set() or self._closed:
            return False
        loop = asyncio.get_running_loop()
        if st.listener is None or st.listener.done():
            st.listener = loop.create_task(self._listen(st))
        timeout = self._redis_timeout
        if deadline is not None:
            timeout = max(min(timeout, deadline - loop.time()), 0.0)
        try:
            async with asyncio.timeout(timeout):
                await st.subscribed.wait()
        except TimeoutError:
            pass  # waiters poll meanwhile
        return True


def _scrubbed(exc: BaseException, gate: RedisGate) -> str:
    text = str(exc)[:300] or type(exc).__name__
    kwargs = getattr(gate.client.connection_pool, "connection_kwargs", {}) or {}
    secret = kwargs.get("password")
    if secret:
        text = text.replace(str(secret), "***")
    return text
