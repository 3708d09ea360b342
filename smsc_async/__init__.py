"""Asyncio client for the SMSC SMS gateway HTTP API (smsc.ru, smscentre.com, smsc.kz, smsc.ua).

Start with :class:`SMSCClient`; every error it raises on purpose derives from
:class:`SMSCError` (see :mod:`smsc_async.errors` for the tree). :mod:`smsc_async.emulator`
is a local SMSC double for tests and examples.
"""

from ._client import Region, SMSCClient
from ._limits import Charge, Gate, LocalGate, Rule, Ticket, WaitPolicy
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    HTTPStatusError,
    InsufficientFundsError,
    InvalidDateError,
    InvalidPhoneError,
    IPBlockedError,
    MessageForbiddenError,
    NotFoundError,
    OperationFailedError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    ServerRateLimitError,
    SMSCError,
    TransportError,
    UndeliverableError,
)
from .models import Balance, CostResult, MessageState, MessageStatus, PhoneDetail, SendResult
from .params import Attachment, MessageKind, SendOptions, Translit, Voice

__all__ = [
    "APIError",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "Charge",
    "ConnectError",
    "CostResult",
    "Gate",
    "HTTPStatusError",
    "IPBlockedError",
    "InsufficientFundsError",
    "InvalidDateError",
    "InvalidPhoneError",
    "LocalGate",
    "MessageForbiddenError",
    "MessageKind",
    "MessageState",
    "MessageStatus",
    "NotFoundError",
    "OperationFailedError",
    "PhoneDetail",
    "RateLimitedError",
    "Region",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "Rule",
    "SMSCClient",
    "SMSCError",
    "SendOptions",
    "SendOutcomeUnknownError",
    "SendResult",
    "ServerRateLimitError",
    "Ticket",
    "Translit",
    "TransportError",
    "UndeliverableError",
    "Voice",
    "WaitPolicy",
]

__version__ = "0.1.0"
