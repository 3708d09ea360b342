"""Properties: hostile answers and notifications end as the documented errors, never a crash.

Answers (``_wire.decode``/``decode_ok``/``raise_*_error`` and ``_api.decode_answer`` over the
endpoint table) may only raise :class:`~smsc_async.errors.SMSCError` subclasses
(``ResponseDecodeError``, ``APIError``...), and what they decode must be usable (``repr``,
``hash``, the time properties). Notifications may only raise ``CallbackError``, and the aiohttp
handler answers 200 or 400, never 500. Each crash the properties found has an explicit
regression test here (and in tests/test_callbacks.py for the handler).

Examples are derandomized: CI sees the same inputs on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from smsc_async import errors
from smsc_async._api import decode_answer
from smsc_async._endpoints import (
    BALANCE,
    SEND,
    SEND_COST,
    STATUS,
    STATUS_MASS,
    Endpoint,
    endpoint_for_call,
)
from smsc_async._wire import decode_ok, raise_json_error, raise_plain_error
from smsc_async.callbacks import (
    SIGNED_FIELDS,
    CallbackEvent,
    MessageStatusEvent,
    callback_app,
    callback_kind,
    callback_signature,
    parse_callback,
    parse_callback_body,
)
from smsc_async.errors import APIError, CallbackError, ResponseDecodeError, SMSCError
from smsc_async.models import Balance, CostResult, MessageStatus, PhoneDetail, SendResult

SECRET = "s3cret-key"
FAST = settings(max_examples=150, derandomize=True, deadline=None)
NETWORK = settings(max_examples=100, derandomize=True, deadline=None)

ENDPOINTS: tuple[Endpoint[Any], ...] = (
    SEND,
    SEND_COST,
    STATUS,
    STATUS_MASS,
    BALANCE,
    endpoint_for_call("get.php", {"get_messages": "1"}),  # the raw call(): any JSON
)
MODELS: tuple[type[msgspec.Struct], ...] = (
    SendResult,
    CostResult,
    PhoneDetail,
    MessageStatus,
    Balance,
)
FIELD_NAMES = sorted(
    {f.encode_name for model in MODELS for f in msgspec.structs.fields(model)}
    | {"error", "error_code", "id"}
)
HUGE = "9" * 5000  # past int()'s 4300-digit limit
# An error whose unknown field nests past the recursion limit (the probe skips it recursively).
DEEP_ERROR = b'{"error": "x", "error_code": 7, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
# The stdlib email header parser raises IndexError on this Content-Type.
BAD_CONTENT_TYPE = "multipart/form-data; boundary=B;c(b)*"
EMPTY_MULTIPART = b"--B\r\n\r\n\r\n--B--\r\n"
# A validly signed status whose unsigned time is 3 hours before year 1 in UTC.
EARLY_STATUS = {"id": "1", "phone": "7", "status": "1", "time": "01.01.0001 00:00:00"}


# --- hostile JSON ----------------------------------------------------------------------------


class Raw(str):
    """A token written into the JSON text as it is (invalid or extreme number syntax)."""


RAW_TOKENS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e99999999999"]
# Digit runs past int()'s 4300-digit limit (drawn, so failure reports stay readable).
huge_digits = st.integers(4301, 5000).map(lambda n: "9" * n)
TEXTS = [
    "",
    "0",
    "-1",
    " 7 ",
    "1.5",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1E+999999999",
    "²",
    "٣",
    "01.01.0001 00:00:00",
    "31.12.9999 23:59:59",
    "29.02.2023 10:00:00",
]
leaves: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),  # past int64 and float
    st.integers(min_value=-(2**63), max_value=2**64).map(lambda n: n * 1000),
    st.floats(),  # NaN, infinities, -0.0
    st.text(max_size=20),
    st.sampled_from(TEXTS),
    huge_digits,
    st.sampled_from(RAW_TOKENS).map(Raw),
    huge_digits.map(Raw),
    huge_digits.map(lambda d: Raw("-" + d)),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
json_values: st.SearchStrategy[object] = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=25,
)


def objects_of(model: type[msgspec.Struct]) -> st.SearchStrategy[dict[str, object]]:
    """JSON objects with the model's real field names (any subset) and hostile values."""
    names = [f.encode_name for f in msgspec.structs.fields(model)]
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, json_values))


