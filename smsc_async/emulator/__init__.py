"""A stateful SMSC emulator on aiohttp.web, for tests, examples and benchmarks.

The emulator answers SMSC's HTTP API on loopback (send.php, status.php, balance.php, and the
contacts, senders, subclients, documents, history, templates, mailings, dedicated numbers,
call-confirmation and notification scripts, each stateful), so nothing needs real
credentials::

    from decimal import Decimal
    from smsc_async.emulator import Account, Emulator

    emu = Emulator(accounts=[Account(login="demo", password="demo-password",
                                     balance=Decimal("100.00"))])
    async with emu.serve() as base_url:
        ...  # point the client at base_url
    assert emu.sends_accepted() == 1

It parses requests from its own table of SMSC parameter names and never imports the
client, so a misreading in the client is not mirrored here. The one shared piece is the
stdlib-only part count (:func:`smsc_async.estimate.estimate_message`), so that the emulator's
``cnt`` and the offline estimate agree. All timing uses the event
loop's clock, so tests can run on virtual time (``looptime``).

From the command line: ``python -m smsc_async.emulator --port 8080``.

In pytest, the fixtures ``smsc_emulator`` and ``smsc_emulator_factory`` come with the
package (see :mod:`smsc_async.emulator.pytest_plugin`).
"""

from ._app import SCRIPTS, Emulator
from ._contacts import BlacklistRecord, ContactRecord, GroupRecord
from ._data import SHARED_NUMBER
from ._downloads import ExportJob
from ._faults import Fault, Faults, RandomFaults
from ._jobs import Mailing
from ._notify import PostedCallback
from ._rules import LIMIT_RULES, MAX_IN_FLIGHT, WINDOW_SECONDS, LimitRule
from ._senders import SenderRecord
from ._service import CallConfirmation, FreeNumber, NotifiedEvent, OwnedNumber
from ._store import DEFAULT_SCHEDULE
from ._templates import StoredOperatorTemplate, StoredTemplate
from ._types import Account, FileAnswer, Message, RecordedFile, RecordedRequest
from ._users import DocumentRecord, Payment, SubclientRecord

__all__ = [
    "DEFAULT_SCHEDULE",
    "LIMIT_RULES",
    "MAX_IN_FLIGHT",
    "SCRIPTS",
    "SHARED_NUMBER",
    "WINDOW_SECONDS",
    "Account",
    "BlacklistRecord",
    "CallConfirmation",
    "ContactRecord",
    "DocumentRecord",
    "Emulator",
    "ExportJob",
    "Fault",
    "Faults",
    "FileAnswer",
    "FreeNumber",
    "GroupRecord",
    "LimitRule",
    "Mailing",
    "Message",
    "NotifiedEvent",
    "OwnedNumber",
    "Payment",
    "PostedCallback",
    "RandomFaults",
    "RecordedFile",
    "RecordedRequest",
    "SenderRecord",
    "StoredOperatorTemplate",
    "StoredTemplate",
    "SubclientRecord",
]
