"""Pytest fixtures that start the SMSC emulator.

The plugin is registered through the ``pytest11`` entry point, so installing smsc-async
(with pytest and pytest-asyncio) is all it takes; no ``conftest.py`` line is needed. To
load it explicitly instead (e.g. with ``-p no:smsc_async`` elsewhere), add
``pytest_plugins = ["smsc_async.emulator.pytest_plugin"]`` to a conftest.

Fixtures (async, function scope; defined only when pytest-asyncio is installed):

- ``smsc_emulator``: a started :class:`~smsc_async.emulator.Emulator` with the default account
  (login ``demo``, password ``demo-password``, API key ``demo-apikey``). Its ``base_url`` is
  set.
- ``smsc_emulator_factory``: an async callable taking the
  :class:`~smsc_async.emulator.Emulator` keyword arguments (``callback_url``,
  ``rule_period`` ... included) and returning a started emulator; every emulator it
  started stops after the test.

Example::

    import pytest
    from smsc_async import InsufficientFundsError

    @pytest.mark.asyncio
    async def test_balance(smsc_emulator):
        async with smsc_emulator.client() as smsc:
            assert (await smsc.get_balance()).balance == smsc_emulator.balance()

    @pytest.mark.asyncio
    async def test_no_money(smsc_emulator_factory):
        emu = await smsc_emulator_factory(rules=False)
        emu.set_balance("demo", 0)
        async with emu.client() as smsc:
            with pytest.raises(InsufficientFundsError):
                await smsc.send_sms("+79991234567", "Hello")

The emulator runs on the test's event loop, so ``@pytest.mark.looptime`` virtual time
moves its clock (delivery statuses, limit windows, delays) too.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Final, Protocol

import pytest

from ._app import Emulator
from ._rules import WINDOW_SECONDS
from ._store import DEFAULT_SCHEDULE
from ._types import Account

__all__ = ["EmulatorFactory"]


class EmulatorFactory(Protocol):
    """The type of the ``smsc_emulator_factory`` fixture: ``Emulator``'s arguments."""

    async def __call__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        rules: bool = True,
        delivery_schedule: Sequence[tuple[float, int]] = DEFAULT_SCHEDULE,
        clock_start: float | None = None,
        record_requests: bool = True,
        seed: int = 0,
        callback_url: str | None = None,
        callback_secret: str | None = None,
        callback_repeat: int = 1,
        callback_charset: str = "windows-1251",
        rule_period: float = WINDOW_SECONDS,
    ) -> Emulator:
        """Start an emulator with these arguments and return it, serving."""


_NEEDS_ASYNCIO: Final = (
    "the smsc_emulator fixtures are async and need pytest-asyncio: "
    'pip install "smsc-async[testing]" (pytest, pytest-asyncio, looptime)'
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Give pytest-asyncio the loop scope our fixtures use when the project sets none.

    pytest-asyncio warns about an unset ``asyncio_default_fixture_loop_scope`` in every fresh
    project; ours are function-scoped fixtures on the test's loop, so "function" is what they
    need. A project that sets the option (ini or ``-o``) keeps its own value. pytest has no
    public way to give an ini option a default from a plugin, so this fills pytest's cache of
    ini values, and does nothing if that cache ever changes shape.
    """
    name = "asyncio_default_fixture_loop_scope"
    try:
        configured = config.getini(name)
    except ValueError:  # pytest-asyncio is not installed: nothing to configure
        return
    cache = getattr(config, "_inicache", None)
    if not configured and isinstance(cache, dict):
        cache[name] = "function"


try:
    import pytest_asyncio
except ImportError:
    # Without pytest-asyncio, a test asking for the fixtures is told what to install, instead
    # of pytest's "fixture not found".

    @pytest.fixture(name="smsc_emulator")
    def _no_emulator() -> Emulator:
        """Fail, saying that pytest-asyncio is needed."""
        pytest.fail(_NEEDS_ASYNCIO)

    @pytest.fixture(name="smsc_emulator_factory")
    def _no_factory() -> EmulatorFactory:
        """Fail, saying that pytest-asyncio is needed."""
        pytest.fail(_NEEDS_ASYNCIO)

else:

    @pytest_asyncio.fixture(loop_scope="function")  # the test's own loop, whatever the default
    async def smsc_emulator() -> AsyncIterator[Emulator]:
        """Yield a started SMSC emulator with the default account (``demo``)."""
        emulator = Emulator()
        async with emulator.serve():
            yield emulator

    @pytest_asyncio.fixture(loop_scope="function")  # the test's own loop, whatever the default
    async def smsc_emulator_factory() -> AsyncIterator[EmulatorFactory]:
        """Yield an async factory of started emulators; all stop after the test."""
        async with contextlib.AsyncExitStack() as stack:

            async def start(
                accounts: Iterable[Account] | None = None,
                *,
                rules: bool = True,
                delivery_schedule: Sequence[tuple[float, int]] = DEFAULT_SCHEDULE,
                clock_start: float | None = None,
                record_requests: bool = True,
                seed: int = 0,
                callback_url: str | None = None,
                callback_secret: str | None = None,
                callback_repeat: int = 1,
                callback_charset: str = "windows-1251",
                rule_period: float = WINDOW_SECONDS,
            ) -> Emulator:
                emulator = Emulator(
                    accounts,
                    rules=rules,
                    delivery_schedule=delivery_schedule,
                    clock_start=clock_start,
                    record_requests=record_requests,
                    seed=seed,
                    callback_url=callback_url,
                    callback_secret=callback_secret,
                    callback_repeat=callback_repeat,
                    callback_charset=callback_charset,
                    rule_period=rule_period,
                )
                await stack.enter_async_context(emulator.serve())
                return emulator

            yield start