model_objects: st.SearchStrategy[object] = st.one_of(
    *(objects_of(m) for m in MODELS),
    *(st.lists(objects_of(m), max_size=3) for m in MODELS),
    st.builds(lambda o, e: o | e, objects_of(SendResult), objects_of(PhoneDetail)),
    st.fixed_dictionaries(
        {"error_code": json_values}, optional={"error": json_values, "id": json_values}
    ),
)


def dump(value: object, ascii_only: bool) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k, ensure_ascii=ascii_only)}:{dump(v, ascii_only)}"
            for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)  # NaN and Infinity as bare tokens


def as_body(value: object, ascii_only: bool) -> bytes:
    # surrogatepass: a lone surrogate in a text becomes bytes that are not UTF-8.
    return dump(value, ascii_only).encode("utf-8", "surrogatepass")


plain_errors = st.builds(
    lambda code, text, ident: b"ERROR = " + code + text + ident,
    st.one_of(st.integers().map(lambda n: str(n).encode()), huge_digits.map(str.encode)),
    st.one_of(st.just(b""), st.binary(max_size=20).map(lambda b: b" (" + b + b")")),
    st.one_of(
        st.just(b""),
        huge_digits.map(lambda d: b", ID - " + d.encode()),
        st.from_regex(rb"[\w.\-]{1,50}", fullmatch=True).map(lambda b: b", ID - " + b),
    ),
)
bodies: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=200),
    st.builds(as_body, json_values, st.booleans()),
    st.builds(as_body, model_objects, st.booleans()),
    plain_errors,
    st.sampled_from([b"[" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000]),  # too deep
)


def use(result: object) -> None:
    """Touch what a user touches: repr, hash of frozen results, the time and state properties."""
    repr(result)
    if isinstance(result, list):
        for item in result:
            use(item)
        return
    if isinstance(result, msgspec.Struct):
        hash(result)
    if isinstance(result, MessageStatus):
        for when in (result.last_time, result.send_time):
            assert when is None or when.tzinfo is UTC
        _ = (result.is_hlr, result.status.name, result.status.is_final, result.status.is_settled)


def answer_outcomes(body: bytes) -> None:
    for endpoint in ENDPOINTS:
        try:
            result = decode_answer(endpoint, body)
        except (ResponseDecodeError, APIError) as exc:
            str(exc)  # the error itself prints
        else:
            use(result)
    checks: tuple[Callable[[str, bytes], None], ...] = (
        decode_ok,
        raise_json_error,
        raise_plain_error,
    )
    for check in checks:
        try:
            check("send.php", body)
        except (ResponseDecodeError, APIError) as exc:
            str(exc)


@FAST
@given(bodies)
@example(b"ERROR = " + HUGE.encode())
@example(b"ERROR = 1 (x), ID - " + HUGE.encode())
@example(b'{"error": "x", "error_code": 1, "id": "' + HUGE.encode() + b'"}')
@example(b'{"error": "x", "error_code": 1, "id": "\xc2\xb2"}')
@example(b"[" * 100_000)
@example(DEEP_ERROR)
@example(b'{"status": 1, "last_timestamp": 253402300800, "send_date": "01.01.0001 00:00:00"}')
@example(b'{"id": 1, "cost": "sNaN"}')
def test_answers_raise_only_documented_errors(body: bytes) -> None:
    answer_outcomes(body)


@FAST
@given(st.sampled_from(MODELS).flatmap(objects_of), st.booleans())
def test_model_shaped_answers(obj: dict[str, object], ascii_only: bool) -> None:
    answer_outcomes(as_body(obj, ascii_only))
    answer_outcomes(as_body([obj, obj], ascii_only))


# --- regressions the properties found: answers -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "message_id"),
    [
        # int() of more than 4300 digits raised ValueError.
        (b"ERROR = " + HUGE.encode(), ResponseDecodeError, None),
        (b"ERROR = 7 (bad), ID - " + HUGE.encode(), errors.InvalidPhoneError, HUGE),
        (b'{"error": "x", "error_code": 7, "id": "' + HUGE.encode() + b'"}', APIError, HUGE),
        # "²" is a digit to str.isdigit() but not to int().
        ('{"error": "x", "error_code": 7, "id": "²"}'.encode(), APIError, "²"),
        (b'{"error": "x", "error_code": 7, "id": "42"}', APIError, 42),
        # msgspec raises RecursionError past the interpreter's recursion limit.
        (b'{"id": 1, "x": ' + b"[" * 100_000, ResponseDecodeError, None),
        (DEEP_ERROR, ResponseDecodeError, None),
    ],
)
def test_hostile_error_bodies(body: bytes, error: type[SMSCError], message_id: object) -> None:
    with pytest.raises(error) as info:
        decode_answer(SEND, body)
    if isinstance(info.value, APIError):
        assert info.value.message_id == message_id
        assert info.value.code == 7


