"""The smsc command line against the emulator: every command, its JSON, its exit codes.

Each command runs through click's CliRunner in a worker thread (the command makes its own
event loop) while the emulator serves on the test's loop. Every emulator gets a login no
other test uses: the client's limits are kept per host, port and login for the whole process,
and a new emulator may get the port of an earlier one (with its per-minute windows).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from click.testing import CliRunner, Result

from smsc_async import MessageState, MessageStatus
from smsc_async.cli._app import cli
from smsc_async.cli._exits import most_serious
from smsc_async.cli._messages import Outcome, _show_outcomes
from smsc_async.cli._output import Output
from smsc_async.cli._runtime import Settings
from smsc_async.cli._status import in_given_order
from smsc_async.emulator import Account, Emulator
from smsc_async.emulator.pytest_plugin import EmulatorFactory
from smsc_async.errors import (
    RecipientRejectedError,
    RequestTimeoutError,
    SendOutcomeUnknownError,
    StatusWaitTimeoutError,
)

from .conftest import url_of

FAST = ((0.05, 0), (0.15, 1))  # sent after 0.05 s, delivered 0.15 s after acceptance
SLOW = ((30.0, 0), (60.0, 1))
NO_ACCOUNT: dict[str, str | None] = dict.fromkeys(
    ("SMSC_BASE_URL", "SMSC_LOGIN", "SMSC_PASSWORD", "SMSC_APIKEY", "SMSC_REDIS_URL")
)
_RUNNER = CliRunner()


async def start(factory: EmulatorFactory, **options: Any) -> Emulator:
    """Start an emulator whose one account has a login of its own."""
    return await factory([Account(login=f"cli-{secrets.token_hex(4)}")], **options)


def account(emulator: Emulator, password: str | None = None) -> dict[str, str | None]:
    """The environment that points the command at the emulator's account."""
    [owner] = emulator.accounts
    return {
        "SMSC_BASE_URL": url_of(emulator),
        "SMSC_LOGIN": owner.login,
        "SMSC_PASSWORD": owner.password if password is None else password,
        "SMSC_APIKEY": None,
        "SMSC_REDIS_URL": None,
    }


async def smsc(
    env: Mapping[str, str | None], *args: str, input: str | bytes | None = None
) -> Result:
    """Run ``smsc ARGS...`` in a worker thread with ``env``; return click's result."""
    return await asyncio.to_thread(
        _RUNNER.invoke, cli, list(args), input=input, env=dict(env), catch_exceptions=False
    )


