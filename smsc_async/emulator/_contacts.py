"""phones.php and mails.php: contacts, groups and the black list."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["ContactsControls", "handle_mails", "handle_phones"]


class ContactsControls(Controls):
    """Placeholder."""


def handle_phones(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_mails(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
