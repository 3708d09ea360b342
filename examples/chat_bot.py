"""Chat bot: SMS commands from many chats at once, without a bot framework.

Shows a ``Bot`` with command handlers (/balance, /cost, /send, /status, /help) fed by an
asyncio.Queue of incoming updates, the way a chat platform's long polling hands them over.
Every chat is served concurrently through one shared SMSCClient, the messages of one chat in
order, and every error becomes a friendly reply. The client is made with ``on_limit="raise"``
and ``max_wait=``, so a chat never hangs on a limit: it is told when to try again.

Against the built-in SMSC emulator it plays a scripted conversation of three chats and prints
it with the time of each line:

    python examples/chat_bot.py

To use the real service, set SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY), optionally
SMSC_BASE_URL: it then reads commands from standard input, as one chat, until end of input
(Ctrl+D). /send sends real, charged SMS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys
import textwrap
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from smsc_async import (
    HTTPStatusError,
    InsufficientFundsError,
    InvalidPhoneError,
    MessageForbiddenError,
    MessageState,
    RateLimitedError,
    SendOutcomeUnknownError,
    SMSCClient,
    SMSCError,
    TransportError,
)
from smsc_async.emulator import Emulator

log = logging.getLogger("chat_bot")

MAX_WAIT = 5.0  # the longest a command may wait at the client's limits gate, in seconds


@dataclass(frozen=True, slots=True)
class Update:
    """One incoming chat message."""

    chat: int
    text: str


Reply = Callable[[int, str], Awaitable[None]]


class Usage(Exception):
    """A command came without the arguments it needs."""


@dataclass(frozen=True, slots=True)
class Command:
    """A command handler, its arguments and what it does, for /help."""

    run: Callable[[int, str], Awaitable[str]]
    args: str
    about: str


def split(args: str, count: int) -> list[str]:
    """Split ``args`` into ``count`` words, the last one taking the rest of the line."""
    words = args.split(maxsplit=count - 1)
    if len(words) < count:
        raise Usage
    return words


def explain(exc: Exception) -> str:
    """Turn an error into a reply the chat can act on."""
    match exc:
        case RateLimitedError():
            # SMSC's per-minute rules: e.g. one identical SMS a minute, five status checks.
            return f"SMSC allows no more of that right now; try again in {wait_time(exc)}."
        case SendOutcomeUnknownError():
            return (
                f"I could not tell whether message {exc.message_id} went out. Do not send it "
                f"again: check it with /status {exc.message_id} {exc.phones} in a minute."
            )
        case InvalidPhoneError():
            return "SMSC says that is not a valid phone number."
        case InsufficientFundsError():
            return "There is not enough money on the account to send that."
        case MessageForbiddenError():
            return "SMSC refused that text or sender name."
        case TransportError() | HTTPStatusError():
            return "SMSC cannot be reached right now; try again in a while."
        case SMSCError():
            return f"SMSC refused: {exc}"
        case ValueError() | TypeError():  # the client checks arguments before sending
            return f"That does not look right: {exc}"
    log.error("a command failed", exc_info=exc)
    return "Sorry, something went wrong on my side."


def wait_time(exc: RateLimitedError) -> str:
    seconds = max(1, math.ceil(exc.retry_after))
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


class Bot:
    """Serves chats concurrently, each chat's messages in order, with one shared client."""

    def __init__(self, smsc: SMSCClient, reply: Reply) -> None:
        self._smsc = smsc
        self._reply = reply
        self._backlogs: dict[int, deque[Update]] = {}  # chats being served now
        self._last_sent: dict[int, tuple[int | str, str]] = {}
        self._commands = {
            "/balance": Command(self.balance, "", "the account balance"),
            "/cost": Command(self.cost, "<phone> <text>", "what sending a text would cost"),
            "/send": Command(self.send, "<phone> <text>", "send an SMS"),
            "/status": Command(
                self.status, "[<id> <phone>]", "a message's status (default: your last)"
            ),
            "/help": Command(self.help, "", "this list"),
        }

    async def run(self, updates: asyncio.Queue[Update | None]) -> None:
        """Serve updates until ``None`` comes, then finish what the chats have sent."""
        async with asyncio.TaskGroup() as tasks:
            while (update := await updates.get()) is not None:
                backlog = self._backlogs.get(update.chat)
                if backlog is not None:
                    backlog.append(update)  # its chat's task takes it after the earlier ones
                else:
                    self._backlogs[update.chat] = deque([update])
                    tasks.create_task(self._serve_chat(update.chat))

    async def _serve_chat(self, chat: int) -> None:
        backlog = self._backlogs[chat]
        while backlog:
            update = backlog.popleft()
            try:
                await self.handle(update)
            except Exception:  # e.g. the reply could not be delivered: the chat goes on
                log.exception("chat %s: an update was not handled", chat)
        del self._backlogs[chat]  # an idle chat holds no task; its next message starts one

    async def handle(self, update: Update) -> None:
        """Run the update's command and reply with its result or what went wrong."""
        name, _, args = update.text.strip().partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            text = f"I do not know {name!r}. /help lists what I can do."
        else:
            try:
                text = await command.run(update.chat, args.strip())
            except Usage:
                text = f"Usage: {name} {command.args}"
            except Exception as exc:
                text = explain(exc)
        await self._reply(update.chat, text)

    async def help(self, chat: int, args: str) -> str:
        lines = (
            f"{name} {c.args}".rstrip() + f" - {c.about}" for name, c in self._commands.items()
        )
        return "I send SMS through SMSC:\n" + "\n".join(lines)

    async def balance(self, chat: int, args: str) -> str:
        balance = await self._smsc.get_balance()
        return f"The balance is {balance.balance} {balance.currency or ''}".rstrip() + "."

    async def cost(self, chat: int, args: str) -> str:
        phone, text = split(args, 2)
        cost = await self._smsc.get_cost(phone, text)
        return f"That would cost {cost.cost} ({cost.cnt} SMS part(s))."

    async def send(self, chat: int, args: str) -> str:
        phone, text = split(args, 2)
        try:
            sent = await self._smsc.send_sms(phone, text, with_cost=True)
        except SendOutcomeUnknownError as exc:
            self._last_sent[chat] = (exc.message_id, phone)  # so that /status checks it
            raise
        self._last_sent[chat] = (sent.id, phone)
        if sent.reconciled:  # the answer was lost, but status.php knows the message
            return f"Sent: message {sent.id}."
        return f"Sent: message {sent.id}, {sent.cnt} part(s), cost {sent.cost}."

    async def status(self, chat: int, args: str) -> str:
        id: int | str
        if args:
            id, phone = split(args, 2)
        elif chat in self._last_sent:
            id, phone = self._last_sent[chat]
        else:
            raise Usage
        status = await self._smsc.get_status(id, phone)
        if status.status is MessageState.NOT_FOUND:
            return f"SMSC does not know message {id} to {phone}: it was not sent."
        error = f" (error {status.err})" if status.err else ""
        return f"Message {id} to {phone}: {status.status.name.lower().replace('_', ' ')}{error}."


