"""OTP backend: one-time sign-in codes by SMS, with delivery statuses pushed back by SMSC.

Shows an aiohttp.web backend with one SMSCClient for the app's lifetime (``app.cleanup_ctx``):

- ``POST /otp/send {"phone": ...}`` sends a six-digit code made with ``secrets``; only a keyed
  hash of it is kept, with an expiry, an attempt limit and the id of its SMS;
- ``POST /otp/verify {"phone": ..., "code": ...}`` checks it (a code works once);
- ``POST /smsc`` receives SMSC's delivery statuses through ``smsc_async.callbacks.callback_app``,
  which checks their signature, and records the status of each code's SMS;
- ``GET /otp/status?phone=...`` shows it.

The client raises instead of waiting at a limit (``on_limit="raise"``, ``max_wait=``), so no
request hangs: ``RateLimitedError`` becomes 429 with Retry-After, ``InvalidPhoneError`` and
``ValueError`` 400, any other ``SMSCError`` 502.

By itself it runs against the built-in SMSC emulator, which posts the statuses to the app like
SMSC does, and plays the user: asks for a code, reads it from the SMS, verifies it, waits for
the delivery status and exits:

    python examples/otp_backend.py

To use the real service, set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY), optionally
SMSC_BASE_URL, and SMSC_CALLBACK_SECRET (the secret key from the SMSC cabinet). The app then
listens on SMSC_WEBHOOK_PORT (8080) until stopped. Expose /smsc on the internet (a reverse
proxy or a tunnel) and enter its URL, e.g. https://example.org/smsc, as the status handler URL
in the SMSC cabinet ("User settings"). Then try it (every code sent is a real, charged SMS;
SMSC_PHONE, when set, fills in the number in the commands printed at start):

    curl -X POST localhost:8080/otp/send -d '{"phone": "+79991234567"}'
    curl -X POST localhost:8080/otp/verify -d '{"phone": "+79991234567", "code": "123456"}'
    curl 'localhost:8080/otp/status?phone=79991234567'
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from smsc_async import (
    InvalidPhoneError,
    MessageState,
    RateLimitedError,
    SendOptions,
    SendOutcomeUnknownError,
    SMSCClient,
    SMSCError,
)
from smsc_async.callbacks import CallbackEvent, MessageStatusEvent, callback_app
from smsc_async.emulator import Emulator
from smsc_async.params import new_message_id

log = logging.getLogger("otp_backend")

CODE_DIGITS = 6
CODE_TTL = 300.0  # seconds a code stays valid; also the SMS's lifetime at SMSC
MAX_ATTEMPTS = 5  # wrong guesses burn the code: six digits must not be guessable
RESEND_AFTER = 60.0  # one code a minute per number, so nobody floods a phone through us
KEEP_FOR = 3600.0  # how long /otp/status still knows a code's SMS
MAX_WAIT = 5.0  # the longest a request may wait at the client's limits gate, in seconds


@dataclass
class Otp:
    """One code sent to one number. The code itself is not kept, only its keyed hash."""

    phone: str
    sms_id: str
    digest: bytes | None  # None once the code was used, expired or burnt
    sent_at: float
    attempts_left: int = MAX_ATTEMPTS
    verified: bool = False
    delivery: MessageState = MessageState.QUEUED
    delivery_err: int = 0
    changed_at: datetime | None = None

    @property
    def expires_at(self) -> float:
        return self.sent_at + CODE_TTL


class OtpBook:
    """The codes sent, by number, and by the id of their SMS for the delivery statuses.

    In memory, for one process: a real deployment keeps this in a shared store with expiry
    (Redis, a database), so that every worker sees the same codes.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)  # a restart forgets every code, which is fine
        self._by_phone: dict[str, Otp] = {}
        self._by_sms: dict[str, Otp] = {}

    def _digest(self, phone: str, code: str) -> bytes:
        return hmac.new(self._key, f"{phone}:{code}".encode(), hashlib.sha256).digest()

    def get(self, phone: str) -> Otp | None:
        return self._by_phone.get(phone)

    def wait_before_resend(self, phone: str, now: float) -> float:
        last = self._by_phone.get(phone)
        return 0.0 if last is None else last.sent_at + RESEND_AFTER - now

    def issue(self, phone: str, code: str, now: float) -> Otp:
        """Record a code before its SMS goes out (a status may arrive before the answer)."""
        for old in [otp for otp in self._by_sms.values() if now - otp.sent_at > KEEP_FOR]:
            self.discard(old)
        otp = Otp(phone, new_message_id(), self._digest(phone, code), now)
        self._by_phone[phone] = self._by_sms[otp.sms_id] = otp
        return otp

    def discard(self, otp: Otp) -> None:
        self._by_sms.pop(otp.sms_id, None)
        if self._by_phone.get(otp.phone) is otp:
            del self._by_phone[otp.phone]

    def verify(self, phone: str, code: str, now: float) -> str | None:
        """Check a code: return ``None`` when it is right, else why it is not."""
        otp = self._by_phone.get(phone)
        if otp is None or otp.digest is None:
            return "no code is waiting for this number; ask for one"
        if now >= otp.expires_at:
            otp.digest = None
            return "the code has expired; ask for a new one"
        otp.attempts_left -= 1
        if hmac.compare_digest(otp.digest, self._digest(phone, code)):
            otp.digest, otp.verified = None, True
            return None
        if otp.attempts_left == 0:
            otp.digest = None
            return "wrong code, and no attempts are left; ask for a new one"
        return f"wrong code; {otp.attempts_left} attempt(s) left"

    async def on_event(self, event: CallbackEvent) -> None:
        """Record the delivery status SMSC posted, if it is about one of our codes."""
        if not isinstance(event, MessageStatusEvent):
            return  # incoming messages and call confirmations are not ours
        otp = self._by_sms.get(event.id)
        if otp is None:
            return  # another SMS of the account, or forgotten: answer ok all the same
        # SMSC may post a status twice and posts may overtake each other: keep the latest.
        if otp.changed_at and event.changed_at and event.changed_at < otp.changed_at:
            return
        otp.delivery, otp.delivery_err = event.status, event.err
        otp.changed_at = event.changed_at
        log.info("SMSC reports SMS %s: %s", otp.sms_id, event.status.name.lower())


