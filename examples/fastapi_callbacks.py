"""Delivery statuses in a FastAPI app: SMSC's notifications through ``callback_asgi``.

``smsc_async.callbacks.callback_asgi`` is a plain ASGI application: mount it in FastAPI (or
Starlette, or any ASGI framework) and SMSC's posts reach your coroutine, their signature
checked, as typed events. This app keeps the latest status of each message and shows it on
``GET /deliveries/{sms_id}``.

By itself it runs against the built-in SMSC emulator, served by uvicorn on 127.0.0.1: it sends
three SMS, prints each delivery notification as it arrives, and exits once all three are settled:

    python examples/fastapi_callbacks.py

Needs FastAPI and uvicorn (``pip install fastapi uvicorn``). With the real service, run the app
with ``uvicorn``, expose ``/smsc/`` on the internet, and enter its URL and a secret key in the
SMSC cabinet ("User settings"); the secret goes to ``callback_asgi(secret=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import uvicorn
from fastapi import FastAPI, HTTPException

from smsc_async import MessageState
from smsc_async.callbacks import CallbackEvent, MessageStatusEvent, callback_asgi
from smsc_async.emulator import Emulator

SECRET = "example-secret"  # noqa: S105 - the emulator's; yours comes from the SMSC cabinet
PHONES = ("+79991234567", "+79990000002", "+79990000003")


class Deliveries:
    """The latest status of each message, as SMSC reports it."""

    def __init__(self) -> None:
        self.latest: dict[str, MessageState] = {}
        self.changed = asyncio.Condition()

    async def on_event(self, event: CallbackEvent) -> None:
        """Keep a delivery status; ignore incoming messages and call confirmations."""
        if not isinstance(event, MessageStatusEvent):
            return
        print(f"smsc -> app   SMS {event.id} to +{event.phone}: {event.status.name.lower()}")
        async with self.changed:
            self.latest[event.id] = event.status
            self.changed.notify_all()

    async def wait_final(self, ids: list[str]) -> None:
        """Wait until every one of these messages is settled (delivered, or failed for good)."""
        async with self.changed:
            await self.changed.wait_for(
                lambda: all(i in self.latest and self.latest[i].is_settled for i in ids)
            )


def make_app(deliveries: Deliveries, *, secret: str) -> FastAPI:
    """Build the app: its own routes, and SMSC's notifications on /smsc."""
    app = FastAPI()

    @app.get("/deliveries/{sms_id}")
    async def delivery(sms_id: str) -> dict[str, str]:
        state = deliveries.latest.get(sms_id)
        if state is None:
            raise HTTPException(404, "no notification about this message yet")
        return {"sms_id": sms_id, "status": state.name.lower()}

    app.mount("/smsc", callback_asgi(deliveries.on_event, secret=secret))
    return app


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve the app with uvicorn on a free loopback port and yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # uvicorn has a flag, not an event
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


async def demo() -> None:
    """Send a few SMS through the emulator and wait for their delivery notifications."""
    deliveries = Deliveries()
    # Deliver quickly, and sign the status posts with the secret, as SMSC does.
    emulator = Emulator(delivery_schedule=((0.2, 0), (0.5, 1)), callback_secret=SECRET)
    emulator.set_outcome("79990000003", status=20, err=1)  # one of them is not delivered
    async with emulator.serve() as smsc_url, serve(make_app(deliveries, secret=SECRET)) as url:
        emulator.callback_url = f"{url}/smsc/"
        print(f"Using the built-in SMSC emulator at {smsc_url}; the app is at {url}\n")
        async with emulator.client() as smsc:
            sent = [await smsc.send_sms(phone, "Your order has shipped") for phone in PHONES]
        ids = [str(message.id) for message in sent]
        print(f"app  -> smsc  sent SMS {', '.join(ids)}")
        await asyncio.wait_for(deliveries.wait_final(ids), 10)
        async with aiohttp.ClientSession(base_url=url) as http:
            for sms_id in ids:
                async with http.get(f"/deliveries/{sms_id}") as response:
                    print(f"GET /deliveries/{sms_id} -> {await response.json()}")


if __name__ == "__main__":
    asyncio.run(demo())
