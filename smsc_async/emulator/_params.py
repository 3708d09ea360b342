"""Reading SMSC requests: charset, query and body, multipart files, and field syntax.

The emulator parses requests from its own knowledge of SMSC's parameter names and formats,
never from the client's code, so that a misreading in one is not mirrored in the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, hdrs, web

from ._render import error_text
from ._types import ApiFailure, RecordedFile

__all__ = [
    "DEFAULT_CODEC",
    "MOSCOW",
    "ParsedRequest",
    "charset_label",
    "codec_for",
    "is_set",
    "moscow_date",
    "normalize_recipient",
    "parse_int",
    "parse_message_id",
    "parse_request",
    "parse_send_time",
    "pick_command",
    "split_list",
]

# `charset` values SMSC documents, mapped to Python codec names. An unknown value falls back
# to the default (gap: SMSC's reaction to an unknown charset is not documented).
_CODECS = {
    "windows-1251": "cp1251",
    "cp1251": "cp1251",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "koi8-r": "koi8_r",
    "koi8r": "koi8_r",
}
_LABELS = {"cp1251": "windows-1251", "utf-8": "utf-8", "koi8_r": "koi8-r"}
DEFAULT_CODEC = "cp1251"

# SMSC dates are Moscow time, UTC+3 all year since 2014.
MOSCOW = timezone(timedelta(hours=3), "MSK")

_LIST_SPLIT = re.compile(r"[,;]")
_ID_STRING = re.compile(r"[A-Za-z0-9._-]{1,40}")
_TIME_DDMMYYHHMM = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)")
_TIME_DOTTED = re.compile(r"(\d\d)\.(\d\d)\.(\d\d) (\d\d):(\d\d)")
_TIME_WINDOW = re.compile(r"(\d{1,2})-(\d{1,2})")
_TIME_UNIX = re.compile(r"0(\d+)")
_TIME_PLUS = re.compile(r"\+(\d+)")
_MAX_INT_ID = 2_147_483_647
_PHONE_JUNK = str.maketrans("", "", " -()")


@dataclass(slots=True)
class ParsedRequest:
    """A request's parameters decoded with its charset, plus what came with them."""

    params: dict[str, str]
    query_keys: frozenset[str]
    files: tuple[RecordedFile, ...]
    codec: str
    content_type: str


def codec_for(value: str | None) -> str:
    """Return the Python codec for an SMSC ``charset`` value (default windows-1251)."""
    if not value:
        return DEFAULT_CODEC
    return _CODECS.get(value.strip().lower(), DEFAULT_CODEC)


def charset_label(codec: str) -> str:
    """Return the HTTP charset label for a codec chosen by :func:`codec_for`."""
    return _LABELS[codec]


def _latin1_pairs(raw: str) -> list[tuple[str, str]]:
    # Latin-1 maps every byte to one character, so the values keep their exact bytes
    # until the charset is known; `_transcode` then re-reads them with the right codec.
    return parse_qsl(raw, keep_blank_values=True, encoding="latin-1")


def _transcode(value: str, codec: str) -> str:
    if value.isascii():
        return value
    return value.encode("latin-1").decode(codec, errors="replace")


async def parse_request(request: web.Request) -> ParsedRequest:
    """Read and decode every parameter of an SMSC request.

    Parameters may come partly in the query string and partly in the body
    (``application/x-www-form-urlencoded`` or ``multipart/form-data``); body values win.
    ``charset`` is found first with a Latin-1 parse, then every name and value is decoded
    with it.

    Args:
        request: The aiohttp request.

    Returns:
        The decoded parameters, the query's parameter names, the files and the codec.
    """
    raw_query = request.raw_path.partition("?")[2]
    query = _latin1_pairs(raw_query) if raw_query else []
    merged: dict[str, str] = dict(query)
    files: list[RecordedFile] = []
    content_type = request.content_type if hdrs.CONTENT_TYPE in request.headers else ""
    if request.body_exists:
        if content_type == "multipart/form-data":
            await _read_multipart(request, merged, files)
        else:
            body = await request.read()
            merged.update(_latin1_pairs(body.decode("latin-1")))
    codec = codec_for(merged.get("charset"))
    params = {_transcode(k, codec): _transcode(v, codec) for k, v in merged.items()}
    return ParsedRequest(
        params=params,
        query_keys=frozenset(_transcode(k, codec) for k, _ in query),
        files=tuple(files),
        codec=codec,
        content_type=content_type,
    )


async def _read_multipart(
    request: web.Request, fields: dict[str, str], files: list[RecordedFile]
) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):  # a nested multipart: not SMSC's format
            await part.release()
            continue
        name = part.name or ""
        if part.filename is None:
            fields[name] = bytes(await part.read()).decode("latin-1")
            continue
        size = 0
        while chunk := await part.read_chunk():
            size += len(chunk)
        files.append(
            RecordedFile(
                field=name,
                filename=part.filename,
                size=size,
                content_type=part.headers.get(hdrs.CONTENT_TYPE, ""),
            )
        )


