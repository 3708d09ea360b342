"""Subclients: users.php (invoices and acts are in :mod:`smsc_async.documents`).

A subclient is a separate login under the main account, with its own settings; depending on
its type it has its own balance (topped up from the main one) and its own tariff.

SMSC's answers of users.php and documents.php are not captured in the reference (the doc pages
are cut): the models are lenient, success answers are accepted in any form SMSC plausibly uses
(``{"result": "OK"}``, ``OK``, an object with an ``id``), and error codes map to exceptions by
their general meaning.
"""

from __future__ import annotations

import builtins
import enum
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Final, TypedDict, Unpack

import msgspec

from ._api import Namespace, decoder
from ._endpoints import Endpoint
from ._validate import (
    SMSC_DATE,
    check_amount,
    check_choice,
    check_date,
    check_flag,
    check_id,
    check_known,
    check_str,
    check_texts,
)
from ._wire import decode

__all__ = [
    "Currency",
    "SubclientSettings",
    "SubclientStats",
    "SubclientStatsDetail",
    "SubclientType",
    "Subclients",
]

_USERS: Final = "users.php"


# --- models --------------------------------------------------------------------------------


class SubclientType(enum.IntEnum):
    """How a subclient pays and which tariff it uses (``type``)."""

    INDEPENDENT = 0
    """Its own tariff and its own balance."""
    MAIN_TARIFF = 1
    """The main account's tariff, its own balance."""
    MAIN_TARIFF_AND_BALANCE = 2
    """The main account's tariff and balance."""
    MAIN_BALANCE = 3
    """The main account's balance, its own tariff."""
    EXTRA_LOGIN = 4
    """An additional login of the main account."""


class Currency(enum.IntEnum):
    """Currency of a subclient's account (``curr``)."""

    RUB = 1
    """Russian rouble."""
    USD = 2
    """US dollar."""
    EUR = 3
    """Euro."""
    UAH = 4
    """Ukrainian hryvnia."""
    KZT = 5
    """Kazakhstani tenge."""


class SubclientStats(msgspec.Struct, frozen=True, kw_only=True):
    """Statistics of one subclient over a period (users.php ``get_stat=1``).

    SMSC's answer shape for users.php is not documented; this follows get.php's statistics
    rows (``login``, ``cnt``, ``credit``, ``debit``, ``currency``). SMSC's English page swaps the
    glosses of ``credit`` and ``debit``; integrators read ``credit`` as money spent and ``debit``
    as money received. One integrator names the count ``sms``: both are read.

    Attributes:
        login: The subclient's login.
        cnt: Number of messages (``cnt``).
        sms: Number of messages where SMSC calls it ``sms``.
        credit: Money spent in the period.
        debit: Money received in the period (top-ups).
        currency: Three-letter currency code of the amounts.
    """

    login: str = ""
    cnt: int | None = None
    sms: int | None = None
    credit: Decimal | None = None
    debit: Decimal | None = None
    currency: str | None = None

    @property
    def messages(self) -> int:
        """Number of messages, whichever field SMSC used (0 when neither came)."""
        if self.cnt is not None:
            return self.cnt
        return self.sms or 0


class SubclientStatsDetail(SubclientStats, frozen=True, kw_only=True):
    """One row of detailed subclient statistics (users.php ``get_stat_all=1``).

    SMSC's answer shape is not documented; rows are read leniently as one subclient's messages
    of one day to one operator.

    Attributes:
        date: The day (``dd.mm.yyyy``), when given.
        country: Country of the recipients, when given.
        operator: Operator of the recipients, when given.
    """

    date: str | None = None
    country: str | None = None
    operator: str | None = None


class _Created(msgspec.Struct, frozen=True):
    id: int | None = None


_created: Final = decoder(_Created)


def _created_id(script: str, body: bytes) -> int | None:
    # add=1 of users.php answers in a form nobody captured: "OK", {"result": "OK"} or an
    # object with the new id are all read as success.
    if body.strip().upper() == b"OK":
        return None
    return decode(script, body, _created).id


# --- endpoints ------------------------------------------------------------------------------

USERS_ADD: Final[Endpoint[None]] = Endpoint(
    "users_add", _USERS, {"add": "1"}, safe=False, decoder=None
)
USERS_CHANGE: Final[Endpoint[None]] = Endpoint(
    "users_change", _USERS, {"chg": "1"}, safe=False, decoder=None
)
# Money moves: a lost answer is never repeated.
USERS_PAY: Final[Endpoint[None]] = Endpoint("users", _USERS, {"pay": "1"}, safe=False, decoder=None)
USERS_STATS: Final = Endpoint(
    "users", _USERS, {"get_stat": "1"}, safe=True, decoder=decoder(list[SubclientStats])
)
_STATS_ALL: Final = decoder(list[SubclientStatsDetail])
USERS_STATS_ALL: Final = Endpoint(
    "users", _USERS, {"get_stat_all": "1"}, safe=True, decoder=_STATS_ALL
)


