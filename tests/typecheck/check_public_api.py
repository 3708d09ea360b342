"""Typed usage of the public API; checked by mypy, never executed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from smsc_async import (
    APIError,
    Balance,
    CostResult,
    MessageKind,
    MessageState,
    MessageStatus,
    Region,
    SendOutcomeUnknownError,
    SendResult,
    SMSCClient,
    SMSCError,
    Translit,
)


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
