"""senders.php: sender names."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["SendersControls", "handle_senders"]


class SendersControls(Controls):
    """Placeholder."""


def handle_senders(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
