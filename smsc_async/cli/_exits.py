"""Exit codes of the ``smsc`` command and the one-line description of an error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .._status_texts import status_text
from ..errors import (
    AuthenticationError,
    ExportTimeoutError,
    GateUnavailableError,
    HTTPStatusError,
    RecipientRejectedError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    SMSCError,
    StatusWaitTimeoutError,
    TransportError,
)

__all__ = [
    "EXIT_GAVE_UP",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNKNOWN",
    "EXIT_USAGE",
    "auth_hint",
    "describe",
    "exit_code_for",
    "most_serious",
    "one_line",
    "status_hint",
]

EXIT_OK: Final = 0
"""Everything asked for was done."""
EXIT_REFUSED: Final = 1
"""SMSC refused (an API error, a refused number, a limit, a cancelled or failed export)."""
EXIT_USAGE: Final = 2
"""A bad option or argument, or no credentials."""
EXIT_NETWORK: Final = 3
"""The network or a server failed: no connection, a timeout, an HTTP error, a bad answer, or
the shared limits gate (Redis) did not answer."""
EXIT_UNKNOWN: Final = 4
"""A send may or may not have been accepted; it was not repeated."""
EXIT_GAVE_UP: Final = 5
"""Waiting for statuses or an export ran out of time."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted (Ctrl-C), as shells report SIGINT."""

# From least to most serious: the code a command reports when its messages failed differently.
_SEVERITY: Final = (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    EXIT_GAVE_UP,
    EXIT_NETWORK,
    EXIT_UNKNOWN,
)


def exit_code_for(exc: BaseException) -> int:
    """Return the exit code an error ends the command with."""
    if isinstance(exc, SendOutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, StatusWaitTimeoutError | ExportTimeoutError):
        return EXIT_GAVE_UP
    if isinstance(
        exc, TransportError | HTTPStatusError | ResponseDecodeError | GateUnavailableError
    ):
        return EXIT_NETWORK
    if isinstance(exc, SMSCError):
        return EXIT_REFUSED
    if isinstance(exc, ValueError | TypeError):
        return EXIT_USAGE
    return EXIT_REFUSED  # OSError: a local file could not be read or written


def most_serious(codes: Iterable[int]) -> int:
    """Return the most serious of several exit codes (4 > 3 > 5 > 2 > 1 > 0)."""
    return max(codes, key=_SEVERITY.index, default=EXIT_OK)


def one_line(text: str) -> str:
    """Collapse every run of whitespace (line breaks included) into one space."""
    return " ".join(text.split())


def status_hint(message_id: int | str, phones: str) -> str:
    """Return the advice given with a send whose outcome is unknown."""
    phone = phones if phones and "," not in phones and phones != "list" else "PHONE"
    return f"check it with `smsc status {message_id} {phone}` before sending again"


def auth_hint(credentials: str | None) -> str:
    """Return the advice given with error 2: the variables the account came from, to check.

    Args:
        credentials: Those variables (and the server), e.g. ``"SMSC_APIKEY (server ...)"``;
            ``None`` names both ways of giving an account.
    """
    names = credentials or "SMSC_LOGIN and SMSC_PASSWORD, or SMSC_APIKEY"
    return f"check {names}, and that the account allows requests from this IP address"


def describe(exc: BaseException, *, credentials: str | None = None) -> str:
    """Return an error as one line of text (never with a password or API key in it).

    The library's messages hold no secrets. An outcome-unknown send gets the command that
    checks it, a refused login (error 2) the variables to check (``credentials``, see
    :func:`auth_hint`), and a refused number its status and error in words.
    """
    if isinstance(exc, RecipientRejectedError):
        return (
            f"SMSC refused number {exc.phone} of send {exc.message_id}: "
            f"{status_text(exc.status, exc.error)}; "
            "nothing was sent to it"
        )
    text = one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, SendOutcomeUnknownError):
        text += "; " + status_hint(exc.message_id, exc.phones)
    elif isinstance(exc, AuthenticationError):
        text += "; " + auth_hint(credentials)
    return text
