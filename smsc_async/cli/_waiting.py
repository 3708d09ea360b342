"""``status --wait``: poll until every message has settled, and show the wait on a terminal.

The polling is that of ``smsc.bulk.iter_settled`` (a round of ``smsc.bulk.iter_statuses`` for
the messages still pending, then a pause until ``interval`` after the round began), written out
here because the command must know when a round ends and the next begins: that is what the
progress line shows, and ``iter_settled`` does not tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Final

from rich.console import Console
from rich.control import Control
from rich.segment import ControlType
from rich.text import Text

from .._client import SMSCClient
from ..errors import StatusWaitTimeoutError
from ..models import MessageStatus
from ._output import name_of

__all__ = ["WaitLine", "wait_settled"]

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

    def update(
        self, settled: int, pending: Sequence[MessageStatus | None], next_check: float | None
    ) -> None:
        """Take the state of the wait and redraw the line.

        Args:
            settled: Messages settled so far.
            pending: The last status seen of each message still pending (``None``: not yet
                checked).
            next_check: Loop time of the next round, or ``None`` while a round is running.
        """
        self._settled = settled
        self._pending = Counter(
            "not checked yet" if status is None else name_of(status.status) for status in pending
        )
        self._next_check = next_check
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


async def wait_settled(
    smsc: SMSCClient,
    pairs: Sequence[tuple[str, str]],
    *,
    interval: float,
    give_up_after: float | None,
    on_settled: Callable[[MessageStatus], None],
    progress: WaitLine | None = None,
) -> None:
    """Poll until every message has settled; call ``on_settled`` with each one once it has.

    Every ``interval`` seconds the messages still pending are asked for again through
    ``smsc.bulk.iter_statuses`` (status.php); settled means :attr:`MessageState.is_settled`.

    Args:
        smsc: An open client.
        pairs: ``(id, phone)`` of each message, as given (a pair may be given twice).
        interval: Seconds from the start of one round to the start of the next.
        give_up_after: Most seconds to wait in all (a round is cut short), or ``None``.
        on_settled: Called with each settled status, as soon as it arrives.
        progress: The line to keep up to date, on a terminal.

    Raises:
        StatusWaitTimeoutError: ``give_up_after`` passed with messages pending (their last statuses
            seen in ``.pending``, in the order given).
        SMSCError: a status request failed (as for ``smsc.bulk.iter_statuses``).
    """
    loop = asyncio.get_running_loop()
    deadline = None if give_up_after is None else loop.time() + give_up_after
    waiting = dict(enumerate(pairs))  # position -> pair, of the messages still pending
    last: dict[int, MessageStatus] = {}  # position -> the last status seen, while pending

    def overdue() -> StatusWaitTimeoutError:
        seen = [last[position] for position in sorted(waiting) if position in last]
        return StatusWaitTimeoutError(seen, give_up_after or 0.0)

    def show(next_check: float | None) -> None:
        if progress is not None:
            settled = len(pairs) - len(waiting)
            progress.update(settled, [last.get(position) for position in waiting], next_check)

    while waiting:
        started = loop.time()
        show(None)
        positions: defaultdict[tuple[str, str], deque[int]] = defaultdict(deque)
        for position, pair in waiting.items():
            positions[pair].append(position)
        limit = asyncio.timeout_at(deadline)
        try:
            async with (
                limit,
                contextlib.aclosing(smsc.bulk.iter_statuses(list(waiting.values()))) as found,
            ):
                async for status in found:
                    # The library hands back the id and phone as given: they find the message.
                    queue = positions.get((str(status.id), status.phone or ""))
                    if not queue:
                        continue
                    position = queue.popleft()
                    if status.status.is_settled:
                        del waiting[position]
                        last.pop(position, None)
                        on_settled(status)
                    else:
                        last[position] = status
                    if waiting:
                        show(None)
        except TimeoutError:
            if not limit.expired():  # a request's own timeout (RequestTimeoutError)
                raise
            raise overdue() from None
        if not waiting:
            return
        wake = started + interval
        if deadline is not None:
            if loop.time() >= deadline:
                raise overdue()
            wake = min(wake, deadline)
        show(wake)
        await asyncio.sleep(max(0.0, wake - loop.time()))