BOOK = web.AppKey("book", OtpBook)
SMSC = web.AppKey("smsc", SMSCClient)


def masked(phone: str) -> str:
    """Show enough of a number for logs (they are personal data)."""
    return f"+{phone[:4]}***{phone[-4:]}" if len(phone) > 8 else "+***"


def normalise(phone: str) -> str:
    """Return the digits of a phone number written with spaces, dashes, brackets or a +."""
    digits = re.sub(r"[\s()+-]", "", phone)
    if not re.fullmatch(r"[0-9]{1,15}", digits):
        raise ValueError("phone must be a number in international format, e.g. +79991234567")
    return digits


async def read_fields(request: web.Request, *names: str) -> list[str]:
    """Return the named string fields of a JSON object body."""
    try:
        body = await request.json()
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(n), str) for n in names):
        raise ValueError(f"send a JSON object with the text fields: {', '.join(names)}")
    return [body[n] for n in names]


def failure(status: int, reason: str, **extra: Any) -> web.Response:
    return web.json_response({"error": reason, **extra}, status=status)


def too_many(retry_after: float, reason: str) -> web.Response:
    seconds = max(1, math.ceil(retry_after))
    response = failure(429, f"{reason}; try again in {seconds} s")
    response.headers["Retry-After"] = str(seconds)
    return response


