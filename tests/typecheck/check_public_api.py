"""Typed usage of the public API; checked by mypy, never executed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from smsc_async import (
    APIError,
    Balance,
    BlacklistType,
    Contact,
    ContactGroup,
    CostResult,
    InboundNumber,
    Job,
    JobStatus,
    MessageKind,
    MessageState,
    MessageStatus,
    OperatorInfo,
    Region,
    RepeatPeriod,
    SenderName,
    SenderStatus,
    SendOutcomeUnknownError,
    SendResult,
    SentMessage,
    ShortLinkStats,
    SMSCClient,
    SMSCError,
    StatisticsRow,
    SubclientStats,
    Tariff,
    Template,
    TemplateFormat,
    Translit,
    WaitCallResult,
)
from smsc_async.emulator import Emulator


async def usage() -> None:
    async with SMSCClient("login", "password", base_url=Region.KZ, timeout=10) as smsc:
        sent: SendResult = await smsc.send_sms(
            ["+77011234567"],
            "text",
            sender="Shop",
            translit=Translit.TRANSLIT,
            time=timedelta(minutes=5),
            with_balance=True,
        )
        ident: int | str = sent.id
        balance: Decimal | None = sent.balance
        cost: CostResult = await smsc.get_cost("+77011234567", "text", kind=MessageKind.VIBER)
        price: Decimal = cost.cost
        status: MessageStatus = await smsc.get_status(ident, "+77011234567", all=2)
        state: MessageState = status.status
        final: bool = state.is_final
        many: list[MessageStatus] = await smsc.get_statuses([(ident, "+77011234567")])
        bal: Balance = await smsc.get_balance()
        money: Decimal = bal.balance
        await smsc.delete_message(ident, "+77011234567")
        batch: SendResult = await smsc.send_batch({"+77011234567": "a"}, sender="Shop")
        code: str | None = (await smsc.send_call_code("+77011234567")).code
        del price, final, many, money, batch, code, balance


async def from_the_environment() -> None:
    configured: bool = SMSCClient.env_configured({"SMSC_APIKEY": "key"})
    async with SMSCClient.from_env({"SMSC_APIKEY": "key"}, timeout=5) as smsc:
        await smsc.get_balance()
    emulator = Emulator()
    async with emulator.serve(), emulator.client(max_in_flight=2) as local:
        client: SMSCClient = local
        del client
    del configured


async def whole_api(smsc: SMSCClient) -> None:
    contact_id: int = await smsc.contacts.add("+77011234567", "Ann", groups=[1])
    contacts: list[Contact] = await smsc.contacts.list(group=1, limit=100)
    async for contact in smsc.mail_contacts.iterate(search="ann"):
        address: str = contact.address
        del address
    groups: list[ContactGroup] = await smsc.contacts.list_groups()
    await smsc.contacts.add_to_blacklist("+77011234567", type=BlacklistType.MASS)
    names: list[SenderName] = await smsc.senders.list(include_all=True, limit=10)
    sender_status: SenderStatus | None = names[0].status
    stats: list[SubclientStats] = await smsc.subclients.statistics(start=date(2026, 1, 1))
    pdf: bytes = await smsc.documents.get_act(1)
    history: list[SentMessage] = await smsc.get_history(date(2026, 1, 1), limit=10)
    async for sent in smsc.iter_history(date(2026, 1, 1)):
        sent_state: MessageState = sent.status
        del sent_state
    async for incoming in smsc.iter_incoming(hours=24):
        text: str = incoming.message
        del text
    rows: list[StatisticsRow] = await smsc.get_statistics(date(2026, 1, 1))
    tariffs: list[Tariff] = await smsc.get_prices()
    operator: OperatorInfo = await smsc.get_operator("+77011234567")
    link: ShortLinkStats = await smsc.get_short_link_stats(id=5)
    template_id: int = await smsc.templates.add("otp", "Code: %s", format=TemplateFormat.SMS)
    templates: list[Template] = await smsc.templates.list()
    job_id: int = await smsc.jobs.add("sale", ["+77011234567"], "Sale!", repeat=RepeatPeriod.DAILY)
    job: Job = await smsc.jobs.get(job_id)
    job_state: JobStatus | None = job.status
    numbers: list[InboundNumber] = await smsc.inbound_numbers.list_available()
    confirm: WaitCallResult = await smsc.wait_call("+77011234567")
    await smsc.notify_event(1, host="db1", recovered=True)
    raw: object = await smsc.call("phones.php", get_group=True)
    del contact_id, contacts, groups, names, sender_status, stats, pdf, history, rows
    del tariffs, operator, link, template_id, templates, job_state, numbers, confirm, raw


def errors(exc: Exception) -> int | str | None:
    if isinstance(exc, SendOutcomeUnknownError):
        return exc.message_id
    if isinstance(exc, APIError):
        return exc.code
    if isinstance(exc, SMSCError):
        return str(exc)
    return None


async def misuse(smsc: SMSCClient) -> None:
    await smsc.send_sms("+7", "x", colour="red")  # type: ignore[call-arg]
    await smsc.get_status(1, "+7", all=5)  # type: ignore[arg-type]
    await smsc.send_sms("+7", "x", tinyurl="yes")  # type: ignore[arg-type]


async def shared_limits() -> None:
    import redis.asyncio as aioredis

    from smsc_async import Gate, GateUnavailableError, LocalGate
    from smsc_async.redis import RedisGate

    async with RedisGate.from_url("redis://127.0.0.1:6379/0", fallback=LocalGate()) as gate:
        shared: Gate = gate
        async with SMSCClient("login", "password", gate=shared, rule_period=2.0) as smsc:
            try:
                await smsc.get_balance()
            except GateUnavailableError as exc:
                where: str = exc.where
                del where
    borrowed = RedisGate(aioredis.Redis(), prefix="app:", lease_margin=5.0, poll_interval=1.0)
    stats = await borrowed.stats("smsc.ru|login")
    in_flight: int = stats.in_flight
    del in_flight
    await borrowed.aclose()
