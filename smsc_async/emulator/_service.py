"""receive_phones.php, wait_call.php and ping.php.

None of these answers was captured (smsc-api.md §18, §19, gap 7); the emulator answers the
most plausible shapes and documents each choice here:

- receive_phones.php ``get=1`` lists the free dedicated numbers as records
  ``{"phone", "cost", "operator", "region"}`` (``cost`` per month); error 3 when none is
  free. Only ``get=1`` is read as the list command: SMSC's own docs show it (a third-party
  SDK's ``gets=1`` answers error 1 here).
- ``buy=1&phone=`` moves a free number to the account and charges the remaining days of the
  current month (Moscow calendar, today included) pro rata: ``cost * days_left /
  days_in_month``, rounded to kopecks. The pool of free numbers is shared by all accounts. An
  unknown or taken number is error 3; a balance that would fall below ``-credit`` is error 5
  ("not enough money"): 3 already means "no such number" in this script, so the emulator
  keeps the two apart. Answer: ``{"result": "OK"}``.
- ``chg=1&phone=&noprolong=0|1`` sets the renewal of a number the account owns (error 3
  otherwise; ``noprolong`` other than 0/1 is error 1). Answer: ``{"result": "OK"}``.
- wait_call.php ``phone=`` answers ``{"phone": <number to call>, "timeout": 600}`` and keeps
  a pending confirmation; a test plays the user's call with
  :meth:`ServiceControls.simulate_call`. A number that is not 10-15 digits is error 7.
- ping.php ``id=`` (task group, any number) records the event with ``name``, ``host``,
  ``info`` and ``ok``; answer ``{"result": "OK"}``. A missing or non-numeric id is error 1.
"""

from __future__ import annotations

import asyncio
import calendar
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ._controls import Controls
from ._notify import call_fields, sign
from ._params import MOSCOW, is_set, normalize_recipient, parse_int, pick_command
from ._render import money, render_ok, render_record, render_records
from ._store import Call, Store
from ._types import ApiFailure

__all__ = [
    "CALL_LINES",
    "DEFAULT_FREE_NUMBERS",
    "WAIT_CALL_TIMEOUT",
    "CallConfirmation",
    "FreeNumber",
    "NotifiedEvent",
    "OwnedNumber",
    "ServiceControls",
    "handle_ping",
    "handle_receive_phones",
    "handle_wait_call",
]


@dataclass(frozen=True, slots=True)
class FreeNumber:
    """A dedicated number in the free pool.

    Attributes:
        phone: The number, digits only.
        monthly_cost: The price per month.
        operator: The operator shown in lists.
        region: The region shown in lists.
    """

    phone: str
    monthly_cost: Decimal
    operator: str = ""
    region: str = ""


DEFAULT_FREE_NUMBERS: Final = (
    FreeNumber("79587000101", Decimal("450.00"), "MTS", "Moscow"),
    FreeNumber("79587000102", Decimal("450.00"), "MTS", "Moscow"),
    FreeNumber("79587000103", Decimal("450.00"), "MegaFon", "Saint Petersburg"),
    FreeNumber("79587000777", Decimal("1500.00"), "Beeline", "Moscow"),
)
"""The free pool every emulator starts with."""

CALL_LINES: Final = ("78005553501", "78005553502", "78005553503")
"""The numbers wait_call.php asks users to call, in turn."""

WAIT_CALL_TIMEOUT: Final = 600
"""Seconds a call confirmation waits for the call."""

_CENT = Decimal("0.01")
_SHARED = ""  # book key of the state every account shares (no account has an empty login)


@dataclass(slots=True)
class OwnedNumber:
    """A dedicated number connected to an account.

    Attributes:
        phone: The number.
        monthly_cost: The price per month.
        charged: What connecting it cost (the pro-rata part of the month).
        renew: Renewed every month (``noprolong=0``, the default after buying).
        connected_at: The emulator's Unix time of the purchase.
    """

    phone: str
    monthly_cost: Decimal
    charged: Decimal
    renew: bool
    connected_at: float


