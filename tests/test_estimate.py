"""The offline part count: GSM 03.38 / UCS-2 sizes, translit, maxsms refusals, CLI, emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from smsc_async import MessageEstimate, SMSCClient, estimate_message
from smsc_async.cli._app import cli
from smsc_async.emulator import Emulator

# Every test is async: in this suite a plain test before one that serves the emulator leaves
# pytest-asyncio's loop unclosed (seen at HEAD too), which filterwarnings=error turns red.
pytestmark = pytest.mark.asyncio

PHONE = "+79990000001"

# The GSM 03.38 default alphabet minus ESC, and its extension table, written out once more
# here so that a slip in the module's table shows up.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"

# text, translit -> (encoding, units, parts, left)
CASES: list[tuple[str, int, tuple[str, int, int, int]]] = [
    ("a" * 160, 0, ("GSM-7", 160, 1, 0)),
    ("a" * 161, 0, ("GSM-7", 161, 2, 145)),
    ("a" * 306, 0, ("GSM-7", 306, 2, 0)),
    ("a" * 307, 0, ("GSM-7", 307, 3, 152)),
    ("€" * 80, 0, ("GSM-7", 160, 1, 0)),
    ("€" * 81, 0, ("GSM-7", 162, 2, 143)),
    ("a" * 159 + "{", 0, ("GSM-7", 161, 2, 145)),
    # "{" at the end of part 1 does not fit its last septet: it opens part 2 (so 3 parts,
    # where 306 septets of plain letters would take 2).
    ("a" * 152 + "{" + "a" * 152, 0, ("GSM-7", 306, 3, 152)),
    ("a" * 151 + "{" + "a" * 153, 0, ("GSM-7", 306, 2, 0)),
    ("я" * 70, 0, ("UCS-2", 70, 1, 0)),
    ("я" * 71, 0, ("UCS-2", 71, 2, 63)),
    ("я" * 134, 0, ("UCS-2", 134, 2, 0)),
    ("я" * 135, 0, ("UCS-2", 135, 3, 66)),
    ("😀", 0, ("UCS-2", 2, 1, 68)),
    ("a" * 69 + "😀", 0, ("UCS-2", 71, 2, 63)),
    # A surrogate pair is not split: the emoji opens part 2.
    ("a" * 66 + "😀" + "a" * 10, 0, ("UCS-2", 78, 2, 55)),
    ("a" * 159 + "я", 0, ("UCS-2", 160, 3, 67 - 26)),
    ("á" * 10, 0, ("UCS-2", 10, 1, 60)),  # Latin-1, but not GSM 03.38
    ("`", 0, ("UCS-2", 1, 1, 69)),  # ASCII, but not GSM 03.38
    ("", 0, ("GSM-7", 0, 1, 160)),
    ("я" * 100, 0, ("UCS-2", 100, 2, 34)),
    ("я" * 100, 1, ("GSM-7", 200, 2, 106)),  # я -> ya
    ("д" * 100, 1, ("GSM-7", 100, 1, 60)),
    ("Привет", 2, ("GSM-7", 6, 1, 154)),
]


@pytest.mark.parametrize(("text", "translit", "expected"), CASES)
async def test_known_cases(text: str, translit: int, expected: tuple[str, int, int, int]) -> None:
    estimate = estimate_message(text, translit=translit)
    assert (estimate.encoding, estimate.units, estimate.parts, estimate.left) == expected
    assert (
        estimate.per_part
        == {
            ("GSM-7", True): 160,
            ("GSM-7", False): 153,
            ("UCS-2", True): 70,
            ("UCS-2", False): 67,
        }[(estimate.encoding, estimate.parts == 1)]
    )


async def test_every_gsm_character_counts_once_or_twice() -> None:
    assert len(set(GSM_BASIC)) == 127  # 128 codes minus ESC
    for ch in GSM_BASIC:
        assert estimate_message(ch) == MessageEstimate(
            encoding="GSM-7", characters=1, units=1, parts=1, per_part=160, left=159, text_sent=ch
        ), repr(ch)
    for ch in GSM_EXTENSION:
        estimate = estimate_message(ch)
        assert (estimate.encoding, estimate.units, estimate.left) == ("GSM-7", 2, 158), repr(ch)
    others = [chr(c) for c in range(0x20, 0x250) if chr(c) not in GSM_BASIC + GSM_EXTENSION]
    assert {"`", "À", "ç"} <= set(others)  # not in the alphabet
    for ch in others:
        assert estimate_message(ch).encoding == "UCS-2", repr(ch)


async def test_characters_and_text_sent_follow_translit() -> None:
    plain = estimate_message("Щука и ёж")
    assert (plain.characters, plain.units, plain.text_sent) == (9, 9, "Щука и ёж")
    latin = estimate_message("Щука и ёж", translit=1)
    assert (latin.characters, latin.units, latin.text_sent) == (13, 13, "Schuka i yozh")
    assert estimate_message("транслит", translit=2).text_sent == "mpaHc/Ium"
    assert estimate_message("ЖЁЛТЫЙ", translit=1).text_sent == "ZhYoLTYJ"
    # A letter outside the tables (Ukrainian і) stays and keeps the text UCS-2.
    assert estimate_message("Київ", translit=1).encoding == "UCS-2"


@pytest.mark.parametrize(
    ("text", "translit", "error", "match"),
    [
        (b"hi", 0, TypeError, "text must be a str, not bytes"),
        (None, 0, TypeError, "text must be a str"),
        ("hi", 3, ValueError, "translit must be 0 .none., 1 .translit. or 2"),
        ("hi", -1, ValueError, "got -1"),
        ("hi", True, TypeError, "translit must be 0, 1 or 2"),
        ("hi", "1", TypeError, "not str"),
    ],
)
async def test_bad_input_says_what_to_change(
    text: Any, translit: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        estimate_message(text, translit=translit)


# --- maxsms: refused before any request ---------------------------------------------------------


async def test_maxsms_refuses_a_longer_text_before_any_request(
    client: SMSCClient, emulator: Emulator
) -> None:
    long_text = "я" * 71  # 2 UCS-2 parts
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: client.send_sms(PHONE, long_text, maxsms=1),
        lambda: client.send_sms(PHONE, long_text, flash=True, maxsms=1),
        lambda: client.send_sms(PHONE, "a" * 152 + "{" + "a" * 152, maxsms=2),
        lambda: client.send_batch({PHONE: "ok", "+79990000002": long_text}, maxsms=1),
        lambda: client.bulk.send({PHONE: "ok", "+79990000002": long_text}, maxsms=1),
        lambda: client.bulk.send_text([PHONE, "+79990000002"], long_text, maxsms=1),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"takes \d SMS parts .* but maxsms=\d; shorten"):
            await call()
    assert emulator.requests == []
    assert emulator.request_count == 0


async def test_maxsms_lets_through_what_fits(client: SMSCClient, emulator: Emulator) -> None:
    sent = await client.send_sms(PHONE, "я" * 71, maxsms=2)
    assert sent.cnt == 2
    # translit=1 makes 100 Cyrillic letters one GSM-7 part: maxsms=1 is enough then.
    sent = await client.send_sms(PHONE, "д" * 100, maxsms=1, translit=True)
    assert sent.cnt == 1
    # Other kinds are not split into SMS parts: maxsms is passed on unchecked.
    await client.send_viber(PHONE, "я" * 300, maxsms=1)
    assert len(emulator.requests) == 3


# --- the emulator counts the same way -----------------------------------------------------------

TEXTS = [
    "Hi",
    "a" * 160,
    "a" * 161,
    "€" * 80,
    "€" * 81,
    "a" * 152 + "{" + "a" * 152,
    "я" * 70,
    "я" * 71,
    "я" * 135,
    "😀" * 35,
    "😀" * 36,
    "á" * 100,
    "Ваш код: 4242",
]


async def test_emulator_cnt_equals_the_estimate(client: SMSCClient) -> None:
    for index, text in enumerate(TEXTS):
        sent = await client.send_sms(f"+7999000{index:04d}", text)
        assert sent.cnt == estimate_message(text).parts, text
    for index, text in enumerate(("я" * 100, "Щ" * 60, "транслит " * 20)):
        for translit in (1, 2):
            sent = await client.send_sms(f"+7999100{index:04d}", text, translit=translit)
            assert sent.cnt == estimate_message(text, translit=translit).parts, (text, translit)


# --- smsc cost --offline --------------------------------------------------------------------

NO_ACCOUNT: dict[str, str | None] = {
    "SMSC_BASE_URL": "http://127.0.0.1:9/",  # nothing listens: any request would fail
    "SMSC_LOGIN": None,
    "SMSC_PASSWORD": None,
    "SMSC_APIKEY": None,
    "SMSC_REDIS_URL": None,
}


async def smsc(*args: str) -> Result:
    """Run ``smsc ARGS...`` without an account, in a worker thread (it makes its own loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=NO_ACCOUNT)


async def test_cost_offline_needs_no_account_nor_network() -> None:
    result = await smsc("cost", "--offline", "-t", "я" * 71)
    assert result.exit_code == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines == [
        "encoding: UCS-2",
        "characters: 71",
        "units: 71",
        "parts: 2 (up to 67 units each)",
        "left: 63 in the last part",
    ]
    result = await smsc("--json", "cost", "--offline", "--translit", "-t", "Привет")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "encoding": "GSM-7",
        "characters": 6,
        "units": 6,
        "parts": 1,
        "per_part": 160,
        "left": 154,
        "text_sent": "Privet",
    }


async def test_cost_without_offline_still_needs_a_phone() -> None:
    result = await smsc("cost", "-t", "hi")
    assert result.exit_code == 2
    assert "give at least one PHONE (or --offline" in result.stderr


async def test_the_longest_text_smsc_takes() -> None:
    estimate = estimate_message("я" * 1000)  # SMSC's maximum
    assert (estimate.parts, estimate.left) == (15, 15 * 67 - 1000)
