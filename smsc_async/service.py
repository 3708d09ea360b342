"""Dedicated numbers, call confirmation and event notifications.

receive_phones.php, wait_call.php and ping.php.
"""

from __future__ import annotations

from ._api import Namespace, Requester

__all__ = ["InboundNumbers", "ServiceCommands"]


class InboundNumbers(Namespace):
    """Placeholder."""

    __slots__ = ()


class ServiceCommands(Requester):
    """Placeholder."""

    __slots__ = ()
