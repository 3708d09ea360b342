"""The limits gate end to end: the emulator enforces SMSC's rules, the client never sees 9."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

import pytest

from smsc_async import Charge, LocalGate, RateLimitedError, SMSCClient, Ticket, WaitPolicy
from smsc_async._limits import RULES
from smsc_async.emulator import LIMIT_RULES, WINDOW_SECONDS, Emulator
from smsc_async.emulator import MAX_IN_FLIGHT as EMULATOR_MAX_IN_FLIGHT

from .conftest import LOGIN, PASSWORD, url_of

PHONE = "+79990000001"


def errors_answered(emulator: Emulator, code: int) -> int:
    return sum(1 for r in emulator.requests if r.answered_error == code)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_never_more_than_14_in_flight(client: SMSCClient, emulator: Emulator) -> None:
    emulator.faults.delay(0.05)
    sent = await client.send_sms(PHONE, "x")
    results = await asyncio.gather(
        *(client.get_status(sent.id, f"+7999000{i:04d}") for i in range(60))
    )
    assert len(results) == 60
    assert emulator.max_in_flight[LOGIN] == 14
    assert errors_answered(emulator, 9) == 0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_clients_of_one_login_share_the_14_slots(emulator: Emulator) -> None:
    emulator.faults.delay(0.05)
    async with (
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator)) as a,
        SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_in_flight=10) as b,
    ):
        await asyncio.gather(
            *(a.get_status(1, f"+7999100{i:04d}") for i in range(30)),
            *(b.get_status(1, f"+7999200{i:04d}") for i in range(30)),
        )
    assert emulator.max_in_flight[LOGIN] == 14
    assert errors_answered(emulator, 9) == 0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_lower_cap_is_respected(emulator: Emulator) -> None:
    emulator.faults.delay(0.05)
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_in_flight=3) as c:
        await asyncio.gather(*(c.get_status(1, f"+7999300{i:04d}") for i in range(20)))
    assert emulator.max_in_flight[LOGIN] == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_balance_rule_waits_instead_of_error_9(
    client: SMSCClient, emulator: Emulator
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(25):
        await client.get_balance()
    elapsed = loop.time() - start
    assert errors_answered(emulator, 9) == 0
    # 10 per minute: the 11th and 21st had to wait for the window to move.
    assert elapsed >= 120
    assert elapsed < 130
    stamps = [r.at for r in emulator.requests if r.script == "balance.php"]
    for i, t in enumerate(stamps):
        assert sum(1 for u in stamps[i:] if u < t + 60) <= 10


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_identical_sends_are_spaced_a_minute_apart(
    client: SMSCClient, emulator: Emulator
) -> None:
    await asyncio.gather(*(client.send_sms(PHONE, "same text") for _ in range(3)))
    stamps = sorted(r.at for r in emulator.requests if r.script == "send.php")
    assert len(stamps) == 3
    assert stamps[1] - stamps[0] >= 60
    assert stamps[2] - stamps[1] >= 60
    assert errors_answered(emulator, 9) == 0
    assert emulator.sends_accepted() == 3


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_mass_status_once_a_minute(client: SMSCClient, emulator: Emulator) -> None:
    pairs: list[tuple[int | str, str]] = [(1, "+79990000001"), (2, "+79990000002")]
    for _ in range(3):
        await client.get_statuses(pairs)
    stamps = [r.at for r in emulator.requests if r.script == "status.php"]
    assert stamps[1] - stamps[0] >= 60
    assert stamps[2] - stamps[1] >= 60
    assert errors_answered(emulator, 9) == 0


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_raise_mode_and_max_wait(emulator: Emulator) -> None:
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), on_limit="raise") as c:
        await c.send_sms(PHONE, "once")
        with pytest.raises(RateLimitedError) as info:
            await c.send_sms(PHONE, "once")
        assert info.value.rule == "send.identical"
        assert 55 <= info.value.retry_after <= 62
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_wait=5) as c:
        with pytest.raises(RateLimitedError):
            await c.send_sms(PHONE, "once")
    assert sum(1 for r in emulator.requests if r.script == "send.php") == 1
    await asyncio.sleep(62)
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), max_wait=5) as c:
        await c.send_sms(PHONE, "once")
    assert emulator.sends_accepted() == 2


@pytest.mark.asyncio
async def test_gate_survives_several_event_loops() -> None:
    # Two asyncio.run calls in a worker thread: a new loop must get fresh, working gate state.
    # (A plain sync test would trip an unclosed-loop warning in the looptime plugin.)
    async def one_run() -> str:
        emu = Emulator()
        async with emu.serve() as url, SMSCClient(LOGIN, PASSWORD, base_url=url) as c:
            return str((await c.get_balance()).currency)

    def twice() -> list[str]:
        return [asyncio.run(one_run()), asyncio.run(one_run())]

    assert await asyncio.to_thread(twice) == ["RUR", "RUR"]


class RecordingGate:
    """A custom gate: delegates to LocalGate and records what the client asks for."""

    def __init__(self) -> None:
        self.inner = LocalGate()
        self.seen: list[tuple[str, tuple[str, ...], int]] = []
        self.timeouts: list[float | None] = []

    def admit(
        self,
        account: str,
        charges: Sequence[Charge],
        policy: WaitPolicy,
        *,
        max_in_flight: int = 14,
        timeout: float | None = None,
    ) -> AbstractAsyncContextManager[Ticket]:
        self.seen.append((account, tuple(c.rule.name for c in charges), max_in_flight))
        self.timeouts.append(timeout)
        return self.inner.admit(account, charges, policy, max_in_flight=max_in_flight)


@pytest.mark.asyncio
async def test_a_custom_gate_sees_every_attempt(emulator: Emulator) -> None:
    gate = RecordingGate()
    emulator.faults.http_error(1, status=502, script="balance.php")
    async with SMSCClient(
        LOGIN,
        PASSWORD,
        base_url=url_of(emulator),
        gate=gate,
        retry_backoff=0,
        max_in_flight=7,
        timeout=12.5,
    ) as c:
        await c.get_balance()
        await c.send_sms(PHONE, "x")
    # Each attempt's time bound, for gates that lease their slots.
    assert gate.timeouts == [12.5, 12.5, 12.5]
    assert [rules for _, rules, _ in gate.seen] == [
        ("balance.any",),
        ("balance.any",),  # the retry passes the gate again
        ("send.identical",),
    ]
    assert all(cap == 7 for _, _, cap in gate.seen)
    account = gate.seen[0][0]
    assert account.endswith("|demo")
    assert PASSWORD not in account


@pytest.mark.asyncio
async def test_a_sender_name_add_counts_against_both_senders_rules(emulator: Emulator) -> None:
    gate = RecordingGate()
    async with SMSCClient(LOGIN, PASSWORD, base_url=url_of(emulator), gate=gate) as c:
        await c.senders.add("Shop")
        await c.call("senders.php", add=1, sender="Shop2")
        await c.senders.list(include_all=True)
        await c.senders.delete("Shop")
    assert [rules for _, rules, _ in gate.seen] == [
        ("senders.identical", "senders.add"),
        ("senders.identical", "senders.add"),  # the raw path picks the same rules
        ("senders.identical",),
        ("senders.identical",),
    ]


# The client's and the emulator's limit tables are written separately on purpose (a misreading
# in one must not be mirrored in the other); this keeps their numbers in agreement.
_EMULATOR_TO_CLIENT = {
    ("send.php", "identical send"): ("send", "send.identical"),
    ("send.php", "identical cost request"): ("send_cost", "cost.identical"),
    ("status.php", "status of one message"): ("status", "status.message"),
    ("status.php", "mass status request"): ("status_mass", "status.mass"),
    ("balance.php", "balance request"): ("balance", "balance.any"),
    ("phones.php", "identical phones.php"): ("phones", "phones.identical"),
    ("mails.php", "identical mails.php"): ("mails", "mails.identical"),
    ("senders.php", "identical senders.php"): ("senders", "senders.identical"),
    ("senders.php", "sender name add"): ("senders_add", "senders.add"),
    ("get.php", "identical get.php"): ("get", "get.identical"),
    ("get.php", "statistics request"): ("get_stat", "get_stat.any"),
    ("templates.php", "identical templates.php"): ("templates", "templates.identical"),
    ("users.php", "identical users.php"): ("users", "users.identical"),
    ("users.php", "subclient add"): ("users_add", "users.add"),
    ("users.php", "change of one subclient"): ("users_change", "users.change"),
    ("get_mnp.php", "identical get_mnp.php"): ("get_mnp", "get_mnp.identical"),
    ("info.php", "identical info.php"): ("info_operator", "info_operator.identical"),
    ("info.php", "any info.php request"): ("info_operator", "info_operator.any"),
    ("receive_phones.php", "identical receive_phones.php"): (
        "receive_phones",
        "receive_phones.identical",
    ),
    ("jobs.php", "identical jobs.php"): ("jobs", "jobs.identical"),
    ("downloads.php", "identical downloads.php"): ("downloads", "downloads.identical"),
}


def test_client_and_emulator_limit_tables_agree() -> None:
    seen = set()
    for rule in LIMIT_RULES:
        endpoint, name = _EMULATOR_TO_CLIENT[(rule.script, rule.name)]
        client_rules = {r.name: r for r in RULES[endpoint]}
        assert client_rules[name].limit == rule.limit, (rule.script, rule.name)
        assert client_rules[name].period == WINDOW_SECONDS
        seen.add((rule.script, rule.name))
    assert seen == set(_EMULATOR_TO_CLIENT)
    assert EMULATOR_MAX_IN_FLIGHT == 14
