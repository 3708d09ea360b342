"""Wire format: request values to form fields, response bytes to results or errors. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final, TypeVar

import msgspec

from .errors import ResponseDecodeError, api_error_class

__all__ = [
    "FormValue",
    "decode",
    "decode_ok",
    "encode_form",
    "encode_value",
    "raise_json_error",
    "raise_plain_error",
]

T = TypeVar("T")

FormValue = str | int | Decimal | bool | Sequence[str] | None
"""What a form field may be given as before encoding."""


def encode_value(value: FormValue) -> str | None:
    """Encode one value the way SMSC reads it; ``None`` means "leave the field out".

    aiohttp would send ``True`` as ``"True"`` and ``None`` as ``"None"``; SMSC wants ``1``/``0``
    and an absent field.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, Sequence):
        return ",".join(value)
    raise TypeError(f"cannot send a {type(value).__name__} as a form value")


def encode_form(params: Mapping[str, FormValue]) -> dict[str, str]:
    """Encode a mapping of parameters into form fields, dropping ``None`` values."""
    out: dict[str, str] = {}
    for name, value in params.items():
        encoded = encode_value(value)
        if encoded is not None:
            out[name] = encoded
    return out


class _ErrorProbe(msgspec.Struct, frozen=True):
    error: str = ""
    error_code: int | None = None
    id: int | str | None = None


_probe_decoder: Final = msgspec.json.Decoder(_ErrorProbe, strict=False)
# A code of more than 9 digits is no SMSC error: such a body is "not JSON" (and int() of
# thousands of digits would raise ValueError).
_PLAIN_ERROR: Final = re.compile(
    rb"\s*ERROR\s*=\s*(-?\d{1,9})\s*(?:\((.*?)\))?\s*(?:,\s*ID\s*-\s*([\w.\-]+))?\s*$", re.DOTALL
)
_PREFIX = 200
_MAX_ID_DIGITS: Final = 40  # the longest message id the client sends (params._ID_TEXT)
# What a decoder raises on a body that is no answer: msgspec raises RecursionError (not a
# DecodeError) on JSON nested deeper than the interpreter's recursion limit.
_UNDECODABLE: Final = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    UnicodeDecodeError,
    RecursionError,
)


def _message_id(raw: int | str | bytes | None) -> int | str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    # Digits read back as the int they were sent as; "0042" stays text, as it was sent. Only
    # ASCII digits ("²" is a digit to isdigit() but not to int()), and no more than an id can
    # have (int() refuses thousands of digits): anything else stays text.
    if (
        isinstance(raw, str)
        and raw.isascii()
        and raw.isdigit()
        and not raw.startswith("0")
        and len(raw) <= _MAX_ID_DIGITS
    ):
        return int(raw)
    return raw


def raise_plain_error(script: str, body: bytes) -> None:
    """Raise the :class:`APIError` for a plain-text ``ERROR = N (text)`` body, if it is one.

    Some scripts answer in this form even when JSON was asked for.
    """
    match = _PLAIN_ERROR.match(body)
    if match is None:
        return
    code = int(match.group(1))
    text = (match.group(2) or b"").decode("utf-8", "replace").strip()
    raise api_error_class(script, code)(
        code, text, script=script, message_id=_message_id(match.group(3))
    )


def raise_json_error(script: str, body: bytes) -> None:
    # Probe only bodies that can hold an error: the substring test keeps the hot path to one
    # parse. Decoding as success first would be wrong: an error body decodes "successfully"
    # into a model whose fields are all optional.
    if b'"error' not in body:
        return
    try:
        probe = _probe_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        # Not an object with an error (or nested too deep for msgspec, which raises
        # RecursionError): the caller's decoder reports the real problem.
        return
    if probe.error_code is not None:
        code = probe.error_code
        raise api_error_class(script, code)(
            code, probe.error, script=script, message_id=_message_id(probe.id)
        )


def decode(script: str, body: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    """Decode a ``fmt=3`` body into the endpoint's result, or raise the error it carries.

    Args:
        script: Script that answered, for error messages.
        body: The raw body.
        decoder: The endpoint's prepared decoder.

    Returns:
        The decoded result.

    Raises:
        APIError: (a subclass chosen by script and code) when the body is an SMSC error.
        ResponseDecodeError: when the body is neither.
    """
    start = body.lstrip()[:1]
    if start == b"{":
        raise_json_error(script, body)
    elif start != b"[":
        raise_plain_error(script, body)
        # The whole body: the error scrubs credentials an echo holds before cutting its prefix.
        raise ResponseDecodeError("not JSON", script=script, body_prefix=body)
    try:
        return decoder.decode(body)
    except _UNDECODABLE as exc:
        raise ResponseDecodeError(str(exc), script=script, body_prefix=body) from exc


_ok_decoder: Final = msgspec.json.Decoder(dict[str, object])


def decode_ok(script: str, body: bytes) -> None:
    """Check the answer of a command that returns only success (``{"result": "OK"}``, ``OK``).

    Raises:
        APIError: when the body is an SMSC error.
        ResponseDecodeError: when the body is neither an error nor a success.
    """
    stripped = body.strip()
    if stripped.upper() == b"OK":
        return
    answer = decode(script, body, _ok_decoder)
    if "error" in answer:
        raise ResponseDecodeError("an error without a code", script=script, body_prefix=body)
