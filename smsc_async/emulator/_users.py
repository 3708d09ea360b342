"""users.php (subclients) and documents.php (invoices and acts)."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["UsersControls", "handle_documents", "handle_users"]


class UsersControls(Controls):
    """Placeholder."""


def handle_users(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_documents(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
