"""receive_phones.php, wait_call.php and ping.php."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["ServiceControls", "handle_ping", "handle_receive_phones", "handle_wait_call"]


class ServiceControls(Controls):
    """Placeholder."""


def handle_receive_phones(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_wait_call(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_ping(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
