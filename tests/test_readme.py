"""The README's code: every Python block compiles, the tour runs against the emulator, and
every command line of the README, docs/cli.md and the ``--help`` texts runs in the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
import re
import shlex
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner, Result

from smsc_async.cli._app import cli
from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD, url_of
from .test_cli import NO_ACCOUNT

ROOT = pathlib.Path(__file__).parent.parent
README = ROOT / "README.md"
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


# --- command lines ----------------------------------------------------------------------------

# The README sections that show the command line, and the files their lines name (the user's
# own files: a sandbox has only its seeded data, message 1001 to +79990000001..3).
COMMAND_SECTIONS = ("## The first five minutes", "## Command line")
USER_FILES = {
    "orders.csv": "phone,text\n+79990000001,Your order has shipped\n+79990000002,Hello Boris\n",
    "sent.csv": "id,phone\n1001,+79990000001\n1001,+79990000003\n",
}


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n{heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : None if end < 0 else end]


def command_lines(text: str) -> list[str]:
    """The ``smsc ...`` lines of a text's bash blocks (``.venv/bin/smsc`` counts too)."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            words = line.strip().removeprefix(".venv/bin/")
            if words.startswith("smsc "):
                found.append(words)
    return found


def help_lines(path: tuple[str, ...] = ()) -> list[str]:
    """The ``smsc ...`` example lines of ``smsc --help`` and of every command's ``--help``."""
    text = CliRunner().invoke(cli, [*path, "--help"], env=NO_ACCOUNT).stdout
    found = [line.strip() for line in text.splitlines() if line.strip().startswith("smsc ")]
    listing = text.partition("\nCommands:\n")[2]
    for name in re.findall(r"^  ([a-z][\w-]*)", listing, re.MULTILINE):
        if name != "emulator":  # its --help is the emulator's own (argparse)
            found += help_lines((*path, name))
    return found


README_LINES = [
    line
    for heading in COMMAND_SECTIONS
    for line in command_lines(_section(README.read_text(encoding="utf-8"), heading))
]
DOCS_LINES = command_lines((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"))


def run_in_sandbox(line: str, where: pathlib.Path) -> Result:
    """Run ``smsc ...`` as written, with ``--sandbox``, in the folder ``where``."""
    args = shlex.split(line, comments=True)
    assert args[0] == "smsc", line
    args = args[1:] if "--sandbox" in args else ["--sandbox", *args[1:]]
    for name, text in USER_FILES.items():
        (where / name).write_text(text, encoding="utf-8")
    with contextlib.chdir(where):
        return CliRunner().invoke(cli, args, env=NO_ACCOUNT, catch_exceptions=False)


def _check_line(line: str, where: pathlib.Path) -> None:
    if shlex.split(line)[1:2] == ["emulator"]:
        _check_emulator(line)
        return
    result = run_in_sandbox(line, where)
    assert result.exit_code == 0, f"{line}\n{result.stdout}{result.stderr}"
    # e.g. a status of a message the sandbox never sent: exit 0, and nothing to see
    assert "not found" not in result.stdout, f"{line}\n{result.stdout}"


def _check_emulator(line: str) -> None:
    """``smsc emulator ...`` serves until Ctrl-C: start it, see its address, stop it."""
    if sys.platform == "win32":
        pytest.skip("sends SIGINT")
    args = shlex.split(line, comments=True)[1:]
    # Port 0 for the port written: another run of the suite may hold that one.
    if "--port" in args:
        args[args.index("--port") + 1] = "0"
    with subprocess.Popen(
        [sys.executable, "-m", "smsc_async", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            assert process.stdout.readline().startswith("http://127.0.0.1:")
        finally:
            process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_the_command_lines_are_found() -> None:
    assert len(README_LINES) >= 15
    assert any("status 1001" in line and "--wait" in line for line in README_LINES)
    assert DOCS_LINES


@pytest.mark.parametrize("line", README_LINES + DOCS_LINES)
def test_every_command_line_of_the_docs_runs_in_the_sandbox(
    line: str, tmp_path: pathlib.Path
) -> None:
    _check_line(line, tmp_path)


def test_every_example_of_the_help_runs_in_the_sandbox(tmp_path: pathlib.Path) -> None:
    lines = help_lines()
    assert len(lines) >= 8
    for line in lines:
        _check_line(line, tmp_path)
