"""Asyncio client for the SMSC SMS gateway HTTP API (smsc.ru, smscentre.com, smsc.kz, smsc.ua).

Start with :class:`SMSCClient`. Messaging, history and lookups are flat methods
(``smsc.send_sms``, ``smsc.iter_history``, ``smsc.get_operator``); the other families are
namespaces on the client (``smsc.contacts``, ``smsc.mail_contacts``, ``smsc.senders``,
``smsc.subclients``, ``smsc.documents``, ``smsc.templates``, ``smsc.operator_templates``,
``smsc.jobs``, ``smsc.inbound_numbers``), and ``smsc.call()`` reaches anything else. Every
error it raises on purpose derives from
:class:`SMSCError` (see :mod:`smsc_async.errors` for the tree). :mod:`smsc_async.emulator`
is a local SMSC double for tests and examples.
"""

from typing import TYPE_CHECKING, Any

from ._client import Region, SMSCClient
from ._limits import Charge, Gate, LocalGate, Rule, Ticket, WaitPolicy
from .contacts import (
    BlacklistEntry,
    BlacklistType,
    Contact,
    ContactDetails,
    ContactGroup,
    Contacts,
)
from .documents import Documents
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CallbackError,
    CallbackSignatureError,
    ConnectError,
    ExportCancelledError,
    ExportError,
    ExportFailedError,
    ExportTimeoutError,
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
from .exports import Download, ExportRow, Exports, ExportStatus, ExportTask
from .history import (
    IncomingMessage,
    OperatorInfo,
    SentMessage,
    ShortLinkStats,
    StatisticsRow,
    Tariff,
)
from .jobs import Job, Jobs, JobStatus, RepeatPeriod
from .models import Balance, CostResult, MessageState, MessageStatus, PhoneDetail, SendResult
from .params import Attachment, MessageKind, SendOptions, Translit, Voice
from .senders import (
    OperatorStatus,
    SenderDetails,
    SenderName,
    SenderOperator,
    Senders,
    SenderStatus,
)
from .service import InboundNumber, InboundNumbers, WaitCallResult
from .subclients import (
    Currency,
    Subclients,
    SubclientSettings,
    SubclientStats,
    SubclientStatsDetail,
    SubclientType,
)
from .templates import (
    OperatorTemplate,
    OperatorTemplateKind,
    OperatorTemplates,
    Template,
    TemplateFormat,
    Templates,
)

__all__ = [
    "APIError",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "BlacklistEntry",
    "BlacklistType",
    "CallConfirmationEvent",
    "CallbackError",
    "CallbackEvent",
    "CallbackKind",
    "CallbackSignatureError",
    "Charge",
    "ConnectError",
    "Contact",
    "ContactDetails",
    "ContactGroup",
    "Contacts",
    "CostResult",
    "Currency",
    "Documents",
    "Download",
    "EventHandler",
    "ExportCancelledError",
    "ExportError",
    "ExportFailedError",
    "ExportRow",
    "ExportStatus",
    "ExportTask",
    "ExportTimeoutError",
    "Exports",
    "Gate",
    "HTTPStatusError",
    "IPBlockedError",
    "InboundNumber",
    "InboundNumbers",
    "IncomingMessage",
    "IncomingMessageEvent",
    "InsufficientFundsError",
    "InvalidDateError",
    "InvalidPhoneError",
    "Job",
    "JobStatus",
    "Jobs",
    "LocalGate",
    "MessageForbiddenError",
    "MessageKind",
    "MessageState",
    "MessageStatus",
    "MessageStatusEvent",
    "NotFoundError",
    "OperationFailedError",
    "OperatorInfo",
    "OperatorStatus",
    "OperatorTemplate",
    "OperatorTemplateKind",
    "OperatorTemplates",
    "PhoneDetail",
    "RateLimitedError",
    "Region",
    "RepeatPeriod",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "Rule",
    "SMSCClient",
    "SMSCError",
    "SendOptions",
    "SendOutcomeUnknownError",
    "SendResult",
    "SenderDetails",
    "SenderName",
    "SenderOperator",
    "SenderStatus",
    "Senders",
    "SentMessage",
    "ServerRateLimitError",
    "ShortLinkStats",
    "StatisticsRow",
    "SubclientSettings",
    "SubclientStats",
    "SubclientStatsDetail",
    "SubclientType",
    "Subclients",
    "Tariff",
    "Template",
    "TemplateFormat",
    "Templates",
    "Ticket",
    "Translit",
    "TransportError",
    "UndeliverableError",
    "Voice",
    "WaitCallResult",
    "WaitPolicy",
    "callback_app",
    "callback_handler",
    "callback_signature",
    "parse_callback",
    "parse_callback_body",
    "verify_signature",
]

__version__ = "0.1.0"

# The callback receivers need aiohttp.web, which a client that only sends never uses: they are
# imported on first access, keeping ``import smsc_async`` close to ``import aiohttp`` alone.
_LAZY_CALLBACKS = frozenset(
    {
        "CallbackEvent",
        "CallbackKind",
        "CallConfirmationEvent",
        "EventHandler",
        "IncomingMessageEvent",
        "MessageStatusEvent",
        "callback_app",
        "callback_handler",
        "callback_signature",
        "parse_callback",
        "parse_callback_body",
        "verify_signature",
    }
)

if TYPE_CHECKING:
    from .callbacks import (
        CallbackEvent,
        CallbackKind,
        CallConfirmationEvent,
        EventHandler,
        IncomingMessageEvent,
        MessageStatusEvent,
        callback_app,
        callback_handler,
        callback_signature,
        parse_callback,
        parse_callback_body,
        verify_signature,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY_CALLBACKS:
        from . import callbacks

        value = getattr(callbacks, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
