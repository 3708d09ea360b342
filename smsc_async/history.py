"""Data commands: history, statistics, tariffs, operators and short links.

get.php (sent and incoming messages, statistics, tariffs), info.php (operator of a number)
and tinyurls.php (short-link statistics). The methods are flat on
:class:`~smsc_async.SMSCClient` (``smsc.get_history(...)``, ``smsc.iter_incoming(...)``).

Several answer shapes are only partly documented (incoming messages, tariffs, short links,
whether statistics come as one object or a list); those models accept what SMSC is most likely
to send and ignore anything else, and their docstrings say which fields are uncertain.
"""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import msgspec

from ._api import Requester, decoder, paginate
from ._endpoints import Endpoint
from ._validate import (
    SMSC_DATE,
    check_date,
    check_flag,
    check_id,
    check_page_size,
    check_recipients,
    check_single,
    check_str,
)
from .models import MessageState, _as_time, _moscow_naive_to_utc, _unix_to_utc

__all__ = [
    "HistoryCommands",
    "IncomingMessage",
    "OperatorInfo",
    "SentMessage",
    "ShortLinkStats",
    "StatisticsRow",
    "Tariff",
]

# SMSC's documented maxima: rows per history / incoming answer (`cnt`), hours of incoming
# messages (`hour`, 7 days), months between `start` and `end` of the history.
MAX_HISTORY_PAGE: Final = 1000
MAX_INCOMING_PAGE: Final = 10000
MAX_INCOMING_HOURS: Final = 168
MAX_HISTORY_MONTHS: Final = 6


# --- models ------------------------------------------------------------------------------------


class _Result(msgspec.Struct, frozen=True, kw_only=True):
    """Base of the results of this module: frozen, keyword-only."""


class SentMessage(_Result, frozen=True, kw_only=True):
    """One sent message of the history (get.php ``get_messages=1``).

    The fields are those of status.php's full answer plus ``int_id``, the global id that pages
    the history. Dates are SMSC's strings (``DD.MM.YYYY hh:mm:ss``, Moscow time); the
    ``*_time`` properties give them as aware UTC datetimes.

    Attributes:
        status: Delivery status (:class:`~smsc_async.models.MessageState`; unknown codes
            tolerated).
        err: Error code inside the status (0 = none).
        last_date: Time of the last status change as SMSC wrote it.
        last_timestamp: The same as a Unix time.
        send_date: Time the message was sent as SMSC wrote it.
        send_timestamp: The same as a Unix time.
        phone: Recipient (a number, or an address in the e-mail history).
        cost: Price of the message.
        sender_id: Sender name used.
        status_name: SMSC's human name of the status.
        message: Message text.
        type: Message type code (0 SMS, 1 flash, ... 8 e-mail, 10 Viber).
        country: Country of the recipient's operator.
        operator: Recipient's operator.
        region: Region of the number.
        id: Message id given at sending (client- or server-assigned).
        int_id: SMSC's global message id; ``before_id`` / paging use it.
        sms_cnt: Number of SMS parts.
        format: History format the row belongs to (0 SMS, 8 e-mail).
        crc: A checksum SMSC adds (its meaning is not documented).
        mccmnc: Operator code (MCC and MNC).
    """

    status: MessageState
    err: int = 0
    last_date: str | None = None
    last_timestamp: int | None = None
    send_date: str | None = None
    send_timestamp: int | None = None
    phone: str = ""
    cost: Decimal | None = None
    sender_id: str | None = None
    status_name: str | None = None
    message: str | None = None
    type: int | None = None
    country: str | None = None
    operator: str | None = None
    region: str | None = None
    id: int | str | None = None
    int_id: int = 0
    sms_cnt: int | None = None
    format: int | None = None
    crc: int | str | None = None
    mccmnc: str | None = None

    @property
    def last_time(self) -> datetime | None:
        """Time of the last status change as an aware UTC datetime, when known."""
        return _unix_to_utc(self.last_timestamp) or _moscow_naive_to_utc(self.last_date)

    @property
    def send_time(self) -> datetime | None:
        """Time the message was sent as an aware UTC datetime, when known."""
        return _unix_to_utc(self.send_timestamp) or _moscow_naive_to_utc(self.send_date)


