"""Mass mailings: jobs.php."""

from __future__ import annotations

from ._api import Namespace

__all__ = ["Jobs"]


class Jobs(Namespace):
    """Placeholder."""

    __slots__ = ()
