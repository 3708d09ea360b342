from datetime import UTC, datetime, timedelta

import pytest

from smsc_async.params import (
    MessageKind,
    Translit,
    check_text,
    encode_list,
    encode_send_options,
    join_phones,
    new_message_id,
    validate_message_id,
)


def test_join_phones_forms() -> None:
    assert join_phones("+79990000001") == "+79990000001"
    assert join_phones(" 79990000001; 79990000002 ,") == "79990000001,79990000002"
    assert join_phones(["79990000001", " 79990000002 "]) == "79990000001,79990000002"


@pytest.mark.parametrize(
    ("phones", "exc", "match"),
    [
        ("", ValueError, "empty"),
        (" , ;", ValueError, "empty"),
        ([], ValueError, "empty"),
        (["79990000001", ""], ValueError, "empty entry"),
        (["7999,0000001"], ValueError, "separator"),
        ([79990000001], TypeError, "strings"),
        (79990000001, TypeError, "str or a sequence"),
    ],
)
def test_join_phones_rejects(phones: object, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        join_phones(phones)  # type: ignore[arg-type]


def test_check_text() -> None:
    assert check_text("hi", MessageKind.SMS) == "hi"
    assert check_text("", MessageKind.HLR) == ""
    with pytest.raises(ValueError, match="empty"):
        check_text("", MessageKind.SMS)
    with pytest.raises(ValueError, match="1001 characters"):
        check_text("x" * 1001, MessageKind.SMS)
    assert check_text("x" * 1001, MessageKind.EMAIL)
    with pytest.raises(TypeError):
        check_text(5, MessageKind.SMS)


def test_message_ids() -> None:
    mid = new_message_id()
    assert len(mid) == 24
    assert validate_message_id(mid) == mid
    assert new_message_id() != mid
    assert validate_message_id(5) == 5
    assert validate_message_id("a.b-c_1") == "a.b-c_1"
    assert validate_message_id("2147483647") == "2147483647"
    for bad in (0, 2_147_483_648, "", "x" * 41, "a b", "a,b", "0", "2147483648", "1" * 24):
        with pytest.raises(ValueError, match="message id"):
            validate_message_id(bad)


def test_a_generated_id_is_never_all_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["1" * 24, "0123456789" * 2 + "0123", "12345678901234567890123a"])
    monkeypatch.setattr("smsc_async.params.secrets.token_hex", lambda n: next(draws))
    assert new_message_id() == "12345678901234567890123a"
    for wrong in (True, 1.5, None):
        with pytest.raises(TypeError):
            validate_message_id(wrong)


def test_time_encodings() -> None:
    aware = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert encode_send_options({"time": aware}) == {"time": f"0{int(aware.timestamp())}"}
    naive = datetime(2026, 1, 2, 3, 4)
    assert encode_send_options({"time": naive, "tz": -1}) == {"time": "02.01.26 03:04", "tz": "-1"}
    assert encode_send_options({"time": timedelta(hours=2)}) == {"time": "+120"}
    assert encode_send_options({"time": "9-18"}) == {"time": "9-18"}
    with pytest.raises(ValueError, match="whole number of minutes"):
        encode_send_options({"time": timedelta(seconds=90)})
    with pytest.raises(ValueError, match="at least one minute"):
        encode_send_options({"time": timedelta(0)})
    with pytest.raises(TypeError, match="datetime"):
        encode_send_options({"time": 5})


def test_spread_and_validity() -> None:
    out = encode_send_options({"period": timedelta(minutes=90), "freq": timedelta(minutes=15)})
    assert out == {"period": "1.5", "freq": "15"}
    assert encode_send_options({"period": 2, "freq": 60}) == {"period": "2", "freq": "60"}
    with pytest.raises(ValueError, match="period needs freq"):
        encode_send_options({"period": 2})
    with pytest.raises(ValueError, match=r"between 0\.1 and 720"):
        encode_send_options({"period": 721, "freq": 5})
    with pytest.raises(ValueError, match="between 1 and 1440"):
        encode_send_options({"freq": 0})
    assert encode_send_options({"valid": timedelta(hours=1, minutes=30)}) == {"valid": "01:30"}
    assert encode_send_options({"valid": timedelta(hours=24)}) == {"valid": "24:00"}
    assert encode_send_options({"valid": 5}) == {"valid": "5"}
    with pytest.raises(ValueError, match="valid"):
        encode_send_options({"valid": 25})


def test_flags_and_cost_modes() -> None:
    out = encode_send_options(
        {"tinyurl": True, "op": True, "err": False, "translit": Translit.LOOKALIKE, "maxsms": 3}
    )
    assert out == {"tinyurl": "1", "op": "1", "err": "0", "translit": "2", "maxsms": "3"}
    assert encode_send_options({"translit": True}) == {"translit": "1"}
    assert encode_send_options({"with_cost": True}) == {"cost": "2"}
    assert encode_send_options({"with_cost": True, "with_balance": True}) == {"cost": "3"}
    with pytest.raises(TypeError, match="cost request"):
        encode_send_options({"with_cost": True}, cost_only=True)
    with pytest.raises(TypeError, match="unknown send option"):
        encode_send_options({"sendr": "x"})
    with pytest.raises(TypeError, match="True or False"):
        encode_send_options({"tinyurl": 1})
    with pytest.raises(ValueError, match="translit"):
        encode_send_options({"translit": 3})
    with pytest.raises(ValueError, match="maxsms"):
        encode_send_options({"maxsms": 0})


def test_kind_flags() -> None:
    assert MessageKind.SMS.flags == {}
    assert MessageKind.BINARY.flags == {"bin": "2"}
    assert MessageKind.VOICE.flags == {"call": "1"}
    assert MessageKind.EMAIL.flags == {"mail": "1"}


def test_encode_list_escaping() -> None:
    encoded, first, text = encode_list(
        {"+79990000001": "Hello: Ann\nline two", "79990000002,79990000003": "Hi\r\nBob"}
    )
    assert encoded == "+79990000001:Hello: Ann\\nline two\n79990000002,79990000003:Hi\\nBob"
    assert (first, text) == ("+79990000001", "Hello: Ann\nline two")
    assert encode_list([("79990000004", "x")]) == ("79990000004:x", "79990000004", "x")


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ({}, "empty"),
        ({"7999:1": "x"}, "must not contain"),
        ({"79990000001": ""}, "empty"),
        ({"79990000001": "a\\nb"}, "backslash-n"),
        ({"79990000001": "x" * 1001}, "1001"),
    ],
)
def test_encode_list_rejects(messages: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode_list(messages)
