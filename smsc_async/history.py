"""Data commands: history, statistics, tariffs, operators and short links.

get.php (sent and incoming messages, statistics, tariffs), info.php (operator of a number)
and tinyurls.php (short-link statistics).
"""

from __future__ import annotations

from ._api import Requester

__all__ = ["HistoryCommands"]


class HistoryCommands(Requester):
    """Placeholder."""

    __slots__ = ()
