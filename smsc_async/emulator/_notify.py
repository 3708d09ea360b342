"""Notifications to the account's callback URL, as SMSC posts them (smsc-api.md §22).

While :attr:`~CallbackControls.callback_url` is set and the emulator serves, it POSTs a form
(urlencoded, in :attr:`~CallbackControls.callback_charset`, default windows-1251 like an SMSC
account) to that URL:

- a **status** at each step of the delivery schedule that changes a message's status, timed
  with ``loop.call_later`` from when send.php stored the message, so virtual time drives them;
  the final step carries the outcome of ``set_outcome`` when there is one. Fields: ``id``,
  ``phone``, ``status``, ``err``, ``type`` (the status.php type numbers), ``cnt`` (parts),
  ``ts`` (Unix time of the change), ``md5``. Messages stored while no URL was set are not
  announced (so benchmarks pay nothing), a message deleted before a step is not announced any
  more, and an outcome set after the final step changes nothing already posted.
- an **incoming** message when ``add_incoming`` receives one: ``id``, ``sms_id`` (left out when
  it answers nothing), ``phone``, ``mes``, ``to``, ``sent`` and ``time`` (Unix time), ``md5``.
- a **call confirmation** when ``simulate_call`` confirms a number: ``waitcall=1``, ``phone``,
  ``ts``, ``md5``.

``md5`` is computed with this module's own copy of the formula (:data:`SIGNED_FIELDS`; the
emulator never imports the client) and left out when no secret is set, which lets a test check
that unsigned notifications are refused. Which extra fields SMSC sends (``time``, ``flag`` …)
is not documented; these are the emulator's choice.

Each notification is posted :attr:`~CallbackControls.callback_repeat` times in a row (SMSC may
repeat one; tests use this for duplicates). Every post is recorded in
:attr:`~CallbackControls.posted_callbacks` with the answer's HTTP status, or the error when the
post failed; a failure never disturbs the emulator, and nothing is retried (SMSC's retry policy
is not documented). Posts still running when :meth:`Emulator.serve` ends are cancelled and
recorded as such.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

import aiohttp

from ._controls import Controls
from ._send import MESSAGE_TYPES
from ._store import Store
from ._types import Message

__all__ = [
    "POST_TIMEOUT",
    "SIGNED_FIELDS",
    "CallbackControls",
    "Notifier",
    "PostedCallback",
    "call_fields",
    "sign",
]

SIGNED_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "status": ("id", "phone", "status"),
    "incoming": ("phone", "mes", "to"),
    "waitcall": ("phone", "ts"),
}
"""The fields each kind's ``md5`` covers, in order, before the secret (third-party source)."""

POST_TIMEOUT: Final = 10.0
"""Seconds one notification post may take (loop time)."""

_ANSWER_KEPT = 200  # characters of the receiver's answer kept in the record
_FORM = "application/x-www-form-urlencoded"


def sign(kind: str, fields: dict[str, str], secret: str, codec: str = "utf-8") -> str:
    """Return ``md5("{f1}:...:{secret}")`` in lowercase hex over the text in ``codec``."""
    text = ":".join([*(fields.get(name, "") for name in SIGNED_FIELDS[kind]), secret])
    return hashlib.md5(text.encode(codec, errors="replace"), usedforsecurity=False).hexdigest()


def call_fields(phone: str, at: float) -> dict[str, str]:
    """Return the unsigned fields of a call confirmation that arrived at Unix time ``at``."""
    return {"waitcall": "1", "phone": phone, "ts": str(int(at))}


@dataclass(frozen=True, slots=True)
class PostedCallback:
    """One notification post the emulator made.

    Attributes:
        kind: ``"status"``, ``"incoming"`` or ``"waitcall"``.
        url: Where it was posted.
        fields: The form fields, as the receiver decodes them (``md5`` included when signed).
        login: The account the notification is about.
        attempt: 1 for the first post of a notification, 2... for its repeats.
        at: The event loop time of the post.
        http_status: The receiver's HTTP status; ``None`` when the post failed.
        answer: The start of the receiver's answer body.
        error: Why the post failed (connection refused, timeout, stopped), else ``None``.
    """

    kind: str
    url: str
    fields: dict[str, str]
    login: str
    attempt: int
    at: float
    http_status: int | None = None
    answer: str = ""
    error: str | None = None


