"""Typed results of SMSC commands, decoded from SMSC's ``fmt=3`` JSON answers.

Every result is a frozen msgspec Struct. Unknown fields are ignored (SMSC adds fields over
time), optional fields default to ``None``, money is :class:`~decimal.Decimal` (SMSC sends it as a
string or a number), and numbers that SMSC sometimes quotes are accepted either way.

Money is always a finite number: an answer with ``NaN`` or ``Infinity`` in a money field is
refused as a whole (:class:`~smsc_async.errors.ResponseDecodeError`), since such a value would
raise later, in a comparison or a ``hash()``. Times SMSC sends are kept as sent; the properties
that turn them into datetimes give ``None`` for a time a datetime cannot hold (see
:attr:`MessageStatus.last_time`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import msgspec

from ._codes import CodeEnum

__all__ = [
    "Balance",
    "CostResult",
    "MessageState",
    "MessageStatus",
    "PhoneDetail",
    "SendResult",
]


class MessageState(CodeEnum):
    """Delivery status code of a message (``status`` in status.php answers).

    Codes SMSC adds later are tolerated: they become pseudo-members named ``UNKNOWN_<code>``
    that still compare equal to their number.
    """

    NOT_FOUND = -3
    """No message with this id and phone."""
    STOPPED = -2
    """A mailing message stopped before it reached the operator."""
    QUEUED = -1
    """Waiting to be sent (queued or scheduled)."""
    SENT = 0
    """Handed to the operator."""
    DELIVERED = 1
    """Delivered to the handset."""
    READ = 2
    """Opened (e-mail)."""
    EXPIRED = 3
    """Lifetime ended undelivered."""
    LINK_CLICKED = 4
    """Delivered and its short link clicked."""
    SPAM = 6
    """E-mail rejected as spam."""
    CANNOT_DELIVER = 20
    """Blocked, non-existent, roaming without SMS, or unsupported handset."""
    INVALID_NUMBER = 22
    """Wrong number format."""
    FORBIDDEN = 23
    """Forbidden: limits, black list, spam filter."""
    INSUFFICIENT_FUNDS = 24
    """Not enough money to send."""
    UNREACHABLE = 25
    """The number does not accept messages or has no route."""

    @property
    def is_final(self) -> bool:
        """Whether the status can no longer change.

        Queued, sent, delivered, read and insufficient-funds messages may still move (a
        delivered message can still be read or clicked); every other code is final.
        """
        return self not in _NON_FINAL

    @property
    def is_settled(self) -> bool:
        """Whether the message has an outcome: delivered, read, or any final status.

        This is what waiting for a send to finish means: a delivered SMS stays "delivered"
        (only e-mails and tracked links move on), while queued, sent and insufficient-funds
        messages may still change.
        """
        return self in _DONE or self not in _NON_FINAL


_NON_FINAL = frozenset(
    {
        MessageState.QUEUED,
        MessageState.SENT,
        MessageState.DELIVERED,
        MessageState.READ,
        MessageState.INSUFFICIENT_FUNDS,
    }
)
_DONE = frozenset({MessageState.DELIVERED, MessageState.READ})


class _Result(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every result: frozen, keyword-only; money fields must be finite."""

    def __post_init__(self) -> None:
        # msgspec turns a ValueError raised here into a ValidationError while decoding, so a
        # NaN balance ends as ResponseDecodeError instead of raising at the user's comparison.
        for name in _MONEY.get(type(self), ()):
            value = getattr(self, name)
            if value is not None and not value.is_finite():
                raise ValueError(f"{name} is not a finite amount: {value}")


class PhoneDetail(_Result, frozen=True, kw_only=True):
    """Per-number details of a send or cost answer (``op=1`` / ``err=1``).

    Attributes:
        phone: The number as SMSC read it.
        mccmnc: Mobile country and network code of the number's operator.
        cost: Price for this number.
        status: Set only for a number with a problem (a :class:`MessageState` code).
        error: Error code for a number with a problem.
    """

    phone: str
    mccmnc: str | None = None
    cost: Decimal | None = None
    status: int | None = None
    error: int | None = None


class SendResult(_Result, frozen=True, kw_only=True):
    """Answer of a send (send.php).

    Attributes:
        id: The message id: the client-assigned id the send carried.
        cnt: Number of SMS parts over all recipients (seconds for a voice message).
        cost: Total price, when the send asked for it.
        balance: Account balance after the send, when asked for.
        code: For a flash-call confirmation: the digits the recipient must enter.
        phones: Per-number details, when asked for with ``op=True`` or ``err=True``.
        reconciled: ``True`` when the answer was lost on the way and the client confirmed the
            send through status.php instead; ``cnt``, ``cost`` and ``balance`` are then unknown
            (``cnt`` is 0).
    """

    id: int | str
    cnt: int = 0
    cost: Decimal | None = None
    balance: Decimal | None = None
    code: str | None = None
    phones: tuple[PhoneDetail, ...] | None = None
    reconciled: bool = False


class CostResult(_Result, frozen=True, kw_only=True):
    """Answer of a cost request (send.php with ``cost=1``): nothing was sent.

    Attributes:
        cost: Total price in the account currency.
        cnt: Number of SMS parts over all recipients.
        phones: Per-number details, when asked for with ``op=True``.
    """

    cost: Decimal
    cnt: int
    phones: tuple[PhoneDetail, ...] | None = None


_MOSCOW: Final = timedelta(hours=3)


