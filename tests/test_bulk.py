"""smsc.bulk: packed bulk sends and bulk status tracking, against the emulator over loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from smsc_async import (
    AuthenticationError,
    InsufficientFundsError,
    MessageState,
    SendOutcomeUnknownError,
    SMSCClient,
)
from smsc_async._rules import CALLER_FIELDS
from smsc_async.bulk import DEFAULT_MAX_REQUEST_BYTES, ENVELOPE_BYTES, BulkSendItem, SettleProgress
from smsc_async.emulator import Emulator
from smsc_async.errors import (
    APIError,
    RecipientRejectedError,
    StatusWaitTimeoutError,
)

from .conftest import APIKEY, LOGIN, PASSWORD, url_of


def phone(n: int) -> str:
    return f"+7999{n:07d}"


def personal(count: int, start: int = 0) -> list[tuple[str, str]]:
    return [(phone(n), f"Код {n}: вход, {n * 7 % 1000}") for n in range(start, start + count)]


def sends(emulator: Emulator) -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == "send.php"]


def statuses(emulator: Emulator) -> list[dict[str, str]]:
    return [r.params for r in emulator.requests if r.script == "status.php"]


def body_size(params: dict[str, str]) -> int:
    return len(urlencode(params))


def packed_size(params: dict[str, str]) -> int:
    """The size of what a bulk send packs: all but the credentials and answer format."""
    return body_size({k: v for k, v in params.items() if k not in CALLER_FIELDS})


# -- personalised sends ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_personalised_messages_are_packed_under_the_bound(
    emulator: Emulator, client: SMSCClient
) -> None:
    messages = personal(120)
    bound = 4096
    results = await client.bulk.send(messages, max_request_bytes=bound)

    assert [r.index for r in results] == list(range(120))
    assert all(r.ok and r.error is None for r in results)
    assert [r.phone for r in results] == [p for p, _ in messages]
    sent = sends(emulator)
    assert all(body_size(p) <= bound for p in sent)
    assert all(packed_size(p) <= bound - ENVELOPE_BYTES for p in sent)
    # As few requests as the bound allows: none could have taken the next one's first line.
    lines = [p["list"].split("\n") for p in sent]
    assert sum(len(group) for group in lines) == 120
    one_line = max(len(urlencode({"x": line})) for group in lines for line in group)
    assert all(body_size(p) + one_line > bound - 600 for p in sent[:-1])
    assert len(sent) == 3
    # Each request has its own id; every message is stored once, under its request's id.
    assert len({p["id"] for p in sent}) == len(sent)
    stored = {(m.phone, str(m.id)): m.text for m in emulator.messages()}
    assert len(stored) == 120
    for (number, text), result in zip(messages, results, strict=True):
        assert stored[(number.lstrip("+"), str(result.id))] == text
        assert result.cost == Decimal("2.50") * (1 if len(text) <= 70 else 2)


@pytest.mark.asyncio
async def test_one_request_when_everything_fits(emulator: Emulator, client: SMSCClient) -> None:
    results = await client.bulk.send(dict(personal(300)))
    assert len(sends(emulator)) == 1
    assert body_size(sends(emulator)[0]) < DEFAULT_MAX_REQUEST_BYTES
    assert len({r.id for r in results}) == 1
    assert all(r.ok for r in results)


@pytest.mark.asyncio
async def test_a_number_given_twice_gets_both_messages_in_different_requests(
    emulator: Emulator, client: SMSCClient
) -> None:
    messages = [(phone(1), "first"), (phone(2), "other"), ("+7 999 000-00-01", "second")]
    results = await client.bulk.send(messages)

    assert len(sends(emulator)) == 2
    assert results[0].id != results[2].id
    assert results[2].phone == "+7 999 000-00-01"
    texts = sorted(m.text for m in emulator.messages() if m.phone == "79990000001")
    assert texts == ["first", "second"]


@pytest.mark.asyncio
async def test_refused_numbers_get_their_own_error(emulator: Emulator, client: SMSCClient) -> None:
    emulator.undeliverable_phones = {"79990000003"}
    messages = [(phone(1), "a"), ("not-a-number", "b"), (phone(3), "c"), (phone(4), "d")]
    results = await client.bulk.send(messages)

    assert [r.ok for r in results] == [True, False, False, True]
    invalid, undeliverable = results[1].error, results[2].error
    assert isinstance(invalid, RecipientRejectedError)
    assert (invalid.status, invalid.error, invalid.message_id) == (22, 249, results[1].id)
    assert isinstance(undeliverable, RecipientRejectedError)
    assert undeliverable.status == MessageState.CANNOT_DELIVER
    assert "nothing was sent" in str(undeliverable)
    assert sorted(m.phone for m in emulator.messages()) == ["79990000001", "79990000004"]


@pytest.mark.asyncio
async def test_a_refused_request_marks_its_messages_and_the_others_go_on(
    emulator: Emulator,
) -> None:
    # The money runs out after the first request; one request at a time fixes the order.
    def spend_all(item: BulkSendItem) -> None:
        emulator.set_balance(LOGIN, "0")

    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_in_flight=1) as smsc:
        results = await smsc.bulk.send(personal(40), max_request_bytes=1500, on_result=spend_all)

    requests = len(sends(emulator))
    assert requests >= 3
    per_request = Counter(r.id for r in results)
    first_id = results[0].id
    assert all(r.ok for r in results if r.id == first_id)
    refused = [r for r in results if r.id != first_id]
    assert refused
    assert all(isinstance(r.error, InsufficientFundsError) for r in refused)
    assert len(per_request) == requests
    assert len(emulator.messages()) == per_request[first_id]


@pytest.mark.asyncio
async def test_wrong_credentials_stop_the_run(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, "wrong", base_url=url_of(emulator), max_in_flight=1) as smsc:
        results = await smsc.bulk.send(personal(30), max_request_bytes=1500)

    assert len(sends(emulator)) == 1  # the rest were not tried
    assert all(isinstance(r.error, AuthenticationError) for r in results)
    assert len({r.id for r in results}) > 1  # the untried requests keep their own ids


@pytest.mark.asyncio
async def test_a_lost_answer_is_confirmed_and_never_sent_again(
    emulator: Emulator, client: SMSCClient
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=True)
    results = await client.bulk.send(personal(40), max_request_bytes=1500)

    assert all(r.ok for r in results)
    stored = Counter((m.phone, str(m.id)) for m in emulator.messages())
    assert len(stored) == 40
    assert set(stored.values()) == {1}
    assert len(sends(emulator)) == len({r.id for r in results})


@pytest.mark.asyncio
async def test_an_unconfirmed_request_is_reported_not_resent(
    emulator: Emulator, client: SMSCClient
) -> None:
    emulator.faults.http_error(1, status=502, script="send.php")
    results = await client.bulk.send(personal(40), max_request_bytes=1500)

    unknown = [r for r in results if not r.ok]
    assert unknown
    assert all(isinstance(r.error, SendOutcomeUnknownError) for r in unknown)
    (lost_id,) = {r.id for r in unknown}
    assert all(
        isinstance(r.error, SendOutcomeUnknownError) and r.error.message_id == lost_id
        for r in unknown
    )
    assert len(emulator.messages()) == 40 - len(unknown)
    assert [p["id"] for p in sends(emulator)].count(str(lost_id)) == 1


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_requests_run_with_the_whole_concurrency(emulator: Emulator) -> None:
    emulator.faults.delay(1.0, script="send.php")
    emulator.set_balance(LOGIN, "100000")
    loop = asyncio.get_running_loop()
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)) as smsc:
        started = loop.time()
        results = await smsc.bulk.send(personal(600), max_request_bytes=1500)
        elapsed = loop.time() - started

    requests = len(sends(emulator))
    assert requests > 28
    assert emulator.max_in_flight[LOGIN] == 14
    assert elapsed == pytest.approx(-(-requests // 14) * 1.0, abs=0.5)
    assert all(r.ok for r in results)


@pytest.mark.asyncio
async def test_on_result_sees_every_message_as_its_request_finishes(
    emulator: Emulator, client: SMSCClient
) -> None:
    seen: list[BulkSendItem] = []
    results = await client.bulk.send(personal(50), max_request_bytes=1500, on_result=seen.append)
    assert sorted(seen, key=lambda r: r.index) == results


@pytest.mark.asyncio
async def test_options_apply_to_every_request(emulator: Emulator, client: SMSCClient) -> None:
    await client.bulk.send(personal(40), max_request_bytes=1500, sender="Shop", translit=1)
    assert all(p["sender"] == "Shop" and p["translit"] == "1" for p in sends(emulator))
    assert all(p["op"] == "1" for p in sends(emulator))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("messages", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "messages is empty"),
        ([(f"{phone(1)},{phone(2)}", "x")], {}, ValueError, "several numbers"),
        ([(phone(1), "")], {}, ValueError, "message is empty"),
        ([(phone(1), "x" * 1001)], {}, ValueError, "at most 1000"),
        ([(phone(1), "a\\nb")], {}, ValueError, "backslash-n"),
        ([(phone(1), "x")], {"id": 5}, ValueError, "drop the id option"),
        ([(phone(1), "x")], {"max_request_bytes": 100}, ValueError, "at least 1024"),
        ([(phone(1), "x")], {"max_request_bytes": True}, TypeError, "must be an int"),
        ([(phone(1), "я" * 1000)], {"max_request_bytes": 4096}, ValueError, "raise max_request"),
        ([(phone(1), "x")], {"colour": "red"}, TypeError, "colour"),
        ([(5, "x")], {}, TypeError, "must be a str"),
    ],
)
async def test_bad_input_is_refused_before_any_request(
    emulator: Emulator,
    client: SMSCClient,
    messages: list[tuple[str, str]],
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    tail = [(phone(9), "fine")]  # a bad message anywhere stops the whole bulk send
    with pytest.raises(error, match=match):
        await client.bulk.send(tail + messages if messages else messages, **kwargs)  # type: ignore[arg-type]
    assert emulator.requests == []


# -- one text to many numbers ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_one_text_goes_to_every_number(emulator: Emulator, client: SMSCClient) -> None:
    numbers = [phone(n) for n in range(200)] + [phone(5)]
    results = await client.bulk.send_text(numbers, "Sale today", max_request_bytes=1500)

    sent = sends(emulator)
    assert all(packed_size(p) <= 1500 - ENVELOPE_BYTES for p in sent)
    assert all(p["mes"] == "Sale today" for p in sent)
    assert sum(len(p["phones"].split(",")) for p in sent) == 201
    per_request = len(sent[0]["phones"].split(","))
    assert len(sent) == -(-200 // per_request) + 1  # the repeated number goes on its own
    assert sent[-1]["phones"] == phone(5)
    assert [r.phone for r in results] == numbers
    assert results[5].id != results[200].id
    assert all(r.ok for r in results)
    assert Counter(m.phone for m in emulator.messages())["79990000005"] == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("phones", "text", "error", "match"),
    [
        ([], "x", ValueError, "phones is empty"),
        ("+79990000001", "x", TypeError, "not one str"),
        ([phone(1), ""], "x", ValueError, "empty entry"),
        ([phone(1)], "", ValueError, "message is empty"),
        ([phone(1)], "я" * 1000, ValueError, "raise max_request_bytes"),
    ],
)
async def test_send_text_refuses_bad_input_before_any_request(
    emulator: Emulator, client: SMSCClient, phones: list[str], text: str, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        await client.bulk.send_text(phones, text, max_request_bytes=1100)
    assert emulator.requests == []


# -- statuses --------------------------------------------------------------------------------


async def sent_pairs(client: SMSCClient, count: int) -> list[tuple[int | str, str]]:
    results = await client.bulk.send(personal(count), max_request_bytes=2000)
    return [(r.id, r.phone) for r in results]


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_statuses_use_one_mass_request_and_singles(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 100)
    emulator.clear_requests()

    got = [s async for s in client.bulk.iter_statuses(pairs, mass_size=50)]

    assert sorted((str(s.id), s.phone) for s in got) == sorted((str(i), p) for i, p in pairs)
    asked = statuses(emulator)
    mass = [p for p in asked if p["id"].endswith(",")]
    assert len(mass) == 1
    assert len(mass[0]["id"].rstrip(",").split(",")) == 50
    assert len(asked) == 51  # 50 in the mass request, 50 one by one
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_second_pass_within_the_minute_goes_single(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 60)
    [s async for s in client.bulk.iter_statuses(pairs)]
    emulator.clear_requests()
    loop = asyncio.get_running_loop()
    started = loop.time()

    async with asyncio.timeout(120):  # a lost message would leave the iteration waiting
        got = [s async for s in client.bulk.iter_statuses(pairs)]

    assert len(got) == 60
    assert loop.time() - started < 1  # nobody waited for the mass rule
    assert len(statuses(emulator)) == 60
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
async def test_mass_size_one_means_single_requests(emulator: Emulator, client: SMSCClient) -> None:
    pairs = await sent_pairs(client, 40)
    emulator.clear_requests()
    got = [s async for s in client.bulk.iter_statuses(pairs, mass_size=1, all=1)]
    assert len(statuses(emulator)) == 40
    assert {s.message for s in got} == {text for _, text in personal(40)}


@pytest.mark.asyncio
async def test_a_failed_status_request_stops_the_iteration(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 30)
    emulator.faults.api_error(1, code=2, script="status.php")
    with pytest.raises(AuthenticationError):
        [s async for s in client.bulk.iter_statuses(pairs, mass_size=1)]
    await asyncio.sleep(0.2)
    assert client._joined == {}  # what was in flight has finished
    assert len(statuses(emulator)) < 30  # and nothing more was asked


@pytest.mark.asyncio
async def test_breaking_out_stops_the_remaining_requests(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 60)
    emulator.clear_requests()
    async with contextlib.aclosing(client.bulk.iter_statuses(pairs, mass_size=1)) as got:
        async for _ in got:
            break
    await asyncio.sleep(0.2)
    assert len(statuses(emulator)) <= 28  # those in flight at the break, nothing after


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_wait_settled_polls_until_every_message_has_an_outcome(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 30)
    emulator.set_outcome(pairs[4][1], status=20, err=1)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async with asyncio.timeout(120):
        final = await client.bulk.wait_settled(pairs, interval=2.0)

    assert [(s.id, s.phone) for s in final] == pairs
    assert final[4].status == MessageState.CANNOT_DELIVER
    assert all(s.status == MessageState.DELIVERED for i, s in enumerate(final) if i != 4)
    assert 3 <= loop.time() - started <= 5  # delivered 3 s after acceptance; polled every 2 s


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_iter_settled_yields_each_outcome_once(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 20)
    emulator.set_outcome(pairs[0][1], status=22, err=249)
    got = [s async for s in client.bulk.iter_settled(pairs, interval=1.5)]
    assert len(got) == 20
    assert got[0].status == MessageState.INVALID_NUMBER
    assert len({(s.id, s.phone) for s in got}) == 20


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_waiting_too_long_raises_with_the_last_statuses(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 10)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StatusWaitTimeoutError) as caught:
        await client.bulk.wait_settled(pairs, interval=1.0, timeout=2.5)
    assert 2.5 <= loop.time() - started < 3.5
    assert len(caught.value.pending) == 10
    assert {s.status for s in caught.value.pending} == {MessageState.SENT}
    assert isinstance(caught.value, TimeoutError)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"messages": [(1, "")]}, "phone must be"),
        ({"messages": [("1,2", "+79990000001")]}, "one id and one phone"),
        ({"mass_size": 0}, "mass_size"),
        ({"interval": 0}, "interval"),
        ({"interval": float("inf")}, "interval"),
        ({"timeout": -1}, "timeout"),
        ({"all": 3}, "all must be"),
    ],
)
async def test_status_input_is_checked_before_any_request(
    emulator: Emulator, client: SMSCClient, kwargs: dict[str, object], match: str
) -> None:
    arguments: dict[str, object] = {"messages": [(1, phone(1))], **kwargs}
    with pytest.raises(ValueError, match=match):
        await client.bulk.wait_settled(**arguments)  # type: ignore[arg-type]
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_status_errors_keep_their_type(emulator: Emulator, client: SMSCClient) -> None:
    emulator.faults.api_error(1, code=1, script="status.php")
    with pytest.raises(APIError):
        await client.bulk.wait_settled([(1, phone(1))])


@pytest.mark.asyncio
async def test_an_error_in_on_result_stops_the_send_and_reaches_the_caller(
    emulator: Emulator, client: SMSCClient
) -> None:
    def broken(item: BulkSendItem) -> None:
        raise LookupError("the caller's own bug")

    with pytest.raises(LookupError, match="own bug"):
        await client.bulk.send(personal(40), max_request_bytes=1500, on_result=broken)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_mass_requests_carry_the_detail_level(emulator: Emulator, client: SMSCClient) -> None:
    pairs = await sent_pairs(client, 40)
    emulator.clear_requests()
    got = [s async for s in client.bulk.iter_statuses(pairs, all=1, mass_size=20)]
    mass = [p for p in statuses(emulator) if p["id"].endswith(",")]
    assert len(mass) == 1
    assert mass[0]["all"] == "1"
    assert {s.message for s in got} == {text for _, text in personal(40)}


@pytest.mark.asyncio
async def test_a_list_given_as_one_phone_is_refused(emulator: Emulator, client: SMSCClient) -> None:
    with pytest.raises(ValueError, match="several numbers"):
        await client.bulk.send([([phone(1), phone(2)], "hi")])  # type: ignore[list-item]
    assert emulator.requests == []


@pytest.mark.asyncio
async def test_a_lost_answer_is_checked_number_by_number(
    emulator: Emulator, client: SMSCClient
) -> None:
    # SMSC took the request but refused one number; then the answer was lost.
    emulator.faults.drop(1, script="send.php", after_processing=True)
    messages = [(phone(1), "a"), ("not-a-number", "b"), (phone(3), "c")]
    results = await client.bulk.send(messages)

    assert [r.ok for r in results] == [True, False, True]
    refused = results[1].error
    assert isinstance(refused, SendOutcomeUnknownError)
    assert refused.checked
    assert refused.phones == "not-a-number"
    assert len(sends(emulator)) == 1


@pytest.mark.asyncio
async def test_a_lost_answer_whose_first_number_was_refused_keeps_the_others(
    emulator: Emulator, client: SMSCClient
) -> None:
    emulator.faults.drop(1, script="send.php", after_processing=True)
    messages = [("not-a-number", "a"), (phone(2), "b"), (phone(3), "c")]
    results = await client.bulk.send(messages)

    assert [r.ok for r in results] == [False, True, True]
    assert sorted(m.phone for m in emulator.messages()) == ["79990000002", "79990000003"]


@pytest.mark.asyncio
async def test_on_result_errors_let_requests_in_flight_finish_and_start_no_more(
    emulator: Emulator,
) -> None:
    seen: list[BulkSendItem] = []

    def broken(item: BulkSendItem) -> None:
        seen.append(item)
        raise LookupError("the caller's own bug")

    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_in_flight=2) as smsc:
        with pytest.raises(LookupError):
            await smsc.bulk.send(personal(60), max_request_bytes=1500, on_result=broken)

    assert len(seen) == 1  # on_result is not called again once it failed
    assert len(sends(emulator)) == 2  # the two in flight finished; no third was started
    assert all(r.answered_error is None for r in emulator.requests)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_mass_request_refused_by_smsc_goes_back_to_single_requests(
    emulator: Emulator, client: SMSCClient
) -> None:
    pairs = await sent_pairs(client, 60)
    # Another program of this login made a mass request: the client's gate cannot know.
    async with SMSCClient(apikey=APIKEY, base_url=url_of(emulator)) as other:
        await other.get_statuses(pairs[:2])
    emulator.clear_requests()

    got = [s async for s in client.bulk.iter_statuses(pairs)]

    assert sorted(str(s.phone) for s in got) == sorted(p for _, p in pairs)
    answered = [r.answered_error for r in emulator.requests]
    assert answered.count(9) == 1  # the mass request; the single requests took its messages
    assert len(statuses(emulator)) == 61


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_the_timeout_holds_inside_a_polling_round(emulator: Emulator) -> None:
    emulator.faults.delay(1.0, script="status.php")
    loop = asyncio.get_running_loop()
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_in_flight=2) as smsc:
        pairs = await sent_pairs(smsc, 8)
        started = loop.time()
        with pytest.raises(StatusWaitTimeoutError) as caught:
            await smsc.bulk.wait_settled(pairs, timeout=1.5)
    assert loop.time() - started == pytest.approx(1.5, abs=0.1)
    pending = caught.value.pending
    assert 0 < len(pending) < 8  # only those answered in time have a status to show
    assert not any(s.status.is_settled for s in pending)


@pytest.mark.asyncio
async def test_no_messages_to_follow_is_an_empty_result(
    emulator: Emulator, client: SMSCClient
) -> None:
    assert await client.bulk.wait_settled([]) == []
    assert [s async for s in client.bulk.iter_statuses([])] == []
    assert emulator.requests == []


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_iter_settled_reports_its_progress(emulator: Emulator, client: SMSCClient) -> None:
    pairs = await sent_pairs(client, 3)
    loop = asyncio.get_running_loop()
    reports: list[SettleProgress] = []
    got = [s async for s in client.bulk.iter_settled(pairs, interval=2.0, on_poll=reports.append)]
    assert len(got) == 3
    first = reports[0]  # a round starts: nothing checked yet
    assert (first.settled, first.pending, first.next_poll) == (0, (None, None, None), None)
    waits = [r for r in reports if r.next_poll is not None]
    assert waits  # before each pause: the time of the next round
    assert all(r.settled == 0 and len(r.pending) == 3 for r in waits)
    assert all(s is not None and not s.status.is_settled for r in waits for s in r.pending)
    assert all(r.next_poll is not None and r.next_poll > loop.time() - 60 for r in waits)
    assert reports[-1].settled == 2  # the last report came with the third message pending
