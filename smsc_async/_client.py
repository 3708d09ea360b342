"""SMSCClient: the session lifecycle, the limits gate and the one request path."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import aiohttp

from . import _endpoints as ep
from ._api import Progress, Requester, decode_answer
from ._env import client_arguments, env_configured
from ._limits import MAX_IN_FLIGHT, Charge, Gate, LocalGate, Rule, WaitPolicy, charges_for
from ._messaging import MessagingCommands
from ._numbers import client_timeout, count, seconds
from ._rules import CALLER_FIELDS
from ._secrets import register as register_secrets
from ._servers import Region, account_key, default_backups, normalise_base_url
from ._transport import (
    DEFAULT_MAX_BODY,
    StreamedBody,
    Transport,
    backoff_delay,
    is_retryable,
    sleep,
    urlencode_form,
)
from ._wire import FormValue, encode_form
from .errors import (
    ConnectError,
    HTTPStatusError,
    TransportError,
)
from .history import HistoryCommands
from .params import (
    new_message_id,
)
from .service import InboundNumbers, ServiceCommands

if TYPE_CHECKING:
    from .bulk import Bulk
    from .contacts import Contacts
    from .documents import Documents
    from .exports import Exports
    from .jobs import Jobs
    from .redis import RedisGate
    from .senders import Senders
    from .subclients import Subclients
    from .templates import OperatorTemplates, Templates

__all__ = ["Region", "SMSCClient"]

log = logging.getLogger("smsc_async")

T = TypeVar("T")


class _AskerGone(Exception):
    """The caller that was sending a shared read was cancelled; those who joined ask again."""


class _Shared:
    """A read in flight that identical reads join: the answer or failure, handed to them all."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[bytes] | None = None  # made when the first one joins

    def joined(self) -> asyncio.Future[bytes]:
        """Return the future a joiner waits on."""
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        return self._future

    def done(self, body: bytes) -> None:
        """Hand the answer to those who joined."""
        if self._future is not None:
            self._future.set_result(body)

    def fail(self, exc: Exception) -> None:
        """Hand the failure to those who joined (never reported as "never retrieved")."""
        if self._future is not None:
            self._future.set_exception(exc)
            self._future.exception()