def normalize_recipient(value: str) -> str:
    """Normalise a recipient for storage and lookup.

    Phone numbers lose spaces, dashes, brackets and the leading ``+``; e-mail addresses are
    lowercased; Telegram ``@nick`` and ``#ID`` stay as sent.
    """
    value = value.strip()
    if "@" in value and not value.startswith("@"):
        return value.lower()
    if value.startswith(("@", "#")):
        return value
    return value.translate(_PHONE_JUNK).removeprefix("+")


def split_list(value: str) -> list[str]:
    """Split an SMSC list (``,`` or ``;`` separated), dropping blanks."""
    return [item for raw in _LIST_SPLIT.split(value) if (item := raw.strip())]


def parse_int(value: str | None, default: int, *, lo: int, hi: int) -> int:
    """Parse an integer parameter; absent or empty gives ``default``.

    Raises:
        ApiFailure: Error 1 when the value is not an integer in ``lo..hi``.
    """
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ApiFailure(1, error_text(1)) from None
    if not lo <= number <= hi:
        raise ApiFailure(1, error_text(1))
    return number


def parse_message_id(value: str | None) -> int | str | None:
    """Parse the client message id of send.php.

    An int 1..2147483647 or a string of at most 40 letters, digits, ``.``, ``-``, ``_``.
    Absent, empty or ``0`` means "assign one" (the official PHP library always sends
    ``id=0``). An all-digit value is always read as an int, so ``99999999999`` is an
    error rather than a string id.

    Raises:
        ApiFailure: Error 1 for anything else.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or value == "0":
        return None
    if value.isdigit():
        number = int(value)
        if number > _MAX_INT_ID:
            raise ApiFailure(1, error_text(1))
        return number
    if _ID_STRING.fullmatch(value) is None:
        raise ApiFailure(1, error_text(1))
    return value


def parse_send_time(value: str | None, tz_hours: int, now_unix: float) -> float | None:
    """Parse send.php's ``time``; return the Unix time to send at, or ``None`` for "now".

    Formats: ``DDMMYYhhmm``, ``DD.MM.YY hh:mm``, ``h1-h2`` (hour window), ``0<unix ts>``,
    ``+<minutes>``, ``0``. Wall-clock formats are in Moscow time shifted by ``tz`` hours.
    A time in the past means "now".

    Raises:
        ApiFailure: Error 5 (invalid date format) for anything else.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or value == "0":
        return None
    local = timezone(timedelta(hours=3 + tz_hours))
    try:
        when = _parse_time(value, local, now_unix)
    except (ValueError, OverflowError):
        raise ApiFailure(5, error_text(5, "send.php")) from None
    return when if when > now_unix else None


def _parse_time(value: str, local: timezone, now_unix: float) -> float:
    # Exactly ten digits is DDMMYYhhmm even when it starts with 0 (01.12.23 is "0112..."):
    # "0<unix ts>" is longer for any date after 2001.
    if match := _TIME_DDMMYYHHMM.fullmatch(value) or _TIME_DOTTED.fullmatch(value):
        day, month, year, hour, minute = (int(g) for g in match.groups())
        return datetime(2000 + year, month, day, hour, minute, tzinfo=local).timestamp()
    if match := _TIME_UNIX.fullmatch(value):
        return float(match[1])
    if match := _TIME_PLUS.fullmatch(value):
        return now_unix + 60 * int(match[1])
    if match := _TIME_WINDOW.fullmatch(value):
        first, last = int(match[1]), int(match[2])
        if not (0 <= first <= 24 and 0 <= last <= 24 and first < last):
            raise ValueError(value)
        now = datetime.fromtimestamp(now_unix, local)
        if first <= now.hour < last:
            return now_unix
        start = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=first)
        if now.hour >= last:
            start += timedelta(days=1)
        return start.timestamp()
    raise ValueError(value)


def moscow_date(unix: float) -> str:
    """Format a Unix time the way SMSC shows dates: ``DD.MM.YYYY hh:mm:ss`` Moscow time."""
    return datetime.fromtimestamp(unix, MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def is_set(params: dict[str, str], name: str) -> bool:
    """Tell whether a flag parameter is given and not ``0``/empty."""
    return params.get(name, "").strip() not in ("", "0")


def pick_command(params: dict[str, str], commands: tuple[str, ...]) -> str:
    """Return the one command flag set among ``commands``.

    Raises:
        ApiFailure: error 1 when none or several are set.
    """
    chosen = [name for name in commands if is_set(params, name)]
    if len(chosen) != 1:
        raise ApiFailure(1, "parameters error")
    return chosen[0]