@pytest.mark.parametrize(
    ("field", "stamp", "date", "expected"),
    [
        # Unix times a datetime cannot hold: year 10000, before year 1, past time_t, int64 max.
        ("last", 253402300800, None, None),
        ("last", -62135596801, None, None),
        ("last", 10**30, None, None),
        ("last", 2**63 - 1, None, None),
        ("send", 253402300800, None, None),
        # An unusable Unix time falls back on the date text.
        ("last", 10**30, "01.02.2024 10:00:00", datetime(2024, 2, 1, 7, 0, tzinfo=UTC)),
        # Moscow dates: year 1 before 03:00 is before year 1 in UTC; the edges that fit do.
        ("last", None, "01.01.0001 00:00:00", None),
        ("send", None, "01.01.0001 02:59:59", None),
        ("last", None, "01.01.0001 03:00:00", datetime(1, 1, 1, tzinfo=UTC)),
        ("send", None, "31.12.9999 23:59:59", datetime(9999, 12, 31, 20, 59, 59, tzinfo=UTC)),
        ("last", 253402300799, None, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_status_times_out_of_range_are_unknown(
    field: str, stamp: int | None, date: str | None, expected: datetime | None
) -> None:
    answer = {"status": 1, f"{field}_timestamp": stamp, f"{field}_date": date}
    one = decode_answer(STATUS, json.dumps(answer).encode())
    [listed] = decode_answer(STATUS_MASS, json.dumps([answer]).encode())
    for status in (one, listed):
        assert (status.last_time if field == "last" else status.send_time) == expected


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        (BALANCE, b'{"balance": "NaN"}'),
        (BALANCE, b'{"balance": "1.00", "credit": "-Infinity"}'),
        (SEND, b'{"id": 1, "cost": "sNaN"}'),  # hash() of an sNaN raises TypeError
        (SEND, b'{"id": 1, "phones": [{"phone": "7", "cost": "Infinity"}]}'),
        (SEND_COST, b'{"cost": "nan", "cnt": 1}'),
        (STATUS_MASS, b'[{"status": 1}, {"status": 1, "cost": "NaN"}]'),
    ],
)
def test_non_finite_money_is_refused(endpoint: Endpoint[Any], body: bytes) -> None:
    with pytest.raises(ResponseDecodeError, match="not a finite amount"):
        decode_answer(endpoint, body)


def test_finite_money_still_decodes() -> None:
    result = decode_answer(SEND, b'{"id": 1, "cost": "1E+400", "balance": -0.5}')
    assert (result.cost, result.balance) == (Decimal("1E+400"), Decimal("-0.5"))
    hash(result)
    with pytest.raises(ValueError, match="not a finite amount"):
        Balance(balance=Decimal("NaN"))


# --- notifications ---------------------------------------------------------------------------


def moscow(day: int, month: int, year: int, hour: int, minute: int, second: int) -> str:
    return f"{day:02d}.{month:02d}.{year:04d} {hour:02d}:{minute:02d}:{second:02d}"


times = st.one_of(
    st.builds(
        moscow,
        st.integers(0, 32),
        st.integers(0, 13),
        st.sampled_from([0, 1, 2, 1970, 2024, 9999]),
        st.integers(0, 24),
        st.integers(0, 60),
        st.integers(0, 61),
    ),
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(["01.01.0001 00:00:00", "31.12.9999 23:59:59", "0", "٣", "²"]),
    huge_digits,
)
values = st.one_of(st.text(max_size=12), st.integers().map(str), st.sampled_from(TEXTS), times)
FORM_NAMES = ["id", "phone", "status", "err", "type", "flag", "cnt", "ts", "time", "sent"]
FORM_NAMES += ["mes", "to", "sms_id", "waitcall", "md5"]
# Well-formed notifications of each kind, to which hostile values are then applied: most
# examples get past the signature and the required fields to the parsing of every field.
BASES = [
    {"id": "42", "phone": "79991234567", "status": "1", "ts": "1700000003"},
    {"phone": "79990001122", "mes": "Привет", "to": "79010000000", "sent": "1700000010"},
    {"waitcall": "1", "phone": "79991234567", "ts": "1700000020"},
]
forms = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(FORM_NAMES), st.text(max_size=5)), values),
    st.builds(
        lambda base, hostile, extra: base | hostile | extra,
        st.sampled_from(BASES),
        st.dictionaries(st.sampled_from(FORM_NAMES[:-1]), values, max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    ),
)
charsets = st.sampled_from(["windows-1251", "utf-8", "koi8-r"])


