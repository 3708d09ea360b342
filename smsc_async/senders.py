"""Sender names: senders.php.

A sender name (Sender ID) is what a handset shows as the origin of a message: an alphanumeric
name (``"MyShop"``) or a digital one (a phone number, confirmed with a code sent to it). SMSC's
moderators approve each name; operators then register it on their side, each with its own
status.

SMSC documents the answers of ``get=1`` and ``add=1``; the answers of ``chg``, ``send_code``,
``check_code`` and ``del`` are not captured (the doc page is cut): the client accepts any
success answer (``{"result": "OK"}``, ``OK``) and raises on an error envelope.

senders.php's own errors (its answer page): 7 a number of bad format
(:class:`~smsc_async.errors.InvalidPhoneError`), 10 a code already sent to the number, retry
after 8 hours (:class:`~smsc_async.errors.CodeAlreadySentError`), 11 a wrong confirmation code
(:class:`~smsc_async.errors.InvalidCodeError`); the other codes keep their general meaning.
Error 9 also covers more than five new names a minute, which the limits gate spaces out.
"""

from __future__ import annotations

import builtins
import enum
import re
from collections.abc import AsyncIterator, Collection
from datetime import date
from typing import Final, TypedDict, Unpack

import msgspec

from ._api import Namespace, decoder, paginate
from ._codes import CodeEnum
from ._endpoints import Endpoint
from ._validate import (
    check_date,
    check_id,
    check_known,
    check_page_size,
    check_str,
    check_texts,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "OperatorStatus",
    "SenderDetails",
    "SenderName",
    "SenderOperator",
    "SenderStatus",
    "Senders",
]

_SCRIPT: Final = "senders.php"

MAX_PAGE_SIZE: Final = 1000
"""Largest ``cnt`` the client asks for. SMSC does not document a maximum for senders.php;
1000 is the maximum of its other paged lists (``get_messages``)."""


# --- models --------------------------------------------------------------------------------


class SenderStatus(CodeEnum):
    """Moderation status of a sender name (``status``).

    Unknown codes are tolerated as pseudo-members named ``UNKNOWN_<code>``.
    """

    MODERATION = 0
    """Waiting for SMSC's moderator."""
    ALLOWED = 1
    """Approved: messages may use it."""
    DISABLED = 2
    """Disabled: messages may not use it."""


class OperatorStatus(CodeEnum):
    """Registration status of a sender name at one operator (``<operator>_status``).

    Unknown codes are tolerated as pseudo-members named ``UNKNOWN_<code>``.
    """

    WAITING = 0
    """Waiting to be sent for registration."""
    SENT = 1
    """Sent to the operator for registration."""
    APPROVED = 2
    """Registered by the operator."""
    REJECTED = 3
    """Refused by the operator."""
    SUSPENDED = 4
    """Temporarily disabled."""
    INSUFFICIENT_FUNDS = 5
    """Not enough money on the account to pay the registration."""
    DOCUMENTS_REQUIRED = 8
    """The operator asks for supporting documents."""


class SenderOperator(enum.StrEnum):
    """Operators (and tariffs) a new sender name can be registered with (``add``/``chg`` flags).

    The ``*_STEP`` members are SMSC's second registration tariff of the same operator; which of
    the two is free and which is paid is set by SMSC's price list, not by the API.
    """

    MEGAFON = "mega"
    """MegaFon (``mega=1``)."""
    MEGAFON_STEP = "mega_step"
    """MegaFon, the ``_step`` tariff (``mega_step=1``)."""
    MTS = "mts"
    """MTS (``mts=1``)."""
    MTS_STEP = "mts_step"
    """MTS, the ``_step`` tariff (``mts_step=1``)."""
    TELE2 = "tele2"
    """Tele2 (``tele2=1``)."""
    TELE2_STEP = "tele2_step"
    """Tele2, the ``_step`` tariff (``tele2_step=1``)."""
    BEELINE_STEP = "bee_step"
    """Beeline, the ``_step`` tariff (``bee_step=1``)."""
    MOTIV_STEP = "motiv_step"
    """Motiv, the ``_step`` tariff (``motiv_step=1``)."""
    UKRAINE_NATIONAL = "ua_reg"
    """Ukraine, national registration (``ua_reg=1``)."""
    UKRAINE_INTERNATIONAL = "ua_int"
    """Ukraine, international registration (``ua_int=1``)."""


