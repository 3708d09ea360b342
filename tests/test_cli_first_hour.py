"""A new user's first hour with ``smsc``: what it shows while it waits, errors that say what to
change, codes in words, times that agree between tables and JSON, and an English quickstart.

Each test reads the command's output, as a person or a script would.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from smsc_async._status_texts import ERROR_MEANINGS, error_meaning, status_text
from smsc_async.bulk import SettleProgress
from smsc_async.cli._waiting import WaitLine
from smsc_async.emulator.pytest_plugin import EmulatorFactory
from smsc_async.models import MessageState, MessageStatus

from .conftest import url_of
from .test_cli import FAST, NO_ACCOUNT, account, document, error_line, smsc, start

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ERASE = "\r\x1b[2K"
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_EXAMPLES = Path(__file__).parent.parent / "examples"


def drawn(stderr: str) -> list[str]:
    """The texts the progress line showed, one per redraw, in order."""
    return [_ANSI.sub("", part) for part in stderr.split(_ERASE)[1:] if _ANSI.sub("", part)]


# --- status --wait: progress on a terminal --------------------------------------------------


@pytest.mark.asyncio
async def test_status_wait_shows_progress_on_a_terminal(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory, delivery_schedule=((0.1, 0), (0.7, 1)))
    async with emu.client() as client:
        sent = await client.send_sms("+79990000001", "Wait for it")
    # A message SMSC does not know settles at once ("not found"): one settled, one pending.
    pairs = ("999:+79990000009", f"{sent.id}:+79990000001")
    terminal = {**account(emu), "TTY_COMPATIBLE": "1"}  # rich: treat the streams as terminals
    result = await smsc(terminal, "status", "--wait", "--interval", "0.3", *pairs)
    assert result.exit_code == 0, result.stderr

    shown = drawn(result.stderr)
    assert shown[0] == "waiting: checking 2 messages…"
    waits = [text for text in shown if "next check in" in text]
    assert waits, shown
    assert all(
        re.fullmatch(
            r"waiting: 1 of 2 settled, 1 pending \(1 (queued|sent)\); next check in [01] s", text
        )
        for text in waits
    ), waits
    assert result.stderr.startswith("\x1b[?25l")  # the cursor is hidden while it waits...
    assert result.stderr.endswith(_ERASE + "\x1b[?25h")  # ...and the line gone at the end

    lines = _ANSI.sub("", result.stdout).splitlines()  # the results alone, on standard output
    assert [line.split()[:3] for line in lines] == [
        ["999", "+79990000009", "not"],
        [str(sent.id), "+79990000001", "delivered"],
    ]


@pytest.mark.asyncio
async def test_no_progress_when_not_a_terminal_or_with_json(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory, delivery_schedule=FAST)
    async with emu.client() as client:
        sent = await client.send_sms("+79990000001", "Quietly")
    args = ("status", "--wait", "--interval", "0.1", str(sent.id), "+79990000001")
    result = await smsc({**account(emu), "TTY_COMPATIBLE": "0"}, *args)
    assert result.exit_code == 0
    assert result.stderr == ""  # a log or a pipe: nothing but the result
    assert result.stdout.split()[:3] == [str(sent.id), "+79990000001", "delivered"]

    result = await smsc({**account(emu), "TTY_COMPATIBLE": "1"}, "--json", *args)
    assert result.exit_code == 0
    assert result.stderr == ""  # --json: the document alone, as before
    [status] = document(result)
    assert (status["state"], status["settled"]) == ("delivered", True)


@pytest.mark.asyncio
async def test_the_progress_line_counts_down_and_fits_the_terminal() -> None:
    screen = io.StringIO()
    line = WaitLine(Console(file=screen, force_terminal=True, width=120), total=3)
    queued = MessageStatus(status=MessageState.QUEUED)
    sent = MessageStatus(status=MessageState.SENT)
    now = asyncio.get_running_loop().time()
    line.update(SettleProgress(1, (queued, sent), now + 14.2))
    assert (
        line.text() == "waiting: 1 of 3 settled, 2 pending (1 queued, 1 sent); next check in 15 s"
    )
    line.update(SettleProgress(1, (None, sent), None))
    assert (
        line.text() == "waiting: 1 of 3 settled, 2 pending (1 not checked yet, 1 sent); checking…"
    )

    narrow = io.StringIO()
    small = WaitLine(Console(file=narrow, force_terminal=True, width=30), total=3)
    small.update(SettleProgress(0, (queued, queued, queued), now + 5))
    [text] = drawn(narrow.getvalue())
    assert len(text) <= 29  # never wraps: a wrapped line could not be erased
    assert text.endswith("…")


# --- errors that say what to change ---------------------------------------------------------


@pytest.mark.asyncio
async def test_a_refused_login_names_the_variables_the_command_read(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory)
    url = url_of(emu)
    secret = "not-the-password-4d1e"
    wrong = account(emu, password=secret)
    result = await smsc(wrong, "balance")
    assert result.exit_code == 1
    assert error_line(result) == (
        "error: balance.php: error 2: authorise error; check SMSC_LOGIN and SMSC_PASSWORD "
        f"(server {url}, from SMSC_BASE_URL), and that the account allows requests from this "
        "IP address"
    )

    by_key = {**account(emu), "SMSC_LOGIN": None, "SMSC_PASSWORD": None, "SMSC_APIKEY": secret}
    result = await smsc(by_key, "--json", "status", "1:+79990000001")
    assert result.exit_code == 1
    line = error_line(result)
    assert line.endswith(
        f"; check SMSC_APIKEY (server {url}, from SMSC_BASE_URL), and that "
        "the account allows requests from this IP address"
    )
    assert "SMSC_LOGIN" not in line
    assert "check SMSC_APIKEY" in document(result)["error"]["message"]

    result = await smsc(wrong, "send", "+79990000001", "+79990000002", "--text", "Hi")
    assert result.exit_code == 1
    assert error_line(result).startswith(
        "error: 2 of 2 messages were not sent; check SMSC_LOGIN and SMSC_PASSWORD (server "
    )
    result = await smsc(wrong, "--json", "send", "+79990000001", "--text", "Hi", "--id", "5")
    [item] = document(result)
    assert "check SMSC_LOGIN and SMSC_PASSWORD" in item["error"]["message"]
    assert "check SMSC_LOGIN and SMSC_PASSWORD" in error_line(result)
    assert secret not in result.stdout + result.stderr


# --- codes in words ---------------------------------------------------------------------------


def test_status_and_error_codes_have_meanings() -> None:
    assert status_text(20, 248) == "status 20 (cannot deliver), error 248 (no route)"
    assert status_text(22, 0) == "status 22 (invalid number)"
    assert status_text(30, 999) == "status 30 (unknown status), error 999"  # newer than us
    assert status_text(None, 1) == "error 1 (subscriber does not exist)"
    assert error_meaning(6) == "subscriber offline or out of coverage"
    assert all(text and not _CYRILLIC.search(text) for text in ERROR_MEANINGS.values())


@pytest.mark.asyncio
async def test_refused_and_failed_messages_say_their_codes_in_words(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory, delivery_schedule=FAST)
    emu.undeliverable_phones = {"+79990000099"}
    emu.set_outcome("+79990000003", 20, 1)
    in_words = "status 20 (cannot deliver), error 248 (no route)"

    result = await smsc(account(emu), "send", "+79990000003", "+79990000099", "-t", "Hi")
    assert result.exit_code == 1
    [refused] = [line for line in result.stdout.splitlines() if "+79990000099" in line]
    assert refused.rstrip().endswith(f"refused: {in_words}")
    [message_id] = {m.id for m in emu.messages()}
    result = await smsc(account(emu), "--json", "send", "+79990000099", "+79990000001", "-t", "Hi")
    error = document(result)[0]["error"]
    assert (error["status"], error["error"]) == (20, 248)
    assert re.fullmatch(
        rf"SMSC refused number 79990000099 of send \S+: {re.escape(in_words)}; "
        "nothing was sent to it",
        error["message"],
    )

    result = await smsc(account(emu), "cost", "+79990000099", "+79990000001", "-t", "Hi")
    assert f"would be refused: {in_words}" in result.stdout

    args = ("status", "--wait", "--interval", "0.1", f"{message_id}", "+79990000003")
    result = await smsc(account(emu), *args)
    assert "  cannot deliver (error 1: subscriber does not exist)  " in result.stdout
    result = await smsc(account(emu), "--json", *args)
    [status] = document(result)
    assert (status["state"], status["err"], status["error_meaning"]) == (
        "cannot_deliver",
        1,
        "subscriber does not exist",
    )

    result = await smsc(account(emu), "history", "--phone", "+79990000003")
    assert "cannot deliver (error 1: subscriber does not exist)" in result.stdout
    assert not _CYRILLIC.search(result.stdout)  # SMSC's Russian status_name is not shown
    result = await smsc(account(emu), "--json", "history", "--phone", "+79990000003")
    [sent] = document(result)
    assert (sent["state"], sent["error_meaning"]) == ("cannot_deliver", "subscriber does not exist")


# --- times that agree -------------------------------------------------------------------------


@pytest.fixture
def tokyo() -> Iterator[None]:
    """Run the test in a local zone that is neither UTC nor Moscow (SMSC's)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _in_table(iso: str) -> str:
    """How a JSON time reads in a table: local time with the zone."""
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


@pytest.mark.asyncio
@pytest.mark.usefixtures("tokyo")
async def test_times_agree_between_tables_and_json(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory, delivery_schedule=FAST)
    emu.add_export("March", rows=3, start_after=0, run_for=0)
    async with emu.client() as client:
        sent = await client.send_sms("+79990000001", "What time is it?")
    await asyncio.sleep(0.3)  # delivered: the last change is later than the send

    result = await smsc(account(emu), "--json", "status", str(sent.id), "+79990000001")
    [status] = document(result)
    assert "last_date" not in status  # SMSC's unlabelled Moscow time
    assert status["last_time"].endswith("Z")
    assert datetime.fromisoformat(status["last_time"]) == datetime.fromtimestamp(
        status["last_timestamp"], UTC
    )
    result = await smsc(account(emu), "status", str(sent.id), "+79990000001")
    assert result.stdout.rstrip().endswith(_in_table(status["last_time"]))
    assert result.stdout.rstrip().endswith(" JST")

    result = await smsc(account(emu), "--json", "history")
    [message] = document(result)
    assert "send_date" not in message
    assert "last_date" not in message
    assert message["send_time"] <= message["last_time"]
    result = await smsc(account(emu), "history")
    row = result.stdout.splitlines()[-1]
    assert row.startswith(_in_table(message["send_time"]) + "   ")

    result = await smsc(account(emu), "--json", "exports", "list")
    [task] = document(result)
    assert "created" not in task
    assert task["created_time"].endswith("Z")
    result = await smsc(account(emu), "exports", "list")
    assert _in_table(task["created_time"]) in result.stdout.splitlines()[-1]


# --- the quickstart -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_quickstart_speaks_english() -> None:
    env = {name: value for name, value in os.environ.items() if name not in NO_ACCOUNT}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(_EXAMPLES / "quickstart.py"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "Status:           delivered\n" in text
    assert "Details:          delivered, cost 2.50, to 79991234567\n" in text
    assert re.search(r"^Times: +sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+, last change ", text, re.M)
    assert "(err" not in text
    assert not _CYRILLIC.search(text)  # SMSC's status_name ("Доставлено") is not shown
