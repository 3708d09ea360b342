"""senders.php: sender names, their moderation, operator registrations and digital codes.

What the emulator does where SMSC's behaviour is not captured (gaps, its own choices):

- ``get=1`` lists the approved names (status 1); ``all=1`` lists every name. Newest first;
  ``prev_id`` continues with the names older than that id; ``cnt`` is 1..1000.
- A new name waits for moderation (status 0); :class:`SendersControls` plays the moderator and
  the operators. Operator flags at ``add``/``chg`` put the name in that operator's queue
  (operator status 0, field ``<flag>_status``).
- Adding a name the account already has is error 5; an unknown name or id is error 3.
- ``send_code`` works for digital names (a phone number, 10 to 15 digits) only: any other
  ``sender`` (or a name found by ``id`` that is not a number) is error 7 "Invalid number
  format.", checked before the name is looked up. It stores a 6-digit code. Another
  ``send_code`` to the same number within 8 hours of loop time (whichever name or subclient
  asks, and even after the code was confirmed: it is the phone that gets the SMS) is error 10;
  the code sent first stays valid.
- ``check_code`` without a code is error 1; a code that is not the one sent (or when none was
  sent) is error 11 "Invalid confirmation code."; the right one confirms the name and allows it
  (status 1).
- chg, send_code, check_code and del answer ``OK`` / ``{"result": "OK"}``.
- ``user=`` keeps a subclient's names apart from the account's own (not checked further).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ._controls import Controls
from ._params import MOSCOW, is_set, parse_int, pick_command
from ._render import FMT_CSV, render_id, render_ok, render_records
from ._store import Call, Store
from ._types import ApiFailure

__all__ = [
    "CODE_RETRY_SECONDS",
    "OPERATOR_FLAGS",
    "SenderRecord",
    "SendersControls",
    "SendersState",
    "handle_senders",
]

# add/chg flags that register a name with an operator; each reports as "<flag>_status".
OPERATOR_FLAGS = (
    "mega",
    "mega_step",
    "mts",
    "mts_step",
    "tele2",
    "tele2_step",
    "bee_step",
    "motiv_step",
    "ua_reg",
    "ua_int",
)
# Every operator status field of a list answer (operators=1), in SMSC's order.
_STATUS_FIELDS = (
    "mega",
    "mts",
    "mega_step",
    "mega_int",
    "bee_step",
    "motiv_step",
    "motiv_int",
    "mts_step",
    "mts_int",
    "tele2_step",
    "tele2",
    "ua_reg",
    "ua_int",
)
_OPERATOR_CODES = frozenset({0, 1, 2, 3, 4, 5, 8})
_DETAILS = ("fio", "inn", "site", "email", "address", "desc", "subj", "mail", "name", "cmt")
_COMMANDS = ("get", "add", "chg", "send_code", "check_code", "del")
_ALPHA = re.compile(r"[A-Za-z0-9 .\-_!&'\"?,:;()+@#]{1,11}")
_DIGITAL = re.compile(r"\+?(\d{10,15})")
_MAX_CNT = 1000
_NOT_FOUND = "no records found"
# senders_answer's texts (smsc-api.md §13).
_BAD_NUMBER = "Invalid number format."
_CODE_ALREADY_SENT = (
    "The code has already been sent to the specified number. Retry is possible after 8 hours."
)
_INVALID_CODE = "Invalid confirmation code."
CODE_RETRY_SECONDS = 8 * 3600.0
"""How long after a code SMS another one to the same number is refused (error 10)."""


@dataclass(slots=True)
class SenderRecord:
    """One sender name the emulator keeps.

    Attributes:
        id: The id assigned at ``add``.
        sender: The name as added.
        owner: ``""`` for the account's own names, else the subclient login (``user=``).
        status: Moderation status: 0 waiting, 1 allowed, 2 disabled.
        operators: Operator status per operator field name (``"mts_step"`` -> 2).
        replacement: The analog name reported with ``operators=1``, if any.
        details: Organisation data and comment as last sent (``fio``, ``inn``, ``cmt``, ...).
        code: The confirmation code last sent by ``send_code``, until confirmed.
        confirmed: Whether ``check_code`` confirmed the digital name.
        changed_at: Unix time of the last status change (for ``from_date``).
    """

    id: int
    sender: str
    owner: str
    status: int = 0
    operators: dict[str, int] = field(default_factory=dict)
    replacement: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    code: str | None = None
    confirmed: bool = False
    changed_at: float = 0.0


@dataclass(slots=True)
class SendersState:
    """The sender names of one account, by id, and when each number last got a code.

    Attributes:
        names: The names, by id.
        codes_sent: Loop time of the last code SMS, by number (digits only).
    """

    names: dict[int, SenderRecord] = field(default_factory=dict)
    codes_sent: dict[str, float] = field(default_factory=dict)

    def find(self, owner: str, sender: str) -> SenderRecord | None:
        """Return the name of ``owner`` spelled ``sender`` (case-insensitive), if any."""
        folded = sender.strip().casefold()
        for record in self.names.values():
            if record.owner == owner and record.sender.casefold() == folded:
                return record
        return None


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # a control called outside a loop: the clock's anchor is all there is
        return 0.0


def _digital(sender: str) -> str | None:
    match = _DIGITAL.fullmatch(sender.strip())
    return match.group(1) if match else None


class SendersControls(Controls):
    """Test controls of senders.php: play the moderator and the operators."""

    def sender_names(self, login: str | None = None) -> list[SenderRecord]:
        """Return every sender name of an account (subclients' included), oldest first."""
        state = self._store.book(self._state(login).account.login, SendersState)
        return sorted(state.names.values(), key=lambda record: record.id)

    def _sender(self, sender: str | int, login: str | None, user: str | None) -> SenderRecord:
        state = self._store.book(self._state(login).account.login, SendersState)
        found = (
            state.names.get(sender) if isinstance(sender, int) else state.find(user or "", sender)
        )
        if found is None:
            raise KeyError(f"no sender name {sender!r}")
        return found

    def moderate_sender(
        self,
        sender: str | int,
        status: int = 1,
        *,
        operators: Mapping[str, int] | None = None,
        replacement: str | None = None,
        login: str | None = None,
        user: str | None = None,
    ) -> SenderRecord:
        """Set a name's moderation status and, optionally, operator statuses.

        Args:
            sender: The name (as added) or its id.
            status: 0 waiting, 1 allowed (approve), 2 disabled.
            operators: Operator field name (``"mts_step"``, ``"mega_int"``, ...) -> status
                code (0, 1, 2, 3, 4, 5 or 8); merged into the name's statuses.
            replacement: The analog name to report with ``operators=1``.
            login: The account (default: the first).
            user: The subclient owning the name, when looked up by name.

        Returns:
            The updated record.

        Raises:
            KeyError: No such name.
            ValueError: An unknown status, operator or operator code.
        """
        if status not in (0, 1, 2):
            raise ValueError(f"status must be 0, 1 or 2, got {status!r}")
        record = self._sender(sender, login, user)
        for name, code in (operators or {}).items():
            if name not in _STATUS_FIELDS:
                raise ValueError(f"unknown operator {name!r}; known: {', '.join(_STATUS_FIELDS)}")
            if code not in _OPERATOR_CODES:
                raise ValueError(f"operator status must be one of 0-5, 8; got {code!r}")
        record.status = status
        record.operators.update(operators or {})
        if replacement is not None:
            record.replacement = replacement
        record.changed_at = self._store.unix(_loop_time())
        return record

    def sender_code(
        self, sender: str | int, login: str | None = None, user: str | None = None
    ) -> str | None:
        """Return the confirmation code last sent to a digital name (``None`` if none)."""
        return self._sender(sender, login, user).code


def handle_senders(store: Store, call: Call) -> str:
    """Answer senders.php: ``get``, ``add``, ``chg``, ``send_code``, ``check_code``, ``del``."""
    command = pick_command(call.params, _COMMANDS)
    state = store.book(call.account.account.login, SendersState)
    owner = call.params.get("user", "").strip()
    now = store.unix(call.now)
    if command == "get":
        return _list(state, owner, call)
    if command == "add":
        return _add(store, state, owner, call, now)
    if command == "send_code":
        given = call.params.get("sender", "").strip()
        if given and _digital(given) is None:
            raise ApiFailure(7, _BAD_NUMBER)
    record = _target(state, owner, call.params)
    if command == "chg":
        _update(record, call.params)
    elif command == "send_code":
        _send_code(store, state, record, call.now)
    elif command == "check_code":
        code = call.params.get("code", "").strip()
        if not code:
            raise ApiFailure(1, "parameters error")
        if record.code is None or code != record.code:
            raise ApiFailure(11, _INVALID_CODE)
        record.code, record.confirmed, record.status, record.changed_at = None, True, 1, now
    else:
        del state.names[record.id]
    return render_ok(call.fmt)


def _send_code(store: Store, state: SendersState, record: SenderRecord, at: float) -> None:
    number = _digital(record.sender)
    if number is None:  # found by id: an alphanumeric name
        raise ApiFailure(7, _BAD_NUMBER)
    last = state.codes_sent.get(number)
    if last is not None and at < last + CODE_RETRY_SECONDS:
        raise ApiFailure(10, _CODE_ALREADY_SENT)
    state.codes_sent[number] = at
    record.code = f"{store.rng.randrange(1_000_000):06d}"


def _target(state: SendersState, owner: str, params: dict[str, str]) -> SenderRecord:
    raw_id = params.get("id", "").strip()
    if raw_id:
        found = state.names.get(int(raw_id)) if raw_id.isdigit() else None
        if found is None or found.owner != owner:
            raise ApiFailure(3, _NOT_FOUND)
        return found
    sender = params.get("sender", "").strip()
    if not sender:
        raise ApiFailure(1, "parameters error")
    found = state.find(owner, sender)
    if found is None:
        raise ApiFailure(3, _NOT_FOUND)
    return found


def _update(record: SenderRecord, params: dict[str, str]) -> None:
    for name in _DETAILS:
        if name in params:
            record.details[name] = params[name]
    for flag in OPERATOR_FLAGS:
        if is_set(params, flag):
            record.operators.setdefault(flag, 0)


def _add(store: Store, state: SendersState, owner: str, call: Call, now: float) -> str:
    sender = call.params.get("sender", "").strip()
    if not sender or not (_ALPHA.fullmatch(sender) or _digital(sender)):
        raise ApiFailure(1, "parameters error")
    if state.find(owner, sender) is not None:
        raise ApiFailure(5, "sender name already exists")
    record = SenderRecord(id=store.new_id(), sender=sender, owner=owner, changed_at=now)
    _update(record, call.params)
    state.names[record.id] = record
    return render_id(call.fmt, record.id)


def _list(state: SendersState, owner: str, call: Call) -> str:
    params = call.params
    count = parse_int(params.get("cnt"), _MAX_CNT, lo=1, hi=_MAX_CNT)
    before = parse_int(params.get("prev_id"), 0, lo=0, hi=2**63 - 1)
    since = _from_date(params.get("from_date"))
    names = sorted(
        (
            record
            for record in state.names.values()
            if record.owner == owner
            and (is_set(params, "all") or record.status == 1)
            and (not before or record.id < before)
            and (since is None or record.changed_at >= since)
        ),
        key=lambda record: record.id,
        reverse=True,
    )[:count]
    if not names:
        raise ApiFailure(3, _NOT_FOUND)
    operators = is_set(params, "operators")
    rows: list[dict[str, object]] = []
    for record in names:
        row: dict[str, object] = {"id": record.id, "sender": record.sender}
        row["status"] = record.status
        if operators:
            for name in _STATUS_FIELDS:
                if name in record.operators:
                    row[f"{name}_status"] = record.operators[name]
            # SMSC adds the analog with operators=1 in fmt 0, 2 and 3 only.
            if record.replacement is not None and call.fmt != FMT_CSV:
                row["replacement"] = record.replacement
        rows.append(row)
    return render_records(call.fmt, rows, item="sender")


def _from_date(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%d.%m.%Y").replace(tzinfo=MOSCOW)
    except ValueError:
        raise ApiFailure(1, "parameters error") from None
    return day.timestamp()