@web.middleware
async def smsc_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn the client's errors into HTTP answers."""
    try:
        return await handler(request)
    except RateLimitedError as exc:
        return too_many(exc.retry_after, "SMSC's limits allow no more such messages now")
    except InvalidPhoneError:
        return failure(400, "SMSC says this phone number is not valid")
    except ValueError as exc:  # the request's own mistakes, caught before anything is sent
        return failure(400, str(exc))
    except SendOutcomeUnknownError:
        return failure(502, "the SMS may or may not have gone out; if none arrives, ask again")
    except SMSCError as exc:
        log.warning("SMSC failed: %s", exc)
        return failure(502, "SMS sending is unavailable; try again later")


async def send_code(request: web.Request) -> web.Response:
    """``POST /otp/send {"phone"}``: send a new code by SMS."""
    [given] = await read_fields(request, "phone")
    phone = normalise(given)
    book, now = request.app[BOOK], asyncio.get_running_loop().time()
    wait = book.wait_before_resend(phone, now)
    if wait > 0:
        return too_many(wait, "a code was sent to this number a moment ago")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    otp = book.issue(phone, code, now)
    minutes = round(CODE_TTL / 60)
    text = f"Your sign-in code: {code}. It expires in {minutes} minutes. Do not share it."
    options: SendOptions = {"id": otp.sms_id, "valid": timedelta(seconds=CODE_TTL)}
    if request.remote:
        # For the per-IP limits you can set in the SMSC cabinet. Behind a proxy, take the
        # user's address from the header your proxy sets instead.
        options["userip"] = request.remote
    try:
        await request.app[SMSC].send_sms(f"+{phone}", text, **options)
    except SendOutcomeUnknownError:
        raise  # the SMS may still arrive, so its code stays valid
    except (SMSCError, ValueError):
        book.discard(otp)  # surely not sent: the user may ask again at once
        raise
    log.info("code sent to %s in SMS %s", masked(phone), otp.sms_id)
    return web.json_response({"sent": True, "expires_in": round(CODE_TTL)}, status=202)


async def verify_code(request: web.Request) -> web.Response:
    """``POST /otp/verify {"phone", "code"}``: check a code."""
    given, code = await read_fields(request, "phone", "code")
    phone = normalise(given)
    wrong = request.app[BOOK].verify(phone, code.strip(), asyncio.get_running_loop().time())
    if wrong:
        return failure(400, wrong, verified=False)
    log.info("%s verified", masked(phone))
    return web.json_response({"verified": True})


async def show_status(request: web.Request) -> web.Response:
    """``GET /otp/status?phone=``: the delivery status of the last code's SMS."""
    # A real app shows this only to the session that asked for the code.
    otp = request.app[BOOK].get(normalise(request.query.get("phone", "")))
    if otp is None:
        return failure(404, "no code was sent to this number lately")
    left = otp.expires_at - asyncio.get_running_loop().time()
    return web.json_response(
        {
            "sms_id": otp.sms_id,
            "delivery": otp.delivery.name.lower(),
            "delivery_err": otp.delivery_err,
            "changed_at": otp.changed_at.isoformat() if otp.changed_at else None,
            "verified": otp.verified,
            "code_valid_for": max(0, round(left)) if otp.digest else 0,
        }
    )


def make_app(new_client: Callable[[], SMSCClient], *, secret: str) -> web.Application:
    """Build the backend: the OTP routes, and SMSC's notifications on /smsc."""
    book = OtpBook()
    app = web.Application(middlewares=[smsc_errors])
    app[BOOK] = book

    async def smsc_client(app: web.Application) -> AsyncIterator[None]:
        async with new_client() as smsc:  # one client (one connection pool) for the app
            app[SMSC] = smsc
            yield

    app.cleanup_ctx.append(smsc_client)
    app.router.add_post("/otp/send", send_code)
    app.router.add_post("/otp/verify", verify_code)
    app.router.add_get("/otp/status", show_status)
    app.add_subapp("/smsc", callback_app(book.on_event, secret=secret))
    return app


