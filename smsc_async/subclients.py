"""Subclients (users.php) and their invoices and acts (documents.php)."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["Documents", "Subclients"]


class Subclients(Namespace):
    """Placeholder."""

    __slots__ = ()


class Documents(Namespace):
    """Placeholder."""

    __slots__ = ()