def signed(form: Mapping[str, str], charset: str) -> dict[str, str]:
    """The form signed with SECRET (when its signed fields can be written in ``charset``)."""
    out = dict(form)
    with contextlib.suppress(CallbackError):  # then it goes unsigned
        out["md5"] = callback_signature(out, SECRET, charset=charset)
    return out


def check_event(event: CallbackEvent, fields: Mapping[str, str]) -> None:
    kind = callback_kind(fields)
    assert event.kind is kind
    # The key is the kind and the signed fields as received: nothing unsigned.
    assert event.key == (kind.value, *(fields.get(n, "") for n in SIGNED_FIELDS[kind]))
    hash(event.key)
    repr(event)
    if isinstance(event, MessageStatusEvent):
        _ = event.changed_at


@FAST
@given(forms, charsets, st.booleans())
@example(EARLY_STATUS, "utf-8", True)
@example({"phone": "7", "mes": "x", "sent": "01.01.0001 00:00:00"}, "windows-1251", True)
@example({"waitcall": "1", "phone": "7", "ts": "01.01.0001 02:59:59"}, "koi8-r", True)
def test_parse_callback_only_callback_errors(
    form: dict[str, str], charset: str, sign: bool
) -> None:
    fields = signed(form, charset) if sign else form
    try:
        parsed = parse_callback(fields, secret=SECRET, charset=charset)
    except CallbackError as exc:
        event(f"refused: {type(exc).__name__}")
        str(exc)
    else:
        event("parsed")
        check_event(parsed, fields)


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes) -> bytes:
    out = b"".join(
        b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + value + b"\r\n" for head, value in parts
    )
    return out + b"--" + boundary + b"--\r\n"


part_heads = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda n: b'Content-Disposition: form-data; name="' + n + b'"', st.binary(max_size=12)
    ),
    st.builds(
        lambda n, c: (
            b'Content-Disposition: form-data; name="'
            + n
            + b'"\r\nContent-Type: text/plain; charset='
            + c
        ),
        st.sampled_from([b"id", b"phone", b"mes", b"x"]),
        st.one_of(
            st.sampled_from([b"quopri", b"undefined", b"punycode", b"base64", b"a\x00", b"utf-8"]),
            st.binary(max_size=10),
        ),
    ),
    st.builds(
        lambda n, enc: (
            b"Content-Disposition: form-data; name*=" + n + b"\r\nContent-Transfer-Encoding: " + enc
        ),
        st.binary(max_size=20),
        st.sampled_from([b"base64", b"quoted-printable", b"x-uuencode", b"8bit"]),
    ),
)
content_types = st.one_of(
    st.just("application/x-www-form-urlencoded"),
    st.just("multipart/form-data; boundary=B"),
    st.builds(lambda t: "multipart/form-data; boundary=B" + t, st.text(max_size=20)),
    st.builds(lambda t: "multipart/form-data;" + t, st.text(max_size=20)),
    st.text(max_size=40),
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(
        multipart,
        st.lists(st.tuples(part_heads, st.binary(max_size=30)), max_size=4),
        st.just(b"B"),
    ),
    st.builds(
        lambda form, charset: urlencode(signed(form, charset), encoding="utf-8").encode(),
        forms,
        charsets,
    ),
)
# A part whose charset label names a codec that decodes no text (LookupError in bytes.decode).
BAD_PART = b'Content-Disposition: form-data; name="mes"\r\nContent-Type: text/plain; charset=quopri'
BAD_MULTIPART = multipart([(BAD_PART, b"x")], b"B")


