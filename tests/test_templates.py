"""Templates (templates.php) and operator templates (op_templates.php), end to end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from smsc_async import SMSCClient
from smsc_async._wire import decode
from smsc_async.emulator import Emulator
from smsc_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidPhoneError,
    IPBlockedError,
    MessageForbiddenError,
    NotFoundError,
    OperationFailedError,
    ServerRateLimitError,
    UndeliverableError,
)
from smsc_async.templates import (
    OPERATOR_TEMPLATE_ADD,
    OperatorTemplate,
    OperatorTemplateKind,
    Template,
    TemplateFormat,
)

from .conftest import LOGIN, PASSWORD, url_of

CLASSES: dict[int, type[APIError]] = {
    1: BadRequestError,
    2: AuthenticationError,
    3: NotFoundError,
    4: IPBlockedError,
    5: OperationFailedError,
    6: MessageForbiddenError,
    7: InvalidPhoneError,
    8: UndeliverableError,
    9: ServerRateLimitError,
}


async def raw_post(emulator: Emulator, script: str, **params: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url_of(emulator)}/sys/{script}",
            data={"login": LOGIN, "psw": PASSWORD, "charset": "utf-8", **params},
        ) as resp,
    ):
        assert resp.status == 200
        return (await resp.read()).decode("utf-8")


# --- templates.php ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_template_lifecycle(client: SMSCClient, emulator: Emulator) -> None:
    template_id = await client.templates.add(
        "Welcome",
        "Hello, %name%!",
        format=TemplateFormat.VIBER,
        sender="Shop",
        auto_signature=True,
    )
    assert isinstance(template_id, int)
    sent = emulator.requests[-1].params
    assert (sent["add"], sent["name"], sent["msg"]) == ("1", "Welcome", "Hello, %name%!")
    assert (sent["format"], sent["sender"], sent["fl[1]"]) == ("viber", "Shop", "1")

    listed = await client.templates.list()
    assert listed == [
        Template(
            id=template_id,
            name="Welcome",
            text="Hello, %name%!",
            format=TemplateFormat.VIBER,
            sender="Shop",
            flags=1,
        )
    ]
    assert listed[0].auto_signature is True

    await client.templates.change(template_id, text="Hi!", auto_signature=False)
    sent = emulator.requests[-1].params
    assert (sent["chg"], sent["id"], sent["msg"], sent["fl[1]"]) == (
        "1",
        str(template_id),
        "Hi!",
        "0",
    )
    assert "name" not in sent
    (changed,) = await client.templates.list()
    assert (changed.name, changed.text, changed.auto_signature) == ("Welcome", "Hi!", False)
    assert (changed.format, changed.sender) == (TemplateFormat.VIBER, "Shop")
    assert emulator.templates()[0].text == "Hi!"

    await client.templates.delete(template_id)
    assert emulator.templates() == []
    assert await client.templates.list() == []
    # The empty list was SMSC's error 3, turned into [] by the client.
    assert emulator.requests[-1].answered_error == 3


@pytest.mark.asyncio
async def test_add_defaults_send_no_optional_fields(client: SMSCClient, emulator: Emulator) -> None:
    template_id = await client.templates.add("Plain", "Text")
    sent = emulator.requests[-1].params
    assert "sender" not in sent
    assert (sent["format"], sent["fl[1]"]) == ("", "0")
    (stored,) = emulator.templates()
    assert (stored.id, stored.format, stored.sender, stored.auto_signature) == (
        template_id,
        "",
        "",
        False,
    )


@pytest.mark.asyncio
async def test_change_of_unknown_template_is_plain_text_not_found(
    client: SMSCClient, emulator: Emulator
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.templates.change(424242, name="x")
    assert caught.value.code == 3
    assert caught.value.script == "templates.php"
    assert caught.value.text == "template not found"
    assert emulator.requests[-1].answered_error == 3  # recorded as the error it is


@pytest.mark.asyncio
async def test_change_plain_text_bad_request(client: SMSCClient, emulator: Emulator) -> None:
    template_id = await client.templates.add("A", "B")
    # Bypass the client's checks to get the emulator's own error 1 on an update.
    with pytest.raises(BadRequestError) as caught:
        await client.call("templates.php", chg=1, id=template_id)
    assert caught.value.code == 1
    assert emulator.templates()[0].name == "A"


@pytest.mark.asyncio
async def test_change_error_is_plain_text_even_with_fmt_3(emulator: Emulator) -> None:
    body = await raw_post(emulator, "templates.php", chg="1", id="999", name="x", fmt="3")
    assert body == "ERROR = 3 (template not found)"
    # Other commands keep the JSON envelope.
    body = await raw_post(emulator, "templates.php", **{"del": "1"}, id="999", fmt="3")
    assert json.loads(body) == {"error": "template not found", "error_code": 3}


@pytest.mark.asyncio
async def test_delete_unknown_template(client: SMSCClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.templates.delete(777)
    assert caught.value.code == 3


@pytest.mark.asyncio
async def test_list_of_no_templates_is_empty(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.templates.list() == []
    assert emulator.requests[-1].params["get"] == "1"


@pytest.mark.asyncio
async def test_add_refused_by_emulator_is_bad_request(client: SMSCClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.call("templates.php", add=1, name="x", msg="y", format="telegram")
    assert caught.value.code == 1


@pytest.mark.parametrize("code", sorted(CLASSES))
@pytest.mark.asyncio
async def test_template_errors_map_to_classes(
    client: SMSCClient, emulator: Emulator, code: int
) -> None:
    emulator.faults.api_error(1, code=code, script="templates.php")
    with pytest.raises(CLASSES[code]) as caught:
        await client.templates.add("Name", "Text")
    assert caught.value.code == code
    assert emulator.templates() == []


@pytest.mark.asyncio
async def test_plain_text_fault_on_change_maps_to_class(
    client: SMSCClient, emulator: Emulator
) -> None:
    template_id = await client.templates.add("A", "B")
    emulator.faults.plain_text_error(1, code=6, script="templates.php")
    with pytest.raises(MessageForbiddenError) as caught:
        await client.templates.change(template_id, text="C")
    assert caught.value.code == 6


@pytest.mark.parametrize("code", [3, 4, 9])
@pytest.mark.asyncio
async def test_list_errors_other_than_no_records_raise(
    client: SMSCClient, emulator: Emulator, code: int
) -> None:
    emulator.faults.api_error(1, code=code, script="templates.php")
    if code == 3:
        assert await client.templates.list() == []
    else:
        with pytest.raises(CLASSES[code]):
            await client.templates.list()


BadCall = Callable[[SMSCClient], Awaitable[Any]]
BAD_TEMPLATE_CALLS: list[tuple[str, BadCall, type[Exception]]] = [
    ("empty name", lambda c: c.templates.add("", "t"), ValueError),
    ("blank text", lambda c: c.templates.add("n", "   "), ValueError),
    ("name not str", lambda c: c.templates.add(5, "t"), TypeError),  # type: ignore[arg-type]
    ("unknown format", lambda c: c.templates.add("n", "t", format="telegram"), ValueError),
    ("format not str", lambda c: c.templates.add("n", "t", format=1), TypeError),  # type: ignore[arg-type]
    ("empty sender", lambda c: c.templates.add("n", "t", sender=""), ValueError),
    ("flag not bool", lambda c: c.templates.add("n", "t", auto_signature=1), TypeError),  # type: ignore[arg-type]
    ("change nothing", lambda c: c.templates.change(1), ValueError),
    ("change id text", lambda c: c.templates.change("abc", name="x"), ValueError),
    ("change id bool", lambda c: c.templates.change(True, name="x"), TypeError),
    ("change empty", lambda c: c.templates.change(1, text=""), ValueError),
    ("delete id", lambda c: c.templates.delete("1,2"), ValueError),
    ("delete None", lambda c: c.templates.delete(None), TypeError),  # type: ignore[arg-type]
    ("op sender", lambda c: c.operator_templates.add("", "t", kinds={"mts_srv"}), ValueError),
    ("op text", lambda c: c.operator_templates.add("S", "", kinds={"mts_srv"}), ValueError),
    ("op no kind", lambda c: c.operator_templates.add("S", "t", kinds=[]), ValueError),
    ("op bad kind", lambda c: c.operator_templates.add("S", "t", kinds=["mts"]), ValueError),
    ("op str kinds", lambda c: c.operator_templates.add("S", "t", kinds="mts_srv"), TypeError),
    ("op int kind", lambda c: c.operator_templates.add("S", "t", kinds=[1]), TypeError),  # type: ignore[list-item]
]


@pytest.mark.parametrize(
    ("call", "error"),
    [(call, error) for _, call, error in BAD_TEMPLATE_CALLS],
    ids=[name for name, _, _ in BAD_TEMPLATE_CALLS],
)
@pytest.mark.asyncio
async def test_bad_input_sends_nothing(
    client: SMSCClient, emulator: Emulator, call: BadCall, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_templates_fmt_0_and_1(emulator: Emulator) -> None:
    body = await raw_post(emulator, "templates.php", add="1", name="N", msg="Hi", fmt="0")
    assert body.startswith("ID = ")
    template_id = int(body.removeprefix("ID = "))
    body = await raw_post(emulator, "templates.php", get="1", fmt="0")
    assert body == f"id = {template_id}, name = N, msg = Hi, format = , sender = , fl = 0"
    body = await raw_post(emulator, "templates.php", get="1", fmt="1")
    assert body == f"{template_id},N,Hi,,,0"
    body = await raw_post(emulator, "templates.php", chg="1", id=str(template_id), fmt="1")
    assert body == "ERROR = 1 (parameters error)"
    body = await raw_post(emulator, "templates.php", **{"del": "1"}, id=str(template_id), fmt="0")
    assert body == "OK"
    body = await raw_post(emulator, "templates.php", get="1", fmt="1")
    assert body == "0,-3"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_fourth_identical_list_waits_a_minute(client: SMSCClient, emulator: Emulator) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(4):
        assert await client.templates.list() == []
    assert loop.time() - start >= 60
    assert all(r.answered_error != 9 for r in emulator.requests)
    stamps = [r.at for r in emulator.requests]
    assert stamps[3] - stamps[0] >= 60


# --- op_templates.php ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_operator_template_add_and_list(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.operator_templates.list() == []
    template_id = await client.operator_templates.add(
        "Shop",
        "Your code: %code%",
        kinds={OperatorTemplateKind.MTS_SERVICE, OperatorTemplateKind.BEELINE_TRANSACTIONAL},
    )
    assert isinstance(template_id, int)
    sent = emulator.requests[-1].params
    assert (sent["add"], sent["sender"], sent["msg"]) == ("1", "Shop", "Your code: %code%")
    flags = {
        name
        for name in (
            "mts_srv",
            "mts_trn",
            "mega_srv",
            "mega_trn",
            "bee_srv",
            "bee_trn",
            "tele2_srv",
            "tele2_trn",
        )
        if name in sent
    }
    assert flags == {"mts_srv", "bee_trn"}
    assert sent["mts_srv"] == sent["bee_trn"] == "1"

    emulator.set_operator_template_status(template_id, 1)
    listed = await client.operator_templates.list()
    assert listed == [
        OperatorTemplate(
            id=template_id,
            sender="Shop",
            text="Your code: %code%",
            status=1,
            mts_service=1,
            beeline_transactional=1,
        )
    ]
    assert listed[0].kinds == {
        OperatorTemplateKind.MTS_SERVICE,
        OperatorTemplateKind.BEELINE_TRANSACTIONAL,
    }
    (stored,) = emulator.operator_templates()
    assert stored.flags == {"mts_srv", "bee_trn"}


@pytest.mark.asyncio
async def test_operator_template_kinds_as_strings(client: SMSCClient, emulator: Emulator) -> None:
    await client.operator_templates.add("Shop", "Text", kinds=["tele2_trn", "tele2_trn"])
    (stored,) = emulator.operator_templates()
    assert stored.flags == {"tele2_trn"}


@pytest.mark.asyncio
async def test_operator_template_without_flag_refused_by_emulator(
    client: SMSCClient, emulator: Emulator
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.call("op_templates.php", add=1, sender="S", msg="t")
    assert caught.value.code == 1
    assert emulator.operator_templates() == []


@pytest.mark.parametrize("code", sorted(CLASSES))
@pytest.mark.asyncio
async def test_operator_template_errors_map_to_classes(
    client: SMSCClient, emulator: Emulator, code: int
) -> None:
    emulator.faults.api_error(1, code=code, script="op_templates.php")
    with pytest.raises(CLASSES[code]) as caught:
        await client.operator_templates.add("S", "t", kinds={OperatorTemplateKind.TELE2_SERVICE})
    assert caught.value.code == code
    assert caught.value.script == "op_templates.php"


def test_operator_template_add_tolerates_an_answer_without_id() -> None:
    # The shape of op_templates.php answers is a guess: an OK object must not break add().
    assert OPERATOR_TEMPLATE_ADD.decoder is not None
    result = decode("op_templates.php", b'{"result":"OK"}', OPERATOR_TEMPLATE_ADD.decoder)
    assert result.id is None


@pytest.mark.asyncio
async def test_op_templates_fmt_0_and_1(emulator: Emulator) -> None:
    body = await raw_post(
        emulator, "op_templates.php", add="1", sender="S", msg="T", mega_srv="1", fmt="1"
    )
    template_id = int(body)
    body = await raw_post(emulator, "op_templates.php", get="1", fmt="0")
    assert body == (
        f"id = {template_id}, sender = S, msg = T, mts_srv = 0, mts_trn = 0, mega_srv = 1, "
        "mega_trn = 0, bee_srv = 0, bee_trn = 0, tele2_srv = 0, tele2_trn = 0, status = 0"
    )
    body = await raw_post(emulator, "op_templates.php", add="1", sender="S", msg="T", fmt="0")
    assert body == "ERROR = 1 (parameters error)"
