"""The fast paths of exports against the plain ones (correctness only; speed is benchmarked).

``rows()`` converts regular pieces of a file through one JSON document per piece
(``_JSONRows``) and anything else record by record with the csv module; both must give the
same rows for every input, split anywhere. ``save_to()`` writes from a thread fed by a bounded
queue; its failures and cancellations must leave no temporary file and the target untouched.
Examples are derandomized: CI sees the same inputs on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import inspect
import io
import os
import secrets
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import msgspec
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from smsc_async import SMSCClient, _export_rows, _export_writer
from smsc_async._export_files import _NUMBERS, EXPORT_COLUMNS, ExportRow
from smsc_async._export_rows import _ExportParser, _JSONRows, _RowMaker
from smsc_async.emulator import Emulator

from .test_exports import listing, raw_file, ready

EVERYWHERE = settings(max_examples=300, derandomize=True, deadline=None)


@pytest.fixture(autouse=True)
def _close_the_loop_of_a_sync_test(request: pytest.FixtureRequest) -> Iterator[None]:
    # looptime's plugin asks the event loop policy for a loop even around a sync test, which
    # makes one that nobody closes; garbage-collected during a later async test (likely after
    # the thousands of objects a property test makes), it fails that test with a ResourceWarning.
    yield
    if not inspect.iscoroutinefunction(request.function):
        with contextlib.suppress(RuntimeError), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the policy API, on 3.12+
            loop = asyncio.get_event_loop_policy().get_event_loop()
            if not loop.is_running():
                loop.close()


# --- rows(): the JSON path and the record path agree ----------------------------------------


def normal(rows: list[ExportRow]) -> list[list[tuple[str, str, str]]]:
    """Rows as exact text: Decimal("2.5") and Decimal("2.50") differ, as do 1 and True."""
    return [
        [
            (name, type(value).__name__, repr(value))
            for name, value in msgspec.structs.asdict(row).items()
        ]
        for row in rows
    ]


def parse(data: bytes, cuts: list[int], delimiter: str | None = None) -> list[ExportRow]:
    parser = _ExportParser(delimiter)
    rows: list[ExportRow] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        for batch in parser.feed(data[start:cut]):
            rows += batch
        start = cut
    for batch in parser.close():
        rows += batch
    return rows


@contextmanager
def record_path_only() -> Iterator[None]:
    with mock.patch.object(_JSONRows, "make", classmethod(lambda cls, *args: None)):
        yield


@contextmanager
def counting_fast_path() -> Iterator[list[int]]:
    """Count the pieces the JSON path converted (index 0) and refused (index 1)."""
    counts = [0, 0]
    call = _JSONRows.__call__

    def counted(self: _JSONRows, block: bytes) -> list[ExportRow] | None:
        rows = call(self, block)
        counts[rows is None] += 1
        return rows

    with mock.patch.object(_JSONRows, "__call__", counted):
        yield counts


GOOD_NUMBERS = st.sampled_from(["", "0", "7", "-1", "20", "100000000001", "-0"])
GOOD_COSTS = st.sampled_from(["", "0", "7", "2.50", "3,20", "-1.5", "1e2"])
ODD_NUMBERS = st.sampled_from(
    ["1 234,50", "1.0", "1e3", " 5", "5 ", "+5", "007", "NaN", "Infinity", "-inf", "null",
     "true", "[]", "1.5", ".5", "5.", "99999999999999999999999", "0x10", "1_000", "١٢", "1}"]
)  # fmt: skip
GOOD_TEXT = st.text(
    alphabet=st.sampled_from(
        ['"', ",", ";", "\t", "|", "\n", "\r", "\\", "a", "Я", "🎉", " ", "{", "}", ":", "'",
         "\u2028", "\ufeff", "0", "1"]
    ),
    max_size=6,
)  # fmt: skip
ODD_TEXT = st.text(alphabet=st.sampled_from(["a", "\x1d", "\x1e", "\x1f", "\x00", "\x0b"]))
KNOWN = list(EXPORT_COLUMNS)


def cells(name: str, odd: bool) -> st.SearchStrategy[str]:
    if name in _NUMBERS:
        good = GOOD_COSTS if name == "cost" else GOOD_NUMBERS
        return st.one_of(good, ODD_NUMBERS) if odd else good
    return st.one_of(GOOD_TEXT, ODD_TEXT) if odd else GOOD_TEXT


@st.composite
def export_files(
    draw: st.DrawFn, *, clean: bool = False
) -> tuple[bytes, list[int], str | None, bool]:
    """A CSV export: some known columns in any order, perhaps unknown ones, odd cells.

    A ``clean`` one has a header, its delimiter is given, and every cell is one msgspec reads.
    Returns the file, where to cut it, the delimiter to give (or None) and whether its quotes
    follow the rules (then the rows cannot depend on the cuts).
    """
    pool = st.sampled_from([*KNOWN, "Bonus", "note", "extra"])
    names = draw(
        st.lists(pool, min_size=1, max_size=8, unique=True).filter(
            lambda names: not clean or sum(name in KNOWN for name in names) >= 2  # a header
        )
    )
    header = clean or draw(st.booleans())
    if not header:  # then the columns are the table's, plus any surplus
        names = [*KNOWN, "surplus", "more"][: draw(st.integers(1, len(KNOWN) + 2))]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    quoting: Literal[0, 1] = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    if clean and newline == "\n":
        quoting = csv.QUOTE_ALL  # else a CR in a cell goes unquoted: a line end to a reader
    odd = not clean and draw(
        st.sampled_from([False, False, False, True])
    )  # cells msgspec may refuse
    row = st.tuples(*(cells(name, odd) for name in names))
    rows = draw(st.lists(row, min_size=1, max_size=12))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    if header:
        writer.writerow(names)
    writer.writerows(rows)
    data = out.getvalue().encode()
    # Damage that leaves the file readable by the csv module's rules, but irregular.
    damages = ["", "bom", "tail"] if clean else ["", "", "", "", "bom", "blank", "short"]
    damage = draw(st.sampled_from(damages + ([] if clean else ["quote", "cr", "latin1", "tail"])))
    if damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "blank":
        data = data.replace(newline.encode(), (newline * 2).encode(), 1)
    elif damage == "short":
        data += b"1" + newline.encode()
    elif damage == "quote":
        data += b'ab"c' + delimiter.encode() + b"d" + newline.encode()
    elif damage == "cr":
        data += b"5\r6" + newline.encode()
    elif damage == "latin1":
        data += "caf\xe9".encode("latin-1") + newline.encode()
    elif damage == "tail":
        data = data.rstrip(b"\r\n")
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=4))
    given_delimiter = delimiter if clean else draw(st.sampled_from([None, delimiter]))
    # Quotes inside a field, or a guessed delimiter that is not the writer's: the csv module
    # reads such a file one way or another depending on where the chunks end (as before).
    return data, cuts, given_delimiter, given_delimiter is not None and damage != "quote"


@EVERYWHERE
@given(export_files(), st.sampled_from([32, 200, 64 * 1024]))
@example((b'int_id,cost,phone\r\n1,"3,20",7999\r\n2,,8000\r\n', [], None, True), 64 * 1024)
@example((b'phone;message\r\n7;"a;""b""\nc"\r\n', [12], ";", True), 32)
def test_the_json_path_gives_the_rows_the_record_path_gives(
    case: tuple[bytes, list[int], str | None, bool], piece: int
) -> None:
    data, cuts, delimiter, regular = case
    with mock.patch.object(_export_rows, "_PIECE", piece):
        with record_path_only():
            expected = parse(data, cuts, delimiter)
            whole = parse(data, [], delimiter)
        with counting_fast_path() as counts:
            got = parse(data, cuts, delimiter)
    event(f"pieces converted as JSON: {'some' if counts[0] else 'none'}")
    assert normal(got) == normal(expected)
    if regular:
        assert normal(got) == normal(whole)


@EVERYWHERE
@given(export_files(clean=True), st.sampled_from([40, 64 * 1024]))
def test_a_clean_file_takes_the_json_path_whole(
    case: tuple[bytes, list[int], str | None, bool], piece: int
) -> None:
    data, cuts, delimiter, _ = case
    with mock.patch.object(_export_rows, "_PIECE", piece):
        with record_path_only():
            expected = parse(data, [], delimiter)
        with counting_fast_path() as counts:
            got = parse(data, cuts, delimiter)
    assert counts[1] == 0  # no piece went record by record
    assert normal(got) == normal(expected)


@pytest.mark.asyncio
async def test_the_emulators_file_takes_the_json_path_whole(emulator: Emulator) -> None:
    # The speed of rows() rests on this: a regular file never goes record by record.
    task_id = ready(emulator, rows=3000)
    data = await raw_file(emulator, task_id)
    with record_path_only():
        expected = parse(data, [])
    with (
        counting_fast_path() as counts,
        mock.patch.object(_RowMaker, "__call__", side_effect=AssertionError("record path")),
    ):
        got = parse(data, [len(data) // 3, len(data) // 2])
    assert counts[1] == 0
    assert counts[0] >= 2
    assert normal(got) == normal(expected)
    assert len(got) == 3000


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("rows", "options"),
    [
        (998, {}),
        (2001, {}),
        (2001, {"header": False}),
        (2500, {"columns": ["message", "Bonus", "phone", "int_id", "cost"]}),
        (600, {"columns": ["phone", "message"]}),
    ],
)
async def test_the_emulators_file_is_what_the_csv_module_writes(
    emulator: Emulator, rows: int, options: dict[str, Any]
) -> None:
    # The emulator makes blocks of a thousand rows by bytes.join (the fast way); the file must
    # stay the plain CSV of its records, whatever the block boundaries.
    task_id = ready(emulator, rows=rows, **options)
    job = next(job for job in emulator.exports() if job.id == task_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if job.header:
        writer.writerow(job.columns)
    writer.writerows(
        [record[c] for c in job.columns] for record in emulator.export_records(task_id)
    )
    expected = out.getvalue().encode()
    assert await raw_file(emulator, task_id) == expected
    assert job.size == len(expected)


def test_json_path_layouts() -> None:
    # Reordered, unknown before known, a header without a column of text first.
    _, header = _RowMaker.start(["Bonus", "cost", "phone", "int_id", "note"])
    assert header
    block = b'x,"1,5",7999,12,\n,,,,y\n'
    fast = _JSONRows.make(
        [(1, "cost"), (2, "phone"), (3, "int_id")], [(0, "Bonus"), (4, "note")], ","
    )
    assert fast is not None
    rows = fast(block)
    assert rows is not None
    assert [(r.cost, r.phone, r.int_id, r.extra) for r in rows] == [
        (Decimal("1.5"), "7999", 12, {"Bonus": "x", "note": ""}),
        (None, "", 0, {"Bonus": "", "note": "y"}),
    ]


@pytest.mark.parametrize("delimiter", ["a", "1", '"', "\\", "é", "\x1f"])
def test_delimiters_the_json_path_cannot_take(delimiter: str) -> None:
    assert _JSONRows.make([(0, "phone"), (1, "message")], [], delimiter) is None


def test_duplicate_columns_go_record_by_record() -> None:
    assert _JSONRows.make([(0, "phone"), (1, "phone")], [], ",") is None
    maker, _ = _RowMaker.start(["phone", "message", "phone"])
    assert maker(["1", "hi", "2"]).phone == "2"  # the last cell, as ever


# --- save_to(): the writer thread -------------------------------------------------------------


def writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smsc-export-writer"]


async def no_writer_left() -> None:
    for _ in range(200):
        if not writers():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the writer thread is still running")


@pytest.mark.asyncio
async def test_a_write_error_in_the_thread_is_raised_and_the_file_removed(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, size=4 * 1024 * 1024)
    target = tmp_path / "sent.csv"
    target.write_bytes(b"previous export")
    calls = 0
    real_write = os.write

    def disk_full(fd: int, data: Any) -> int:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "writev", lambda fd, buffers: disk_full(fd, b"".join(buffers)))
    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await client.exports.download(task_id, chunk_size=64 * 1024).save_to(target)
    assert listing(tmp_path) == ["sent.csv"]
    assert target.read_bytes() == b"previous export"
    await no_writer_left()


@pytest.mark.asyncio
async def test_a_full_queue_makes_the_download_wait(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, size=3 * 1024 * 1024)
    monkeypatch.setattr(_export_writer, "_QUEUE_LIMIT", 256 * 1024)
    monkeypatch.setattr(_export_writer, "_BATCH", 64 * 1024)
    seen: list[int] = []
    write = _export_writer._AtomicFile.write

    async def watched(self: _export_writer._AtomicFile, chunk: bytes) -> None:
        await write(self, chunk)
        seen.append(self._put - self._taken)  # queued, not yet taken by the thread

    real_writev = os.writev

    def slow_writev(fd: int, buffers: list[bytes]) -> int:
        time.sleep(0.002)
        return real_writev(fd, buffers)

    monkeypatch.setattr(_export_writer._AtomicFile, "write", watched)
    monkeypatch.setattr(os, "writev", slow_writev)
    monkeypatch.setattr(os, "write", lambda fd, data: slow_writev(fd, [data]))
    await client.exports.download(task_id, chunk_size=32 * 1024).save_to(tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes() == await raw_file(emulator, task_id)
    # Never more than the limit queued: the loop waited for the thread.
    assert max(seen) <= 256 * 1024
    assert max(seen) > 128 * 1024  # it did fill up
    assert listing(tmp_path) == ["a.csv"]


@pytest.mark.asyncio
async def test_cancelled_while_the_queue_is_full_leaves_no_file(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, size=8 * 1024 * 1024)
    target = tmp_path / "sent.csv"
    target.write_bytes(b"previous export")
    monkeypatch.setattr(_export_writer, "_QUEUE_LIMIT", 128 * 1024)
    monkeypatch.setattr(_export_writer, "_BATCH", 32 * 1024)
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()
    real_writev = os.writev

    def slow_writev(fd: int, buffers: list[bytes]) -> int:
        loop.call_soon_threadsafe(writing.set)
        time.sleep(0.05)  # the thread is in a write when the cancellation comes
        return real_writev(fd, buffers)

    monkeypatch.setattr(os, "writev", slow_writev)
    monkeypatch.setattr(os, "write", lambda fd, data: slow_writev(fd, [data]))
    save = asyncio.create_task(
        client.exports.download(task_id, chunk_size=16 * 1024).save_to(target)
    )
    await writing.wait()
    await asyncio.sleep(0.06)  # long enough to fill the queue
    assert any(name.endswith(".part") for name in listing(tmp_path))
    save.cancel()
    with pytest.raises(asyncio.CancelledError):
        await save
    assert listing(tmp_path) == ["sent.csv"]
    assert target.read_bytes() == b"previous export"
    await no_writer_left()


@pytest.mark.asyncio
async def test_cancelled_while_the_file_is_forced_to_disk_leaves_no_file(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, rows=500)
    loop = asyncio.get_running_loop()
    syncing = asyncio.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        loop.call_soon_threadsafe(syncing.set)
        time.sleep(0.1)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    save = asyncio.create_task(
        client.exports.download(task_id).save_to(tmp_path / "a.csv", fsync=True)
    )
    await syncing.wait()
    save.cancel()
    with pytest.raises(asyncio.CancelledError):
        await save
    await no_writer_left()
    assert listing(tmp_path) == []  # not renamed: the cancellation came first


@pytest.mark.asyncio
async def test_a_temporary_name_taken_by_another_file_is_left_alone(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, rows=10)
    monkeypatch.setattr(secrets, "token_hex", lambda n: "cafe")
    other = tmp_path / ".sent.csv.cafe.part"
    other.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        await client.exports.download(task_id).save_to(tmp_path / "sent.csv")
    assert listing(tmp_path) == [".sent.csv.cafe.part"]
    assert other.read_bytes() == b"someone else's"  # O_EXCL: never clobbered, never removed
    await no_writer_left()
