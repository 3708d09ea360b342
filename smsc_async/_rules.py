"""What the limits gate enforces: SMSC's error-9 rules, and how long a caller waits for them.

The per-login concurrency cap, the rate rules per endpoint (smsc-api.md §3.4, §3.4a), what a
request is charged against (:func:`charges_for`: which rules, and what makes two requests
"identical" for SMSC), and the caller's :class:`WaitPolicy`. The gate that counts them is
:mod:`smsc_async._limits`, which re-exports all of this.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CALLER_FIELDS",
    "CONCURRENCY_RULE",
    "DEFAULT_RULES",
    "MAX_IN_FLIGHT",
    "RULES",
    "Charge",
    "Rule",
    "WaitPolicy",
    "charges_for",
]

MAX_IN_FLIGHT: Final = 14
"""Hard ceiling of requests in flight per login: SMSC answers error 9 at 15 concurrent.

Every SMSC page that states the concurrency limit says fifteen or more simultaneous requests
(contacts, balance, tariffs, operator lookups, the send errors); only the English status page
says "five or more simultaneous requests", read here as a translation slip (smsc-api.md §3.4,
§25). Fourteen is the one number used everywhere: change it here if SMSC says otherwise."""

CONCURRENCY_RULE: Final = "concurrency"
"""The ``rule`` of a :class:`RateLimitedError` raised because ``max_wait`` ran out on the cap."""

# These never make two requests different for SMSC's "identical" check (credentials and the
# answer format are about the caller, not about the request), and call() refuses them.
CALLER_FIELDS: Final = frozenset({"login", "psw", "apikey", "fmt", "charset"})
"""Fields the client puts on every request (credentials and answer format)."""


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
        only: When given, the identity for ``"identical"`` is these fields alone (e.g.
            ``{"user"}``: "the same subclient", whatever else the request changes).
    """

    name: str
    limit: int
    period: float = 60.0
    scope: Literal["identical", "any", "message"] = "identical"
    ignore: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()

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


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """How long a caller accepts to wait at the gate.

    Attributes:
        on_limit: ``"wait"`` waits for rate rules; ``"raise"`` raises
            :class:`~smsc_async.errors.RateLimitedError` at once when a rate rule has no free
            slot now. Concurrency slots are always waited for (bounded only by ``max_wait``).
        max_wait: Longest total wait in seconds (rate and concurrency together), or ``None``.
            If the estimated rate wait is already longer, the gate raises before waiting.

    The estimate (also ``RateLimitedError.retry_after``) is a lower bound: it counts the callers
    queued ahead, takes a slot still in flight as freeing ``period + margin`` from now (its
    completion time is unknown), and does not foresee refunds. When ``max_wait`` runs out on the
    concurrency cap, the error has ``rule == CONCURRENCY_RULE`` and ``retry_after == 0.0``: a
    slot frees whenever any request completes, so there is nothing better to say.
    """

    on_limit: Literal["wait", "raise"] = "wait"
    max_wait: float | None = None

    def __post_init__(self) -> None:
        if self.on_limit not in ("wait", "raise"):
            raise ValueError(f"on_limit must be 'wait' or 'raise', got {self.on_limit!r}")
        if self.max_wait is not None and not (self.max_wait >= 0 and math.isfinite(self.max_wait)):
            raise ValueError(
                f"max_wait must be None (no bound) or a finite number of seconds >= 0, "
                f"got {self.max_wait!r}"
            )


# --- identity ----------------------------------------------------------------------------------


_PERSON: Final = b"smsc_async.lim1"


def _digest(parts: Iterable[str]) -> bytes:
    # Length-prefixed UTF-8, so ("ab", "c") and ("a", "bc") can never collide; hashed in one
    # call (the same digest as one update per piece, which keys shared in Redis rely on).
    encoded = [part.encode("utf-8", "surrogatepass") for part in parts]
    data = b"".join([len(piece).to_bytes(8, "big") + piece for piece in encoded])
    return hashlib.blake2b(data, digest_size=16, person=_PERSON).digest()


def _digits(phone: str) -> str:
    if phone.isdigit():
        return phone
    if phone[:1] == "+" and phone[1:].isdigit():  # the usual "+7999...": one slice
        return phone[1:]
    return "".join(ch for ch in phone if ch.isdigit())


def _identity(endpoint: str, rule: Rule, fields: Mapping[str, str]) -> bytes:
    if rule.scope == "any":
        return b""
    if rule.scope == "message":
        # Conservative normalisation: "123," and "123", "+7 999" and "7999" are one message.
        msg_id = fields.get("id", "").strip().rstrip(",").strip()
        return _digest(("message", msg_id, _digits(fields.get("phone", ""))))
    drop = CALLER_FIELDS | rule.ignore
    parts = ["identical", endpoint]
    kept = (
        (k, v) for k, v in fields.items() if k not in drop and (not rule.only or k in rule.only)
    )
    for name, value in sorted(kept):
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
        # users.php: "more than three requests per minute to add a subclient or to change the
        # same subclient" (§3.4): adds count together, changes per subclient login.
        "users_add": (Rule("users.add", 3, scope="any"),),
        "users_change": (Rule("users.change", 3, only=frozenset({"user"})),),
        # senders_answer (§13): "more than three identical requests to get a list ... or five
        # requests to create a new sender name within a minute". An add counts against both:
        # five of any name, and (conservatively: the page names the list, the elided part may
        # not, and the emulator counts every senders.php command that way) three identical.
        # The identical one costs nothing in practice: a repeated add is refused anyway.
        "senders_add": (Rule("senders.identical", 3), Rule("senders.add", 5, scope="any")),
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
