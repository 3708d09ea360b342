"""jobs.php: mass mailings."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["JobsControls", "handle_jobs"]


class JobsControls(Controls):
    """Placeholder."""


def handle_jobs(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
