"""The exceptions smsc_async raises, grouped by cause.

Everything the library raises on purpose derives from :class:`SMSCError`::

    SMSCError
    ├── APIError                    SMSC answered with an error code (.code, .text, .script)
    │   ├── BadRequestError         1  error in parameters
    │   ├── AuthenticationError     2  invalid login/password/API key, or IP not allowed
    │   ├── InsufficientFundsError  3  send.php: not enough money on the account
    │   ├── NotFoundError           3  phones.php, mails.php, info.php, ...: nothing found
    │   ├── IPBlockedError          4  IP temporarily blocked after frequent errors
    │   ├── InvalidDateError        5  send.php: wrong date/time format
    │   ├── OperationFailedError    5  status.php delete, phones.php, ...: the operation failed
    │   ├── MessageForbiddenError   6  text or sender name forbidden
    │   ├── InvalidPhoneError       7  wrong phone number format
    │   ├── UndeliverableError      8  message cannot be delivered to the number
    │   ├── ServerRateLimitError    9  SMSC's own limits (duplicates, per-minute, concurrency)
    │   ├── CodeAlreadySentError   10  senders.php: a code was already sent (retry after 8 h)
    │   ├── InvalidCodeError       11  senders.php: wrong confirmation code
    │   └── RecordNotSavedError     3  jobs.php: the mailing could not be saved
    ├── RateLimitedError            the client's limits gate refused to wait (.retry_after)
    ├── GateUnavailableError        a shared limits gate (Redis) did not answer: nothing sent
    ├── TransportError              the request failed on the way (.url, never credentials)
    │   ├── ConnectError            could not connect: the request surely never left
    │   └── RequestTimeoutError     no answer in time (also a builtin TimeoutError)
    ├── HTTPStatusError             a non-200 HTTP answer, e.g. an HTML 502 page (.status)
    ├── ResponseDecodeError         a body that is neither a result nor an error (.body_prefix)
    ├── SendOutcomeUnknownError     a send may or may not have been accepted (.message_id)
    ├── RecipientRejectedError      bulk send: SMSC took the request but refused one number
    ├── StatusWaitTimeoutError      bulk status: not every message settled in time (.pending)
    ├── ExportError                 a deferred export did not complete (.task_id, .status)
    │   ├── ExportCancelledError    status 3: the task was cancelled
    │   ├── ExportFailedError       status 4: the task failed at SMSC
    │   └── ExportTimeoutError      not completed in the time given (also a TimeoutError)
    └── CallbackError               a notification posted to your URL is malformed
        └── CallbackSignatureError  its signature is missing or wrong

API errors are chosen by the pair (script, code), because SMSC reuses numbers: 3 means
"insufficient funds" in send.php but "no records found" in phones.php. A code the table does not
know becomes a plain :class:`APIError` that still carries the code.

No exception message or attribute ever holds a password or an API key: every piece of an
answer (a body prefix, SMSC's error text, the text of a network error) is scrubbed of the
credentials of every live client as the exception is built, in whatever encoding a proxy or
firewall page echoes them (see ``smsc_async._secrets``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from ._secrets import scrub_prefix, scrub_text

if TYPE_CHECKING:
    from .models import MessageStatus

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackError",
    "CallbackSignatureError",
    "CodeAlreadySentError",
    "ConnectError",
    "ExportCancelledError",
    "ExportError",
    "ExportFailedError",
    "ExportTimeoutError",
    "GateUnavailableError",
    "HTTPStatusError",
    "IPBlockedError",
    "InsufficientFundsError",
    "InvalidCodeError",
    "InvalidDateError",
    "InvalidPhoneError",
    "MessageForbiddenError",
    "NotFoundError",
    "OperationFailedError",
    "RateLimitedError",
    "RecipientRejectedError",
    "RecordNotSavedError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "SMSCError",
    "SendOutcomeUnknownError",
    "ServerRateLimitError",
    "StatusWaitTimeoutError",
    "TransportError",
    "UndeliverableError",
    "api_error_class",
]


class SMSCError(Exception):
    """Root of every exception smsc_async raises on purpose."""


class APIError(SMSCError):
    """SMSC answered the request with an error code.

    Attributes:
        code: SMSC's numeric error code (``error_code``).
        text: SMSC's own description of the error, as sent.
        script: The script that answered, e.g. ``"send.php"``.
        message_id: For send errors 3, 6, 7 and 8 SMSC returns the message id; ``None`` otherwise.
    """

    def __init__(
        self,
        code: int,
        text: str,
        *,
        script: str,
        message_id: int | str | None = None,
    ) -> None:
        self.code = code
        self.text = text = scrub_text(text)  # SMSC's text, or a hostile one's echo
        self.script = script
        self.message_id = message_id
        detail = f"{script}: error {code}: {text}" if text else f"{script}: error {code}"
        if message_id is not None:
            detail += f" (message id {message_id})"
        super().__init__(scrub_text(detail))

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_api_error,
            (type(self), self.code, self.text, self.script, self.message_id),
        )


def _rebuild_api_error(
    cls: type[APIError], code: int, text: str, script: str, message_id: int | str | None
) -> APIError:
    return cls(code, text, script=script, message_id=message_id)


class BadRequestError(APIError):
    """Error 1: SMSC found an error in the request parameters."""


class AuthenticationError(APIError):
    """Error 2: invalid login, password or API key, or an IP outside the allow-list.

    Never retried: repeating a rejected login is how an IP gets blocked (error 4).
    """


class InsufficientFundsError(APIError):
    """Error 3 from send.php: the account has not enough money for the message."""


class NotFoundError(APIError):
    """Error 3 from list and lookup scripts: no records found (or operator not found)."""


class IPBlockedError(APIError):
    """Error 4: the IP is temporarily blocked because of frequent errors. Never retried."""


class InvalidDateError(APIError):
    """Error 5 from send.php: the send time has the wrong format."""


class OperationFailedError(APIError):
    """Error 5 outside send.php: SMSC could not carry out the operation (e.g. delete)."""


class MessageForbiddenError(APIError):
    """Error 6: the message is forbidden by its text or its sender name."""


class InvalidPhoneError(APIError):
    """Error 7: a phone number has the wrong format."""


class UndeliverableError(APIError):
    """Error 8: the message cannot be delivered to the number."""


class CodeAlreadySentError(APIError):
    """Error 10 from senders.php: a confirmation code was already sent to this number.

    SMSC allows another one after 8 hours; check the code already sent with
    ``smsc.senders.check_code`` instead.
    """


class InvalidCodeError(APIError):
    """Error 11 from senders.php: the confirmation code is wrong; ask the number's owner again."""


