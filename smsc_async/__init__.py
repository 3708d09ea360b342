"""Asyncio client for the SMSC SMS gateway HTTP API (smsc.ru, smscentre.com, smsc.kz, smsc.ua).

Start with :class:`SMSCClient`. Messaging, history and lookups are flat methods
(``smsc.send_sms``, ``smsc.iter_history``, ``smsc.get_operator``); the other families are
namespaces on the client (``smsc.contacts``, ``smsc.mail_contacts``, ``smsc.senders``,
``smsc.subclients``, ``smsc.documents``, ``smsc.templates``, ``smsc.operator_templates``,
``smsc.jobs``, ``smsc.inbound_numbers``, ``smsc.exports``, ``smsc.bulk``), and ``smsc.call()``
reaches anything else. Every error it raises on purpose derives from :class:`SMSCError` (see
:mod:`smsc_async.errors` for the tree). :mod:`smsc_async.emulator` is a local SMSC double for
tests and examples.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._client import Region, SMSCClient
from ._limits import Charge, Gate, LocalGate, Rule, Ticket, WaitPolicy
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CallbackError,
    CallbackSignatureError,
    CodeAlreadySentError,
    ConnectError,
    ExportCancelledError,
    ExportError,
    ExportFailedError,
    ExportTimeoutError,
    GateUnavailableError,
    HTTPStatusError,
    InsufficientFundsError,
    InvalidCodeError,
    InvalidDateError,
    InvalidPhoneError,
    IPBlockedError,
    MessageForbiddenError,
    NotFoundError,
    OperationFailedError,
    RateLimitedError,
    RecipientRejectedError,
    RecordNotSavedError,
    RequestTimeoutError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    ServerRateLimitError,
    SMSCError,
    StatusWaitTimeoutError,
    TransportError,
    UndeliverableError,
)
from .estimate import MessageEstimate, estimate_message
from .history import (
    IncomingMessage,
    OperatorInfo,
    SentMessage,
    ShortLinkStats,
    StatisticsRow,
    Tariff,
)
from .models import Balance, CostResult, MessageState, MessageStatus, PhoneDetail, SendResult
from .params import Attachment, MessageKind, SendOptions, Translit, Voice
from .service import InboundNumber, InboundNumbers, WaitCallResult

__all__ = [
    "APIError",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "BlacklistEntry",
    "BlacklistType",
    "Bulk",
    "BulkSendItem",
    "CallConfirmationEvent",
    "CallbackError",
    "CallbackEvent",
    "CallbackKind",
    "CallbackSignatureError",
    "Charge",
    "CodeAlreadySentError",
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
    "GateUnavailableError",
    "HTTPStatusError",
    "IPBlockedError",
    "InboundNumber",
    "InboundNumbers",
    "IncomingMessage",
    "IncomingMessageEvent",
    "InsufficientFundsError",
    "InvalidCodeError",
    "InvalidDateError",
    "InvalidPhoneError",
    "Job",
    "JobStatus",
    "Jobs",
    "LocalGate",
    "MailingOptions",
    "MessageEstimate",
    "MessageForbiddenError",
    "MessageKind",
    "MessageState",
    "MessageStatus",
    "MessageStatusEvent",
    "NewJob",
    "NotFoundError",
    "OperationFailedError",
    "OperatorInfo",
    "OperatorStatus",
    "OperatorTemplate",
    "OperatorTemplateKind",
    "OperatorTemplates",
    "PhoneDetail",
    "RateLimitedError",
    "RecipientRejectedError",
    "RecordNotSavedError",
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
    "StatusWaitTimeoutError",
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
    "callback_asgi",
    "callback_handler",
    "callback_signature",
    "estimate_message",
    "parse_callback",
    "parse_callback_body",
    "verify_signature",
]

__version__ = "0.1.0"

# Imported on first access: the callback receivers need aiohttp.web, which a client that only
# sends never uses, and the command families reached through a client namespace (contacts,
# senders, exports, ...) cost import time that sending does not need. ``import smsc_async``
# stays close to ``import aiohttp`` alone; each name below loads its module when first read.
_LAZY: dict[str, str] = {
    name: module
    for module, names in {
        "bulk": ("Bulk", "BulkSendItem"),
        "callbacks": (
            "CallbackEvent",
            "CallbackKind",
            "CallConfirmationEvent",
            "EventHandler",
            "IncomingMessageEvent",
            "MessageStatusEvent",
            "callback_app",
            "callback_asgi",
            "callback_handler",
            "callback_signature",
            "parse_callback",
            "parse_callback_body",
            "verify_signature",
        ),
        "contacts": (
            "BlacklistEntry",
            "BlacklistType",
            "Contact",
            "ContactDetails",
            "ContactGroup",
            "Contacts",
        ),
        "documents": ("Documents",),
        "exports": ("Download", "ExportRow", "Exports", "ExportStatus", "ExportTask"),
        "jobs": ("Job", "Jobs", "JobStatus", "MailingOptions", "NewJob", "RepeatPeriod"),
        "senders": (
            "OperatorStatus",
            "SenderDetails",
            "SenderName",
            "SenderOperator",
            "Senders",
            "SenderStatus",
        ),
        "subclients": (
            "Currency",
            "Subclients",
            "SubclientSettings",
            "SubclientStats",
            "SubclientStatsDetail",
            "SubclientType",
        ),
        "templates": (
            "OperatorTemplate",
            "OperatorTemplateKind",
            "OperatorTemplates",
            "Template",
            "TemplateFormat",
            "Templates",
        ),
    }.items()
    for name in names
}

_LAZY_MODULES = frozenset(_LAZY.values())

if TYPE_CHECKING:
    from .bulk import Bulk, BulkSendItem
    from .callbacks import (
        CallbackEvent,
        CallbackKind,
        CallConfirmationEvent,
        EventHandler,
        IncomingMessageEvent,
        MessageStatusEvent,
        callback_app,
        callback_asgi,
        callback_handler,
        callback_signature,
        parse_callback,
        parse_callback_body,
        verify_signature,
    )
    from .contacts import (
        BlacklistEntry,
        BlacklistType,
        Contact,
        ContactDetails,
        ContactGroup,
        Contacts,
    )
    from .documents import Documents
    from .exports import Download, ExportRow, Exports, ExportStatus, ExportTask
    from .jobs import Job, Jobs, JobStatus, MailingOptions, NewJob, RepeatPeriod
    from .senders import (
        OperatorStatus,
        SenderDetails,
        SenderName,
        SenderOperator,
        Senders,
        SenderStatus,
    )
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


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:  # smsc_async.contacts and the like, as before they were lazy
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