# The per-operator status fields of a list answer with operators=1, in SMSC's order.
_OPERATOR_FIELDS: Final = (
    "mega",
    "mts",
    "mega_step",
    "mega_int",
    "bee_step",
    "motiv_step",
    "motiv_int",
    "mts_step",
    "mts_int",
    "tele2_step",
    "tele2",
    "ua_reg",
    "ua_int",
)


class SenderName(msgspec.Struct, frozen=True, kw_only=True):
    """One sender name of the account (senders.php ``get=1``).

    The ``*_status`` fields come only when the list was asked with operator statuses; SMSC
    dropped ``mega_status`` on 01.01.2022 and ``mts_status`` on 01.12.2017 in favour of the
    ``_step``/``_int`` fields.

    Attributes:
        id: SMSC's id of the name (assigned when it was added).
        sender: The name itself.
        status: Moderation status (:class:`SenderStatus`).
        replacement: The analog SMSC substitutes for this name at some operator, when there is
            one (only with operator statuses). SMSC's field name is not documented; this client
            reads ``replacement``.
        mega_status: MegaFon (until 2022).
        mts_status: MTS (until 2017).
        mega_step_status: MegaFon, ``_step`` tariff.
        mega_int_status: MegaFon, international.
        bee_step_status: Beeline, ``_step`` tariff.
        motiv_step_status: Motiv, ``_step`` tariff.
        motiv_int_status: Motiv, international.
        mts_step_status: MTS, ``_step`` tariff.
        mts_int_status: MTS, international.
        tele2_step_status: Tele2, ``_step`` tariff.
        tele2_status: Tele2.
        ua_reg_status: Ukraine, national.
        ua_int_status: Ukraine, international.
    """

    id: int = 0
    sender: str = ""
    status: SenderStatus | None = None
    replacement: str | None = None
    mega_status: OperatorStatus | None = None
    mts_status: OperatorStatus | None = None
    mega_step_status: OperatorStatus | None = None
    mega_int_status: OperatorStatus | None = None
    bee_step_status: OperatorStatus | None = None
    motiv_step_status: OperatorStatus | None = None
    motiv_int_status: OperatorStatus | None = None
    mts_step_status: OperatorStatus | None = None
    mts_int_status: OperatorStatus | None = None
    tele2_step_status: OperatorStatus | None = None
    tele2_status: OperatorStatus | None = None
    ua_reg_status: OperatorStatus | None = None
    ua_int_status: OperatorStatus | None = None

    @property
    def operator_statuses(self) -> dict[str, OperatorStatus]:
        """The operator statuses present, keyed by operator field (``"mts_step"``, ...)."""
        found: dict[str, OperatorStatus] = {}
        for name in _OPERATOR_FIELDS:
            value = getattr(self, f"{name}_status")
            if value is not None:
                found[name] = value
        return found


class _Created(msgspec.Struct, frozen=True):
    id: int


# --- endpoints ------------------------------------------------------------------------------

SENDERS_LIST: Final = Endpoint(
    "senders", _SCRIPT, {"get": "1"}, safe=True, decoder=decoder(list[SenderName])
)
# Its own limit: five new names a minute, on top of the three identical requests.
SENDERS_ADD: Final = Endpoint(
    "senders_add", _SCRIPT, {"add": "1"}, safe=False, decoder=decoder(_Created)
)
SENDERS_CHANGE: Final[Endpoint[None]] = Endpoint(
    "senders", _SCRIPT, {"chg": "1"}, safe=False, decoder=None
)
# Sending a code costs an SMS; checking one may use up an attempt: neither is repeated.
SENDERS_SEND_CODE: Final[Endpoint[None]] = Endpoint(
    "senders", _SCRIPT, {"send_code": "1"}, safe=False, decoder=None
)
SENDERS_CHECK_CODE: Final[Endpoint[None]] = Endpoint(
    "senders", _SCRIPT, {"check_code": "1"}, safe=False, decoder=None
)
SENDERS_DELETE: Final[Endpoint[None]] = Endpoint(
    "senders", _SCRIPT, {"del": "1"}, safe=False, decoder=None
)


