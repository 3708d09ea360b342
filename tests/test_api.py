"""The transport-free command layer: list policy, file answers, paging and argument checks."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from smsc_async import BadRequestError, NotFoundError, ResponseDecodeError
from smsc_async._api import Progress, Requester, decoder, paginate
from smsc_async._endpoints import Endpoint
from smsc_async._rules import WaitPolicy
from smsc_async._validate import (
    check_amount,
    check_choice,
    check_date,
    check_flag,
    check_id,
    check_ids,
    check_known,
    check_page_size,
    check_recipients,
    check_single,
    check_str,
    check_texts,
)


class Row(msgspec.Struct, frozen=True, kw_only=True):
    id: int | None = None


ROWS: Endpoint[list[Row]] = Endpoint("x", "x.php", {"get": "1"}, True, decoder(list[Row]))
FILE: Endpoint[None] = Endpoint("x", "x.php", {"get_act": "1"}, True, None)


class Canned(Requester):
    """A Requester whose answers are given bodies (the request path is tested elsewhere)."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)
        self.sent: list[dict[str, str]] = []

    async def _post(
        self,
        endpoint: Endpoint[Any],
        fields: Mapping[str, str],
        files: Sequence[tuple[str, bytes]] = (),
        progress: Progress | None = None,
        policy: WaitPolicy | None = None,
    ) -> bytes:
        self.sent.append({**fields, **endpoint.command})
        return self.bodies.pop(0)


@pytest.mark.asyncio
async def test_no_records_is_an_empty_list() -> None:
    api = Canned(b'{"error": "no records found", "error_code": 3}', b"[]", b'[{"id": 5}]')
    assert await api._request_list(ROWS, {}) == []
    assert await api._request_list(ROWS, {}) == []
    assert await api._request_list(ROWS, {}) == [Row(id=5)]


@pytest.mark.asyncio
async def test_other_list_errors_still_raise() -> None:
    api = Canned(b'{"error": "parameters error", "error_code": 1}', b"ERROR = 3 (no records)")
    with pytest.raises(BadRequestError):
        await api._request_list(ROWS, {})
    # A plain-text error 3 is "no records" as well.
    assert await api._request_list(ROWS, {}) == []


@pytest.mark.asyncio
async def test_error_3_outside_lists_is_not_found() -> None:
    one: Endpoint[Row] = Endpoint("x", "x.php", {}, True, decoder(Row))
    api = Canned(b'{"error": "operator not found", "error_code": 3}')
    with pytest.raises(NotFoundError) as info:
        await api._request(one, {})
    assert info.value.code == 3


@pytest.mark.asyncio
async def test_file_answers_come_back_as_bytes_unless_they_are_errors() -> None:
    pdf = b"%PDF-1.4 ... {not an error}"
    api = Canned(
        pdf,
        b'{"error": "no records found", "error_code": 3}',
        b"ERROR = 1 (parameters error)",
        b'{"name": "a json file"}',
    )
    assert await api._request_bytes(FILE, {}) == pdf
    with pytest.raises(NotFoundError):
        await api._request_bytes(FILE, {})
    with pytest.raises(BadRequestError):
        await api._request_bytes(FILE, {})
    assert await api._request_bytes(FILE, {}) == b'{"name": "a json file"}'


@pytest.mark.asyncio
async def test_command_accepts_both_ok_shapes() -> None:
    api = Canned(b'{"result": "OK"}', b"OK", b'{"error": "x", "error_code": 5}')
    await api._command(FILE, {})
    await api._command(FILE, {})
    with pytest.raises(Exception, match="x") as info:
        await api._command(FILE, {})
    assert getattr(info.value, "code", None) == 5


@pytest.mark.asyncio
async def test_paginate_follows_the_cursor_until_a_short_page() -> None:
    pages = {None: [Row(id=9), Row(id=8)], "8": [Row(id=7), Row(id=6)], "6": [Row(id=5)]}
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> list[Row]:
        asked.append(cursor)
        return pages[cursor]

    got = [row.id async for row in paginate(fetch, lambda r: r.id, 2, script="x.php")]
    assert got == [9, 8, 7, 6, 5]
    assert asked == [None, "8", "6"]


@pytest.mark.asyncio
async def test_paginate_stops_on_an_empty_page() -> None:
    pages: dict[str | None, list[Row]] = {None: [Row(id=1), Row(id=2)], "2": []}

    async def fetch(cursor: str | None) -> list[Row]:
        return pages[cursor]

    got = [row.id async for row in paginate(fetch, lambda r: r.id, 2, script="x.php")]
    assert got == [1, 2]