class IncomingMessage(_Result, frozen=True, kw_only=True):
    """One incoming message (get.php ``get_answers=1``).

    SMSC's answer shape is not documented beyond ``id``; the other fields are the most
    plausible ones (the names SMSC uses for incoming messages in its callbacks and in
    integrators' code) and may be absent.

    Attributes:
        id: Incoming message id SMSC assigned; ids grow, ``after_id`` pages by them.
        received: When SMSC received it, as SMSC wrote it (Moscow time) or a Unix time.
        phone: The sender's number.
        message: The text.
        to_phone: Your number that received it (a dedicated number, when you have several).
        sent: When the sender sent it, as SMSC wrote it (Moscow time) or a Unix time.
        sms_id: Id of your outgoing message this one answers, when SMSC knows it.
    """

    id: int
    received: str | int | None = None
    phone: str = ""
    message: str = ""
    to_phone: str | None = None
    sent: str | int | None = None
    sms_id: int | str | None = None

    @property
    def received_time(self) -> datetime | None:
        """:attr:`received` as an aware UTC datetime, when known."""
        return _as_time(self.received)

    @property
    def sent_time(self) -> datetime | None:
        """:attr:`sent` as an aware UTC datetime, when known."""
        return _as_time(self.sent)


class StatisticsRow(_Result, frozen=True, kw_only=True):
    """Statistics of one login for a period (get.php ``get_stat=1``).

    Sources disagree on the name of the count: the documentation says ``cnt``, a client
    library reads ``sms``; both are read and :attr:`count` gives whichever came. The English
    page swaps the glosses of ``credit`` and ``debit``; here ``credit`` is the money spent
    and ``debit`` the money received, as the Russian wording a client library quotes has it.

    Attributes:
        login: The login the row is about.
        cnt: Number of messages, when SMSC names the field ``cnt``.
        sms: Number of messages, when SMSC names the field ``sms``.
        spent: Money spent in the period (SMSC's ``credit``).
        income: Money paid in during the period (SMSC's ``debit``).
        currency: Three-letter currency code.
    """

    login: str = ""
    cnt: int | None = None
    sms: int | None = None
    spent: Decimal = msgspec.field(default=Decimal(0), name="credit")
    income: Decimal = msgspec.field(default=Decimal(0), name="debit")
    currency: str = ""

    @property
    def count(self) -> int:
        """Number of messages in the period (``cnt`` or ``sms``, whichever SMSC sent)."""
        if self.cnt is not None:
            return self.cnt
        return self.sms or 0


class Tariff(_Result, frozen=True, kw_only=True):
    """One row of the account's price list (get.php ``get_price=1``).

    SMSC's answer is documented only up to its first fields; more fields are ignored, and
    any price may be absent.

    Attributes:
        zone: Tariff zone.
        name: Operator or country the prices apply to.
        api_price: Price of an SMS sent through the API (``api``).
        mass_price: Price of an SMS sent from the web cabinet (``mass``).
        mms_price: Price of an MMS (``mms``).
        hlr_price: Price of an HLR request (``hlr``).
        call_price: Price of a voice message (``call``).
    """

    zone: int | str | None = None
    name: str = ""
    api_price: Decimal | None = msgspec.field(default=None, name="api")
    mass_price: Decimal | None = msgspec.field(default=None, name="mass")
    mms_price: Decimal | None = msgspec.field(default=None, name="mms")
    hlr_price: Decimal | None = msgspec.field(default=None, name="hlr")
    call_price: Decimal | None = msgspec.field(default=None, name="call")


class OperatorInfo(_Result, frozen=True, kw_only=True):
    """The operator of a phone number (info.php ``get_operator=1``).

    Attributes:
        country: Country of the number.
        operator: Operator serving the number.
        region: Region of the number.
        mcc: Mobile country code, as SMSC sent it (text or number).
        mnc: Mobile network code, as SMSC sent it (text or number).
        tz: Time zone of the region, as SMSC sent it (whether hours from Moscow or from UTC
            is not documented).
    """

    country: str = ""
    operator: str = ""
    region: str = ""
    mcc: str | int | None = None
    mnc: str | int | None = None
    tz: int | str | None = None


