from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_async import (
    InsufficientFundsError,
    InvalidDateError,
    InvalidPhoneError,
    MessageForbiddenError,
    MessageKind,
    SMSCClient,
    UndeliverableError,
    Voice,
)
from smsc_async.emulator import Emulator

PHONE = "+79990000001"


def last_send(emulator: Emulator) -> dict[str, str]:
    sends = [r for r in emulator.requests if r.script == "send.php"]
    return sends[-1].params


@pytest.mark.asyncio
async def test_send_sms_assigns_an_id_and_reports_parts(
    client: SMSCClient, emulator: Emulator
) -> None:
    sent = await client.send_sms(PHONE, "Hello")
    params = last_send(emulator)
    assert sent.id == params["id"]
    assert len(str(sent.id)) == 24
    assert sent.cnt == 1
    assert sent.cost is None
    assert sent.balance is None
    assert emulator.find_message(sent.id, "79990000001") is not None


@pytest.mark.asyncio
async def test_send_sms_to_many_with_cost_and_balance(
    client: SMSCClient, emulator: Emulator
) -> None:
    before = (await client.get_balance()).balance
    sent = await client.send_sms(
        ["+79990000001", "+79990000002"], "Привет", with_balance=True, id=77
    )
    assert sent.id == 77
    assert sent.cnt == 2
    assert isinstance(sent.cost, Decimal)
    assert sent.cost > 0
    assert sent.balance == before - sent.cost
    assert last_send(emulator)["phones"] == "+79990000001,+79990000002"
    assert last_send(emulator)["mes"] == "Привет"
    cost_only = await client.send_sms(PHONE, "x", with_cost=True)
    assert cost_only.cost is not None
    assert cost_only.balance is None
    assert last_send(emulator)["cost"] == "2"


@pytest.mark.asyncio
async def test_send_options_are_encoded(client: SMSCClient, emulator: Emulator) -> None:
    when = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    await client.send_sms(
        PHONE,
        "opts",
        sender="Shop",
        translit=True,
        tinyurl=True,
        time=when,
        valid=timedelta(hours=2),
        maxsms=2,
        op=True,
        err=True,
        userip="10.0.0.1",
    )
    p = last_send(emulator)
    assert p["sender"] == "Shop"
    assert p["translit"] == "1"
    assert p["tinyurl"] == "1"
    assert p["time"] == f"0{int(when.timestamp())}"
    assert p["valid"] == "02:00"
    assert p["maxsms"] == "2"
    assert p["op"] == "1"
    assert p["err"] == "1"
    assert p["userip"] == "10.0.0.1"


@pytest.mark.asyncio
async def test_op_details_are_decoded(client: SMSCClient) -> None:
    sent = await client.send_sms(PHONE, "details", op=True)
    assert sent.phones is not None
    assert sent.phones[0].phone.endswith("79990000001")
    assert isinstance(sent.phones[0].cost, Decimal)


@pytest.mark.asyncio
async def test_scheduled_and_spread(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_sms(
        PHONE, "later", time=timedelta(minutes=30), period=timedelta(hours=2), freq=15
    )
    p = last_send(emulator)
    assert (p["time"], p["period"], p["freq"]) == ("+30", "2", "15")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("call", "flag"),
    [
        (lambda c: c.send_sms(PHONE, "flash", flash=True), ("flash", "1")),
        (lambda c: c.send_binary(PHONE, b"\x06\x05\x04"), ("bin", "2")),
        (lambda c: c.send_wap_push(PHONE, "https://e.com", "Title"), ("push", "1")),
        (lambda c: c.send_hlr(PHONE), ("hlr", "1")),
        (lambda c: c.send_ping(PHONE), ("ping", "1")),
        (lambda c: c.send_viber(PHONE, "viber"), ("viber", "1")),
        (lambda c: c.send_social(PHONE, "soc"), ("soc", "1")),
        (lambda c: c.send_telegram(PHONE, "code 1234"), ("tg", "1")),
        (lambda c: c.send_whatsapp(PHONE, "wa"), ("whatsapp", "1")),
        (lambda c: c.send_voice(PHONE, "hello", voice=Voice.FEMALE), ("call", "1")),
    ],
)
async def test_every_kind_is_reachable(
    client: SMSCClient, emulator: Emulator, call: object, flag: tuple[str, str]
) -> None:
    sent = await call(client)  # type: ignore[operator]
    p = last_send(emulator)
    assert p[flag[0]] == flag[1]
    assert sent.id == p["id"]
    assert emulator.find_message(sent.id, "79990000001") is not None


