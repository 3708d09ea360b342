"""Mass mailings: jobs.php.

A mailing ("job") is a send that SMSC keeps on its side: a name, recipients and one text,
started at ``time`` (default: now) and optionally repeated on a schedule. Every send.php
option given to :meth:`Jobs.add` applies to each message of the mailing.

Answers (SMSC's jobs_answer page, smsc-api.md §16): ``add`` answers the new id
(``{"id": <id>}``), with ``cost=1`` also the price (``{"id": <id>, "cost": "<cost>"}``);
``cancel`` and ``del`` answer ``OK``. The shape of ``get``/``get_all`` is not documented: the
:class:`Job` model is lenient (every field optional, unknown fields ignored) and follows the
most plausible reading, which is also what the bundled emulator answers.

Error codes: jobs.php documents only 1, 2, 3, 4, 5 and 9, and two of them differ from
send.php: error 3 is "error saving a record" (:class:`~smsc_async.errors.RecordNotSavedError`:
the mailing was not created or changed, e.g. not enough money or no valid recipient), not
"insufficient funds", and error 5 is "operation error"
(:class:`~smsc_async.errors.OperationFailedError`: e.g. an unreadable ``time``, an unknown
mailing id, or cancelling a mailing that already started). The page gives no separate
"not found" code, so an unknown id cannot be told from other failed operations.

Limits: SMSC answers error 9 to a second identical jobs.php request within a minute, so the
client's gate holds a repeated identical request (e.g. polling :meth:`Jobs.get` of one mailing)
until a minute has passed since the previous one.
"""

from __future__ import annotations

import builtins
import enum
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal, TypedDict, Unpack, overload

import msgspec

from ._api import Namespace, decoder
from ._codes import CodeEnum
from ._endpoints import Endpoint
from ._validate import SMSC_DATE, check_choice, check_date, check_id, check_recipients, check_str
from .models import _moscow_naive_to_utc
from .params import MessageKind, Translit, check_text, encode_send_options

__all__ = ["Job", "JobStatus", "Jobs", "MailingOptions", "NewJob", "RepeatPeriod"]


# --- models ------------------------------------------------------------------------------------


class JobStatus(CodeEnum):
    """State of a mailing (``status`` in jobs.php answers).

    Unconfirmed: SMSC's status codes for mailings are not documented. These
    are the codes the bundled emulator answers. Codes outside this set are tolerated: they
    become pseudo-members named ``UNKNOWN_<code>`` that still compare equal to their number.
    """

    WAITING = 0
    """Scheduled: waiting for its start time (only a waiting mailing can be cancelled)."""
    RUNNING = 1
    """Being sent."""
    DONE = 2
    """Every message was handed over."""
    CANCELLED = 3
    """Disabled by :meth:`Jobs.cancel` before it started."""


class RepeatPeriod(enum.IntEnum):
    """How often a mailing repeats (``rpt``)."""

    MANUAL = 0
    """Repeated only when started again by hand."""
    HOURLY = 1
    """Every hour."""
    DAILY = 2
    """Every day."""
    WORKDAYS = 3
    """Every working day."""
    WEEKENDS = 4
    """Every Saturday and Sunday."""
    WEEKLY = 5
    """Every week."""
    MONTHLY = 6
    """Every month."""
    YEARLY = 7
    """Every year."""


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """One mailing as jobs.php ``get``/``get_all`` describe it.

    SMSC's answer shape is not documented; the fields are the plausible ones (named after the
    ``add`` parameters where one exists), all optional, and unknown fields are ignored.

    Attributes:
        id: The mailing id (:meth:`Jobs.add` returned it).
        name: The name given at creation.
        status: State (:class:`JobStatus`, unconfirmed codes); ``None`` when not sent.
        recipients: Number of recipients (``cnt``).
        message: The text (``mes``).
        sender: The sender name (or address for an e-mail mailing).
        subject: Subject of an MMS or e-mail mailing (``subj``).
        type: Message type code as in status.php (0 SMS, 1 flash, ... 8 e-mail, 10 Viber).
        add_date: When the mailing was created, as SMSC writes it (``DD.MM.YYYY hh:mm:ss``,
            Moscow time).
        send_date: When it starts (or started), written the same way.
        repeat: Repeat period code (a :class:`RepeatPeriod` number, ``rpt``), when set.
        max_repeats: Most repeats (``rptn``), when set.
    """

    id: int
    name: str = ""
    status: JobStatus | None = None
    recipients: int = msgspec.field(name="cnt", default=0)
    message: str = msgspec.field(name="mes", default="")
    sender: str = ""
    subject: str = msgspec.field(name="subj", default="")
    type: int | None = None
    add_date: str | None = None
    send_date: str | None = None
    repeat: int | None = msgspec.field(name="rpt", default=None)
    max_repeats: int | None = msgspec.field(name="rptn", default=None)

    @property
    def add_time(self) -> datetime | None:
        """Creation time as an aware UTC datetime, when known."""
        return _moscow_naive_to_utc(self.add_date)

    @property
    def send_time(self) -> datetime | None:
        """Start time as an aware UTC datetime, when known."""
        return _moscow_naive_to_utc(self.send_date)


