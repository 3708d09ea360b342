"""The README's code: every Python block compiles, and the tour runs against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
import re

import pytest

from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD, url_of

README = pathlib.Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.asyncio
async def test_the_tour_runs_against_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    [tour] = [block for block in BLOCKS if "asyncio.run(main())" in block]
    emulator = Emulator(delivery_schedule=((0, 1),))
    async with emulator.serve():
        monkeypatch.setenv("SMSC_LOGIN", LOGIN)
        monkeypatch.setenv("SMSC_PASSWORD", PASSWORD)
        monkeypatch.setenv("SMSC_BASE_URL", url_of(emulator))
        monkeypatch.delenv("SMSC_APIKEY", raising=False)
        monkeypatch.delenv("SMSC_REDIS_URL", raising=False)
        out = io.StringIO()

        def run() -> None:
            with contextlib.redirect_stdout(out):
                exec(compile(tour, "README.md", "exec"), {"__name__": "tour"})

        await asyncio.to_thread(run)
    assert emulator.sends_accepted() == 2
    assert out.getvalue().startswith("True 99")  # delivered, and the balance after one SMS
    assert emulator.request_count >= 13  # two sends, status, balance, ten costs


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_every_python_block_compiles(number: int) -> None:
    compile(BLOCKS[number], f"README.md block {number}", "exec")
