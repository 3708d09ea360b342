"""The answers and details of the contact commands (phones.php and mails.php).

Re-exported by :mod:`smsc_async.contacts`, where the commands are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final, TypedDict

import msgspec

from ._codes import CodeEnum
from ._validate import SMSC_DATE

__all__ = ["BlacklistEntry", "BlacklistType", "Contact", "ContactDetails", "ContactGroup"]


# --- models -------------------------------------------------------------------------------


class BlacklistType(CodeEnum):
    """What a black-list entry blocks (``type`` of ``add_black``); unknown codes are kept."""

    ALL = 0
    """Every message to the number or address."""
    MASS = 1
    """Mass mailings only."""
    SINGLE = 2
    """Single messages only."""


# Numbers may hold spaces ("+7 999 ..."), so only these separate list entries.
_SEPARATORS: Final = re.compile(r"[,;\r\n]+")


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """A contact of the address book (``get=1``).

    phones.php fills ``phone`` and ``other_phones``, mails.php ``mail`` and ``other_mails``;
    :attr:`address` gives whichever is set.

    Attributes:
        phone: The contact's numbers (phones.php), a list in one string.
        mail: The contact's e-mail addresses (mails.php), a list in one string.
        name: The contact name.
        group: The group id; SMSC's shape for several groups is not documented (see
            :attr:`group_ids`).
        first_name: First name.
        last_name: Last name.
        middle_name: Middle name.
        birthday: Date of birth as SMSC wrote it (``dd.mm.yyyy``; see :attr:`birth_date`).
        my_id: The client's own id of the contact (``myid``; wire name ``id``).
        comment: Comment (wire name ``comments``).
        tags: Tags, as one string.
        other_phones: Other numbers, not used for mailings (phones.php).
        other_mails: Other addresses, not used for mailings (mails.php).
        int_id: The server id of the contact, the cursor of ``after_id``. SMSC's documented
            rows do not show it; ``None`` when the answer has none.
    """

    phone: str = ""
    mail: str = ""
    name: str = ""
    group: int | str = 0
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    birthday: str = ""
    my_id: int | str = msgspec.field(default="", name="id")
    comment: str = msgspec.field(default="", name="comments")
    tags: str = ""
    other_phones: str = msgspec.field(default="", name="phone_other")
    other_mails: str = msgspec.field(default="", name="mail_other")
    int_id: int | None = None

    @property
    def address(self) -> str:
        """The contact's numbers or e-mail addresses, whichever the script filled."""
        return self.phone or self.mail

    @property
    def addresses(self) -> tuple[str, ...]:
        """The numbers or addresses one by one (SMSC puts the list in one string)."""
        return tuple(part for raw in _SEPARATORS.split(self.address) if (part := raw.strip()))

    @property
    def group_ids(self) -> tuple[int, ...]:
        """The ids of the contact's groups (0, "no group", left out)."""
        parts = str(self.group).replace(";", ",").split(",")
        return tuple(int(p) for p in (p.strip() for p in parts) if p.isdigit() and int(p))

    @property
    def birth_date(self) -> date | None:
        """The date of birth, or ``None`` when not set or not a ``dd.mm.yyyy`` date."""
        try:
            return datetime.strptime(self.birthday.strip(), SMSC_DATE).date()
        except ValueError:
            return None


class ContactGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A contact group (``get_group=1``).

    Attributes:
        id: The server id of the group (``grp`` in requests).
        name: The group name.
        number: The group's mailing number (send to ``G<number>``).
        count: How many contacts the group holds (wire name ``cnt``).
    """

    id: int
    name: str = ""
    number: int = 0
    count: int = msgspec.field(default=0, name="cnt")


class BlacklistEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A black-list entry (``get_black=1``).

    Attributes:
        id: The server id of the entry, the cursor of ``prev_id``.
        phone: The blocked number (phones.php).
        email: The blocked e-mail address (mails.php).
        type: What is blocked.
        comment: Comment.
    """

    id: int
    phone: str = ""
    email: str = ""
    type: BlacklistType = BlacklistType.ALL
    comment: str = ""

    @property
    def address(self) -> str:
        """The blocked number or e-mail address, whichever the script filled."""
        return self.phone or self.email


class ContactDetails(TypedDict, total=False):
    """Optional details of a contact, for :meth:`Contacts.add` and :meth:`Contacts.change`.

    Attributes:
        first_name: First name (``fnm``).
        last_name: Last name (``lnm``).
        middle_name: Middle name (``mnm``).
        birthday: Date of birth, a ``date`` or ``'dd.mm.yyyy'`` (``bd``).
        my_id: Your own id of the contact (``myid``).
        comment: Comment (``cmt``).
        tags: Tags, a string or a sequence (joined with commas).
        others: Other numbers (addresses), not used for mailings (``pho``).
    """

    first_name: str
    last_name: str
    middle_name: str
    birthday: date | str
    my_id: str | int
    comment: str
    tags: str | Sequence[str]
    others: str | Sequence[str]