class NewJob(msgspec.Struct, frozen=True, kw_only=True):
    """A mailing just created with its price: :meth:`Jobs.add` with ``with_cost=True``.

    Attributes:
        id: The mailing id.
        cost: The price SMSC computed for the mailing, in the account currency.
    """

    id: int
    cost: Decimal

    def __post_init__(self) -> None:
        # msgspec turns this ValueError into a ValidationError while decoding, so a NaN price
        # ends as ResponseDecodeError like every other amount of the library.
        if not self.cost.is_finite():
            raise ValueError(f"cost is not a finite amount: {self.cost}")


class _Created(msgspec.Struct, frozen=True, kw_only=True):
    id: int


class MailingOptions(TypedDict, total=False):
    """The send options a mailing takes, each as in :class:`~smsc_async.params.SendOptions`.

    Not here: ``id``, ``op`` and ``err`` (they name one message or shape a send's own answer),
    ``with_balance``, and ``with_cost``, which :meth:`Jobs.add` takes as its own argument
    (jobs.php's ``cost=1``, not send.php's ``cost=2``).
    """

    sender: str
    translit: Translit | int | bool
    tinyurl: bool
    time: datetime | timedelta | str
    tz: int
    period: timedelta | float
    freq: timedelta | int
    valid: timedelta | int
    maxsms: int
    fileurl: str
    userip: str
    imgcode: str
    pp: str


# --- endpoints -----------------------------------------------------------------------------------
# All share the name "jobs": SMSC allows one identical jobs.php request per minute.

ADD: Final = Endpoint("jobs", "jobs.php", {"add": "1"}, safe=False, decoder=decoder(_Created))
ADD_WITH_COST: Final = Endpoint(
    "jobs", "jobs.php", {"add": "1", "cost": "1"}, safe=False, decoder=decoder(NewJob)
)
GET: Final = Endpoint("jobs", "jobs.php", {"get": "1"}, safe=True, decoder=decoder(Job))
GET_ALL: Final = Endpoint(
    "jobs", "jobs.php", {"get_all": "1"}, safe=True, decoder=decoder(list[Job])
)
# A repeated cancel of a cancelled mailing, or delete of a deleted one, fails: never repeated.
CANCEL: Final[Endpoint[None]] = Endpoint(
    "jobs", "jobs.php", {"cancel": "1"}, safe=False, decoder=None
)
DELETE: Final[Endpoint[None]] = Endpoint("jobs", "jobs.php", {"del": "1"}, safe=False, decoder=None)


# --- argument checks -----------------------------------------------------------------------------

# Telegram code messages and WhatsApp are not in SMSC's list of mailing parameters.
_MAILING_KINDS: Final = frozenset(MessageKind) - {MessageKind.TELEGRAM, MessageKind.WHATSAPP}
# Send options that only shape a send's own answer or name one message: a mailing has its own id
# and add answers only that id (and its price with cost=1). Refused for untyped callers too.
_NOT_FOR_MAILINGS: Final = frozenset({"id", "with_balance", "op", "err"})
_HEX: Final = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def _message_fields(
    message: object, kind: MessageKind, subject: str | None, template: str | None
) -> dict[str, str]:
    if not isinstance(message, str):
        raise TypeError(f"message must be a str, not {type(message).__name__}")
    # The text may be left empty when a template supplies it or an MMS has a subject.
    if not message and (template is not None or (kind is MessageKind.MMS and subject)):
        return {}
    text = check_text(message, kind)
    if kind is MessageKind.BINARY and not _HEX.fullmatch(text):
        raise ValueError("a binary mailing takes its message as hex digits, e.g. '0A1B'")
    return {"mes": text} if text else {}


