"""Development sessions: ``nox`` runs lint, typecheck, tests, examples, docs; ``nox -s bench``."""

from __future__ import annotations

import pathlib

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests", "examples", "docs"]
nox.options.reuse_existing_virtualenvs = True

ROOT = pathlib.Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.11"
_REAL_SERVICE_VARS = (
    "SMSC_LOGIN",
    "SMSC_PASSWORD",
    "SMSC_APIKEY",
    "SMSC_BASE_URL",
    "SMSC_PHONE",
    "SMSC_REDIS_URL",
)


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


def _check_redis_server(session: nox.Session) -> None:
    """Fail the session at once when the environment has no runnable redis-server."""
    session.run("redis-server", "--version", external=False)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check formatting and lint with ruff."""
    session.install(*_group("lint"))
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict over the package, tests, examples and this file."""
    session.install("-e", ".[cli,redis]", *_group("typing"), *_group("aiolimiter"))
    session.run("mypy", "--strict", "smsc_async", "tests", "examples", "noxfile.py")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite with branch coverage."""
    session.install("-e", ".[cli,redis]", *_group("tests"))
    _check_redis_server(session)
    session.run("coverage", "erase")
    # The Redis tests fail, never skip, when no redis-server can be started.
    session.run(
        "coverage", "run", "-m", "pytest", *session.posargs, env={"SMSC_REQUIRE_REDIS": "1"}
    )
    session.run("coverage", "combine", success_codes=[0, 1])
    session.run("coverage", "report")


@nox.session(python=PYTHON)
def examples(session: nox.Session) -> None:
    """Run every example against the built-in emulator."""
    session.install("-e", ".[cli,redis]", *_group("redis-server"), *_group("asgi"))
    _check_redis_server(session)
    for path in sorted((ROOT / "examples").glob("*.py")):
        session.log(f"example: {path.name}")
        # Blank credentials keep every example on the emulator, even where real ones are set.
        session.run("python", str(path), env=dict.fromkeys(_REAL_SERVICE_VARS, ""))


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site (API reference from the docstrings); warnings fail it."""
    session.install("-e", ".[cli]", *_group("docs"))
    # Material prints an end-of-life notice about MkDocs 2 on every build; it is not a warning.
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    # The README says to open site/index.html from the file system: every link must name a file.
    session.run("python", str(ROOT / "docs" / "check_site.py"), str(ROOT / "site"))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark the client against raw aiohttp on the emulator; print the tables and targets.

    Per-request cost (posargs go to this one), streamed export downloads (128 MiB to 1 GiB and
    rows()), saturation, limiter memory and import time, bulk send and bulk status of 100,000
    messages, then the Redis gate: admission cost, windows against aiolimiter, Redis memory
    over a million keys. Ends with one table of every target, its ratio and its verdict.
    """
    session.install(".[redis]", *_group("redis-server"), *_group("aiolimiter"))
    _check_redis_server(session)
    results = pathlib.Path(session.create_tmp()) / "bench-targets.jsonl"
    results.unlink(missing_ok=True)
    env = {"SMSC_BENCH_RESULTS": str(results)}
    scripts = ROOT / "tests" / "bench"
    session.run("python", str(scripts / "bench_requests.py"), *session.posargs, env=env)
    for name in ("bench_exports.py", "bench_limits.py", "bench_bulk.py", "bench_redis.py"):
        session.run("python", str(scripts / name), env=env)
    session.run("python", str(scripts / "summary.py"), str(results))


@nox.session(python=PYTHON)
def load(session: nox.Session) -> None:
    """Load and fault runs: 100,000 requests against the emulator with its rules on.

    One client and several clients of one login, then the same under injected faults; prints
    error-9 answers, the most requests in flight, memory growth and duplicate sends. Then four
    processes of one login on a shared RedisGate, and on per-process gates (posargs go to
    bench_load.py only).
    """
    session.install(".[redis]", *_group("redis-server"))
    _check_redis_server(session)
    session.run("python", str(ROOT / "tests" / "bench" / "bench_load.py"), *session.posargs)
    session.run("python", str(ROOT / "tests" / "bench" / "bench_redis_load.py"))
