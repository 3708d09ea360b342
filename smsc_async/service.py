"""Dedicated numbers, call confirmation and event notifications.

receive_phones.php (``smsc.inbound_numbers``: dedicated numbers for incoming messages),
wait_call.php (:meth:`SMSCClient.wait_call`: confirm a phone number by a call from it) and
ping.php (:meth:`SMSCClient.notify_event`: trigger an event notification).

SMSC's documentation does not show the answers of these three scripts. The models below are
lenient guesses that ignore unknown fields; each docstring says which field names are assumed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from ._api import Namespace, Requester, decoder
from ._endpoints import Endpoint
from ._validate import check_flag, check_id, check_single, check_str

__all__ = ["InboundNumber", "InboundNumbers", "ServiceCommands", "WaitCallResult"]


# --- models -----------------------------------------------------------------------------------


class InboundNumber(msgspec.Struct, frozen=True, kw_only=True):
    """A free dedicated number that can be connected (receive_phones.php ``get=1``).

    SMSC's answer shape is not documented; ``phone`` and a monthly ``cost`` are assumed, and
    ``operator``/``region`` are read when present.

    Attributes:
        phone: The number.
        monthly_cost: The price per month (``cost``); connecting pays the remaining days of the
            current month.
        operator: The operator of the number, when given.
        region: The region of the number, when given.
    """

    phone: str
    monthly_cost: Decimal | None = msgspec.field(name="cost", default=None)
    operator: str | None = None
    region: str | None = None


class WaitCallResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the user must do to confirm a number by calling (wait_call.php).

    SMSC's answer shape is not documented: it most plausibly names the number the user must
    call (assumed ``phone``), and possibly how long SMSC waits for the call (assumed
    ``timeout``, seconds). The confirmation itself is not in this answer: when the call
    arrives, SMSC posts a service message (``waitcall``, ``phone``, ``ts``, ``md5``) to the
    account's callback URL (read by :mod:`smsc_async.callbacks`).

    Attributes:
        call_to: The number the user must call from the phone being confirmed (``phone``).
        timeout: Seconds SMSC waits for the call, when given.
    """

    call_to: str = msgspec.field(name="phone", default="")
    timeout: int | None = None


# --- the endpoint table -----------------------------------------------------------------------

# The list flag. SMSC's docs (smsc.kz, smsc.ua, my.smsc.dp.ua) show get=1; one third-party SDK
# sends gets=1 instead (smsc-api.md §19.1). It lives in this one constant so that switching is
# one line should SMSC turn out to want the other.
_LIST_FLAG: Final = "get"

_RECEIVE: Final = "receive_phones.php"
INBOUND_LIST: Final = Endpoint(
    "receive_phones", _RECEIVE, {_LIST_FLAG: "1"}, safe=True, decoder=decoder(list[InboundNumber])
)
INBOUND_BUY: Final[Endpoint[None]] = Endpoint(
    "receive_phones", _RECEIVE, {"buy": "1"}, safe=False, decoder=None
)
INBOUND_RENEWAL: Final[Endpoint[None]] = Endpoint(
    "receive_phones", _RECEIVE, {"chg": "1"}, safe=False, decoder=None
)
# Both change something (a pending confirmation, a notification sent), so neither is repeated
# once it may have reached SMSC.
WAIT_CALL: Final = Endpoint(
    "wait_call", "wait_call.php", {}, safe=False, decoder=decoder(WaitCallResult)
)
PING: Final[Endpoint[None]] = Endpoint("ping", "ping.php", {}, safe=False, decoder=None)


# --- commands ---------------------------------------------------------------------------------