def _add_fields(
    name: object,
    phones: object,
    message: object,
    kind: object,
    subject: str | None,
    sender2: str | None,
    repeat: object,
    max_repeats: object,
    template_id: object,
    options: Mapping[str, object],
) -> dict[str, str]:
    if not isinstance(kind, MessageKind):
        raise TypeError(f"kind must be a MessageKind, got {kind!r}")
    if kind not in _MAILING_KINDS:
        raise ValueError(f"a mailing cannot be of kind {kind.name}; send it with the client")
    refused = sorted(_NOT_FOR_MAILINGS & options.keys())
    if refused:
        raise TypeError(f"option(s) {', '.join(refused)} do not apply to a mailing")
    fields = encode_send_options(options, kind=kind)
    fields.update(name=check_str(name, "name"), phones=check_recipients(phones, "phones"))
    fields.update(kind.flags)
    template = None if template_id is None else check_id(template_id, "template_id")
    if subject is not None:
        if kind not in (MessageKind.MMS, MessageKind.EMAIL):
            raise ValueError("subject applies to MMS and e-mail mailings only")
        fields["subj"] = check_str(subject, "subject")
    if kind is MessageKind.EMAIL:
        if subject is None:
            raise ValueError("an e-mail mailing needs a subject; pass subject=")
        if "@" not in fields.get("sender", ""):
            raise ValueError("an e-mail mailing needs the sender address; pass sender='a@b.c'")
    fields.update(_message_fields(message, kind, subject, template))
    if template is not None:
        fields["tpl"] = template
    if sender2 is not None:
        fields["sender2"] = check_str(sender2, "sender2")
    if repeat is not None:
        fields["rpt"] = check_choice(repeat, RepeatPeriod, "repeat")
        # fl[5]=1 is listed as "auto-repeat on" next to rpt (smsc-api.md §16, third-party
        # source); some integrations send rpt alone. Sending both is harmless if the flag is
        # not needed and required if it is, so a repeating mailing always carries it.
        if fields["rpt"] != str(int(RepeatPeriod.MANUAL)):
            fields["fl[5]"] = "1"
    if max_repeats is not None:
        if isinstance(max_repeats, bool) or not isinstance(max_repeats, int):
            raise TypeError(f"max_repeats must be an int, got {max_repeats!r}")
        if max_repeats < 1:
            raise ValueError(f"max_repeats must be at least 1, got {max_repeats}")
        if repeat is None:
            raise ValueError("max_repeats needs repeat=: it limits the repeats of a period")
        fields["rptn"] = str(max_repeats)
    return fields


def _period_fields(start: object, end: object) -> dict[str, str]:
    fields: dict[str, str] = {}
    if start is not None:
        fields["start"] = check_date(start, "start")
    if end is not None:
        fields["end"] = check_date(end, "end")
    if start is not None and end is not None and _day(fields["end"]) < _day(fields["start"]):
        raise ValueError(f"end {fields['end']} is before start {fields['start']}")
    return fields


def _day(text: str) -> date:
    return datetime.strptime(text, SMSC_DATE).date()


# --- commands ----------------------------------------------------------------------------------


