"""The export file's models, its CSV parser and the atomic file writer (no network).

Re-exported by :mod:`smsc_async.exports`, where the commands are.
"""

from __future__ import annotations

import asyncio
import builtins
import codecs
import contextlib
import csv
import io
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

import msgspec

from ._codes import CodeEnum
from ._secrets import reach
from .errors import (
    ResponseDecodeError,
)
from .models import MessageState, _as_time

# A CSV record (one row, with its quoted line breaks) longer than this means a broken file (an
# unbalanced quote); refusing it keeps memory bounded.
_MAX_RECORD: Final = 16 * 1024 * 1024
# Bytes handed to the writer thread at a time (at most two batches are held), and the most
# chunks one writev takes (POSIX guarantees 16; Linux allows 1024).
_WRITE_BATCH: Final = 1024 * 1024
_MAX_VECTOR: Final = 16
_SCRIPT: Final = "downloads.php"


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

EXPORT_COLUMNS: Final = tuple(name for name, _ in _COLUMNS)
"""The columns of an export file, in the order assumed when the file has no header row."""


class _RowMaker:
    """Turns CSV records into :class:`ExportRow` by a column layout."""

    __slots__ = ("_known", "_names", "_unknown")

    def __init__(self, names: Sequence[str]) -> None:
        self._known: list[tuple[int, str, Callable[[str], object]]] = []
        self._unknown: list[tuple[int, str]] = []
        for position, raw in enumerate(names):
            name = raw.strip().lower()
            if name in _PARSERS:
                self._known.append((position, name, _PARSERS[name]))
            else:
                self._unknown.append((position, raw.strip() or f"column_{position}"))
        # The fast path: a record of exactly these columns, all known (the usual file).
        self._names = None if self._unknown else tuple(name for _, name, _ in self._known)

    @classmethod
    def start(cls, first: Sequence[str]) -> tuple[_RowMaker, bool]:
        """Return the layout the first record implies and whether it is a header row."""
        named = sum(cell.strip().lower() in _PARSERS for cell in first)
        if named >= min(2, len(first)):
            return cls(first), True
        extra = [f"column_{n}" for n in range(len(EXPORT_COLUMNS), len(first))]
        return cls([*EXPORT_COLUMNS, *extra]), False

    def __call__(self, cells: Sequence[str]) -> ExportRow:
        names = self._names
        if names is not None and len(cells) == len(names):
            # msgspec converts the text cells in C, ten times faster than the loop below; a
            # cell it cannot read (e.g. a decimal comma) sends the row the lenient way.
            present = {name: cell for name, cell in zip(names, cells, strict=True) if cell}
            try:
                row = msgspec.convert(present, ExportRow, strict=False)
            except msgspec.ValidationError:
                pass
            else:
                if row.cost is None or row.cost.is_finite():
                    return row
        return self._lenient(cells)

    def _lenient(self, cells: Sequence[str]) -> ExportRow:
        count = len(cells)
        fields: dict[str, object] = {}
        for position, name, parse in self._known:
            if position < count and (cell := cells[position]) != "":
                value = parse(cell)
                if value is not None:
                    fields[name] = value
        extra = {name: cells[pos] for pos, name in self._unknown if pos < count}
        for position in range(len(self._known) + len(self._unknown), count):
            extra[f"column_{position}"] = cells[position]
        return ExportRow(**fields, extra=extra)  # type: ignore[arg-type]  # parsed per column


def _complete_end(text: str) -> int:
    """Return where the last complete CSV record in ``text`` ends (0: none yet)."""
    end = text.rfind("\n") + 1
    if end == 0 or text.count('"', 0, end) % 2 == 0:
        return end
    # The last line break is inside a quoted field (doubled quotes keep the count even):
    # find the last one outside quotes. Only a chunk boundary inside a multi-line field gets here.
    best = pos = quotes = 0
    while (newline := text.find("\n", pos, end)) >= 0:
        quotes += text.count('"', pos, newline)
        pos = newline + 1
        if quotes % 2 == 0:
            best = pos
    return best