class RecordNotSavedError(APIError):
    """Error 3 from jobs.php: SMSC could not save the mailing ("error saving a record")."""


class ServerRateLimitError(APIError):
    """Error 9: SMSC's own limits were hit (duplicate request, per-minute rule, concurrency).

    The client's limits gate exists so that this is not seen; it still appears when other
    programs use the same login at the same time.
    """


# Per-code defaults, then the (script, code) pairs where a script gives a number its own meaning.
_BY_CODE: dict[int, type[APIError]] = {
    1: BadRequestError,
    2: AuthenticationError,
    3: NotFoundError,
    4: IPBlockedError,
    5: OperationFailedError,
    6: MessageForbiddenError,
    7: InvalidPhoneError,
    8: UndeliverableError,
    9: ServerRateLimitError,
}
_BY_SCRIPT_CODE: dict[tuple[str, int], type[APIError]] = {
    ("send.php", 3): InsufficientFundsError,
    ("send.php", 5): InvalidDateError,
    # jobs_answer: 3 is "error saving a record", 5 "operation error" (not send.php's meanings).
    ("jobs.php", 3): RecordNotSavedError,
    ("jobs.php", 5): OperationFailedError,
    # senders_answer: 7 is "invalid number format" (the default), 10 and 11 its own.
    ("senders.php", 10): CodeAlreadySentError,
    ("senders.php", 11): InvalidCodeError,
}


