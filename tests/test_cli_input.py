"""What the smsc command refuses before any request: CSV files it cannot read, history periods
SMSC would refuse. Each is one usage error line (exit code 2) that says what to change."""

from __future__ import annotations

import logging
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from smsc_async.cli._app import _WarningLines
from smsc_async.emulator import Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .test_cli import FAST, account, document, error_line, smsc, start

BIG = 200_000  # characters: more than the csv module's field limit (131,072)


@pytest_asyncio.fixture
async def emu(smsc_emulator_factory: EmulatorFactory) -> Emulator:
    return await start(smsc_emulator_factory, delivery_schedule=FAST)


# --- CSV files ------------------------------------------------------------------------------

# (command, file content, the line the error names, what it says)
_BAD_FILES = [
    pytest.param(
        "send",
        b'phone,text\n+79990000001,"Hello\n+79990000002,World\n',
        "line 2: a quoted field has no closing quote",
        id="send-unclosed-quote",
    ),
    pytest.param(
        "send",
        "phone,text\n+79990000001,Hello\n+79990000002,Привет\n".encode("cp1251"),
        "is not UTF-8 text (line 3); save it as CSV UTF-8",
        id="send-cp1251",
    ),
    pytest.param(
        "send",
        b"+79990000001," + b"x" * BIG + b"\n",
        "line 1: a field is longer than 131,072 characters",
        id="send-huge-field",
    ),
    pytest.param(
        "status",
        b'id,phone\n1,+79990000001\n2,"+79990000002\n3,+79990000003\n',
        "line 3: a quoted field has no closing quote",
        id="status-unclosed-quote",
    ),
    pytest.param(
        "status",
        "id,phone\n1,+79990000001\n2,+79990000002 Борис\n".encode("cp1251"),
        "is not UTF-8 text (line 3); save it as CSV UTF-8",
        id="status-cp1251",
    ),
    pytest.param(
        "status",
        b"1," + b"7" * BIG + b"\n",
        "line 1: a field is longer than 131,072 characters",
        id="status-huge-field",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("command", "content", "message"), _BAD_FILES)
async def test_a_csv_file_that_cannot_be_read_is_a_usage_error(
    emu: Emulator, tmp_path: Path, command: str, content: bytes, message: str
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_bytes(content)
    result = await smsc(account(emu), command, "--csv", str(orders))
    assert result.exit_code == 2
    line = error_line(result)
    assert line.startswith(f"error: {orders} ")
    assert message in line
    assert result.stdout == ""
    assert emu.requests == []

    result = await smsc(account(emu), command, "--csv", "-", input=content)  # standard input
    assert result.exit_code == 2
    assert error_line(result).startswith("error: standard input ")
    assert message in error_line(result)
    assert emu.requests == []


@pytest.mark.asyncio
async def test_csv_quoted_line_breaks_byte_order_mark_and_crlf(
    emu: Emulator, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    rows = 'phone,text\r\n+79990000001,"Line one\r\nline two"\r\n\r\n+79990000002,Привет\r\n'
    orders.write_bytes(b"\xef\xbb\xbf" + rows.encode())
    result = await smsc(account(emu), "--json", "send", "--csv", str(orders))
    assert result.exit_code == 0, result.stderr
    assert {m.phone: m.text for m in emu.messages()} == {
        "79990000001": "Line one\nline two",
        "79990000002": "Привет",
    }
    assert len(document(result)) == 2

    # A row after a quoted line break is named by the line it starts on.
    bad = 'phone,text\n+79990000001,"Line one\nline two"\n+79990000002,a,b\n'
    result = await smsc(account(emu), "send", "--csv", "-", input=bad)
    assert result.exit_code == 2
    assert "standard input line 4: expected phone,text (2 fields), got 3" in error_line(result)


# --- history periods ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_history_refuses_a_period_smsc_would_refuse(emu: Emulator) -> None:
    today = date.today()
    long_ago = today - timedelta(days=200)
    result = await smsc(account(emu), "history", "--since", long_ago.isoformat())
    assert result.exit_code == 2
    line = error_line(result)
    assert line.startswith(f"error: --since {long_ago} to today (")
    assert "is more than 6 months, the most SMSC lists at once" in line

    later = long_ago + timedelta(days=190)
    args = ("--since", long_ago.isoformat(), "--until", later.isoformat())
    result = await smsc(account(emu), "history", *args)
    assert result.exit_code == 2
    assert error_line(result).startswith(f"error: --since {long_ago} to --until {later} is more")

    args = ("--since", today.isoformat(), "--until", (today - timedelta(days=1)).isoformat())
    result = await smsc(account(emu), "history", *args)
    assert result.exit_code == 2
    assert f"--until {today - timedelta(days=1)} is before --since {today}" in error_line(result)
    assert emu.requests == []

    # Five months back is fine, with or without --until.
    recent = today - timedelta(days=150)
    result = await smsc(account(emu), "history", "--since", recent.isoformat())
    assert (result.exit_code, result.stdout) == (0, "no messages\n"), result.stderr
    args = (
        "--since",
        long_ago.isoformat(),
        "--until",
        (long_ago + timedelta(days=150)).isoformat(),
    )
    result = await smsc(account(emu), "history", *args)
    assert (result.exit_code, result.stdout) == (0, "no messages\n"), result.stderr


# --- the library's warnings -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_library_warning_is_one_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        raise RuntimeError("the cause\nover two lines")
    except RuntimeError:
        failure = sys.exc_info()
    record = logging.LogRecord(
        "smsc_async", logging.WARNING, __file__, 1, "send %r was\ncancelled", (42,), failure
    )
    handler = _WarningLines()
    handler.handle(record)
    assert capsys.readouterr() == ("", "warning: send 42 was cancelled\n")
    assert handler.level == logging.WARNING  # debug records (retries) are not shown