# --- against the emulator: a scripted conversation -------------------------------------------

NAMES = {1: "Ann", 2: "Bob", 3: "Eve"}
SCRIPT = [  # (seconds from the start, chat, text)
    (0.0, 1, "/help"),
    (0.0, 2, "/send +79991234567 Your parcel is ready for pickup"),
    (0.0, 2, "/status"),  # answered after the send: a chat's messages are taken in order
    (0.0, 3, "/balance"),  # answered at once: chats do not wait for each other
    (0.1, 1, "/send +79991234567 Your parcel is ready for pickup"),  # the same SMS again
    (0.1, 3, "/send 12 Hello"),
    (0.2, 1, "/weather"),
    (0.4, 2, "/cost +79997654321 See you at 7 pm"),
    (0.4, 2, "/send"),
    (0.5, 3, "/send +79990000001 Your table is booked"),  # the answer to it gets lost
    (2.0, 2, "/status"),
    (2.0, 3, "/status"),
]


def show(started: float, who: str, text: str) -> None:
    """Print a chat line with the time since the start."""
    lines = [part for line in text.splitlines() for part in textwrap.wrap(line, 80)]
    print(f"{time.monotonic() - started:5.2f}s  {who:<11} {lines[0]}")
    for line in lines[1:]:
        print(f"{'':20}{line}")


async def play(bot: Bot, started: float, emulator: Emulator) -> None:
    """Feed the script to the bot as a platform's long polling would."""
    updates: asyncio.Queue[Update | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    for at, chat, text in SCRIPT:
        loop.call_at(loop.time() + at, show, started, NAMES[chat], text)
        loop.call_at(loop.time() + at, updates.put_nowait, Update(chat, text))
    # The connection of the send at 0.5 s drops before SMSC takes it: an unknown outcome.
    loop.call_at(loop.time() + 0.45, emulator.faults.drop, 1, "send.php")
    loop.call_at(loop.time() + SCRIPT[-1][0], updates.put_nowait, None)
    await bot.run(updates)


async def demo() -> None:
    """Run the scripted conversation against the emulator."""
    emulator = Emulator(delivery_schedule=((0.5, 0), (1.0, 1)))
    emulator.faults.delay(0.2, script="send.php")  # some network time, to show concurrency
    async with emulator.serve() as base_url:
        print(f"Using the built-in SMSC emulator at {base_url} (no real messages are sent)\n")
        started = time.monotonic()

        async def reply(chat: int, text: str) -> None:
            show(started, f"bot to {NAMES[chat]}", text)

        async with emulator.client(on_limit="raise", max_wait=MAX_WAIT) as smsc:
            await play(Bot(smsc, reply), started, emulator)


# --- against the real service: one chat on standard input --------------------------------------


def read_stdin(loop: asyncio.AbstractEventLoop, updates: asyncio.Queue[Update | None]) -> None:
    """Hand each line typed to the loop (a thread, since reading stdin blocks)."""
    for line in sys.stdin:
        if line.strip():
            loop.call_soon_threadsafe(updates.put_nowait, Update(0, line.strip()))
    loop.call_soon_threadsafe(updates.put_nowait, None)


async def console() -> None:
    """Serve commands typed on standard input with the real service."""

    async def reply(chat: int, text: str) -> None:
        print(text.replace("\n", "\n  "), flush=True)

    async with SMSCClient.from_env(on_limit="raise", max_wait=MAX_WAIT) as smsc:
        print("Type a command (/help lists them); Ctrl+D ends. /send sends real, charged SMS.")
        updates: asyncio.Queue[Update | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        threading.Thread(target=read_stdin, args=(loop, updates), daemon=True).start()
        await Bot(smsc, reply).run(updates)


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(console() if SMSCClient.env_configured() else demo())
