"""The emulator's command line and its pytest plugin."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest

from smsc_async.emulator import Account, Emulator
from smsc_async.emulator.__main__ import main
from smsc_async.emulator.pytest_plugin import EmulatorFactory


async def run_python(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, output.decode()


@pytest.mark.asyncio
async def test_command_line_serves_until_terminated() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsc_async.emulator",
        "--port=0",
        "--login=cli",
        "--password=secret",
        "--balance=12.3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        base_url = line.decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        data = {"login": "cli", "psw": "secret", "fmt": "3"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{base_url}/sys/balance.php", data=data) as resp,
        ):
            assert json.loads(await resp.read()) == {"balance": "12.30"}
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
        assert await proc.stdout.read() == b""
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0  # SIGTERM ends it cleanly


@pytest.mark.asyncio
async def test_command_line_rejects_a_bad_amount(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--balance", "lots"])
    assert exit_info.value.code == 2
    assert "not a decimal amount: 'lots'" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_fixture_yields_a_serving_emulator(smsc_emulator: Emulator) -> None:
    assert isinstance(smsc_emulator, Emulator)
    assert smsc_emulator.accounts == (Account(),)
    data = {"login": "demo", "psw": "demo-password", "fmt": "3"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{smsc_emulator.base_url}/sys/balance.php", data=data) as resp,
    ):
        assert json.loads(await resp.read()) == {"balance": "1000.00"}


@pytest.mark.asyncio
async def test_factory_passes_arguments_and_serves_each(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    first = await smsc_emulator_factory(rules=False, delivery_schedule=((0.0, 1),))
    second = await smsc_emulator_factory([Account(login="x", password="y")])
    assert first.base_url
    assert second.base_url
    assert first.base_url != second.base_url
    assert (first.rules, first.delivery_schedule) == (False, ((0.0, 1),))
    assert second.accounts[0].login == "x"


USER_TESTS = """
    import aiohttp
    import pytest

    seen = []

    @pytest.mark.asyncio
    async def test_uses_the_fixture(smsc_emulator):
        seen.append(smsc_emulator)
        data = {"apikey": "demo-apikey", "fmt": "1"}
        async with aiohttp.ClientSession() as http:
            async with http.post(smsc_emulator.base_url + "/sys/balance.php", data=data) as r:
                assert await r.text() == "1000.00"

    @pytest.mark.asyncio
    async def test_fixture_was_stopped(smsc_emulator_factory):
        assert seen[0].base_url is None
        emu = await smsc_emulator_factory(rules=False)
        assert emu.base_url.startswith("http://127.0.0.1:")
"""


@pytest.mark.asyncio
async def test_plugin_works_in_a_project_without_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    code, output = await run_python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", cwd=tmp_path
    )
    assert code == 0, output
    assert "2 passed" in output


@pytest.mark.asyncio
async def test_plugin_imports_without_pytest_asyncio() -> None:
    script = (
        "import sys; sys.modules['pytest_asyncio'] = None\n"
        "import smsc_async.emulator.pytest_plugin as plugin\n"
        "assert not hasattr(plugin, 'smsc_emulator'), 'async fixture defined'\n"
        "print('imported')\n"
    )
    code, output = await run_python("-c", script)
    assert (code, output.strip()) == (0, "imported")
