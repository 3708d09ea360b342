"""Checks of the numbers a client or a gate is configured with: a bad one fails at once.

A duration that is zero, negative, NaN or infinite would silently switch a protection off (no
timeout, a sleep that never ends) or fail deep inside asyncio; each is refused with a message
that names the argument and says what to give instead.
"""

from __future__ import annotations

import math
from numbers import Real

import aiohttp

__all__ = ["client_timeout", "count", "seconds"]


def seconds(name: str, value: object, *, zero: bool = False, example: str = "") -> float:
    """Return ``value`` as a number of seconds, positive (or >= 0 with ``zero``) and finite.

    Raises:
        TypeError: not a real number (a bool is not one either).
        ValueError: NaN, infinite, negative, or zero where zero is not allowed.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    number = float(value)
    least = ">= 0" if zero else "> 0"
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        hint = f" (e.g. {name}={example})" if example else ""
        raise ValueError(f"{name} must be a finite number of seconds {least}, got {value!r}{hint}")
    return number


def count(name: str, value: object, *, least: int, most: int | None = None) -> int:
    """Return ``value`` as a whole number in ``least..most``.

    Raises:
        TypeError: not an int (a bool is not one either).
        ValueError: out of the range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if value < least or (most is not None and value > most):
        span = f"{least}..{most}" if most is not None else f"{least} or more"
        raise ValueError(f"{name} must be {span}, got {value}")
    return value


def client_timeout(value: object) -> aiohttp.ClientTimeout:
    """Return the aiohttp timeout of one request: a number of seconds, or a ClientTimeout.

    A number bounds the whole request (and the connection at 10 s at most). A ClientTimeout
    must bound something: ``total`` or ``sock_read``, each positive and finite like its other
    set fields, so that a stalled server can never hang a request.

    Raises:
        TypeError: neither a number nor a ClientTimeout.
        ValueError: a bound that is not positive and finite, or no bound at all.
    """
    if isinstance(value, aiohttp.ClientTimeout):
        for field in ("total", "connect", "sock_read", "sock_connect"):
            bound = getattr(value, field)
            if bound is not None:
                seconds(f"timeout.{field}", bound)
        if value.total is None and value.sock_read is None:
            raise ValueError(
                "timeout must bound each request: set total or sock_read of the ClientTimeout"
            )
        return value
    total = seconds("timeout", value, example="30")
    return aiohttp.ClientTimeout(total=total, connect=min(10.0, total))