class _CSVRecords:
    """Split a byte stream into CSV records as it arrives.

    Text is decoded incrementally (a character split between chunks is kept for the next one),
    and only whole records are handed to the csv module: a quoted field may hold commas, quotes
    and line breaks, and may straddle any number of chunks.
    """

    __slots__ = ("_buffer", "_decoder", "_delimiter")

    def __init__(self, delimiter: str | None = None) -> None:
        # utf-8-sig drops the byte-order mark spreadsheet-minded exporters put first.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._buffer = ""
        self._delimiter = delimiter

    def feed(self, data: bytes) -> builtins.list[builtins.list[str]]:
        self._buffer += self._decoder.decode(data)
        return self._take(final=False)

    def close(self) -> builtins.list[builtins.list[str]]:
        self._buffer += self._decoder.decode(b"", final=True)
        return self._take(final=True)

    def _take(self, *, final: bool) -> builtins.list[builtins.list[str]]:
        text = self._buffer
        end = len(text) if final else _complete_end(text)
        block, self._buffer = text[:end], text[end:]
        if len(self._buffer) > _MAX_RECORD:
            raise ResponseDecodeError(
                f"a CSV record longer than {_MAX_RECORD} bytes (an unbalanced quote?)",
                script=_SCRIPT,
                # More than the 200 kept: a password cut in two would escape the scrubbing.
                body_prefix=self._buffer[: reach(200)].encode(),
            )
        if not block:
            return []
        if self._delimiter is None:
            # Gap: the separator is not documented; Russian spreadsheets often use ";".
            first = block.split("\n", 1)[0]
            self._delimiter = max((",", ";", "\t"), key=first.count)
        reader = csv.reader(io.StringIO(block, newline=""), delimiter=self._delimiter)
        return [record for record in reader if record]


def _write_all(fd: int, batch: builtins.list[bytes]) -> None:
    """Write every chunk of ``batch`` to ``fd`` (one ``writev`` where there is one)."""
    if len(batch) > _MAX_VECTOR or not hasattr(os, "writev"):
        batch = [b"".join(batch)]
    total = sum(map(len, batch))
    written = os.writev(fd, batch) if len(batch) > 1 else os.write(fd, batch[0])
    if written < total:  # a short write (e.g. interrupted by a signal): finish it
        rest = memoryview(b"".join(batch))[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]


class _AtomicFile:
    """A temporary file next to the target, written by one worker thread, then renamed over it.

    Every file operation runs, in order, on the worker thread, so the event loop never blocks
    and the clean-up of a failed download always comes after its last write. Chunks are handed
    over in batches of about :data:`_WRITE_BATCH` bytes, each written with one system call:
    every hand-over wakes a thread, and on a busy machine fewer of them go faster.
    """

    __slots__ = ("_batch", "_batched", "_fd", "_pending", "_pool", "_target", "_temp")

    def __init__(self, target: Path) -> None:
        self._target = target
        self._temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smsc-export")
        self._fd: int | None = None
        self._pending: asyncio.Future[object] | None = None
        self._batch: builtins.list[bytes] = []
        self._batched = 0

    async def _run(self, work: Callable[[], object]) -> object:
        # Shielded: a cancelled caller must not lose track of work the thread still does.
        future = asyncio.get_running_loop().run_in_executor(self._pool, work)
        return await asyncio.shield(future)

    async def open(self) -> None:
        def create() -> None:
            # O_EXCL: never clobber a file of the same (random) name; 0o666 less the umask,
            # like any new file (mkstemp's 0o600 would surprise).
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self._temp, flags, 0o666)

        await self._run(create)

    async def write(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batched += len(chunk)
        if self._batched < _WRITE_BATCH:
            return
        # At most one batch in flight: the next one downloads while this one is written.
        if self._pending is not None:
            await asyncio.shield(self._pending)
        assert self._fd is not None
        batch, self._batch, self._batched = self._batch, [], 0
        self._pending = asyncio.get_running_loop().run_in_executor(
            self._pool, _write_all, self._fd, batch
        )

    async def commit(self, *, fsync: bool) -> None:
        def finish() -> None:
            fd = self._fd
            assert fd is not None
            if rest:
                _write_all(fd, rest)
            if fsync:
                os.fsync(fd)
            self._fd = None
            os.close(fd)
            try:
                os.replace(self._temp, self._target)
            except OSError:
                os.unlink(self._temp)
                raise
            if fsync and os.name == "posix":  # make the rename itself durable
                directory = os.open(self._target.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)

        rest, self._batch = self._batch, []
        if self._pending is not None:
            await asyncio.shield(self._pending)
        await self._run(finish)
        self._pool.shutdown(wait=False)

    async def discard(self) -> None:
        def drop() -> None:
            fd, self._fd = self._fd, None
            if fd is None:
                return  # never created (or already renamed): nothing of ours to remove
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temp)

        try:
            await self._run(drop)  # queued after any write still running
        finally:
            self._pool.shutdown(wait=False)


def _target_path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"path must be a non-empty file path, got {path!r}")
    return Path(text)
