from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from smsc_async import SMSCClient
from smsc_async.emulator import Emulator

from .redis_server import RedisServer, require_binary

LOGIN = "demo"
PASSWORD = "demo-password"
APIKEY = "demo-apikey"


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator()
    async with emu.serve():
        yield emu


@pytest_asyncio.fixture
async def client(emulator: Emulator) -> AsyncIterator[SMSCClient]:
    assert emulator.base_url is not None
    async with SMSCClient(
        LOGIN, PASSWORD, base_url=url_of(emulator), retry_backoff=0, reconcile_delay=0
    ) as smsc:
        yield smsc


def url_of(emulator: Emulator) -> str:
    """The emulator's base URL (it is set while the emulator serves)."""
    assert emulator.base_url is not None
    return emulator.base_url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the whole session (skipped locally without one, failed in CI)."""
    server = RedisServer(require_binary())
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of the test's own, so tests sharing the server never share limits."""
    return f"t{next(_prefixes)}-{os.getpid()}:"


_prefixes = itertools.count()
