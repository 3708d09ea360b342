"""The endpoint table: one line per SMSC script/command the client speaks.

Each line says which script answers, which fields select the command, whether the command may
be repeated once it possibly reached SMSC, which limit rules of the gate's table apply (by
endpoint name) and how the answer decodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import msgspec

from .models import Balance, CostResult, MessageStatus, SendResult

__all__ = [
    "BALANCE",
    "SEND",
    "SEND_COST",
    "STATUS",
    "STATUS_DELETE",
    "STATUS_MASS",
    "Endpoint",
    "endpoint_for_call",
]


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


# --- the raw escape hatch ------------------------------------------------------------------

_SCRIPT_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\.php")
# Command flags that only read: such a request may be repeated after a lost answer. Anything
# else given to call() is treated as a change and is never repeated once it may have arrived.
_READ_FLAGS: Final = frozenset(
    {
        "get",
        "gets",
        "get_all",
        "get_group",
        "get_black",
        "get_messages",
        "get_answers",
        "get_stat",
        "get_stat_all",
        "get_price",
        "get_operator",
        "get_account",
        "get_act",
        "get_mega_accounts",
    }
)
_any_decoder: Final[msgspec.json.Decoder[Any]] = msgspec.json.Decoder()


def _set(fields: Mapping[str, str], name: str) -> bool:
    return fields.get(name, "").strip() not in ("", "0")


def endpoint_for_call(script: str, fields: Mapping[str, str]) -> Endpoint[Any]:
    """Return the endpoint a raw ``call()`` goes through: its limit rules and retry safety.

    The name picks the rules of the limits table the typed command would use (so a raw call
    counts in the same windows); reads (a ``get*`` flag, status, balance, a cost request) may
    be retried, everything else is not repeated once it may have reached SMSC.

    Raises:
        ValueError: ``script`` is not a script file name such as ``"phones.php"``.
    """
    if not isinstance(script, str) or not _SCRIPT_NAME.fullmatch(script):
        raise ValueError(
            f"script must be a file name under /sys/ such as 'phones.php', got {script!r}"
        )
    stem = script.removesuffix(".php")
    name, safe = stem, any(_set(fields, flag) for flag in _READ_FLAGS)
    if stem == "send":
        safe = fields.get("cost", "").strip() == "1"
        name = "send_cost" if safe else "send"
    elif stem == "status":
        safe = not _set(fields, "del")
        mass = "," in fields.get("id", "") or "," in fields.get("phone", "")
        name = "status_delete" if not safe else "status_mass" if mass else "status"
    elif stem in ("balance", "downloads"):
        safe = True  # downloads.php only reads: the task list and a task's file
    elif stem == "get" and _set(fields, "get_stat"):
        name = "get_stat"
    elif stem == "info":
        name = "info_operator"
    elif stem == "users" and (_set(fields, "add") or _set(fields, "chg")):
        name = "users_add" if _set(fields, "add") else "users_change"
    elif stem == "senders" and _set(fields, "add"):
        name = "senders_add"
    return Endpoint(name, script, {}, safe=safe, decoder=_any_decoder)