@pytest.mark.asyncio
@pytest.mark.parametrize(("last", "handed_over"), [(Row(id=None), 2), (Row(id=2), 4)])
async def test_paginate_refuses_to_loop_or_lose_rows(last: Row, handed_over: int) -> None:
    async def fetch(cursor: str | None) -> list[Row]:
        return [Row(id=2), last]

    seen: list[int | None] = []

    async def drain() -> None:
        async for row in paginate(fetch, lambda r: r.id, 2, script="x.php"):
            seen.append(row.id)

    with pytest.raises(ResponseDecodeError, match="next page"):
        await drain()
    # Rows already fetched are handed over first: one page when the cursor is missing, two
    # when the second page names the same cursor again.
    assert len(seen) == handed_over


class Kind(enum.IntEnum):
    A = 0
    B = 2


def test_argument_checks_return_form_values() -> None:
    assert check_str("  Bob ", "name") == "Bob"
    assert check_str("", "cmt", allow_empty=True) == ""
    assert check_single(" +7 999 ", "phone") == "+7 999"
    assert check_recipients(["+7999", "+7888"], "phones") == "+7999,+7888"
    assert check_id(42, "id") == "42"
    assert check_id(" 0042 ", "id") == "42"
    assert check_ids([1, "2"], "grp") == "1,2"
    assert check_ids("3, 4", "grp") == "3,4"
    assert check_date(date(2026, 1, 2), "start") == "02.01.2026"
    assert check_date(datetime(2026, 1, 2, 23, 59), "start") == "02.01.2026"
    assert check_date("2.1.2026", "start") == "02.01.2026"
    assert check_page_size(1000, 1000) == "1000"
    assert check_choice(Kind.B, Kind, "type") == "2"
    assert check_choice(0, Kind, "type") == "0"
    assert check_flag(True, "all") == "1"
    assert check_amount(Decimal("10.50"), "sum") == "10.50"
    assert check_amount("-5", "sum", allow_negative=True) == "-5"
    assert check_amount(7, "sum") == "7"
    check_known({"a": 1}, {"a", "b"}, "option")
    wire = {"email": "mail", "name": "fio"}
    assert check_texts({"email": " a@b.c ", "x": 1}, wire, emails={"email"}) == {"mail": "a@b.c"}


@pytest.mark.parametrize(
    ("call", "error", "hint"),
    [
        (lambda: check_str(5, "name"), TypeError, "name must be a str"),
        (lambda: check_str("  ", "name"), ValueError, "name is empty"),
        (lambda: check_str("abcd", "name", max_len=3), ValueError, "at most 3"),
        (lambda: check_single("1,2", "phone"), ValueError, "one value"),
        (lambda: check_recipients(5, "phones"), TypeError, "phones must be"),
        (lambda: check_recipients([], "phones"), ValueError, "phones"),
        (lambda: check_id(True, "id"), TypeError, "id must be an int"),
        (lambda: check_id("12a", "grp"), ValueError, "grp must be a non-negative"),
        (lambda: check_id(-1, "id"), ValueError, "non-negative"),
        (lambda: check_ids([], "grp"), ValueError, "grp is empty"),
        (lambda: check_ids(1.5, "grp"), TypeError, "grp must be"),
        (lambda: check_date("2026-01-02", "start"), ValueError, "dd.mm.yyyy"),
        (lambda: check_date("31.02.2026", "start"), ValueError, "start"),
        (lambda: check_date(20260102, "start"), TypeError, "start"),
        (lambda: check_page_size(1001, 1000), ValueError, r"1\.\.1000"),
        (lambda: check_page_size(0, 1000), ValueError, r"1\.\.1000"),
        (lambda: check_page_size("10", 1000), TypeError, "cnt must be an int"),
        (lambda: check_choice(1, Kind, "type"), ValueError, "A=0, B=2"),
        (lambda: check_choice("A", Kind, "type"), TypeError, "Kind"),
        (lambda: check_flag(1, "all"), TypeError, "True or False"),
        (lambda: check_amount(1.5, "sum"), TypeError, "Decimal"),
        (lambda: check_amount("ten", "sum"), ValueError, "number"),
        (lambda: check_amount(0, "sum"), ValueError, "positive"),
        (lambda: check_amount(-1, "sum"), ValueError, "positive"),
        (lambda: check_amount("NaN", "sum"), ValueError, "sum"),
        (
            lambda: check_known({"c", "a"}, {"a", "b"}, "option"),
            TypeError,
            r"option\(s\) c; known: a, b",
        ),
        (
            lambda: check_texts({"email": "ab"}, {"email": "m"}, emails={"email"}),
            ValueError,
            "e-mail address",
        ),
        (lambda: check_texts({"name": 5}, {"name": "fio"}), TypeError, "name must be a str"),
    ],
)
def test_argument_checks_say_what_to_change(call: Any, error: type[Exception], hint: str) -> None:
    with pytest.raises(error, match=hint):
        call()