def api_error_class(script: str, code: int) -> type[APIError]:
    """Return the exception class for error ``code`` answered by ``script``.

    Args:
        script: Script name such as ``"send.php"``.
        code: SMSC's numeric error code.

    Returns:
        The most specific :class:`APIError` subclass, or :class:`APIError` for unknown codes.
    """
    return _BY_SCRIPT_CODE.get((script, code)) or _BY_CODE.get(code, APIError)


class RateLimitedError(SMSCError):
    """The client's limits gate would have to wait longer than the caller allows.

    Raised before anything is sent, when the client is set to fail fast
    (``on_limit="raise"``) or the wait would exceed ``max_wait``.

    Attributes:
        retry_after: Seconds after which the same request is expected to pass the gate.
        rule: Name of the limit rule that refused, e.g. ``"send.identical"``.
    """

    def __init__(self, retry_after: float, rule: str) -> None:
        self.retry_after = retry_after
        self.rule = rule
        super().__init__(f"limit {rule!r} reached; retry in {retry_after:.1f} s")


class GateUnavailableError(SMSCError):
    """A shared limits gate (e.g. Redis) could not be asked; the request was not sent.

    Raised before anything reaches SMSC: the caller may send again once the gate answers. The
    message says what to check (the server's address, never a password in its URL).

    Attributes:
        where: The gate's server as ``host:port`` (or a socket path), for logs and alerts.
    """

    def __init__(self, message: str, *, where: str) -> None:
        self.where = where
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_gate_error, (str(self), self.where))


def _rebuild_gate_error(message: str, where: str) -> GateUnavailableError:
    return GateUnavailableError(message, where=where)


class TransportError(SMSCError):
    """The request failed on the way to or from SMSC (network, TLS, dropped connection).

    Attributes:
        url: The script URL (scheme, host and path only; credentials never appear in URLs).
        request_sent: ``False`` only when the request surely never reached SMSC.
    """

    request_sent: bool = True

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        # The message may quote a malformed answer (aiohttp shows a bad status line).
        super().__init__(scrub_text(f"{message} ({url})"))


class ConnectError(TransportError):
    """No connection could be made (refused, DNS, TLS handshake): nothing was sent."""

    request_sent = False


class RequestTimeoutError(TransportError, TimeoutError):
    """SMSC did not answer within the configured timeout."""


_PREFIX: Final = 200
"""Most bytes of a body kept in an exception."""


class HTTPStatusError(SMSCError):
    """SMSC (or a proxy in front of it) answered with a non-200 HTTP status.

    Attributes:
        status: The HTTP status code.
        url: The script URL.
        body_prefix: The first bytes of the body (at most 200), for diagnostics, with any
            credentials it repeats masked as ``***``.
    """

    def __init__(self, status: int, *, url: str, body_prefix: bytes = b"") -> None:
        self.status = status
        self.url = url
        # An error page may repeat the request body, credentials included.
        self.body_prefix = scrub_prefix(body_prefix, _PREFIX)
        super().__init__(f"HTTP {status} from {url}")


class ResponseDecodeError(SMSCError):
    """The body is neither a result nor an SMSC error the library understands.

    Attributes:
        script: The script that answered.
        body_prefix: The first bytes of the body (at most 200), with any credentials it
            repeats masked as ``***``.
    """

    def __init__(self, reason: str, *, script: str, body_prefix: bytes = b"") -> None:
        self.script = script
        # Scrubbed before it is cut: cutting first could keep the start of a password. Give
        # the whole body, or at least ``_secrets.reach(200)`` bytes of it.
        self.body_prefix = scrub_prefix(body_prefix, _PREFIX)
        super().__init__(
            scrub_text(
                f"{script}: cannot decode the answer: {reason}; body starts {self.body_prefix!r}"
            )
        )


