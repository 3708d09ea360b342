"""The emulator's pytest fixtures in a user's fresh project: no warning, clear messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

USER_TEST = """
import pytest


@pytest.mark.asyncio
async def test_balance(smsc_emulator):
    async with smsc_emulator.client() as smsc:
        assert (await smsc.get_balance()).balance > 0
"""

NO_ASYNCIO_TEST = """
def test_wants_the_emulator(smsc_emulator):
    pass
"""


def run_pytest(project: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nimport pytest\nsys.exit(pytest.main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("extra", [(), ("-W", "error::DeprecationWarning")])
def test_a_fresh_project_runs_the_fixtures_without_a_warning(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    result = run_pytest(tmp_path, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "asyncio_default_fixture_loop_scope" not in result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_project_keeps_its_own_loop_scope(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        USER_TEST + "\n\ndef test_scope(pytestconfig):\n"
        "    assert pytestconfig.getini('asyncio_default_fixture_loop_scope') == 'module'\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = module\n")
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_pytest_asyncio_the_fixture_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(NO_ASYNCIO_TEST)
    # As if pytest-asyncio were not installed: a module of that name that cannot be imported,
    # first on the path.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pytest_asyncio.py").write_text(
        "raise ImportError('pytest-asyncio is not installed')\n"
    )
    blocked = f"sys.path.insert(0, {str(fake)!r})"
    result = run_pytest(tmp_path, "-p", "no:asyncio", prelude=blocked)
    assert result.returncode == 1
    assert 'pip install "smsc-async[testing]"' in result.stdout
    assert "fixture 'smsc_emulator' not found" not in result.stdout