# --- settings -------------------------------------------------------------------------------


class SubclientSettings(TypedDict, total=False):
    """Settings of a subclient, for ``add`` and ``change`` (all optional).

    An unknown key raises ``TypeError`` naming it, before anything is sent. Account flags
    (``fl[N]``, ``fl2[N]``, ``fl3[N]``, ``mfl[N]``) go in ``flags``.
    """

    type: SubclientType
    """How it pays and which tariff it uses (``type``)."""
    email: str
    """E-mail address (``email``); incoming messages may be forwarded there."""
    email2: str
    """Second e-mail address (``email2``)."""
    phone: str
    """Phone number (``phone``); incoming messages may be forwarded there."""
    phone2: str
    """Second phone number (``phone2``)."""
    full_name: str
    """Name or company name (``fio``)."""
    requisites: str
    """Company requisites (``props``)."""
    contract: str
    """Contract number (``cntr``)."""
    tariff: int
    """Tariff plan number 1 to 9 (sent as SMSC's ``tariff`` 0 to 8)."""
    currency: Currency
    """Currency of the account (``curr``)."""
    utc_offset: int
    """Time zone in hours from UTC, -12 to 12 (sent as SMSC's ``tz`` 0 to 24)."""
    sender: str
    """Default sender name (``sender``)."""
    reserve_sender: str
    """Sender name used when the default one is not allowed (``sender2``)."""
    balance_alert: Decimal | int | str
    """Notify when the balance falls below this amount (``nb``)."""
    keep_days: int
    """Days to keep sent messages (``ktm``)."""
    allowed_prefixes: Sequence[str]
    """Phone code prefixes it may send to; a ``-`` excludes (``fmts``), e.g. ``["7", "-77"]``."""
    notes: str
    """Notes of the main account about it (``notes``)."""
    daily_limit: int
    """Most messages per day (``dlim``)."""
    daily_limit_per_phone: int
    """Most messages per day to one number (``plim``)."""
    daily_limit_per_text: int
    """Most messages per day with one text to one number (``tlim``)."""
    daily_limit_per_ip: int
    """Most messages per day from one IP address (``ilim``)."""
    allowed_hours: tuple[int, int]
    """Hours ``(from, to)`` when it may send, 0 to 24 (``tmlim``)."""
    max_validity_minutes: int
    """Longest delivery time to unavailable subscribers, in minutes (``vld``)."""
    callback_url: str
    """URL SMSC posts statuses and incoming messages to (``url``)."""
    auto_reply: str
    """Automatic answer to incoming SMS (``answ``)."""
    call_auto_reply: str
    """Automatic answer to incoming calls (``answ_call``)."""
    flags: Mapping[str, bool]
    """Account flags by SMSC's name, e.g. ``{"fl2[27]": True}`` (test mode: virtual sending),
    ``{"fl[29]": True}`` (use the main account's sender names)."""


_TEXTS: Final = {
    "email": "email",
    "email2": "email2",
    "phone": "phone",
    "phone2": "phone2",
    "full_name": "fio",
    "requisites": "props",
    "contract": "cntr",
    "sender": "sender",
    "reserve_sender": "sender2",
    "notes": "notes",
    "callback_url": "url",
    "auto_reply": "answ",
    "call_auto_reply": "answ_call",
}
# key -> (field, lowest, highest) of the whole-number settings.
_NUMBERS: Final = {
    "keep_days": ("ktm", 1, 100_000),
    "daily_limit": ("dlim", 0, 10_000_000),
    "daily_limit_per_phone": ("plim", 0, 10_000_000),
    "daily_limit_per_text": ("tlim", 0, 10_000_000),
    "daily_limit_per_ip": ("ilim", 0, 10_000_000),
    "max_validity_minutes": ("vld", 1, 100_000),
}
_SETTING_NAMES: Final = frozenset(
    {
        *_TEXTS,
        *_NUMBERS,
        "type",
        "tariff",
        "currency",
        "utc_offset",
        "balance_alert",
        "allowed_prefixes",
        "allowed_hours",
        "flags",
    }
)
_FLAG: Final = re.compile(r"(?:fl|fl2|fl3|mfl)\[\d{1,3}\]")
_PREFIX: Final = re.compile(r"-?\d{1,6}")
_EMAIL_KEYS: Final = frozenset({"email", "email2"})