class SendOutcomeUnknownError(SMSCError):
    """A send failed after the request may have reached SMSC; it was not re-sent.

    Check the message with :meth:`SMSCClient.get_status` using ``message_id`` before deciding to
    send again: re-sending with the same ``message_id`` keeps a later status lookup unambiguous.

    Attributes:
        message_id: The client-assigned id the send carried.
        phones: The recipients of the send, as sent.
        checked: ``True`` when the client asked status.php and SMSC did not (yet) know the
            message, or knew another message under the same id.
    """

    def __init__(
        self,
        message_id: int | str,
        phones: str,
        *,
        checked: bool = False,
        reason: str | None = None,
    ) -> None:
        self.message_id = message_id
        self.phones = phones
        self.checked = checked
        if reason is None and checked:
            reason = "status.php does not know it yet"
        how = f"; {reason}" if reason else ""
        super().__init__(
            f"the send with message id {message_id!r} may or may not have been accepted{how}; "
            "it was not re-sent"
        )


class RecipientRejectedError(SMSCError):
    """SMSC accepted a bulk send request but refused one of its numbers (no message was sent).

    SMSC lists such a number in the per-number details of its answer, with the status and
    error it would report for the message (e.g. status 22, invalid number).

    Attributes:
        message_id: The id of the send.php request that carried the number.
        phone: The number as SMSC read it.
        status: The status code SMSC gave it (a :class:`~smsc_async.MessageState` code).
        error: The error code SMSC gave it (0 when none was given).
    """

    def __init__(self, message_id: int | str, phone: str, *, status: int, error: int) -> None:
        self.message_id = message_id
        self.phone = phone
        self.status = status
        self.error = error
        super().__init__(
            f"SMSC refused number {phone!r} of send {message_id!r}: status {status}, "
            f"error {error}; nothing was sent to it"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_rejected,
            (type(self), self.message_id, self.phone, self.status, self.error),
        )


def _rebuild_rejected(
    cls: type[RecipientRejectedError], message_id: int | str, phone: str, status: int, error: int
) -> RecipientRejectedError:
    return cls(message_id, phone, status=status, error=error)


class StatusWaitTimeoutError(SMSCError, TimeoutError):
    """Not every message reached a settled status in the time the caller gave.

    Attributes:
        pending: The last status seen of each message still unsettled (``MessageStatus``
            objects, with ``id`` and ``phone`` set), in the order they were given.
    """

    def __init__(self, pending: Sequence[MessageStatus], timeout: float) -> None:
        self.pending: tuple[MessageStatus, ...] = tuple(pending)
        self.timeout = timeout
        super().__init__(
            f"{len(self.pending)} message(s) had not settled after {timeout:g} s; "
            "their last statuses are in .pending"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.pending, self.timeout))


class ExportError(SMSCError):
    """A deferred export task (downloads.php) did not complete.

    Attributes:
        task_id: The task's id.
        status: Its last status code seen (``None`` if it was never seen).
    """

    def __init__(self, message: str, *, task_id: int, status: int | None) -> None:
        self.task_id = task_id
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_export_error, (type(self), str(self), self.task_id, self.status))


def _rebuild_export_error(
    cls: type[ExportError], message: str, task_id: int, status: int | None
) -> ExportError:
    return cls(message, task_id=task_id, status=status)


class ExportCancelledError(ExportError):
    """The export task was cancelled (status 3)."""


class ExportFailedError(ExportError):
    """The export task ended with an execution error at SMSC (status 4)."""


class ExportTimeoutError(ExportError, TimeoutError):
    """The export task did not complete within the time the caller gave."""


class CallbackError(SMSCError):
    """A notification SMSC posted to your URL is malformed.

    Missing or wrong-typed fields, an oversized body, or text in the wrong charset; answer such
    a request with HTTP 400.
    """


class CallbackSignatureError(CallbackError):
    """A notification's ``md5`` signature is missing or does not match your secret."""
