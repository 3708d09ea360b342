"""get.php (history, incoming, statistics, tariffs), info.php and tinyurls.php.

The history lists the messages send.php stored; incoming messages and short links exist only
through the control methods (:class:`DataControls`), as SMSC gets them from the outside
world. List answers that find nothing are error 3 "no records found", like phones.php.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ._controls import Controls
from ._params import (
    MOSCOW,
    is_set,
    moscow_date,
    normalize_recipient,
    parse_int,
    pick_command,
    split_list,
)
from ._render import money, render_record, render_records
from ._send import MESSAGE_TYPES, operator_of
from ._status import STATUS_NAMES
from ._store import Call, Store
from ._types import ApiFailure, Message

__all__ = ["SHARED_NUMBER", "DataControls", "handle_get", "handle_info", "handle_tinyurls"]

SHARED_NUMBER = "79010000000"
"""The receiving number of incoming messages added without ``to_phone`` (SMSC's shared one)."""

_NO_RECORDS = "no records found"
_PARAMS = "parameters error"
_MAX_ID = 2**63 - 1
# get.php's documented maxima: 1000 history rows, 10000 incoming rows, 168 hours.
_HISTORY_MAX, _INCOMING_MAX, _HOURS_MAX = 1000, 10000, 168
_HISTORY_MONTHS = 6
_FIRST_INT_ID = 100_001  # far from send ids, so a test cannot confuse id and int_id
_EMAIL_FORMAT = 8
# The emulator-wide operator registry is kept in the store's books under this pseudo login.
_EVERYONE = "*"

# Time zone of a country's regions, in hours from Moscow (the convention of send.php's `tz`).
_TZ = {"Россия": 0, "Казахстан": 2, "Украина": -1, "Беларусь": 0}

# Static price list. The zone the emulator charges (Russia) uses the account's part price.
_TARIFFS: tuple[tuple[int, str, Decimal | None, str, str, str], ...] = (
    (1, "Россия", None, "12.00", "0.20", "3.00"),
    (2, "Казахстан", Decimal("4.20"), "15.00", "0.30", "6.00"),
    (3, "Украина", Decimal("3.80"), "15.00", "0.30", "6.50"),
    (4, "Беларусь", Decimal("5.10"), "18.00", "0.40", "7.00"),
)
_MASS_SURCHARGE = Decimal("0.10")


@dataclass(slots=True)
class _Incoming:
    id: int
    phone: str
    message: str
    to_phone: str
    received: float  # Unix time
    sms_id: int | str


@dataclass(slots=True)
class _ShortLink:
    id: int
    url: str
    clicks: int
    month: int
    today: int
    yesterday: int


@dataclass(slots=True)
class DataBook:
    """One account's state of the data scripts.

    Attributes:
        int_ids: The global id (``int_id``) of each stored message, assigned in send order.
        next_int_id: The next ``int_id``.
        incoming: Incoming messages, oldest (lowest id) first.
        next_incoming: The next incoming message id.
        links: Short links by id.
        next_link: The next short link id.
    """

    int_ids: dict[Message, int] = field(default_factory=dict)
    next_int_id: int = _FIRST_INT_ID
    incoming: list[_Incoming] = field(default_factory=list)
    next_incoming: int = 1
    links: dict[int, _ShortLink] = field(default_factory=dict)
    next_link: int = 1


@dataclass(slots=True)
class OperatorBook:
    """The emulator-wide operator data added by the controls.

    Attributes:
        prefixes: Number prefix → (country, operator, region, mcc, mnc, tz); consulted before
            the built-in table, longest prefix first.
        unknown: Normalised numbers info.php does not place (error 3).
    """

    prefixes: dict[str, tuple[str, str, str, str, str, int]] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)


