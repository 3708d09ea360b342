"""users.php (subclients) and documents.php (invoices and acts).

SMSC's answers and error table for both scripts are not captured; what the emulator does
(its own choices, each plausible rather than confirmed):

- A subclient is a real emulator account: it can log in with its login and password, send
  (charged from its own balance, at the main account's price) and be listed in statistics.
  Its ``type`` is stored but every type keeps its own balance here.
- ``add`` answers the new subclient's id (``{"id": N}``); a login any account already has is
  error 5; a missing or malformed login or password, or a setting out of range, is error 1.
- ``chg`` of an unknown subclient is error 3; a wrong ``pswc`` is error 1; ``new_login`` moves
  the account (its messages follow; status lookups of messages sent before the rename and the
  subclient's own lists of other scripts stay under the old login). Answers ``OK``.
- ``pay`` moves ``sum`` from the main balance to the subclient's (a negative sum moves it
  back); not enough money on the paying side is error 3 ("no money"), a zero sum error 1.
- ``get_stat`` answers one row per matching subclient, also with no messages (``login``,
  ``cnt``, ``credit`` = money spent, ``debit`` = money received, ``currency``);
  ``reseller=1`` keeps types 0 and 1 (own balance); no subclient is error 3.
  ``get_stat_all`` answers one row per subclient, day (Moscow) and operator with messages.
- documents.php ``get_account``/``get_act`` answer a small PDF file (ASCII text starting with
  ``%PDF-1.4``, sent as ``application/pdf``).
  Acts are issued by :meth:`UsersControls.issue_act`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from ._controls import Controls
from ._params import MOSCOW, is_set, parse_int, pick_command
from ._render import money, render_id, render_ok, render_records
from ._send import operator_of
from ._store import AccountState, Call, Store
from ._types import Account, ApiFailure, FileAnswer

__all__ = [
    "DocumentRecord",
    "Payment",
    "SubclientRecord",
    "UsersControls",
    "UsersState",
    "handle_documents",
    "handle_users",
    "pdf_document",
]

_LOGIN = re.compile(r"[A-Za-z0-9_.@-]{1,50}")
_FLAG = re.compile(r"(?:fl|fl2|fl3|mfl)\[\d{1,3}\]")
_NOT_SETTINGS = frozenset(
    {"login", "psw", "apikey", "fmt", "charset", "add", "chg", "user", "password", "pswc"}
    | {"new_login"}
)
# Settings with a documented range: field -> (lowest, highest).
_RANGES = {"type": (0, 4), "curr": (1, 5), "tz": (0, 24), "tariff": (0, 8)}
_COUNTS = frozenset({"ktm", "dlim", "plim", "tlim", "ilim", "vld", "mlen", "mh1", "mh2"})
_OWN_BALANCE_TYPES = frozenset({0, 1})
_NOT_FOUND = "no records found"
_BAD = "parameters error"


@dataclass(slots=True)
class SubclientRecord:
    """One subclient of a main account.

    Attributes:
        id: The id answered by ``add`` (``user_id`` elsewhere).
        login: Its login (an emulator account of its own).
        settings: Every setting as last sent (``type``, ``email``, ``fl[29]``, ...).
        created_at: Unix time of ``add``.
        deleted: Marked deleted (:meth:`UsersControls.mark_subclient_deleted`).
    """

    id: int
    login: str
    settings: dict[str, str]
    created_at: float
    deleted: bool = False

    @property
    def type(self) -> int:
        """The subclient type (``type``, 0 when not set)."""
        return int(self.settings.get("type", "0"))


@dataclass(slots=True)
class Payment:
    """One ``pay`` between the main account and a subclient (negative: money moved back)."""

    login: str
    amount: Decimal
    at: float


@dataclass(slots=True)
class DocumentRecord:
    """An invoice (``add_account``) or an act (:meth:`UsersControls.issue_act`).

    Attributes:
        id: The document id.
        kind: ``"invoice"`` or ``"act"``.
        login: The subclient it is for.
        amount: The sum.
        service: The service named on it.
        number: The document number (``num`` of acts).
        created_at: Unix time of creation.
    """

    id: int
    kind: str
    login: str
    amount: Decimal
    service: str
    number: str
    created_at: float


@dataclass(slots=True)
class UsersState:
    """The subclients, payments and documents of one main account."""

    subclients: dict[str, SubclientRecord] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)
    documents: dict[int, DocumentRecord] = field(default_factory=dict)

    def by_id(self, user_id: int) -> SubclientRecord | None:
        """Return the subclient with this id, if any."""
        return next((s for s in self.subclients.values() if s.id == user_id), None)


class UsersControls(Controls):
    """Test controls and inspection of users.php and documents.php."""

    def _users(self, login: str | None) -> UsersState:
        return self._store.book(self._state(login).account.login, UsersState)

    def subclients(self, login: str | None = None) -> list[SubclientRecord]:
        """Return the subclients of an account (default: the first), oldest first."""
        return sorted(self._users(login).subclients.values(), key=lambda s: s.id)

    def subclient(self, subclient: str, login: str | None = None) -> SubclientRecord:
        """Return one subclient by login.

        Raises:
            KeyError: The account has no such subclient.
        """
        try:
            return self._users(login).subclients[subclient]
        except KeyError:
            raise KeyError(f"no subclient {subclient!r}") from None

    def mark_subclient_deleted(self, subclient: str, login: str | None = None) -> None:
        """Mark a subclient deleted (as if deleted in the cabinet): ``hide_deleted`` hides it."""
        self.subclient(subclient, login).deleted = True

    def payments(self, login: str | None = None) -> list[Payment]:
        """Return the ``pay`` transfers of an account, in order."""
        return list(self._users(login).payments)

    def documents(self, login: str | None = None) -> list[DocumentRecord]:
        """Return the invoices and acts of an account, oldest first."""
        return sorted(self._users(login).documents.values(), key=lambda d: d.id)

    def issue_act(
        self,
        subclient: str,
        amount: Decimal | int | str,
        *,
        number: str | None = None,
        service: str = "SMS",
        login: str | None = None,
    ) -> DocumentRecord:
        """Issue an act for a subclient, so that ``get_act`` can download it.

        Args:
            subclient: The subclient's login.
            amount: The sum of the act.
            number: The act number (``num``); default ``"A-<id>"``.
            service: The service named on it.
            login: The main account (default: the first).

        Raises:
            KeyError: The account has no such subclient.
        """
        self.subclient(subclient, login)
        act_id = self._store.new_id()
        record = DocumentRecord(
            id=act_id,
            kind="act",
            login=subclient,
            amount=Decimal(str(amount)),
            service=service,
            number=number if number is not None else f"A-{act_id}",
            created_at=self._store.unix(_loop_time()),
        )
        self._users(login).documents[act_id] = record
        return record


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # a control called outside a loop: the clock's anchor is all there is
        return 0.0


# --- users.php -------------------------------------------------------------------------------


def handle_users(store: Store, call: Call) -> str:
    """Answer users.php: ``add``, ``chg``, ``pay``, ``get_stat``, ``get_stat_all``."""
    command = pick_command(call.params, ("add", "chg", "pay", "get_stat", "get_stat_all"))
    users = store.book(call.account.account.login, UsersState)
    if command == "add":
        return _add(store, users, call)
    if command == "get_stat":
        return _stats(store, users, call)
    if command == "get_stat_all":
        return _stats_all(store, users, call)
    record = users.subclients.get(call.params.get("user", "").strip())
    if record is None:
        raise ApiFailure(3, _NOT_FOUND)
    if command == "chg":
        _change(store, users, record, call.params)
    else:
        _pay(store, users, record, call)
    return render_ok(call.fmt)


def _settings(params: dict[str, str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for name, value in params.items():
        if name in _NOT_SETTINGS:
            continue
        if name in _RANGES:
            lo, hi = _RANGES[name]
            parse_int(value, lo, lo=lo, hi=hi)
        elif name in _COUNTS:
            parse_int(value, 0, lo=0, hi=10_000_000)
        elif name.startswith(("fl", "mfl")) and not _FLAG.fullmatch(name):
            raise ApiFailure(1, _BAD)
        settings[name] = value.strip()
    return settings


def _add(store: Store, users: UsersState, call: Call) -> str:
    login = call.params.get("user", "").strip()
    password = call.params.get("password", "")
    if not _LOGIN.fullmatch(login) or not password.strip():
        raise ApiFailure(1, _BAD)
    settings = _settings(call.params)
    if login in store.accounts:
        raise ApiFailure(5, "login already exists")
    main = call.account.account
    account = Account(
        login=login,
        password=password,
        apikey=None,
        balance=Decimal("0"),
        currency=main.currency,
        price_per_part=main.price_per_part,
    )
    store.accounts[login] = AccountState(account, account.balance, _md5(password))
    store.messages.setdefault(login, [])
    store.sends_accepted.setdefault(login, 0)
    record = SubclientRecord(store.new_id(), login, settings, store.unix(call.now))
    users.subclients[login] = record
    return render_id(call.fmt, record.id)


def _md5(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # noqa: S324 - SMSC's own scheme


def _change(
    store: Store, users: UsersState, record: SubclientRecord, params: dict[str, str]
) -> None:
    account = store.accounts[record.login]
    if "pswc" in params and params["pswc"] != account.account.password:
        raise ApiFailure(1, _BAD)
    new_login = params.get("new_login", "").strip()
    if new_login and new_login != record.login:
        if not _LOGIN.fullmatch(new_login):
            raise ApiFailure(1, _BAD)
        if new_login in store.accounts:
            raise ApiFailure(5, "login already exists")
    record.settings.update(_settings(params))
    password = params.get("password", "")
    if password.strip():
        account.account = dataclasses.replace(account.account, password=password)
        account.psw_md5 = _md5(password)
    if new_login and new_login != record.login:
        _rename(store, users, record, new_login)


def _rename(store: Store, users: UsersState, record: SubclientRecord, new: str) -> None:
    old = record.login
    account = store.accounts.pop(old)
    account.account = dataclasses.replace(account.account, login=new)
    store.accounts[new] = account
    store.messages[new] = store.messages.pop(old, [])
    for message in store.messages[new]:
        message.login = new
    store.sends_accepted[new] = store.sends_accepted.pop(old, 0)
    store.rename_login(old, new)
    record.login = new
    users.subclients[new] = users.subclients.pop(old)
    for payment in users.payments:
        if payment.login == old:
            payment.login = new
    for document in users.documents.values():
        if document.login == old:
            document.login = new


def _amount(value: str | None, *, positive: bool) -> Decimal:
    try:
        amount = Decimal((value or "").strip())
    except InvalidOperation:
        raise ApiFailure(1, _BAD) from None
    if not amount.is_finite() or amount == 0 or (positive and amount < 0):
        raise ApiFailure(1, _BAD)
    return amount


def _pay(store: Store, users: UsersState, record: SubclientRecord, call: Call) -> None:
    amount = _amount(call.params.get("sum"), positive=False)
    main, sub = call.account, store.accounts[record.login]
    payer, payee = (main, sub) if amount > 0 else (sub, main)
    if payer.balance < abs(amount):
        raise ApiFailure(3, "no money")
    payer.balance -= abs(amount)
    payee.balance += abs(amount)
    users.payments.append(Payment(record.login, amount, store.unix(call.now)))


def _day_start(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%d.%m.%Y").replace(tzinfo=MOSCOW)
    except ValueError:
        raise ApiFailure(1, _BAD) from None
    return day.timestamp()


def _period(params: dict[str, str]) -> tuple[float, float]:
    start = _day_start(params.get("start"))
    end = _day_start(params.get("end"))
    return (
        start if start is not None else float("-inf"),
        end + timedelta(days=1).total_seconds() if end is not None else float("inf"),
    )


def _selected(users: UsersState, params: dict[str, str]) -> list[SubclientRecord]:
    chosen = sorted(users.subclients.values(), key=lambda s: s.id)
    if user := params.get("user", "").strip():
        chosen = [s for s in chosen if s.login == user]
    elif params.get("user_id", "").strip():
        user_id = parse_int(params.get("user_id"), 0, lo=0, hi=2**63 - 1)
        chosen = [s for s in chosen if s.id == user_id]
    elif is_set(params, "reseller"):
        chosen = [s for s in chosen if s.type in _OWN_BALANCE_TYPES]
    if is_set(params, "hide_deleted"):
        chosen = [s for s in chosen if not s.deleted]
    return chosen


def _stats(store: Store, users: UsersState, call: Call) -> str:
    first, last = _period(call.params)
    currency = call.account.account.currency
    rows: list[dict[str, object]] = []
    for sub in _selected(users, call.params):
        sent = [
            m
            for m in store.messages.get(sub.login, ())
            if first <= store.unix(m.accepted_at) < last
        ]
        moved = [p.amount for p in users.payments if p.login == sub.login and first <= p.at < last]
        spent = sum((m.cost for m in sent), Decimal(0)) - sum(
            (a for a in moved if a < 0), Decimal(0)
        )
        received = sum((a for a in moved if a > 0), Decimal(0))
        rows.append(
            {
                "login": sub.login,
                "cnt": len(sent),
                "credit": money(spent),
                "debit": money(received),
                "currency": currency,
            }
        )
    if not rows:
        raise ApiFailure(3, _NOT_FOUND)
    return render_records(call.fmt, rows, item="user")


def _stats_all(store: Store, users: UsersState, call: Call) -> str:
    first, last = _period(call.params)
    currency = call.account.account.currency
    groups: dict[tuple[str, str, str, str], list[Decimal]] = defaultdict(list)
    for sub in _selected(users, call.params):
        for message in store.messages.get(sub.login, ()):
            at = store.unix(message.accepted_at)
            if first <= at < last:
                day = datetime.fromtimestamp(at, MOSCOW).strftime("%d.%m.%Y")
                country, operator = operator_of(message.phone)[:2]
                groups[(sub.login, day, country, operator)].append(message.cost)
    if not groups:
        raise ApiFailure(3, _NOT_FOUND)
    rows: list[dict[str, object]] = [
        {
            "login": login,
            "date": day,
            "country": country,
            "operator": operator,
            "cnt": len(costs),
            "credit": money(sum(costs, Decimal(0))),
            "currency": currency,
        }
        for (login, day, country, operator), costs in groups.items()
    ]
    return render_records(call.fmt, rows, item="stat")


# --- documents.php ---------------------------------------------------------------------------


def handle_documents(store: Store, call: Call) -> str | FileAnswer:
    """Answer documents.php: ``add_account``, ``get_account``, ``get_act``."""
    command = pick_command(call.params, ("add_account", "get_account", "get_act"))
    users = store.book(call.account.account.login, UsersState)
    params = call.params
    if command == "add_account":
        sub = _document_owner(users, params)
        if sub is None:
            raise ApiFailure(1, _BAD)
        service = params.get("service", "").strip()
        amount = _amount(params.get("sum"), positive=True)
        if not service:
            raise ApiFailure(1, _BAD)
        invoice_id = store.new_id()
        users.documents[invoice_id] = DocumentRecord(
            invoice_id, "invoice", sub.login, amount, service, str(invoice_id), store.unix(call.now)
        )
        return render_id(call.fmt, invoice_id)
    kind = "invoice" if command == "get_account" else "act"
    found = _document(users, params, kind)
    title = "Invoice" if kind == "invoice" else "Act"
    document = pdf_document(
        f"{title} No {found.number}",
        [
            f"Client: {found.login}",
            f"Service: {found.service}",
            f"Amount: {money(found.amount)}",
            f"Date: {datetime.fromtimestamp(found.created_at, MOSCOW):%d.%m.%Y}",
        ],
    )
    return FileAnswer(document.encode("ascii"), "application/pdf")


def _document_owner(users: UsersState, params: dict[str, str]) -> SubclientRecord | None:
    """Return the subclient ``user``/``user_id`` names; ``None`` when neither is given."""
    if user := params.get("user", "").strip():
        found = users.subclients.get(user)
    elif params.get("user_id", "").strip():
        found = users.by_id(parse_int(params.get("user_id"), 0, lo=0, hi=2**63 - 1))
    else:
        return None
    if found is None:
        raise ApiFailure(3, _NOT_FOUND)
    return found


def _document(users: UsersState, params: dict[str, str], kind: str) -> DocumentRecord:
    raw_id = params.get("id", "").strip()
    number = params.get("num", "").strip()
    if raw_id:
        document_id = parse_int(raw_id, 0, lo=0, hi=2**63 - 1)
        found = users.documents.get(document_id)
    elif number and kind == "act":
        found = next((d for d in users.documents.values() if d.number == number), None)
    else:
        raise ApiFailure(1, _BAD)
    if found is None or found.kind != kind:
        raise ApiFailure(3, _NOT_FOUND)
    owner = _document_owner(users, params)
    if owner is not None and owner.login != found.login:
        raise ApiFailure(3, _NOT_FOUND)
    return found


def _pdf_text(text: str) -> str:
    # Keep the file ASCII (so offsets count bytes whatever the answer charset) and escape what
    # PDF strings treat specially.
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, lines: list[str]) -> str:
    """Return a one-page PDF file as ASCII text: a title and lines of Helvetica text."""
    shown = [title, *lines]
    stream = "BT /F1 12 Tf 56 780 Td " + " 0 -18 Td ".join(f"({_pdf_text(s)}) Tj" for s in shown)
    stream += " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = "%PDF-1.4\n"
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out
