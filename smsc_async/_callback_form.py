"""Decoding of the form bodies SMSC posts to callback URLs (see :mod:`smsc_async.callbacks`)."""

from __future__ import annotations

import codecs
from email import policy
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from urllib.parse import parse_qsl

from .errors import CallbackError

__all__ = ["decode_form", "shown"]

_MAX_FIELDS = 100
_SHOWN = 40  # characters of a bad value quoted in an error message


def shown(value: object) -> str:
    """Quote a value for an error message, cut to a few dozen characters."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def decode_form(body: bytes, content_type: str, codec: str, max_body: int) -> dict[str, str]:
    """Decode a urlencoded or multipart form in ``codec`` into one text value per field.

    Raises:
        CallbackError: Not bytes, larger than ``max_body``, malformed, a field repeated, or
            bytes that are not text in the charset.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise CallbackError(f"the body must be bytes, not {type(body).__name__}")
    if len(body) > max_body:
        raise CallbackError(f"the body is larger than {max_body} bytes")
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        pairs = _multipart_pairs(bytes(body), content_type, codec)
    else:
        pairs = _urlencoded_pairs(bytes(body), codec)
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise CallbackError(f"field {shown(name)} appears more than once")
        fields[name] = value
    return fields


def _urlencoded_pairs(body: bytes, codec: str) -> list[tuple[str, str]]:
    # Latin-1 keeps every byte as one character, so percent-escapes and raw bytes both survive
    # until the text is decoded, strictly, in the account charset.
    try:
        pairs = parse_qsl(
            body.decode("latin-1"),
            keep_blank_values=True,
            encoding="latin-1",
            max_num_fields=_MAX_FIELDS,
        )
    except ValueError as exc:
        raise CallbackError(f"malformed form body: {exc}") from None
    return [
        (_decode(k.encode("latin-1"), codec), _decode(v.encode("latin-1"), codec)) for k, v in pairs
    ]


def _multipart_pairs(body: bytes, content_type: str, codec: str) -> list[tuple[str, str]]:
    try:
        header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    except UnicodeEncodeError:
        raise CallbackError("malformed multipart Content-Type") from None
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart() or message.defects:
        raise CallbackError("malformed multipart body")
    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        if len(pairs) >= _MAX_FIELDS:
            raise CallbackError(f"more than {_MAX_FIELDS} fields")
        raw_name = part.get_param("name", header="content-disposition")
        if raw_name is None or part.get_filename() is not None:
            continue  # not a form field (a file has no place in a notification)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise CallbackError("malformed multipart part")
        part_codec = codec
        if declared := part.get_content_charset():
            try:
                part_codec = codecs.lookup(declared).name
            except LookupError:
                raise CallbackError(f"unknown charset {shown(declared)} in a part") from None
        pairs.append((collapse_rfc2231_value(raw_name), _decode(payload, part_codec)))
    return pairs


def _decode(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise CallbackError(f"the body is not valid {codec} text (check charset=)") from None
