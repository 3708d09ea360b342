"""Mass mailings (jobs.php): the Jobs namespace against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, get_type_hints

import aiohttp
import msgspec
import pytest

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientFundsError,
    InvalidDateError,
    IPBlockedError,
    NotFoundError,
    OperationFailedError,
    RecordNotSavedError,
    ServerRateLimitError,
    SMSCClient,
)
from smsc_async.emulator import Emulator
from smsc_async.jobs import Job, JobStatus, MailingOptions, NewJob, RepeatPeriod
from smsc_async.params import MessageKind, SendOptions, Translit

from .conftest import LOGIN, PASSWORD, url_of

PHONES = ["+79990000001", "+79990000002"]
CLOCK = 1_700_000_000.0  # 15.11.2023 01:13:20 Moscow time
DAY = 86_400.0


def jobs_requests(emulator: Emulator) -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == "jobs.php"]


@contextlib.asynccontextmanager
async def dated() -> AsyncIterator[tuple[Emulator, SMSCClient]]:
    """An emulator whose wall clock starts at CLOCK, and a client for it.

    Made inside the test, so that the clock is anchored on the test's (virtual) loop time.
    """
    emu = Emulator(clock_start=CLOCK)
    async with (
        emu.serve(),
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emu), retry_backoff=0) as smsc,
    ):
        yield emu, smsc


# --- add, get, list, cancel, delete ---------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_status_moves_from_waiting_to_running_to_done(
    client: SMSCClient, emulator: Emulator
) -> None:
    job_id = await client.jobs.add(
        "Promo", PHONES, "Sale today", sender="Shop", time=timedelta(minutes=5)
    )
    sent = jobs_requests(emulator)[0]
    assert (sent["add"], sent["name"], sent["phones"], sent["mes"]) == (
        "1",
        "Promo",
        ",".join(PHONES),
        "Sale today",
    )
    assert sent["time"] == "+5"
    assert [m.id for m in emulator.jobs()] == [job_id]

    job = await client.jobs.get(job_id)
    assert job.id == job_id
    assert job.status is JobStatus.WAITING
    assert (job.name, job.message, job.sender, job.recipients, job.type) == (
        "Promo",
        "Sale today",
        "Shop",
        2,
        0,
    )
    assert job.add_time is not None
    assert job.send_time is not None
    assert (job.send_time - job.add_time).total_seconds() == pytest.approx(300, abs=1)

    await asyncio.sleep(5 * 60 + 1)
    assert (await client.jobs.get(job_id)).status is JobStatus.RUNNING
    await asyncio.sleep(120)
    assert (await client.jobs.get(job_id)).status is JobStatus.DONE
    assert emulator.job_status(job_id) == JobStatus.DONE


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_list_cancel_delete_then_get_fails(client: SMSCClient, emulator: Emulator) -> None:
    later = await client.jobs.add("Later", PHONES[0], "Tomorrow", time=timedelta(hours=1))
    now = await client.jobs.add("Now", PHONES[1], "Right now")
    assert later != now
    listed = await client.jobs.list()
    assert [(j.id, j.name, j.status) for j in listed] == [
        (later, "Later", JobStatus.WAITING),
        (now, "Now", JobStatus.RUNNING),
    ]

    await client.jobs.cancel(later)
    assert jobs_requests(emulator)[-1]["cancel"] == "1"
    assert (await client.jobs.get(later)).status is JobStatus.CANCELLED
    # A running mailing can no longer be cancelled: jobs.php's 5 is an operation failure here.
    with pytest.raises(OperationFailedError) as failed:
        await client.jobs.cancel(now)
    assert failed.value.code == 5
    assert emulator.job_status(now) == JobStatus.RUNNING

    await client.jobs.delete(later)
    assert jobs_requests(emulator)[-1]["del"] == "1"
    assert [m.id for m in emulator.jobs()] == [now]
    # jobs_answer has no "not found" code: an unknown id is 5, "operation error".
    with pytest.raises(OperationFailedError) as missing:
        await client.jobs.get(later)
    assert (missing.value.code, missing.value.script) == (5, "jobs.php")
    assert [j.id for j in await client.jobs.list()] == [now]


@pytest.mark.asyncio
async def test_get_cancel_and_delete_of_unknown_ids_are_operation_errors(
    client: SMSCClient,
) -> None:
    with pytest.raises(OperationFailedError) as shown:
        await client.jobs.get(424242)
    with pytest.raises(OperationFailedError) as cancelled:
        await client.jobs.cancel(424242)
    with pytest.raises(OperationFailedError) as deleted:
        await client.jobs.delete("424242")
    assert shown.value.code == cancelled.value.code == deleted.value.code == 5
    assert cancelled.value.text == "operation error"
    assert not isinstance(cancelled.value, NotFoundError | InvalidDateError)


@pytest.mark.asyncio
async def test_add_with_cost_returns_the_id_and_the_price(
    client: SMSCClient, emulator: Emulator
) -> None:
    plain = await client.jobs.add("Plain", PHONES, "Sale")
    priced = await client.jobs.add("Priced", PHONES, "Sale", with_cost=True)
    assert isinstance(plain, int)
    assert isinstance(priced, NewJob)
    assert priced.cost == Decimal("5.00")  # two recipients, one part at 2.50
    assert [m.id for m in emulator.jobs()] == [plain, priced.id]
    sent_plain, sent_priced = jobs_requests(emulator)
    assert "cost" not in sent_plain
    assert sent_priced["cost"] == "1"  # jobs.php's cost=1, not send.php's cost=2
    assert (await client.jobs.get(priced.id)).name == "Priced"


def test_new_job_refuses_a_price_that_is_not_an_amount() -> None:
    job = msgspec.json.decode(b'{"id": "7", "cost": "12.5"}', type=NewJob, strict=False)
    assert (job.id, job.cost) == (7, Decimal("12.5"))
    with pytest.raises(msgspec.ValidationError, match="finite"):
        msgspec.json.decode(b'{"id": 7, "cost": "NaN"}', type=NewJob)
    # with_cost=True promises a price: an answer without one is not read as a success.
    with pytest.raises(msgspec.ValidationError, match="cost"):
        msgspec.json.decode(b'{"id": 7}', type=NewJob)


def test_mailing_options_are_the_send_options_a_mailing_takes() -> None:
    refused = {"id", "with_cost", "with_balance", "op", "err"}
    expected = {
        name: kind for name, kind in get_type_hints(SendOptions).items() if name not in refused
    }
    assert get_type_hints(MailingOptions) == expected


@pytest.mark.asyncio
async def test_email_mailing_sends_mail_flag_and_subject(
    client: SMSCClient, emulator: Emulator
) -> None:
    job_id = await client.jobs.add(
        "News",
        ["a@example.com", "B@example.com"],
        "<p>Hello</p>",
        kind=MessageKind.EMAIL,
        subject="Monthly news",
        sender="shop@example.com",
    )
    sent = jobs_requests(emulator)[0]
    assert (sent["mail"], sent["subj"], sent["sender"]) == ("1", "Monthly news", "shop@example.com")
    job = await client.jobs.get(job_id)
    assert (job.subject, job.type, job.recipients) == ("Monthly news", 8, 2)
    assert emulator.jobs()[0].phones == ("a@example.com", "b@example.com")


@pytest.mark.asyncio
async def test_options_reach_the_emulator(client: SMSCClient, emulator: Emulator) -> None:
    job_id = await client.jobs.add(
        "Repeat",
        "+79990000001;+79990000002",
        "Weekly",
        kind=MessageKind.FLASH,
        sender="Shop",
        sender2="Shop2",
        repeat=RepeatPeriod.WEEKLY,
        max_repeats=10,
        translit=Translit.TRANSLIT,
        tinyurl=True,
        period=timedelta(hours=2),
        freq=30,
        valid=6,
        maxsms=3,
        tz=2,
    )
    sent = jobs_requests(emulator)[0]
    expected = {
        "flash": "1",
        "sender": "Shop",
        "sender2": "Shop2",
        "rpt": "5",
        "fl[5]": "1",
        "rptn": "10",
        "translit": "1",
        "tinyurl": "1",
        "period": "2",
        "freq": "30",
        "valid": "6",
        "maxsms": "3",
        "tz": "2",
        "phones": "+79990000001,+79990000002",
    }
    assert {k: sent.get(k) for k in expected} == expected
    job = await client.jobs.get(job_id)
    assert (job.type, job.repeat, job.max_repeats) == (1, RepeatPeriod.WEEKLY, 10)
    assert emulator.jobs()[0].run_seconds == 60 + 2 * 3600


@pytest.mark.asyncio
async def test_template_hlr_and_mms_mailings_may_leave_the_text_out(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.jobs.add("Tpl", PHONES, "", template_id=17)
    await client.jobs.add("Lookup", PHONES, "", kind=MessageKind.HLR)
    await client.jobs.add("Pics", PHONES, "", kind=MessageKind.MMS, subject="Look")
    await client.jobs.add("Bin", PHONES, "0a1B", kind=MessageKind.BINARY)
    tpl, hlr, mms, binary = jobs_requests(emulator)
    assert tpl["tpl"] == "17"
    assert "mes" not in tpl
    assert hlr["hlr"] == "1"
    assert "mes" not in hlr
    assert (mms["mms"], mms["subj"]) == ("1", "Look")
    assert (binary["bin"], binary["mes"]) == ("2", "0a1B")
    assert [m.kind for m in emulator.jobs()] == ["sms", "hlr", "mms", "bin"]
    assert emulator.jobs()[0].template_id == 17


# --- list ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_list_filters_by_creation_day() -> None:
    async with dated() as (emu, smsc):
        await _filters(emu, smsc)


async def _filters(emu: Emulator, smsc: SMSCClient) -> None:
    first = await smsc.jobs.add("Day 1", PHONES, "one")  # 15.11.2023
    await asyncio.sleep(2 * DAY)
    second = await smsc.jobs.add("Day 3", PHONES, "three")  # 17.11.2023
    assert [j.id for j in await smsc.jobs.list()] == [first, second]
    assert [j.id for j in await smsc.jobs.list(start=date(2023, 11, 16))] == [second]
    assert [j.id for j in await smsc.jobs.list(end="15.11.2023")] == [first]
    both = await smsc.jobs.list(start="15.11.2023", end=date(2023, 11, 17))
    assert [j.id for j in both] == [first, second]
    assert [j.id for j in await smsc.jobs.list(start="17.11.2023", end="17.11.2023")] == [second]
    filtered = jobs_requests(emu)[-2]
    assert (filtered["get_all"], filtered["start"], filtered["end"]) == (
        "1",
        "15.11.2023",
        "17.11.2023",
    )
    assert (await smsc.jobs.get(first)).add_date == "15.11.2023 01:13:20"


@pytest.mark.asyncio
async def test_empty_list_is_an_empty_list() -> None:
    async with dated() as (emu, smsc):
        assert await smsc.jobs.list() == []
        await smsc.jobs.add("Now", PHONES, "x")
        assert await smsc.jobs.list(end=date(2020, 1, 1)) == []
    # Not error 3: on jobs.php that is "error saving a record", not "no records found".
    assert [r.answered_error for r in emu.requests] == [None, None, None]


@pytest.mark.asyncio
async def test_list_still_reads_error_3_as_nothing_found(
    client: SMSCClient, emulator: Emulator
) -> None:
    # Other scripts answer 3 to an empty list; a read cannot fail to save, so [] either way.
    emulator.faults.api_error(1, code=3, script="jobs.php")
    assert await client.jobs.list() == []


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_add_without_money_is_not_saved(client: SMSCClient, emulator: Emulator) -> None:
    emulator.set_balance(LOGIN, "4.99")  # two recipients at 2.50 each
    with pytest.raises(RecordNotSavedError) as no_money:
        await client.jobs.add("Promo", PHONES, "Sale")
    assert (no_money.value.code, no_money.value.text) == (3, "error saving a record")
    assert not isinstance(no_money.value, InsufficientFundsError)
    assert emulator.jobs() == []
    emulator.set_balance(LOGIN, "5.00")
    assert await client.jobs.add("Promo", PHONES, "Sale again") > 0
    assert emulator.balance() == 5  # a mailing is not charged by the emulator


@pytest.mark.asyncio
async def test_natural_add_errors_use_only_the_documented_codes(
    client: SMSCClient, emulator: Emulator
) -> None:
    with pytest.raises(OperationFailedError) as bad_time:
        await client.jobs.add("Promo", PHONES, "Sale", time="99.99.99 99:99")
    emulator.forbidden_words = {"casino"}
    with pytest.raises(RecordNotSavedError) as forbidden:
        await client.jobs.add("Promo", PHONES, "Best CASINO")
    with pytest.raises(RecordNotSavedError) as bad_phone:
        await client.jobs.add("Promo", ["123", "abc"], "Sale")
    codes = (bad_time.value.code, forbidden.value.code, bad_phone.value.code)
    assert codes == (5, 3, 3)
    assert emulator.jobs() == []
    answered = {r.answered_error for r in emulator.requests}
    assert answered <= {1, 2, 3, 4, 5, 9}


def _add(smsc: SMSCClient) -> Coroutine[Any, Any, object]:
    return smsc.jobs.add("Promo", PHONES, "Sale")


def _get(smsc: SMSCClient) -> Coroutine[Any, Any, object]:
    return smsc.jobs.get(1)


def _list(smsc: SMSCClient) -> Coroutine[Any, Any, object]:
    return smsc.jobs.list(start="01.01.2024")


def _cancel(smsc: SMSCClient) -> Coroutine[Any, Any, object]:
    return smsc.jobs.cancel(1)


def _delete(smsc: SMSCClient) -> Coroutine[Any, Any, object]:
    return smsc.jobs.delete(1)


Command = Callable[[SMSCClient], Coroutine[Any, Any, object]]

# jobs_answer documents 1, 2, 3, 4, 5 and 9; 3 and 5 have their own meanings, below.
_COMMON: list[tuple[int, type[APIError]]] = [
    (1, BadRequestError),
    (2, AuthenticationError),
    (4, IPBlockedError),
    (9, ServerRateLimitError),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("command", "code", "error"),
    [
        *((_add, code, error) for code, error in _COMMON),
        (_add, 3, RecordNotSavedError),
        (_add, 5, OperationFailedError),
        (_list, 1, BadRequestError),
        (_list, 2, AuthenticationError),
        (_list, 5, OperationFailedError),
        *((command, 3, RecordNotSavedError) for command in (_get, _cancel, _delete)),
        *((command, 5, OperationFailedError) for command in (_get, _cancel, _delete)),
        *((command, 1, BadRequestError) for command in (_get, _cancel, _delete)),
        *((command, 2, AuthenticationError) for command in (_get, _cancel, _delete)),
        *((command, 4, IPBlockedError) for command in (_get, _cancel, _delete)),
    ],
)
async def test_error_codes_map_to_classes(
    client: SMSCClient,
    emulator: Emulator,
    command: Command,
    code: int,
    error: type[APIError],
) -> None:
    emulator.faults.api_error(1, code=code, script="jobs.php")
    with pytest.raises(APIError) as raised:
        await command(client)
    assert type(raised.value) is error
    assert (raised.value.code, raised.value.script) == (code, "jobs.php")
    assert len(jobs_requests(emulator)) == 1


@pytest.mark.asyncio
async def test_plain_text_errors_map_like_json_ones(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.plain_text_error(1, code=5, script="jobs.php")
    with pytest.raises(OperationFailedError) as failed:
        await client.jobs.get(5)
    emulator.faults.plain_text_error(1, code=3, script="jobs.php")
    with pytest.raises(RecordNotSavedError) as not_saved:
        await client.jobs.cancel(5)
    assert (failed.value.code, not_saved.value.code) == (5, 3)


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_identical_get_waits_a_minute_and_never_meets_error_9(
    client: SMSCClient, emulator: Emulator
) -> None:
    job_id = await client.jobs.add("Promo", PHONES, "Sale", time=timedelta(hours=1))
    loop = asyncio.get_running_loop()
    start = loop.time()
    # One after the other: two calls at the same moment would share one request.
    first = await client.jobs.get(job_id)
    second = await client.jobs.get(job_id)
    assert first == second
    assert loop.time() - start >= 60
    gets = [r for r in emulator.requests if r.params.get("get") == "1"]
    assert len(gets) == 2
    assert gets[1].at - gets[0].at >= 60
    assert all(r.answered_error is None for r in emulator.requests)
    # A different request is not held back by the first one's window.
    before = loop.time()
    await client.jobs.cancel(job_id)
    assert loop.time() - before < 1


# --- bad input ---------------------------------------------------------------------------------


BAD_INPUT: list[tuple[Command, type[Exception]]] = [
    (lambda s: s.jobs.add("", PHONES, "x"), ValueError),
    (lambda s: s.jobs.add("   ", PHONES, "x"), ValueError),
    (lambda s: s.jobs.add(1, PHONES, "x"), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", [], "x"), ValueError),
    (lambda s: s.jobs.add("n", "", "x"), ValueError),
    (lambda s: s.jobs.add("n", PHONES, ""), ValueError),
    (lambda s: s.jobs.add("n", PHONES, b"x"), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", PHONES, "x" * 1001), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "", kind=MessageKind.MMS), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "zz", kind=MessageKind.BINARY), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", kind="sms"), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", PHONES, "x", kind=MessageKind.TELEGRAM), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", kind=MessageKind.EMAIL, sender="a@b.c"), ValueError),
    (
        lambda s: s.jobs.add("n", PHONES, "x", kind=MessageKind.EMAIL, subject="s", sender="a"),
        ValueError,
    ),
    (lambda s: s.jobs.add("n", PHONES, "x", subject="s"), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", repeat=8), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", repeat="daily"), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", PHONES, "x", max_repeats=3), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", repeat=1, max_repeats=0), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", template_id="abc"), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", sender2=""), ValueError),
    (lambda s: s.jobs.add("n", PHONES, "x", colour="red"), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", PHONES, "x", id=5), TypeError),  # type: ignore[call-overload]
    (
        lambda s: s.jobs.add("n", PHONES, "x", with_balance=True),  # type: ignore[call-overload]
        TypeError,
    ),
    (lambda s: s.jobs.add("n", PHONES, "x", with_cost=1), TypeError),  # type: ignore[call-overload]
    (lambda s: s.jobs.add("n", PHONES, "x", period=1.0), ValueError),  # period needs freq
    (lambda s: s.jobs.add("n", PHONES, "x", time=""), ValueError),
    (lambda s: s.jobs.get("abc"), ValueError),
    (lambda s: s.jobs.get(-1), ValueError),
    (lambda s: s.jobs.get(1.5), TypeError),  # type: ignore[arg-type]
    (lambda s: s.jobs.get(True), TypeError),
    (lambda s: s.jobs.cancel("1a"), ValueError),
    (lambda s: s.jobs.delete(None), TypeError),  # type: ignore[arg-type]
    (lambda s: s.jobs.list(start="2024-01-01"), ValueError),
    (lambda s: s.jobs.list(end=20240101), TypeError),  # type: ignore[arg-type]
    (lambda s: s.jobs.list(start="02.01.2024", end="01.01.2024"), ValueError),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("call", "error"), BAD_INPUT)
async def test_bad_input_raises_before_sending(
    client: SMSCClient, emulator: Emulator, call: Command, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert emulator.requests == []


# --- the emulator's own formats and controls ---------------------------------------------------


@pytest.mark.asyncio
async def test_emulator_answers_fmt_0_and_1(emulator: Emulator) -> None:
    creds = {"login": LOGIN, "psw": PASSWORD, "charset": "utf-8"}
    url = f"{url_of(emulator)}/sys/jobs.php"

    async def post(**params: str) -> str:
        async with http.post(url, data={**creds, **params}) as resp:
            assert resp.status == 200
            return (await resp.read()).decode("utf-8")

    async with aiohttp.ClientSession() as http:
        empty = await post(get_all="1", fmt="0")
        added = await post(add="1", name="Raw", phones="79990000001", mes="Привет", fmt="0")
        job_id = int(added.removeprefix("OK, ID - "))
        shown = await post(get="1", id=str(job_id), fmt="0")
        # Not the same request as the first (one identical jobs.php request a minute).
        csv = await post(get_all="1", start="01.01.2000", fmt="1")
        cancelled = await post(cancel="1", id=str(job_id), fmt="0")
        unknown = await post(get="1", id="999999", fmt="1")
        nothing = await post(fmt="0")
    assert empty == ""
    assert added == f"OK, ID - {job_id}"
    # Without a time the mailing starts at once: it is running (1) and can no longer be cancelled.
    assert shown.startswith(f"id = {job_id}, name = Raw, status = 1, cnt = 1, mes = Привет, ")
    assert csv.startswith(f"{job_id},Raw,1,1,Привет,")
    assert cancelled == "ERROR = 5 (operation error)"
    assert unknown == "0,-5"
    assert nothing == "ERROR = 1 (parameters error)"


@pytest.mark.asyncio
async def test_emulator_refuses_incomplete_adds(emulator: Emulator) -> None:
    creds = {"login": LOGIN, "psw": PASSWORD, "fmt": "3"}
    base = {"add": "1", "name": "n", "phones": "79990000001", "mes": "x"}
    bad = [
        {"name": ""},
        {"phones": ""},
        {"mes": ""},
        {"mail": "1", "phones": "a@b.cc"},  # no subj, no sender
        {"rpt": "8"},
        {"rptn": "x"},
        {"period": "1000"},
        {"add": "1", "get": "1"},
        {"cost": "2"},  # send.php's cost codes are not jobs.php's
    ]
    async with aiohttp.ClientSession() as http:
        for change in bad:
            data = {**creds, **base, **change}
            async with http.post(f"{url_of(emulator)}/sys/jobs.php", data=data) as resp:
                assert await resp.json() == {"error": "parameters error", "error_code": 1}
        async with http.post(
            f"{url_of(emulator)}/sys/jobs.php", data={**creds, "get_all": "1", "start": "x"}
        ) as resp:
            assert (await resp.json())["error_code"] == 5
    assert emulator.jobs() == []


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_forced_status_is_seen_and_blocks_cancel(
    client: SMSCClient, emulator: Emulator
) -> None:
    job_id = await client.jobs.add("Later", PHONES, "x", time=timedelta(hours=1))
    emulator.set_job_status(job_id, JobStatus.RUNNING)
    assert (await client.jobs.get(job_id)).status is JobStatus.RUNNING
    with pytest.raises(OperationFailedError):
        await client.jobs.cancel(job_id)
    emulator.set_job_status(job_id, None)
    assert emulator.job_status(job_id) == JobStatus.WAITING
    await client.jobs.cancel(job_id)
    assert emulator.job_status(job_id) == JobStatus.CANCELLED
    with pytest.raises(KeyError):
        emulator.set_job_status(999, 1)


def test_job_model_is_lenient() -> None:
    body = b'{"id": "7", "status": 42, "cnt": "3", "extra": {"x": 1}, "rpt": 2}'
    job = msgspec.json.decode(body, type=Job, strict=False)
    assert (job.id, job.recipients, job.repeat) == (7, 3, RepeatPeriod.DAILY)
    assert job.status == 42
    assert job.status is not None
    assert job.status.name == "UNKNOWN_42"
    assert job.name == ""
    assert job.add_time is None
    bare = msgspec.json.decode(b'{"id": 1}', type=Job)
    assert bare.status is None


@pytest.mark.asyncio
async def test_only_a_repeating_mailing_carries_the_repeat_flag(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.jobs.add("Once", PHONES, "a", repeat=RepeatPeriod.MANUAL)
    await client.jobs.add("Plain", PHONES, "b")
    await client.jobs.add("Daily", PHONES, "c", repeat=RepeatPeriod.DAILY)
    once, plain, daily = jobs_requests(emulator)
    assert once["rpt"] == "0"
    assert "fl[5]" not in once
    assert "rpt" not in plain
    assert "fl[5]" not in plain
    assert (daily["rpt"], daily["fl[5]"]) == ("2", "1")
