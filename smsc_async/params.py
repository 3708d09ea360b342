"""Send options, message kinds and their encoding into send.php fields.

Everything here is checked before any request is made: a mistake raises ``ValueError`` or
``TypeError`` with a message that says what to change.
"""

from __future__ import annotations

import enum
import math
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, TypedDict

from ._validate import check_known
from .estimate import estimate_message

__all__ = [
    "Attachment",
    "MessageKind",
    "SendOptions",
    "Translit",
    "Voice",
    "encode_list",
    "encode_list_line",
    "encode_send_options",
    "join_phones",
    "new_message_id",
    "validate_message_id",
]

MAX_MESSAGE_CHARS: Final = 1000
"""SMSC's limit on the text of one message."""


class Translit(enum.IntEnum):
    """How SMSC transliterates Cyrillic text (``translit``)."""

    NONE = 0
    """Send the text as it is."""
    TRANSLIT = 1
    """Latin transliteration (``translit``)."""
    LOOKALIKE = 2
    """Latin lookalike letters (``mpaHc/Iut``)."""


class Voice(enum.StrEnum):
    """Text-to-speech voices for voice messages (``voice``)."""

    MALE = "m"
    """Male voice (SMSC's default)."""
    MALE_2 = "m2"
    """Second male voice."""
    FEMALE = "w"
    """Female voice."""
    FEMALE_2 = "w2"
    """Second female voice."""


class MessageKind(enum.Enum):
    """Kinds of message send.php can send, each selected by a flag.

    Used by :meth:`SMSCClient.get_cost` to price a kind without sending; each kind also has its
    own send method on the client.
    """

    SMS = "sms"
    """A plain SMS."""
    FLASH = "flash"
    """A flash SMS, shown at once on the screen (``flash=1``)."""
    BINARY = "bin"
    """A binary SMS given as hex (``bin=2``)."""
    WAP_PUSH = "push"
    """A WAP push: link and title (``push=1``)."""
    HLR = "hlr"
    """An HLR lookup: no message, results through status (``hlr=1``)."""
    PING = "ping"
    """An invisible ping SMS to check reachability (``ping=1``)."""
    MMS = "mms"
    """An MMS with files (``mms=1``)."""
    EMAIL = "mail"
    """An e-mail (``mail=1``)."""
    VOICE = "call"
    """A voice call reading the text or playing files (``call=1``)."""
    VIBER = "viber"
    """A Viber message (``viber=1``)."""
    SOCIAL = "soc"
    """A message to social networks (``soc=1``)."""
    TELEGRAM = "tg"
    """A Telegram code message (``tg=1``)."""
    WHATSAPP = "whatsapp"
    """A WhatsApp message (``whatsapp=1``)."""

    @property
    def flags(self) -> dict[str, str]:
        """The send.php fields that select this kind."""
        if self is MessageKind.SMS:
            return {}
        if self is MessageKind.BINARY:
            return {"bin": "2"}
        return {self.value: "1"}


# Kinds whose text is an SMS text with SMSC's 1000-character limit.
_TEXT_LIMITED: Final = frozenset(
    {MessageKind.SMS, MessageKind.FLASH, MessageKind.VIBER, MessageKind.SOCIAL}
)
# Kinds that carry no text at all.
_NO_TEXT: Final = frozenset({MessageKind.HLR, MessageKind.PING})


class SendOptions(TypedDict, total=False):
    """Options every send method takes as keyword arguments (send.php parameters).

    All are optional. Times use Python types and are encoded the way SMSC reads them.
    """

    sender: str
    """Sender name shown on the handset (registered in SMSC); ``""`` turns the default off."""
    translit: Translit | int | bool
    """Transliterate Cyrillic text (:class:`Translit`; ``True`` means ``TRANSLIT``)."""
    tinyurl: bool
    """Replace links by short links (click tracking)."""
    time: datetime | timedelta | str
    """When to send: an aware datetime (exact instant), a naive datetime (in ``tz``, else the
    account's zone), a timedelta from now (whole minutes), or SMSC's own text (e.g. ``"9-18"``)."""
    tz: int
    """Time zone of a naive ``time`` in hours relative to Moscow (``0`` = Moscow)."""
    period: timedelta | float
    """Spread a mass send over this time (0.1 to 720 hours; a float is hours). Needs ``freq``."""
    freq: timedelta | int
    """Interval between portions of a spread send (1 to 1440 minutes; an int is minutes)."""
    valid: timedelta | int
    """Lifetime of the message (1 minute to 24 hours; an int is hours)."""
    maxsms: int
    """Largest number of parts a long text may be split into (the rest is cut)."""
    id: int | str
    """Your own message id (int 1..2147483647 or up to 40 of ``A-Z a-z 0-9 . - _``); by default
    the client assigns a random one, so that a lost answer can be checked through status."""
    op: bool
    """Add per-number details (operator code, price, problems) to the answer."""
    err: bool
    """Add the numbers that failed, with their errors, to the answer."""
    with_cost: bool
    """Return the price of the send (``cost=2``)."""
    with_balance: bool
    """Return the price and the new balance (``cost=3``)."""
    fileurl: str
    """Full URL of a file SMSC fetches and attaches (e.g. a Viber picture)."""
    userip: str
    """The end user's IP address, for the per-IP limits set in the SMSC cabinet."""
    imgcode: str
    """A captcha answer, checked together with ``userip``."""
    pp: str
    """Partner id that the account becomes a referral of."""


