"""templates.php and op_templates.php."""

from __future__ import annotations

from ._controls import Controls
from ._store import Call, Store
from ._types import ApiFailure

__all__ = ["TemplatesControls", "handle_op_templates", "handle_templates"]


class TemplatesControls(Controls):
    """Placeholder."""


def handle_templates(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")


def handle_op_templates(store: Store, call: Call) -> str:
    """Placeholder."""
    raise ApiFailure(1, "parameters error")