def _moscow_naive_to_utc(text: str | None) -> datetime | None:
    """Read SMSC's Moscow ``DD.MM.YYYY hh:mm:ss`` as UTC; ``None`` if it is not one.

    A date whose UTC time falls before year 1 (``01.01.0001 00:00:00`` is 3 hours earlier in
    UTC) is ``None`` too: a datetime cannot hold it.
    """
    # Moscow time is UTC+3 with no DST since 2014.
    if not text:
        return None
    try:
        naive = datetime.strptime(text, "%d.%m.%Y %H:%M:%S")
        return (naive - _MOSCOW).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _unix_to_utc(seconds: int | None) -> datetime | None:
    """Read a Unix time as an aware UTC datetime; ``None`` if absent, 0 or out of range."""
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        # Past year 9999 or before year 1 (ValueError), past the C time_t (OverflowError),
        # or refused by the platform's gmtime (OSError).
        return None


def _as_time(value: str | int | None) -> datetime | None:
    """Read a Unix time (a number or digits) or SMSC's Moscow ``DD.MM.YYYY hh:mm:ss``.

    ``None`` when absent or out of the range a datetime holds (never an exception).
    """
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return _unix_to_utc(value)
    if value.isascii() and value.isdigit():
        return _unix_to_utc(int(value)) if len(value) <= 20 else None
    return _moscow_naive_to_utc(value)


class MessageStatus(_Result, frozen=True, kw_only=True):
    """Status of one message (status.php).

    The base fields come with every answer; the others only with ``all=1`` or ``all=2``, for
    multi-message requests (``id``, ``phone``) or for HLR requests.

    Attributes:
        status: Delivery status (:class:`MessageState`; unknown codes tolerated).
        err: Error code inside the status (0 = none; for HLR, the subscriber status).
        last_timestamp: Unix time of the last status change.
        last_date: The same as SMSC wrote it (``DD.MM.YYYY hh:mm:ss``, Moscow time).
        flag: Message flags as SMSC reports them.
        id: Message id (multi-message answers and ``all=1/2``).
        phone: Recipient (multi-message answers and ``all=1/2``).
        send_timestamp: Unix time the message was sent (``all=1/2``).
        send_date: The same as SMSC wrote it.
        cost: Price of the message (``all=1/2``).
        sender_id: Sender name used (``all=1/2``).
        status_name: SMSC's human name of the status (``all=1/2``).
        message: Message text (``all=1/2``).
        comment: Comment (``all=1/2``).
        type: Message type code, 0 SMS ... 8 e-mail, 10 Viber (``all=1/2``).
        sms_cnt: Number of SMS parts (``all=1/2``).
        mccmnc: Operator code (``all=1/2``).
        operator_orig: Original operator of a ported number.
        country: Country (``all=2``).
        operator: Operator (``all=2``).
        region: Region (``all=2``).
        imsi: HLR: IMSI of the SIM card.
        msc: HLR: serving switch.
        mcc: HLR: mobile country code.
        mnc: HLR: mobile network code.
        cn: HLR: country of registration.
        net: HLR: operator of registration.
        rcn: HLR: roaming country.
        rnet: HLR: roaming operator.
    """

    status: MessageState
    err: int = 0
    last_timestamp: int | None = None
    last_date: str | None = None
    flag: int | None = None
    id: int | str | None = None
    phone: str | None = None
    send_timestamp: int | None = None
    send_date: str | None = None
    cost: Decimal | None = None
    sender_id: str | None = None
    status_name: str | None = None
    message: str | None = None
    comment: str | None = None
    type: int | None = None
    sms_cnt: int | None = None
    mccmnc: str | None = None
    operator_orig: str | None = None
    country: str | None = None
    operator: str | None = None
    region: str | None = None
    imsi: str | None = None
    msc: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    cn: str | None = None
    net: str | None = None
    rcn: str | None = None
    rnet: str | None = None

    @property
    def last_time(self) -> datetime | None:
        """Time of the last status change as an aware UTC datetime, when known.

        Read from ``last_timestamp``, else from ``last_date``. A time a datetime cannot hold
        (before year 1 or after 9999, or past the platform's ``time_t``) counts as unknown:
        a ``last_timestamp`` out of range falls back to ``last_date``, and when neither is
        usable this is ``None`` (never an exception). The raw fields keep what SMSC sent.
        """
        return _unix_to_utc(self.last_timestamp) or _moscow_naive_to_utc(self.last_date)

    @property
    def send_time(self) -> datetime | None:
        """Time the message was sent as an aware UTC datetime (``all=1/2`` only).

        Read from ``send_timestamp``, else ``send_date``; out-of-range times count as unknown
        and give ``None``, as for :attr:`last_time`.
        """
        return _unix_to_utc(self.send_timestamp) or _moscow_naive_to_utc(self.send_date)

    @property
    def is_hlr(self) -> bool:
        """Whether the answer carries HLR fields."""
        return self.imsi is not None or self.mcc is not None


class Balance(_Result, frozen=True, kw_only=True):
    """Account balance (balance.php).

    Attributes:
        balance: Money on the account, in the account currency.
        currency: Currency code, e.g. ``"RUR"``.
        credit: Credit limit, when a non-zero credit is set.
    """

    balance: Decimal
    currency: str | None = None
    credit: Decimal | None = None


# The money fields of each result, checked to be finite after decoding.
_MONEY: Final[dict[type[_Result], tuple[str, ...]]] = {
    PhoneDetail: ("cost",),
    SendResult: ("cost", "balance"),
    CostResult: ("cost",),
    MessageStatus: ("cost",),
    Balance: ("balance", "credit"),
}