class InboundNumbers(Namespace):
    """Dedicated numbers for incoming messages (``smsc.inbound_numbers``, receive_phones.php).

    SMSC allows no more than 2 identical receive_phones.php requests per minute; the client's
    limits gate spaces them (a third identical list waits for the minute to pass).
    """

    __slots__ = ()

    async def list_available(self) -> list[InboundNumber]:
        """Return the free dedicated numbers that can be connected (``[]`` when none).

        SMSC: ``receive_phones.php`` ``get=1``.

        Returns:
            The free numbers with their monthly price.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request_list(INBOUND_LIST, {})

    async def buy(self, phone: str) -> None:
        """Connect a free dedicated number to the account.

        SMSC: ``receive_phones.php`` ``buy=1``. SMSC charges the remaining days of the current
        month at once; buying accepts SMSC's rules for dedicated numbers.

        Args:
            phone: One of the numbers :meth:`list_available` returned.

        Raises:
            TypeError: ``phone`` is not a str.
            ValueError: ``phone`` is empty or a list.
            NotFoundError: The number is not free (error 3).
            APIError: Another refusal, e.g. not enough money (the code SMSC uses for that is
                not documented).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(INBOUND_BUY, {"phone": check_single(phone, "phone")})

    async def set_renewal(self, phone: str, renew: bool) -> None:
        """Turn the monthly renewal of a connected number on or off.

        SMSC: ``receive_phones.php`` ``chg=1``. SMSC's parameter is the inverse,
        ``noprolong`` ("do not renew"): ``renew=True`` sends ``noprolong=0``.

        Args:
            phone: A number connected to the account.
            renew: Renew the number every month.

        Raises:
            TypeError: ``phone`` is not a str, or ``renew`` is not a bool.
            ValueError: ``phone`` is empty or a list.
            NotFoundError: The number is not connected to the account (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {
            "phone": check_single(phone, "phone"),
            "noprolong": "0" if check_flag(renew, "renew") == "1" else "1",
        }
        await self._client._command(INBOUND_RENEWAL, fields)


class ServiceCommands(Requester):
    """Call confirmation and event notifications: flat methods of :class:`SMSCClient`."""

    __slots__ = ()

    async def wait_call(self, phone: str) -> WaitCallResult:
        """Start confirming a phone number by a call from it.

        SMSC: ``wait_call.php``. Show the user :attr:`WaitCallResult.call_to`; when the user
        calls it from ``phone``, SMSC posts a ``waitcall`` service message to the account's
        callback URL (fields ``waitcall``, ``phone``, ``ts``, ``md5``) — that post, not this
        answer, is the confirmation.

        Args:
            phone: The number to confirm.

        Returns:
            The number to call (and how long SMSC waits, when it says).

        Raises:
            TypeError: ``phone`` is not a str.
            ValueError: ``phone`` is empty or a list.
            InvalidPhoneError: SMSC cannot read the number (error 7).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._request(WAIT_CALL, {"phone": check_single(phone, "phone")})

    async def notify_event(
        self,
        id: int | str,
        *,
        name: str | None = None,
        host: str | None = None,
        info: str | None = None,
        recovered: bool = False,
    ) -> None:
        """Trigger an event notification of a task group set up in SMSC's cabinet.

        SMSC: ``ping.php``. SMSC sends the messages of the group's "failure" template, or of
        its "recovered" template with ``recovered=True`` (``ok=1``); ``name``, ``host`` and
        ``info`` can be used as macros in those templates. SMSC's answer is not documented;
        ``OK``, ``{"result": "OK"}`` and ``{"id": ...}`` are all taken as success.

        Args:
            id: The task group id from the cabinet.
            name: The rule or server name in the task.
            host: The address of the server checked.
            info: Extra information about the event.
            recovered: Report a recovery instead of a failure.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: ``id`` is not a number, or ``name``/``host``/``info`` is empty (leave
                it out instead).
            NotFoundError: SMSC knows no such task group (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"id": check_id(id, "id"), "ok": check_flag(recovered, "recovered")}
        for field_name, value in (("name", name), ("host", host), ("info", info)):
            if value is not None:
                fields[field_name] = check_str(value, field_name)
        await self._command(PING, fields)