@dataclass(slots=True)
class CallConfirmation:
    """A confirmation-by-call that wait_call.php started.

    Attributes:
        phone: The number being confirmed (normalised).
        call_to: The number the user was told to call.
        requested_at: The emulator's Unix time of the request.
        expires_at: When it stops waiting (``requested_at + WAIT_CALL_TIMEOUT``).
        confirmed_at: When the call arrived (:meth:`ServiceControls.simulate_call`), or
            ``None`` while pending.
    """

    phone: str
    call_to: str
    requested_at: float
    expires_at: float
    confirmed_at: float | None = None

    def callback_form(self, secret: str) -> dict[str, str]:
        """Return the fields SMSC posts to the callback URL for this confirmation.

        ``waitcall``, ``phone``, ``ts`` and ``md5 = md5("{phone}:{ts}:{secret}")``
        (the formula comes from a third-party library).

        Raises:
            ValueError: The call has not arrived yet.
        """
        if self.confirmed_at is None:
            raise ValueError(f"the call from {self.phone} has not arrived yet")
        fields = call_fields(self.phone, self.confirmed_at)
        return fields | {"md5": sign("waitcall", fields, secret)}


@dataclass(frozen=True, slots=True)
class NotifiedEvent:
    """An event ping.php received.

    Attributes:
        group_id: The task group (``id``).
        name: ``name`` (``""`` when absent).
        host: ``host`` (``""`` when absent).
        info: ``info`` (``""`` when absent).
        recovered: ``ok=1``: the "recovered" template, else the "failure" one.
        at: The emulator's Unix time of the request.
    """

    group_id: int
    name: str
    host: str
    info: str
    recovered: bool
    at: float


@dataclass(slots=True)
class _Pool:
    free: dict[str, FreeNumber] = field(
        default_factory=lambda: {n.phone: n for n in DEFAULT_FREE_NUMBERS}
    )


@dataclass(slots=True)
class _ServiceBook:
    numbers: dict[str, OwnedNumber] = field(default_factory=dict)
    confirmations: list[CallConfirmation] = field(default_factory=list)
    events: list[NotifiedEvent] = field(default_factory=list)


def _pool(store: Store) -> _Pool:
    return store.book(_SHARED, _Pool)


def _book(store: Store, login: str) -> _ServiceBook:
    return store.book(login, _ServiceBook)


class ServiceControls(Controls):
    """Dedicated numbers, call confirmations and events (mixed into ``Emulator``)."""

    def free_inbound_numbers(self) -> list[FreeNumber]:
        """Return the numbers receive_phones.php lists as free."""
        return list(_pool(self._store).free.values())

    def add_free_inbound_number(
        self,
        phone: str,
        monthly_cost: Decimal | int | str = Decimal("450.00"),
        *,
        operator: str = "",
        region: str = "",
    ) -> FreeNumber:
        """Put a number into the free pool (replacing one with the same digits)."""
        number = FreeNumber(
            normalize_recipient(phone), Decimal(str(monthly_cost)), operator, region
        )
        _pool(self._store).free[number.phone] = number
        return number

    def clear_free_inbound_numbers(self) -> None:
        """Empty the free pool (receive_phones.php ``get=1`` then answers error 3)."""
        _pool(self._store).free.clear()

    def inbound_numbers(self, login: str | None = None) -> list[OwnedNumber]:
        """Return copies of the numbers an account has bought."""
        login = self._state(login).account.login
        return [replace(n) for n in _book(self._store, login).numbers.values()]

    def call_confirmations(self, login: str | None = None) -> list[CallConfirmation]:
        """Return copies of an account's call confirmations, oldest first."""
        login = self._state(login).account.login
        return [replace(c) for c in _book(self._store, login).confirmations]

    def simulate_call(self, phone: str, login: str | None = None) -> CallConfirmation:
        """Play the user calling from ``phone``: confirm its latest pending confirmation.

        Call it on the loop the emulator serves on (the time is the loop's clock). With
        ``callback_url`` set, the emulator also posts the confirmation there.

        Returns:
            A copy of the confirmed record; its :meth:`~CallConfirmation.callback_form` is what
            SMSC would post to the callback URL.

        Raises:
            LookupError: No confirmation of this number is pending, or it has expired.
        """
        login = self._state(login).account.login
        phone = normalize_recipient(phone)
        now = self._store.unix(asyncio.get_running_loop().time())
        for confirmation in reversed(_book(self._store, login).confirmations):
            if confirmation.phone != phone or confirmation.confirmed_at is not None:
                continue
            if now > confirmation.expires_at:
                raise LookupError(f"the confirmation of {phone} expired")
            confirmation.confirmed_at = now
            if (listener := self._store.listener) is not None:
                listener.call_confirmed(login, phone, now)
            return replace(confirmation)
        raise LookupError(f"no call confirmation of {phone} is pending")

    def notified_events(self, login: str | None = None) -> list[NotifiedEvent]:
        """Return the events ping.php received for an account, oldest first."""
        login = self._state(login).account.login
        return list(_book(self._store, login).events)


