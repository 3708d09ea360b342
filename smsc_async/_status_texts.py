"""English meanings of a message's status code and of the error code inside a status.

status.php, get.php's history and send.php's per-number details report what became of a
message as ``status`` (a :class:`~smsc_async.models.MessageState` code) and, for a failure,
the reason as ``err`` (SMSC's "error codes inside status", smsc-api §7.4). SMSC's own
``status_name`` is Russian; these texts are what the ``smsc`` command shows instead, so that
``status 20, error 248`` reads as ``status 20 (cannot deliver), error 248 (no route)``.

For an HLR request ``err`` is the subscriber's state in the operator's register, not one of
these errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .models import MessageState

__all__ = ["ERROR_MEANINGS", "error_meaning", "state_meaning", "status_text"]

ERROR_MEANINGS: Final[Mapping[int, str]] = {
    0: "no error",
    1: "subscriber does not exist",
    6: "subscriber offline or out of coverage",
    11: "no SMS service",
    12: "handset or SIM card error",
    13: "subscriber blocked",
    21: "service not supported by the handset",
    200: "virtual send (test mode)",
    219: "SIM card replaced",
    220: "operator queue overflow",
    237: "subscriber did not answer",
    238: "no template (only template messages allowed)",
    239: "sending IP address forbidden",
    240: "subscriber busy",
    241: "conversion error, or not every SMS part was sent",
    242: "answering machine",
    243: "no contract",
    244: "mailings forbidden",
    245: "status not received",
    246: "time restriction",
    247: "message limit exceeded",
    248: "no route",
    249: "invalid number format",
    250: "number forbidden by the account's settings",
    251: "per-number limit exceeded",
    252: "number forbidden",
    253: "forbidden by the spam filter",
    254: "unregistered sender name",
    255: "rejected by the operator without a reason",
}
"""What each error code inside a status means (smsc-api §7.4)."""


def state_meaning(status: int) -> str:
    """Return a status code in words, e.g. ``20`` -> ``"cannot deliver"``.

    A code this version does not know is ``"unknown status"``.
    """
    state = MessageState(status)
    if state.name.startswith("UNKNOWN_"):
        return "unknown status"
    return state.name.lower().replace("_", " ")


def error_meaning(err: int) -> str | None:
    """Return what an error code inside a status means; ``None`` for a code not in the table."""
    return ERROR_MEANINGS.get(err)


def status_text(status: int | None, err: int | None) -> str:
    """Return a status and its error with their meanings, for one line of text.

    ``status_text(20, 248)`` is ``"status 20 (cannot deliver), error 248 (no route)"``; an
    error of 0 (or ``None``) is left out, and a code not in the tables is shown alone.
    """
    parts = [] if status is None else [f"status {status} ({state_meaning(status)})"]
    if err:
        meaning = error_meaning(err)
        parts.append(f"error {err} ({meaning})" if meaning else f"error {err}")
    return ", ".join(parts) or "no status"