class SMSCClient(MessagingCommands, HistoryCommands, ServiceCommands, Requester):
    """Asyncio client for the SMSC HTTP API, one typed coroutine per command.

    Use it as an async context manager (or call :meth:`open` and :meth:`aclose`)::

        async with SMSCClient("login", "password") as smsc:
            sent = await smsc.send_sms("+79991234567", "Hello")
            status = await smsc.get_status(sent.id, "+79991234567")

    Every request is a form-encoded POST with ``fmt=3`` and ``charset=utf-8``; credentials travel
    in the body only. Every request passes the limits gate first: fewer than fifteen requests in
    flight per login (shared by all clients of that login and host in the process) and SMSC's
    per-script "N per minute" rules, so that SMSC's error 9 is not seen.

    Reads are retried on transport failures and 5xx answers with capped, jittered backoff
    (switching to the ``www2.`` backup server of SMSC's own hosts). A send is never repeated once
    it may have reached SMSC: every send carries a client-assigned message id, and after an
    ambiguous failure the client checks that id through status.php (``reconcile_sends``) or
    raises :class:`~smsc_async.errors.SendOutcomeUnknownError`.

    Args:
        login: Account login (with ``password``); leave out when using ``apikey``.
        password: Account password. Kept private: never shown in reprs, logs or errors.
        apikey: API key, instead of login and password.
        base_url: Server root: a :class:`Region` or a URL (e.g. the emulator's).
        backup_urls: Server roots tried in turn on connection failures; by default ``www2.``
            of SMSC's own hosts, none for other hosts.
        session: An ``aiohttp.ClientSession`` to borrow; the client never closes it.
        timeout: Seconds (or an ``aiohttp.ClientTimeout`` that sets ``total`` or
            ``sock_read``) for one request, applied inside the gate, so time spent waiting for a
            limit does not eat it. Always positive and finite: a request never waits forever.
        max_retries: Retries of a read after the first attempt.
        retry_backoff: Base of the exponential backoff in seconds; 0 turns pauses off.
        retry_backoff_cap: Longest pause between retries.
        max_in_flight: Concurrent requests allowed for this login, 1 to 14.
        on_limit: ``"wait"`` until a per-minute rule allows the request (default), or ``"raise"``
            :class:`~smsc_async.errors.RateLimitedError` at once. It concerns the per-minute
            rules; a free in-flight slot is always waited for (requests finish quickly).
        max_wait: Longest time to wait at the gate in all (rules and in-flight slot) before
            raising ``RateLimitedError``; raised at once when the wait is known to be longer.
        rate_margin: Seconds added to every per-minute window, for clock granularity at SMSC.
        rule_period: Length of the per-minute rules' window in seconds, instead of SMSC's 60:
            only for an emulator started with the same ``rule_period`` (tests and demonstrations
            that go through several windows in seconds). ``None`` keeps SMSC's minute.
        gate: A custom limits gate (e.g. shared between processes); by default the in-process one.
        md5_password: Send the lowercase hex MD5 of the password instead of the password.
        reconcile_sends: After an ambiguous send failure, check the message through status.php.
        reconcile_delay: Seconds to wait before that check.
        message_id_factory: Makes client message ids; by default 24 random hex characters.
        max_body: Largest answer read into memory, in bytes.
        close_grace: Seconds :meth:`aclose` waits for requests in flight before it closes the
            session under them (0: at once). See :meth:`aclose`.

    Raises:
        ValueError: A number out of its range: a duration that is zero (where zero would switch
            it off), negative, NaN or infinite, a count out of bounds; or bad credentials or
            ``base_url``. The message names the argument and never repeats a secret.
        TypeError: A number of the wrong type (``True`` is not a count).
    """

    def __init__(
        self,
        login: str | None = None,
        password: str | None = None,
        *,
        apikey: str | None = None,
        base_url: str = Region.RU,
        backup_urls: Sequence[str] | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout = 30.0,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        retry_backoff_cap: float = 8.0,
        max_in_flight: int = MAX_IN_FLIGHT,
        on_limit: Literal["wait", "raise"] = "wait",
        max_wait: float | None = None,
        rate_margin: float = 1.0,
        rule_period: float | None = None,
        gate: Gate | None = None,
        md5_password: bool = False,
        reconcile_sends: bool = True,
        reconcile_delay: float = 1.0,
        message_id_factory: Callable[[], int | str] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        close_grace: float = 5.0,
    ) -> None:
        if apikey is not None:
            if login is not None or password is not None:
                raise ValueError("pass either apikey or login and password, not both")
            if not apikey:
                raise ValueError("apikey is empty")
            self._auth: dict[str, str] = {"apikey": apikey}
        else:
            if not login or not password:
                raise ValueError("give login and password (or apikey=...)")
            psw = hashlib.md5(password.encode()).hexdigest() if md5_password else password  # noqa: S324 - SMSC's own scheme
            self._auth = {"login": login, "psw": psw}
        register_secrets(self, apikey, password, self._auth.get("psw"))  # scrubbed from errors
        # What every request ends with, encoded once: the credentials and the answer's format.
        self._auth_form = b"&" + urlencode_form({**self._auth, "fmt": "3", "charset": "utf-8"})
        # Every number first: one that is off would switch a protection off.
        count("max_in_flight", max_in_flight, least=1, most=MAX_IN_FLIGHT)
        count("max_retries", max_retries, least=0)
        count("max_body", max_body, least=1)
        retry_backoff = seconds("retry_backoff", retry_backoff, zero=True, example="0.5")
        retry_backoff_cap = seconds("retry_backoff_cap", retry_backoff_cap, zero=True)
        rate_margin = seconds("rate_margin", rate_margin, zero=True, example="1.0")
        reconcile_delay = seconds("reconcile_delay", reconcile_delay, zero=True, example="1.0")
        self._close_grace = seconds("close_grace", close_grace, zero=True, example="5.0")
        if on_limit not in ("wait", "raise"):
            raise ValueError("on_limit must be 'wait' or 'raise'")
        if max_wait is not None:
            max_wait = seconds("max_wait", max_wait, zero=True, example="None for no bound")
        request_timeout = client_timeout(timeout)
        for secret in (password, apikey):
            urls = (str(base_url), *(backup_urls or ()))
            if secret and any(secret in str(url) for url in urls):
                # e.g. "https://login:password" with the host forgotten: never echo it anywhere
                raise ValueError(
                    "base_url holds the password or API key; give the server root only, "
                    "e.g. https://smsc.ru"
                )
        root, host = normalise_base_url(base_url)
        backups = (
            default_backups(root, host)
            if backup_urls is None
            else tuple(normalise_base_url(u)[0] for u in backup_urls)
        )
        self._login = login
        self._roots = (root, *backups)
        # The limits are SMSC's per login and server, whatever the spelling of the server.
        self._account = account_key(root, login, apikey)
        self._rule_period = None if rule_period is None else seconds("rule_period", rule_period)
        self._periodic: dict[Rule, Rule] = {}  # SMSC's rules with rule_period instead
        self._borrowed = session
        self._session: aiohttp.ClientSession | None = None
        self._transport: Transport | None = None
        self._state: Literal["new", "open", "closing", "closed"] = "new"
        self._active = 0  # requests between the gate and their answer (and their retries)
        self._idle: asyncio.Event | None = None  # set when the last one ends while closing
        self._timeout = request_timeout
        self._max_retries = max_retries
        self._backoff = (retry_backoff, retry_backoff_cap)
        self._max_in_flight = max_in_flight
        self._policy = WaitPolicy(on_limit=on_limit, max_wait=max_wait)
        self._gate: Gate = gate if gate is not None else LocalGate(margin=rate_margin)
        self._owned_gate: RedisGate | None = None  # made by from_env: closed with the client
        self._reconcile = reconcile_sends
        self._reconcile_delay = reconcile_delay
        self._new_id = message_id_factory or new_message_id
        self._max_body = max_body
        # Reads in flight, by what they ask: an identical read joins the one already running.
        self._joined: dict[tuple[str, tuple[tuple[str, str], ...]], _Shared] = {}

    # -- namespaces ------------------------------------------------------------------------
    # Built on first use, and their modules imported only then: a client that only sends never
    # pays for the contacts, senders or exports code at import time.

    @functools.cached_property
    def contacts(self) -> Contacts:
        """Phone contacts, groups and the black list (phones.php)."""
        from .contacts import Contacts

        return Contacts(self)

    @functools.cached_property
    def mail_contacts(self) -> Contacts:
        """E-mail contacts, groups and the black list (mails.php)."""
        from .contacts import Contacts

        return Contacts(self, email=True)

    @functools.cached_property
    def senders(self) -> Senders:
        """Sender names (senders.php)."""
        from .senders import Senders

        return Senders(self)

    @functools.cached_property
    def subclients(self) -> Subclients:
        """Subclients (users.php)."""
        from .subclients import Subclients

        return Subclients(self)

    @functools.cached_property
    def documents(self) -> Documents:
        """Invoices and acts of subclients (documents.php)."""
        from .documents import Documents

        return Documents(self)

    @functools.cached_property
    def templates(self) -> Templates:
        """Message templates (templates.php)."""
        from .templates import Templates

        return Templates(self)

    @functools.cached_property
    def operator_templates(self) -> OperatorTemplates:
        """Templates registered with operators (op_templates.php)."""
        from .templates import OperatorTemplates

        return OperatorTemplates(self)

    @functools.cached_property
    def jobs(self) -> Jobs:
        """Mass mailings (jobs.php)."""
        from .jobs import Jobs

        return Jobs(self)

    @functools.cached_property
    def inbound_numbers(self) -> InboundNumbers:
        """Dedicated numbers for incoming messages (receive_phones.php)."""
        return InboundNumbers(self)

    @functools.cached_property
    def exports(self) -> Exports:
        """Deferred export tasks and their files (downloads.php)."""
        from .exports import Exports

        return Exports(self)

    @functools.cached_property
    def bulk(self) -> Bulk:
        """Bulk sends and status tracking at the pace SMSC's rules allow."""
        from .bulk import Bulk

        return Bulk(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """Make a client from ``SMSC_LOGIN``/``SMSC_PASSWORD`` or ``SMSC_APIKEY``.

        ``SMSC_BASE_URL`` picks the server (``https://smsc.ru`` when unset). ``SMSC_REDIS_URL``
        (e.g. ``redis://127.0.0.1:6379/0``) shares the limits with every process that uses the
        same Redis, through a :class:`~smsc_async.redis.RedisGate` the client owns and closes
        (needs the ``redis`` extra). A variable set to an empty string counts as unset, so
        blanking a variable switches it off.

        Example::

            async with SMSCClient.from_env(timeout=10) as smsc:
                print(await smsc.get_balance())

        Args:
            environ: Where to read the variables; ``os.environ`` by default.
            **options: Any other :class:`SMSCClient` argument (``timeout``, ``max_in_flight``,
                ...); a ``base_url`` given here wins over ``SMSC_BASE_URL``, a ``gate`` over
                ``SMSC_REDIS_URL``.

        Returns:
            A new, unopened client.

        Raises:
            ValueError: If neither credential is set, if only one of login and password is, or
                if both an API key and a login are (say which to unset); if ``SMSC_BASE_URL``
                is not a server root or ``SMSC_REDIS_URL`` not a Redis URL (the message starts
                with its name); or if an option is invalid. The message names the variables,
                never their values.
            ImportError: If ``SMSC_REDIS_URL`` is set and redis-py is not installed.
        """
        kwargs, gate = client_arguments(os.environ if environ is None else environ, options)
        client = cls(**kwargs)
        client._owned_gate = gate
        return client

    @staticmethod
    def env_configured(environ: Mapping[str, str] | None = None) -> bool:
        """Tell whether the environment names an account (``SMSC_LOGIN`` or ``SMSC_APIKEY``).

        Scripts use it to choose between the real service (:meth:`from_env`) and the emulator.

        Args:
            environ: Where to look; ``os.environ`` by default.

        Returns:
            ``True`` when ``SMSC_LOGIN`` or ``SMSC_APIKEY`` is set to a non-empty value.
        """
        return env_configured(os.environ if environ is None else environ)

    @property
    def base_urls(self) -> tuple[str, ...]:
        """The server roots requests go to: the primary first, then the backups in turn."""
        return self._roots

    def __repr__(self) -> str:
        who = f"login={self._login!r}" if self._login else "apikey=***"
        return f"<SMSCClient {who} base_url={self._roots[0]!r} {self._state}>"

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> Self:
        """Open the client: create its HTTP session (or adopt the borrowed one).

        Raises:
            RuntimeError: already open, or closed (a closed client cannot be reopened).
        """
        if self._state == "open":
            raise RuntimeError("SMSCClient is already open")
        if self._state == "closed":
            raise RuntimeError("SMSCClient is closed; create a new one")
        if self._borrowed is not None:
            if self._borrowed.closed:
                raise RuntimeError("the session passed to SMSCClient is closed")
            self._session = self._borrowed
        else:
            # The limits gate bounds concurrency; a connector limit would only make requests
            # queue inside aiohttp, where the wait eats their timeout.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers={"User-Agent": "smsc-async"},
            )
        self._transport = Transport(self._session, timeout=self._timeout, max_body=self._max_body)
        self._state = "open"
        return self

    async def aclose(self) -> None:
        """Close the client and the session it created (never a borrowed one). Idempotent.

        Work in flight is not lost. New calls are refused at once (``RuntimeError``), and the
        requests already under way get ``close_grace`` seconds (5 by default) to finish with
        their answers. Then the session the client created is closed under the rest:

        - a send that may have reached SMSC raises
          :class:`~smsc_async.errors.SendOutcomeUnknownError` with its message id (it is
          never re-sent, nor checked through status.php, since the client is closing);
        - a request still waiting at the limits gate, a retry not yet made and a read in
          flight raise a :class:`~smsc_async.errors.TransportError`
          (:class:`~smsc_async.errors.ConnectError` when nothing was sent).

        A borrowed session is not closed: its requests run on until they end or time out, and
        end the same way. A gate the client made itself (``SMSC_REDIS_URL`` in
        :meth:`from_env`) is closed too.
        """
        if self._state == "closed":
            return
        if self._state == "open":
            self._state = "closing"
            if self._active:
                self._idle = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._close_grace):
                        await self._idle.wait()
        now: str = self._state  # (re-read: another aclose() may have finished meanwhile)
        if now == "closed":
            return
        session, self._session, self._transport = self._session, None, None
        self._state = "closed"
        try:
            if session is not None and session is not self._borrowed:
                await session.close()
        finally:
            gate, self._owned_gate = self._owned_gate, None
            if gate is not None:
                await gate.aclose()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the one request path --------------------------------------------------------------

    def _require_transport(self) -> Transport:
        if self._state != "open" or self._transport is None:
            if self._state in ("closing", "closed"):
                raise RuntimeError("SMSCClient is closed; create a new one")
            raise RuntimeError("SMSCClient is not open: use 'async with SMSCClient(...)' first")
        return self._transport

    def _ended(self) -> None:
        """Count a request under way (``_active``) as ended; the last one wakes aclose()."""
        self._active -= 1
        if not self._active and self._idle is not None:
            self._idle.set()

    def _closed_error(self, url: str, *, sent: bool) -> TransportError:
        """The error of a request the client's closing cut short (``sent``: it may have left)."""
        if sent:
            return TransportError("the client was closed while the request was in flight", url=url)
        return ConnectError("the client was closed before the request was sent", url=url)

    def _prepared(
        self, endpoint: ep.Endpoint[Any], fields: Mapping[str, str]
    ) -> tuple[tuple[Charge, ...], dict[str, str]]:
        """Return what a command is charged at the gate and its own fields (no credentials)."""
        request = {**fields, **endpoint.command}
        charges = charges_for(endpoint.name, request)
        if self._rule_period is not None:
            charges = tuple(Charge(self._with_period(c.rule), c.key) for c in charges)
        return charges, request

    def _form_fields(self, request: Mapping[str, str]) -> dict[str, str]:
        """Return the whole form of a command as fields: its own, the credentials, the format."""
        return {**request, **self._auth, "fmt": "3", "charset": "utf-8"}

    def _multipart(
        self, request: Mapping[str, str], files: Sequence[tuple[str, bytes]]
    ) -> aiohttp.FormData:
        """Return a command's form with files as multipart (a FormData serves one request)."""
        form = aiohttp.FormData(charset="utf-8")
        for name, value in self._form_fields(request).items():
            form.add_field(name, value)
        for index, (filename, content) in enumerate(files):
            form.add_field(f"file{index}", content, filename=filename)
        return form

    def _encoded(self, request: Mapping[str, str]) -> bytes:
        """Return the whole form of a command, urlencoded (the same fields as _form_fields)."""
        if not request:
            return self._auth_form[1:]
        if CALLER_FIELDS.isdisjoint(request):
            return urlencode_form(request) + self._auth_form
        return urlencode_form(self._form_fields(request))  # the client's own values win

    def _with_period(self, rule: Rule) -> Rule:
        periodic = self._periodic.get(rule)
        if periodic is None:
            assert self._rule_period is not None
            periodic = self._periodic[rule] = dataclasses.replace(rule, period=self._rule_period)
        return periodic

    def _url(self, endpoint: ep.Endpoint[Any], attempt: int) -> str:
        # Attempts alternate between the primary server and the backups.
        return f"{self._roots[attempt % len(self._roots)]}/sys/{endpoint.script}"

    @contextlib.asynccontextmanager
    async def _slot(
        self,
        charges: tuple[Charge, ...],
        policy: WaitPolicy | None = None,
        *,
        bounded: bool = True,
    ) -> AsyncIterator[None]:
        """Hold a place at the gate for one attempt; give it back if SMSC was never reached.

        ``bounded`` tells the gate the attempt ends within the client's timeout (a streamed
        download does not: its lease is renewed while it runs).
        """
        async with self._gate.admit(
            self._account,
            charges,
            policy or self._policy,
            max_in_flight=self._max_in_flight,
            timeout=self._timeout.total if bounded else None,
        ) as ticket:
            try:
                yield
            except ConnectError:
                ticket.refund()  # never reached SMSC: it must not count in the windows
                raise

    def _retry_delay(
        self, endpoint: ep.Endpoint[Any], exc: TransportError | HTTPStatusError, attempt: int
    ) -> float | None:
        """Return the pause before retry number ``attempt``, or ``None`` to give up."""
        if attempt > self._max_retries or not is_retryable(exc, safe=endpoint.safe):
            return None
        delay = backoff_delay(attempt, base=self._backoff[0], cap=self._backoff[1])
        log.debug(
            "retrying %s (retry %d of %d) in %.2f s after %s",
            endpoint.script,
            attempt,
            self._max_retries,
            delay,
            exc,
        )
        return delay

    async def _post(
        self,
        endpoint: ep.Endpoint[Any],
        fields: Mapping[str, str],
        files: Sequence[tuple[str, bytes]] = (),
        progress: Progress | None = None,
        policy: WaitPolicy | None = None,
    ) -> bytes:
        """Send one command through the gate, retrying as the endpoint allows; return the body.

        ``progress.started`` is set once a request has been handed to the network; ``policy``
        replaces the client's wait policy for this command.
        """
        transport = self._require_transport()
        charges, request = self._prepared(endpoint, fields)
        # Encoded once for every attempt; a FormData is consumed by one request, so each
        # attempt with files builds its own.
        body = None if files else self._encoded(request)
        gate, account, cap = self._gate, self._account, self._max_in_flight
        policy = policy or self._policy
        attempt = 0
        self._active += 1  # aclose() waits for it (see there)
        try:
            while True:
                url = self._url(endpoint, attempt)
                try:
                    # The gate's admission inline rather than through _slot: this is every
                    # request's path, and a generator context manager costs a few µs each.
                    async with gate.admit(
                        account, charges, policy, max_in_flight=cap, timeout=self._timeout.total
                    ) as ticket:
                        try:
                            if self._state != "open":  # closed while waiting at the gate
                                raise self._closed_error(url, sent=False)
                            if progress is not None:
                                progress.started = True
                            data = body if body is not None else self._multipart(request, files)
                            try:
                                return await transport.post(url, data)
                            except RuntimeError as exc:  # aiohttp: the session closed under it
                                if self._state == "open":
                                    raise
                                raise self._closed_error(url, sent=True) from exc
                        except ConnectError:
                            ticket.refund()  # never reached SMSC: it must not count
                            raise
                except (TransportError, HTTPStatusError) as exc:
                    attempt += 1
                    delay = (
                        None if self._state != "open" else self._retry_delay(endpoint, exc, attempt)
                    )
                    if delay is None:
                        raise
                    await sleep(delay)
        finally:
            self._ended()

    @contextlib.asynccontextmanager
    async def _stream(
        self,
        endpoint: ep.Endpoint[Any],
        fields: Mapping[str, str],
        *,
        idle_timeout: float | None = None,
    ) -> AsyncIterator[StreamedBody]:
        transport = self._require_transport()
        charges, request = self._prepared(endpoint, fields)
        self._active += 1  # aclose() waits for it (see there)
        try:
            async with self._stream_attempts(
                endpoint, charges, self._encoded(request), transport, idle_timeout=idle_timeout
            ) as got:
                yield got
        finally:
            self._ended()

    @contextlib.asynccontextmanager
    async def _stream_attempts(
        self,
        endpoint: ep.Endpoint[Any],
        charges: tuple[Charge, ...],
        body: bytes,
        transport: Transport,
        *,
        idle_timeout: float | None,
    ) -> AsyncIterator[StreamedBody]:
        attempt = 0
        handed_over = False
        while True:
            url = self._url(endpoint, attempt)
            try:
                async with self._slot(charges, bounded=False):
                    if self._state != "open":  # closed while waiting at the gate
                        raise self._closed_error(url, sent=False)
                    async with transport.stream(url, body, idle_timeout=idle_timeout) as got:
                        handed_over = True
                        yield got
                        return
            except (TransportError, HTTPStatusError) as exc:
                if handed_over:
                    raise  # the body was being read: nothing is repeated
                attempt += 1
                delay = None if self._state != "open" else self._retry_delay(endpoint, exc, attempt)
                if delay is None:
                    raise
                await sleep(delay)

    async def _request(self, endpoint: ep.Endpoint[T], fields: Mapping[str, str]) -> T:
        """Send a command and decode its answer; identical reads in flight share one request.

        Ten coroutines asking for the balance at once cause one request: the answer is equally
        fresh for all of them, and nine requests are saved from SMSC's per-minute windows.
        Changes are never merged (each is its own command).
        """
        if not endpoint.safe:
            return decode_answer(endpoint, await self._post(endpoint, fields))
        command = endpoint.command
        request = {**fields, **command} if command else fields
        key = (endpoint.script, tuple(sorted(request.items())))
        joined = self._joined
        while (shared := joined.get(key)) is not None:
            try:
                # shield: a joiner's cancellation must not cancel what the others wait for.
                return decode_answer(endpoint, await asyncio.shield(shared.joined()))
            except _AskerGone:
                continue  # the caller whose request it was has been cancelled: ask anew
        # The first caller sends the request itself (no extra task on the common path) and
        # hands the answer, or the failure, to whoever joined meanwhile; the future they wait
        # on is made by the first of them (none at all when nobody joins).
        shared = joined[key] = _Shared()
        try:
            body = await self._post(endpoint, fields)
        except BaseException as exc:
            shared.fail(exc if isinstance(exc, Exception) else _AskerGone())
            raise
        else:
            shared.done(body)
        finally:
            if joined.get(key) is shared:
                del joined[key]
        return decode_answer(endpoint, body)

    async def call(self, script: str, /, **params: FormValue) -> Any:
        """Call any SMSC script with raw parameters: the escape hatch for commands not typed here.

        The request takes the same path as every typed command: the limits gate (the rules of the
        typed command it matches, e.g. ``get.php`` with ``get_stat=1`` counts as statistics),
        credentials and ``fmt=3``/``charset=utf-8`` added by the client, retries for reads only
        (a request with a ``get*`` flag, status, balance, a cost request), and SMSC's errors
        raised as the typed :class:`~smsc_async.errors.APIError` subclasses.

        Example::

            groups = await smsc.call("phones.php", get_group=1)

        Args:
            script: Script file under ``/sys/``, e.g. ``"phones.php"``.
            **params: Parameters. ``True``/``False`` are sent as ``1``/``0``, ``None`` is left
                out, a sequence of str is joined with commas, ints and Decimals as text.

        Returns:
            The decoded JSON answer (dicts, lists, str, int, float), as SMSC sent it.

        Raises:
            ValueError: a bad script name, or a parameter the client sets itself (credentials,
                ``fmt``, ``charset``).
            TypeError: a parameter value of a type that cannot be sent.
            APIError: SMSC answered an error (subclass chosen by script and code).
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        reserved = sorted(CALLER_FIELDS & params.keys())
        if reserved:
            raise ValueError(f"call() sets {', '.join(reserved)} itself; leave them out")
        fields = encode_form(params)
        endpoint = ep.endpoint_for_call(script, fields)
        return decode_answer(endpoint, await self._post(endpoint, fields))
