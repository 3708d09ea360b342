"""Options of ``python -m smsc_async.emulator`` that shape how it answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys

import aiohttp
import pytest

from smsc_async.emulator import Emulator
from smsc_async.emulator.__main__ import _emulator, _parser, _stats, main
from smsc_async.emulator._faults import RandomFaults

from .conftest import url_of

CREDS = {"login": "demo", "psw": "demo-password", "fmt": "3", "charset": "utf-8"}


@pytest.mark.asyncio
async def test_delay_option_delays_every_answer() -> None:
    emulator = _emulator(_parser().parse_args(["--delay", "0.05"]))
    assert emulator.faults.delay_for("status.php") == 0.05
    assert emulator.faults.delay_for("send.php") == 0.05
    assert _emulator(_parser().parse_args([])).faults.delay_for("status.php") == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("value", ["-1", "soon", "inf", "nan"])
async def test_delay_option_refuses_bad_values(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--delay", value])
    assert exit_info.value.code == 2
    assert f"not a number of seconds >= 0: {value!r}" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_fault_options_set_random_faults() -> None:
    emulator = _emulator(
        _parser().parse_args(
            [
                "--drop-rate",
                "0.1",
                "--drop-after-share",
                "0.25",
                "--error-rate",
                "0.05",
                "--delay-range",
                "0",
                "0.02",
                "--seed",
                "9",
            ]
        )
    )
    assert emulator.faults.random_faults == RandomFaults(
        drop=0.1,
        after_processing=0.25,
        http_error=0.05,
        statuses=(500, 502, 503),
        delay=(0.0, 0.02),
        script=None,
        seed=9,
    )
    assert emulator.record_requests is False  # nobody can read them from outside
    assert _emulator(_parser().parse_args([])).faults.random_faults is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--drop-rate", "1.5"], "not a share between 0 and 1: '1.5'"),
        (["--error-rate", "x"], "not a share between 0 and 1: 'x'"),
        (["--drop-after-share", "nan"], "not a share between 0 and 1: 'nan'"),
        (["--drop-rate", "0.6", "--error-rate", "0.5"], "--drop-rate plus --error-rate"),
        (["--delay-range", "0.2", "0.1"], "SHORTEST must not exceed LONGEST"),
        (["--delay-range", "-1", "0.1"], "not a number of seconds >= 0: '-1'"),
        (["--delay-range", "0.1"], "expected 2 arguments"),
        (["--port", "99999"], "--port must be 0 to 65535, got 99999"),
        (["--port", "-1"], "--port must be 0 to 65535, got -1"),
    ],
)
async def test_fault_options_refuse_bad_values(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.asyncio
async def test_stats_count_requests_errors_faults_and_duplicates(
    smsc_emulator: Emulator,
) -> None:
    smsc_emulator.faults.drop(1, script="balance.php")
    async with aiohttp.ClientSession() as http:
        url = f"{url_of(smsc_emulator)}/sys"
        for id, text in (("7", "one"), ("7", "two"), ("8", "three"), ("9", "three")):
            form = {**CREDS, "phones": "79990000001", "mes": text, "id": id}
            async with http.post(f"{url}/send.php", data=form) as resp:
                await resp.read()
        with contextlib.suppress(aiohttp.ServerDisconnectedError):
            async with http.post(f"{url}/balance.php", data=CREDS) as resp:
                await resp.read()
    assert _stats(smsc_emulator) == {
        "requests": 5,
        "errors": {"demo": {"9": 1}},  # the identical fourth send
        "error_9": {"demo": 1},
        "max_in_flight": {"demo": 1},
        "injected": {"drop": 1},
        "sends_accepted": {"demo": 3},
        "messages": {"demo": 3},
        "duplicates": {"demo": 1},  # id 7 to the same phone twice
    }


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
@pytest.mark.asyncio
async def test_stats_on_exit_prints_json_lines_at_sigusr1_and_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsc_async.emulator",
        "--port",
        "0",
        "--error-rate",
        "1",
        "--seed",
        "1",
        "--stats-on-exit",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        base_url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        async with aiohttp.ClientSession() as http:
            for expected in (1, 2):
                async with http.post(f"{base_url}/sys/balance.php", data=CREDS) as resp:
                    assert resp.status in (500, 502, 503)
                process.send_signal(signal.SIGUSR1)  # a snapshot; it goes on serving
                snapshot = await asyncio.wait_for(process.stdout.readline(), 30)
                assert json.loads(snapshot)["requests"] == expected
        process.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    (line,) = out.decode().splitlines()
    stats = json.loads(line)
    assert stats["requests"] == 2
    assert stats["injected"] == {"http_error": 2}
    assert stats["error_9"] == {"demo": 0}
    assert stats["duplicates"] == {"demo": 0}