class ShortLinkStats(_Result, frozen=True, kw_only=True):
    """Click counts of a short link (tinyurls.php ``get=1``).

    SMSC's answer is documented only up to its first fields; more fields are ignored.

    Attributes:
        id: The short link's id.
        clicks: All clicks (``cnt``).
        clicks_month: Clicks this month (``cnt_mon``).
        clicks_today: Clicks today (``cnt_day``).
        clicks_yesterday: Clicks yesterday (``cnt_yes``).
    """

    id: int | str | None = None
    clicks: int = msgspec.field(default=0, name="cnt")
    clicks_month: int = msgspec.field(default=0, name="cnt_mon")
    clicks_today: int = msgspec.field(default=0, name="cnt_day")
    clicks_yesterday: int = msgspec.field(default=0, name="cnt_yes")


# --- endpoints ---------------------------------------------------------------------------------

# get_messages, get_answers and get_price share get.php's "3 identical per minute" rule.
HISTORY: Final = Endpoint(
    "get", "get.php", {"get_messages": "1"}, safe=True, decoder=decoder(list[SentMessage])
)
INCOMING: Final = Endpoint(
    "get", "get.php", {"get_answers": "1"}, safe=True, decoder=decoder(list[IncomingMessage])
)
# Whether SMSC answers one object or a list of logins is not documented: both decode.
STATISTICS: Final[Endpoint[StatisticsRow | list[StatisticsRow]]] = Endpoint(
    "get_stat",
    "get.php",
    {"get_stat": "1"},
    safe=True,
    decoder=msgspec.json.Decoder(StatisticsRow | list[StatisticsRow], strict=False),
)
PRICES: Final = Endpoint(
    "get", "get.php", {"get_price": "1"}, safe=True, decoder=decoder(list[Tariff])
)
OPERATOR: Final = Endpoint(
    "info_operator", "info.php", {"get_operator": "1"}, safe=True, decoder=decoder(OperatorInfo)
)
SHORT_LINK: Final = Endpoint(
    "tinyurls", "tinyurls.php", {"get": "1"}, safe=True, decoder=decoder(ShortLinkStats)
)


# --- argument checks ---------------------------------------------------------------------------


def _months_later(day: date, months: int) -> date:
    # Calendar months; a day the target month lacks becomes its last day (31.08 -> 28.02).
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period(start: object, end: object, *, max_months: int | None) -> dict[str, str]:
    fields = {"start": check_date(start, "start")}
    if end is None:
        return fields
    fields["end"] = check_date(end, "end")
    first = datetime.strptime(fields["start"], SMSC_DATE).date()
    last = datetime.strptime(fields["end"], SMSC_DATE).date()
    if last < first:
        raise ValueError(f"end {fields['end']} is before start {fields['start']}")
    if max_months is not None and last > _months_later(first, max_months):
        raise ValueError(
            f"start {fields['start']} to end {fields['end']} is longer than SMSC's "
            f"{max_months} months; split the period"
        )
    return fields


def _history_fields(
    start: object,
    end: object,
    phones: object,
    emails: object,
    email: object,
) -> dict[str, str]:
    fields = _period(start, end, max_months=MAX_HISTORY_MONTHS)
    mail = check_flag(email, "email") == "1" or emails is not None
    if phones is not None:
        if mail:
            raise ValueError("phones filter the SMS history; leave them out for e-mail history")
        fields["phone"] = check_recipients(phones, "phones")
    if emails is not None:
        fields["email"] = check_recipients(emails, "emails")
    if mail:
        fields["format"] = "8"
    return fields


def _incoming_fields(hours: object, to_phone: object) -> dict[str, str]:
    fields: dict[str, str] = {}
    if hours is not None:
        fields["hour"] = check_page_size(hours, MAX_INCOMING_HOURS, "hours")
    if to_phone is not None:
        fields["to_phone"] = check_single(to_phone, "to_phone")
    return fields


# --- commands ----------------------------------------------------------------------------------