def error_line(result: Result) -> str:
    """Return the one line on standard error, checking it is the only one and an error."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def document(result: Result) -> Any:
    """Parse standard output as the one JSON document it must be."""
    return json.loads(result.stdout)


def failed_item(result: Result, phone: str, message_id: str) -> Any:
    """Check that a send to one number wrote a list of one failed message; return its error."""
    [item] = document(result)  # a list, as for a send to several numbers
    assert (item["phone"], item["id"], item["parts"], item["cost"]) == (
        phone,
        message_id,
        None,
        None,
    )
    return item["error"]


@pytest_asyncio.fixture
async def emu(smsc_emulator_factory: EmulatorFactory) -> Emulator:
    return await start(smsc_emulator_factory, delivery_schedule=FAST)


# --- send -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_send_to_one_number_shows_its_id_parts_and_cost(emu: Emulator) -> None:
    result = await smsc(account(emu), "send", "+79991234567", "--text", "Hello from a shell")
    assert result.exit_code == 0, result.stderr
    [message] = emu.messages()
    assert (message.phone, message.text) == ("79991234567", "Hello from a shell")
    row = next(line for line in result.stdout.splitlines() if "+79991234567" in line)
    assert row.split() == ["+79991234567", str(message.id), "1", "2.50", "sent"]
    assert result.stderr == ""


@pytest.mark.asyncio
async def test_send_passes_the_options_and_own_id(emu: Emulator) -> None:
    result = await smsc(
        account(emu),
        "--json",
        "send",
        "+79991234567",
        "--text",
        "Привет",
        "--translit",
        "--tinyurl",
        "--valid",
        "2",
        "--time",
        "+30",
        "--id",
        "order-17",
        "--sender",
        "Shop",
    )
    assert result.exit_code == 0, result.stderr
    [message] = emu.messages()
    assert (message.id, message.sender) == ("order-17", "Shop")
    assert {name: message.params[name] for name in ("translit", "tinyurl", "valid", "time")} == {
        "translit": "1",
        "tinyurl": "1",
        "valid": "2",
        "time": "+30",
    }
    assert document(result) == [
        {
            "phone": "+79991234567",
            "id": "order-17",
            "parts": 1,
            "cost": "2.50",
            "reconciled": False,
            "error": None,
        }
    ]


@pytest.mark.asyncio
async def test_send_to_several_numbers_is_one_bulk_request(emu: Emulator) -> None:
    result = await smsc(
        account(emu), "--json", "send", "+79990000001", "+79990000002,+79990000003", "-t", "Sale!"
    )
    assert result.exit_code == 0, result.stderr
    assert emu.sends_accepted() == 1
    items = document(result)
    assert [i["phone"] for i in items] == ["+79990000001", "+79990000002", "+79990000003"]
    assert {i["id"] for i in items} == {emu.messages()[0].id}
    assert all(i["cost"] == "2.50" and i["error"] is None for i in items)


@pytest.mark.asyncio
async def test_a_refused_number_is_shown_with_its_error_and_exit_code_1(emu: Emulator) -> None:
    emu.undeliverable_phones = {"+79990000099"}
    result = await smsc(account(emu), "send", "+79990000001", "+79990000099", "--text", "Refused?")
    assert result.exit_code == 1
    refused = next(line for line in result.stdout.splitlines() if "+79990000099" in line)
    assert "refused: status" in refused
    assert "sent" in next(line for line in result.stdout.splitlines() if "+79990000001" in line)
    assert error_line(result) == "error: 1 of 2 messages were not sent"

    result = await smsc(account(emu), "--json", "send", "+79990000099", "+79990000002", "-t", "Yo")
    assert result.exit_code == 1
    refused_item, sent_item = document(result)
    assert refused_item["error"]["type"] == "RecipientRejectedError"
    assert refused_item["error"]["exit_code"] == 1
    assert sent_item["error"] is None


@pytest.mark.asyncio
async def test_send_csv_sends_personalised_texts(emu: Emulator, tmp_path: Any) -> None:
    rows = 'phone,text\n+79990000001,"Hello, Anna"\n\n+79990000002,Hello Boris\n'
    result = await smsc(account(emu), "--json", "send", "--csv", "-", input=rows)
    assert result.exit_code == 0, result.stderr
    assert {m.phone: m.text for m in emu.messages()} == {
        "79990000001": "Hello, Anna",
        "79990000002": "Hello Boris",
    }
    assert len(document(result)) == 2

    no_header = tmp_path / "orders.csv"
    no_header.write_text("+79990000003,Ваш заказ готов\n", encoding="utf-8")
    result = await smsc(account(emu), "send", "--csv", str(no_header))
    assert result.exit_code == 0, result.stderr
    assert emu.messages()[-1].text == "Ваш заказ готов"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (("send",), None, "give at least one PHONE"),
        (("send", "+79990000001"), None, "give the message with --text"),
        (("send", "+79990000001", "--csv", "-"), "+7999,x\n", "not both"),
        (("send", "+79990000001", "+79990000002", "-t", "x", "--id", "7"), None, "one PHONE"),
        (("send", "--csv", "-", "--id", "7"), "+79990000001,x\n", "--id works with one PHONE"),
        (("send", "--csv", "-"), "+79990000001,a,b\n", "line 1: expected phone,text"),
        (("send", "--csv", "-"), "phone,text\n", "no phone,text rows"),
        (("send", "--bogus"), None, "No such option"),
        (("status", "1", "2", "3"), None, "'1' is not ID:PHONE"),
        (("status", "1:+7999", "--interval", "1"), None, "go with --wait"),
        (("history", "--since", "yesterday"), None, "'yesterday'"),
    ],
)
async def test_usage_errors_are_one_line_and_exit_code_2(
    emu: Emulator, args: tuple[str, ...], input: str | None, message: str
) -> None:
    result = await smsc(account(emu), *args, input=input)
    assert result.exit_code == 2
    assert message in error_line(result)
    assert result.stdout == ""
    assert emu.requests == []  # refused before any request


@pytest.mark.asyncio
async def test_an_argument_the_library_refuses_is_a_usage_error(emu: Emulator) -> None:
    result = await smsc(account(emu), "send", "+79990000001", "--text", "x" * 1001)
    assert result.exit_code == 2
    assert "SMSC takes at most 1000" in error_line(result)
    assert emu.requests == []


@pytest.mark.asyncio
async def test_a_lost_answer_is_exit_code_4_with_the_id_to_check(emu: Emulator) -> None:
    emu.faults.drop(1, script="send.php")  # the request never took effect: SMSC cannot confirm
    result = await smsc(account(emu), "--json", "send", "+79991234567", "-t", "Lost", "--id", "55")
    assert result.exit_code == 4
    line = error_line(result)
    assert "message id '55' may or may not have been accepted" in line
    assert line.endswith("check it with `smsc status 55 +79991234567` before sending again")
    error = failed_item(result, "+79991234567", "55")
    assert (error["type"], error["message_id"], error["exit_code"]) == (
        "SendOutcomeUnknownError",
        "55",
        4,
    )
    assert emu.messages() == []  # and it was not sent again

    emu.faults.drop(1, script="send.php")  # a table in human mode, the same error line
    result = await smsc(account(emu), "send", "+79997654321", "-t", "Also lost", "--id", "56")
    assert result.exit_code == 4
    assert error_line(result).endswith("`smsc status 56 +79997654321` before sending again")
    [row] = [line for line in result.stdout.splitlines() if "+79997654321" in line]
    assert row.split()[:2] == ["+79997654321", "56"]
    assert "may or may not have been accepted" in row
    assert emu.messages() == []


@pytest.mark.asyncio
async def test_a_refused_single_send_has_the_shape_of_a_send_to_several(emu: Emulator) -> None:
    emu.undeliverable_phones = {"+79990000099"}
    result = await smsc(account(emu), "--json", "send", "+79990000099", "-t", "No", "--id", "8")
    assert result.exit_code == 1
    error = failed_item(result, "+79990000099", "8")
    assert (error["type"], error["code"], error["exit_code"]) == ("UndeliverableError", 8, 1)
    assert "error 8" in error_line(result)

    emu.undeliverable_phones = {"+79990000099", "+79990000098", "+79990000097"}
    args = ("send", "+79990000098", "+79990000097", "-t", "Nope")
    several = await smsc(account(emu), "--json", *args)
    assert several.exit_code == 1
    assert set(document(several)[0]) == set(document(result)[0])

    result = await smsc(account(emu), "send", "+79990000097", "-t", "Not this", "--id", "9")
    assert result.exit_code == 1
    header, _, row = result.stdout.splitlines()
    assert header.split() == ["phone", "id", "parts", "cost", "result"]
    assert row.split()[:2] == ["+79990000097", "9"]
    assert "error 8" in row
    assert "error 8" in error_line(result)


@pytest.mark.asyncio
async def test_the_most_serious_error_of_a_bulk_send_is_the_exit_code(emu: Emulator) -> None:
    # A number given twice goes in two requests: one is lost, SMSC refuses the other.
    emu.faults.drop(1, script="send.php")
    emu.faults.api_error(1, code=6, script="send.php")
    csv_rows = "+79991234567,First\n+79991234567,Second\n"
    result = await smsc(account(emu), "send", "--csv", "-", input=csv_rows)
    assert result.exit_code == 4
    rows = result.stdout.splitlines()[2:]
    assert sorted(row.split()[2] for row in rows) == ["may", "send.php:"]
    assert any("error 6: message is denied" in row for row in rows)
    assert any("check it with `smsc status" in row for row in rows)
    line = error_line(result)
    assert line.startswith("error: 2 of 2 messages were not sent; 1 may or may not have been")
    assert ":+79991234567` before sending again" in line


@pytest.mark.asyncio
async def test_mixed_failures_end_with_the_most_serious_code(capsys: Any) -> None:
    refused = RecipientRejectedError(1, "+79990000001", status=20, error=1)
    no_answer = RequestTimeoutError("no answer in time", url="http://127.0.0.1/sys/send.php")
    unknown = SendOutcomeUnknownError(2, "+79990000002")
    gave_up = StatusWaitTimeoutError([], timeout=1.0)
    # As the help says: 4, then 3, then 1 (and 5, giving up, between 3 and 1).
    assert most_serious([1, 3, 4, 5]) == most_serious([4, 5, 1, 3]) == 4
    assert most_serious([1, 5, 3]) == most_serious([3, 1, 5]) == 3
    assert most_serious([1, 5]) == 5
    assert most_serious([0, 1]) == 1
    assert most_serious([]) == 0

    settings = Settings(Output(json_mode=True), sandbox=False, timeout=1.0)
    phones = ("+79990000001", "+79990000002", "+79990000003", "+79990000004")
    errors: list[BaseException] = [refused, gave_up, no_answer, unknown]
    for kept, expected in ((4, 4), (3, 3), (2, 5), (1, 1)):  # the first `kept` errors
        outcomes = [
            Outcome(phone=phone, id=7, error=error)
            for phone, error in zip(phones, errors[:kept], strict=False)
        ]
        outcomes.append(Outcome(phone="+79990000009", id=7))
        assert _show_outcomes(settings, outcomes) == expected
        out = capsys.readouterr()
        assert [item["error"] is None for item in json.loads(out.out)] == [False] * kept + [True]
        assert out.err.startswith(f"error: {kept} of {kept + 1} messages were not sent")


@pytest.mark.asyncio
async def test_the_global_timeout_reaches_the_client(emu: Emulator) -> None:
    emu.faults.delay(5)  # far below the default 30 s
    result = await smsc(account(emu), "--timeout", "0.2", "contacts", "add", "+79990000001")
    assert result.exit_code == 3
    assert error_line(result).startswith("error: no answer in time (")


@pytest.mark.asyncio
async def test_a_server_error_is_exit_code_3(emu: Emulator) -> None:
    emu.faults.http_error(1, status=404, script="balance.php")  # not retried: a 4xx
    result = await smsc(account(emu), "balance")
    assert result.exit_code == 3
    assert error_line(result).startswith("error: HTTP 404 from http://127.0.0.1:")


@pytest.mark.asyncio
async def test_errors_never_show_the_password(emu: Emulator) -> None:
    secret = "wrong-password-b9f1c7"
    for args in (("balance",), ("--json", "balance"), ("send", "+79990000001", "-t", "x")):
        result = await smsc(account(emu, password=secret), *args)
        assert result.exit_code == 1
        assert "error 2" in error_line(result)
        assert secret not in result.stdout + result.stderr


@pytest.mark.asyncio
async def test_missing_credentials_are_a_usage_error() -> None:
    result = await smsc(NO_ACCOUNT, "balance")
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: no SMSC credentials: set SMSC_LOGIN and SMSC_PASSWORD, or SMSC_APIKEY "
        "(or use --sandbox)"
    )
    result = await smsc({**NO_ACCOUNT, "SMSC_LOGIN": "demo"}, "balance")
    assert result.exit_code == 2
    assert "SMSC_PASSWORD is not set" in error_line(result)
    result = await smsc({**NO_ACCOUNT, "SMSC_APIKEY": "k", "SMSC_BASE_URL": "ftp://h"}, "balance")
    assert result.exit_code == 2
    line = error_line(result)
    assert line.startswith("error: SMSC_BASE_URL: base_url must be")
    assert "'ftp'" in line
    assert line.endswith("(or use --sandbox)")


# --- cost, status ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_cost_prices_without_sending(emu: Emulator) -> None:
    emu.undeliverable_phones = {"+79990000099"}
    result = await smsc(account(emu), "cost", "+79990000001", "+79990000099", "--text", "Sale!")
    assert result.exit_code == 0, result.stderr
    assert "would be refused" in result.stdout
    assert result.stdout.splitlines()[-1] == "total 2.50 for 1 SMS part(s)"
    result = await smsc(account(emu), "--json", "cost", "+79990000001", "+79990000002", "-t", "x")
    answer = document(result)
    assert (answer["cost"], answer["cnt"]) == ("5.00", 2)
    assert [p["phone"] for p in answer["phones"]] == ["79990000001", "79990000002"]
    assert emu.sends_accepted() == 0


@pytest.mark.asyncio
async def test_status_of_one_and_of_several_messages(emu: Emulator) -> None:
    async with emu.client() as client:
        sent = await client.send_sms(["+79990000001", "+79990000002"], "Status?", id=901)
    result = await smsc(account(emu), "status", str(sent.id), "+79990000001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split()[:3] == ["901", "+79990000001", "queued"]

    result = await smsc(account(emu), "--json", "status", "901:+79990000002", "902:+79990000001")
    statuses = document(result)
    assert {(s["id"], s["phone"], s["state"]) for s in statuses} == {
        ("901", "+79990000002", "queued"),
        ("902", "+79990000001", "not_found"),
    }
    assert {s["settled"] for s in statuses} == {False, True}

    result = await smsc(account(emu), "status", "--csv", "-", input="id,phone\n901,+79990000002\n")
    assert result.stdout.split()[:3] == ["901", "+79990000002", "queued"]


@pytest.mark.asyncio
async def test_status_wait_shows_each_message_once_settled(emu: Emulator) -> None:
    emu.set_outcome("+79990000002", 20, 1)
    async with emu.client() as client:
        sent = await client.send_sms(["+79990000001", "+79990000002"], "Wait for it")
    pairs = [f"{sent.id}:+79990000001", f"{sent.id}:+79990000002"]
    result = await smsc(account(emu), "status", "--wait", "--interval", "0.1", *pairs)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2  # one line per message, written once
    states = {line.split()[1]: line.split(maxsplit=2)[2] for line in lines}
    assert states["+79990000001"].startswith("delivered  ")
    assert states["+79990000002"].startswith(
        "cannot deliver (error 1: subscriber does not exist)  "
    )
    assert result.stderr == ""  # no progress line: standard error is not a terminal

    result = await smsc(account(emu), "--json", "status", "--wait", "--interval", "0.1", *pairs)
    assert {(s["state"], s["settled"]) for s in document(result)} == {
        ("delivered", True),
        ("cannot_deliver", True),
    }


@pytest.mark.asyncio
async def test_status_wait_gives_up_with_exit_code_5(
    smsc_emulator_factory: EmulatorFactory,
) -> None:
    slow = await start(smsc_emulator_factory, delivery_schedule=SLOW)
    async with slow.client() as client:
        sent = await client.send_sms("+79990000001", "Slow one")
    args = ("status", "--wait", "--wait-timeout", "0.2", str(sent.id), "+79990000001")
    result = await smsc(account(slow), *args)
    assert result.exit_code == 5
    [line] = result.stdout.splitlines()
    assert line.split()[:3] == [str(sent.id), "+79990000001", "queued"]
    assert error_line(result) == "error: 1 of 1 messages had not settled after 0.2 s"
    result = await smsc(account(slow), "--json", *args)
    assert result.exit_code == 5
    [pending] = document(result)
    assert (pending["state"], pending["settled"]) == ("queued", False)


# --- account --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_balance(emu: Emulator) -> None:
    emu.set_balance(emu.accounts[0].login, "123.45")
    result = await smsc(account(emu), "balance")
    assert (result.exit_code, result.stdout) == (0, "123.45 RUR\n")
    result = await smsc(account(emu), "--json", "balance")
    assert document(result) == {"balance": "123.45", "currency": "RUR", "credit": None}


@pytest.mark.asyncio
async def test_history_lists_sent_messages(emu: Emulator) -> None:
    result = await smsc(account(emu), "history")
    assert (result.exit_code, result.stdout) == (0, "no messages\n")
    async with emu.client() as client:
        await client.send_sms("+79990000001", "First message")
        await client.send_sms("+79990000002", "Second message")
    result = await smsc(account(emu), "history", "--phone", "+79990000001")
    assert result.exit_code == 0, result.stderr
    assert "First message" in result.stdout
    assert "Second message" not in result.stdout
    since = (date.today() - timedelta(days=1)).isoformat()
    result = await smsc(account(emu), "--json", "history", "--limit", "1", "--since", since)
    [newest] = document(result)
    assert (newest["phone"], newest["message"], newest["cost"]) == (
        "79990000002",
        "Second message",
        "2.50",
    )

    first, last = date.today() - timedelta(days=3), date.today() - timedelta(days=1)
    emu.clear_requests()
    args = ("--since", first.isoformat(), "--until", last.isoformat(), "--limit", "20")
    phones = ("--phone", "+79990000001", "--phone", "+79990000002")
    result = await smsc(account(emu), "history", *args, *phones)
    assert (result.exit_code, result.stdout) == (0, "no messages\n")
    [request] = emu.requests
    asked = {name: request.params.get(name) for name in ("start", "end", "phone", "cnt")}
    assert asked == {
        "start": first.strftime("%d.%m.%Y"),
        "end": last.strftime("%d.%m.%Y"),
        "phone": "+79990000001,+79990000002",
        "cnt": "20",
    }


@pytest.mark.asyncio
async def test_contacts_add_list_delete(emu: Emulator) -> None:
    async with emu.client() as client:
        group = await client.contacts.add_group("Customers")
    args = ("contacts", "add", "+79990000001", "--name", "Anna", "--group", str(group))
    result = await smsc(account(emu), "--json", *args)
    assert result.exit_code == 0, result.stderr
    [contact] = emu.contacts()
    assert (contact.name, contact.groups) == ("Anna", [group])
    assert document(result) == {"id": contact.int_id, "phone": "+79990000001"}

    result = await smsc(account(emu), "contacts", "list")
    assert result.stdout.splitlines()[-1].split() == [
        str(contact.int_id),
        "Anna",
        "79990000001",
        str(group),
    ]
    result = await smsc(account(emu), "--json", "contacts", "list", "--group", str(group))
    assert [c["name"] for c in document(result)] == ["Anna"]

    result = await smsc(account(emu), "--json", "contacts", "delete", "+79990000001")
    assert (result.exit_code, emu.contacts()) == (0, [])
    assert document(result) == {"deleted": "+79990000001"}
    result = await smsc(account(emu), "contacts", "delete", "+79990000001")
    assert result.exit_code == 1
    assert error_line(result).startswith("error: phones.php: error 3")


@pytest.mark.asyncio
async def test_senders_list_shows_approved_names_or_all(emu: Emulator) -> None:
    async with emu.client() as client:
        await client.senders.add("ShopOne")
        await client.senders.add("ShopTwo")
    emu.moderate_sender("ShopOne", 1)
    result = await smsc(account(emu), "senders", "list")
    assert "ShopOne" in result.stdout
    assert "ShopTwo" not in result.stdout
    result = await smsc(account(emu), "--json", "senders", "list", "--all")
    assert {(s["sender"], s["status"]) for s in document(result)} == {
        ("ShopOne", 1),
        ("ShopTwo", 0),
    }


# --- the group ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_help_version_and_no_command() -> None:
    result = await smsc(NO_ACCOUNT, "--help")
    assert result.exit_code == 0
    for text in ("Exit codes:", "130  interrupted", "SMSC_APIKEY", "Sandbox (--sandbox)"):
        assert text in result.stdout
    _assert_help_layout(result.stdout)
    result = await smsc(NO_ACCOUNT, "--version")
    assert (result.exit_code, result.stdout) == (0, "smsc, version 0.1.0\n")
    result = await smsc(NO_ACCOUNT)
    assert result.exit_code == 2
    assert "Commands:" in result.stderr
    _assert_help_layout(result.stderr)
    result = await smsc(NO_ACCOUNT, "--bogus")
    assert result.exit_code == 2
    assert error_line(result) == "error: No such option '--bogus'. (see 'smsc --help')"
    result = await smsc(NO_ACCOUNT, "contacts")
    assert result.exit_code == 2
    assert "delete" in result.stderr


def _assert_help_layout(text: str) -> None:
    """Check that the help keeps its lines as written (click would rewrap a paragraph)."""
    lines = [line.strip() for line in text.splitlines()]
    for heading in ("Exit codes:", "Environment:", "Commands:"):
        assert heading in lines
    codes = lines[lines.index("Exit codes:") + 1 :]
    assert codes[:3] == [
        "0    done",
        "1    SMSC refused: an API error, a refused number, a limit, a cancelled or",
        "failed export (or a local file could not be written)",
    ]
    assert "130  interrupted (Ctrl-C)" in codes
    assert (
        "When messages fail differently, the most serious code wins (4, then 3, then 1)." in codes
    )


@pytest.mark.asyncio
async def test_sandbox_is_seeded_and_says_so_on_stderr() -> None:
    result = await smsc(NO_ACCOUNT, "--sandbox", "--json", "contacts", "list")
    assert result.exit_code == 0, result.stderr
    banner = result.stderr.strip()
    assert banner.startswith("sandbox: built-in SMSC emulator at http://127.0.0.1:")
    assert banner.endswith(", no real messages are sent")
    assert [c["name"] for c in document(result)] == [
        "Anna Petrova",
        "Boris Ivanov",
        "Vera Smirnova",
    ]

    result = await smsc(NO_ACCOUNT, "--sandbox", "--json", "history")
    assert {(m["id"], m["sender_id"]) for m in document(result)} == {(1001, "SMSCDemo")}
    result = await smsc(NO_ACCOUNT, "--sandbox", "--json", "senders", "list")
    assert [s["sender"] for s in document(result)] == ["SMSCDemo"]
    result = await smsc(NO_ACCOUNT, "--sandbox", "--json", "balance")
    assert document(result)["balance"] == "1000.00"
    result = await smsc(NO_ACCOUNT, "--sandbox", "--json", "exports", "list")
    assert [(t["id"], t["status"]) for t in document(result)] == [(1, 2), (2, 0)]

    args = ("--sandbox", "status", "--wait", "1001:+79990000001", "1001:+79990000003")
    result = await smsc(NO_ACCOUNT, *args)
    assert result.exit_code == 0, result.stderr
    assert "delivered" in result.stdout
    assert "cannot deliver" in result.stdout
    result = await smsc(NO_ACCOUNT, "--sandbox", "send", "+79990000099", "-t", "x")
    assert result.exit_code == 1
    assert "error 8" in result.stderr.splitlines()[-1]


@pytest.mark.asyncio
async def test_statuses_are_shown_in_the_order_given() -> None:
    pairs = [("7", "+79990000002"), ("5", "+79990000001"), ("7", "+79990000001")]
    arrived = [
        MessageStatus(status=MessageState(state), id=i, phone=p)
        for state, (i, p) in zip((1, 0, -1), reversed(pairs), strict=True)
    ]
    ordered = in_given_order(arrived, pairs)
    assert [(s.id, s.phone) for s in ordered] == pairs