class DataControls(Controls):
    """Controls for the data scripts: incoming messages, short links and operators."""

    def add_incoming(
        self,
        phone: str,
        message: str,
        *,
        to_phone: str = SHARED_NUMBER,
        at: float | None = None,
        login: str | None = None,
    ) -> int:
        """Receive an incoming message, as if ``phone`` had written to the account.

        It answers the newest message the account sent to ``phone`` before (its id becomes
        ``sms_id``; 0 when there is none). With ``callback_url`` set, the emulator also posts
        the incoming-message notification there.

        Args:
            phone: The sender's number.
            message: The text.
            to_phone: The account's number that received it.
            at: The Unix time of receipt; default now on the emulator's clock.
            login: The account (default: the first).

        Returns:
            The new incoming message id (ids grow by one per account).
        """
        state = self._state(login)
        account = state.account.login
        book = self._store.book(account, DataBook)
        if at is None:
            try:
                loop_now = asyncio.get_running_loop().time()
            except RuntimeError:  # outside a loop: asyncio's default clock
                loop_now = time.monotonic()
            at = self._store.unix(loop_now)
        sender = normalize_recipient(phone)
        answered: int | str = 0
        for sent in reversed(self._store.messages[account]):
            if sent.phone == sender and not sent.deleted:
                answered = sent.id
                break
        new_id = book.next_incoming
        book.next_incoming += 1
        receiver = normalize_recipient(to_phone)
        book.incoming.append(_Incoming(new_id, sender, message, receiver, at, answered))
        if (listener := self._store.listener) is not None:
            listener.incoming_received(
                account,
                incoming_id=new_id,
                phone=sender,
                text=message,
                to_phone=receiver,
                at=at,
                sms_id=answered,
            )
        return new_id

    def add_short_link(
        self,
        url: str,
        clicks: int = 0,
        *,
        clicks_month: int | None = None,
        clicks_today: int = 0,
        clicks_yesterday: int = 0,
        login: str | None = None,
    ) -> int:
        """Create a short link (as a ``tinyurl=1`` send would) with given click counts.

        Args:
            url: The full link.
            clicks: All clicks so far.
            clicks_month: Clicks this month (default: ``clicks``).
            clicks_today: Clicks today.
            clicks_yesterday: Clicks yesterday.
            login: The account (default: the first).

        Returns:
            The short link's id.
        """
        book = self._store.book(self._state(login).account.login, DataBook)
        month = clicks if clicks_month is None else clicks_month
        link_id = book.next_link
        book.next_link += 1
        book.links[link_id] = _ShortLink(
            link_id, url.strip(), clicks, month, clicks_today, clicks_yesterday
        )
        return link_id

    def click_short_link(self, link_id: int, times: int = 1, login: str | None = None) -> None:
        """Count ``times`` clicks on a short link (today, this month and in all).

        Raises:
            KeyError: The account has no short link ``link_id``.
        """
        link = self._store.book(self._state(login).account.login, DataBook).links[link_id]
        link.clicks += times
        link.month += times
        link.today += times

    def add_operator(
        self,
        prefix: str,
        *,
        country: str,
        operator: str,
        region: str = "",
        mcc: str = "",
        mnc: str = "",
        tz: int = 0,
    ) -> None:
        """Place the numbers starting with ``prefix`` (digits) with an operator, for info.php.

        A registered prefix wins over the emulator's built-in table (longest prefix first)
        and clears :meth:`mark_unknown_number` marks under it.

        Raises:
            ValueError: ``prefix`` is not digits.
        """
        digits = normalize_recipient(prefix)
        if not digits.isdigit():
            raise ValueError(f"prefix must be digits, got {prefix!r}")
        book = self._store.book(_EVERYONE, OperatorBook)
        book.prefixes[digits] = (country, operator, region, mcc, mnc, tz)
        book.unknown = {phone for phone in book.unknown if not phone.startswith(digits)}

    def mark_unknown_number(self, phone: str) -> None:
        """Make info.php answer error 3 "operator not found" for ``phone``."""
        self._store.book(_EVERYONE, OperatorBook).unknown.add(normalize_recipient(phone))


# --- get.php -----------------------------------------------------------------------------------


def handle_get(store: Store, call: Call) -> str:
    """Answer get.php: ``get_messages``, ``get_answers``, ``get_stat`` or ``get_price``.

    Raises:
        ApiFailure: 1 parameters (no or several commands, bad dates or numbers); 3 no
            records found.
    """
    command = pick_command(call.params, ("get_messages", "get_answers", "get_stat", "get_price"))
    if command == "get_messages":
        return _history(store, call)
    if command == "get_answers":
        return _incoming(store, call)
    if command == "get_stat":
        return _statistics(store, call)
    return _prices(call)


def _day(value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), "%d.%m.%Y").date()
    except ValueError:
        raise ApiFailure(1, _PARAMS) from None


