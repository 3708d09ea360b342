"""The endpoint table: one line per SMSC script/command the client speaks.

Each line says which script answers, which fields select the command, whether the command may
be repeated once it possibly reached SMSC, which limit rules of the gate's table apply (by
endpoint name) and how the answer decodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

import msgspec

from .models import Balance, CostResult, MessageStatus, SendResult

__all__ = ["BALANCE", "SEND", "SEND_COST", "STATUS", "STATUS_DELETE", "STATUS_MASS", "Endpoint"]


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[T]):
    """One SMSC command whose answer decodes to ``T``.

    Attributes:
        name: Key into the limits table (``smsc_async._limits.RULES``).
        script: Script file under ``/sys/``.
        command: Fixed fields that select the command (e.g. ``{"del": "1"}``).
        safe: May be repeated after it possibly reached SMSC (reads). Sends and deletes are not.
        decoder: Decoder of the ``fmt=3`` answer, built once; ``None`` for OK-only answers.
    """

    name: str
    script: str
    command: Mapping[str, str]
    safe: bool
    decoder: msgspec.json.Decoder[T] | None


def _decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    # strict=False: SMSC quotes numbers in some answers ("cnt": "5").
    return msgspec.json.Decoder(kind, strict=False)


SEND: Final = Endpoint("send", "send.php", {}, safe=False, decoder=_decoder(SendResult))
SEND_COST: Final = Endpoint(
    "send_cost", "send.php", {"cost": "1"}, safe=True, decoder=_decoder(CostResult)
)
STATUS: Final = Endpoint("status", "status.php", {}, safe=True, decoder=_decoder(MessageStatus))
STATUS_MASS: Final = Endpoint(
    "status_mass", "status.php", {}, safe=True, decoder=_decoder(list[MessageStatus])
)
# A repeated delete of a deleted message answers error 5, so a lost answer is not repeated.
STATUS_DELETE: Final[Endpoint[None]] = Endpoint(
    "status_delete", "status.php", {"del": "1"}, safe=False, decoder=None
)
# cur=1 always: the currency costs nothing and makes the balance self-describing.
BALANCE: Final = Endpoint(
    "balance", "balance.php", {"cur": "1"}, safe=True, decoder=_decoder(Balance)
)
