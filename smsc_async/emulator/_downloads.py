"""downloads.php: deferred export tasks and their files."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure, FileAnswer, StreamAnswer

__all__ = ["DownloadsControls", "handle_downloads"]


class DownloadsControls(Controls):
    """Placeholder."""


def handle_downloads(store: Store, call: Call) -> str | FileAnswer | StreamAnswer:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