# --- against the emulator: the script plays the user -----------------------------------------


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve the app on a free loopback port and yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def call(
    http: aiohttp.ClientSession, method: str, path: str, payload: Any = None, *, show: bool = True
) -> Any:
    """Make a request as the user would, print it and its answer, and return the JSON body."""
    if show:
        print(f"user     {method} {path}" + (f" {json.dumps(payload)}" if payload else ""))
    async with http.request(method, path, json=payload) as response:
        body = await response.json()
        if show:
            wait = response.headers.get("Retry-After")
            after = f" (Retry-After: {wait})" if wait else ""
            print(f"         -> {response.status}{after} {json.dumps(body)}")
        return body


async def play_user(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    """Ask for a code, read it from the SMS, verify it, and wait for the delivery status."""
    phone = "+7 999 123-45-67"
    await call(http, "POST", "/otp/send", {"phone": phone})
    await call(http, "POST", "/otp/send", {"phone": phone})  # impatient: asks again at once
    sms = [message for message in emulator.messages() if message.phone == "79991234567"][-1]
    print(f"user     the SMS reads: {sms.text}")
    code = sms.text.split(": ")[1][:CODE_DIGITS]
    typo = f"{(int(code) + 1) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"
    await call(http, "POST", "/otp/verify", {"phone": phone, "code": typo})
    await call(http, "POST", "/otp/verify", {"phone": phone, "code": code})
    await call(http, "POST", "/otp/verify", {"phone": phone, "code": code})  # a code works once
    await call(http, "POST", "/otp/send", {"phone": "12"})  # SMSC refuses the number
    path = "/otp/status?phone=79991234567"
    for _ in range(100):  # the statuses come in the background; check until it has arrived
        status = await call(http, "GET", path, show=False)
        if status["delivery"] not in ("queued", "sent"):
            break
        await asyncio.sleep(0.1)
    await call(http, "GET", path)


async def demo() -> None:
    """Run the backend against the emulator and play the user."""
    logging.basicConfig(level=logging.INFO, format="backend  %(message)s", stream=sys.stdout)
    secret = "example-secret"  # noqa: S105 - the emulator's; yours comes from the SMSC cabinet
    # Deliver quickly, and sign the status posts with the secret, as SMSC does.
    emulator = Emulator(delivery_schedule=((0.2, 0), (0.5, 1)), callback_secret=secret)
    async with emulator.serve() as smsc_url:
        app = make_app(lambda: emulator.client(on_limit="raise", max_wait=MAX_WAIT), secret=secret)
        async with serve(app) as url, aiohttp.ClientSession(base_url=url) as http:
            emulator.callback_url = f"{url}/smsc"
            print(f"Using the built-in SMSC emulator at {smsc_url}; the backend is at {url}\n")
            await play_user(http, emulator)


# --- against the real service: serve until stopped --------------------------------------------


def serve_forever() -> None:
    """Serve the backend on SMSC_WEBHOOK_PORT for the real service."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    secret = os.environ.get("SMSC_CALLBACK_SECRET")
    if not secret:
        sys.exit("Set SMSC_CALLBACK_SECRET to the secret key from the SMSC cabinet.")
    port = int(os.environ.get("SMSC_WEBHOOK_PORT") or 8080)
    SMSCClient.from_env()  # fail now, not on startup, when the credentials are incomplete
    app = make_app(lambda: SMSCClient.from_env(on_limit="raise", max_wait=MAX_WAIT), secret=secret)
    phone = os.environ.get("SMSC_PHONE") or "+79991234567"
    asked, answered = json.dumps({"phone": phone}), json.dumps({"phone": phone, "code": "CODE"})
    digits = re.sub(r"[^0-9]", "", phone)
    print(
        "Enter the public URL of /smsc in the SMSC cabinet, then try (CODE from the SMS):\n"
        f"  curl -X POST localhost:{port}/otp/send -d '{asked}'\n"
        f"  curl -X POST localhost:{port}/otp/verify -d '{answered}'\n"
        f"  curl 'localhost:{port}/otp/status?phone={digits}'\n"
    )
    web.run_app(app, port=port)


if __name__ == "__main__":
    if SMSCClient.env_configured():
        serve_forever()
    else:
        asyncio.run(demo())
