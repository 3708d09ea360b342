"""Public data types of the emulator: accounts, recorded requests, stored messages."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "Account",
    "ApiFailure",
    "BrokenStream",
    "FileAnswer",
    "Message",
    "RecordedFile",
    "RecordedRequest",
    "StreamAnswer",
]


@dataclass(frozen=True, slots=True)
class Account:
    """One SMSC account the emulator knows.

    Attributes:
        login: The account login (``login=``).
        password: The plain password; ``psw=`` may carry it or its lowercase hex MD5.
        apikey: The API key accepted as ``apikey=`` instead of login and password;
            ``None`` disables key authentication for this account.
        balance: The starting balance, in ``currency``.
        currency: The three-letter currency name balance.php reports with ``cur=1``.
        credit: The credit limit: sends may take the balance down to ``-credit``.
        price_per_part: The price of one SMS part (or one second of a voice message).
    """

    login: str = "demo"
    # Kept out of reprs, so a failing assertion never prints them.
    password: str = field(default="demo-password", repr=False)
    apikey: str | None = field(default="demo-apikey", repr=False)
    balance: Decimal = Decimal("1000.00")
    currency: str = "RUR"
    credit: Decimal = Decimal("0")
    price_per_part: Decimal = Decimal("2.50")


@dataclass(frozen=True, slots=True)
class RecordedFile:
    """A file that came in a multipart request (its content is not kept).

    Attributes:
        field: The form field name, e.g. ``"file0"``.
        filename: The file name the client sent.
        size: The size of the content in bytes.
        content_type: The part's ``Content-Type`` header, ``""`` when absent.
    """

    field: str
    filename: str
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator received, as it arrived and how it was answered.

    Attributes:
        script: The script name, e.g. ``"send.php"``.
        method: ``"GET"`` or ``"POST"``.
        params: Every parameter, decoded with the request charset, credentials included
            (this is a test double). Body values win over query values of the same name.
        query_keys: The parameter names that came in the URL query string, so a test can
            assert that credentials never travel in the URL.
        content_type: The request's media type without parameters (``""`` when absent).
        files: The files of a multipart request, in arrival order.
        login: The account login the request authenticated as, or the ``login`` it claimed
            when authentication failed (``None`` when it claimed none).
        at: The event loop time at arrival.
        answered_error: The SMSC error code answered (also for plain-text and injected
            errors), ``None`` for a success or no answer.
        http_status: The HTTP status answered; ``None`` while in flight or when the
            connection was dropped without an answer.
        fault: The fault knob applied (``"drop"``, ``"drop_after_processing"``,
            ``"http_error"``, ``"plain_text_error"``, ``"api_error"``) or ``None``.
    """

    script: str
    method: str
    params: dict[str, str] = field(repr=False)  # holds credentials: never in a repr
    query_keys: frozenset[str]
    content_type: str
    files: tuple[RecordedFile, ...]
    login: str | None
    at: float
    answered_error: int | None = None
    http_status: int | None = None
    fault: str | None = None


@dataclass(slots=True, eq=False)
class Message:
    r"""One accepted message to one recipient.

    A send request to N recipients stores N messages under the same id (SMSC gives the
    whole request one id, also for ``list=``).

    Attributes:
        id: The message id: the client's ``id`` (int or string, as sent) or a
            server-assigned increasing int.
        phone: The recipient, normalised (digits without ``+``; e-mail lowercased;
            Telegram ``@nick``/``#ID`` as sent).
        text: The message text as decoded (``\n`` escapes of ``list=`` resolved).
        kind: One of ``sms flash bin push hlr ping mms mail call viber soc tg whatsapp``.
        sender: The ``sender`` parameter (``""`` when absent).
        parts: SMS parts for this recipient (seconds for a voice message).
        cost: The price charged for this recipient.
        accepted_at: The event loop time the send was accepted.
        send_at: The event loop time the message leaves the queue (``time=``), at least
            ``accepted_at``; the delivery schedule runs from here.
        login: The owning account.
        request_no: The 1-based number of the accepted send request that stored it.
        subject: ``subj`` (MMS/e-mail), ``""`` when absent.
        code: The 4-digit code of a flash-call confirmation (``call=1&mes=code``).
        final_status: Overrides the schedule's final status (see ``Emulator.set_outcome``).
        final_err: Overrides the schedule's final ``err``.
        deleted: Set by ``status.php?del=1``; a deleted message answers status -3.
        params: The send parameters except ``psw`` and ``apikey``.
    """

    id: int | str
    phone: str
    text: str
    kind: str
    sender: str
    parts: int
    cost: Decimal
    accepted_at: float
    send_at: float
    login: str
    request_no: int
    subject: str = ""
    code: str | None = None
    final_status: int | None = None
    final_err: int | None = None
    deleted: bool = False
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileAnswer:
    """A script answer that is a file (e.g. a PDF invoice) rather than text in the asked fmt.

    Attributes:
        body: The file's bytes.
        content_type: The ``Content-Type`` header sent with it.
    """

    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class StreamAnswer:
    """A script answer written chunk by chunk as it is produced (e.g. a large export file).

    Attributes:
        chunks: The body, produced lazily; raising :class:`BrokenStream` from it cuts the
            connection mid-body.
        content_type: The ``Content-Type`` header sent with it.
        length: The ``Content-Length`` to announce, ``None`` for a chunked answer.
    """

    chunks: AsyncIterable[bytes]
    content_type: str
    length: int | None = None


class BrokenStream(Exception):
    """Raised inside :attr:`StreamAnswer.chunks` to drop the connection in the middle."""


class ApiFailure(Exception):
    """An SMSC error answer: raised inside script handlers, rendered in the asked ``fmt``.

    Attributes:
        code: The SMSC error code.
        text: The description sent in the envelope.
        message_id: The message id sent with send errors 3, 6, 7 and 8.
        plain_text: Answer ``ERROR = N (text)`` whatever ``fmt`` asked (SMSC does this on
            some scripts, e.g. template updates).
    """

    def __init__(
        self,
        code: int,
        text: str,
        message_id: int | str | None = None,
        *,
        plain_text: bool = False,
    ) -> None:
        super().__init__(code, text, message_id)
        self.code = code
        self.text = text
        self.message_id = message_id
        self.plain_text = plain_text
