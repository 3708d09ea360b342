from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from smsc_async import SMSCClient
from smsc_async.emulator import Emulator

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
