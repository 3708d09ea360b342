"""The export file's models and its columns (no network).

Re-exported by :mod:`smsc_async.exports`, where the commands are; the file's parser is in
``_export_rows`` and the atomic writer in ``_export_writer``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final

import msgspec

from ._codes import CodeEnum
from .models import MessageState, _as_time

# --- models --------------------------------------------------------------------------------------


class ExportStatus(CodeEnum):
    """State of a deferred task (``status`` in the downloads.php list).

    Codes SMSC adds later are tolerated: they become pseudo-members named ``UNKNOWN_<code>``
    that still compare equal to their number.
    """

    PENDING = 0
    """Waiting to be picked up."""
    IN_PROGRESS = 1
    """Being prepared."""
    COMPLETED = 2
    """Done: the file can be downloaded."""
    CANCELLED = 3
    """Cancelled; there is no file."""
    FAILED = 4
    """Ended with an execution error; there is no file."""


class ExportTask(msgspec.Struct, frozen=True, kw_only=True):
    """One deferred task of the downloads.php list.

    The date format of ``created``/``time`` is not documented; SMSC's usual
    ``DD.MM.YYYY hh:mm:ss`` (Moscow time) and Unix times are understood by the ``*_time``
    properties, anything else is kept as sent.

    Attributes:
        id: The task id (what :meth:`Exports.wait` and :meth:`Exports.download` take).
        name: The task's name.
        status: Its state (:class:`ExportStatus`, unknown codes tolerated); ``None`` when absent.
        created: When it was created, as SMSC wrote it.
        started: When it started (``time``), as SMSC wrote it; empty or ``None`` before.
        file_name: The name of its file (``file``), once there is one.
    """

    id: int
    name: str = ""
    status: ExportStatus | None = None
    created: str | int | None = None
    started: str | int | None = msgspec.field(name="time", default=None)
    file_name: str = msgspec.field(name="file", default="")

    @property
    def created_time(self) -> datetime | None:
        """Creation time as an aware UTC datetime, when known."""
        return _as_time(self.created)

    @property
    def start_time(self) -> datetime | None:
        """Start time as an aware UTC datetime, when known."""
        return _as_time(self.started)

    @property
    def finished(self) -> bool:
        """Whether the task has ended (completed, cancelled or failed)."""
        return self.status in (ExportStatus.COMPLETED, ExportStatus.CANCELLED, ExportStatus.FAILED)


class ExportRow(msgspec.Struct, frozen=True, kw_only=True):
    """One sent message of an export file.

    Gap: the file's columns are not documented. They are taken to be the sent-message fields of
    get.php's history, in the order of :data:`EXPORT_COLUMNS`. A header row
    naming the columns is followed whatever its order; without one that order is assumed.
    Empty or unreadable cells leave the default.

    Attributes:
        int_id: SMSC's global message id.
        id: The message id given at sending.
        send_date: Time the message was sent, as written (``DD.MM.YYYY hh:mm:ss``, Moscow).
        last_date: Time of the last status change, as written.
        phone: The recipient.
        sender_id: The sender name.
        message: The text (line breaks, commas and quotes kept).
        sms_cnt: Number of SMS parts.
        cost: The price (a decimal comma is accepted).
        status: Delivery status (:class:`~smsc_async.models.MessageState`).
        err: Error code inside the status (0 = none).
        status_name: SMSC's human name of the status.
        type: Message type code (0 SMS, 1 flash, ... 8 e-mail, 10 Viber).
        country: Country of the recipient's operator.
        operator: The recipient's operator.
        region: Region of the number.
        mccmnc: Operator code (MCC and MNC).
        extra: Cells of columns this table does not know: by header name, or ``column_<n>``
            (0-based position) in a file without a header.
    """

    int_id: int = 0
    id: str = ""
    send_date: str | None = None
    last_date: str | None = None
    phone: str = ""
    sender_id: str = ""
    message: str = ""
    sms_cnt: int | None = None
    cost: Decimal | None = None
    status: MessageState | None = None
    err: int = 0
    status_name: str = ""
    type: int | None = None
    country: str = ""
    operator: str = ""
    region: str = ""
    mccmnc: str = ""
    extra: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def send_time(self) -> datetime | None:
        """Time the message was sent as an aware UTC datetime, when readable."""
        return _as_time(self.send_date)

    @property
    def last_time(self) -> datetime | None:
        """Time of the last status change as an aware UTC datetime, when readable."""
        return _as_time(self.last_date)


# --- the file's columns --------------------------------------------------------------------------


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _status(value: str) -> MessageState | None:
    number = _int(value)
    return None if number is None else MessageState(number)


def _text(value: str) -> str:
    return value


# Gap: the one place that says which columns an export file has and in which order (used when
# the file has no header row). Names are the §9.1 history field names.
_COLUMNS: Final[tuple[tuple[str, Callable[[str], object]], ...]] = (
    ("int_id", _int),
    ("id", _text),
    ("send_date", _text),
    ("last_date", _text),
    ("phone", _text),
    ("sender_id", _text),
    ("message", _text),
    ("sms_cnt", _int),
    ("cost", _decimal),
    ("status", _status),
    ("err", _int),
    ("status_name", _text),
    ("type", _int),
    ("country", _text),
    ("operator", _text),
    ("region", _text),
    ("mccmnc", _text),
)
_PARSERS: Final = dict(_COLUMNS)
_NUMBERS: Final = frozenset(name for name, parse in _COLUMNS if parse is not _text)

EXPORT_COLUMNS: Final = tuple(name for name, _ in _COLUMNS)
"""The columns of an export file, in the order assumed when the file has no header row."""
