"""The :class:`Emulator`: an aiohttp.web application that behaves like SMSC's HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._contacts import ContactsControls, handle_mails, handle_phones
from ._controls import Controls
from ._data import DataControls, handle_get, handle_info, handle_tinyurls
from ._downloads import DownloadsControls, handle_downloads
from ._faults import Fault, Faults
from ._jobs import JobsControls, handle_jobs
from ._notify import CallbackControls, Notifier
from ._params import charset_label, parse_message_id, parse_request
from ._render import (
    CONTENT_TYPES,
    ERRORS_WITH_ID,
    FMT_TEXT,
    error_text,
    parse_fmt,
    render_error,
)
from ._rules import (
    CONCURRENCY_TEXT,
    MAX_IN_FLIGHT,
    NO_TICKET,
    WINDOW_SECONDS,
    SlidingWindows,
    Ticket,
)
from ._send import handle_send
from ._senders import SendersControls, handle_senders
from ._service import ServiceControls, handle_ping, handle_receive_phones, handle_wait_call
from ._status import handle_balance, handle_status
from ._store import DEFAULT_SCHEDULE, AccountState, Call, Store
from ._templates import TemplatesControls, handle_op_templates, handle_templates
from ._types import (
    Account,
    ApiFailure,
    BrokenStream,
    FileAnswer,
    Message,
    RecordedFile,
    RecordedRequest,
    StreamAnswer,
)
from ._users import UsersControls, handle_documents, handle_users

if TYPE_CHECKING:
    from .._client import SMSCClient

__all__ = ["SCRIPTS", "Emulator"]

Handler = Callable[[Store, Call], "str | FileAnswer | StreamAnswer"]

# The scripts the emulator serves. Any other /sys/<name> answers error 1 (HTTP 200), like
# a parameter error; paths outside /sys/ are plain HTTP 404s.
SCRIPTS: dict[str, Handler] = {
    "send.php": handle_send,
    "status.php": handle_status,
    "balance.php": handle_balance,
    "phones.php": handle_phones,
    "mails.php": handle_mails,
    "senders.php": handle_senders,
    "users.php": handle_users,
    "documents.php": handle_documents,
    "get.php": handle_get,
    "info.php": handle_info,
    "tinyurls.php": handle_tinyurls,
    "templates.php": handle_templates,
    "op_templates.php": handle_op_templates,
    "jobs.php": handle_jobs,
    "receive_phones.php": handle_receive_phones,
    "wait_call.php": handle_wait_call,
    "ping.php": handle_ping,
    "downloads.php": handle_downloads,
}

_MAX_BODY = 64 * 1024 * 1024  # MMS and e-mail attachments
_HTML_ERROR = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclasses.dataclass(slots=True)
class _Answer:
    http_status: int | None  # None: close the connection without answering
    body: bytes = b""
    content_type: str = ""
    error: int | None = None
    fault: str | None = None
    admitted: bool = False
    stream: StreamAnswer | None = None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Emulator(
    ContactsControls,
    SendersControls,
    UsersControls,
    DataControls,
    TemplatesControls,
    JobsControls,
    ServiceControls,
    DownloadsControls,
    CallbackControls,
    Controls,
):
    """A stateful SMSC double on aiohttp.web, for tests, examples and benchmarks.

    It serves ``/sys/send.php``, ``/sys/status.php`` and ``/sys/balance.php`` like SMSC:
    GET or POST (urlencoded or multipart), ``charset``, ``fmt`` 0-3, login/password (plain
    or MD5) or API key, SMSC's error codes and error-9 limits, and message statuses that
    move over the event loop's clock. Everything it receives is recorded.

    Example::

        emu = Emulator()
        async with emu.serve() as base_url:  # e.g. "http://127.0.0.1:45678"
            ...  # POST base_url + "/sys/send.php"
        assert emu.sends_accepted() == 1

    Args:
        accounts: The accounts it knows; default one ``Account()`` (login ``demo``,
            password ``demo-password``, API key ``demo-apikey``, 1000.00 RUR, 2.50 a part).
        rules: Enforce SMSC's limits (error 9); ``False`` for benchmarks.
        delivery_schedule: ``(seconds after sending, status)`` steps; before the first
            step a message is queued (-1); the last step is final.
        clock_start: The Unix time the emulator's wall clock shows when it starts (for
            dates in answers and ``time=``); default the real time. It then advances with
            the event loop's clock, so virtual-time tests move it too.
        record_requests: Keep every request in :attr:`requests`; turn off for long
            benchmarks.
        seed: Seeds the flash-call confirmation codes.
        callback_url: Post SMSC's notifications (statuses, incoming messages, call
            confirmations) to this URL while serving; ``None`` posts none. See
            :attr:`callback_url` and the attributes after it.
        callback_secret: The secret that signs them (``md5``); ``None`` leaves them unsigned.
        callback_repeat: Post each notification this many times (duplicates, for tests).
        callback_charset: The charset of the posted forms (an SMSC account's default).
        rule_period: The length in seconds of the error-9 limit windows; default SMSC's
            minute. A shorter one lets a test or a demonstration go through several windows
            in seconds. Clients keep counting SMSC's minute (see :meth:`client`): they wait
            longer than such an emulator requires, so its shorter windows never refuse them.

    Attributes:
        rules: Whether the limits are enforced (may be changed at any time).
        faults: The fault knobs (:class:`~smsc_async.emulator.Faults`).
        requests: Every request, in arrival order (completed with its answer when done).
        in_flight: Requests being handled now, per login.
        max_in_flight: The most requests in flight at once seen, per login.
        request_count: Requests received since the start (recorded or not).
        errors_answered: SMSC error codes answered, per login and code (``{"demo": {9: 2}}``
            counts two error-9 answers): injected ones too, and errors whose answer a fault
            then dropped. Requests that name no login count under ``""``.
        base_url: The server root while :meth:`serve` runs, e.g. ``http://127.0.0.1:8080``;
            scripts are at ``base_url + "/sys/<script>.php"``.
    """

    def __init__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        rules: bool = True,
        delivery_schedule: Sequence[tuple[float, int]] = DEFAULT_SCHEDULE,
        clock_start: float | None = None,
        record_requests: bool = True,
        seed: int = 0,
        callback_url: str | None = None,
        callback_secret: str | None = None,
        callback_repeat: int = 1,
        callback_charset: str = "windows-1251",
        rule_period: float = WINDOW_SECONDS,
    ) -> None:
        if not (rule_period > 0 and math.isfinite(rule_period)):
            raise ValueError(
                "rule_period must be a positive, finite number of seconds "
                f"(SMSC's is {WINDOW_SECONDS:g}), got {rule_period!r}"
            )
        self._store = Store(
            (Account(),) if accounts is None else accounts,
            tuple(delivery_schedule),
            clock_start,
            seed,
        )
        self._default_login = next(iter(self._store.accounts))
        self.rules = rules
        self.record_requests = record_requests
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.request_count = 0
        self.errors_answered: dict[str, dict[int, int]] = {}
        self.base_url: str | None = None
        self._gate_scope = f"emulator-{secrets.token_hex(8)}"
        self._admitted: dict[str, int] = {}
        self._windows = SlidingWindows(window=float(rule_period))
        self._sleepers: set[asyncio.Future[None]] = set()
        self._closing = False
        self._app = self._make_app()
        self._app_loop: asyncio.AbstractEventLoop | None = None
        self._notifier = Notifier(
            self._store, url=None, secret=None, repeat=1, charset=callback_charset
        )
        self._store.listener = self._notifier
        self.callback_url = callback_url
        self.callback_secret = callback_secret
        self.callback_repeat = callback_repeat

    # -- configuration and inspection ------------------------------------------------------

    @property
    def app(self) -> web.Application:
        """The aiohttp application, to mount or run it yourself (routes ``/sys/{script}``)."""
        return self._app

    @property
    def rule_period(self) -> float:
        """The length in seconds of the error-9 limit windows (SMSC: 60; fixed at creation)."""
        return self._windows.window

    @property
    def accounts(self) -> tuple[Account, ...]:
        """The accounts as configured (balances change: see :meth:`balance`)."""
        return tuple(state.account for state in self._store.accounts.values())

    @property
    def forbidden_words(self) -> set[str]:
        """Words that make send.php answer error 6 (case-insensitive substring match)."""
        return self._store.forbidden_words

    @forbidden_words.setter
    def forbidden_words(self, words: Iterable[str]) -> None:
        self._store.forbidden_words = set(words)

    @property
    def undeliverable_phones(self) -> set[str]:
        """Recipients send.php refuses (error 8 when no other recipient is left)."""
        return self._store.undeliverable_phones

    @undeliverable_phones.setter
    def undeliverable_phones(self, phones: Iterable[str]) -> None:
        self._store.undeliverable_phones = set(phones)

    @property
    def delivery_schedule(self) -> tuple[tuple[float, int], ...]:
        """The ``(seconds, status)`` steps every message goes through."""
        return self._store.schedule

    def messages(self, login: str | None = None) -> list[Message]:
        """Return the accepted messages of an account (default: the first), oldest first."""
        return list(self._store.messages[self._state(login).account.login])

    def find_message(self, id: int | str, phone: str, login: str | None = None) -> Message | None:
        """Return the latest message with this id and recipient (deleted ones included)."""
        return self._store.find_any(self._state(login).account.login, id, phone)

    def sends_accepted(self, login: str | None = None) -> int:
        """Count the accepted send requests (not cost requests, not refused ones)."""
        return self._store.sends_accepted[self._state(login).account.login]

    def set_outcome(self, phone: str, status: int = 20, err: int = 1) -> None:
        """Make ``status``/``err`` the final status of messages to ``phone``.

        It replaces the last step of the delivery schedule for this recipient, for messages
        already stored and for later ones. ``set_outcome(phone, 1, 0)`` restores delivery.
        """
        self._store.set_outcome(phone, status, err)

    def set_balance(self, login: str, amount: Decimal | int | str) -> None:
        """Set an account's balance."""
        self._state(login).balance = Decimal(str(amount))

    def balance(self, login: str | None = None) -> Decimal:
        """Return an account's current balance."""
        return self._state(login).balance

    def clear_requests(self) -> None:
        """Forget the recorded requests, the in-flight maxima and the request counts."""
        self.requests.clear()
        self.max_in_flight = dict(self.in_flight)
        self.request_count = 0
        self.errors_answered.clear()

    def reset_limits(self) -> None:
        """Forget every error-9 window count (the in-flight counts stay)."""
        self._windows.clear()

    # -- serving ----------------------------------------------------------------------------

    def client(self, login: str | None = None, **options: Any) -> SMSCClient:
        """Make an :class:`~smsc_async.SMSCClient` for one of this emulator's accounts.

        The emulator must be serving (the client takes :attr:`base_url`). Clients made here
        share the limits gate's windows with each other only, so a later emulator that gets
        this one's port does not inherit them. Their rule windows are the emulator's
        :attr:`rule_period` unless ``rule_period`` is given::

            async with emu.serve(), emu.client() as smsc:
                await smsc.send_sms("+79991234567", "Hello")

        Args:
            login: The account; the first one by default. Its password is used.
            **options: Any other ``SMSCClient`` argument (``timeout``, ``max_in_flight``, ...).

        Returns:
            A new, unopened client.

        Raises:
            RuntimeError: If the emulator is not serving.
            KeyError: If no account has this login.
        """
        from .._client import SMSCClient  # the client is optional to the emulator's own work
        from .._limits import LocalGate

        if self.base_url is None:
            raise RuntimeError("the emulator is not serving; call it inside 'async with serve()'")
        account = self._store.accounts[self._default_login if login is None else login].account
        if self.rule_period != WINDOW_SECONDS:
            options.setdefault("rule_period", self.rule_period)
        if "gate" not in options:
            # The gate keys an account by host, port and login; this emulator's clients share
            # a scope of their own, so an emulator that later gets the same port starts clean.
            options["gate"] = LocalGate(
                margin=options.get("rate_margin", 1.0), scope=self._gate_scope
            )
        return SMSCClient(account.login, account.password, base_url=self.base_url, **options)

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_get("/sys/{script}", self._handle, allow_head=False)
        app.router.add_post("/sys/{script}", self._handle)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on ``host:port`` (port 0 picks a free one) and yield the base URL.

        Answers still being delayed when the block ends are dropped, so leaving is quick.

        Raises:
            RuntimeError: If this emulator is already serving.
        """
        if self.base_url is not None:
            raise RuntimeError("this emulator is already serving at " + self.base_url)
        loop = asyncio.get_running_loop()
        if self._app_loop is not None and self._app_loop is not loop:
            self._app = self._make_app()  # an aiohttp app is bound to its first loop
        self._app_loop = loop
        runner = web.AppRunner(
            self._app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_host, bound_port = runner.addresses[0][:2]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            self.base_url = f"http://{shown}:{bound_port}"
            self._store.anchor(loop.time())
            await self._notifier.start()
            yield self.base_url
        finally:
            self.base_url = None
            self._closing = True
            for waiter in list(self._sleepers):
                _wake(waiter)
            try:
                await self._notifier.stop()
                await runner.cleanup()
            finally:
                self._closing = False

    # -- request handling ---------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        now = asyncio.get_running_loop().time()
        script = request.match_info["script"]
        parsed = await parse_request(request)
        params = parsed.params
        fmt = parse_fmt(params.get("fmt"))
        state = self._store.authenticate(params)
        login = state.account.login if state is not None else params.get("login") or None

        self.request_count += 1
        record: RecordedRequest | None = None
        records = self.requests
        if self.record_requests:
            record = RecordedRequest(
                script=script,
                method=request.method,
                params=params,
                query_keys=parsed.query_keys,
                content_type=parsed.content_type,
                files=parsed.files,
                login=login,
                at=now,
            )
            records.append(record)
            slot = len(records) - 1
        if state is not None:
            assert login is not None
            count = self.in_flight.get(login, 0) + 1
            self.in_flight[login] = count
            if count > self.max_in_flight.get(login, 0):
                self.max_in_flight[login] = count

        answer = _Answer(None)
        try:
            answer = self._answer(script, params, parsed.files, parsed.codec, fmt, state, now)
            if answer.admitted:  # no await since the concurrency check: still atomic
                assert login is not None
                self._admitted[login] = self._admitted.get(login, 0) + 1
            delay = self.faults.delay_for(script)
            if delay > 0 and not await self._sleep(delay):
                answer = _Answer(None, fault=answer.fault, admitted=answer.admitted)
            if answer.http_status is None:
                if request.transport is not None:
                    request.transport.close()
                return web.Response()  # never written: the connection is gone
            if answer.stream is not None:
                return await self._stream(request, answer.stream)
            return web.Response(
                status=answer.http_status,
                body=answer.body,
                headers={"Content-Type": answer.content_type},
            )
        finally:
            if state is not None:
                assert login is not None
                self.in_flight[login] -= 1
                if answer.admitted:
                    self._admitted[login] -= 1
            if answer.error is not None:
                codes = self.errors_answered.setdefault(login or "", {})
                codes[answer.error] = codes.get(answer.error, 0) + 1
            if record is not None and slot < len(records) and records[slot] is record:
                records[slot] = dataclasses.replace(
                    record,
                    answered_error=answer.error,
                    http_status=answer.http_status,
                    fault=answer.fault,
                )

    async def _stream(self, request: web.Request, stream: StreamAnswer) -> web.StreamResponse:
        """Write a streamed answer chunk by chunk (the body is never built in memory)."""
        response = web.StreamResponse(status=200, headers={"Content-Type": stream.content_type})
        if stream.length is not None:
            response.content_length = stream.length
        await response.prepare(request)
        try:
            async for chunk in stream.chunks:
                await response.write(chunk)
        except BrokenStream:
            # A connection lost in the middle of the body, as the fault asked.
            if request.transport is not None:
                request.transport.close()
            return response
        except ConnectionResetError:
            return response  # the client went away
        await response.write_eof()
        return response

    async def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` of loop time; return ``False`` if the server is closing."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _wake, waiter)
        self._sleepers.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._sleepers.discard(waiter)
        return not self._closing

    def _answer(
        self,
        script: str,
        params: dict[str, str],
        files: tuple[RecordedFile, ...],
        codec: str,
        fmt: int,
        state: AccountState | None,
        now: float,
    ) -> _Answer:
        fault = self.faults.take(script)
        if fault is not None and fault.kind != "drop_after_processing":
            return self._faulted(fault, script, params, codec, fmt)
        admitted = False
        error: int | None = None
        answer_fmt = fmt
        try:
            handler, ticket = self._admit(script, params, state, now)
        except ApiFailure as failure:
            error = failure.code
            text: str | FileAnswer | StreamAnswer = render_error(fmt, failure.code, failure.text)
        else:
            assert state is not None
            admitted = True
            try:
                text = handler(self._store, Call(script, params, fmt, files, state, now))
            except ApiFailure as failure:
                self._windows.give_back(ticket)
                error = failure.code
                if failure.plain_text:
                    answer_fmt = FMT_TEXT
                text = render_error(answer_fmt, failure.code, failure.text, failure.message_id)
        stream = None
        if isinstance(text, StreamAnswer):
            body, content_type, stream = b"", text.content_type, text
        elif isinstance(text, FileAnswer):
            body, content_type = text.body, text.content_type
        else:
            body = text.encode(codec, errors="replace")
            content_type = f"{CONTENT_TYPES[answer_fmt]}; charset={charset_label(codec)}"
        return _Answer(
            http_status=None if fault is not None else 200,
            body=body,
            content_type=content_type,
            error=error,
            fault=fault.kind if fault is not None else None,
            admitted=admitted,
            stream=stream,
        )

    def _admit(
        self, script: str, params: dict[str, str], state: AccountState | None, now: float
    ) -> tuple[Handler, Ticket]:
        """Let a request in (script known, credentials valid, limits) or refuse it."""
        handler = SCRIPTS.get(script)
        if handler is None:
            raise ApiFailure(1, error_text(1))
        if state is None:
            raise ApiFailure(2, error_text(2))
        login = state.account.login
        ticket = NO_TICKET
        if self.rules:
            if self._admitted.get(login, 0) >= MAX_IN_FLIGHT:
                raise ApiFailure(9, CONCURRENCY_TEXT)
            ticket = self._windows.admit(login, script, params, now)
        return handler, ticket

    def _faulted(
        self, fault: Fault, script: str, params: dict[str, str], codec: str, fmt: int
    ) -> _Answer:
        charset = charset_label(codec)
        if fault.kind == "drop":
            return _Answer(None, fault=fault.kind)
        if fault.kind == "http_error":
            status = fault.value
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:  # a status Python does not name
                reason = "Error"
            page = _HTML_ERROR.format(status=status, reason=reason)
            return _Answer(status, page.encode(), "text/html; charset=utf-8", fault=fault.kind)
        code = fault.value
        text = error_text(code, script)
        if fault.kind == "plain_text_error":
            body = render_error(FMT_TEXT, code, text)
            content_type = f"text/plain; charset={charset}"
        else:
            message_id = self._fault_message_id(script, code, params)
            body = render_error(fmt, code, text, message_id)
            content_type = f"{CONTENT_TYPES[fmt]}; charset={charset}"
        return _Answer(200, body.encode(codec, errors="replace"), content_type, code, fault.kind)

    def _fault_message_id(self, script: str, code: int, params: dict[str, str]) -> int | str | None:
        if script != "send.php" or code not in ERRORS_WITH_ID:
            return None
        try:
            client_id = parse_message_id(params.get("id"))
        except ApiFailure:
            client_id = None
        return client_id if client_id is not None else self._store.new_id()
