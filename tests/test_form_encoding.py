"""The request form: encoded once per command, the same bytes urllib would send.

The client encodes every form itself (``urlencode_form``) and appends the credentials and the
answer format, encoded once per client. These tests hold that to ``urllib.parse.urlencode`` on
any text, and check over HTTP that the emulator reads exactly the fields a command gave.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smsc_async import SMSCClient
from smsc_async._endpoints import STATUS
from smsc_async._transport import urlencode_form
from smsc_async.emulator import Emulator
from tests.conftest import LOGIN, PASSWORD, url_of

EVERYWHERE = settings(max_examples=400, derandomize=True, deadline=None)
# Text as SMSC forms hold it: plain ids and digits, "+" phones, spaces, quotes, Cyrillic, emoji.
TEXT = st.text(
    st.characters(codec="utf-8")
    | st.sampled_from("+ &=%?#/;:,\"'~._-\n\r\tПриветé€😀")
    | st.sampled_from("aZ09"),
    max_size=24,
)


@EVERYWHERE
@given(st.dictionaries(TEXT, TEXT, max_size=6))
@example({"phone": "+79991234567", "id": "12"})
@example({"mes": "a b+c", "": ""})
@example({"list": "+7999:Привет\n+7998:😀"})
def test_the_same_bytes_as_urlencode(fields: dict[str, str]) -> None:
    assert urlencode_form(fields) == urlencode(fields).encode("ascii")


@EVERYWHERE
@given(st.dictionaries(st.sampled_from(["id", "phone", "mes", "fmt", "psw", "x"]), TEXT))
def test_the_client_sends_the_whole_form_with_its_own_values(fields: dict[str, str]) -> None:
    # Unopened: encoding needs no session.
    smsc = SMSCClient(LOGIN, PASSWORD, base_url="https://smsc.ru")
    expected = {**fields, "login": LOGIN, "psw": PASSWORD, "fmt": "3", "charset": "utf-8"}
    body = smsc._encoded(fields)
    assert dict(_pairs(body)) == expected
    assert body == urlencode(smsc._form_fields(fields)).encode("ascii")


def test_an_empty_command_sends_the_credentials_alone() -> None:
    smsc = SMSCClient(apikey="k+y/=", base_url="https://smsc.ru")
    assert smsc._encoded({}) == b"apikey=k%2By%2F%3D&fmt=3&charset=utf-8"


@pytest.mark.asyncio
async def test_the_emulator_reads_what_the_command_gave(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)) as smsc:
        await smsc._post(STATUS, {"id": "7", "phone": "+7 (999) 123-45-67", "mes": "a+b & ü"})
    params = emulator.requests[-1].params
    assert params["phone"] == "+7 (999) 123-45-67"
    assert params["mes"] == "a+b & ü"
    assert (params["login"], params["psw"], params["fmt"]) == (LOGIN, PASSWORD, "3")


def _pairs(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=False)