class HistoryCommands(Requester):
    """History, incoming messages, statistics, tariffs, operators and short links.

    Flat methods of :class:`~smsc_async.SMSCClient`.
    """

    __slots__ = ()

    async def get_history(
        self,
        start: date | str,
        end: date | str | None = None,
        *,
        phones: str | Sequence[str] | None = None,
        emails: str | Sequence[str] | None = None,
        email: bool = False,
        limit: int | None = None,
        before_id: int | None = None,
    ) -> list[SentMessage]:
        """Get one page of sent messages, newest first.

        SMSC: ``get.php`` ``get_messages=1``.

        Args:
            start: First day (a date or ``'dd.mm.yyyy'``).
            end: Last day; by default SMSC lists from ``start`` on. At most 6 months after
                ``start``.
            phones: Only messages to these numbers.
            emails: Only e-mails to these addresses (implies ``email=True``).
            email: List sent e-mails (``format=8``) instead of SMS and other phone messages.
            limit: Most messages to return, 1..1000 (``cnt``); SMSC's default if left out.
            before_id: Only messages older than this ``int_id`` (``prev_id``), to continue
                after an earlier page. :meth:`iter_history` does the paging for you.

        Returns:
            The messages, newest first; ``[]`` when none match.

        Raises:
            TypeError, ValueError: before any request: a wrong type, a bad date, ``end``
                before ``start``, over 6 months, phones with e-mail, ``limit`` over 1000.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = _history_fields(start, end, phones, emails, email)
        if limit is not None:
            fields["cnt"] = check_page_size(limit, MAX_HISTORY_PAGE, "limit")
        if before_id is not None:
            fields["prev_id"] = check_id(before_id, "before_id")
        return await self._request_list(HISTORY, fields)

    def iter_history(
        self,
        start: date | str,
        end: date | str | None = None,
        *,
        phones: str | Sequence[str] | None = None,
        emails: str | Sequence[str] | None = None,
        email: bool = False,
        before_id: int | None = None,
        page_size: int = MAX_HISTORY_PAGE,
    ) -> AsyncIterator[SentMessage]:
        """Iterate over every sent message of a period, newest first, page by page.

        SMSC: ``get.php`` ``get_messages=1``, each next page with ``prev_id`` = the last
        message's ``int_id``.

        Example::

            async for msg in smsc.iter_history(date(2024, 3, 1), date(2024, 3, 31)):
                print(msg.phone, msg.status)

        Args:
            start: First day (a date or ``'dd.mm.yyyy'``).
            end: Last day; at most 6 months after ``start``.
            phones: Only messages to these numbers.
            emails: Only e-mails to these addresses (implies ``email=True``).
            email: List sent e-mails (``format=8``).
            before_id: Start with messages older than this ``int_id``.
            page_size: Messages per request, 1..1000.

        Returns:
            An async iterator of :class:`SentMessage`; it ends at once when nothing matches.

        Raises:
            TypeError, ValueError: as for :meth:`get_history`, or a bad ``page_size``, at
                call time.
            BadRequestError: SMSC refused the parameters (error 1), while iterating.
            ResponseDecodeError: a full page whose last message has no ``int_id``.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        base = _history_fields(start, end, phones, emails, email)
        base["cnt"] = check_page_size(page_size, MAX_HISTORY_PAGE, "page_size")
        first = None if before_id is None else check_id(before_id, "before_id")

        async def fetch(cursor: str | None) -> list[SentMessage]:
            fields = dict(base)
            if (prev := cursor or first) is not None:
                fields["prev_id"] = prev
            return await self._request_list(HISTORY, fields)

        return paginate(fetch, lambda m: m.int_id or None, page_size, script=HISTORY.script)

    async def get_incoming(
        self,
        *,
        hours: int | None = None,
        after_id: int | None = None,
        to_phone: str | None = None,
        limit: int | None = None,
    ) -> list[IncomingMessage]:
        """Get one page of incoming messages, oldest first.

        SMSC: ``get.php`` ``get_answers=1``.

        Args:
            hours: Only messages of the last ``hours`` hours, 1..168 (``hour``); SMSC's
                default period if left out.
            after_id: Only messages with a greater id, to continue after an earlier page.
                :meth:`iter_incoming` does the paging for you.
            to_phone: Only messages to this number of yours.
            limit: Most messages to return, 1..10000 (``cnt``).

        Returns:
            The messages; ``[]`` when there are none.

        Raises:
            TypeError, ValueError: before any request: a wrong type, ``hours`` outside
                1..168, ``limit`` outside 1..10000, an empty or several ``to_phone``.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = _incoming_fields(hours, to_phone)
        if after_id is not None:
            fields["after_id"] = check_id(after_id, "after_id")
        if limit is not None:
            fields["cnt"] = check_page_size(limit, MAX_INCOMING_PAGE, "limit")
        return await self._request_list(INCOMING, fields)

    def iter_incoming(
        self,
        *,
        hours: int | None = None,
        after_id: int | None = None,
        to_phone: str | None = None,
        page_size: int = MAX_INCOMING_PAGE,
    ) -> AsyncIterator[IncomingMessage]:
        """Iterate over incoming messages, oldest first, page by page.

        SMSC: ``get.php`` ``get_answers=1``, each next page with ``after_id`` = the last
        message's id. To poll, keep the last id you saw and pass it as ``after_id`` next time.

        Args:
            hours: Only messages of the last ``hours`` hours, 1..168.
            to_phone: Only messages to this number of yours.
            after_id: Start after this incoming message id.
            page_size: Messages per request, 1..10000.

        Returns:
            An async iterator of :class:`IncomingMessage`.

        Raises:
            TypeError, ValueError: as for :meth:`get_incoming`, or a bad ``page_size``, at
                call time.
            BadRequestError: SMSC refused the parameters (error 1), while iterating.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        base = _incoming_fields(hours, to_phone)
        base["cnt"] = check_page_size(page_size, MAX_INCOMING_PAGE, "page_size")
        first = None if after_id is None else check_id(after_id, "after_id")

        async def fetch(cursor: str | None) -> list[IncomingMessage]:
            fields = dict(base)
            if (after := cursor or first) is not None:
                fields["after_id"] = after
            return await self._request_list(INCOMING, fields)

        return paginate(fetch, lambda m: m.id or None, page_size, script=INCOMING.script)

    async def get_statistics(
        self,
        start: date | str,
        end: date | str | None = None,
        *,
        in_my_currency: bool = False,
        electronic_balance: bool = False,
    ) -> list[StatisticsRow]:
        """Get the number of messages and the money spent in a period.

        SMSC: ``get.php`` ``get_stat=1``. SMSC takes at most 3 statistics requests a minute;
        the client's gate spaces them.

        Args:
            start: First day (a date or ``'dd.mm.yyyy'``).
            end: Last day; by default SMSC counts from ``start`` on.
            in_my_currency: Amounts in the account's current currency (``mycur=1``).
            electronic_balance: Only messages paid from the electronic (non-cash) balance
                (``balance2=1``).

        Returns:
            One row per login SMSC reports (SMSC may answer one object or a list; both give
            a list); ``[]`` when SMSC has nothing for the period.

        Raises:
            TypeError, ValueError: a wrong type, a bad date or ``end`` before ``start``,
                before any request.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = _period(start, end, max_months=None)
        if check_flag(in_my_currency, "in_my_currency") == "1":
            fields["mycur"] = "1"
        if check_flag(electronic_balance, "electronic_balance") == "1":
            fields["balance2"] = "1"
        # The answer may be one object or a list; "no records" is an empty list, as everywhere.
        answer = await self._request_found(STATISTICS, fields)
        if answer is None:
            return []
        return answer if isinstance(answer, list) else [answer]

    async def get_prices(self) -> list[Tariff]:
        """Get the account's price list.

        SMSC: ``get.php`` ``get_price=1``.

        Returns:
            The tariff rows; ``[]`` when SMSC lists none.

        Raises:
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._request_list(PRICES, {})

    async def get_operator(self, phone: str) -> OperatorInfo:
        """Get the operator, country and region of a phone number.

        SMSC: ``info.php`` ``get_operator=1``. SMSC takes at most 3 identical and 100 of any
        such requests a minute; the client's gate spaces them.

        Args:
            phone: One number in international format.

        Returns:
            What SMSC knows about the number.

        Raises:
            TypeError, ValueError: ``phone`` is not a str, empty or a list (before any
                request).
            NotFoundError: SMSC cannot tell the operator of the number (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._request(OPERATOR, {"phone": check_single(phone, "phone")})

    async def get_short_link_stats(
        self, *, link: str | None = None, id: int | None = None
    ) -> ShortLinkStats:
        """Get the click counts of a short link made by ``tinyurl=1`` sends.

        SMSC: ``tinyurls.php`` ``get=1``.

        Args:
            link: The full (original) link.
            id: The short link's id. Give exactly one of ``link`` and ``id``.

        Returns:
            The link's click counts.

        Raises:
            TypeError: both or neither of ``link`` and ``id``, or a value of the wrong type.
            ValueError: an empty link or a bad id (before any request).
            NotFoundError: SMSC has no such short link (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        if (link is None) == (id is None):
            raise TypeError("give exactly one of link= and id=")
        if link is not None:
            fields = {"link": check_str(link, "link")}
        else:
            fields = {"id": check_id(id, "id")}
        return await self._request(SHORT_LINK, fields)
