"""get.php (history, incoming, statistics, tariffs), info.php and tinyurls.php."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["DataControls", "handle_get", "handle_info", "handle_tinyurls"]


class DataControls(Controls):
    """Placeholder."""


def handle_get(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_info(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_tinyurls(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