class Jobs(Namespace):
    """Mass mailings (jobs.php), reached as ``smsc.jobs``.

    Example::

        job_id = await smsc.jobs.add("Promo", ["+79990000001", "+79990000002"], "Sale!",
                                     time=timedelta(hours=1))
        job = await smsc.jobs.get(job_id)
        if job.status is JobStatus.WAITING:
            await smsc.jobs.cancel(job_id)
    """

    __slots__ = ()

    @overload
    async def add(
        self,
        name: str,
        phones: str | Sequence[str],
        message: str,
        *,
        kind: MessageKind = ...,
        subject: str | None = ...,
        sender2: str | None = ...,
        repeat: RepeatPeriod | int | None = ...,
        max_repeats: int | None = ...,
        template_id: int | str | None = ...,
        with_cost: Literal[False] = ...,
        **options: Unpack[MailingOptions],
    ) -> int: ...

    @overload
    async def add(
        self,
        name: str,
        phones: str | Sequence[str],
        message: str,
        *,
        kind: MessageKind = ...,
        subject: str | None = ...,
        sender2: str | None = ...,
        repeat: RepeatPeriod | int | None = ...,
        max_repeats: int | None = ...,
        template_id: int | str | None = ...,
        with_cost: Literal[True],
        **options: Unpack[MailingOptions],
    ) -> NewJob: ...

    async def add(
        self,
        name: str,
        phones: str | Sequence[str],
        message: str,
        *,
        kind: MessageKind = MessageKind.SMS,
        subject: str | None = None,
        sender2: str | None = None,
        repeat: RepeatPeriod | int | None = None,
        max_repeats: int | None = None,
        template_id: int | str | None = None,
        with_cost: bool = False,
        **options: Unpack[MailingOptions],
    ) -> int | NewJob:
        """Create a mailing and return its id (with ``with_cost=True``, its id and price).

        SMSC: ``jobs.php`` ``add=1`` (``cost=1`` with ``with_cost``). Not repeated after a
        lost answer (it would create a second mailing).

        Args:
            name: Name of the mailing.
            phones: Recipients: phone numbers (``G<n>`` names a contact group), or e-mail
                addresses for an e-mail mailing.
            message: The text. May be ``""`` for HLR and ping mailings, with ``template_id``,
                and for an MMS with a ``subject``. A binary mailing takes hex digits.
            kind: Kind of every message (its flag, e.g. ``mail=1`` for
                :attr:`~smsc_async.params.MessageKind.EMAIL`); Telegram and WhatsApp are
                refused.
            subject: Subject of an MMS or e-mail mailing (required for e-mail).
            sender2: Sender name used by the repeats of the mailing.
            repeat: How often the mailing repeats (:class:`RepeatPeriod`).
            max_repeats: Most repeats (needs ``repeat``).
            template_id: Id of a message template whose text is sent (``tpl``).
            with_cost: Also return the price SMSC computed for the mailing (a :class:`NewJob`
                instead of the bare id). The mailing is created either way.
            **options: :class:`MailingOptions` applied to every message, e.g. ``time`` for the
                start, ``sender`` (the from-address for e-mail), ``period`` and ``freq`` to
                spread it. ``id``, ``with_balance``, ``op`` and ``err`` do not apply and are
                refused.

        Returns:
            The id of the new mailing; with ``with_cost=True`` a :class:`NewJob` (id and cost).

        Raises:
            TypeError: an argument of the wrong type, or an unknown or refused option.
            ValueError: empty name, no recipient, empty text (where the kind needs one), an
                e-mail mailing without subject or sender address, an option out of range.
            RecordNotSavedError: error 3, SMSC did not save the mailing (e.g. not enough money,
                no valid recipient, a forbidden text).
            OperationFailedError: error 5, the operation failed (e.g. SMSC cannot read
                ``time``).
            BadRequestError: error 1, SMSC refused the parameters.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        if not isinstance(with_cost, bool):
            raise TypeError(f"with_cost must be True or False, not {with_cost!r}")
        fields = _add_fields(
            name, phones, message, kind, subject, sender2, repeat, max_repeats, template_id, options
        )
        if with_cost:
            return await self._client._request(ADD_WITH_COST, fields)
        created = await self._client._request(ADD, fields)
        return created.id

    async def get(self, id: int | str) -> Job:
        """Return one mailing with its current status.

        SMSC: ``jobs.php`` ``get=1``. Asking again for the same mailing within a minute waits
        at the client's gate (SMSC allows one identical request per minute).

        Args:
            id: The mailing id.

        Returns:
            The mailing.

        Raises:
            TypeError: ``id`` is not an int or str.
            ValueError: ``id`` is not a number.
            OperationFailedError: error 5, e.g. no mailing with this id.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request(GET, {"id": check_id(id, "id")})

    async def list(
        self, *, start: date | str | None = None, end: date | str | None = None
    ) -> builtins.list[Job]:
        """Return the mailings, optionally those created between two dates.

        SMSC: ``jobs.php`` ``get_all=1``.

        Args:
            start: First day (a date or ``'dd.mm.yyyy'``), inclusive.
            end: Last day, inclusive.

        Returns:
            The mailings; ``[]`` when there are none (an empty answer, or error 3, which
            other SMSC scripts answer when no records are found).

        Raises:
            TypeError: ``start``/``end`` is not a date or str.
            ValueError: a str that is not a ``dd.mm.yyyy`` date, or ``end`` before ``start``.
            OperationFailedError: error 5, e.g. SMSC could not read a date.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request_list(GET_ALL, _period_fields(start, end))

    async def cancel(self, id: int | str) -> None:
        """Disable a mailing that is waiting to start.

        SMSC: ``jobs.php`` ``cancel=1``. Not repeated after a lost answer (a second cancel
        fails).

        Args:
            id: The mailing id.

        Raises:
            TypeError: ``id`` is not an int or str.
            ValueError: ``id`` is not a number.
            OperationFailedError: error 5, no mailing with this id, or it can no longer be
                cancelled (it started, finished or was cancelled already).
            RecordNotSavedError: error 3, SMSC could not save the change.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(CANCEL, {"id": check_id(id, "id")})

    async def delete(self, id: int | str) -> None:
        """Delete a mailing.

        SMSC: ``jobs.php`` ``del=1``. Not repeated after a lost answer.

        Args:
            id: The mailing id.

        Raises:
            TypeError: ``id`` is not an int or str.
            ValueError: ``id`` is not a number.
            OperationFailedError: error 5, no mailing with this id, or SMSC could not delete
                it.
            RecordNotSavedError: error 3, SMSC could not save the change.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(DELETE, {"id": check_id(id, "id")})
