"""Quickstart: send an SMS, price it, follow its status and read the balance.

Runs against the built-in SMSC emulator, so no account is needed:

    python examples/quickstart.py

To use the real service, set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY) and, optionally,
SMSC_BASE_URL (https://smsc.ru by default; https://smscentre.com, https://smsc.kz, https://smsc.ua),
plus SMSC_PHONE, the number to send to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from smsc_async import MessageState, SMSCClient, SMSCError
from smsc_async.emulator import Emulator


@contextlib.asynccontextmanager
async def connect() -> AsyncIterator[tuple[SMSCClient, str, float]]:
    """Yield a client, a phone and a polling interval: the real service when configured."""
    login, apikey = os.environ.get("SMSC_LOGIN"), os.environ.get("SMSC_APIKEY")
    if login or apikey:
        base_url = os.environ.get("SMSC_BASE_URL", "https://smsc.ru")
        client = (
            SMSCClient(apikey=apikey, base_url=base_url)
            if apikey
            else SMSCClient(login, os.environ["SMSC_PASSWORD"], base_url=base_url)
        )
        async with client:
            # SMSC allows five status requests per message per minute: poll gently.
            yield client, os.environ["SMSC_PHONE"], 15.0
        return
    # Deliver quickly so the example finishes in a few seconds.
    emulator = Emulator(delivery_schedule=((0.5, 0), (1.5, 1)))
    async with emulator.serve() as base_url:
        print(f"Using the built-in SMSC emulator at {base_url} (no real messages are sent)\n")
        async with SMSCClient("demo", "demo-password", base_url=base_url) as client:
            yield client, "+79991234567", 1.0


async def main() -> None:
    """Run the flow: cost, send, status until delivered, balance."""
    async with connect() as (smsc, phone, interval):
        balance = await smsc.get_balance()
        print(f"Balance:          {balance.balance} {balance.currency or ''}")

        text = "Hello from smsc_async! Your code is 4242."
        cost = await smsc.get_cost(phone, text)
        print(f"Cost to send:     {cost.cost} for {cost.cnt} SMS part(s)")

        sent = await smsc.send_sms(phone, text, with_balance=True)
        print(f"Sent:             message id {sent.id}, {sent.cnt} part(s), cost {sent.cost}")

        for _ in range(20):
            status = await smsc.get_status(sent.id, phone)
            print(f"Status:           {status.status.name.lower()} (err {status.err})")
            if status.status is MessageState.DELIVERED or status.status.is_final:
                break
            await asyncio.sleep(interval)

        details = await smsc.get_status(sent.id, phone, all=2)
        print(f"Details:          {details.status_name}, cost {details.cost}, to {details.phone}")

        balance = await smsc.get_balance()
        print(f"Balance now:      {balance.balance} {balance.currency or ''}")

        try:
            await smsc.send_sms("12", "a number that is too short")
        except SMSCError as exc:
            print(f"Errors are typed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
