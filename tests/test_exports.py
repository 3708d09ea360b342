"""Deferred exports (downloads.php): list, wait, streamed download, rows, atomic save."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ExportCancelledError,
    ExportFailedError,
    ExportTimeoutError,
    NotFoundError,
    OperationFailedError,
    RequestTimeoutError,
    SMSCClient,
    TransportError,
)
from smsc_async._export_rows import _CSVRecords
from smsc_async.emulator import Emulator
from smsc_async.emulator._downloads import EXPORT_COLUMNS as EMULATOR_COLUMNS
from smsc_async.exports import (
    EXPORT_COLUMNS,
    POLL_INTERVAL,
    Download,
    ExportRow,
    ExportStatus,
    ExportTask,
)
from smsc_async.models import MessageState

from .conftest import LOGIN, PASSWORD, url_of

WINDOW = 60.0


def ready(emulator: Emulator, **options: Any) -> int:
    """A task that is completed at once."""
    return emulator.add_export(start_after=0, run_for=0, **options)


def list_times(emulator: Emulator) -> list[float]:
    return [
        r.at for r in emulator.requests if r.script == "downloads.php" and "get" not in r.params
    ]


def most_in_a_window(times: list[float]) -> int:
    # The emulator's window is closed at both ends: [t, t + 60].
    return max((sum(t <= u <= t + WINDOW for u in times) for t in times), default=0)


async def raw_post(emulator: Emulator, **fields: str) -> tuple[int, str, bytes]:
    form = {"login": LOGIN, "psw": PASSWORD, **fields}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url_of(emulator)}/sys/downloads.php", data=form) as resp,
    ):
        return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


async def raw_file(emulator: Emulator, task_id: int) -> bytes:
    _, _, body = await raw_post(emulator, get="1", id=str(task_id), fmt="3")
    return body


def expected(record: dict[str, str]) -> dict[str, object]:
    """What ExportRow should hold for one of the emulator's records."""

    def number(value: str) -> int | None:
        return int(value) if value else None

    cost = record["cost"].replace(",", ".")
    return {
        "int_id": int(record["int_id"]),
        "id": record["id"],
        "send_date": record["send_date"] or None,
        "last_date": record["last_date"] or None,
        "phone": record["phone"],
        "sender_id": record["sender_id"],
        "message": record["message"],
        "sms_cnt": number(record["sms_cnt"]),
        "cost": Decimal(cost) if cost else None,
        "status": number(record["status"]),
        "err": number(record["err"]) or 0,
        "status_name": record["status_name"],
        "type": number(record["type"]),
        "country": record["country"],
        "operator": record["operator"],
        "region": record["region"],
        "mccmnc": record["mccmnc"],
        "extra": {},
    }


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_the_list_shows_a_task_moving_through_its_states(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = emulator.add_export("March", start_after=10, run_for=30)
    [pending] = await client.exports.list()
    assert pending.id == task_id
    assert pending.name == "March"
    assert pending.status is ExportStatus.PENDING
    assert pending.started == ""
    assert pending.file_name == ""
    assert not pending.finished
    assert isinstance(pending.created_time, datetime)
    assert pending.start_time is None

    await asyncio.sleep(15)
    [running] = await client.exports.list()
    assert running.status is ExportStatus.IN_PROGRESS
    assert isinstance(running.start_time, datetime)

    await asyncio.sleep(30)
    [done] = await client.exports.list()
    assert done.status is ExportStatus.COMPLETED
    assert done.finished
    assert done.file_name == f"export_{task_id}.csv"
    assert (await client.exports.get(task_id)).status is ExportStatus.COMPLETED
    assert {r.answered_error for r in emulator.requests} == {None}


@pytest.mark.asyncio
async def test_no_tasks_is_an_empty_list(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.exports.list() == []
    assert emulator.requests[0].answered_error == 3  # SMSC's "no records found"


def test_task_fields_and_unknown_status_codes() -> None:
    decoded = msgspec.json.decode(
        b'[{"id": 7, "name": "a", "status": 9, "created": "01.02.2026 10:00:00",'
        b' "time": 1767261600, "file": "x.csv", "new": 1}]',
        type=list[ExportTask],
    )
    assert decoded[0].status == 9
    assert decoded[0].status.name == "UNKNOWN_9"
    assert decoded[0].created_time == datetime.fromisoformat("2026-02-01T07:00:00+00:00")
    assert decoded[0].start_time == datetime.fromisoformat("2026-01-01T10:00:00+00:00")
    assert not decoded[0].finished


@pytest.mark.asyncio
async def test_get_of_an_unknown_task_raises_not_found(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.add_export()
    with pytest.raises(NotFoundError) as info:
        await client.exports.get(999_999)
    assert info.value.code == 3


@pytest.mark.asyncio
async def test_list_errors_are_typed(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.api_error(1, code=2, script="downloads.php")
    with pytest.raises(AuthenticationError) as info:
        await client.exports.list()
    assert info.value.code == 2


# --- waiting -------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_wait_polls_until_completed_and_reports_each_poll(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = emulator.add_export(start_after=30, run_for=60)
    seen: list[tuple[float, ExportStatus | None]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    def on_poll(task: ExportTask) -> None:
        assert task.id == task_id
        seen.append((round(loop.time() - start, 1), task.status))

    task = await client.exports.wait(task_id, timeout=600, on_poll=on_poll)
    assert task.status is ExportStatus.COMPLETED
    assert task.file_name == f"export_{task_id}.csv"
    assert seen == [
        (0.0, ExportStatus.PENDING),
        (20.5, ExportStatus.PENDING),
        (41.0, ExportStatus.IN_PROGRESS),
        (61.5, ExportStatus.IN_PROGRESS),
        (82.0, ExportStatus.IN_PROGRESS),
        (102.5, ExportStatus.COMPLETED),
    ]
    assert POLL_INTERVAL == 20.5
    assert {r.answered_error for r in emulator.requests} == {None}
    assert most_in_a_window(list_times(emulator)) == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_polls_start_an_interval_apart_however_long_each_takes(
    client: SMSCClient, emulator: Emulator
) -> None:
    emulator.faults.delay(5, script="downloads.php")
    task_id = emulator.add_export(start_after=30, run_for=0)
    start = asyncio.get_running_loop().time()
    await client.exports.wait(task_id, timeout=600)
    assert [round(t - start, 1) for t in list_times(emulator)] == [0.0, 20.5, 41.0]
    assert asyncio.get_running_loop().time() - start == pytest.approx(46, abs=0.1)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_an_async_poll_callback_is_awaited(client: SMSCClient, emulator: Emulator) -> None:
    task_id = emulator.add_export(start_after=20, run_for=0)
    seen: list[int] = []

    async def on_poll(task: ExportTask) -> None:
        await asyncio.sleep(0)
        seen.append(int(task.status or 0))

    await client.exports.wait(task_id, timeout=600, on_poll=on_poll)
    assert seen == [0, 2]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_polling_never_provokes_error_9(client: SMSCClient, emulator: Emulator) -> None:
    """A short interval and two waits at once: the gate keeps to three identical a minute."""
    task_id = emulator.add_export(start_after=200, run_for=10)
    loop = asyncio.get_running_loop()
    start = loop.time()
    first, second = await asyncio.gather(
        client.exports.wait(task_id, interval=1, timeout=900),
        client.exports.wait(task_id, interval=5, timeout=900),
    )
    assert first.status == second.status == ExportStatus.COMPLETED
    assert loop.time() - start >= 210
    times = list_times(emulator)
    assert len(times) >= 8
    assert most_in_a_window(times) <= 3
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_cancelled_task_raises(client: SMSCClient, emulator: Emulator) -> None:
    task_id = emulator.add_export(start_after=10, run_for=100)
    asyncio.get_running_loop().call_later(30, emulator.cancel_export, task_id)
    seen: list[ExportStatus | None] = []
    with pytest.raises(ExportCancelledError) as info:
        await client.exports.wait(task_id, timeout=600, on_poll=lambda t: seen.append(t.status))
    assert (info.value.task_id, info.value.status) == (task_id, 3)
    assert seen == [ExportStatus.PENDING, ExportStatus.IN_PROGRESS, ExportStatus.CANCELLED]
    assert emulator.export_status(task_id) == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_failed_task_raises(client: SMSCClient, emulator: Emulator) -> None:
    task_id = emulator.add_export(start_after=0, run_for=1000)
    asyncio.get_running_loop().call_later(50, emulator.fail_export, task_id)
    with pytest.raises(ExportFailedError) as info:
        await client.exports.wait(task_id, timeout=600)
    assert (info.value.task_id, info.value.status) == (task_id, 4)
    [task] = await client.exports.list()
    assert task.status is ExportStatus.FAILED
    assert task.file_name == ""


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_wait_gives_up_after_the_timeout(client: SMSCClient, emulator: Emulator) -> None:
    task_id = emulator.add_export(start_after=10, run_for=1000)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(ExportTimeoutError) as info:
        await client.exports.wait(task_id, timeout=50)
    assert loop.time() - start == pytest.approx(50, abs=0.01)
    assert isinstance(info.value, TimeoutError)
    assert (info.value.task_id, info.value.status) == (task_id, 1)  # the last status seen
    assert len(list_times(emulator)) == 3  # at 0, 20.5 and 41 s


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_request_timeout_while_waiting_is_not_the_callers_timeout(
    emulator: Emulator,
) -> None:
    task_id = emulator.add_export(start_after=100)
    emulator.faults.delay(50, script="downloads.php")
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), timeout=10, max_retries=0
    ) as smsc:
        with pytest.raises(RequestTimeoutError) as info:
            await smsc.exports.wait(task_id, timeout=600)
    assert not isinstance(info.value, ExportTimeoutError)


@pytest.mark.asyncio
async def test_wait_for_an_unknown_task_raises_not_found(
    client: SMSCClient, emulator: Emulator
) -> None:
    with pytest.raises(NotFoundError):
        await client.exports.wait(12345, timeout=10)
    assert len(emulator.requests) == 1


# --- downloading ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_chunks_are_the_file_as_served(client: SMSCClient, emulator: Emulator) -> None:
    task_id = ready(emulator, rows=300)
    sizes: list[int] = []
    async with client.exports.download(task_id, chunk_size=1000) as download:
        assert download.total == emulator.exports()[0].size
        parts = []
        async for chunk in download.chunks():
            sizes.append(len(chunk))
            parts.append(chunk)
    body = b"".join(parts)
    assert body == await raw_file(emulator, task_id)
    assert len(body) == emulator.exports()[0].size > 40_000
    assert max(sizes) == 1000
    assert download.received == len(body)
    request = next(r for r in emulator.requests if r.params.get("get") == "1")
    assert request.params["id"] == str(task_id)


@pytest.mark.asyncio
async def test_rows_hold_quotes_commas_newlines_and_cyrillic(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, rows=40)
    rows = [row async for row in client.exports.download(task_id).rows()]
    records = emulator.export_records(task_id)
    assert len(rows) == len(records) == 40
    for row, record in zip(rows, records, strict=True):
        assert msgspec.structs.asdict(row) == expected(record)
    messages = {row.message for row in rows}
    assert "Line one\nLine two, with a comma\nLine three" in messages
    assert 'Код: 7730\r\nНикому его не сообщайте, даже "сотрудникам" банка' in messages
    assert 'Акция "Чёрная пятница": скидки до 50% — только "сегодня"' in messages
    assert "Спасибо за покупку! 🎉 Ждём вас снова" in messages
    assert "  spaced, \"quoted\", 'single' ; semi  " in messages
    second = rows[1]
    assert second.cost == Decimal("3.20")  # written with a decimal comma
    assert second.status is MessageState.DELIVERED
    assert second.sender_id == "Магазин"
    assert second.send_time == datetime.fromisoformat("2026-11-02T07:16:30+00:00")
    assert rows[5].status is MessageState.QUEUED
    assert rows[5].cost is None
    assert rows[0].int_id == 100_000_000_001
    assert rows[-1].int_id == 100_000_000_040


@pytest.mark.asyncio
@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
async def test_awkward_chunk_boundaries_parse_the_same(
    client: SMSCClient, emulator: Emulator, chunk_size: int
) -> None:
    task_id = ready(emulator, rows=24)
    rows = [row async for row in client.exports.download(task_id, chunk_size=chunk_size).rows()]
    assert [msgspec.structs.asdict(r) for r in rows] == [
        expected(record) for record in emulator.export_records(task_id)
    ]


@pytest.mark.asyncio
async def test_the_parser_gives_the_same_records_for_every_split(emulator: Emulator) -> None:
    task_id = ready(emulator, rows=16)
    body = await raw_file(emulator, task_id)
    whole = _CSVRecords()
    reference = whole.feed(body) + whole.close()
    assert len(reference) == 17  # header + 16 rows
    for cut in range(1, len(body)):
        parser = _CSVRecords()
        got = parser.feed(body[:cut]) + parser.feed(body[cut:]) + parser.close()
        assert got == reference, cut


def test_the_parser_handles_split_characters_semicolons_and_a_last_line_without_newline() -> None:
    text = 'phone;message\r\n79990000001;"Привет; ""мир""\nвторая"\r\n79990000002;конец'
    data = text.encode()
    for cut in range(len(data)):
        parser = _CSVRecords()
        records = [*parser.feed(data[:cut]), *parser.feed(data[cut:]), *parser.close()]
        assert records == [
            ["phone", "message"],
            ["79990000001", 'Привет; "мир"\nвторая'],
            ["79990000002", "конец"],
        ], cut


def test_the_parser_drops_a_byte_order_mark_and_blank_lines() -> None:
    parser = _CSVRecords()
    data = "\ufeffphone,message\n\n1,a\n".encode()
    assert parser.feed(data[:2]) == []
    assert parser.feed(data[2:]) + parser.close() == [["phone", "message"], ["1", "a"]]


@pytest.mark.asyncio
async def test_a_file_without_a_header_is_read_in_the_table_order(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, rows=10, header=False)
    rows = [row async for row in client.exports.download(task_id).rows()]
    assert [msgspec.structs.asdict(r) for r in rows] == [
        expected(record) for record in emulator.export_records(task_id)
    ]


@pytest.mark.asyncio
async def test_reordered_and_unknown_columns_follow_the_header(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, rows=8, columns=["message", "Bonus", "phone", "int_id", "cost"])
    rows = [row async for row in client.exports.download(task_id).rows()]
    records = emulator.export_records(task_id)
    assert [(r.message, r.phone, r.int_id) for r in rows] == [
        (rec["message"], rec["phone"], int(rec["int_id"])) for rec in records
    ]
    assert all(r.extra == {"Bonus": "Bonus value"} for r in rows)
    assert rows[1].cost == Decimal("3.20")
    assert rows[0].sender_id == ""  # not in this file


@pytest.mark.asyncio
async def test_a_header_of_two_columns_is_recognised(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, rows=3, columns=["phone", "message"])
    rows = [row async for row in client.exports.download(task_id).rows()]
    assert [(r.phone, r.int_id) for r in rows] == [
        ("79991234567", 0),
        ("79217654321", 0),
        ("77011234567", 0),
    ]


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    parser = _CSVRecords()
    records = parser.feed(b"phone,message\n1,caf\xe9 ok\n") + parser.close()
    assert records == [["phone", "message"], ["1", "caf\ufffd ok"]]


def test_extra_cells_of_a_headerless_file_are_kept_by_position() -> None:
    from smsc_async._export_rows import _RowMaker

    cells = [str(n) for n in range(len(EXPORT_COLUMNS) + 2)]
    maker, header = _RowMaker.start(cells)
    assert not header
    row = maker(cells)
    assert row.int_id == 0
    assert row.id == "1"
    assert row.extra == {"column_17": "17", "column_18": "18"}
    short = maker(["5", "x"])
    assert (short.int_id, short.id, short.phone) == (5, "x", "")


def test_unreadable_cells_leave_the_default_and_longer_rows_keep_their_cells() -> None:
    from smsc_async._export_rows import _RowMaker

    maker, header = _RowMaker.start(["phone", "cost", "sms_cnt", "int_id", "status"])
    assert header
    row = maker(["7999", "about 2", "x", "", "NaN", "surplus"])
    got = (row.phone, row.cost, row.sms_cnt, row.int_id, row.status)
    assert got == ("7999", None, None, 0, None)
    assert row.extra == {"column_5": "surplus"}
    assert maker(["1", "Infinity"]).cost is None
    assert maker(["1", "NaN", "1", "2", "3"]).cost is None  # the fast path refuses it too
    assert maker(["1", "2.5", "1", "2", "3"]).cost == Decimal("2.5")
    assert maker(["1", "1 234,50"]).cost == Decimal("1234.50")


@pytest.mark.asyncio
async def test_the_fast_and_the_lenient_row_paths_agree(emulator: Emulator) -> None:
    from smsc_async._export_rows import _RowMaker

    task_id = ready(emulator, rows=8)
    parser = _CSVRecords()
    header, *records = parser.feed(await raw_file(emulator, task_id)) + parser.close()
    maker, _ = _RowMaker.start(header)
    for record in records:
        assert maker(record) == maker._lenient(record)


def test_an_endless_quoted_field_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from smsc_async import ResponseDecodeError, _export_rows

    monkeypatch.setattr(_export_rows, "_MAX_RECORD", 1000)
    parser = _CSVRecords()
    assert parser.feed(b'phone,message\n1,"open') == [["phone", "message"]]
    for _ in range(35):
        assert (
            parser.feed(b"more text, no closing quote\n") == []
        )  # 28 bytes each, all held (987 in all)
    with pytest.raises(ResponseDecodeError, match="unbalanced quote"):
        parser.feed(b"more text, no closing quote\n")


def test_the_client_and_the_emulator_agree_on_the_columns() -> None:
    assert EMULATOR_COLUMNS == EXPORT_COLUMNS
    assert set(EXPORT_COLUMNS) < set(ExportRow.__struct_fields__)


@pytest.mark.asyncio
async def test_progress_reports_bytes_and_total(client: SMSCClient, emulator: Emulator) -> None:
    task_id = ready(emulator, rows=500)
    size = emulator.exports()[0].size
    calls: list[tuple[int, int | None]] = []
    download = client.exports.download(
        task_id, chunk_size=8192, on_progress=lambda got, total: calls.append((got, total))
    )
    count = 0
    async for chunk in download.chunks():
        count += len(chunk)
    assert calls[0] == (0, size)
    assert calls[-1] == (size, size) == (count, size)
    received = [got for got, _ in calls]
    assert received == sorted(received)
    assert len(calls) > size // 8192


@pytest.mark.asyncio
async def test_progress_without_a_known_size(client: SMSCClient, emulator: Emulator) -> None:
    task_id = ready(emulator, rows=100, content_length=False)
    size = emulator.exports()[0].size
    calls: list[tuple[int, int | None]] = []

    async def on_progress(got: int, total: int | None) -> None:
        calls.append((got, total))

    download = client.exports.download(task_id, on_progress=on_progress)
    rows = [row async for row in download.rows()]
    assert len(rows) == 100
    assert calls[0] == (0, None)
    assert calls[-1] == (size, None)
    assert download.total is None


@pytest.mark.asyncio
async def test_a_generated_file_of_a_given_size(client: SMSCClient, emulator: Emulator) -> None:
    size = 3 * 1024 * 1024 + 17
    task_id = ready(emulator, size=size)
    job = emulator.exports()[0]
    assert size - 400 < job.size <= size
    count = 0
    async with client.exports.download(task_id) as download:
        assert download.total == job.size
        async for chunk in download.chunks():
            count += len(chunk)
    assert count == job.size


@pytest.mark.asyncio
async def test_a_download_lost_before_the_body_is_asked_again(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, rows=5)
    emulator.faults.drop(1, script="downloads.php")
    rows = [row async for row in client.exports.download(task_id).rows()]
    assert len(rows) == 5
    assert sum(r.params.get("get") == "1" for r in emulator.requests) == 2


@pytest.mark.asyncio
async def test_leaving_the_block_early_releases_the_connection(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = ready(emulator, size=256 * 1024 * 1024)
    async with client.exports.download(task_id, chunk_size=1024) as download:
        async for _ in download.chunks():
            break
        assert emulator.in_flight[LOGIN] == 1
    assert download.received == 1024
    for _ in range(100):
        if emulator.in_flight[LOGIN] == 0:
            break
        await asyncio.sleep(0.01)
    assert emulator.in_flight[LOGIN] == 0
    assert len(await client.exports.list()) == 1


@pytest.mark.asyncio
async def test_a_download_is_used_once(client: SMSCClient, emulator: Emulator) -> None:
    task_id = ready(emulator, rows=3)
    download = client.exports.download(task_id)
    assert isinstance(download, Download)
    assert len([row async for row in download.rows()]) == 3
    with pytest.raises(RuntimeError, match="read once"):
        async for _ in download.chunks():
            pass
    async with client.exports.download(task_id) as again:
        assert len([row async for row in again.rows()]) == 3
        with pytest.raises(RuntimeError, match="read once"):
            async for _ in again.chunks():
                pass


# --- errors instead of the file ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_unknown_task_is_not_found(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError) as info:
        async with client.exports.download(424242):
            pass
    assert info.value.code == 3
    with pytest.raises(NotFoundError):
        await client.exports.download(424242).save_to(tmp_path / "out.csv")
    assert listing(tmp_path) == []


@pytest.mark.asyncio
async def test_the_file_of_a_task_not_completed_is_refused(
    client: SMSCClient, emulator: Emulator
) -> None:
    task_id = emulator.add_export(start_after=100)
    with pytest.raises(OperationFailedError) as info:
        async for _ in client.exports.download(task_id).chunks():
            pass
    assert info.value.code == 5
    assert info.value.script == "downloads.php"


@pytest.mark.asyncio
@pytest.mark.parametrize("chunk_size", [7, 65536])
@pytest.mark.parametrize(
    ("kind", "code", "error"),
    [("api_error", 1, BadRequestError), ("plain_text_error", 2, AuthenticationError)],
)
async def test_an_smsc_error_instead_of_the_file_is_typed(
    client: SMSCClient,
    emulator: Emulator,
    kind: str,
    code: int,
    error: type[APIError],
    chunk_size: int,
) -> None:
    task_id = ready(emulator, rows=5)
    getattr(emulator.faults, kind)(1, code=code, script="downloads.php")
    chunks: list[bytes] = []

    async def read() -> None:
        async for chunk in client.exports.download(task_id, chunk_size=chunk_size).chunks():
            chunks.append(chunk)

    with pytest.raises(error) as info:
        await read()
    assert info.value.code == code
    assert chunks == []  # nothing of the error body was handed over as file content


# --- saving --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_save_to_writes_the_file(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, rows=700)
    target = tmp_path / "sent.csv"
    calls: list[tuple[int, int | None]] = []
    saved = await client.exports.download(
        task_id, on_progress=lambda got, total: calls.append((got, total))
    ).save_to(str(target))
    assert saved == target
    assert target.read_bytes() == await raw_file(emulator, task_id)
    assert calls[-1] == (target.stat().st_size, target.stat().st_size)
    assert listing(tmp_path) == ["sent.csv"]


@pytest.mark.asyncio
async def test_save_to_inside_the_block_and_with_fsync(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, rows=50)
    async with client.exports.download(task_id) as download:
        await download.save_to(tmp_path / "a.csv", fsync=True)
    assert (tmp_path / "a.csv").stat().st_size == download.total


@pytest.mark.asyncio
async def test_a_dropped_download_leaves_no_file(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, size=2 * 1024 * 1024)
    emulator.cut_export_download(task_id, after=300_000)
    with pytest.raises(TransportError):
        await client.exports.download(task_id, chunk_size=4096).save_to(tmp_path / "sent.csv")
    assert listing(tmp_path) == []
    # The cut was once: the next download is whole.
    await client.exports.download(task_id).save_to(tmp_path / "sent.csv")
    assert (tmp_path / "sent.csv").stat().st_size == emulator.exports()[0].size


@pytest.mark.asyncio
async def test_an_existing_file_is_replaced_only_on_success(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, rows=2000)
    target = tmp_path / "sent.csv"
    target.write_bytes(b"previous export")
    emulator.cut_export_download(task_id, after=100_000)
    received: list[int] = []
    with pytest.raises(TransportError):
        await client.exports.download(
            task_id, on_progress=lambda got, _: received.append(got)
        ).save_to(target)
    assert received[-1] == 100_000
    assert target.read_bytes() == b"previous export"
    assert listing(tmp_path) == ["sent.csv"]

    await client.exports.download(task_id).save_to(target)
    assert target.read_bytes() == await raw_file(emulator, task_id)
    assert listing(tmp_path) == ["sent.csv"]


@pytest.mark.asyncio
async def test_a_cancelled_save_leaves_no_file(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, size=8 * 1024 * 1024)
    started = asyncio.Event()

    def on_progress(got: int, total: int | None) -> None:
        if got > 100_000:
            started.set()

    save = asyncio.create_task(
        client.exports.download(task_id, chunk_size=4096, on_progress=on_progress).save_to(
            tmp_path / "sent.csv"
        )
    )
    await started.wait()
    assert any(name.endswith(".part") for name in listing(tmp_path))
    save.cancel()
    with pytest.raises(asyncio.CancelledError):
        await save
    assert listing(tmp_path) == []


@pytest.mark.asyncio
async def test_a_failing_progress_callback_stops_the_save(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, rows=1000)

    def on_progress(got: int, total: int | None) -> None:
        if got > 10_000:
            raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        await client.exports.download(task_id, chunk_size=1000, on_progress=on_progress).save_to(
            tmp_path / "sent.csv"
        )
    assert listing(tmp_path) == []


@pytest.mark.asyncio
async def test_a_write_error_is_raised_and_cleaned_up(
    client: SMSCClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = ready(emulator, rows=1000)
    real_replace = os.replace

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        await client.exports.download(task_id).save_to(tmp_path / "sent.csv")
    monkeypatch.setattr(os, "replace", real_replace)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("pieces", [1, 3, 40])
def test_short_writes_are_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces: int
) -> None:
    from smsc_async._export_writer import _write_all

    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:
        return real_write(fd, bytes(data[:5]))  # at most 5 bytes per call

    def short_writev(fd: int, buffers: list[bytes]) -> int:
        return real_write(fd, buffers[0][:7])

    monkeypatch.setattr(os, "write", short_write)
    monkeypatch.setattr(os, "writev", short_writev)
    batch = [f"chunk {n};".encode() * 3 for n in range(pieces)]
    fd = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
    try:
        _write_all(fd, batch)
    finally:
        os.close(fd)
    assert (tmp_path / "out").read_bytes() == b"".join(batch)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.exports.get("abc"), ValueError),
        (lambda c: c.exports.get(1.5), TypeError),
        (lambda c: c.exports.wait("12a"), ValueError),
        (lambda c: c.exports.wait(1, timeout=0), ValueError),
        (lambda c: c.exports.wait(1, timeout=-5), ValueError),
        (lambda c: c.exports.wait(1, timeout=float("nan")), ValueError),
        (lambda c: c.exports.wait(1, timeout="60"), TypeError),
        (lambda c: c.exports.wait(1, interval=0), ValueError),
        (lambda c: c.exports.wait(1, on_poll="print"), TypeError),
    ],
)
async def test_bad_wait_arguments_raise_before_any_request(
    client: SMSCClient, emulator: Emulator, call: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_bad_download_arguments_raise_before_any_request(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    task_id = ready(emulator, rows=3)
    with pytest.raises(ValueError):
        client.exports.download("x1")
    with pytest.raises(TypeError):
        client.exports.download(True)
    with pytest.raises(ValueError):
        client.exports.download(task_id, chunk_size=0)
    with pytest.raises(TypeError):
        client.exports.download(task_id, on_progress=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.exports.download(task_id, idle_timeout=-1)
    with pytest.raises(ValueError):
        client.exports.download(task_id).rows(delimiter=",,")
    with pytest.raises(ValueError, match="directory"):
        await client.exports.download(task_id).save_to(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        await client.exports.download(task_id).save_to(tmp_path / "missing" / "a.csv")
    with pytest.raises(TypeError):
        await client.exports.download(task_id).save_to(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await client.exports.download(task_id).save_to("")
    assert emulator.requests == []
    assert listing(tmp_path) == []


@pytest.mark.asyncio
async def test_a_task_seen_before_can_be_passed(client: SMSCClient, emulator: Emulator) -> None:
    task_id = ready(emulator, rows=2)
    [task] = await client.exports.list()
    assert (await client.exports.get(task)).id == task_id
    rows = [row async for row in client.exports.download(task).rows()]
    assert [r.int_id for r in rows] == [100_000_000_001, 100_000_000_002]


# --- the emulator's own answers ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_the_emulator_lists_in_other_formats(emulator: Emulator) -> None:
    task_id = emulator.add_export("Q1", start_after=0, run_for=0)
    await asyncio.sleep(1)
    status, _, body = await raw_post(emulator, fmt="0")
    assert status == 200
    text = body.decode()
    assert text.startswith(f"id = {task_id}, name = Q1, status = 2, created = ")
    assert text.endswith(f"file = export_{task_id}.csv")
    _, _, csv_body = await raw_post(emulator, fmt="1")
    assert csv_body.decode().startswith(f"{task_id},Q1,2,")
    _, _, missing = await raw_post(emulator, fmt="0", get="1")
    assert missing == b"ERROR = 1 (parameters error)"
    _, _, not_number = await raw_post(emulator, fmt="1", get="1", id="x")
    assert not_number == b"0,-1"
    _, _, unknown = await raw_post(emulator, fmt="0", get="1", id="999")
    assert unknown == b"ERROR = 3 (no records found)"


@pytest.mark.asyncio
async def test_the_emulator_serves_a_file_by_its_name(emulator: Emulator) -> None:
    task_id = ready(emulator, rows=4)
    status, content_type, body = await raw_post(emulator, file=f"export_{task_id}.csv")
    assert status == 200
    assert content_type == "text/csv; charset=utf-8"
    assert body == await raw_file(emulator, task_id)
    assert body.startswith(b"int_id,id,send_date,")
    assert body.count(b"\r\n") >= 5
    assert emulator.exports()[0].downloads == 2


@pytest.mark.asyncio
async def test_the_emulator_refuses_a_fourth_identical_request_in_a_minute(
    emulator: Emulator,
) -> None:
    ready(emulator)
    answers = [(await raw_post(emulator, fmt="3"))[2] for _ in range(4)]
    assert b"error_code" not in answers[2]
    assert msgspec.json.decode(answers[3])["error_code"] == 9


@pytest.mark.asyncio
async def test_emulator_controls_check_their_arguments(emulator: Emulator) -> None:
    with pytest.raises(ValueError):
        emulator.add_export(rows=1, size=100)
    with pytest.raises(ValueError):
        emulator.add_export(rows=-1)
    with pytest.raises(ValueError):
        emulator.add_export(columns=["phone", "phone"])
    with pytest.raises(ValueError):
        emulator.add_export(start_after=-1)
    with pytest.raises(KeyError):
        emulator.fail_export(77)
    task_id = emulator.add_export(size=10)  # smaller than the header: no rows
    assert emulator.exports()[0].rows == 0
    assert emulator.export_records(task_id) == []