def _whole(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be {lo}..{hi}, got {value}")
    return value


def _hours(value: object, name: str) -> tuple[int, int]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise TypeError(f"{name} must be a (from, to) tuple of hours, got {value!r}")
    first, last = (_whole(hour, name, 0, 24) for hour in value)
    if first >= last:
        raise ValueError(f"{name} must start before it ends, got {value!r}")
    return first, last


def _flags(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"flags must be a mapping such as {{'fl2[27]': True}}, got {value!r}")
    fields: dict[str, str] = {}
    for name, on in value.items():
        if not isinstance(name, str) or not _FLAG.fullmatch(name):
            raise ValueError(
                f"unknown flag {name!r}: flags are named fl[N], fl2[N], fl3[N] or mfl[N]"
            )
        if not isinstance(on, bool):
            raise TypeError(f"flag {name} must be True or False, got {on!r}")
        fields[name] = "1" if on else "0"
    return fields


def _settings_fields(settings: dict[str, object]) -> dict[str, str]:
    check_known(settings, _SETTING_NAMES, "subclient setting")
    fields = check_texts(settings, _TEXTS, emails=_EMAIL_KEYS)
    for key, (wire, lo, hi) in _NUMBERS.items():
        if key in settings:
            fields[wire] = str(_whole(settings[key], key, lo, hi))
    if "type" in settings:
        fields["type"] = check_choice(settings["type"], SubclientType, "type")
    if "currency" in settings:
        fields["curr"] = check_choice(settings["currency"], Currency, "currency")
    if "tariff" in settings:  # plans 1..9 are SMSC's 0..8
        fields["tariff"] = str(_whole(settings["tariff"], "tariff", 1, 9) - 1)
    if "utc_offset" in settings:  # SMSC's tz counts from GMT-12 (0) to GMT+12 (24)
        fields["tz"] = str(_whole(settings["utc_offset"], "utc_offset", -12, 12) + 12)
    if "balance_alert" in settings:
        fields["nb"] = check_amount(settings["balance_alert"], "balance_alert")
    if "allowed_prefixes" in settings:
        fields["fmts"] = _prefixes(settings["allowed_prefixes"])
    if "allowed_hours" in settings:
        first, last = _hours(settings["allowed_hours"], "allowed_hours")
        fields["tmlim"] = f"{first}-{last}"
    if "flags" in settings:
        fields.update(_flags(settings["flags"]))
    return fields


def _prefixes(value: object) -> str:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(
            f"allowed_prefixes must be a sequence of str such as ['7', '-77'], got {value!r}"
        )
    items = [check_str(item, "allowed_prefixes") for item in value]
    bad = [item for item in items if not _PREFIX.fullmatch(item)]
    if bad or not items:
        raise ValueError(f"allowed_prefixes takes codes such as '7' or '-77', got {value!r}")
    return ",".join(items)


def _period(start: date | str | None, end: date | str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    if start is not None:
        fields["start"] = check_date(start, "start")
    if end is not None:
        fields["end"] = check_date(end, "end")
    if start is not None and end is not None:
        first = datetime.strptime(fields["start"], SMSC_DATE)
        last = datetime.strptime(fields["end"], SMSC_DATE)
        if first > last:
            raise ValueError(f"start {fields['start']} is after end {fields['end']}")
    return fields


def _one_user(user: str | None, user_id: int | None, *, required: bool) -> dict[str, str]:
    if user is not None and user_id is not None:
        raise TypeError("give user or user_id, not both")
    if user is not None:
        return {"user": check_str(user, "user")}
    if user_id is not None:
        return {"user_id": check_id(user_id, "user_id")}
    if required:
        raise TypeError("give the subclient: user (its login) or user_id")
    return {}


def _password(value: object, name: str) -> str:
    # Sent exactly as given: blanks around a password are part of it.
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty; give the password")
    return value


# --- commands -------------------------------------------------------------------------------


class Subclients(Namespace):
    """Subclients of the account (users.php), as ``smsc.subclients``."""

    __slots__ = ()

    async def add(
        self, login: str, password: str, **settings: Unpack[SubclientSettings]
    ) -> int | None:
        """Create a subclient.

        SMSC: ``users.php`` ``add=1``.

        Args:
            login: The subclient's login (``user``).
            password: Its password (``password``).
            **settings: Its settings (:class:`SubclientSettings`).

        Returns:
            The new subclient's id when SMSC answers one (it can be given as ``user_id``
            elsewhere), else ``None``. SMSC's answer is not documented.

        Raises:
            TypeError: An unknown setting, a value of the wrong type.
            ValueError: An empty login or password, a setting out of range.
            BadRequestError: SMSC refused the parameters (error 1).
            OperationFailedError: SMSC could not create it, e.g. the login is taken (error 5).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {
            "user": check_str(login, "login"),
            "password": _password(password, "password"),
            **_settings_fields(dict(settings)),
        }
        body = await self._client._request_bytes(USERS_ADD, fields)
        return _created_id(_USERS, body)

    async def change(
        self,
        login: str,
        *,
        new_login: str | None = None,
        password: str | None = None,
        current_password: str | None = None,
        **settings: Unpack[SubclientSettings],
    ) -> None:
        """Change a subclient's login, password or settings.

        SMSC: ``users.php`` ``chg=1``.

        Args:
            login: The subclient's current login (``user``).
            new_login: A new login (``new_login``).
            password: A new password (``password``).
            current_password: Its current password, when SMSC asks for it (``pswc``).
            **settings: Settings to change (:class:`SubclientSettings`).

        Raises:
            TypeError: An unknown setting, a value of the wrong type.
            ValueError: Nothing to change, an empty value, a setting out of range.
            NotFoundError: No such subclient (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            OperationFailedError: The change failed, e.g. the new login is taken (error 5).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"user": check_str(login, "login"), **_settings_fields(dict(settings))}
        if new_login is not None:
            fields["new_login"] = check_str(new_login, "new_login")
        if password is not None:
            fields["password"] = _password(password, "password")
        if len(fields) == 1:
            raise ValueError("nothing to change: give new_login, password or settings")
        if current_password is not None:
            fields["pswc"] = _password(current_password, "current_password")
        await self._client._command(USERS_CHANGE, fields)

    async def top_up(self, login: str, amount: Decimal | int | str) -> None:
        """Move money from the main account to a subclient (a negative amount moves it back).

        SMSC: ``users.php`` ``pay=1``.

        Args:
            login: The subclient's login (``user``).
            amount: The sum in the main account's currency (``sum``): a Decimal, an int or a
                numeric str; not zero, never a float.

        Raises:
            TypeError: A float or another type.
            ValueError: Zero or not a number.
            NotFoundError: Error 3: no such subclient, or (the emulator's reading; SMSC's table
                is not captured) not enough money on the side that pays.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {
            "user": check_str(login, "login"),
            "sum": check_amount(amount, "amount", allow_negative=True),
        }
        await self._client._command(USERS_PAY, fields)

    async def statistics(
        self,
        *,
        start: date | str | None = None,
        end: date | str | None = None,
        user: str | None = None,
        user_id: int | None = None,
        independent_only: bool = False,
        in_my_currency: bool = False,
        electronic_balance: bool = False,
        hide_deleted: bool = False,
    ) -> builtins.list[SubclientStats]:
        """Return per-subclient statistics of a period.

        SMSC: ``users.php`` ``get_stat=1``.

        Args:
            start: First day (``start``).
            end: Last day (``end``).
            user: Only this subclient (its login), or
            user_id: only this subclient (its id), or
            independent_only: only subclients with their own balance (``reseller=1``);
                at most one of the three.
            in_my_currency: Amounts in the main account's current currency (``mycur=1``).
            electronic_balance: Only messages paid from the electronic (non-cash) balance
                (``balance2=1``).
            hide_deleted: Leave out deleted subclients (``hide_deleted=1``).

        Returns:
            One row per subclient; ``[]`` when there is none.

        Raises:
            TypeError: A value of the wrong type; several of user, user_id, independent_only.
            ValueError: A date that is not a date, start after end.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {**_period(start, end), **_one_user(user, user_id, required=False)}
        if check_flag(independent_only, "independent_only") == "1":
            if fields.keys() & {"user", "user_id"}:
                raise TypeError("give one of user, user_id and independent_only")
            fields["reseller"] = "1"
        for name, wire, value in (
            ("in_my_currency", "mycur", in_my_currency),
            ("electronic_balance", "balance2", electronic_balance),
            ("hide_deleted", "hide_deleted", hide_deleted),
        ):
            if check_flag(value, name) == "1":
                fields[wire] = "1"
        return await self._client._request_list(USERS_STATS, fields)

    async def detailed_statistics(
        self,
        *,
        start: date | str | None = None,
        end: date | str | None = None,
        independent_only: bool = False,
    ) -> builtins.list[SubclientStatsDetail]:
        """Return detailed statistics of the subclients over a period.

        SMSC: ``users.php`` ``get_stat_all=1``.

        Args:
            start: First day (``start``).
            end: Last day (``end``).
            independent_only: Only subclients with their own balance (``reseller=1``).

        Returns:
            The rows; ``[]`` when there is none.

        Raises:
            TypeError: A value of the wrong type.
            ValueError: A date that is not a date, start after end.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = _period(start, end)
        if check_flag(independent_only, "independent_only") == "1":
            fields["reseller"] = "1"
        return await self._client._request_list(USERS_STATS_ALL, fields)
