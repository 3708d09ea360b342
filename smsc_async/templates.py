"""Message templates (templates.php) and operator templates (op_templates.php)."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["OperatorTemplates", "Templates"]


class Templates(Namespace):
    """Placeholder."""

    __slots__ = ()


class OperatorTemplates(Namespace):
    """Placeholder."""

    __slots__ = ()
