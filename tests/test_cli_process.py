"""The smsc command as real processes: ``python -m smsc_async``, the ``smsc`` script,
``smsc emulator``, Ctrl-C, and a Python without click or rich."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from smsc_async.emulator import Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .test_cli import NO_ACCOUNT, account, document, smsc, start

_SCRIPT = Path(sys.executable).with_name("smsc")


def _environment(changes: Mapping[str, str | None]) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


async def _start(*argv: str, env: Mapping[str, str | None]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(env),
    )


async def _run(*argv: str, env: Mapping[str, str | None] = NO_ACCOUNT) -> tuple[int, str, str]:
    process = await _start(*argv, env=env)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.asyncio
async def test_python_m_smsc_async_runs_the_sandbox() -> None:
    code, out, err = await _run(sys.executable, "-m", "smsc_async", "--sandbox", "balance")
    assert (code, out) == (0, "1000.00 RUR\n"), err
    assert err.startswith("sandbox: built-in SMSC emulator at http://127.0.0.1:")


@pytest.mark.asyncio
@pytest.mark.skipif(not _SCRIPT.exists(), reason="the smsc script is not installed here")
async def test_the_installed_smsc_script() -> None:
    code, out, err = await _run(str(_SCRIPT), "--sandbox", "--json", "balance")
    assert code == 0, err
    assert json.loads(out) == {"balance": "1000.00", "currency": "RUR", "credit": None}
    code, out, err = await _run(str(_SCRIPT), "balance")
    assert (code, out) == (2, "")
    assert err.startswith("error: no SMSC credentials")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "code",
    [
        "import sys; sys.modules['click'] = None\n"
        "from smsc_async.cli import main; sys.exit(main(['balance']))",
        "import runpy, sys; sys.modules['rich'] = None; sys.argv = ['smsc', '--help']\n"
        "runpy.run_module('smsc_async', run_name='__main__')",
    ],
)
async def test_without_click_or_rich_it_says_what_to_install(code: str) -> None:
    status, out, err = await _run(sys.executable, "-c", code)
    assert (status, out) == (2, "")
    assert err == "error: the smsc command needs click and rich: pip install 'smsc-async[cli]'\n"


async def _lines(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    while line := await asyncio.wait_for(stream.readline(), timeout=30):
        yield line.decode().rstrip("\n")


@pytest.mark.asyncio
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
async def test_smsc_emulator_serves_and_prints_the_environment_to_use() -> None:
    args = ("emulator", "--port", "0", "--balance", "77.00")
    process = await _start(sys.executable, "-m", "smsc_async", *args, env=NO_ACCOUNT)
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        base_url = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        env: dict[str, str | None] = {}
        async for line in _lines(process.stderr):
            if line.strip().startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                env[name] = value
            if "SMSC_APIKEY" in env:
                break
        assert env == {
            "SMSC_BASE_URL": base_url,
            "SMSC_LOGIN": "demo",
            "SMSC_PASSWORD": "demo-password",
            "SMSC_APIKEY": "",
        }
        result = await smsc(env, "--json", "balance")
        assert document(result)["balance"] == "77.00"
    finally:
        process.send_signal(signal.SIGINT)
        status = await asyncio.wait_for(process.wait(), timeout=30)
    assert status == 0


@pytest.mark.asyncio
async def test_smsc_emulator_refuses_a_bad_option_in_one_line() -> None:
    code, out, err = await _run(sys.executable, "-m", "smsc_async", "emulator", "--port", "x")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: argument --port: invalid int value: 'x' (see 'python -m smsc_async emulator "
        "--help')"
    ]


async def _interrupt_a_send(emu: Emulator, *args: str) -> tuple[bytes, list[str]]:
    """Run ``smsc ARGS...``, press Ctrl-C once SMSC has the send; return stdout, stderr lines."""
    emu.faults.delay(30, script="send.php")  # stored at once, answered never
    process = await _start(sys.executable, "-m", "smsc_async", *args, env=account(emu))
    async with asyncio.timeout(30):
        while not emu.messages():  # noqa: ASYNC110 - the emulator has no event for a stored send
            await asyncio.sleep(0.01)
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 130
    return out, err.decode().splitlines()


@pytest.mark.asyncio
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
async def test_ctrl_c_during_a_send_names_the_message_to_check(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    emu = await start(smsc_emulator_factory)
    args = ("send", "+79991234567", "--text", "Hi", "--id", "77")
    out, err = await _interrupt_a_send(emu, *args)
    assert out == b""
    assert err == [
        "warning: send '77' was cancelled after it may have reached SMSC; check its status "
        "before sending again",
        "error: interrupted; the send with message id 77 may have reached SMSC; "
        "check it with `smsc status 77 +79991234567` before sending again",
    ]


@pytest.mark.asyncio
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.parametrize("csv", [False, True], ids=["numbers", "csv"])
async def test_ctrl_c_during_a_send_to_several_shows_the_message_ids(
    smsc_emulator_factory: EmulatorFactory, tmp_path: Path, csv: bool
) -> None:
    emu = await start(smsc_emulator_factory)
    orders = tmp_path / "orders.csv"
    orders.write_text("+79990000001,Hi Anna\n+79990000002,Hi Boris\n", encoding="utf-8")
    numbers = ("+79990000001", "+79990000002", "--text", "Hi")
    out, err = await _interrupt_a_send(emu, "send", *(("--csv", str(orders)) if csv else numbers))
    assert out == b""
    ids = sorted({message.id for message in emu.messages()})
    assert len(ids) == 1  # both messages went in one request
    assert err == [
        f"warning: send {ids[0]!r} was cancelled after it may have reached SMSC; check its "
        "status before sending again",
        "error: interrupted; some messages may have reached SMSC; check `smsc history` before "
        "sending again",
    ]
