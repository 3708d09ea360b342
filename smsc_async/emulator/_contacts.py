"""phones.php and mails.php: contacts, groups and the black list.

Both scripts take the same commands (SEED3); mails.php reads ``mail``/``new_mail`` where
phones.php reads ``phone``/``new_phone`` and answers ``mail``/``mail_other`` in contact rows and
``email`` in black-list rows. Each account has one address book per script and one table of
groups, typed 0 (numbers) or 1 (e-mail addresses); a script only files its contacts into
groups of its own type. Contacts, groups and black-list entries draw their ids from one
counter per account, so an id of one kind never names an item of another.

Gaps filled here (not in the reference): contact rows carry the server id as ``int_id`` (the
``after_id`` cursor; the documented rows have no such field); ``group`` is a number for one
group, a comma-separated string for several and 0 for none; a number or address already in
another contact (or already in the black list) is error 5; a group's mailing ``number`` is 0
unless ``num`` gives one; ``pho`` carries the "other" list on both scripts; fmt=2 of mails.php
creates uses ``<mail>`` where phones.php uses ``<phone>``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ._controls import Controls
from ._params import normalize_recipient, parse_int, pick_command
from ._render import error_text, render_id, render_ok, render_records
from ._store import Call, Store
from ._types import ApiFailure

__all__ = [
    "BlacklistRecord",
    "ContactBook",
    "ContactRecord",
    "ContactsControls",
    "GroupRecord",
    "handle_mails",
    "handle_phones",
]

_COMMANDS: Final = (
    "add",
    "chg",
    "move_group",
    "del",
    "get",
    "add_group",
    "chg_group",
    "del_group",
    "get_group",
    "add_black",
    "del_black",
    "get_black",
)
_MAX_PAGE: Final = 1000
_MAX_ID: Final = 2**63 - 1
_PHONE: Final = re.compile(r"\d{6,15}")
_EMAIL: Final = re.compile(r"[^@\s,;]+@[^@\s,;]+")
# "separated by any separator": commas, semicolons and line breaks for numbers (which may hold
# spaces, "+7 (999) 123-45-67"), any blank as well for e-mail addresses.
_PHONE_SPLIT: Final = re.compile(r"[,;\r\n]+")
_MAIL_SPLIT: Final = re.compile(r"[,;\s]+")
# Optional contact fields (add, chg) and the ContactRecord attribute each one sets.
_DETAILS: Final = {
    "name": "name",
    "fnm": "first_name",
    "lnm": "last_name",
    "mnm": "middle_name",
    "bd": "birthday",
    "myid": "my_id",
    "cmt": "comment",
    "tags": "tags",
    "pho": "others",
}


@dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between phones.php and mails.php."""

    script: str
    key: str  # request parameter and row field of the address
    new_key: str  # chg parameter with the replacement list
    other_field: str  # row field of the "other" list
    black_field: str  # row field of the address in black-list rows
    group_type: int
    email: bool


_PHONES: Final = _Kind("phones.php", "phone", "new_phone", "phone_other", "phone", 0, False)
_MAILS: Final = _Kind("mails.php", "mail", "new_mail", "mail_other", "email", 1, True)


@dataclass(slots=True)
class ContactRecord:
    """A contact of the emulator's address book.

    Attributes:
        int_id: The server id: the answer of ``add`` and the ``after_id`` cursor.
        addresses: The contact's numbers (normalised) or e-mail addresses (lowercased).
        name: The contact name (``name``).
        first_name: ``fnm``.
        last_name: ``lnm``.
        middle_name: ``mnm``.
        birthday: ``bd`` as ``dd.mm.yyyy``, ``""`` when not set.
        my_id: The client's own id of the contact (``myid``).
        comment: ``cmt``.
        tags: ``tags`` as sent.
        others: The "other" numbers or addresses (``pho``), not used for mailing.
        groups: Ids of the groups the contact belongs to, in the order given.
    """

    int_id: int
    addresses: list[str]
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    birthday: str = ""
    my_id: str = ""
    comment: str = ""
    tags: str = ""
    others: str = ""
    groups: list[int] = field(default_factory=list)


