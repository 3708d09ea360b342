"""SMSC's error-9 limits as one table, and the sliding-window counter that applies it.

Every limit is per login and counted at arrival over a sliding window of the event loop's
clock (SMSC's minute, :data:`WINDOW_SECONDS`; an emulator may use a shorter one for tests): a
request is refused with error 9 when the window already holds ``limit`` requests with the same
key. The window is closed at both ends: a request exactly one window after another still sees
it (the strict reading, so a client that is merely on the edge is caught). A refused request
is not counted, and neither is a request answered with any other error (the count taken at
arrival is given back); what SMSC does with requests that fail for other reasons is not
documented (gap).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from ._params import normalize_recipient
from ._types import ApiFailure

__all__ = [
    "CONCURRENCY_TEXT",
    "LIMIT_RULES",
    "MAX_IN_FLIGHT",
    "NO_TICKET",
    "WINDOW_SECONDS",
    "LimitRule",
    "SlidingWindows",
    "Ticket",
]

# "15 or more requests in flight at once under one login" → the 15th is refused. Every page
# that states it says fifteen; the English status page's "five" is read as a translation slip.
MAX_IN_FLIGHT = 14
CONCURRENCY_TEXT = "too many concurrent requests"
WINDOW_SECONDS = 60.0

_DUPLICATE_TEXT = "duplicate request, wait a minute"
_TOO_MANY_TEXT = "too many requests, wait a minute"

# Parameters that do not make two requests different ("identical" = all the others equal).
_NOT_IDENTITY = frozenset({"login", "psw", "apikey", "fmt", "charset"})
_NOT_SEND_IDENTITY = _NOT_IDENTITY | {"id"}

Key = Callable[[Mapping[str, str]], Hashable | None]


@dataclass(frozen=True, slots=True)
class LimitRule:
    """One SMSC limit: at most ``limit`` requests with the same key per window and login.

    Attributes:
        script: The script it applies to, e.g. ``"send.php"``.
        limit: How many requests with one key the window admits; the next gets error 9.
        key: Maps a request's parameters to the key counted, or ``None`` when the rule
            does not apply to the request.
        text: The error description answered with error 9.
        name: A short human name for the rule.
    """

    script: str
    limit: int
    key: Key
    text: str
    name: str


def _identical(params: Mapping[str, str]) -> Hashable:
    return tuple(sorted(item for item in params.items() if item[0] not in _NOT_IDENTITY))


def _identical_send(params: Mapping[str, str]) -> Hashable | None:
    if params.get("cost", "").strip() == "1":
        return None
    return tuple(sorted(item for item in params.items() if item[0] not in _NOT_SEND_IDENTITY))


def _identical_cost(params: Mapping[str, str]) -> Hashable | None:
    if params.get("cost", "").strip() != "1":
        return None
    return tuple(sorted(item for item in params.items() if item[0] not in _NOT_SEND_IDENTITY))


def _any(params: Mapping[str, str]) -> Hashable:
    return ()


def _status_pairs(params: Mapping[str, str]) -> tuple[list[str], list[str]]:
    ids = [item for raw in params.get("id", "").split(",") if (item := raw.strip())]
    phones = [item for raw in params.get("phone", "").split(",") if (item := raw.strip())]
    return ids, phones


def _status_message(params: Mapping[str, str]) -> Hashable | None:
    # A request naming one message (even with the trailing comma that forces the list
    # format) counts toward that message; only several messages make a "mass" request
    # (gap: whether SMSC counts a one-element list as mass is not documented).
    ids, phones = _status_pairs(params)
    if len(ids) > 1 or len(phones) > 1:
        return None
    return (ids[0] if ids else "", normalize_recipient(phones[0]) if phones else "")


def _status_mass(params: Mapping[str, str]) -> Hashable | None:
    ids, phones = _status_pairs(params)
    return () if len(ids) > 1 or len(phones) > 1 else None


def _get_stat(params: Mapping[str, str]) -> Hashable | None:
    return () if params.get("get_stat", "").strip() not in ("", "0") else None


def _users_add(params: Mapping[str, str]) -> Hashable | None:
    return () if params.get("add", "").strip() not in ("", "0") else None


def _senders_add(params: Mapping[str, str]) -> Hashable | None:
    # Every add=1 counts, whatever the name (and whichever subclient it is for: per login).
    return () if params.get("add", "").strip() not in ("", "0") else None


def _users_change(params: Mapping[str, str]) -> Hashable | None:
    if params.get("chg", "").strip() in ("", "0"):
        return None
    return params.get("user", "").strip()


def _identical_rule(script: str, limit: int) -> LimitRule:
    return LimitRule(script, limit, _identical, _DUPLICATE_TEXT, f"identical {script}")


# §3.4a. Scripts the emulator does not serve yet are listed for when it does.
LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule("send.php", 1, _identical_send, _DUPLICATE_TEXT, "identical send"),
    LimitRule("send.php", 5, _identical_cost, _DUPLICATE_TEXT, "identical cost request"),
    LimitRule("status.php", 5, _status_message, _TOO_MANY_TEXT, "status of one message"),
    LimitRule("status.php", 1, _status_mass, _TOO_MANY_TEXT, "mass status request"),
    LimitRule("balance.php", 10, _any, _TOO_MANY_TEXT, "balance request"),
    _identical_rule("phones.php", 3),
    _identical_rule("mails.php", 3),
    # senders_answer: "more than three identical requests to get a list ... or five requests to
    # create a new sender name within a minute". The identical rule stays on every senders.php
    # command (as before: whether SMSC limits only the list that way is not said), so an add
    # counts against both.
    _identical_rule("senders.php", 3),
    LimitRule("senders.php", 5, _senders_add, _TOO_MANY_TEXT, "sender name add"),
    _identical_rule("get.php", 3),
    # The get_stat page: "no more than three requests per minute" (any, not only identical).
    LimitRule("get.php", 3, _get_stat, _TOO_MANY_TEXT, "statistics request"),
    _identical_rule("templates.php", 3),
    _identical_rule("users.php", 3),
    # "more than three requests per minute to add a subclient or change the same subclient".
    LimitRule("users.php", 3, _users_add, _TOO_MANY_TEXT, "subclient add"),
    LimitRule("users.php", 3, _users_change, _TOO_MANY_TEXT, "change of one subclient"),
    _identical_rule("get_mnp.php", 3),
    _identical_rule("info.php", 3),
    LimitRule("info.php", 100, _any, _TOO_MANY_TEXT, "any info.php request"),
    _identical_rule("receive_phones.php", 2),
    _identical_rule("jobs.php", 1),
    _identical_rule("downloads.php", 3),
)


@dataclass(slots=True)
class Ticket:
    """What one admitted request added to the windows, so it can be given back."""

    logs: list[deque[float]]
    at: float


NO_TICKET = Ticket([], 0.0)
_SWEEP_EVERY = 4096


class SlidingWindows:
    """Per-login sliding-window logs for a rule table.

    Args:
        rules: The rules to apply.
        window: The window's length in seconds of loop time, for every rule (SMSC: 60).
    """

    def __init__(
        self, rules: tuple[LimitRule, ...] = LIMIT_RULES, window: float = WINDOW_SECONDS
    ) -> None:
        self.window = window
        self._rules: dict[str, tuple[LimitRule, ...]] = {}
        for rule in rules:
            self._rules[rule.script] = (*self._rules.get(rule.script, ()), rule)
        self._logs: dict[tuple[str, str, int, Hashable], deque[float]] = {}
        self._admitted = 0

    def admit(self, login: str, script: str, params: Mapping[str, str], now: float) -> Ticket:
        """Count a request arriving at loop time ``now``, or refuse it.

        Returns:
            A ticket for :meth:`give_back` if the request ends up answered with an error.

        Raises:
            ApiFailure: Error 9 when a window is full; nothing is counted then.
        """
        rules = self._rules.get(script)
        if not rules:
            return NO_TICKET
        horizon = now - self.window
        hits: list[deque[float]] = []
        for index, rule in enumerate(rules):
            key = rule.key(params)
            if key is None:
                continue
            log = self._logs.setdefault((login, script, index, key), deque())
            while log and log[0] < horizon:
                log.popleft()
            if len(log) >= rule.limit:
                raise ApiFailure(9, rule.text)
            hits.append(log)
        for log in hits:
            log.append(now)
        self._admitted += 1
        if self._admitted % _SWEEP_EVERY == 0:
            self._sweep(horizon)
        return Ticket(hits, now)

    def give_back(self, ticket: Ticket) -> None:
        """Un-count an admitted request (it was answered with an error)."""
        for log in ticket.logs:
            try:
                log.remove(ticket.at)
            except ValueError:  # already slid out of the window
                continue

    def clear(self) -> None:
        """Forget every count."""
        self._logs.clear()

    def _sweep(self, horizon: float) -> None:
        # Keyed logs would pile up in a long run (one per distinct message polled): drop
        # the ones whose entries have all slid out of the window.
        stale = [key for key, log in self._logs.items() if not log or log[-1] < horizon]
        for key in stale:
            del self._logs[key]
