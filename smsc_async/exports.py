"""Deferred exports: downloads.php."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["Exports"]


class Exports(Namespace):
    """Placeholder."""

    __slots__ = ()