@dataclass(slots=True)
class GroupRecord:
    """A contact group.

    Attributes:
        id: The server id (``grp``).
        name: The group name.
        number: The mailing number of the group (``num``), 0 when not set.
        type: 0 for a group of numbers, 1 for a group of e-mail addresses.
    """

    id: int
    name: str
    number: int = 0
    type: int = 0


@dataclass(slots=True)
class BlacklistRecord:
    """A black-list entry.

    Attributes:
        id: The server id (the ``prev_id`` cursor).
        address: The blocked number (normalised) or e-mail address (lowercased).
        type: 0 all messages, 1 mass mailings, 2 single messages.
        comment: ``cmt``.
    """

    id: int
    address: str
    type: int = 0
    comment: str = ""


@dataclass(slots=True)
class ContactBook:
    """One account's address books, groups and black lists (``store.book(login, ContactBook)``).

    Attributes:
        phones: Contacts of phones.php by ``int_id``, in creation order.
        mails: Contacts of mails.php by ``int_id``, in creation order.
        groups: Groups of both types by id.
        black_phones: phones.php black list by id.
        black_mails: mails.php black list by id.
        next_id: The next id handed out (contacts, groups and entries share it).
        int_ids: Whether contact rows carry ``int_id`` (see
            :meth:`ContactsControls.show_contact_int_ids`).
    """

    phones: dict[int, ContactRecord] = field(default_factory=dict)
    mails: dict[int, ContactRecord] = field(default_factory=dict)
    groups: dict[int, GroupRecord] = field(default_factory=dict)
    black_phones: dict[int, BlacklistRecord] = field(default_factory=dict)
    black_mails: dict[int, BlacklistRecord] = field(default_factory=dict)
    next_id: int = 1
    int_ids: bool = True

    def new_id(self) -> int:
        """Hand out the next id."""
        new = self.next_id
        self.next_id += 1
        return new

    def contacts(self, email: bool) -> dict[int, ContactRecord]:
        """Return the address book of mails.php (``email``) or phones.php."""
        return self.mails if email else self.phones

    def black(self, email: bool) -> dict[int, BlacklistRecord]:
        """Return the black list of mails.php (``email``) or phones.php."""
        return self.black_mails if email else self.black_phones

    def owner(self, email: bool, address: str) -> ContactRecord | None:
        """Return the contact holding an address, or ``None``."""
        for contact in self.contacts(email).values():
            if address in contact.addresses:
                return contact
        return None


# --- parameters -------------------------------------------------------------------------------


def _fail(kind: _Kind, code: int) -> ApiFailure:
    return ApiFailure(code, error_text(code, kind.script))


