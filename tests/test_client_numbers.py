"""Numbers that would switch a protection off are refused when the client is made."""

from __future__ import annotations

import math
from typing import Any

import aiohttp
import pytest

from smsc_async import LocalGate, SMSCClient, WaitPolicy

NAN, INF = math.nan, math.inf


def _one(option: str, value: object) -> dict[str, Any]:
    return {option: value}


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("timeout", 0),
        ("timeout", -1),
        ("timeout", NAN),
        ("timeout", INF),
        ("timeout", aiohttp.ClientTimeout()),  # bounds nothing
        ("timeout", aiohttp.ClientTimeout(total=INF)),
        ("timeout", aiohttp.ClientTimeout(total=None, sock_read=0)),
        ("retry_backoff", NAN),
        ("retry_backoff", -0.5),
        ("retry_backoff_cap", INF),
        ("rate_margin", NAN),
        ("reconcile_delay", INF),
        ("reconcile_delay", -1),
        ("max_wait", NAN),
        ("max_wait", INF),
        ("max_wait", -1),
        ("max_body", 0),
        ("max_body", -5),
        ("max_in_flight", 0),
        ("max_in_flight", 15),
        ("max_retries", -1),
        ("rule_period", 0),
        ("rule_period", NAN),
    ],
)
def test_a_number_that_disables_protection_is_refused(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option.split(".")[0]):
        SMSCClient("demo", "pw", **_one(option, value))


@pytest.mark.parametrize(
    ("option", "value"),
    [("timeout", "30"), ("max_body", 1.5), ("max_in_flight", True), ("max_retries", 2.0)],
)
def test_a_number_of_the_wrong_type_is_refused(option: str, value: object) -> None:
    with pytest.raises(TypeError, match=option):
        SMSCClient("demo", "pw", **_one(option, value))


def test_good_numbers_are_kept() -> None:
    options: dict[str, Any] = {
        "timeout": aiohttp.ClientTimeout(total=None, sock_read=20),
        "retry_backoff": 0,
        "reconcile_delay": 0,
        "max_wait": 0,
        "max_body": 1,
        "rate_margin": 0,
    }
    SMSCClient("demo", "pw", **options)
    SMSCClient("demo", "pw", timeout=0.5)


@pytest.mark.parametrize("value", [NAN, INF, -1.0])
def test_gate_options_are_checked(value: float) -> None:
    with pytest.raises(ValueError, match="max_wait"):
        WaitPolicy(max_wait=value)
    with pytest.raises(ValueError, match="margin"):
        LocalGate(margin=value)


@pytest.mark.parametrize(
    "base_url",
    ["https://demo:12345", "https://demo:s3cret-pw", "https://smsc.ru:99999", "https://:443"],
)
def test_a_base_url_with_no_host_or_port_is_refused_without_echo(base_url: str) -> None:
    password = "12345" if "12345" in base_url else "s3cret-pw"
    with pytest.raises(ValueError) as info:
        SMSCClient("demo", password, base_url=base_url)
    for piece in ("12345", "s3cret", "99999"):
        assert piece not in str(info.value)
    with pytest.raises(ValueError, match="API key"):
        SMSCClient(apikey="key-abc", base_url="https://key-abc")