# --- arguments ------------------------------------------------------------------------------


class SenderDetails(TypedDict, total=False):
    """What ``add`` and ``change`` may tell SMSC about a sender name (all optional).

    Operators need the organisation data to register a name. An unknown key raises
    ``TypeError`` before anything is sent.
    """

    organisation: str
    """Legal name of the organisation (``fio``)."""
    inn: str
    """Tax number: INN (Russia) or EDRPOU (Ukraine) (``inn``)."""
    site: str
    """Web site (``site``)."""
    email: str
    """Contact e-mail address (``email``)."""
    address: str
    """Actual address (``address``)."""
    description: str
    """Description of the services (``desc``)."""
    subject: str
    """Subject or purpose of the messages (``subj``)."""
    email_sender: str
    """An e-mail sender address to add with the name (``mail``)."""
    email_sender_name: str
    """Name of that address' owner (``name``)."""
    register_with: Collection[SenderOperator]
    """Operators (and tariffs) to register the name with (one ``<operator>=1`` flag each)."""


_TEXT_DETAILS: Final = {
    "organisation": "fio",
    "inn": "inn",
    "site": "site",
    "email": "email",
    "address": "address",
    "description": "desc",
    "subject": "subj",
    "email_sender": "mail",
    "email_sender_name": "name",
}
_EMAILS: Final = frozenset({"email", "email_sender"})
_DETAIL_NAMES: Final = frozenset({*_TEXT_DETAILS, "register_with"})
_CODE: Final = re.compile(r"\d{1,16}")
_DIGITAL: Final = re.compile(r"\+?\d{5,15}")


def _detail_fields(details: dict[str, object]) -> dict[str, str]:
    check_known(details, _DETAIL_NAMES, "sender detail")
    fields = check_texts(details, _TEXT_DETAILS, emails=_EMAILS)
    operators = details.get("register_with")
    if operators is not None:
        if isinstance(operators, str) or not isinstance(operators, Collection):
            raise TypeError("register_with must be a collection of SenderOperator members")
        for operator in operators:
            if not isinstance(operator, SenderOperator):
                raise TypeError(
                    f"register_with takes SenderOperator members, got {operator!r}; "
                    f"known: {', '.join(m.name for m in SenderOperator)}"
                )
            fields[operator.value] = "1"
    return fields


def _name_or_id(sender: str | None, id: int | None) -> dict[str, str]:
    if (sender is None) == (id is None):
        raise TypeError("give either sender or id (exactly one)")
    if id is not None:
        return {"id": check_id(id, "id")}
    return {"sender": check_str(sender, "sender")}


def _with_user(fields: dict[str, str], user: str | None) -> dict[str, str]:
    if user is not None:
        fields["user"] = check_str(user, "user")
    return fields


def _digital(sender: object) -> str:
    text = check_str(sender, "sender")
    if not _DIGITAL.fullmatch(text):
        raise ValueError(f"a confirmation code works for digital names (a phone number): {text!r}")
    return text


def _cursor(name: SenderName) -> int | None:
    return name.id or None


# --- commands -------------------------------------------------------------------------------