def _required(kind: _Kind, params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise _fail(kind, 1)
    return value


def _address(kind: _Kind, value: str) -> str:
    address = normalize_recipient(value)
    pattern = _EMAIL if kind.email else _PHONE
    if pattern.fullmatch(address) is None:
        raise _fail(kind, 1)
    return address


def _addresses(kind: _Kind, value: str) -> list[str]:
    splitter = _MAIL_SPLIT if kind.email else _PHONE_SPLIT
    found: list[str] = []
    for raw in splitter.split(value):
        if raw.strip() and (address := _address(kind, raw)) not in found:
            found.append(address)
    if not found:
        raise _fail(kind, 1)
    return found


def _one_address(kind: _Kind, params: dict[str, str]) -> str:
    return _address(kind, _required(kind, params, kind.key))


def _id(kind: _Kind, value: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) > _MAX_ID:
        raise _fail(kind, 1)
    return int(text)


def _ids(kind: _Kind, value: str) -> list[int]:
    ids = [_id(kind, part) for part in value.split(",") if part.strip()]
    if not ids:
        raise _fail(kind, 1)
    return ids


def _groups_of_kind(kind: _Kind, book: ContactBook, ids: list[int]) -> list[int]:
    """Check group ids: existing groups of the script's type (error 3 otherwise)."""
    for group_id in ids:
        group = book.groups.get(group_id)
        if group is None or group.type != kind.group_type:
            raise _fail(kind, 3)
    return list(dict.fromkeys(ids))


def _birthday(kind: _Kind, value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    try:
        return datetime.strptime(text, "%d.%m.%Y").strftime("%d.%m.%Y")
    except ValueError:
        raise _fail(kind, 1) from None


def _contact(kind: _Kind, book: ContactBook, params: dict[str, str]) -> ContactRecord:
    contact = book.owner(kind.email, _one_address(kind, params))
    if contact is None:
        raise _fail(kind, 3)
    return contact


def _page_size(kind: _Kind, params: dict[str, str]) -> int:
    try:
        return parse_int(params.get("cnt"), _MAX_PAGE, lo=1, hi=_MAX_PAGE)
    except ApiFailure:
        raise _fail(kind, 1) from None


def _cursor(kind: _Kind, params: dict[str, str], name: str) -> int:
    value = params.get(name, "").strip()
    return _id(kind, value) if value else 0


# --- contacts ---------------------------------------------------------------------------------


def _apply_details(kind: _Kind, contact: ContactRecord, params: dict[str, str]) -> None:
    """Copy the optional fields given in ``params`` to a contact."""
    for param, attribute in _DETAILS.items():
        if param in params:
            value = params[param].strip()
            setattr(contact, attribute, _birthday(kind, value) if param == "bd" else value)


def _check_free(kind: _Kind, book: ContactBook, addresses: Iterable[str], me: int = 0) -> None:
    for address in addresses:
        owner = book.owner(kind.email, address)
        if owner is not None and owner.int_id != me:
            raise _fail(kind, 5)


def _add(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    addresses = _addresses(kind, _required(kind, params, kind.key))
    _required(kind, params, "name")
    _birthday(kind, params.get("bd", ""))
    grp = params.get("grp", "").strip()
    groups = _groups_of_kind(kind, book, _ids(kind, grp)) if grp else []
    _check_free(kind, book, addresses)
    contact = ContactRecord(int_id=book.new_id(), addresses=addresses, groups=groups)
    _apply_details(kind, contact, params)
    book.contacts(kind.email)[contact.int_id] = contact
    return render_id(fmt, contact.int_id, item=kind.key)


def _change(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    new = params.get(kind.new_key, "").strip()
    if not new and not any(name in params for name in _DETAILS):
        raise _fail(kind, 1)
    addresses = _addresses(kind, new) if new else None
    _birthday(kind, params.get("bd", ""))
    contact = _contact(kind, book, params)
    if addresses is not None:
        _check_free(kind, book, addresses, contact.int_id)
        contact.addresses = addresses
    _apply_details(kind, contact, params)
    return render_ok(fmt)


def _move(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    mode = params["move_group"].strip()
    if mode not in ("1", "2", "3"):
        raise _fail(kind, 1)
    group_id = _id(kind, _required(kind, params, "grp"))
    _groups_of_kind(kind, book, [group_id])
    contact = _contact(kind, book, params)
    if mode == "1":  # move: the group becomes the contact's only one
        contact.groups = [group_id]
    elif mode == "2":  # add to one more group
        if group_id not in contact.groups:
            contact.groups.append(group_id)
    elif group_id in contact.groups:  # 3: remove from the group
        contact.groups.remove(group_id)
    else:
        raise _fail(kind, 3)
    return render_ok(fmt)


def _delete(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    contact = _contact(kind, book, params)
    del book.contacts(kind.email)[contact.int_id]
    return render_ok(fmt)


def _matches(words: list[str], fields: Iterable[str]) -> bool:
    haystack = " ".join(fields).casefold()
    return all(word in haystack for word in words)


def _contact_row(kind: _Kind, contact: ContactRecord, int_id: bool) -> dict[str, object]:
    groups = contact.groups
    group: int | str = groups[0] if len(groups) == 1 else ",".join(map(str, groups)) or 0
    row: dict[str, object] = {
        kind.key: ",".join(contact.addresses),
        "name": contact.name,
        "group": group,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "middle_name": contact.middle_name,
        "birthday": contact.birthday,
        "id": contact.my_id,
        "comments": contact.comment,
        "tags": contact.tags,
        kind.other_field: contact.others,
    }
    if int_id:
        row["int_id"] = contact.int_id
    return row


def _get(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    limit = _page_size(kind, params)
    after = _cursor(kind, params, "after_id")
    grp = params.get("grp", "").strip()
    groups = set(_ids(kind, grp)) if grp else None
    phone = params.get(kind.key, "").strip()
    address = _address(kind, phone) if phone else None
    fio = params.get("fio", "").casefold().split()
    search = params.get("search", "").casefold().split()
    rows: list[dict[str, object]] = []
    for contact in sorted(book.contacts(kind.email).values(), key=lambda c: c.int_id):
        if contact.int_id <= after:
            continue
        if groups is not None and not groups.intersection(contact.groups):
            continue
        if address is not None and address not in contact.addresses:
            continue
        names = (contact.last_name, contact.first_name, contact.middle_name)
        if fio and not _matches(fio, names):
            continue
        if search and not _matches(search, (contact.name, *contact.addresses)):
            continue
        rows.append(_contact_row(kind, contact, book.int_ids))
        if len(rows) == limit:
            break
    if not rows:
        raise _fail(kind, 3)
    return render_records(fmt, rows, item="contact")


# --- groups -----------------------------------------------------------------------------------


def _group_type(kind: _Kind, params: dict[str, str]) -> int:
    try:
        return parse_int(params.get("type"), kind.group_type, lo=0, hi=1)
    except ApiFailure:
        raise _fail(kind, 1) from None


def _number(kind: _Kind, params: dict[str, str]) -> int | None:
    value = params.get("num", "").strip()
    return _id(kind, value) if value else None


def _add_group(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    name = _required(kind, params, "name")
    group = GroupRecord(
        id=book.new_id(),
        name=name,
        number=_number(kind, params) or 0,
        type=_group_type(kind, params),
    )
    book.groups[group.id] = group
    return render_id(fmt, group.id, item="group")


def _group(kind: _Kind, book: ContactBook, params: dict[str, str]) -> GroupRecord:
    group = book.groups.get(_id(kind, _required(kind, params, "grp")))
    if group is None:
        raise _fail(kind, 3)
    return group


def _change_group(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    name = params.get("name", "").strip()
    number = _number(kind, params)
    if not name and number is None:
        raise _fail(kind, 1)
    group = _group(kind, book, params)
    if name:
        group.name = name
    if number is not None:
        group.number = number
    return render_ok(fmt)


def _delete_group(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    group = _group(kind, book, params)
    del book.groups[group.id]
    for contact in book.contacts(group.type == 1).values():
        if group.id in contact.groups:
            contact.groups.remove(group.id)
    return render_ok(fmt)


def _get_groups(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    group_type = _group_type(kind, params)
    members = book.contacts(group_type == 1).values()
    rows: list[dict[str, object]] = [
        {
            "id": group.id,
            "name": group.name,
            "number": group.number,
            # SEED3 shows the count quoted ("cnt": "<cnt>") while id and number are numbers.
            "cnt": str(sum(1 for c in members if group.id in c.groups)),
        }
        for group in book.groups.values()
        if group.type == group_type
    ]
    if not rows:
        raise _fail(kind, 3)
    return render_records(fmt, rows, item="group")


# --- black list -------------------------------------------------------------------------------


def _add_black(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    address = _one_address(kind, params)
    try:
        block = parse_int(params.get("type"), 0, lo=0, hi=2)
    except ApiFailure:
        raise _fail(kind, 1) from None
    entries = book.black(kind.email)
    if any(entry.address == address for entry in entries.values()):
        raise _fail(kind, 5)
    entry = BlacklistRecord(book.new_id(), address, block, params.get("cmt", "").strip())
    entries[entry.id] = entry
    return render_id(fmt, entry.id, item=kind.key)


def _del_black(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    address = _one_address(kind, params)
    entries = book.black(kind.email)
    for entry in entries.values():
        if entry.address == address:
            del entries[entry.id]
            return render_ok(fmt)
    raise _fail(kind, 3)


def _get_black(kind: _Kind, book: ContactBook, params: dict[str, str], fmt: int) -> str:
    limit = _page_size(kind, params)
    before = _cursor(kind, params, "prev_id")
    # Newest first: prev_id asks for the entries added before the given one.
    entries = sorted(book.black(kind.email).values(), key=lambda e: e.id, reverse=True)
    rows: list[dict[str, object]] = [
        {"id": e.id, kind.black_field: e.address, "type": e.type, "comment": e.comment}
        for e in entries
        if not before or e.id < before
    ][:limit]
    if not rows:
        raise _fail(kind, 3)
    return render_records(fmt, rows, item="record")


_Handler = Callable[[_Kind, ContactBook, dict[str, str], int], str]
_HANDLERS: Final[dict[str, _Handler]] = {
    "add": _add,
    "chg": _change,
    "move_group": _move,
    "del": _delete,
    "get": _get,
    "add_group": _add_group,
    "chg_group": _change_group,
    "del_group": _delete_group,
    "get_group": _get_groups,
    "add_black": _add_black,
    "del_black": _del_black,
    "get_black": _get_black,
}


def _handle(kind: _Kind, store: Store, call: Call) -> str:
    book = store.book(call.account.account.login, ContactBook)
    command = pick_command(call.params, _COMMANDS)
    return _HANDLERS[command](kind, book, call.params, call.fmt)


def handle_phones(store: Store, call: Call) -> str:
    """Answer phones.php: contacts, groups and black list of phone numbers."""
    return _handle(_PHONES, store, call)


def handle_mails(store: Store, call: Call) -> str:
    """Answer mails.php: the same commands for e-mail addresses."""
    return _handle(_MAILS, store, call)


# --- controls ---------------------------------------------------------------------------------


class ContactsControls(Controls):
    """Inspect and seed the address books of phones.php and mails.php.

    Inspection methods return copies: changing them does not change the emulator.
    """

    def _book(self, login: str | None) -> ContactBook:
        return self._store.book(self._state(login).account.login, ContactBook)

    def contacts(self, login: str | None = None, *, email: bool = False) -> list[ContactRecord]:
        """Return the contacts of phones.php (or mails.php with ``email=True``) by server id."""
        book = self._book(login).contacts(email)
        return [_copy(book[key]) for key in sorted(book)]

    def contact_groups(
        self, login: str | None = None, *, email: bool | None = None
    ) -> list[GroupRecord]:
        """Return the groups by id: all, or only e-mail (``True``) or number (``False``) ones."""
        groups = self._book(login).groups
        wanted = None if email is None else int(email)
        return [
            dataclasses.replace(groups[key])
            for key in sorted(groups)
            if wanted is None or groups[key].type == wanted
        ]

    def blacklist(self, login: str | None = None, *, email: bool = False) -> list[BlacklistRecord]:
        """Return the black list of phones.php (or mails.php with ``email=True``) by id."""
        entries = self._book(login).black(email)
        return [dataclasses.replace(entries[key]) for key in sorted(entries)]

    def show_contact_int_ids(self, show: bool = True, login: str | None = None) -> None:
        """Put ``int_id`` in contact rows (default) or leave it out, as SEED3's rows do.

        Without it a client cannot page with ``after_id``.
        """
        self._book(login).int_ids = show

    def add_contact(
        self,
        address: str,
        name: str = "",
        *,
        groups: Iterable[int] = (),
        email: bool = False,
        login: str | None = None,
    ) -> int:
        """Store a contact without a request (for seeding large books); return its server id.

        The address is normalised like a request's; it and the groups are not checked.
        """
        book = self._book(login)
        contact = ContactRecord(
            int_id=book.new_id(),
            addresses=[normalize_recipient(address)],
            name=name,
            groups=list(groups),
        )
        book.contacts(email)[contact.int_id] = contact
        return contact.int_id


def _copy(contact: ContactRecord) -> ContactRecord:
    return dataclasses.replace(
        contact, addresses=list(contact.addresses), groups=list(contact.groups)
    )
