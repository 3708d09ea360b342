"""Rendering answers in SMSC's four formats (``fmt``) and the common error envelope."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

__all__ = [
    "CONTENT_TYPES",
    "ERROR_TEXTS",
    "FMT_CSV",
    "FMT_JSON",
    "FMT_TEXT",
    "FMT_XML",
    "error_text",
    "money",
    "parse_fmt",
    "render_error",
    "render_id",
    "render_ok",
    "render_record",
    "render_records",
    "to_json",
    "to_xml",
]

FMT_TEXT, FMT_CSV, FMT_XML, FMT_JSON = 0, 1, 2, 3

CONTENT_TYPES = {
    FMT_TEXT: "text/plain",
    FMT_CSV: "text/plain",
    FMT_XML: "text/xml",
    FMT_JSON: "application/json",
}

# Descriptions sent in error envelopes. SMSC's exact English wording is not captured in our
# reference (gap); these follow the meaning of §3.3. Per-script meanings override below.
ERROR_TEXTS: dict[int, str] = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP address is temporarily blocked",
    5: "invalid date format",
    6: "message is denied",
    7: "invalid phone number format",
    8: "message cannot be delivered",
    9: "duplicate request, wait a minute",
}
_SCRIPT_ERROR_TEXTS: dict[tuple[str, int], str] = {
    ("status.php", 5): "error deleting message",
    ("phones.php", 3): "no records found",
    ("phones.php", 5): "operation execution error",
    ("mails.php", 3): "no records found",
    ("info.php", 3): "operator not found",
}

# Send errors that carry the message id (§5.3).
ERRORS_WITH_ID = frozenset({3, 6, 7, 8})

_CENT = Decimal("0.01")


def error_text(code: int, script: str | None = None) -> str:
    """Return the description SMSC sends with an error code in a script."""
    if script is not None and (text := _SCRIPT_ERROR_TEXTS.get((script, code))):
        return text
    return ERROR_TEXTS.get(code, "error")


def parse_fmt(value: str | None) -> int:
    """Return the answer format asked by ``fmt``; anything unknown means 0 (plain text)."""
    if value is not None and value.strip() in ("1", "2", "3"):
        return int(value)
    return FMT_TEXT


def money(amount: Decimal) -> str:
    """Format money like SMSC: two decimals, e.g. ``"250.80"``."""
    return str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def to_json(value: object) -> str:
    """Serialise a JSON answer (non-ASCII kept as is, encoded later with the charset)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_xml(value: dict[str, object] | list[dict[str, object]], *, item: str = "item") -> str:
    """Serialise an answer as XML under ``<result>``; list elements become ``<item>``.

    fmt=2 is optional for this emulator and its exact element names for lists are not in
    our reference (gap): lists use the element name ``item``.
    """
    if isinstance(value, list):
        inner = "".join(_xml_element(item, element) for element in value)
    else:
        inner = "".join(_xml_element(key, element) for key, element in value.items())
    return f"<?xml version='1.0'?><result>{inner}</result>"


def _xml_element(name: str, value: object) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_element(str(key), element) for key, element in value.items())
    elif isinstance(value, list):
        singular = name.removesuffix("s") or "item"
        inner = "".join(_xml_element(singular, element) for element in value)
    else:
        inner = escape(str(value))
    return f"<{name}>{inner}</{name}>"


def render_error(fmt: int, code: int, text: str, message_id: int | str | None = None) -> str:
    """Render the common error envelope (§3.2) in the asked format.

    Args:
        fmt: The answer format (0..3).
        code: The SMSC error code.
        text: The description.
        message_id: The id for send errors 3, 6, 7, 8; ``None`` otherwise.

    Returns:
        The answer body as text.
    """
    if fmt == FMT_JSON:
        document: dict[str, object] = {"error": text, "error_code": code}
        if message_id is not None:
            document["id"] = message_id
        return to_json(document)
    if fmt == FMT_CSV:
        return f"{message_id if message_id is not None else 0},-{code}"
    if fmt == FMT_XML:
        xml: dict[str, object] = {"error": text, "error_code": code}
        if message_id is not None:
            xml["id"] = message_id
        return to_xml(xml)
    suffix = f", ID - {message_id}" if message_id is not None else ""
    return f"ERROR = {code} ({text}){suffix}"


def render_ok(fmt: int) -> str:
    """Render the success answer of a change or delete (``OK`` / ``{"result": "OK"}``)."""
    if fmt == FMT_JSON:
        return to_json({"result": "OK"})
    if fmt == FMT_XML:
        return "<?xml version='1.0'?><result>OK</result>"
    return "OK"


def render_id(fmt: int, new_id: int | str, *, item: str = "result") -> str:
    """Render the answer of a create command: the id the server assigned."""
    if fmt == FMT_JSON:
        return to_json({"id": new_id})
    if fmt == FMT_XML:
        return f"<?xml version='1.0'?><{item}><id>{escape(str(new_id))}</id></{item}>"
    if fmt == FMT_CSV:
        return str(new_id)
    return f"ID = {new_id}"


def render_records(fmt: int, rows: list[dict[str, object]], *, item: str = "item") -> str:
    """Render a list answer: JSON array, XML list, CSV lines or ``key = value`` lines."""
    if fmt == FMT_JSON:
        return to_json(rows)
    if fmt == FMT_XML:
        inner = "".join(_xml_element(item, row) for row in rows)
        return f"<?xml version='1.0'?><list>{inner}</list>"
    if fmt == FMT_CSV:
        return "\n".join(",".join(_plain(v) for v in row.values()) for row in rows)
    return "\n".join(", ".join(f"{k} = {_plain(v)}" for k, v in row.items()) for row in rows)


def render_record(fmt: int, row: dict[str, object], *, item: str = "result") -> str:
    """Render a one-object answer in the asked format."""
    if fmt == FMT_JSON:
        return to_json(row)
    if fmt == FMT_XML:
        inner = "".join(_xml_element(key, value) for key, value in row.items())
        return f"<?xml version='1.0'?><{item}>{inner}</{item}>"
    if fmt == FMT_CSV:
        return ",".join(_plain(v) for v in row.values())
    return ", ".join(f"{k} = {_plain(v)}" for k, v in row.items())


def _plain(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return to_json(value)
    return str(value)