class Senders(Namespace):
    """Sender names of the account and its subclients (senders.php), as ``smsc.senders``.

    Every command takes ``user=`` to act on a subclient's names instead of the account's own.
    """

    __slots__ = ()

    def _list_fields(
        self,
        include_all: bool,
        operator_statuses: bool,
        from_date: date | str | None,
        user: str | None,
    ) -> dict[str, str]:
        fields: dict[str, str] = {}
        if not isinstance(include_all, bool) or not isinstance(operator_statuses, bool):
            raise TypeError("include_all and operator_statuses must be True or False")
        if include_all:
            fields["all"] = "1"
        if operator_statuses:
            fields["operators"] = "1"
        if from_date is not None:
            fields["from_date"] = check_date(from_date, "from_date")
        return _with_user(fields, user)

    async def list(
        self,
        *,
        include_all: bool = False,
        operator_statuses: bool = False,
        from_date: date | str | None = None,
        before_id: int | None = None,
        limit: int | None = None,
        user: str | None = None,
    ) -> builtins.list[SenderName]:
        """Return one page of sender names, newest first.

        SMSC: ``senders.php`` ``get=1``.

        Args:
            include_all: Every name of the account (``all=1``), also those waiting for
                moderation or disabled; by default SMSC lists the approved names.
            operator_statuses: Add each operator's registration status and the replacement
                name, if any (``operators=1``).
            from_date: Only names whose operator status changed since this date.
            before_id: Only names older than this id (``prev_id``; paging: see :meth:`iterate`).
            limit: Most names to return (``cnt``), 1 to :data:`MAX_PAGE_SIZE`.
            user: A subclient's login: list its names.

        Returns:
            The names; ``[]`` when there are none.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: A date that is not a date, a negative id, a limit out of range.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = self._list_fields(include_all, operator_statuses, from_date, user)
        if before_id is not None:
            fields["prev_id"] = check_id(before_id, "before_id")
        if limit is not None:
            fields["cnt"] = check_page_size(limit, MAX_PAGE_SIZE, "limit")
        return await self._client._request_list(SENDERS_LIST, fields)

    def iterate(
        self,
        *,
        include_all: bool = False,
        operator_statuses: bool = False,
        from_date: date | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        user: str | None = None,
    ) -> AsyncIterator[SenderName]:
        """Iterate over every sender name, newest first, a page at a time.

        SMSC: ``senders.php`` ``get=1`` with ``cnt`` and ``prev_id`` (the last id seen).

        Arguments are checked at once, before the first page is asked for. Each page is one
        request and passes the limits gate.

        Args:
            include_all: As in :meth:`list`.
            operator_statuses: As in :meth:`list`.
            from_date: As in :meth:`list`.
            page_size: Names per request, 1 to :data:`MAX_PAGE_SIZE`.
            user: A subclient's login: iterate over its names.

        Returns:
            An async iterator of :class:`SenderName`.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: A bad date or page size.
            ResponseDecodeError: (while iterating) a full page whose last name has no id.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        fields = self._list_fields(include_all, operator_statuses, from_date, user)
        size = check_page_size(page_size, MAX_PAGE_SIZE, "page_size")
        client = self._client

        async def fetch(cursor: str | None) -> builtins.list[SenderName]:
            page = {**fields, "cnt": size}
            if cursor is not None:
                page["prev_id"] = cursor
            return await client._request_list(SENDERS_LIST, page)

        return paginate(fetch, _cursor, int(size), script=_SCRIPT)

    async def add(
        self,
        sender: str,
        *,
        comment: str | None = None,
        user: str | None = None,
        **details: Unpack[SenderDetails],
    ) -> int:
        """Add a sender name; it waits for moderation (:attr:`SenderStatus.MODERATION`).

        SMSC: ``senders.php`` ``add=1``.

        Attaching supporting documents (``doc_info`` and a file) is not supported yet.
        SMSC allows five new names a minute per login: the limits gate holds the sixth until
        the minute frees (or raises ``RateLimitedError`` if the wait policy says so).

        Args:
            sender: The name: letters and digits, or a phone number for a digital name.
            comment: A note for the moderator (``cmt``).
            user: A subclient's login: add the name to its account.
            **details: Organisation data and operator registrations (:class:`SenderDetails`).

        Returns:
            SMSC's id of the new name.

        Raises:
            TypeError: An unknown detail or a value of the wrong type.
            ValueError: An empty name or detail, an e-mail without ``@``.
            BadRequestError: SMSC refused the parameters (error 1).
            OperationFailedError: SMSC could not add it, e.g. the name exists (error 5).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"sender": check_str(sender, "sender"), **_detail_fields(dict(details))}
        if comment is not None:
            fields["cmt"] = check_str(comment, "comment")
        created = await self._client._request(SENDERS_ADD, _with_user(fields, user))
        return created.id

    async def change(
        self,
        sender: str | None = None,
        *,
        id: int | None = None,
        comment: str | None = None,
        user: str | None = None,
        **details: Unpack[SenderDetails],
    ) -> None:
        """Change the comment, organisation data or operator registrations of a name.

        SMSC: ``senders.php`` ``chg=1``.

        Args:
            sender: The name to change, or
            id: its id (exactly one of the two).
            comment: The new comment (``cmt``).
            user: A subclient's login: the name belongs to it.
            **details: What to change (:class:`SenderDetails`).

        Raises:
            TypeError: Neither or both of ``sender`` and ``id``; an unknown detail.
            ValueError: Nothing to change, an empty value.
            NotFoundError: No such name (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {**_name_or_id(sender, id), **_detail_fields(dict(details))}
        if comment is not None:
            fields["cmt"] = check_str(comment, "comment")
        if len(fields) == 1:
            raise ValueError("nothing to change: give a comment or details")
        await self._client._command(SENDERS_CHANGE, _with_user(fields, user))

    async def send_code(
        self, sender: str, *, site_name: str | None = None, user: str | None = None
    ) -> None:
        """Send a confirmation code by SMS to a digital name (a phone number).

        SMSC: ``senders.php`` ``send_code=1``.

        Args:
            sender: The digital name (a phone number), added before.
            site_name: Your site's name, shown in the code SMS (``site_name``).
            user: A subclient's login: the name belongs to it.

        Raises:
            ValueError: A name that is not a phone number, an empty site name.
            InvalidPhoneError: SMSC finds the number's format invalid (error 7).
            CodeAlreadySentError: A code was already sent to this number; SMSC allows another
                8 hours after it (error 10). The code sent then is still the one to check.
            NotFoundError: No such name (error 3).
            BadRequestError: SMSC refused the request (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"sender": _digital(sender)}
        if site_name is not None:
            fields["site_name"] = check_str(site_name, "site_name")
        await self._client._command(SENDERS_SEND_CODE, _with_user(fields, user))

    async def check_code(self, sender: str, code: str, *, user: str | None = None) -> None:
        """Confirm a digital name with the code sent to it by :meth:`send_code`.

        SMSC: ``senders.php`` ``check_code=1``.

        Args:
            sender: The digital name (a phone number).
            code: The code as received: a str of digits (leading zeros count).
            user: A subclient's login: the name belongs to it.

        Raises:
            TypeError: A code that is not a str.
            ValueError: A code that is not all digits, a name that is not a phone number.
            InvalidCodeError: The code is not the one sent to the number (error 11).
            NotFoundError: No such name (error 3).
            BadRequestError: SMSC refused the request (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        text = check_str(code, "code")
        if not _CODE.fullmatch(text):
            raise ValueError(f"code must be the digits received, got {code!r}")
        fields = {"sender": _digital(sender), "code": text}
        await self._client._command(SENDERS_CHECK_CODE, _with_user(fields, user))

    async def delete(
        self, sender: str | None = None, *, id: int | None = None, user: str | None = None
    ) -> None:
        """Delete a sender name.

        SMSC: ``senders.php`` ``del=1``.

        Args:
            sender: The name to delete, or
            id: its id (exactly one of the two).
            user: A subclient's login: the name belongs to it.

        Raises:
            TypeError: Neither or both of ``sender`` and ``id``.
            ValueError: An empty name, a negative id.
            NotFoundError: No such name (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(SENDERS_DELETE, _with_user(_name_or_id(sender, id), user))