# --- receive_phones.php -----------------------------------------------------------------------


def _prorated(monthly: Decimal, unix: float) -> Decimal:
    today = datetime.fromtimestamp(unix, MOSCOW).date()
    days = calendar.monthrange(today.year, today.month)[1]
    left = days - today.day + 1
    return (monthly * left / days).quantize(_CENT, rounding=ROUND_HALF_UP)


def _phone(params: dict[str, str]) -> str:
    phone = normalize_recipient(params.get("phone", ""))
    if not phone:
        raise ApiFailure(1, "parameters error")
    return phone


def handle_receive_phones(store: Store, call: Call) -> str:
    """Answer receive_phones.php: ``get=1``, ``buy=1``, ``chg=1``."""
    params = call.params
    pool = _pool(store)
    book = _book(store, call.account.account.login)
    command = pick_command(params, ("get", "buy", "chg"))
    if command == "get":
        if not pool.free:
            raise ApiFailure(3, "no records found")
        rows: list[dict[str, object]] = [
            {
                "phone": n.phone,
                "cost": money(n.monthly_cost),
                "operator": n.operator,
                "region": n.region,
            }
            for n in pool.free.values()
        ]
        return render_records(call.fmt, rows, item="phone")
    phone = _phone(params)
    if command == "buy":
        number = pool.free.get(phone)
        if number is None:
            raise ApiFailure(3, "number not found")
        now = store.unix(call.now)
        price = _prorated(number.monthly_cost, now)
        account = call.account
        if account.balance - price < -account.account.credit:
            raise ApiFailure(5, "not enough money on the account")
        account.balance -= price
        del pool.free[phone]
        book.numbers[phone] = OwnedNumber(phone, number.monthly_cost, price, True, now)
        return render_ok(call.fmt)
    owned = book.numbers.get(phone)
    if owned is None:
        raise ApiFailure(3, "number not found")
    noprolong = params.get("noprolong", "").strip()
    if noprolong not in ("0", "1"):
        raise ApiFailure(1, "parameters error")
    owned.renew = noprolong == "0"
    return render_ok(call.fmt)


# --- wait_call.php ----------------------------------------------------------------------------


def handle_wait_call(store: Store, call: Call) -> str:
    """Answer wait_call.php: start a confirmation of ``phone`` by a call from it."""
    phone = _phone(call.params)
    if not phone.isdigit() or not 10 <= len(phone) <= 15:
        raise ApiFailure(7, "invalid phone number format")
    book = _book(store, call.account.account.login)
    now = store.unix(call.now)
    line = CALL_LINES[len(book.confirmations) % len(CALL_LINES)]
    book.confirmations.append(CallConfirmation(phone, line, now, now + WAIT_CALL_TIMEOUT))
    return render_record(call.fmt, {"phone": line, "timeout": WAIT_CALL_TIMEOUT})


# --- ping.php ---------------------------------------------------------------------------------


def handle_ping(store: Store, call: Call) -> str:
    """Answer ping.php: record an event of a task group."""
    params = call.params
    if not params.get("id", "").strip():
        raise ApiFailure(1, "parameters error")
    group_id = parse_int(params.get("id"), 0, lo=1, hi=2_147_483_647)
    event = NotifiedEvent(
        group_id=group_id,
        name=params.get("name", ""),
        host=params.get("host", ""),
        info=params.get("info", ""),
        recovered=is_set(params, "ok"),
        at=store.unix(call.now),
    )
    _book(store, call.account.account.login).events.append(event)
    return render_ok(call.fmt)
