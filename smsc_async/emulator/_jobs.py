"""jobs.php: mass mailings.

Commands (smsc-api.md §16): ``add=1`` (name, phones, mes and any send.php parameter),
``get=1&id=``, ``get_all=1`` (optional ``start``/``end`` dates), ``cancel=1&id=`` and
``del=1&id=``. Answers follow SMSC's jobs_answer page where it speaks:

- ``add``: ``OK, ID - <id>`` (fmt=0), ``<id>`` (fmt=1), ``<result><id>…</id></result>``
  (fmt=2), ``{"id": <id>}`` (fmt=3); with ``cost=1`` the price follows:
  ``OK, ID - <id>, COST - <cost>``, ``<id>,<cost>``, ``<cost>`` in the XML,
  ``{"id": <id>, "cost": "<cost>"}``;
- ``cancel``/``del``: ``OK`` (``{"result": "OK"}`` at fmt=3).

Where the page is silent (the shapes of ``get``/``get_all``) the emulator answers the most
plausible ones: ``get`` one record ``{"id", "name", "status", "cnt", "mes", "sender", "subj",
"type", "add_date", "send_date"}`` plus ``"rpt"``/``"rptn"`` when the mailing repeats;
``get_all`` a list of such records, oldest first (an empty list when nothing matches).

Mailing statuses (unconfirmed codes): 0 waiting for its start time, 1 running for
:data:`RUN_SECONDS` (plus ``period`` when given), 2 done, 3 cancelled. Statuses move with the
event loop's clock, so tests on virtual time see them change.

Errors: only the page's codes 1, 2, 3, 4, 5 and 9 (2, 4 and 9 come from the common layers).
1 bad or missing parameters; 3 "error saving a record" when ``add`` cannot create the mailing
(no money, no valid recipient, a forbidden word); 5 "operation error" for an unreadable
``time`` (``add``) or ``start``/``end`` (``get_all``), an unknown id (``get``/``cancel``/
``del``) and cancelling a mailing that is no longer waiting. Nothing is charged: the price is
only checked against the balance (and reported with ``cost=1``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ._controls import Controls
from ._params import (
    MOSCOW,
    is_set,
    moscow_date,
    normalize_recipient,
    parse_int,
    parse_send_time,
    pick_command,
    split_list,
)
from ._render import (
    FMT_CSV,
    FMT_JSON,
    FMT_XML,
    error_text,
    money,
    render_ok,
    render_record,
    render_records,
    to_json,
)
from ._send import MESSAGE_TYPES, sms_parts
from ._store import Call, Store
from ._types import ApiFailure

__all__ = [
    "CANCELLED",
    "DONE",
    "RUNNING",
    "RUN_SECONDS",
    "WAITING",
    "JobsControls",
    "JobsState",
    "Mailing",
    "handle_jobs",
]

WAITING, RUNNING, DONE, CANCELLED = 0, 1, 2, 3
"""The emulator's mailing status codes (SMSC's own are not documented)."""

RUN_SECONDS = 60.0
"""How long a mailing runs before it is done (``period`` hours are added when given)."""

_COMMANDS = ("add", "get", "get_all", "cancel", "del")
# Kind flags a mailing may carry (the send.php ones except Telegram and WhatsApp, which are not
# in the mailing parameter list); the first flag set wins, as in send.php.
_KIND_FLAGS = ("hlr", "ping", "call", "mail", "mms", "viber", "soc", "push", "bin", "flash")
_NO_TEXT_KINDS = frozenset({"hlr", "ping"})
_PHONE = re.compile(r"\+?\d{10,15}")
_GROUP = re.compile(r"[Gg]\d+")
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_PHONE_JUNK = str.maketrans("", "", " -()")
_DATE = "%d.%m.%Y"
_NOT_KEPT = frozenset({"psw", "apikey"})
# The descriptions of jobs_answer's own meanings of 3 and 5 (not send.php's).
_NOT_SAVED = "error saving a record"
_FAILED = "operation error"


@dataclass(slots=True, eq=False)
class Mailing:
    """One mailing the emulator holds (created by ``jobs.php?add=1``).

    Attributes:
        id: The mailing id (from the store's id sequence).
        name: ``name``.
        phones: The valid recipients, normalised (``G<n>`` group references kept as sent).
        text: ``mes`` (``""`` for HLR/ping or when a template gives the text).
        kind: One of ``sms flash bin push hlr ping mms mail call viber soc``.
        sender: ``sender`` (``""`` when absent).
        subject: ``subj`` (``""`` when absent).
        created_at: Event loop time of the ``add``.
        start_at: Event loop time it starts (``time``), at least ``created_at``.
        run_seconds: How long it runs once started.
        repeat: ``rpt`` (0..7), ``None`` when absent.
        max_repeats: ``rptn``, ``None`` when absent.
        template_id: ``tpl``, ``None`` when absent.
        params: Every parameter of the ``add`` except ``psw`` and ``apikey``.
        cancelled: Set by ``cancel``.
        forced_status: A status set by :meth:`JobsControls.set_job_status`; wins over the clock.
    """

    id: int
    name: str
    phones: tuple[str, ...]
    text: str
    kind: str
    sender: str
    subject: str
    created_at: float
    start_at: float
    run_seconds: float
    repeat: int | None = None
    max_repeats: int | None = None
    template_id: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    forced_status: int | None = None

    def status_at(self, loop_now: float) -> int:
        """Return the status at an event loop time."""
        if self.forced_status is not None:
            return self.forced_status
        if self.cancelled:
            return CANCELLED
        if loop_now < self.start_at:
            return WAITING
        if loop_now < self.start_at + self.run_seconds:
            return RUNNING
        return DONE


@dataclass(slots=True)
class JobsState:
    """The mailings of one account, by id."""

    mailings: dict[int, Mailing] = field(default_factory=dict)


class JobsControls(Controls):
    """Inspect and steer mailings (jobs.php)."""

    def _mailings(self, login: str | None) -> JobsState:
        return self._store.book(self._state(login).account.login, JobsState)

    def jobs(self, login: str | None = None) -> list[Mailing]:
        """Return the mailings of an account (default: the first), oldest first."""
        return sorted(self._mailings(login).mailings.values(), key=lambda m: m.id)

    def job_status(self, id: int, login: str | None = None) -> int:
        """Return a mailing's status now, on the running event loop's clock.

        Raises:
            KeyError: no such mailing.
            RuntimeError: called outside a running event loop.
        """
        return self._mailing(id, login).status_at(asyncio.get_running_loop().time())

    def set_job_status(self, id: int, status: int | None, login: str | None = None) -> None:
        """Pin a mailing's status (``None`` lets the clock drive it again).

        Raises:
            KeyError: no such mailing.
        """
        self._mailing(id, login).forced_status = status

    def _mailing(self, id: int, login: str | None) -> Mailing:
        try:
            return self._mailings(login).mailings[id]
        except KeyError:
            raise KeyError(f"the emulator has no mailing {id!r}") from None


def handle_jobs(store: Store, call: Call) -> str:
    """Answer jobs.php: add, get, get_all, cancel, del.

    Raises:
        ApiFailure: see the module docstring for the codes.
    """
    command = pick_command(call.params, _COMMANDS)
    state = store.book(call.account.account.login, JobsState)
    if command == "add":
        with_cost = _with_cost(call.params)
        mailing, price = _add(store, call)
        state.mailings[mailing.id] = mailing
        return _render_added(call.fmt, mailing.id, price if with_cost else None)
    if command == "get_all":
        return _get_all(store, call, state)
    mailing = _find(state, call.params)
    if command == "get":
        return render_record(call.fmt, _row(store, mailing, call.now), item="job")
    if command == "cancel":
        if mailing.status_at(call.now) != WAITING:
            raise ApiFailure(5, _FAILED)
        mailing.cancelled, mailing.forced_status = True, None
        return render_ok(call.fmt)
    del state.mailings[mailing.id]
    return render_ok(call.fmt)


def _with_cost(params: dict[str, str]) -> bool:
    # The page documents cost=0 and cost=1 only. Any other value (e.g. send.php's 2 or 3) is a
    # parameter error here, so a client that sends send.php's cost codes to jobs.php is caught.
    value = params.get("cost", "").strip()
    if value not in ("", "0", "1"):
        raise ApiFailure(1, error_text(1))
    return value == "1"


def _render_added(fmt: int, job_id: int, price: Decimal | None) -> str:
    cost = None if price is None else money(price)
    if fmt == FMT_JSON:
        return to_json({"id": job_id} if cost is None else {"id": job_id, "cost": cost})
    if fmt == FMT_XML:
        inner = f"<id>{job_id}</id>" + ("" if cost is None else f"<cost>{cost}</cost>")
        return f"<?xml version='1.0'?><result>{inner}</result>"
    if fmt == FMT_CSV:
        return f"{job_id}" if cost is None else f"{job_id},{cost}"
    return f"OK, ID - {job_id}" if cost is None else f"OK, ID - {job_id}, COST - {cost}"


def _kind(params: dict[str, str]) -> str:
    for flag in _KIND_FLAGS:
        if is_set(params, flag):
            return flag
    return "sms"


def _recipients(raw: str, kind: str) -> tuple[str, ...]:
    valid: list[str] = []
    for entry in split_list(raw):
        if _GROUP.fullmatch(entry):
            ok = True
        elif kind == "mail":
            ok = _EMAIL.fullmatch(entry) is not None
        else:
            ok = _PHONE.fullmatch(entry.translate(_PHONE_JUNK)) is not None
        recipient = normalize_recipient(entry)
        if ok and recipient not in valid:
            valid.append(recipient)
    if not valid:
        # The page has no "invalid phone" code (send.php's 7): a mailing without one valid
        # recipient cannot be saved, so 3 "error saving a record".
        raise ApiFailure(3, _NOT_SAVED)
    return tuple(valid)


def _add(store: Store, call: Call) -> tuple[Mailing, Decimal]:
    params = call.params
    name = params.get("name", "").strip()
    kind = _kind(params)
    text = params.get("mes", "")
    subject = params.get("subj", "").strip()
    sender = params.get("sender", "").strip()
    template = parse_int(params.get("tpl"), 0, lo=0, hi=2_147_483_647) or None
    # Only HLR/ping carry no text; a template gives the text, an MMS may have just a subject.
    has_text = bool(text) or template is not None or kind in _NO_TEXT_KINDS
    has_text = has_text or (kind == "mms" and bool(subject))
    if not name or not params.get("phones", "").strip() or not has_text or len(text) > 1000:
        raise ApiFailure(1, error_text(1))
    if kind == "mail" and not (subject and sender):
        raise ApiFailure(1, error_text(1))
    repeat = parse_int(params.get("rpt"), -1, lo=0, hi=7)
    max_repeats = parse_int(params.get("rptn"), 0, lo=1, hi=1_000_000)
    tz = parse_int(params.get("tz"), 0, lo=-24, hi=24)
    period_hours = _period(params.get("period"))
    phones = _recipients(params["phones"], kind)
    if store.forbidden_word_in(text):
        # No "message forbidden" code (send.php's 6) on the page: the mailing is not saved.
        raise ApiFailure(3, _NOT_SAVED)
    now_unix = store.unix(call.now)
    start_unix = _start_time(params.get("time"), tz, now_unix)
    # The estimate SMSC would check before accepting: every recipient gets every part.
    translit = parse_int(params.get("translit"), 0, lo=0, hi=2)
    parts = sms_parts(text, translit) if kind in ("sms", "flash") and text else 1
    price = call.account.account.price_per_part * parts * len(phones)
    if call.account.balance + call.account.account.credit < price:
        # Not send.php's "no money": jobs_answer's 3 is "error saving a record", and a mailing
        # SMSC cannot pay for is not saved.
        raise ApiFailure(3, _NOT_SAVED)
    mailing = Mailing(
        id=store.new_id(),
        name=name,
        phones=phones,
        text=text,
        kind=kind,
        sender=sender,
        subject=subject,
        created_at=call.now,
        start_at=call.now if start_unix is None else call.now + (start_unix - now_unix),
        run_seconds=RUN_SECONDS + period_hours * 3600,
        repeat=None if repeat < 0 else repeat,
        max_repeats=max_repeats or None,
        template_id=template,
        params={k: v for k, v in params.items() if k not in _NOT_KEPT},
    )
    return mailing, price


def _start_time(value: str | None, tz: int, now_unix: float) -> float | None:
    try:
        return parse_send_time(value, tz, now_unix)
    except ApiFailure as exc:
        # send.php's 5 is "invalid date format"; jobs_answer's 5 is "operation error".
        raise ApiFailure(5, _FAILED) from exc


def _period(value: str | None) -> float:
    if value is None or not value.strip():
        return 0.0
    try:
        hours = float(value)
    except ValueError:
        raise ApiFailure(1, error_text(1)) from None
    if not 0.1 <= hours <= 720:
        raise ApiFailure(1, error_text(1))
    return hours


def _find(state: JobsState, params: dict[str, str]) -> Mailing:
    raw = params.get("id", "").strip()
    if not raw.isdigit():
        raise ApiFailure(1, error_text(1))
    mailing = state.mailings.get(int(raw))
    if mailing is None:
        # The page has no "not found" code, and 3 ("error saving a record") does not fit a
        # lookup: an unknown id is an operation that failed, 5.
        raise ApiFailure(5, _FAILED)
    return mailing


def _row(store: Store, mailing: Mailing, loop_now: float) -> dict[str, object]:
    row: dict[str, object] = {
        "id": mailing.id,
        "name": mailing.name,
        "status": mailing.status_at(loop_now),
        "cnt": len(mailing.phones),
        "mes": mailing.text,
        "sender": mailing.sender,
        "subj": mailing.subject,
        "type": MESSAGE_TYPES[mailing.kind],
        "add_date": moscow_date(store.unix(mailing.created_at)),
        "send_date": moscow_date(store.unix(mailing.start_at)),
    }
    if mailing.repeat is not None:
        row["rpt"] = mailing.repeat
    if mailing.max_repeats is not None:
        row["rptn"] = mailing.max_repeats
    return row


def _day(value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), _DATE).replace(tzinfo=MOSCOW)
    except ValueError:
        raise ApiFailure(5, _FAILED) from None


def _get_all(store: Store, call: Call, state: JobsState) -> str:
    first, last = _day(call.params.get("start")), _day(call.params.get("end"))
    rows = []
    for mailing in sorted(state.mailings.values(), key=lambda m: m.id):
        created = datetime.fromtimestamp(store.unix(mailing.created_at), MOSCOW)
        day = created.replace(hour=0, minute=0, second=0, microsecond=0)
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        rows.append(_row(store, mailing, call.now))
    # No mailings is an empty list, not an error: the page's 3 means "error saving a record",
    # not phones.php's "no records found", and no other documented code fits.
    return render_records(call.fmt, rows, item="job")
