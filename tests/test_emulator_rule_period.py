"""``Emulator(rule_period=...)`` and ``--rule-period``: error-9 windows shorter than a minute."""

from __future__ import annotations

import asyncio
import json
import math

import aiohttp
import pytest
from click.testing import CliRunner

from smsc_async.cli._emulator import emulator as emulator_command
from smsc_async.emulator import WINDOW_SECONDS, Emulator
from smsc_async.emulator import __main__ as emulator_main
from smsc_async.emulator.__main__ import _emulator, _greeting, _parser
from smsc_async.emulator.pytest_plugin import EmulatorFactory

from .conftest import url_of

CREDS = {"login": "demo", "psw": "demo-password", "fmt": "3", "charset": "utf-8"}
PHONE = "79991234567"
BAD_PERIODS = ["0", "-1", "-0.5", "nan", "inf", "-inf", "soon"]


async def send(http: aiohttp.ClientSession, emu: Emulator, **params: str) -> int:
    """Post one send.php request; return the error code answered, 0 for a success."""
    form = {**CREDS, "phones": PHONE, "mes": "hello", **params}
    async with http.post(f"{url_of(emu)}/sys/send.php", data=form) as resp:
        assert resp.status == 200
        answer = json.loads(await resp.read())
    assert isinstance(answer, dict)
    code = answer.get("error_code", 0)
    assert isinstance(code, int)
    return code


async def at(moment: float) -> None:
    """Sleep until loop time ``moment`` (the test's loop starts at 0 under looptime)."""
    await asyncio.sleep(moment - asyncio.get_running_loop().time())


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_identical_send_is_refused_within_the_period_and_accepted_after() -> None:
    emu = Emulator(rule_period=2)
    assert emu.rule_period == 2.0
    async with emu.serve(), aiohttp.ClientSession() as http:
        assert await send(http, emu, id="1") == 0
        await at(1.9)
        assert await send(http, emu, id="2") == 9  # the id does not make a send different
        await at(2.05)
        assert await send(http, emu, id="3") == 0  # the first one slid out of the window
        assert await send(http, emu, id="4") == 9  # and the new one opened a window of its own
        await at(4.1)
        assert await send(http, emu, id="5") == 0
    assert emu.sends_accepted() == 3
    assert emu.errors_answered == {"demo": {9: 2}}


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_default_period_is_smsc_minute() -> None:
    emu = Emulator()
    assert emu.rule_period == WINDOW_SECONDS == 60.0
    async with emu.serve(), aiohttp.ClientSession() as http:
        assert await send(http, emu) == 0
        await at(2.05)
        assert await send(http, emu) == 9  # a 2-second period would have let it through
        await at(59.9)
        assert await send(http, emu) == 9
        await at(60.05)
        assert await send(http, emu) == 0


@pytest.mark.looptime
@pytest.mark.asyncio
async def test_factory_fixture_passes_rule_period(smsc_emulator_factory: EmulatorFactory) -> None:
    emu = await smsc_emulator_factory(rule_period=0.5)
    assert emu.rule_period == 0.5
    async with aiohttp.ClientSession() as http:
        assert await send(http, emu) == 0
        assert await send(http, emu) == 9
        await at(0.55)
        assert await send(http, emu) == 0


# Async although it awaits nothing: looptime 0.9 leaks an event loop around sync tests
# on Python 3.11, which filterwarnings=error turns into a failure of a later test.
@pytest.mark.asyncio
@pytest.mark.parametrize("period", [0, -1, -0.5, math.nan, math.inf, -math.inf])
async def test_bad_rule_period_raises_value_error(period: float) -> None:
    with pytest.raises(ValueError, match="rule_period must be a positive, finite number"):
        Emulator(rule_period=period)


@pytest.mark.asyncio
async def test_rule_period_option_reaches_the_emulator() -> None:
    args = _parser().parse_args(["--rule-period", "2.5"])
    assert args.rule_period == 2.5
    assert _emulator(args).rule_period == 2.5
    assert _emulator(_parser().parse_args([])).rule_period == WINDOW_SECONDS
    assert "(default 60, SMSC's minute)" in " ".join(_parser().format_help().split())


@pytest.mark.asyncio
@pytest.mark.parametrize("value", BAD_PERIODS)
async def test_rule_period_option_refuses_bad_values(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:  # parsing alone: a bug must not serve
        _parser().parse_args([f"--rule-period={value}"])  # "=": "-1" would read as an option
    assert exit_info.value.code == 2
    assert f"argument --rule-period: not a number of seconds > 0: {value!r}" in (
        capsys.readouterr().err
    )


@pytest.mark.asyncio
async def test_smsc_emulator_command_refuses_a_bad_rule_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def serve(argv: list[str]) -> int:
        pytest.fail(f"the emulator was started with {argv}")

    monkeypatch.setattr(emulator_main, "main", serve)  # a bug must fail, not serve
    result = CliRunner().invoke(emulator_command, ["--rule-period", "0"])
    assert result.exit_code == 2
    assert "not a number of seconds > 0: '0'" in result.output


@pytest.mark.asyncio
async def test_greeting_shows_the_period_only_when_it_is_not_a_minute() -> None:
    assert "error-9 windows" not in _greeting(_emulator(_parser().parse_args([])))
    short = _greeting(_emulator(_parser().parse_args(["--rule-period", "2"])))
    assert "error-9 windows of 2 s, not SMSC's 60" in short
    assert short.endswith("Ctrl-C stops it")
    unused = _parser().parse_args(["--rule-period", "2", "--no-rules"])
    assert "error-9 windows" not in _greeting(_emulator(unused))


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_clients_of_an_emulator_use_its_rule_period() -> None:
    emu = Emulator(rule_period=2)
    async with emu.serve(), emu.client() as smsc:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(11):  # 10 balance requests a window: the 11th waits for the next one
            await smsc.get_balance()
        waited = loop.time() - started
    assert emu.errors_answered == {}
    assert 2.0 < waited < 5.0  # the emulator's 2 s windows (+ the margin), not SMSC's minute


def test_greeting_names_the_credentials_it_accepts() -> None:
    line = _greeting(_emulator(_parser().parse_args(["--login", "me", "--password", "pw-1"])))
    assert "login 'me'" in line
    assert "password 'pw-1'" in line
    assert "API key 'demo-apikey'" in line
