"""``smsc exports ...`` against the emulator: list, wait, download (with its progress bar).

SMSC allows three identical downloads.php requests a minute (the list and each task's file
count separately), so every test starts its own emulator and stays within that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .test_cli import account, document, error_line, smsc, start


@pytest.mark.asyncio
async def test_list_and_download_a_completed_task(
    smsc_emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = await start(smsc_emulator_factory)
    task = emu.add_export("March", rows=30, start_after=0, run_for=0)
    [job] = emu.exports()
    result = await smsc(account(emu), "exports", "list")
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith(str(task)))
    assert "March" in row
    assert "completed" in row
    assert row.split()[-1] == job.file_name

    target = tmp_path / "march.csv"
    result = await smsc(account(emu), "exports", "download", str(task), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.stat().st_size == job.size
    assert result.stdout == f"saved {job.size:,} bytes to {target}\n"
    assert result.stderr == ""  # no progress bar: standard error is not a terminal

    result = await smsc(account(emu), "--json", "exports", "download", str(task), "-o", "-")
    assert result.exit_code == 2  # both would write to standard output
    result = await smsc(account(emu), "exports", "download", str(task), "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == target.read_bytes()

    again = tmp_path / "again.csv"
    result = await smsc(account(emu), "--json", "exports", "download", str(task), "-o", str(again))
    assert document(result) == {"task_id": task, "path": str(again), "bytes": job.size}
    result = await smsc(account(emu), "--json", "exports", "list")
    assert document(result)[0]["status"] == 2


@pytest.mark.asyncio
async def test_download_draws_a_progress_bar_on_a_terminal(
    smsc_emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = await start(smsc_emulator_factory)
    task = emu.add_export(rows=2000, start_after=0, run_for=0)
    terminal = {**account(emu), "TTY_COMPATIBLE": "1"}  # rich: treat the stream as a terminal
    target = tmp_path / "sent.csv"
    result = await smsc(terminal, "exports", "download", str(task), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert f"export {task}" in result.stderr
    assert "kB" in result.stderr
    result = await smsc(terminal, "--json", "exports", "download", str(task), "-o", str(target))
    assert result.exit_code == 0
    assert result.stderr == ""  # never a bar with --json


@pytest.mark.asyncio
async def test_wait_polls_until_completed(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await start(smsc_emulator_factory)
    task = emu.add_export("April", rows=5, start_after=0.05, run_for=0.1)
    result = await smsc(account(emu), "exports", "wait", str(task), "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    notes = result.stderr.splitlines()
    assert notes[0] in (f"task {task} (April): pending", f"task {task} (April): in progress")
    assert notes[-1] == f"task {task} (April): completed"
    assert result.stdout == (
        f"task {task} is completed; get its file with `smsc exports download {task}`\n"
    )
    fresh = await start(smsc_emulator_factory)  # SMSC allows three identical lists a minute
    task = fresh.add_export(rows=5, start_after=0, run_for=0)
    result = await smsc(account(fresh), "--json", "exports", "wait", str(task))
    assert (result.exit_code, result.stderr) == (0, "")  # no notes with --json
    assert document(result)["file"] == f"export_{task}.csv"


@pytest.mark.asyncio
async def test_wait_gives_up_with_exit_code_5(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await start(smsc_emulator_factory)
    task = emu.add_export(rows=5, start_after=100)
    args = ("exports", "wait", str(task), "--timeout", "0.25", "--interval", "0.1")
    result = await smsc(account(emu), "--json", *args)
    assert result.exit_code == 5
    assert error_line(result) == (
        f"error: export task {task} did not complete within 0.25 s (last status: 0)"
    )
    error = document(result)["error"]
    assert (error["type"], error["task_id"], error["status"]) == ("ExportTimeoutError", task, 0)


@pytest.mark.asyncio
async def test_a_cancelled_task_or_an_early_download_is_exit_code_1(
    smsc_emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = await start(smsc_emulator_factory)
    task = emu.add_export(rows=5, start_after=100)
    target = tmp_path / "early.csv"
    result = await smsc(account(emu), "exports", "download", str(task), "-o", str(target))
    assert result.exit_code == 1
    line = error_line(result)
    assert line.startswith("error: downloads.php: error 5")
    assert line.endswith(
        f"; export task {task} has no file until it is completed: wait for it with "
        f"`smsc exports wait {task}`, then download it"
    )
    assert not target.exists()
    result = await smsc(account(emu), "--json", "exports", "download", str(task), "-o", str(target))
    assert result.exit_code == 1
    assert f"`smsc exports wait {task}`" in document(result)["error"]["message"]
    emu.cancel_export(task)
    result = await smsc(account(emu), "--json", "exports", "wait", str(task))
    assert result.exit_code == 1
    assert error_line(result) == f"error: export task {task} was cancelled"
    assert document(result)["error"]["type"] == "ExportCancelledError"
