"""The emulator's state: accounts and balances, stored messages, the clock, outcomes."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Protocol, TypeVar

from ._params import normalize_recipient
from ._types import Account, Message, RecordedFile

__all__ = ["DEFAULT_SCHEDULE", "AccountState", "Call", "Store", "StoreListener"]

B = TypeVar("B")

# Seconds after a message leaves the queue → status. Before the first step it is -1.
DEFAULT_SCHEDULE: tuple[tuple[float, int], ...] = ((1.0, 0), (3.0, 1))


@dataclass(slots=True)
class AccountState:
    """An account and its current balance."""

    account: Account
    balance: Decimal
    psw_md5: str = field(repr=False)  # accepted as psw: as secret as the password


@dataclass(slots=True)
class Call:
    """One authenticated request handed to a script handler."""

    script: str
    params: dict[str, str]
    fmt: int
    files: tuple[RecordedFile, ...]
    account: AccountState
    now: float


class StoreListener(Protocol):
    """What the store tells about (the emulator's callback notifier implements it)."""

    def message_stored(self, message: Message) -> None:
        """A send stored a message (its delivery schedule starts at ``send_at``)."""

    def incoming_received(
        self,
        login: str,
        *,
        incoming_id: int,
        phone: str,
        text: str,
        to_phone: str,
        at: float,
        sms_id: int | str,
    ) -> None:
        """An incoming message arrived for ``login`` (``at``: Unix time)."""

    def call_confirmed(self, login: str, phone: str, at: float) -> None:
        """A call confirmed ``phone`` for ``login`` (``at``: Unix time)."""


class Store:
    """Accounts, balances and messages of one emulator."""

    def __init__(
        self,
        accounts: Iterable[Account],
        schedule: tuple[tuple[float, int], ...],
        clock_start: float | None,
        seed: int,
    ) -> None:
        self.accounts: dict[str, AccountState] = {}
        self.by_apikey: dict[str, AccountState] = {}
        for account in accounts:
            if account.login in self.accounts:
                raise ValueError(f"two accounts have the login {account.login!r}")
            state = AccountState(
                account=account,
                balance=account.balance,
                psw_md5=hashlib.md5(account.password.encode()).hexdigest(),  # noqa: S324 - SMSC's own scheme
            )
            self.accounts[account.login] = state
            if account.apikey:
                self.by_apikey[account.apikey] = state
        if not self.accounts:
            raise ValueError("the emulator needs at least one account")
        steps = tuple((float(offset), int(status)) for offset, status in schedule)
        if not steps or any(b[0] < a[0] for a, b in pairwise(steps)):
            raise ValueError("delivery_schedule needs at least one step, in time order")
        self.schedule = steps
        self.messages: dict[str, list[Message]] = {login: [] for login in self.accounts}
        self.sends_accepted: dict[str, int] = dict.fromkeys(self.accounts, 0)
        self.outcomes: dict[str, tuple[int, int]] = {}
        self.forbidden_words: set[str] = set()
        self.undeliverable_phones: set[str] = set()
        self._index: dict[tuple[str, str, str], Message] = {}
        self._next_id = 1
        self._clock_start = clock_start
        self._offset: float | None = None
        self.rng = random.Random(seed)  # noqa: S311 - confirmation codes of a test double
        self._books: dict[tuple[str, object], object] = {}
        # Told about stored messages, incoming messages and calls (callback notifications).
        self.listener: StoreListener | None = None

    # -- per-script state ------------------------------------------------------------------

    def book(self, login: str, kind: Callable[[], B]) -> B:
        """Return an account's state of one script family (contacts, senders, ...).

        ``kind`` is the state's class (or factory); the first call for an account creates it.
        Each script module keeps its own state type, so scripts stay independent.
        """
        key = (login, kind)
        found = self._books.get(key)
        if found is None:
            found = self._books[key] = kind()
        return found  # type: ignore[return-value]  # keyed by its own factory

    def rename_login(self, old: str, new: str) -> None:
        """Move an account's per-script state to its new login (users.php ``new_login``)."""
        for key in [key for key in self._books if key[0] == old]:
            self._books[(new, key[1])] = self._books.pop(key)

    # -- authentication -------------------------------------------------------------------

    def authenticate(self, params: dict[str, str]) -> AccountState | None:
        """Return the account the credentials name, or ``None`` (error 2).

        ``apikey`` wins over ``login``/``psw``; ``psw`` may be the password or its
        lowercase hex MD5; an empty ``login`` with a ``psw`` reads ``psw`` as the API key,
        like the official PHP library does.
        """
        if apikey := params.get("apikey"):
            return self.by_apikey.get(apikey)
        login, psw = params.get("login", ""), params.get("psw", "")
        if not psw:
            return None
        if not login:
            return self.by_apikey.get(psw)
        state = self.accounts.get(login)
        if state is None:
            return None
        if psw == state.account.password or psw == state.psw_md5:
            return state
        return None

    # -- clock ----------------------------------------------------------------------------

    def anchor(self, loop_now: float) -> None:
        """Tie the wall clock to the loop clock, once (``clock_start`` or real time)."""
        if self._offset is None:
            start = time.time() if self._clock_start is None else self._clock_start
            self._offset = start - loop_now

    def unix(self, loop_now: float) -> float:
        """Return the emulator's Unix time at a loop time."""
        if self._offset is None:
            self.anchor(loop_now)
        assert self._offset is not None
        return self._offset + loop_now

    # -- messages -------------------------------------------------------------------------

    def new_id(self) -> int:
        """Assign the next server message id."""
        message_id = self._next_id
        self._next_id += 1
        return message_id

    def add(self, message: Message) -> None:
        """Store an accepted message; a later message with the same id and phone wins."""
        outcome = self.outcomes.get(message.phone)
        if outcome is not None:
            message.final_status, message.final_err = outcome
        self.messages[message.login].append(message)
        self._index[(message.login, str(message.id), message.phone)] = message
        if self.listener is not None:
            self.listener.message_stored(message)

    def find(self, login: str, message_id: int | str, phone: str) -> Message | None:
        """Return the latest live message with this id and recipient, or ``None``."""
        return self._index.get((login, str(message_id).strip(), normalize_recipient(phone)))

    def find_any(self, login: str, message_id: int | str, phone: str) -> Message | None:
        """Like :meth:`find`, but also returns a deleted message."""
        found = self.find(login, message_id, phone)
        if found is not None:
            return found
        key_id, key_phone = str(message_id).strip(), normalize_recipient(phone)
        for message in reversed(self.messages.get(login, ())):
            if str(message.id) == key_id and message.phone == key_phone:
                return message
        return None

    def delete(self, message: Message) -> None:
        """Mark a message deleted: status answers -3 from now on."""
        message.deleted = True
        key = (message.login, str(message.id), message.phone)
        if self._index.get(key) is message:
            del self._index[key]

    def set_outcome(self, phone: str, status: int, err: int) -> None:
        """Give a recipient a final status; applies to stored and future messages."""
        phone = normalize_recipient(phone)
        self.outcomes[phone] = (status, err)
        for messages in self.messages.values():
            for message in messages:
                if message.phone == phone:
                    message.final_status, message.final_err = status, err

    def is_undeliverable(self, phone: str) -> bool:
        """Tell whether a normalised recipient is in ``undeliverable_phones``."""
        if not self.undeliverable_phones:
            return False
        return phone in {normalize_recipient(p) for p in self.undeliverable_phones}

    def forbidden_word_in(self, text: str) -> bool:
        """Tell whether a text contains one of ``forbidden_words`` (case-insensitive)."""
        if not self.forbidden_words:
            return False
        folded = text.casefold()
        return any(word.casefold() in folded for word in self.forbidden_words if word)

    def status_at(self, message: Message, loop_now: float) -> tuple[int, int, float, bool]:
        """Return ``(status, err, changed_at, final)`` of a message at a loop time.

        Before ``send_at`` plus the first step the status is -1 (queued, changed at
        acceptance); then each step of the delivery schedule applies in turn; the last step
        is final and is replaced by the message's outcome override, if any.
        """
        elapsed = loop_now - message.send_at
        status, err, changed_at, final = -1, 0, message.accepted_at, False
        last = len(self.schedule) - 1
        for index, (offset, step_status) in enumerate(self.schedule):
            if elapsed < offset:
                break
            status, changed_at = step_status, message.send_at + offset
            if index == last:
                final = True
                if message.final_status is not None:
                    status = message.final_status
                    err = message.final_err or 0
        return status, err, changed_at, final
