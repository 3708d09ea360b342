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
import sys
from collections.abc import AsyncIterator
from datetime import datetime

from smsc_async import MessageStatus, SMSCClient, SMSCError
from smsc_async.emulator import Emulator


def in_words(status: MessageStatus) -> str:
    """Say a status in English: ``delivered``, ``cannot deliver (error 1)``.

    SMSC's own ``status_name`` is Russian; the enum's name says the same in English.
    """
    words = status.status.name.lower().replace("_", " ")
    return f"{words} (error {status.err})" if status.err else words


def local(when: datetime | None) -> str:
    """Show an aware time in the local zone, with the zone (SMSC's raw dates are Moscow time)."""
    return "unknown" if when is None else when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


@contextlib.asynccontextmanager
async def connect() -> AsyncIterator[tuple[SMSCClient, str, float]]:
    """Yield a client, a phone and a polling interval: the real service when configured."""
    if SMSCClient.env_configured():
        phone = os.environ.get("SMSC_PHONE")
        if not phone:
            sys.exit("Set SMSC_PHONE to the number to send to.")
        async with SMSCClient.from_env() as client:
            # SMSC allows five status requests per message per minute: poll gently.
            yield client, phone, 15.0
        return
    # Deliver quickly so the example finishes in a second or two.
    emulator = Emulator(delivery_schedule=((0.3, 0), (0.8, 1)))
    async with emulator.serve() as base_url, emulator.client() as client:
        print(f"Using the built-in SMSC emulator at {base_url} (no real messages are sent)\n")
        yield client, "+79991234567", 0.5


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
            print(f"Status:           {in_words(status)}")
            if status.status.is_settled:  # delivered, or a final failure
                break
            await asyncio.sleep(interval)

        details = await smsc.get_status(sent.id, phone, all=2)
        print(f"Details:          {in_words(details)}, cost {details.cost}, to {details.phone}")
        sent_at, changed_at = local(details.send_time), local(details.last_time)
        print(f"Times:            sent {sent_at}, last change {changed_at}")

        balance = await smsc.get_balance()
        print(f"Balance now:      {balance.balance} {balance.currency or ''}")

        try:
            await smsc.send_sms("12", "a number that is too short")
        except SMSCError as exc:
            print(f"Errors are typed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
