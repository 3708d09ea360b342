"""Webhook receiver: get delivery statuses pushed to your aiohttp app instead of polling.

It serves a small aiohttp.web app whose /smsc route receives SMSC's notifications (verified
with your secret by smsc_async.callbacks), sends one SMS and waits until the delivery status
arrives there. By itself it runs against the built-in SMSC emulator, which posts the statuses
to the app like SMSC does:

    python examples/webhook_receiver.py

To use the real service: set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY), SMSC_PHONE (the
number to send to) and SMSC_CALLBACK_SECRET (the secret key from the SMSC cabinet); the app
listens on SMSC_WEBHOOK_PORT (8080). Expose it on the internet (a reverse proxy or a tunnel)
and enter its URL, e.g. https://example.org/smsc, as the status handler URL in the SMSC
cabinet ("User settings"). Optionally set SMSC_BASE_URL (https://smsc.ru by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from aiohttp import web

from smsc_async import MessageState, SMSCClient
from smsc_async.callbacks import CallbackEvent, MessageStatusEvent, callback_app
from smsc_async.emulator import Emulator


class Inbox:
    """What the app received: every event, and a way to wait for one message's final status."""

    def __init__(self) -> None:
        self.events: list[CallbackEvent] = []
        self.changed = asyncio.Condition()

    async def on_event(self, event: CallbackEvent) -> None:
        # SMSC may post a notification twice: event.key tells repeats apart if that matters.
        print(f"Received:  {type(event).__name__} {event.key}")
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def final_status(self, message_id: int | str) -> MessageStatusEvent:
        def done() -> MessageStatusEvent | None:
            for event in self.events:
                if (
                    isinstance(event, MessageStatusEvent)
                    and event.id == str(message_id)  # a form carries ids as text
                    and (event.status is MessageState.DELIVERED or event.status.is_final)
                ):
                    return event
            return None

        async with self.changed:
            await self.changed.wait_for(lambda: done() is not None)
        found = done()
        assert found is not None
        return found


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, host: str, port: int) -> AsyncIterator[str]:
    """Serve the app and yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def connect(inbox: Inbox) -> AsyncIterator[tuple[SMSCClient, str, float]]:
    """Yield a client, a phone and how long to wait: the real service when configured."""
    login, apikey = os.environ.get("SMSC_LOGIN"), os.environ.get("SMSC_APIKEY")
    if login or apikey:
        secret = os.environ["SMSC_CALLBACK_SECRET"]
        app = web.Application()
        app.add_subapp("/smsc", callback_app(inbox.on_event, secret=secret))
        port = int(os.environ.get("SMSC_WEBHOOK_PORT", "8080"))
        async with serve_app(app, "0.0.0.0", port) as url:  # noqa: S104 - SMSC must reach it
            print(f"Listening at {url}/smsc (expose it and set its public URL in the cabinet)")
            base_url = os.environ.get("SMSC_BASE_URL", "https://smsc.ru")
            client = (
                SMSCClient(apikey=apikey, base_url=base_url)
                if apikey
                else SMSCClient(login, os.environ["SMSC_PASSWORD"], base_url=base_url)
            )
            async with client:
                yield client, os.environ["SMSC_PHONE"], 600.0
        return
    secret = "example-secret"  # noqa: S105 - the emulator's; yours comes from the cabinet
    app = web.Application()
    app.add_subapp("/smsc", callback_app(inbox.on_event, secret=secret))
    async with serve_app(app, "127.0.0.1", 0) as url:
        # Deliver quickly so the example finishes in a second.
        emulator = Emulator(
            delivery_schedule=((0.2, 0), (0.5, 1)),
            callback_url=f"{url}/smsc",
            callback_secret=secret,
        )
        async with emulator.serve() as base_url:
            print(f"Using the built-in SMSC emulator at {base_url}; statuses go to {url}/smsc\n")
            async with SMSCClient("demo", "demo-password", base_url=base_url) as client:
                yield client, "+79991234567", 10.0


async def main() -> None:
    """Send one SMS and wait for its delivery status to be pushed to the app."""
    inbox = Inbox()
    async with connect(inbox) as (smsc, phone, patience):
        sent = await smsc.send_sms(phone, "Hello from smsc_async: statuses are pushed to you.")
        print(f"Sent:      message id {sent.id} to {phone}")
        event = await asyncio.wait_for(inbox.final_status(sent.id), patience)
        when = event.changed_at.isoformat() if event.changed_at else "unknown time"
        print(f"Status:    {event.status.name.lower()} (err {event.err}) at {when}")


if __name__ == "__main__":
    asyncio.run(main())
