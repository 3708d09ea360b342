"""Contacts, groups and black lists (phones.php, mails.php) through the client and raw HTTP.

Every test runs on virtual time: the limits gate keeps its windows per login and host for the
whole process on the real clock, so identical list requests of different tests would otherwise
wait for each other.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

import aiohttp
import msgspec
import pytest

from smsc_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    IPBlockedError,
    NotFoundError,
    OperationFailedError,
    ResponseDecodeError,
    ServerRateLimitError,
    SMSCClient,
)
from smsc_async.contacts import BlacklistEntry, BlacklistType, Contact, ContactGroup
from smsc_async.emulator import Emulator

from .conftest import LOGIN, PASSWORD

pytestmark = [pytest.mark.asyncio, pytest.mark.looptime]

CREDS = {"login": LOGIN, "psw": PASSWORD, "charset": "utf-8"}


def params(emulator: Emulator, index: int = -1) -> dict[str, str]:
    return emulator.requests[index].params


async def collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


async def invoke(call: Callable[[SMSCClient], Any], client: SMSCClient) -> None:
    result = call(client)  # iterators check their arguments at call time, coroutines when awaited
    if inspect.isawaitable(result):
        await result


# --- lifecycles -------------------------------------------------------------------------------


async def test_phone_contact_lifecycle(client: SMSCClient, emulator: Emulator) -> None:
    first = await client.contacts.add_group("Friends")
    second = await client.contacts.add_group("Work")
    assert params(emulator)["type"] == "0"
    new_id = await client.contacts.add(
        "+7 (999) 000-00-01",
        "Bob",
        groups=first,
        first_name="Robert",
        last_name="Smith",
        middle_name="J",
        birthday=date(1990, 5, 17),
        my_id="crm-7",
        comment="met at the fair",
        tags=["vip", "fair"],
        others="+79990009999",
    )
    sent = params(emulator)
    assert sent["add"] == "1"
    assert sent["phone"] == "+7 (999) 000-00-01"
    assert (sent["grp"], sent["bd"], sent["myid"], sent["tags"]) == (
        str(first),
        "17.05.1990",
        "crm-7",
        "vip,fair",
    )

    [contact] = await client.contacts.list()
    assert contact == Contact(
        phone="79990000001",
        name="Bob",
        group=first,
        first_name="Robert",
        last_name="Smith",
        middle_name="J",
        birthday="17.05.1990",
        my_id="crm-7",
        comment="met at the fair",
        tags="vip,fair",
        other_phones="+79990009999",
        int_id=new_id,
    )
    assert contact.address == "79990000001"
    assert contact.group_ids == (first,)
    assert contact.birth_date == date(1990, 5, 17)

    await client.contacts.change("79990000001", new_addresses=["+79990000002", "+79990000003"])
    assert params(emulator)["new_phone"] == "+79990000002,+79990000003"
    [changed] = await client.contacts.list(address="+79990000003")
    assert changed.addresses == ("79990000002", "79990000003")
    assert await client.contacts.list(address="79990000001") == []

    await client.contacts.change("79990000002", name="Bobby", comment="")
    [stored] = emulator.contacts()
    assert (stored.name, stored.comment, stored.first_name) == ("Bobby", "", "Robert")

    await client.contacts.add_to_group("79990000002", second)
    assert params(emulator)["move_group"] == "2"
    assert emulator.contacts()[0].groups == [first, second]
    [both] = await client.contacts.list(group=second)
    assert both.group_ids == (first, second)
    await client.contacts.move_to_group("79990000003", second)
    assert params(emulator)["move_group"] == "1"
    assert emulator.contacts()[0].groups == [second]
    await client.contacts.remove_from_group("79990000003", second)
    assert params(emulator)["move_group"] == "3"
    assert emulator.contacts()[0].groups == []
    assert (await client.contacts.list())[0].group_ids == ()

    await client.contacts.delete("+79990000002")
    assert emulator.contacts() == []
    assert await client.contacts.list() == []


async def test_mail_contact_lifecycle(client: SMSCClient, emulator: Emulator) -> None:
    group = await client.mail_contacts.add_group("Newsletter")
    assert params(emulator)["type"] == "1"
    assert emulator.requests[-1].script == "mails.php"
    assert [g.type for g in emulator.contact_groups()] == [1]
    new_id = await client.mail_contacts.add(
        "Ann@Example.com; ann.work@example.com", "Ann", groups=[group], others="a@b.c"
    )
    assert params(emulator)["mail"] == "Ann@Example.com,ann.work@example.com"
    assert emulator.contacts() == []  # phones.php's book is another one

    [contact] = await client.mail_contacts.list()
    assert contact.mail == "ann@example.com,ann.work@example.com"
    assert contact.phone == ""
    assert contact.other_mails == "a@b.c"
    assert contact.address == contact.mail
    assert contact.int_id == new_id
    assert contact.group_ids == (group,)

    await client.mail_contacts.change("ann@example.com", new_addresses="ann@new.example")
    assert params(emulator)["new_mail"] == "ann@new.example"
    await client.mail_contacts.change("ann@new.example", name="Anna")
    [renamed] = emulator.contacts(email=True)
    assert (renamed.addresses, renamed.name) == (["ann@new.example"], "Anna")

    other = await client.mail_contacts.add_group("Other")
    await client.mail_contacts.add_to_group("ann@new.example", other)
    assert emulator.contacts(email=True)[0].groups == [group, other]
    await client.mail_contacts.move_to_group("ann@new.example", group)
    await client.mail_contacts.remove_from_group("ann@new.example", group)
    assert emulator.contacts(email=True)[0].groups == []

    await client.mail_contacts.delete("ann@new.example")
    assert params(emulator)["mail"] == "ann@new.example"
    assert await client.mail_contacts.list() == []


async def test_groups(client: SMSCClient, emulator: Emulator) -> None:
    friends = await client.contacts.add_group("Friends", number=7)
    work = await client.contacts.add_group("Work")
    await client.contacts.add("+79990000001", "A", groups=[friends, work])
    await client.contacts.add("+79990000002", "B", groups=friends)
    assert await client.contacts.list_groups() == [
        ContactGroup(id=friends, name="Friends", number=7, count=2),
        ContactGroup(id=work, name="Work", number=0, count=1),
    ]
    assert await client.mail_contacts.list_groups() == []  # type 1 groups only

    await client.contacts.rename_group(work, "Office", number=3)
    assert params(emulator)["chg_group"] == "1"
    assert [(g.name, g.number) for g in emulator.contact_groups(email=False)] == [
        ("Friends", 7),
        ("Office", 3),
    ]

    await client.contacts.delete_group(friends)
    assert params(emulator)["grp"] == str(friends)
    assert [c.groups for c in emulator.contacts()] == [[work], []]
    assert [g.id for g in await client.contacts.list_groups()] == [work]
    await client.contacts.delete_group(work)
    assert await client.contacts.list_groups() == []
    assert len(emulator.contacts()) == 2  # the contacts stay


async def test_blacklist(client: SMSCClient, emulator: Emulator) -> None:
    everything = await client.contacts.add_to_blacklist("+79990000001", comment="spam")
    mass = await client.contacts.add_to_blacklist("79990000002", type=BlacklistType.MASS)
    single = await client.contacts.add_to_blacklist("79990000003", type=2)
    assert params(emulator)["type"] == "2"
    assert await client.contacts.list_blacklist() == [
        BlacklistEntry(id=single, phone="79990000003", type=BlacklistType.SINGLE),
        BlacklistEntry(id=mass, phone="79990000002", type=BlacklistType.MASS),
        BlacklistEntry(id=everything, phone="79990000001", comment="spam"),
    ]
    assert [e.address for e in emulator.blacklist()] == [
        "79990000001",
        "79990000002",
        "79990000003",
    ]

    with pytest.raises(OperationFailedError) as taken:
        await client.contacts.add_to_blacklist("79990000001")
    assert taken.value.code == 5

    await client.contacts.remove_from_blacklist("+79990000002")
    assert [e.id for e in await client.contacts.list_blacklist()] == [single, everything]
    with pytest.raises(NotFoundError) as missing:
        await client.contacts.remove_from_blacklist("79990000002")
    assert missing.value.code == 3

    blocked = await client.mail_contacts.add_to_blacklist("Spam@Example.com", type=1)
    [entry] = await client.mail_contacts.list_blacklist()
    assert entry == BlacklistEntry(id=blocked, email="spam@example.com", type=BlacklistType.MASS)
    assert entry.address == "spam@example.com"
    assert params(emulator, -2)["mail"] == "Spam@Example.com"
    await client.mail_contacts.remove_from_blacklist("spam@example.com")
    assert emulator.blacklist(email=True) == []
    assert await client.mail_contacts.list_blacklist() == []


# --- paging -----------------------------------------------------------------------------------


async def test_contacts_iterate_in_pages(client: SMSCClient, emulator: Emulator) -> None:
    ids = [emulator.add_contact(f"+7999000{n:04d}", f"c{n}") for n in range(25)]
    contacts = await collect(client.contacts.iterate(page_size=10))
    assert [c.int_id for c in contacts] == ids
    assert [c.name for c in contacts] == [f"c{n}" for n in range(25)]
    pages = [r.params for r in emulator.requests]
    assert [p["cnt"] for p in pages] == ["10", "10", "10"]
    assert [p.get("after_id") for p in pages] == [None, str(ids[9]), str(ids[19])]


async def test_contacts_iterate_exact_pages_ends_on_empty_page(
    client: SMSCClient, emulator: Emulator
) -> None:
    for n in range(20):
        emulator.add_contact(f"ann{n}@example.com", email=True)
    contacts = await collect(client.mail_contacts.iterate(page_size=10, search="example"))
    assert len(contacts) == 20
    assert len(emulator.requests) == 3
    assert emulator.requests[-1].answered_error == 3  # "no records found" ends the iteration
    assert all(r.params["search"] == "example" for r in emulator.requests)


async def test_iterate_fails_without_int_id(client: SMSCClient, emulator: Emulator) -> None:
    for n in range(3):
        emulator.add_contact(f"+7999000{n:04d}")
    emulator.show_contact_int_ids(False)
    assert [c.int_id for c in await client.contacts.list()] == [None, None, None]
    iterator = client.contacts.iterate(page_size=2)
    with pytest.raises(ResponseDecodeError):
        await collect(iterator)
    # A short page needs no cursor: it is the last one.
    assert len(await collect(client.contacts.iterate(page_size=5))) == 3


async def test_blacklist_iterates_with_prev_id(client: SMSCClient, emulator: Emulator) -> None:
    ids = [await client.contacts.add_to_blacklist(f"+7999000{n:04d}") for n in range(7)]
    emulator.clear_requests()
    entries = await collect(client.contacts.iterate_blacklist(page_size=3))
    assert [e.id for e in entries] == ids[::-1]
    pages = [r.params for r in emulator.requests]
    assert [p["cnt"] for p in pages] == ["3", "3", "3"]
    assert [p.get("prev_id") for p in pages] == [None, str(ids[4]), str(ids[1])]
    assert [e.id for e in await client.contacts.list_blacklist(before_id=ids[3], limit=2)] == [
        ids[2],
        ids[1],
    ]
    assert params(emulator)["prev_id"] == str(ids[3])


# --- filters ----------------------------------------------------------------------------------


async def test_list_filters(client: SMSCClient, emulator: Emulator) -> None:
    group = await client.contacts.add_group("G")
    a = await client.contacts.add(
        "+79990000001", "Alice", groups=group, first_name="Alice", last_name="Ivanova"
    )
    b = await client.contacts.add(
        "+79990000002", "Bob", first_name="Boris", last_name="Petrov", middle_name="Ivanovich"
    )
    c = await client.contacts.add("+79990000003", "Carol", groups=group)

    async def names(**filters: Any) -> list[str]:
        return [contact.name for contact in await client.contacts.list(**filters)]

    assert await names(group=group) == ["Alice", "Carol"]
    assert params(emulator)["grp"] == str(group)
    assert await names(address="+7 999 000 00 02") == ["Bob"]
    assert params(emulator)["phone"] == "+7 999 000 00 02"
    assert await names(full_name="ivanov") == ["Alice", "Bob"]
    assert params(emulator)["fio"] == "ivanov"
    assert await names(full_name="Petrov Boris") == ["Bob"]
    assert await names(search="car") == ["Carol"]
    assert await names(search="0000001") == ["Alice"]
    assert params(emulator)["search"] == "0000001"
    assert await names(after_id=a) == ["Bob", "Carol"]
    assert params(emulator)["after_id"] == str(a)
    assert await names(limit=2) == ["Alice", "Bob"]
    assert params(emulator)["cnt"] == "2"
    assert await names(after_id=b, limit=1) == ["Carol"]
    assert await names(group=group, search="alice") == ["Alice"]
    assert await names(after_id=c) == []
    assert await names(search="nobody") == []


async def test_empty_lists(client: SMSCClient, emulator: Emulator) -> None:
    assert await client.contacts.list() == []
    assert await client.contacts.list_groups() == []
    assert await client.contacts.list_blacklist() == []
    assert await client.mail_contacts.list() == []
    assert await collect(client.contacts.iterate()) == []
    assert await collect(client.mail_contacts.iterate_blacklist()) == []
    assert [r.answered_error for r in emulator.requests] == [3] * 6


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1, BadRequestError),
        (2, AuthenticationError),
        (3, NotFoundError),
        (4, IPBlockedError),
        (5, OperationFailedError),
        (9, ServerRateLimitError),
    ],
)
@pytest.mark.parametrize("email", [False, True])
async def test_documented_error_codes(
    client: SMSCClient, emulator: Emulator, code: int, error: type[APIError], email: bool
) -> None:
    contacts = client.mail_contacts if email else client.contacts
    script = "mails.php" if email else "phones.php"
    emulator.faults.api_error(code=code, script=script)
    with pytest.raises(error) as caught:
        await contacts.delete("a@example.com" if email else "+79990000001")
    assert type(caught.value) is error
    assert (caught.value.code, caught.value.script) == (code, script)


async def test_error_3_on_a_list_is_empty(client: SMSCClient, emulator: Emulator) -> None:
    await client.contacts.add_group("G")
    emulator.faults.api_error(code=3, script="phones.php")
    assert await client.contacts.list_groups() == []
    emulator.faults.api_error(code=5, script="phones.php")
    with pytest.raises(OperationFailedError):
        await client.contacts.list_groups()


async def test_real_error_answers(client: SMSCClient, emulator: Emulator) -> None:
    phones = client.contacts
    with pytest.raises(NotFoundError) as unknown:
        await phones.change("+79990000001", name="x")
    assert unknown.value.code == 3
    with pytest.raises(NotFoundError):
        await phones.delete("+79990000001")
    with pytest.raises(NotFoundError):
        await phones.add("+79990000001", "A", groups=12345)
    mail_group = await client.mail_contacts.add_group("mails only")
    with pytest.raises(NotFoundError):  # a group of e-mail addresses takes no numbers
        await phones.add("+79990000001", "A", groups=mail_group)

    await phones.add("+79990000001", "A")
    await phones.add("+79990000002", "B")
    with pytest.raises(OperationFailedError) as taken:
        await phones.add("79990000001", "Again")
    assert taken.value.code == 5
    with pytest.raises(OperationFailedError):
        await phones.change("79990000002", new_addresses="79990000001")
    with pytest.raises(NotFoundError):
        await phones.move_to_group("79990000001", 999)
    group = await phones.add_group("G")
    with pytest.raises(NotFoundError):  # not a member
        await phones.remove_from_group("79990000001", group)
    with pytest.raises(NotFoundError):
        await phones.rename_group(999, "x")
    with pytest.raises(NotFoundError):
        await phones.delete_group(999)
    with pytest.raises(BadRequestError) as bad:  # too short for a number at SMSC
        await phones.add("123", "short")
    assert bad.value.code == 1
    assert [c.name for c in emulator.contacts()] == ["A", "B"]


def _bad_calls() -> list[tuple[Callable[[SMSCClient], Any], type[Exception]]]:
    return [
        (lambda c: c.contacts.add("", "name"), ValueError),
        (lambda c: c.contacts.add([], "name"), ValueError),
        (lambda c: c.contacts.add("+79990000001", ""), ValueError),
        (lambda c: c.contacts.add("+79990000001", None), TypeError),
        (lambda c: c.contacts.add("+79990000001", "n", groups="abc"), ValueError),
        (lambda c: c.contacts.add("+79990000001", "n", groups=[1.5]), TypeError),
        (lambda c: c.contacts.add("+79990000001", "n", birthday="31.02.2020"), ValueError),
        (lambda c: c.contacts.add("+79990000001", "n", birthday=20200101), TypeError),
        (lambda c: c.contacts.add("+79990000001", "n", nickname="x"), TypeError),
        (lambda c: c.contacts.add("a@example.com", "n"), ValueError),
        (lambda c: c.contacts.add("no digits", "n"), ValueError),
        (lambda c: c.mail_contacts.add("+79990000001", "n"), ValueError),
        (lambda c: c.mail_contacts.add(["a@example.com", "nope"], "n"), ValueError),
        (lambda c: c.contacts.change("+79990000001"), ValueError),
        (lambda c: c.contacts.change("", name="x"), ValueError),
        (lambda c: c.contacts.change("1,2", name="x"), ValueError),
        (lambda c: c.mail_contacts.change("a@example.com", new_addresses="b"), ValueError),
        (lambda c: c.contacts.move_to_group("+79990000001", "x"), ValueError),
        (lambda c: c.contacts.add_to_group("+79990000001", -1), ValueError),
        (lambda c: c.contacts.remove_from_group("+79990000001", True), TypeError),
        (lambda c: c.contacts.delete(""), ValueError),
        (lambda c: c.contacts.delete(79990000001), TypeError),
        (lambda c: c.contacts.list(limit=1001), ValueError),
        (lambda c: c.contacts.list(limit=0), ValueError),
        (lambda c: c.contacts.list(group="x"), ValueError),
        (lambda c: c.contacts.list(after_id="x"), ValueError),
        (lambda c: c.contacts.list(full_name=""), ValueError),
        (lambda c: c.contacts.iterate(page_size=1001), ValueError),
        (lambda c: c.contacts.iterate(page_size=2.5), TypeError),
        (lambda c: c.contacts.add_group(""), ValueError),
        (lambda c: c.contacts.add_group("G", number=-3), ValueError),
        (lambda c: c.contacts.rename_group("G", "name"), ValueError),
        (lambda c: c.contacts.delete_group(None), TypeError),
        (lambda c: c.contacts.add_to_blacklist("+79990000001", type=7), ValueError),
        (lambda c: c.contacts.add_to_blacklist("+79990000001", type="1"), TypeError),
        (lambda c: c.mail_contacts.add_to_blacklist("+79990000001"), ValueError),
        (lambda c: c.contacts.remove_from_blacklist(""), ValueError),
        (lambda c: c.contacts.list_blacklist(limit=5000), ValueError),
        (lambda c: c.contacts.list_blacklist(before_id="last"), ValueError),
        (lambda c: c.contacts.iterate_blacklist(page_size=0), ValueError),
    ]


@pytest.mark.parametrize(("call", "error"), _bad_calls())
async def test_bad_input_sends_nothing(
    client: SMSCClient,
    emulator: Emulator,
    call: Callable[[SMSCClient], Any],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await invoke(call, client)
    assert emulator.requests == []


# --- limits -----------------------------------------------------------------------------------


async def test_fourth_identical_request_waits_a_minute(
    client: SMSCClient, emulator: Emulator
) -> None:
    await client.contacts.add_group("G")
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):
        assert len(await client.contacts.list_groups()) == 1
    assert loop.time() - start < 1
    # Another script has windows of its own: no wait.
    for _ in range(3):
        assert await client.mail_contacts.list_groups() == []
    assert loop.time() - start < 1
    assert len(await client.contacts.list_groups()) == 1
    waited = loop.time() - start
    assert 59 < waited < 65
    lists = [r for r in emulator.requests if r.params.get("get_group") == "1"]
    phones = [r for r in lists if r.script == "phones.php"]
    assert len(phones) == 4
    assert phones[3].at - phones[0].at >= 60
    assert all(r.answered_error != 9 for r in emulator.requests)


async def test_emulator_enforces_three_identical_per_minute(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        answers = []
        for _ in range(4):
            data = {**CREDS, "fmt": "3", "add_group": "1", "name": "G"}
            async with http.post(f"{emulator.base_url}/sys/phones.php", data=data) as resp:
                answers.append(await resp.json(content_type=None))
    assert [a.get("error_code") for a in answers] == [None, None, None, 9]
    assert len(emulator.contact_groups()) == 3


# --- other formats ----------------------------------------------------------------------------


async def _raw(http: aiohttp.ClientSession, emulator: Emulator, script: str, **fields: str) -> str:
    data = {**CREDS, **fields}
    async with http.post(f"{emulator.base_url}/sys/{script}", data=data) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_phones_php_in_text_and_csv_formats(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        assert await _raw(http, emulator, "phones.php", get="1") == ("ERROR = 3 (no records found)")
        assert await _raw(http, emulator, "phones.php", get="1", fmt="1") == "0,-3"
        assert await _raw(http, emulator, "phones.php", add_group="1", name="G") == "ID = 1"
        created = await _raw(
            http, emulator, "phones.php", add="1", phone="+79990000001", name="Al", grp="1", fmt="1"
        )
        assert created == "2"
        assert await _raw(http, emulator, "phones.php", chg="1", phone="79990000001", lnm="X") == (
            "OK"
        )
        assert await _raw(http, emulator, "phones.php", get="1") == (
            "phone = 79990000001, name = Al, group = 1, first_name = , last_name = X, "
            "middle_name = , birthday = , id = , comments = , tags = , phone_other = , int_id = 2"
        )
        assert await _raw(http, emulator, "phones.php", get="1", fmt="1") == (
            "79990000001,Al,1,,X,,,,,,,2"
        )
        assert await _raw(http, emulator, "phones.php", get_group="1") == (
            "id = 1, name = G, number = 0, cnt = 1"
        )
        assert await _raw(http, emulator, "phones.php", get_group="1", fmt="1") == "1,G,0,1"
        xml = await _raw(http, emulator, "phones.php", get="1", fmt="2")
        assert "<contact><phone>79990000001</phone>" in xml
        assert await _raw(http, emulator, "phones.php", add_black="1", phone="79990000009") == (
            "ID = 3"
        )
        assert await _raw(http, emulator, "phones.php", get_black="1", fmt="1") == (
            "3,79990000009,0,"
        )
        assert await _raw(http, emulator, "phones.php", del_black="1", phone="79990000009") == (
            "OK"
        )
        assert await _raw(http, emulator, "phones.php", get="1", chg="1") == (
            "ERROR = 1 (parameters error)"
        )


async def test_mails_php_in_text_and_csv_formats(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        assert await _raw(http, emulator, "mails.php", add="1", mail="A@B.example", name="A") == (
            "ID = 1"
        )
        assert await _raw(http, emulator, "mails.php", get="1") == (
            "mail = a@b.example, name = A, group = 0, first_name = , last_name = , "
            "middle_name = , birthday = , id = , comments = , tags = , mail_other = , int_id = 1"
        )
        assert await _raw(
            http, emulator, "mails.php", add_black="1", mail="x@y.example", cmt="c"
        ) == ("ID = 2")
        assert await _raw(http, emulator, "mails.php", get_black="1") == (
            "id = 2, email = x@y.example, type = 0, comment = c"
        )
        assert await _raw(http, emulator, "mails.php", add_group="1", name="M", fmt="1") == "3"
        assert await _raw(http, emulator, "mails.php", get_group="1", fmt="1") == "3,M,0,0"
        assert (
            await _raw(http, emulator, "mails.php", **{"del": "1"}, mail="a@b.example", fmt="1")
            == "OK"
        )
        assert await _raw(http, emulator, "mails.php", add="1", mail="no-at", name="A") == (
            "ERROR = 1 (parameters error)"
        )
        assert await _raw(http, emulator, "mails.php", del_group="1", grp="77", fmt="1") == "0,-3"


# --- models -----------------------------------------------------------------------------------


async def test_models_are_lenient() -> None:
    contact = msgspec.json.decode(
        b'{"mail": "a@b.c", "group": "3,4", "id": 15, "birthday": "", "extra": 1}',
        type=Contact,
        strict=False,
    )
    assert contact.group_ids == (3, 4)
    assert contact.my_id == 15
    assert contact.birth_date is None
    assert contact.int_id is None
    entry = msgspec.json.decode(b'{"id": "5", "type": 7}', type=BlacklistEntry, strict=False)
    assert entry.id == 5
    assert entry.type == 7
    assert entry.type.name == "UNKNOWN_7"
    group = msgspec.json.decode(b'{"id": 2, "cnt": "12"}', type=ContactGroup, strict=False)
    assert group.count == 12