@pytest.mark.asyncio
async def test_binary_wap_push_and_voice_fields(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_binary(PHONE, b"\x06\x05\xab")
    assert last_send(emulator)["mes"] == "0605AB"
    await client.send_wap_push(PHONE, "https://e.com/x", "Sale")
    assert last_send(emulator)["mes"] == "https://e.com/x\nSale"
    await client.send_voice(PHONE, "hello", voice="m2", param="10,10,2")
    assert (last_send(emulator)["voice"], last_send(emulator)["param"]) == ("m2", "10,10,2")


@pytest.mark.asyncio
async def test_flash_call_code(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_call_code(PHONE)
    p = last_send(emulator)
    assert (p["call"], p["mes"]) == ("1", "code")
    assert sent.code is not None
    assert sent.code.isdigit()


@pytest.mark.asyncio
async def test_telegram_bot_and_whatsapp_bot(client: SMSCClient, emulator: Emulator) -> None:
    await client.send_telegram("@someone", "hi", bot="@shop_bot", smsreq=30)
    p = last_send(emulator)
    assert (p["bot"], p["smsreq"], p["phones"]) == ("@shop_bot", "30", "@someone")
    assert "tg" not in p
    await client.send_whatsapp(PHONE, "hi", bot="79991112233")
    assert last_send(emulator)["bot"] == "wa:79991112233"
    with pytest.raises(ValueError, match="@name_bot"):
        await client.send_telegram(PHONE, "x", bot="shop")
    with pytest.raises(ValueError, match=r"10\.\.999"):
        await client.send_telegram(PHONE, "x", bot="@b_bot", smsreq=5)
    with pytest.raises(ValueError, match="only together"):
        await client.send_telegram(PHONE, "x", smsreq=50)
    with pytest.raises(ValueError, match="WhatsApp number"):
        await client.send_whatsapp(PHONE, "x", bot="wa:abc")


@pytest.mark.asyncio
async def test_mms_and_email_with_files(
    client: SMSCClient, emulator: Emulator, tmp_path: Path
) -> None:
    picture = tmp_path / "pic.png"
    picture.write_bytes(b"\x89PNG" + b"\x00" * 200)
    await client.send_mms(PHONE, "look", subject="Photo", files=[picture, ("a.txt", b"abc")])
    req = [r for r in emulator.requests if r.script == "send.php"][-1]
    assert req.content_type.startswith("multipart/form-data")
    assert req.params["mms"] == "1"
    assert req.params["subj"] == "Photo"
    assert [(f.field, f.filename, f.size) for f in req.files] == [
        ("file0", "pic.png", 204),
        ("file1", "a.txt", 3),
    ]
    assert req.query_keys == frozenset()
    sent = await client.send_email(
        "user@example.com",
        "<b>Hi</b>",
        subject="Hello",
        from_address="shop@example.com",
        files=[("r.pdf", b"%PDF-1.4")],
    )
    req = [r for r in emulator.requests if r.script == "send.php"][-1]
    assert (req.params["mail"], req.params["subj"], req.params["sender"]) == (
        "1",
        "Hello",
        "shop@example.com",
    )
    assert req.files[0].filename == "r.pdf"
    assert emulator.find_message(sent.id, "user@example.com") is not None
    with pytest.raises(ValueError, match="subject"):
        await client.send_email("u@e.com", "x", subject=" ", from_address="s@e.com")
    with pytest.raises(ValueError, match="not an e-mail"):
        await client.send_email("u@e.com", "x", subject="s", from_address="shop")
    with pytest.raises(TypeError, match="attachment"):
        await client.send_mms(PHONE, "x", files=["/etc/passwd"])  # type: ignore[list-item]


@pytest.mark.asyncio
async def test_send_batch_personalised(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_batch(
        {"+79990000001": "Hi Ann: code 1", "+79990000002": "Привет, Боб\nстрока два"}
    )
    assert sent.cnt >= 2
    p = last_send(emulator)
    assert "phones" not in p
    assert p["list"] == "+79990000001:Hi Ann: code 1\n+79990000002:Привет, Боб\\nстрока два"
    stored = emulator.find_message(sent.id, "79990000002")
    assert stored is not None
    assert stored.text == "Привет, Боб\nстрока два"
    cost = await client.get_batch_cost([("79990000003", "a"), ("79990000004", "b")])
    assert cost.cnt == 2
    assert cost.cost > 0


@pytest.mark.asyncio
async def test_get_cost_sends_nothing(client: SMSCClient, emulator: Emulator) -> None:
    before = (await client.get_balance()).balance
    cost = await client.get_cost([PHONE, "+79990000002"], "x" * 200)
    assert cost.cnt == 4
    assert isinstance(cost.cost, Decimal)
    assert (await client.get_balance()).balance == before
    assert emulator.sends_accepted() == 0
    voice = await client.get_cost(PHONE, "hello there", kind=MessageKind.VOICE)
    assert voice.cost > 0
    assert last_send(emulator)["call"] == "1"
    assert last_send(emulator)["cost"] == "1"


@pytest.mark.asyncio
async def test_send_errors_are_typed(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(InvalidPhoneError) as bad_phone:
        await client.send_sms("12", "x", id="bad-phone")
    assert bad_phone.value.message_id == "bad-phone"
    with pytest.raises(InvalidDateError):
        await client.send_sms(PHONE, "x", time="tomorrow-ish")
    emulator.forbidden_words.add("casino")
    with pytest.raises(MessageForbiddenError):
        await client.send_sms(PHONE, "best casino")
    emulator.undeliverable_phones.add("79990000009")
    with pytest.raises(UndeliverableError):
        await client.send_sms("+79990000009", "x")
    emulator.set_balance("demo", Decimal("0"))
    with pytest.raises(InsufficientFundsError) as funds:
        await client.send_sms(PHONE, "x", id=5)
    assert funds.value.message_id == 5
    assert funds.value.code == 3


@pytest.mark.asyncio
async def test_bad_input_fails_before_any_request(client: SMSCClient, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="empty"):
        await client.send_sms([], "x")
    with pytest.raises(ValueError, match="characters"):
        await client.send_sms(PHONE, "x" * 1001)
    with pytest.raises(TypeError, match="unknown send option"):
        await client.send_sms(PHONE, "x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="message id"):
        await client.send_sms(PHONE, "x", id="has space")
    with pytest.raises(TypeError, match="bytes"):
        await client.send_binary(PHONE, "00ff")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single lines"):
        await client.send_wap_push(PHONE, "https://e.com\nx", "t")
    assert emulator.requests == []
