"""Sender names: senders.php."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["Senders"]


class Senders(Namespace):
    """Placeholder."""

    __slots__ = ()
