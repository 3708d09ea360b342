"""Bulk work: many messages and many statuses at the pace SMSC's rules allow (``smsc.bulk``)."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["Bulk"]


class Bulk(Namespace):
    """Bulk sends and status tracking (``smsc.bulk``)."""

    __slots__ = ()
