r"""downloads.php: deferred export tasks and their files.

Commands (smsc-api.md §20): with no command flag, the list of the account's tasks; ``get=1``
with ``id=<task id>`` (or ``file=<file name>`` alone or with ``get=1``; the stored page is cut
where it names them, gap 11) answers the file of a completed task.

List records: ``{"id", "name", "status", "created", "time", "file"}`` oldest first; ``created``
and ``time`` (the start) are written ``DD.MM.YYYY hh:mm:ss`` in Moscow time, ``time`` is
``""`` until the task starts and ``file`` is ``""`` until it completes. An empty list is error
3, like phones.php's lists.

Statuses move with the event loop's clock: 0 (pending) for ``start_after`` seconds after
:meth:`DownloadsControls.add_export`, then 1 (in progress) for ``run_for`` seconds, then 2
(completed). :meth:`~DownloadsControls.fail_export` makes a task 4 (execution error) and
:meth:`~DownloadsControls.cancel_export` makes it 3 (cancelled).

The file is a CSV generated while it is sent (never built in memory), so a task may be of any
size (``rows=`` or ``size=`` in bytes, e.g. 1 GiB): UTF-8, ``\r\n`` line ends, a header row of
column names (the sent-message fields of get.php's history, §9.1; gap: SMSC's columns are not
documented), then rows cycling through eight deterministic samples that hold quoted fields
with commas, doubled quotes, ``\n`` and ``\r\n`` inside, Cyrillic and a 4-byte character. Each
row's ``int_id`` counts up from 100000000001; every sample has a fixed length, so the size is
computed exactly and announced as ``Content-Length``. Type ``text/csv; charset=utf-8``.

Errors: 1 ``get`` with no ``id``/``file`` or a non-numeric ``id``; 3 no such task ("no records
found"); 5 the file of a task that is not completed, i.e. pending, in progress, cancelled or
failed ("task is not completed"; gap: what SMSC answers then is not documented).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from ._controls import Controls
from ._params import is_set, moscow_date
from ._render import render_records
from ._store import Call, Store
from ._types import ApiFailure, BrokenStream, FileAnswer, StreamAnswer

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "EXPORT_COLUMNS",
    "FAILED",
    "IN_PROGRESS",
    "PENDING",
    "DownloadsControls",
    "DownloadsState",
    "ExportJob",
    "handle_downloads",
]

PENDING, IN_PROGRESS, COMPLETED, CANCELLED, FAILED = 0, 1, 2, 3, 4
"""Task status codes (smsc-api.md §20)."""

EXPORT_COLUMNS: tuple[str, ...] = (
    "int_id",
    "id",
    "send_date",
    "last_date",
    "phone",
    "sender_id",
    "message",
    "sms_cnt",
    "cost",
    "status",
    "err",
    "status_name",
    "type",
    "country",
    "operator",
    "region",
    "mccmnc",
)
"""The columns of a generated file, in order (gap: SMSC's own are not documented)."""

_FIRST_INT_ID = 100_000_000_001  # twelve digits for the first 899 999 999 999 rows
_REPEAT = 64  # sample cycles per %-formatted block (512 rows, about 90 KiB)
_CONTENT_TYPE = "text/csv; charset=utf-8"
_NOT_FOUND = "no records found"
_NOT_COMPLETED = "task is not completed"
_MARK = "\x00INT_ID\x00"
_THOUSAND = 1000  # rows in a block made by bytes.join (see _Layout)
_GAP = b"\x01"  # where an int_id's leading digits go, in _Layout.segments

_SAMPLES: tuple[dict[str, str], ...] = (
    {
        "id": "1001",
        "send_date": "02.11.2026 10:15:00",
        "last_date": "02.11.2026 10:15:07",
        "phone": "79991234567",
        "sender_id": "SMSC",
        "message": "Your code: 4821",
        "sms_cnt": "1",
        "cost": "2.50",
        "status": "1",
        "err": "0",
        "status_name": "Delivered",
        "type": "0",
        "country": "Russia",
        "operator": "MTS",
        "region": "Moscow",
        "mccmnc": "25001",
    },
    {
        "id": "order-42",
        "send_date": "02.11.2026 10:16:30",
        "last_date": "02.11.2026 10:16:41",
        "phone": "79217654321",
        "sender_id": "Магазин",
        "message": "Здравствуйте, Анна! Ваш заказ №42 доставлен; спасибо.",
        "sms_cnt": "1",
        "cost": "3,20",
        "status": "1",
        "err": "0",
        "status_name": "Доставлено",
        "type": "0",
        "country": "Россия",
        "operator": "МегаФон",
        "region": "Санкт-Петербург",
        "mccmnc": "25002",
    },
    {
        "id": "1003",
        "send_date": "02.11.2026 11:00:00",
        "last_date": "02.11.2026 11:00:05",
        "phone": "77011234567",
        "sender_id": "Shop, Inc.",
        "message": 'Акция "Чёрная пятница": скидки до 50% — только "сегодня"',
        "sms_cnt": "2",
        "cost": "5.00",
        "status": "1",
        "err": "0",
        "status_name": "Delivered",
        "type": "0",
        "country": "Kazakhstan",
        "operator": "Kcell",
        "region": "",
        "mccmnc": "40102",
    },
    {
        "id": "1004",
        "send_date": "02.11.2026 11:05:00",
        "last_date": "02.11.2026 11:05:00",
        "phone": "79031112233",
        "sender_id": "SMSC",
        "message": "Line one\nLine two, with a comma\nLine three",
        "sms_cnt": "1",
        "cost": "2.50",
        "status": "0",
        "err": "0",
        "status_name": "Sent",
        "type": "0",
        "country": "Russia",
        "operator": "Beeline",
        "region": "Moscow",
        "mccmnc": "25099",
    },
    {
        "id": "1005",
        "send_date": "02.11.2026 12:00:00",
        "last_date": "02.11.2026 12:00:09",
        "phone": "79164445566",
        "sender_id": "Bank",
        "message": 'Код: 7730\r\nНикому его не сообщайте, даже "сотрудникам" банка',
        "sms_cnt": "2",
        "cost": "5.00",
        "status": "20",
        "err": "1",
        "status_name": "Невозможно доставить",
        "type": "0",
        "country": "Россия",
        "operator": "Tele2",
        "region": "Московская область",
        "mccmnc": "25020",
    },
    {
        "id": "1006",
        "send_date": "02.11.2026 12:30:00",
        "last_date": "",
        "phone": "79000000000",
        "sender_id": "",
        "message": "",
        "sms_cnt": "1",
        "cost": "",
        "status": "-1",
        "err": "",
        "status_name": "",
        "type": "4",
        "country": "",
        "operator": "",
        "region": "",
        "mccmnc": "",
    },
    {
        "id": "1007",
        "send_date": "02.11.2026 13:00:00",
        "last_date": "02.11.2026 13:00:03",
        "phone": "anna@example.com",
        "sender_id": "news@example.com",
        "message": "Спасибо за покупку! 🎉 Ждём вас снова",
        "sms_cnt": "1",
        "cost": "0.40",
        "status": "2",
        "err": "0",
        "status_name": "Прочитано",
        "type": "8",
        "country": "",
        "operator": "",
        "region": "",
        "mccmnc": "",
    },
    {
        "id": "1008",
        "send_date": "02.11.2026 14:00:00",
        "last_date": "02.11.2026 14:00:02",
        "phone": "380501234567",
        "sender_id": "SMSC",
        "message": "  spaced, \"quoted\", 'single' ; semi  ",
        "sms_cnt": "1",
        "cost": "1.90",
        "status": "1",
        "err": "0",
        "status_name": "Delivered",
        "type": "0",
        "country": "Ukraine",
        "operator": "Kyivstar",
        "region": "",
        "mccmnc": "25503",
    },
)


def _csv_line(values: Sequence[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def _sample_value(sample: dict[str, str], column: str) -> str:
    # A column this table does not know (asked for by a test) gets a recognisable value.
    return sample.get(column, f"{column} value")


@dataclass(frozen=True, slots=True)
class _Layout:
    """A file's shape: its header and one ``%``-template per sample (``int_id`` as ``%d``).

    ``segments``, when set, make a block of :data:`_THOUSAND` rows whose ``int_id`` values
    share all but their last three digits (the first is a multiple of 1000) with one
    ``bytes.join``: the rows' text split where those leading digits go. That is memcpy speed,
    several times ``%``-formatting's, which kept the server busier than the client it serves.
    """

    header: bytes
    templates: tuple[bytes, ...]
    lengths: tuple[int, ...]
    numbered: bool
    block: bytes
    block_rows: int
    block_length: int
    segments: tuple[bytes, ...] | None

    @classmethod
    def of(cls, columns: tuple[str, ...], header: bool) -> _Layout:
        templates: list[bytes] = []
        lengths: list[int] = []
        lines: list[bytes] = []
        numbered = "int_id" in columns
        for sample in _SAMPLES:
            values = [_MARK if c == "int_id" else _sample_value(sample, c) for c in columns]
            line = _csv_line(values).encode()
            lines.append(line)
            template = line.replace(b"%", b"%%").replace(_MARK.encode(), b"%d")
            templates.append(template)
            lengths.append(len(template % ((_FIRST_INT_ID,) if numbered else ())))
        block = b"".join(templates) * _REPEAT
        return cls(
            header=_csv_line(columns).encode() if header else b"",
            templates=tuple(templates),
            lengths=tuple(lengths),
            numbered=numbered,
            block=block,
            block_rows=len(templates) * _REPEAT,
            block_length=sum(lengths) * _REPEAT,
            segments=_segments(lines) if numbered else None,
        )

    def size(self, rows: int) -> int:
        """Return the size in bytes of a file of ``rows`` rows."""
        full, rest = divmod(rows, self.block_rows)
        count = len(self.lengths)
        return (
            len(self.header)
            + full * self.block_length
            + sum(self.lengths[i % count] for i in range(rest))
        )

    def rows_within(self, size: int) -> int:
        """Return the most rows whose file is at most ``size`` bytes."""
        budget = size - len(self.header)
        if budget <= 0:
            return 0
        full, budget = divmod(budget, self.block_length)
        rows = full * self.block_rows
        count = len(self.lengths)
        while budget >= self.lengths[rows % count]:
            budget -= self.lengths[rows % count]
            rows += 1
        return rows

    def render(self, first: int, count: int) -> bytes:
        """Return rows ``first .. first+count-1`` (0-based)."""
        start = _FIRST_INT_ID + first
        if self.segments is not None and count == _THOUSAND and start % _THOUSAND == 0:
            return (b"%d" % (start // _THOUSAND)).join(self.segments)
        if count == self.block_rows and first % len(self.templates) == 0:
            template = self.block
        else:
            cycle = len(self.templates)
            template = b"".join(self.templates[(first + i) % cycle] for i in range(count))
        return template % (tuple(range(start, start + count)) if self.numbered else ())

    def _next_count(self, done: int, rows: int) -> int:
        """Return how many rows the block after the first ``done`` holds."""
        if self.segments is None:
            return min(self.block_rows, rows - done)
        # Blocks of a thousand rows whose first int_id is a multiple of 1000.
        return min(_THOUSAND - (_FIRST_INT_ID + done) % _THOUSAND, rows - done)

    async def chunks(self, rows: int, cut_after: int | None) -> AsyncIterator[bytes]:
        """Produce the file block by block; raise BrokenStream after ``cut_after`` bytes."""
        sent = 0
        done = 0
        piece = self.header
        while True:
            if cut_after is not None and sent + len(piece) > cut_after:
                if cut_after > sent:
                    yield piece[: cut_after - sent]
                raise BrokenStream
            if piece:
                sent += len(piece)
                yield piece
            if done >= rows:
                return
            count = self._next_count(done, rows)
            piece = self.render(done, count)
            done += count


def _segments(lines: list[bytes]) -> tuple[bytes, ...] | None:
    """Split the text of a block of a thousand rows where their int_ids' leading digits go.

    The block's first row is one whose int_id is a multiple of 1000; its sample is the same
    for every such block (1000 is a multiple of the eight samples), and row ``k`` ends its
    int_id with the digits of ``k``.
    """
    if _THOUSAND % len(lines) or any(_GAP in line for line in lines):
        return None  # samples that do not fit, or the gap byte in a cell: no fast path
    phase = (_THOUSAND - _FIRST_INT_ID % _THOUSAND) % len(lines)
    mark = _MARK.encode()
    text = b"".join(
        lines[(phase + k) % len(lines)].replace(mark, _GAP + b"%03d" % k) for k in range(_THOUSAND)
    )
    return tuple(text.split(_GAP))


@dataclass(slots=True, eq=False)
class ExportJob:
    """One deferred task the emulator holds (made by :meth:`DownloadsControls.add_export`).

    Attributes:
        id: The task id (from the store's id sequence).
        name: The task's name.
        rows: Data rows in its file.
        size: Bytes in its file (header included).
        columns: The file's columns, in order.
        header: Whether the file starts with a header row.
        content_length: Whether the download announces its size.
        created_at: Event loop time of creation.
        start_after: Seconds pending before it starts.
        run_for: Seconds in progress before it completes.
        layout: How its file is generated.
        forced_status: 3 or 4 once cancelled or failed (wins over the clock).
        forced_at: Event loop time the status was forced.
        cut_after: Cut the next download's connection after this many bytes (once).
        downloads: File downloads started.
    """

    id: int
    name: str
    rows: int
    size: int
    columns: tuple[str, ...]
    header: bool
    content_length: bool
    created_at: float
    start_after: float
    run_for: float
    layout: _Layout = field(repr=False)
    forced_status: int | None = None
    forced_at: float | None = None
    cut_after: int | None = None
    downloads: int = 0

    @property
    def file_name(self) -> str:
        """The name of the task's file."""
        return f"export_{self.id}.csv"

    @property
    def start_at(self) -> float:
        """Event loop time the task starts (or would have started)."""
        return self.created_at + self.start_after

    def status_at(self, loop_now: float) -> int:
        """Return the status at an event loop time."""
        forced_at = self.forced_at
        if self.forced_status is not None and forced_at is not None and loop_now >= forced_at:
            return self.forced_status
        if loop_now < self.start_at:
            return PENDING
        if loop_now < self.start_at + self.run_for:
            return IN_PROGRESS
        return COMPLETED


@dataclass(slots=True)
class DownloadsState:
    """The deferred tasks of one account, by id."""

    jobs: dict[int, ExportJob] = field(default_factory=dict)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number of seconds, got {value!r}")
    return float(value)


class DownloadsControls(Controls):
    """Create, steer and inspect deferred export tasks (downloads.php)."""

    def _downloads(self, login: str | None) -> DownloadsState:
        return self._store.book(self._state(login).account.login, DownloadsState)

    def add_export(
        self,
        name: str = "Sent messages",
        *,
        rows: int | None = None,
        size: int | None = None,
        start_after: float = 5.0,
        run_for: float = 30.0,
        columns: Sequence[str] | None = None,
        header: bool = True,
        content_length: bool = True,
        login: str | None = None,
    ) -> int:
        """Create a deferred task; return its id. Call it on the running event loop.

        Args:
            name: The task's name.
            rows: Data rows in its file (default 16 when ``size`` is not given).
            size: Instead of ``rows``: the file's size in bytes; it holds as many rows as fit,
                so it is at most ``size`` and short of it by less than one row.
            start_after: Seconds it stays pending (0).
            run_for: Seconds it then stays in progress (1) before it is completed (2).
            columns: The file's columns in order (default: get.php's history fields, ``int_id``,
                ``id``, ``send_date``, ...); a name the table does not know gets the value
                ``"<name> value"``.
            header: Start the file with a header row naming the columns.
            content_length: Announce the size (``False``: a chunked answer of unknown size).
            login: The account (default: the first).

        Returns:
            The task id.

        Raises:
            ValueError: both or a bad ``rows``/``size``, bad times or columns.
            RuntimeError: no running event loop.
        """
        if rows is not None and size is not None:
            raise ValueError("give rows or size, not both")
        names = EXPORT_COLUMNS if columns is None else tuple(columns)
        if not names or len(set(names)) != len(names) or not all(names):
            raise ValueError(f"columns must be distinct non-empty names, got {columns!r}")
        layout = _Layout.of(names, header)
        if size is not None:
            count = layout.rows_within(_count(size, "size"))
        else:
            count = _count(16 if rows is None else rows, "rows")
        store = self._store
        job = ExportJob(
            id=store.new_id(),
            name=name,
            rows=count,
            size=layout.size(count),
            columns=names,
            header=header,
            content_length=content_length,
            created_at=asyncio.get_running_loop().time(),
            start_after=_seconds(start_after, "start_after"),
            run_for=_seconds(run_for, "run_for"),
            layout=layout,
        )
        self._downloads(login).jobs[job.id] = job
        return job.id

    def exports(self, login: str | None = None) -> list[ExportJob]:
        """Return the tasks of an account (default: the first), oldest first."""
        return sorted(self._downloads(login).jobs.values(), key=lambda job: job.id)

    def export_status(self, id: int, login: str | None = None) -> int:
        """Return a task's status now, on the running event loop's clock.

        Raises:
            KeyError: no such task.
        """
        return self._job(id, login).status_at(asyncio.get_running_loop().time())

    def fail_export(self, id: int, login: str | None = None) -> None:
        """Make a task end with an execution error (status 4) from now on.

        Raises:
            KeyError: no such task.
        """
        self._force(id, FAILED, login)

    def cancel_export(self, id: int, login: str | None = None) -> None:
        """Make a task cancelled (status 3) from now on.

        Raises:
            KeyError: no such task.
        """
        self._force(id, CANCELLED, login)

    def cut_export_download(self, id: int, after: int, login: str | None = None) -> None:
        """Drop the connection of the task's next download after ``after`` bytes of the file.

        Raises:
            KeyError: no such task.
            ValueError: ``after`` is negative.
        """
        self._job(id, login).cut_after = _count(after, "after")

    def export_records(self, id: int, login: str | None = None) -> list[dict[str, str]]:
        """Return the rows of a task's file as column -> value (the values before CSV quoting).

        Meant for small files in tests: it builds every row in memory.

        Raises:
            KeyError: no such task.
        """
        job = self._job(id, login)
        rows: list[dict[str, str]] = []
        for n in range(job.rows):
            sample = _SAMPLES[n % len(_SAMPLES)]
            rows.append(
                {
                    c: str(_FIRST_INT_ID + n) if c == "int_id" else _sample_value(sample, c)
                    for c in job.columns
                }
            )
        return rows

    def _force(self, id: int, status: int, login: str | None) -> None:
        job = self._job(id, login)
        job.forced_status = status
        job.forced_at = asyncio.get_running_loop().time()

    def _job(self, id: int, login: str | None) -> ExportJob:
        try:
            return self._downloads(login).jobs[id]
        except KeyError:
            raise KeyError(f"the emulator has no export task {id!r}") from None


def _record(store: Store, job: ExportJob, loop_now: float) -> dict[str, object]:
    status = job.status_at(loop_now)
    stopped = job.forced_at if job.forced_status is not None else None
    started = job.start_at <= loop_now and (stopped is None or job.start_at <= stopped)
    return {
        "id": job.id,
        "name": job.name,
        "status": status,
        "created": moscow_date(store.unix(job.created_at)),
        "time": moscow_date(store.unix(job.start_at)) if started else "",
        "file": job.file_name if status == COMPLETED else "",
    }


def _file_job(state: DownloadsState, params: dict[str, str]) -> ExportJob:
    raw_id = params.get("id", "").strip()
    file_name = params.get("file", "").strip()
    if raw_id:
        if not raw_id.isdigit():
            raise ApiFailure(1, "parameters error")
        job = state.jobs.get(int(raw_id))
    elif file_name:
        job = next((j for j in state.jobs.values() if j.file_name == file_name), None)
    else:
        raise ApiFailure(1, "parameters error")
    if job is None:
        raise ApiFailure(3, _NOT_FOUND)
    return job


def handle_downloads(store: Store, call: Call) -> str | FileAnswer | StreamAnswer:
    """Answer downloads.php: the list of tasks, or a completed task's file.

    Raises:
        ApiFailure: see the module docstring for the codes.
    """
    state = store.book(call.account.account.login, DownloadsState)
    params = call.params
    if is_set(params, "get") or params.get("file", "").strip():
        job = _file_job(state, params)
        if job.status_at(call.now) != COMPLETED:
            raise ApiFailure(5, _NOT_COMPLETED)
        cut, job.cut_after = job.cut_after, None
        job.downloads += 1
        return StreamAnswer(
            job.layout.chunks(job.rows, cut),
            _CONTENT_TYPE,
            job.size if job.content_length else None,
        )
    records = [_record(store, job, call.now) for job in sorted(state.jobs.values(), key=_by_id)]
    if not records:
        raise ApiFailure(3, _NOT_FOUND)
    return render_records(call.fmt, records, item="task")


def _by_id(job: ExportJob) -> int:
    return job.id
