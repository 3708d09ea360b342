"""``status --wait`` on a terminal: a line that shows what the wait is at.

The polling is ``smsc.bulk.iter_settled``; its ``on_poll`` reports feed :meth:`WaitLine.update`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from collections.abc import AsyncIterator
from typing import Final

from rich.console import Console
from rich.control import Control
from rich.segment import ControlType
from rich.text import Text

from ..bulk import SettleProgress
from ._output import name_of

__all__ = ["WaitLine"]

_TICK: Final = 1.0  # seconds between two redraws of the countdown
_ERASE: Final = Control((ControlType.CARRIAGE_RETURN,), (ControlType.ERASE_IN_LINE, 2))


class WaitLine:
    """One line on standard error, redrawn in place, that says what the wait is at.

    ``waiting: 1 of 3 settled, 2 pending (1 queued, 1 sent); next check in 14 s``. Meant for a
    terminal only: the command makes one when standard error is a terminal, so a log or a pipe
    never gets carriage returns and half lines.

    Args:
        console: The console of standard error.
        total: How many messages the command waits for.
    """

    def __init__(self, console: Console, total: int) -> None:
        self._console = console
        self._total = total
        self._settled = 0
        self._pending: Counter[str] = Counter()
        self._next_check: float | None = None  # loop time; None while a check is running
        self._drawn = False

    def update(self, progress: SettleProgress) -> None:
        """Take the state of the wait (an ``on_poll`` report) and redraw the line."""
        self._settled = progress.settled
        self._pending = Counter(
            "not checked yet" if status is None else name_of(status.status)
            for status in progress.pending
        )
        self._next_check = progress.next_poll
        self.draw()

    def text(self) -> str:
        """Return the line as it reads now."""
        if not self._settled and set(self._pending) <= {"not checked yet"}:
            return f"waiting: checking {self._total} message{_s(self._total)}…"
        pending = self._total - self._settled
        states = ", ".join(f"{count} {state}" for state, count in sorted(self._pending.items()))
        text = f"waiting: {self._settled} of {self._total} settled, {pending} pending"
        text += f" ({states})" if states else ""
        if self._next_check is None:
            return text + "; checking…"
        left = math.ceil(max(0.0, self._next_check - asyncio.get_running_loop().time()))
        return text + f"; next check in {left} s"

    def draw(self) -> None:
        """Write the line over the one drawn before (cut to the terminal's width)."""
        line = Text(self.text(), no_wrap=True, overflow="ellipsis")
        line.truncate(max(1, self._console.width - 1), overflow="ellipsis")
        self._console.control(_ERASE)
        self._console.print(line, end="")
        self._drawn = True

    def clear(self) -> None:
        """Erase the line, e.g. before a result line is written on standard output."""
        if self._drawn:
            self._console.control(_ERASE)
            self._drawn = False

    @contextlib.asynccontextmanager
    async def shown(self) -> AsyncIterator[None]:
        """Keep the countdown ticking while the body runs; erase the line at the end."""

        async def tick() -> None:
            while True:
                await asyncio.sleep(_TICK)
                if self._next_check is not None:
                    self.draw()

        self._console.show_cursor(False)
        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            self.clear()
            self._console.show_cursor(True)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