def _months_after(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _period(store: Store, call: Call, max_months: int | None) -> tuple[date, date | None]:
    start = _day(call.params.get("start"))
    if start is None:
        raise ApiFailure(1, _PARAMS)
    end = _day(call.params.get("end"))
    if end is not None and end < start:
        raise ApiFailure(1, _PARAMS)
    if max_months is not None:
        # Without `end` the history runs to today, which counts for the span limit too.
        today = datetime.fromtimestamp(store.unix(call.now), MOSCOW).date()
        if (end or today) > _months_after(start, max_months):
            raise ApiFailure(1, _PARAMS)
    return start, end


def _sent_on(store: Store, message: Message) -> date:
    return datetime.fromtimestamp(store.unix(message.accepted_at), MOSCOW).date()


def _in_period(day: date, start: date, end: date | None) -> bool:
    return start <= day and (end is None or day <= end)


def _int_ids(store: Store, login: str) -> dict[Message, int]:
    # Assigned lazily but in send order, so int_id grows with the sending time.
    book = store.book(login, DataBook)
    for message in store.messages[login]:
        if message not in book.int_ids:
            book.int_ids[message] = book.next_int_id
            book.next_int_id += 1
    return book.int_ids


def _history(store: Store, call: Call) -> str:
    params = call.params
    start, end = _period(store, call, _HISTORY_MONTHS)
    kind = parse_int(params.get("format"), 0, lo=0, hi=_EMAIL_FORMAT)
    if kind not in (0, _EMAIL_FORMAT):  # the documented values: 0 SMS, 8 e-mail
        raise ApiFailure(1, _PARAMS)
    wanted = {normalize_recipient(r) for r in split_list(params.get("phone", ""))}
    wanted |= {normalize_recipient(r) for r in split_list(params.get("email", ""))}
    # Gap: SMSC's default page size is not documented; the emulator uses the maximum.
    count = parse_int(params.get("cnt"), _HISTORY_MAX, lo=1, hi=_HISTORY_MAX)
    before = parse_int(params.get("prev_id"), 0, lo=0, hi=_MAX_ID)
    login = call.account.account.login
    ids = _int_ids(store, login)
    rows: list[dict[str, object]] = []
    for message in reversed(store.messages[login]):  # newest first
        if len(rows) == count:
            break
        if message.deleted or (message.kind == "mail") != (kind == _EMAIL_FORMAT):
            continue
        if (wanted and message.phone not in wanted) or (before and ids[message] >= before):
            continue
        if _in_period(_sent_on(store, message), start, end):
            rows.append(_history_row(store, call.now, message, ids[message]))
    if not rows:
        raise ApiFailure(3, _NO_RECORDS)
    return render_records(call.fmt, rows, item="sms")


def _history_row(store: Store, now: float, message: Message, int_id: int) -> dict[str, object]:
    status, err, changed_at, _ = store.status_at(message, now)
    last, sent = int(store.unix(changed_at)), int(store.unix(message.accepted_at))
    country, operator, region, mcc, mnc = operator_of(message.phone)
    # The order of the documentation's field list (§9.1).
    return {
        "status": status,
        "last_date": moscow_date(last),
        "last_timestamp": last,
        "err": err,
        "send_date": moscow_date(sent),
        "send_timestamp": sent,
        "phone": message.phone,
        "cost": money(message.cost),
        "sender_id": message.sender,
        "status_name": STATUS_NAMES.get(status, ""),
        "message": message.text,
        "type": MESSAGE_TYPES[message.kind],
        "country": country,
        "operator": operator,
        "region": region,
        "id": message.id,
        "int_id": int_id,
        "sms_cnt": message.parts,
        "format": _EMAIL_FORMAT if message.kind == "mail" else 0,
        # Gap: what SMSC's crc is computed over is not documented.
        "crc": 0,
        "mccmnc": f"{mcc}{mnc}" if mcc != "0" else "0",
    }


def _incoming(store: Store, call: Call) -> str:
    params = call.params
    # Gap: SMSC's default period is not documented; the emulator uses the maximum.
    hours = parse_int(params.get("hour"), _HOURS_MAX, lo=1, hi=_HOURS_MAX)
    after = parse_int(params.get("after_id"), 0, lo=0, hi=_MAX_ID)
    count = parse_int(params.get("cnt"), _INCOMING_MAX, lo=1, hi=_INCOMING_MAX)
    to_phone = normalize_recipient(params.get("to_phone", ""))
    since = store.unix(call.now) - 3600 * hours
    rows: list[dict[str, object]] = []
    for item in store.book(call.account.account.login, DataBook).incoming:  # oldest first
        if len(rows) == count:
            break
        if item.id <= after or item.received < since or (to_phone and item.to_phone != to_phone):
            continue
        received = moscow_date(item.received)
        # Gap: fields beyond `id` are not documented; these follow the callback's names.
        rows.append(
            {
                "id": item.id,
                "received": received,
                "phone": item.phone,
                "message": item.message,
                "to_phone": item.to_phone,
                "sent": received,
                "sms_id": item.sms_id,
            }
        )
    if not rows:
        raise ApiFailure(3, _NO_RECORDS)
    return render_records(call.fmt, rows, item="sms")


def _statistics(store: Store, call: Call) -> str:
    start, end = _period(store, call, None)
    # The emulator has one currency and one balance per account: mycur and balance2 are
    # checked but change nothing.
    parse_int(call.params.get("mycur"), 0, lo=0, hi=1)
    parse_int(call.params.get("balance2"), 0, lo=0, hi=1)
    state = call.account
    login = state.account.login
    # Deleted messages were charged all the same. `cnt` counts SMS parts (billed units).
    counted = [m for m in store.messages[login] if _in_period(_sent_on(store, m), start, end)]
    if not counted:
        raise ApiFailure(3, _NO_RECORDS)
    row: dict[str, object] = {
        "login": login,
        "cnt": sum(m.parts for m in counted),
        "credit": money(sum((m.cost for m in counted), Decimal(0))),
        "debit": money(Decimal(0)),  # the emulator records no payments
        "currency": state.account.currency,
    }
    # Gap: one object or a list per login is not documented; the page shows one row.
    return render_record(call.fmt, row, item="stat")


def _prices(call: Call) -> str:
    own = call.account.account.price_per_part
    rows: list[dict[str, object]] = []
    for zone, name, api, mms, hlr, voice in _TARIFFS:
        price = own if api is None else api
        rows.append(
            {
                "zone": zone,
                "name": name,
                "api": money(price),
                "mass": money(price + _MASS_SURCHARGE),
                "mms": mms,
                "hlr": hlr,
                "call": voice,
            }
        )
    return render_records(call.fmt, rows, item="tariff")


# --- info.php ----------------------------------------------------------------------------------


def _place(store: Store, phone: str) -> tuple[str, str, str, str, str, int] | None:
    book = store.book(_EVERYONE, OperatorBook)
    if phone in book.unknown:
        return None
    for prefix in sorted(book.prefixes, key=len, reverse=True):
        if phone.startswith(prefix):
            return book.prefixes[prefix]
    country, operator, region, mcc, mnc = operator_of(phone)
    if mcc == "0":  # the built-in table's "unknown"
        return None
    return country, operator, region, mcc, mnc, _TZ.get(country, 0)


def handle_info(store: Store, call: Call) -> str:
    """Answer info.php ``get_operator=1`` for one number (an object) or a list (an array).

    Raises:
        ApiFailure: 1 parameters (no command, no phone); 3 operator not found (for a list:
            for none of the numbers).
    """
    pick_command(call.params, ("get_operator",))
    raw = call.params.get("phone", "")
    phones = [normalize_recipient(p) for p in split_list(raw)]
    if not phones:
        raise ApiFailure(1, _PARAMS)
    rows: list[dict[str, object]] = []
    for phone in phones:
        found = _place(store, phone)
        if found is not None:
            country, operator, region, mcc, mnc, tz = found
            rows.append(
                {
                    "phone": phone,
                    "country": country,
                    "operator": operator,
                    "region": region,
                    "mcc": mcc,
                    "mnc": mnc,
                    "tz": tz,
                }
            )
    if not rows:
        raise ApiFailure(3, "operator not found")
    if "," in raw or ";" in raw:
        return render_records(call.fmt, rows, item="phone")
    return render_record(call.fmt, rows[0])


# --- tinyurls.php ------------------------------------------------------------------------------


def handle_tinyurls(store: Store, call: Call) -> str:
    """Answer tinyurls.php ``get=1``: the click counts of a short link by ``link`` or ``id``.

    Raises:
        ApiFailure: 1 parameters (no command, neither or both of link and id); 3 not found.
    """
    params = call.params
    pick_command(params, ("get",))
    link = params.get("link", "").strip()
    has_id = is_set(params, "id")
    if bool(link) == has_id:
        raise ApiFailure(1, _PARAMS)
    links = store.book(call.account.account.login, DataBook).links
    if has_id:
        found = links.get(parse_int(params.get("id"), 0, lo=1, hi=_MAX_ID))
    else:
        found = next((item for item in links.values() if item.url == link), None)
    if found is None:
        raise ApiFailure(3, _NO_RECORDS)
    row: dict[str, object] = {
        "id": found.id,
        "cnt": found.clicks,
        "cnt_mon": found.month,
        "cnt_day": found.today,
        "cnt_yes": found.yesterday,
    }
    return render_record(call.fmt, row)