@FAST
@given(raw_bodies, content_types, charsets)
@example(EMPTY_MULTIPART, BAD_CONTENT_TYPE, "windows-1251")
@example(BAD_MULTIPART, "multipart/form-data; boundary=B", "utf-8")
def test_parse_callback_body_only_callback_errors(
    body: bytes, content_type: str, charset: str
) -> None:
    try:
        parse_callback_body(
            body, secret=SECRET, content_type=content_type, charset=charset, max_body=4096
        )
    except CallbackError as exc:
        str(exc)


# --- the aiohttp handler over real HTTP on loopback ------------------------------------------


class Hook:
    """callback_app mounted at /smsc on 127.0.0.1, a client session, and the events received."""

    def __init__(self) -> None:
        self.events: list[CallbackEvent] = []
        self.app = web.Application()
        self.app.add_subapp("/smsc", callback_app(self.keep, secret=SECRET, max_body=MAX_BODY))
        self.stack = contextlib.AsyncExitStack()
        self.url = ""

    async def keep(self, event: CallbackEvent) -> None:
        self.events.append(event)

    async def __aenter__(self) -> Hook:
        server = await self.stack.enter_async_context(TestServer(self.app, host="127.0.0.1"))
        self.http = await self.stack.enter_async_context(aiohttp.ClientSession())
        self.url = str(server.make_url("/smsc"))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stack.aclose()

    async def post(self, body: bytes, content_type: str | None) -> tuple[int, str]:
        headers = {} if content_type is None else {"Content-Type": content_type}
        skip = () if content_type is None else ("Content-Type",)
        async with self.http.post(
            self.url, data=body, headers=headers, skip_auto_headers=skip
        ) as resp:
            return resp.status, await resp.text()


MAX_BODY = 2048
# Forms signed and encoded in the account charset (windows-1251), as SMSC posts them.
account_forms = st.builds(
    lambda form: urlencode(
        signed(form, "windows-1251"), encoding="cp1251", errors="replace"
    ).encode(),
    forms,
)
oversized = st.binary(min_size=MAX_BODY + 1, max_size=MAX_BODY + 50)

# Header values aiohttp's client agrees to send (it refuses control characters but tab).
header_values = st.one_of(
    st.none(),
    content_types.filter(lambda t: all(c == "\t" or " " <= c != "\x7f" for c in t)),
)


def test_handler_never_answers_500() -> None:
    # One server and one session for every example, on a loop of the test's own kept across
    # examples, so each example costs one request on loopback. The loop is not made the
    # thread's current loop: replacing the one the looptime plugin set would leak it.
    loop = asyncio.new_event_loop()
    try:
        hook = loop.run_until_complete(Hook().__aenter__())
        try:

            @NETWORK
            @given(
                body=st.one_of(raw_bodies, account_forms, oversized),
                content_type=header_values,
            )
            @example(
                body=urlencode(signed(EARLY_STATUS, "windows-1251")).encode(),
                content_type="application/x-www-form-urlencoded",
            )
            @example(body=EMPTY_MULTIPART, content_type=BAD_CONTENT_TYPE)
            @example(body=BAD_MULTIPART, content_type="multipart/form-data; boundary=B")
            def check(body: bytes, content_type: str | None) -> None:
                before = len(hook.events)
                status, text = loop.run_until_complete(hook.post(body, content_type))
                assert status in (200, 400), (status, text)
                event(f"HTTP {status}")
                assert len(hook.events) == before + (status == 200)
                assert text == "ok" if status == 200 else text  # 400 says why
                assert SECRET not in text

            check()
        finally:
            loop.run_until_complete(hook.__aexit__(None, None, None))
    finally:
        loop.close()


def test_history_and_export_times_out_of_range_are_unknown() -> None:
    from smsc_async._export_files import ExportTask
    from smsc_async.history import SentMessage

    far = 253_402_300_800  # the first second of year 10000
    message = msgspec.convert(
        {"status": 1, "id": 1, "phone": "7999", "last_timestamp": far, "send_timestamp": -(10**18)},
        SentMessage,
    )
    assert message.last_time is None
    assert message.send_time is None
    task = msgspec.convert({"id": 1, "created": str(far), "time": "²"}, ExportTask)
    assert task.created_time is None
    assert task.start_time is None
