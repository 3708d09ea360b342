"""Options of ``python -m smsc_async.emulator`` that shape how it answers."""

from __future__ import annotations

import pytest

from smsc_async.emulator.__main__ import _emulator, _parser, main


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
