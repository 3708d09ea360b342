"""SMSC's error-9 rate rules per endpoint, and the identity of a request within a rule.

The gate in :mod:`smsc_async._limits` counts requests per (rule, key); this module says which
rules a request is charged against (:func:`charges_for`) and what makes two requests "identical"
for SMSC (smsc-api.md §3.4a).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["DEFAULT_RULES", "RULES", "Charge", "Rule", "charges_for"]

# Fields that never make two requests different for SMSC's "identical" check: credentials and
# the answer format are about the caller, not about the request.
_NOT_IDENTITY: Final = frozenset({"login", "psw", "apikey", "fmt", "charset"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One SMSC rule "more than ``limit`` requests per ``period`` seconds → error 9".

    Attributes:
        name: Stable name used in errors and logs, e.g. ``"send.identical"``.
        limit: N, the most requests any window of ``period`` seconds may hold.
        period: Window length in seconds (SMSC: one minute).
        scope: What counts as "the same" request: ``"identical"`` (same fields),
            ``"any"`` (every request of the script) or ``"message"`` (same message id/phone).
        ignore: Extra fields left out of the identity for ``"identical"``.
    """

    name: str
    limit: int
    period: float = 60.0
    scope: Literal["identical", "any", "message"] = "identical"
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"Rule {self.name!r}: limit must be at least 1, got {self.limit}")
        if not (self.period > 0 and math.isfinite(self.period)):
            raise ValueError(f"Rule {self.name!r}: period must be a positive number of seconds")
        if self.scope not in ("identical", "any", "message"):
            raise ValueError(f"Rule {self.name!r}: scope must be identical, any or message")


@dataclass(frozen=True, slots=True)
class Charge:
    """One (rule, key) pair a request must pass.

    Attributes:
        rule: The rule charged.
        key: Identity inside the rule: ``b""`` for ``"any"``, a 16-byte digest otherwise.
    """

    rule: Rule
    key: bytes


# --- identity ----------------------------------------------------------------------------------


def _digest(parts: Iterable[str]) -> bytes:
    # Length-prefixed UTF-8, so ("ab", "c") and ("a", "bc") can never collide.
    h = hashlib.blake2b(digest_size=16, person=b"smsc_async.lim1")
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


def _identity(endpoint: str, rule: Rule, fields: Mapping[str, str]) -> bytes:
    if rule.scope == "any":
        return b""
    if rule.scope == "message":
        # Conservative normalisation: "123," and "123", "+7 999" and "7999" are one message.
        msg_id = fields.get("id", "").strip().rstrip(",").strip()
        phone = "".join(ch for ch in fields.get("phone", "") if ch.isdigit())
        return _digest(("message", msg_id, phone))
    drop = _NOT_IDENTITY | rule.ignore
    parts = ["identical", endpoint]
    for name, value in sorted((k, v) for k, v in fields.items() if k not in drop):
        parts += (name, value)
    return _digest(parts)


def charges_for(endpoint: str, fields: Mapping[str, str]) -> tuple[Charge, ...]:
    """Return the charges a request to ``endpoint`` with ``fields`` must pass.

    For ``"identical"`` rules the key digests the endpoint name and the sorted form fields minus
    credentials, ``fmt``, ``charset`` and the rule's ``ignore`` set; for ``"message"`` rules it
    digests the message ``id`` and ``phone``; ``"any"`` rules use one key, ``b""``.

    Args:
        endpoint: Endpoint name, a key of :data:`RULES`; unknown names get :data:`DEFAULT_RULES`.
        fields: The form fields as sent (strings).

    Returns:
        One :class:`Charge` per rule of the endpoint.
    """
    rules = RULES.get(endpoint, DEFAULT_RULES)
    return tuple(Charge(rule, _identity(endpoint, rule, fields)) for rule in rules)


# --- the table (smsc-api.md §3.4a) ------------------------------------------------------------


def _three_identical(endpoint: str) -> tuple[Rule, ...]:
    return (Rule(f"{endpoint}.identical", 3),)


_STATUS_MESSAGE: Final = Rule("status.message", 5, scope="message")

RULES: Mapping[str, tuple[Rule, ...]] = MappingProxyType(
    {
        # The client puts its own message id on every send; SMSC's duplicate check is about the
        # content, so neither the id nor the fields that only shape the answer (cost=2/3, op,
        # err) may make two identical sends look different.
        "send": (Rule("send.identical", 1, ignore=frozenset({"id", "cost", "op", "err"})),),
        "send_cost": (Rule("cost.identical", 5),),
        "status": (_STATUS_MESSAGE,),
        # Conservative: deleting a message asks status.php about that same message, so it counts
        # against the same per-message window as the status queries.
        "status_delete": (_STATUS_MESSAGE,),
        "status_mass": (Rule("status.mass", 1, scope="any"),),
        "balance": (Rule("balance.any", 10, scope="any"),),
        **{
            name: _three_identical(name)
            for name in ("phones", "mails", "senders", "get", "templates", "users", "get_mnp")
        },
        # The get_stat page says "more than 3 requests per minute": any, stricter than the table.
        "get_stat": (Rule("get_stat.any", 3, scope="any"),),
        "info_operator": (
            Rule("info_operator.identical", 3),
            Rule("info_operator.any", 100, scope="any"),
        ),
        "receive_phones": (Rule("receive_phones.identical", 2),),
        "jobs": (Rule("jobs.identical", 1),),
        "downloads": (Rule("downloads.identical", 3),),
    }
)
"""The rate rules of each endpoint name (per login), from smsc-api.md §3.4a."""

# Gap: limits of scripts not in the table are not documented; 3 identical per minute is the most
# common published rule, so unknown endpoints get it (the key includes the endpoint name).
DEFAULT_RULES: tuple[Rule, ...] = (Rule("default.identical", 3),)
"""Rules for endpoint names :data:`RULES` does not list."""