def _codec(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        raise ValueError(f"unknown charset {charset!r}") from None


class Notifier:
    """Posts the notifications of one emulator (the store's listener)."""

    def __init__(
        self,
        store: Store,
        *,
        url: str | None,
        secret: str | None,
        repeat: int,
        charset: str,
    ) -> None:
        self.store = store
        self.url = url
        self.secret = secret
        self.repeat = repeat
        self.codec = _codec(charset)
        self.posted: list[PostedCallback] = []
        self._session: aiohttp.ClientSession | None = None
        self._timers: dict[tuple[int, int], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle (Emulator.serve) -----------------------------------------------------------

    async def start(self) -> None:
        """Open the one HTTP session all posts share (called when serving starts)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT))

    async def stop(self) -> None:
        """Cancel pending steps and posts, then close the session (serving ends)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def drain(self) -> None:
        """Wait until no post is running (steps still to come are not waited for)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the store's events -------------------------------------------------------------------

    def message_stored(self, message: Message) -> None:
        """Schedule a status notification for each step of the delivery schedule."""
        if self.url is None or self._session is None:
            return
        loop = asyncio.get_running_loop()
        schedule = self.store.schedule
        last = len(schedule) - 1
        previous = -1
        for index, (offset, status) in enumerate(schedule):
            # A step that repeats the previous status is no change; the last one may still
            # become one (set_outcome), so it is always scheduled and checked when it fires.
            if status != previous or index == last:
                delay = max(0.0, message.send_at + offset - loop.time())
                key = (id(message), index)
                self._timers[key] = loop.call_later(delay, self._status_step, message, index)
            previous = status

    def incoming_received(
        self,
        login: str,
        *,
        incoming_id: int,
        phone: str,
        text: str,
        to_phone: str,
        at: float,
        sms_id: int | str,
    ) -> None:
        """Announce an incoming message."""
        stamp = str(int(at))
        fields = {"id": str(incoming_id), "phone": phone, "mes": text, "to": to_phone}
        if sms_id not in (0, ""):
            fields["sms_id"] = str(sms_id)
        fields |= {"sent": stamp, "time": stamp}
        self._post("incoming", login, fields)

    def call_confirmed(self, login: str, phone: str, at: float) -> None:
        """Announce a call confirmation."""
        self._post("waitcall", login, call_fields(phone, at))

    # -- posting ------------------------------------------------------------------------------

    def _status_step(self, message: Message, index: int) -> None:
        self._timers.pop((id(message), index), None)
        if message.deleted:
            return
        schedule = self.store.schedule
        offset, status = schedule[index]
        err = 0
        # The same rule as Store.status_at, at exactly this step's time (no float drift).
        if index == len(schedule) - 1 and message.final_status is not None:
            status, err = message.final_status, message.final_err or 0
        if status == (schedule[index - 1][1] if index else -1):
            return
        fields = {
            "id": str(message.id),
            "phone": message.phone,
            "status": str(status),
            "err": str(err),
            "type": str(MESSAGE_TYPES.get(message.kind, 0)),
            "cnt": str(message.parts),
            "ts": str(int(self.store.unix(message.send_at + offset))),
        }
        self._post("status", message.login, fields)

    def _post(self, kind: str, login: str, fields: dict[str, str]) -> None:
        url = self.url
        if url is None:
            return
        # What the account charset cannot hold arrives as "?": sign exactly what arrives.
        fields = {
            name: value.encode(self.codec, errors="replace").decode(self.codec)
            for name, value in fields.items()
        }
        if self.secret is not None:
            fields["md5"] = sign(kind, fields, self.secret, self.codec)
        session = self._session
        if session is None:
            self.posted.append(
                PostedCallback(
                    kind, url, fields, login, 1, 0.0, error="the emulator is not serving"
                )
            )
            return
        task = asyncio.get_running_loop().create_task(
            self._deliver(session, url, kind, login, fields)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        url: str,
        kind: str,
        login: str,
        fields: dict[str, str],
    ) -> None:
        body = urlencode(fields, encoding=self.codec).encode("ascii")
        loop = asyncio.get_running_loop()
        for attempt in range(1, max(1, self.repeat) + 1):
            at = loop.time()
            record = PostedCallback(kind, url, fields, login, attempt, at)
            try:
                async with session.post(url, data=body, headers={"Content-Type": _FORM}) as resp:
                    answer = await resp.content.read(_ANSWER_KEPT)
                    status = resp.status
            except asyncio.CancelledError:
                self.posted.append(_failed(record, "cancelled: the emulator stopped serving"))
                raise
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                self.posted.append(_failed(record, f"{type(exc).__name__}: {exc}"))
            else:
                text = answer.decode("utf-8", errors="replace")
                self.posted.append(_answered(record, status, text))


def _failed(record: PostedCallback, error: str) -> PostedCallback:
    return PostedCallback(
        record.kind, record.url, record.fields, record.login, record.attempt, record.at, error=error
    )


def _answered(record: PostedCallback, status: int, answer: str) -> PostedCallback:
    return PostedCallback(
        record.kind,
        record.url,
        record.fields,
        record.login,
        record.attempt,
        record.at,
        http_status=status,
        answer=answer,
    )


class CallbackControls(Controls):
    """The callback settings and records (mixed into ``Emulator``)."""

    _notifier: Notifier

    @property
    def callback_url(self) -> str | None:
        """Where notifications are posted; ``None`` posts nothing (may be changed any time)."""
        return self._notifier.url

    @callback_url.setter
    def callback_url(self, url: str | None) -> None:
        self._notifier.url = url or None

    @property
    def callback_secret(self) -> str | None:
        """The secret signing ``md5``; ``None`` posts unsigned notifications."""
        return self._notifier.secret

    @callback_secret.setter
    def callback_secret(self, secret: str | None) -> None:
        self._notifier.secret = secret

    @property
    def callback_repeat(self) -> int:
        """How many times each notification is posted (at least 1)."""
        return self._notifier.repeat

    @callback_repeat.setter
    def callback_repeat(self, times: int) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"callback_repeat must be a positive int, not {times!r}")
        self._notifier.repeat = times

    @property
    def callback_charset(self) -> str:
        """The charset of the posted form (a Python codec name, e.g. ``"cp1251"``)."""
        return self._notifier.codec

    @callback_charset.setter
    def callback_charset(self, charset: str) -> None:
        self._notifier.codec = _codec(charset)

    @property
    def posted_callbacks(self) -> list[PostedCallback]:
        """Every notification post made, in completion order (the list itself: clear it freely)."""
        return self._notifier.posted

    async def drain_callbacks(self) -> None:
        """Wait until every post already started has been answered or has failed."""
        await self._notifier.drain()
