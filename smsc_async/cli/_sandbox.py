"""``--sandbox``: an SMSC emulator in the same process, seeded with a small data set.

The emulator lives as long as one command, so what a sandbox command changes (a message sent,
a contact added) is gone by the next one; the seeded data below is there every time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from .._client import SMSCClient
from ._output import Output

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["COMPLETED_EXPORT", "SANDBOX_HELP", "SANDBOX_INTERVAL", "sandbox"]

SANDBOX_INTERVAL: Final = 0.5
"""Default seconds between polls with --sandbox, where everything completes within a second."""
# Messages leave the queue 0.2 s after they are accepted and are delivered 0.5 s after it.
SCHEDULE: Final = ((0.2, 0), (0.5, 1))
SENDER: Final = "SMSCDemo"
FAILING: Final = "+79990000003"  # its messages end "cannot deliver"
REFUSED: Final = "+79990000099"  # SMSC refuses it outright
HISTORY_ID: Final = 1001
COMPLETED_EXPORT: Final = 1  # export task 1 is completed; task 2 completes after about 1 s
_CONTACTS: Final = (
    ("+79990000001", "Anna Petrova", True),
    ("+79990000002", "Boris Ivanov", True),
    (FAILING, "Vera Smirnova", False),
)
_HISTORY: Final = {
    "+79990000001": "Your order 1001 has shipped",
    "+79990000002": "Your code: 4242",
    FAILING: "See you tomorrow at 10:00",
}

SANDBOX_HELP: Final = f"""\b
Sandbox (--sandbox): an SMSC emulator in this process, fresh for every command,
holding account demo (1000.00 RUR, 2.50 an SMS part) and:
  contacts   Anna Petrova +79990000001 and Boris Ivanov +79990000002 (group
             1, Customers), Vera Smirnova {FAILING}
  senders    {SENDER} (approved)
  history    message {HISTORY_ID} to those three numbers, e.g.
             smsc --sandbox status --wait {HISTORY_ID} +79990000001
  exports    task {COMPLETED_EXPORT} (completed, 100 rows); task 2 (completes after about 1 s)
Messages are delivered about 0.5 s after sending; those to {FAILING} end
"cannot deliver", and {REFUSED} is refused at once."""


@contextlib.asynccontextmanager
async def sandbox(output: Output, *, request_timeout: float) -> AsyncIterator[SMSCClient]:
    """Serve a seeded emulator on loopback and yield an open client of its account.

    The banner on standard error says where it runs and that nothing is really sent.
    """
    from ..emulator import Emulator

    emulator = Emulator(delivery_schedule=SCHEDULE, record_requests=False)
    async with emulator.serve() as base_url:
        output.note(f"sandbox: built-in SMSC emulator at {base_url}, no real messages are sent")
        async with emulator.client(
            timeout=request_timeout, retry_backoff=0.1, reconcile_delay=0.1
        ) as smsc:
            await _seed(emulator, smsc)
            yield smsc


async def _seed(emulator: Emulator, smsc: SMSCClient) -> None:
    # Exports first: their ids come from the emulator's id sequence (tasks 1 and 2).
    emulator.add_export("Sent messages, last month", rows=100, start_after=0, run_for=0)
    emulator.add_export("Sent messages, this week", rows=20, start_after=0.3, run_for=0.5)
    emulator.undeliverable_phones = {REFUSED}
    emulator.set_outcome(FAILING, 20, 1)
    group = await smsc.contacts.add_group("Customers")
    for phone, name, in_group in _CONTACTS:
        emulator.add_contact(phone, name, groups=[group] if in_group else [])
    await smsc.senders.add(SENDER)
    emulator.moderate_sender(SENDER, 1)
    await smsc.send_batch(_HISTORY, id=HISTORY_ID, sender=SENDER)
    emulator.set_balance(emulator.accounts[0].login, Decimal("1000.00"))
