"""The base of SMSC's numeric code sets (statuses, types) that must survive new codes."""

from __future__ import annotations

import enum
from typing import Self

__all__ = ["CodeEnum"]


class CodeEnum(enum.IntEnum):
    """An IntEnum of SMSC codes that tolerates codes SMSC adds later.

    An unknown code becomes a pseudo-member named ``UNKNOWN_<code>`` instead of failing the whole
    answer; it still compares equal to its number.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member