_OPTION_NAMES: Final = frozenset(SendOptions.__annotations__)

Attachment = tuple[str, bytes] | Path
"""A file for MMS, e-mail or voice: a ``(filename, content)`` pair or a path to read."""

_ID_TEXT: Final = re.compile(r"[A-Za-z0-9._-]{1,40}")
_PHONE_SEPARATORS: Final = re.compile(r"[,;\r\n]")


def new_message_id() -> str:
    """Return a fresh client message id: 24 random hex characters (96 bits), never all digits.

    An id of digits only reads as a number at SMSC, and 24 digits are out of its range (one
    random id in about 79,000 would be), so such a draw is made again.
    """
    while True:
        value = secrets.token_hex(12)
        if not value.isdigit():
            return value


def check_unicode(name: str, value: str) -> str:
    """Refuse a text that cannot be sent as UTF-8 (a lone surrogate), before any request.

    Raises:
        ValueError: naming the position of the first character that cannot be encoded.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} holds a character that is not text (a lone surrogate, "
            f"U+{ord(value[exc.start]):04X} at position {exc.start}); remove it or decode the "
            "text properly"
        ) from None
    return value


# A recipient of a phone kind: digits with an optional "+" and the usual separators, or a
# contact group "G<number>" (smsc-api.md §5.1, `phones`).
_PHONE_RECIPIENT: Final = re.compile(r"\+?(?=[^0-9]*[0-9])[0-9(][0-9 ()\-.]*|[Gg][0-9]+")
_EMAIL_RECIPIENT: Final = re.compile(r"[^@\s]+@[^@\s]+|[Gg][0-9]+")
_ANY_RECIPIENT: Final = frozenset({"tg", "soc"})  # Telegram nicknames and #IDs; networks' ids


def check_recipients(recipients: str, kind: MessageKind) -> str:
    """Check each recipient of a joined list for ``kind`` and return the list.

    Phone kinds take numbers (``+`` optional, spaces, dashes, dots and brackets allowed) or a
    contact group ``G<number>``; e-mail takes addresses; Telegram and social networks take what
    SMSC resolves itself (nicknames, ``#ID``).

    Raises:
        ValueError: naming the first recipient that cannot be one.
    """
    if kind.value in _ANY_RECIPIENT:
        return recipients
    pattern = _EMAIL_RECIPIENT if kind is MessageKind.EMAIL else _PHONE_RECIPIENT
    for item in recipients.split(","):
        if not pattern.fullmatch(item):
            what = "an e-mail address" if kind is MessageKind.EMAIL else "a phone number"
            raise ValueError(f"recipient {item!r} is not {what} (or a group G<number>)")
    return recipients


# Sender names on handsets: up to 11 Latin letters, digits, spaces and symbols, or up to 15
# digits (smsc-api.md §5.1, `sender`); "" or "." switch the account's default off.
_SENDER_TEXT: Final = re.compile(r"[\x20-\x7e]{1,11}")
_SENDER_DIGITS: Final = re.compile(r"\+?[0-9]{1,15}")
_SENDER_OTHER_MAX: Final = 64  # messengers' sender names: not documented; a generous bound


def check_sender(sender: str, kind: MessageKind) -> str:
    """Check a ``sender`` option against SMSC's rules for ``kind`` and return it.

    Raises:
        ValueError: saying what a sender of this kind may hold.
    """
    check_unicode("sender", sender)
    if any(ch < " " or ch == "\x7f" for ch in sender):
        raise ValueError("sender holds a control character (a line break?); remove it")
    if sender in ("", "."):
        return sender
    if kind is MessageKind.EMAIL:
        if not _EMAIL_RECIPIENT.fullmatch(sender):
            raise ValueError(f"sender of an e-mail must be an e-mail address, got {sender!r}")
    elif kind.value in _ANY_RECIPIENT or kind in (MessageKind.VIBER, MessageKind.WHATSAPP):
        if len(sender) > _SENDER_OTHER_MAX:
            raise ValueError(f"sender has {len(sender)} characters; at most {_SENDER_OTHER_MAX}")
    elif not (_SENDER_DIGITS.fullmatch(sender) or _SENDER_TEXT.fullmatch(sender)):
        raise ValueError(
            f"sender {sender!r} is not a sender name: up to 11 Latin letters, digits, spaces "
            "and symbols, or up to 15 digits"
        )
    return sender


_ID_LIMIT: Final = 2**63 - 1  # SMSC's own ids may pass 32 bits; a status id stays under 64


def validate_status_id(value: object) -> str:
    """Check the id of a message to look up (yours or SMSC's) and return it as sent.

    Raises:
        TypeError: not an int or a str.
        ValueError: not a positive number below 2**63 nor 1 to 40 of A-Z a-z 0-9 . - _.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"id must be a message id (int or str), not {type(value).__name__}")
    text = str(value).strip()
    if isinstance(value, int) or re.fullmatch(r"[+-]?[0-9]+", text):  # a number, as SMSC reads it
        if not 1 <= int(text) <= _ID_LIMIT:
            raise ValueError(f"id {value!r} is out of range: a message id is 1 or more")
        return text
    if not _ID_TEXT.fullmatch(text):
        raise ValueError(
            f"id {value!r} is not a message id: use a number or 1 to 40 characters of "
            "A-Z a-z 0-9 . - _"
        )
    return text


def validate_message_id(value: object) -> int | str:
    """Check a client message id and return it.

    Raises:
        TypeError: not an int or a str.
        ValueError: out of SMSC's range or alphabet.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"message id must be an int or a str, not {type(value).__name__}")
    if isinstance(value, int):
        if not 1 <= value <= 2_147_483_647:
            raise ValueError(f"message id {value} is out of range: use 1..2147483647")
        return value
    if not _ID_TEXT.fullmatch(value):
        raise ValueError(
            f"message id {value!r} is not valid: use 1 to 40 characters of A-Z a-z 0-9 . - _"
        )
    if value.isdigit() and not 1 <= int(value) <= 2_147_483_647:
        raise ValueError(
            f"message id {value!r} reads as a number out of SMSC's range: use 1..2147483647, "
            "or put a letter in it"
        )
    return value


def join_phones(phones: str | Sequence[str], *, what: str = "phones") -> str:
    """Normalise recipients to SMSC's comma-separated list.

    Args:
        phones: One recipient, a comma/semicolon separated string, or a sequence of recipients.
        what: Name used in error messages.

    Returns:
        Recipients joined by commas, blanks removed.

    Raises:
        TypeError: ``phones`` is neither a str nor a sequence of str.
        ValueError: no recipient, or an empty one.
    """
    if isinstance(phones, str):
        items = [p.strip() for p in _PHONE_SEPARATORS.split(phones)]
        items = [p for p in items if p]
    elif isinstance(phones, Sequence):
        items = []
        for p in phones:
            if not isinstance(p, str):
                raise TypeError(f"{what} must be strings, got {type(p).__name__}: {p!r}")
            stripped = p.strip()
            if not stripped:
                raise ValueError(f"{what} contains an empty entry; remove it")
            if _PHONE_SEPARATORS.search(stripped):
                raise ValueError(f"{what} entry {p!r} holds a separator; pass one recipient each")
            items.append(stripped)
    else:
        raise TypeError(f"{what} must be a str or a sequence of str, not {type(phones).__name__}")
    if not items:
        raise ValueError(f"{what} is empty; give at least one recipient")
    return ",".join(items)


def check_text(message: object, kind: MessageKind) -> str:
    """Check a message text for ``kind`` and return it.

    Raises:
        TypeError: the text is not a str.
        ValueError: empty, or longer than SMSC allows.
    """
    if not isinstance(message, str):
        raise TypeError(f"message must be a str, not {type(message).__name__}")
    check_unicode("message", message)
    if kind in _NO_TEXT:
        return message
    if not message:
        raise ValueError("message is empty; give the text to send")
    if kind in _TEXT_LIMITED and len(message) > MAX_MESSAGE_CHARS:
        raise ValueError(
            f"message has {len(message)} characters; SMSC takes at most {MAX_MESSAGE_CHARS}"
        )
    return message


def check_parts(text: str, options: Mapping[str, object], *, what: str = "message") -> None:
    """Refuse a plain SMS text that needs more parts than the ``maxsms`` option allows.

    SMSC would cut such a text to ``maxsms`` parts (smsc-api.md §5.1, ``maxsms``); the client
    refuses it before any request instead, so that nothing is sent cut short. Only for plain
    and flash SMS: other kinds are not split into SMS parts. Parts are counted by
    :func:`~smsc_async.estimate.estimate_message` after the ``translit`` option.

    Raises:
        ValueError: naming the parts needed and the limit.
    """
    if "maxsms" not in options:
        return
    limit = _int_option(options, "maxsms")
    translit = options.get("translit", 0)
    if isinstance(translit, bool):
        translit = int(translit)
    if not isinstance(translit, int) or translit not in (0, 1, 2):
        return  # encode_send_options reports a bad translit
    estimate = estimate_message(text, translit=int(translit))
    if estimate.parts > limit:
        raise ValueError(
            f"{what} takes {estimate.parts} SMS parts ({estimate.units} {estimate.encoding} "
            f"units) but maxsms={limit}; shorten the text or raise maxsms to {estimate.parts}"
        )


def _whole_minutes(delta: timedelta, name: str) -> int:
    seconds = delta.total_seconds()
    if seconds % 60:
        raise ValueError(f"{name}={delta!r} is not a whole number of minutes")
    return int(seconds // 60)


def _encode_time(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            # "0<unix time>" names an instant, so no zone is involved.
            stamp = math.floor(value.timestamp())
            if stamp < 0:
                raise ValueError(f"time {value.isoformat()} is before 1970; give a later time")
            return f"0{stamp}"
        if not 2000 <= value.year <= 2099:  # SMSC's DD.MM.YY has a two-digit year
            raise ValueError(
                f"time {value.isoformat()} is outside 2000-2099; give an aware datetime or a "
                "later time"
            )
        return value.strftime("%d.%m.%y %H:%M")
    if isinstance(value, timedelta):
        minutes = _whole_minutes(value, "time")
        if minutes < 1:
            raise ValueError("time as a timedelta must be at least one minute from now")
        return f"+{minutes}"
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("time is an empty string; leave it out to send now")
        return value
    raise TypeError(f"time must be a datetime, timedelta or str, not {type(value).__name__}")


def _int_option(options: Mapping[str, object], name: str) -> int:
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _in_range(name: str, value: float, low: float, high: float, unit: str) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g} {unit}, got {value:g}")


def _encode_period(value: object) -> str:
    if isinstance(value, timedelta):
        hours = value.total_seconds() / 3600
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        hours = float(value)
    else:
        raise TypeError(f"period must be a timedelta or hours, not {type(value).__name__}")
    _in_range("period", hours, 0.1, 720, "hours")
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def _encode_freq(value: object) -> str:
    if isinstance(value, timedelta):
        minutes = _whole_minutes(value, "freq")
    elif isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        raise TypeError(f"freq must be a timedelta or whole minutes, not {type(value).__name__}")
    _in_range("freq", minutes, 1, 1440, "minutes")
    return str(minutes)


def _encode_valid(value: object) -> str:
    if isinstance(value, timedelta):
        minutes = _whole_minutes(value, "valid")
        _in_range("valid", minutes, 1, 1440, "minutes")
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, int) and not isinstance(value, bool):
        _in_range("valid", value, 1, 24, "hours")
        return str(value)
    raise TypeError(f"valid must be a timedelta or whole hours, not {type(value).__name__}")


def _encode_flag(options: Mapping[str, object], name: str) -> str:
    value = options[name]
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return "1" if value else "0"


def _text_option(options: Mapping[str, object], name: str) -> str:
    value = options[name]
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def encode_send_options(
    options: Mapping[str, object], *, cost_only: bool = False, kind: MessageKind = MessageKind.SMS
) -> dict[str, str]:
    """Check :class:`SendOptions` and encode them into send.php fields.

    Args:
        options: The keyword options a send method received.
        cost_only: Encoding for a cost request (``with_cost``/``with_balance`` are refused).
        kind: The kind of message, whose rules the ``sender`` must follow.

    Returns:
        The send.php fields, without ``id`` (the caller handles message ids).

    Raises:
        TypeError: an unknown option, or a value of the wrong type.
        ValueError: a value out of SMSC's range.
    """
    check_known(options, _OPTION_NAMES, "send option")
    fields: dict[str, str] = {}
    for name in ("sender", "fileurl", "userip", "imgcode", "pp"):
        if name in options:
            fields[name] = check_unicode(name, _text_option(options, name))
    if "sender" in fields:
        check_sender(fields["sender"], kind)
    for name in ("tinyurl", "op", "err"):
        if name in options:
            fields[name] = _encode_flag(options, name)
    if "translit" in options:
        translit = options["translit"]
        if isinstance(translit, bool):
            translit = Translit.TRANSLIT if translit else Translit.NONE
        if not isinstance(translit, int) or translit not in (0, 1, 2):
            raise ValueError(f"translit must be a Translit (0, 1 or 2), got {translit!r}")
        fields["translit"] = str(int(translit))
    if "time" in options:
        fields["time"] = _encode_time(options["time"])
    if "tz" in options:
        tz = _int_option(options, "tz")
        _in_range("tz", tz, -24, 24, "hours from Moscow")
        fields["tz"] = str(tz)
    if "period" in options:
        if "freq" not in options:
            raise ValueError("period needs freq: SMSC ignores a period without an interval")
        fields["period"] = _encode_period(options["period"])
    if "freq" in options:
        fields["freq"] = _encode_freq(options["freq"])
    if "valid" in options:
        fields["valid"] = _encode_valid(options["valid"])
    if "maxsms" in options:
        maxsms = _int_option(options, "maxsms")
        if maxsms < 1:
            raise ValueError(f"maxsms must be at least 1, got {maxsms}")
        fields["maxsms"] = str(maxsms)
    with_cost = options.get("with_cost", False)
    with_balance = options.get("with_balance", False)
    if cost_only and (with_cost or with_balance):
        raise TypeError("with_cost/with_balance do not apply to a cost request")
    if with_balance:
        fields["cost"] = "3"
    elif with_cost:
        fields["cost"] = "2"
    return fields


def encode_list_line(
    phones: str | Sequence[str], text: object, options: Mapping[str, object] | None = None
) -> tuple[str, str]:
    r"""Check one personalised message and encode it as a line of send.php's ``list=``.

    Returns:
        The recipients joined by commas, and the line ``phones:text`` (a newline inside the text
        written as the two characters ``\n``).

    Raises:
        TypeError: a recipient or the text of the wrong type.
        ValueError: an empty recipient or text, a recipient holding ``:``/``;``, a text too long
            (over 1000 characters, or more SMS parts than ``options["maxsms"]``), or a text
            holding a literal backslash-n that SMSC would turn into a line break.
    """
    joined = join_phones(phones, what="list recipient")
    if ":" in joined or ";" in joined:
        raise ValueError(f"list recipient {phones!r} must not contain ':' or ';'")
    checked = check_text(text, MessageKind.SMS)
    if options is not None:
        check_parts(checked, options, what=f"text for {phones!r}")
    if "\\n" in checked:
        raise ValueError(
            f"text for {phones!r} contains a literal backslash-n, which list= would turn "
            "into a line break; send that message on its own"
        )
    escaped = checked.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return joined, f"{joined}:{escaped}"


def encode_list(
    messages: Mapping[str, str] | Iterable[tuple[str, str]],
    options: Mapping[str, object] | None = None,
) -> tuple[str, str, str]:
    r"""Encode personalised messages for send.php's ``list=`` field.

    Each line is ``phones:text``; a newline inside a text is written as the two characters
    ``\n``, which is how SMSC reads it back.

    Args:
        messages: ``{phone: text}`` or ``(phones, text)`` pairs; ``phones`` may list several
            recipients separated by commas.
        options: The send options, whose ``maxsms`` each text must fit (see
            :func:`check_parts`).

    Returns:
        The encoded list, and the first recipient and its text (used to check the send through
        status.php when its answer is lost).

    Raises:
        ValueError: no messages, an empty recipient or text, a recipient holding ``:``/``;``,
            a text too long, or a text holding a literal backslash-n that SMSC would turn into a
            line break.
    """
    pairs = messages.items() if isinstance(messages, Mapping) else messages
    lines: list[str] = []
    first = first_text = ""
    for phones, text in pairs:
        joined, line = encode_list_line(phones, text, options)
        lines.append(line)
        if not first:
            first, first_text = joined.split(",", 1)[0], text
    if not lines:
        raise ValueError("messages is empty; give at least one (phone, text) pair")
    return "\n".join(lines), first, first_text
