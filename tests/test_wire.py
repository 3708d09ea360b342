from decimal import Decimal

import msgspec
import pytest

from smsc_async import errors
from smsc_async._wire import decode, decode_ok, encode_form
from smsc_async.models import Balance, MessageState, MessageStatus, SendResult

SEND = msgspec.json.Decoder(SendResult, strict=False)
STATUS = msgspec.json.Decoder(MessageStatus, strict=False)
STATUSES = msgspec.json.Decoder(list[MessageStatus], strict=False)
BALANCE = msgspec.json.Decoder(Balance, strict=False)


def test_encode_form_explicit_values() -> None:
    assert encode_form(
        {"a": True, "b": False, "c": None, "d": 5, "e": Decimal("1.50"), "f": ["1", "2"], "g": "x"}
    ) == {"a": "1", "b": "0", "d": "5", "e": "1.50", "f": "1,2", "g": "x"}


def test_encode_form_rejects_unknown_types() -> None:
    with pytest.raises(TypeError, match="float"):
        encode_form({"a": 1.5})  # type: ignore[dict-item]


def test_decode_success_lenient_numbers() -> None:
    r = decode("send.php", b'{"id": "abc", "cnt": "2", "cost": 1.2, "balance": "10.50"}', SEND)
    assert r == SendResult(id="abc", cnt=2, cost=Decimal("1.2"), balance=Decimal("10.50"))


def test_decode_ignores_unknown_fields() -> None:
    r = decode("balance.php", b'{"balance": "1.00", "new_field": [1]}', BALANCE)
    assert r.balance == Decimal("1.00")


@pytest.mark.parametrize(
    ("script", "code", "cls"),
    [
        ("send.php", 3, errors.InsufficientFundsError),
        ("phones.php", 3, errors.NotFoundError),
        ("send.php", 5, errors.InvalidDateError),
        ("status.php", 5, errors.OperationFailedError),
        ("balance.php", 2, errors.AuthenticationError),
        ("balance.php", 1, errors.BadRequestError),
        ("status.php", 4, errors.IPBlockedError),
        ("send.php", 6, errors.MessageForbiddenError),
        ("send.php", 7, errors.InvalidPhoneError),
        ("send.php", 8, errors.UndeliverableError),
        ("status.php", 9, errors.ServerRateLimitError),
    ],
)
def test_json_error_mapping(script: str, code: int, cls: type[errors.APIError]) -> None:
    body = b'{"error": "something", "error_code": %d, "id": 77}' % code
    with pytest.raises(cls) as info:
        decode(script, body, SEND)
    assert type(info.value) is cls
    assert info.value.code == code
    assert info.value.text == "something"
    assert info.value.script == script
    assert info.value.message_id == 77


def test_unknown_code_is_plain_api_error() -> None:
    with pytest.raises(errors.APIError) as info:
        decode("send.php", b'{"error": "new", "error_code": 42}', SEND)
    assert type(info.value) is errors.APIError
    assert info.value.code == 42
    assert info.value.message_id is None


@pytest.mark.parametrize(
    ("script", "body", "cls", "text", "mid"),
    [
        (
            "send.php",
            b"ERROR = 2 (invalid login)",
            errors.AuthenticationError,
            "invalid login",
            None,
        ),
        (
            "send.php",
            b"ERROR = 7 (bad number), ID - 12345",
            errors.InvalidPhoneError,
            "bad number",
            12345,
        ),
        (
            "send.php",
            b"ERROR = 3 (no money), ID - ab-c.1",
            errors.InsufficientFundsError,
            "no money",
            "ab-c.1",
        ),
        (
            "send.php",
            b"ERROR = 5 (bad date), ID - 0042",
            errors.InvalidDateError,
            "bad date",
            "0042",
        ),
        ("phones.php", b"ERROR = 3 (no records)", errors.NotFoundError, "no records", None),
        (
            "status.php",
            b"ERROR = 5 (cannot delete)",
            errors.OperationFailedError,
            "cannot delete",
            None,
        ),
        ("templates.php", b"ERROR = 1\n", errors.BadRequestError, "", None),
    ],
)
def test_plain_text_errors(
    script: str, body: bytes, cls: type[errors.APIError], text: str, mid: object
) -> None:
    with pytest.raises(errors.APIError) as info:
        decode(script, body, SEND)
    assert type(info.value) is cls
    assert info.value.code == int(body.split(b"=")[1].split()[0])
    assert info.value.text == text
    assert info.value.message_id == mid
    assert info.value.script == script


def test_error_body_is_not_decoded_as_success() -> None:
    # Every field of MessageStatus but status is optional; an error must still be an error.
    with pytest.raises(errors.AuthenticationError):
        decode("status.php", b'{"error_code": 2, "error": "x", "status": 1}', STATUS)


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b"", b"{not json", b'{"cnt": 1}', b"\xff\xfe"]
)
def test_undecodable_bodies(body: bytes) -> None:
    with pytest.raises(errors.ResponseDecodeError) as info:
        decode("send.php", body, SEND)
    assert info.value.body_prefix == body[:200]
    assert info.value.script == "send.php"


def test_wrong_charset_body_is_a_decode_error() -> None:
    body = '{"id": 1, "cnt": 1, "code": "Привет"}'.encode("cp1251")
    with pytest.raises(errors.ResponseDecodeError):
        decode("send.php", body, SEND)


def test_status_list_and_unknown_state() -> None:
    body = b'[{"id": 1, "phone": "79990000001", "status": 1, "err": 0}, {"status": 99, "err": 5}]'
    items = decode("status.php", body, STATUSES)
    assert items[0].status is MessageState.DELIVERED
    assert items[1].status == 99
    assert items[1].status.name == "UNKNOWN_99"
    assert items[1].status.is_final


def test_decode_ok() -> None:
    decode_ok("status.php", b'{"result": "OK"}')
    decode_ok("status.php", b"OK\n")
    with pytest.raises(errors.OperationFailedError):
        decode_ok("status.php", b'{"error": "cannot delete", "error_code": 5}')
    with pytest.raises(errors.ResponseDecodeError):
        decode_ok("status.php", b"maybe")
    with pytest.raises(errors.ResponseDecodeError, match="without a code"):
        decode_ok("status.php", b'{"error": "something"}')


def test_status_times() -> None:
    st = decode(
        "status.php",
        b'{"status": 1, "last_date": "26.05.2017 21:39:32", "send_date": "26.05.2017 21:39:30"}',
        STATUS,
    )
    assert st.last_time is not None
    assert st.last_time.isoformat() == "2017-05-26T18:39:32+00:00"
    assert st.send_time is not None
    assert st.send_time.isoformat() == "2017-05-26T18:39:30+00:00"
    st2 = decode("status.php", b'{"status": 0, "last_timestamp": 1495823972}', STATUS)
    assert st2.last_time is not None
    assert st2.last_time.isoformat() == "2017-05-26T18:39:32+00:00"
    assert not st2.is_hlr
    assert st2.status.is_final is False
