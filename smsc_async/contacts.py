"""Contacts, groups and the black list: phones.php (numbers) and mails.php (e-mail addresses).

Both scripts take the same commands; mails.php names the address ``mail``
(``new_mail`` in changes) where phones.php says ``phone``. One :class:`Contacts` class serves
both: ``smsc.contacts`` talks to phones.php, ``smsc.mail_contacts`` to mails.php. SMSC refuses
more than three identical requests per minute to either script; the client's limits gate
spaces them (endpoint names ``"phones"`` and ``"mails"``).

A contact, a group and a black-list entry are named differently: a contact by its number or
address (SMSC has no command taking a contact id), a group by its server id (``grp``), a
black-list entry by its number or address.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Unpack

import msgspec

from ._api import Namespace, Requester, decoder, paginate
from ._endpoints import Endpoint
from ._validate import (
    check_date,
    check_id,
    check_ids,
    check_known,
    check_page_size,
    check_recipients,
    check_single,
    check_str,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "BlacklistEntry",
    "BlacklistType",
    "Contact",
    "ContactDetails",
    "ContactGroup",
    "Contacts",
]

from ._contact_models import (
    BlacklistEntry,
    BlacklistType,
    Contact,
    ContactDetails,
    ContactGroup,
)

MAX_PAGE_SIZE: Final = 1000
"""The most records one list request returns (``cnt``)."""


_DETAIL_NAMES: Final = frozenset(ContactDetails.__annotations__)


class _Created(msgspec.Struct, frozen=True):
    id: int


# --- the endpoint table -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Script:
    """The commands of phones.php or mails.php (same commands, own limit windows)."""

    add: Endpoint[_Created]
    change: Endpoint[None]
    move_to_group: Endpoint[None]
    add_to_group: Endpoint[None]
    remove_from_group: Endpoint[None]
    delete: Endpoint[None]
    list: Endpoint[builtins.list[Contact]]
    add_group: Endpoint[_Created]
    rename_group: Endpoint[None]
    delete_group: Endpoint[None]
    list_groups: Endpoint[builtins.list[ContactGroup]]
    add_to_blacklist: Endpoint[_Created]
    remove_from_blacklist: Endpoint[None]
    list_blacklist: Endpoint[builtins.list[BlacklistEntry]]
    address: str  # the parameter naming the contact: "phone" or "mail"
    new_address: str  # the chg parameter with the new list: "new_phone" or "new_mail"
    group_type: str  # get_group/add_group type: "0" numbers, "1" e-mail addresses


_CREATED: Final = decoder(_Created)


def _script(name: str, address: str, group_type: str) -> _Script:
    script = f"{name}.php"

    def change(flag: str, value: str = "1") -> Endpoint[None]:
        return Endpoint(name, script, {flag: value}, safe=False, decoder=None)

    return _Script(
        add=Endpoint(name, script, {"add": "1"}, safe=False, decoder=_CREATED),
        change=change("chg"),
        move_to_group=change("move_group", "1"),
        add_to_group=change("move_group", "2"),
        remove_from_group=change("move_group", "3"),
        delete=change("del"),
        list=Endpoint(name, script, {"get": "1"}, safe=True, decoder=decoder(list[Contact])),
        add_group=Endpoint(name, script, {"add_group": "1"}, safe=False, decoder=_CREATED),
        rename_group=change("chg_group"),
        delete_group=change("del_group"),
        list_groups=Endpoint(
            name, script, {"get_group": "1"}, safe=True, decoder=decoder(list[ContactGroup])
        ),
        add_to_blacklist=Endpoint(name, script, {"add_black": "1"}, safe=False, decoder=_CREATED),
        remove_from_blacklist=change("del_black"),
        list_blacklist=Endpoint(
            name, script, {"get_black": "1"}, safe=True, decoder=decoder(list[BlacklistEntry])
        ),
        address=address,
        new_address=f"new_{address}",
        group_type=group_type,
    )


PHONES: Final = _script("phones", "phone", "0")
"""phones.php: contacts, groups and black list of phone numbers."""
MAILS: Final = _script("mails", "mail", "1")
"""mails.php: the same commands for e-mail addresses."""


# --- argument checks ----------------------------------------------------------------------


_BLOCK_TYPES: Final = frozenset(int(member) for member in BlacklistType)


def _block_type(value: object) -> str:
    # BlacklistType makes a pseudo member of any int (to read unknown codes), so check_choice
    # would let 7 through: only the documented codes may be sent.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"type must be a BlacklistType, got {value!r}")
    if value not in _BLOCK_TYPES:
        allowed = ", ".join(f"{m.name}={int(m)}" for m in BlacklistType)
        raise ValueError(f"type must be one of {allowed}; got {value!r}")
    return str(int(value))


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else check_str(value, name, allow_empty=True)


def _tags(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return check_str(value, "tags", allow_empty=True)
    if not isinstance(value, Iterable):
        raise TypeError(f"tags must be a str or a list of str, got {type(value).__name__}")
    return ",".join(check_str(tag, "tags") for tag in value)


def _my_id(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"my_id must be a str or an int, got {type(value).__name__}")
    return check_str(str(value), "my_id")


def _put(fields: dict[str, str], **values: str | None) -> dict[str, str]:
    fields.update({name: value for name, value in values.items() if value is not None})
    return fields


# --- the namespace ------------------------------------------------------------------------


class Contacts(Namespace):
    """Contacts, groups and the black list of phone numbers or of e-mail addresses.

    Reached as ``smsc.contacts`` (phones.php) and ``smsc.mail_contacts`` (mails.php). Every
    ``address`` argument is a phone number for the first and an e-mail address for the second.

    Every method checks its arguments before any request: a value of the wrong type raises
    ``TypeError``, a wrong value (an empty or malformed address, a group id that is not a
    number, a page size over 1000, a birthday that is not a date) ``ValueError``.
    """

    __slots__ = ("_email",)

    def __init__(self, client: Requester, *, email: bool = False) -> None:
        super().__init__(client)
        self._email = email

    @property
    def _table(self) -> _Script:
        return MAILS if self._email else PHONES

    def _address(self, value: object, name: str = "address") -> str:
        return self._check_kind(check_single(value, name), name)

    def _addresses(self, value: object, name: str = "addresses") -> str:
        joined = check_recipients(value, name)
        for item in joined.split(","):
            self._check_kind(item, name)
        return joined

    def _check_kind(self, item: str, name: str) -> str:
        if self._email and "@" not in item:
            raise ValueError(
                f"{name}: {item!r} is not an e-mail address; mail_contacts (mails.php) takes "
                "addresses such as 'name@example.com'"
            )
        if not self._email and ("@" in item or not any(ch.isdigit() for ch in item)):
            raise ValueError(
                f"{name}: {item!r} is not a phone number; use smsc.mail_contacts for e-mail "
                "addresses"
            )
        return item

    def _details(self, fields: dict[str, str], details: ContactDetails) -> dict[str, str]:
        check_known(details, _DETAIL_NAMES, "contact detail")
        others = details.get("others")
        birthday = details.get("birthday")
        return _put(
            fields,
            fnm=_optional_text(details.get("first_name"), "first_name"),
            lnm=_optional_text(details.get("last_name"), "last_name"),
            mnm=_optional_text(details.get("middle_name"), "middle_name"),
            bd=None if birthday is None else check_date(birthday, "birthday"),
            myid=_my_id(details.get("my_id")),
            cmt=_optional_text(details.get("comment"), "comment"),
            tags=_tags(details.get("tags")),
            pho=None if others is None else check_recipients(others, "others"),
        )

    # -- contacts --------------------------------------------------------------------------

    async def add(
        self,
        addresses: str | Sequence[str],
        name: str,
        *,
        groups: int | str | Iterable[int] | None = None,
        **details: Unpack[ContactDetails],
    ) -> int:
        """Create a contact with one or several numbers (or e-mail addresses).

        SMSC: ``phones.php`` (``mails.php``) ``add=1``.

        Args:
            addresses: The contact's phone numbers (e-mail addresses for ``mail_contacts``):
                one, a comma-separated string, or a sequence.
            name: The contact name.
            groups: Id(s) of the groups to file the contact in (``grp``).
            **details: More details: :class:`ContactDetails`.

        Returns:
            The server id of the new contact.

        Raises:
            NotFoundError: a group does not exist (error 3).
            OperationFailedError: SMSC could not create it, e.g. a number is taken (error 5).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        fields = {
            table.address: self._addresses(addresses),
            "name": check_str(name, "name"),
        }
        if groups is not None:
            fields["grp"] = check_ids(groups, "groups")
        self._details(fields, details)
        return (await self._client._request(table.add, fields)).id

    async def change(
        self,
        address: str,
        *,
        new_addresses: str | Sequence[str] | None = None,
        name: str | None = None,
        **details: Unpack[ContactDetails],
    ) -> None:
        """Change a contact's numbers (addresses), name or other details.

        SMSC: ``phones.php`` (``mails.php``) ``chg=1``. Only the arguments given change.

        Args:
            address: A number (e-mail address) of the contact to change.
            new_addresses: The contact's new list of numbers (``new_phone``/``new_mail``).
            name: New contact name.
            **details: New details: :class:`ContactDetails`.

        Raises:
            ValueError: nothing to change (or a malformed value).
            NotFoundError: no contact has this number (error 3).
            OperationFailedError: SMSC could not change it, e.g. a new number is taken (5).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        fields = {table.address: self._address(address)}
        if new_addresses is not None:
            fields[table.new_address] = self._addresses(new_addresses, "new_addresses")
        if name is not None:
            fields["name"] = check_str(name, "name")
        self._details(fields, details)
        if len(fields) == 1:
            raise ValueError(
                "nothing to change: give new_addresses, name or another detail of the contact"
            )
        await self._client._command(table.change, fields)

    async def _move(self, endpoint: Endpoint[None], address: object, group: object) -> None:
        fields = {self._table.address: self._address(address), "grp": check_id(group, "group")}
        await self._client._command(endpoint, fields)

    async def move_to_group(self, address: str, group: int | str) -> None:
        """Move a contact to a group: it leaves every other group.

        SMSC: ``phones.php`` (``mails.php``) ``move_group=1``.

        Args:
            address: A number (e-mail address) of the contact.
            group: The group id.

        Raises:
            NotFoundError: no such contact or group (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._move(self._table.move_to_group, address, group)

    async def add_to_group(self, address: str, group: int | str) -> None:
        """Add a contact to one more group, keeping its other groups.

        SMSC: ``phones.php`` (``mails.php``) ``move_group=2``.

        Args:
            address: A number (e-mail address) of the contact.
            group: The group id.

        Raises:
            NotFoundError: no such contact or group (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._move(self._table.add_to_group, address, group)

    async def remove_from_group(self, address: str, group: int | str) -> None:
        """Take a contact out of a group.

        SMSC: ``phones.php`` (``mails.php``) ``move_group=3``.

        Args:
            address: A number (e-mail address) of the contact.
            group: The group id.

        Raises:
            NotFoundError: no such contact or group, or the contact is not in it (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._move(self._table.remove_from_group, address, group)

    async def delete(self, address: str) -> None:
        """Delete a contact.

        SMSC: ``phones.php`` (``mails.php``) ``del=1``.

        Args:
            address: A number (e-mail address) of the contact.

        Raises:
            NotFoundError: no contact has this number (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(
            self._table.delete, {self._table.address: self._address(address)}
        )

    def _list_fields(
        self, group: object, address: object, full_name: object, search: object
    ) -> dict[str, str]:
        fields: dict[str, str] = {}
        if group is not None:
            fields["grp"] = check_ids(group, "group")
        if address is not None:
            fields[self._table.address] = self._address(address)
        if full_name is not None:
            fields["fio"] = check_str(full_name, "full_name")
        if search is not None:
            fields["search"] = check_str(search, "search")
        return fields

    async def list(
        self,
        *,
        group: int | str | Iterable[int] | None = None,
        address: str | None = None,
        full_name: str | None = None,
        search: str | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> builtins.list[Contact]:
        """List contacts, optionally filtered; an empty result is ``[]``.

        SMSC: ``phones.php`` (``mails.php``) ``get=1``. For every contact, see :meth:`iterate`.

        Args:
            group: Only contacts of this group (or of any of these groups) (``grp``).
            address: Only the contact with this number (e-mail address).
            full_name: Only contacts whose last, first or middle name match (``fio``).
            search: Only contacts whose name or number match (``search``).
            after_id: Only contacts after this server id (:attr:`Contact.int_id`).
            limit: At most this many contacts, 1 to 1000 (``cnt``).

        Returns:
            The contacts, in SMSC's order.

        Raises:
            TypeError, ValueError: a malformed filter or limit, before any request.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = self._list_fields(group, address, full_name, search)
        if after_id is not None:
            fields["after_id"] = check_id(after_id, "after_id")
        if limit is not None:
            fields["cnt"] = check_page_size(limit, MAX_PAGE_SIZE, "limit")
        return await self._client._request_list(self._table.list, fields)

    def iterate(
        self,
        *,
        group: int | str | Iterable[int] | None = None,
        address: str | None = None,
        full_name: str | None = None,
        search: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[Contact]:
        """Iterate over every contact matching the filters, one page request at a time.

        SMSC: ``phones.php`` (``mails.php``) ``get=1`` with ``cnt`` and ``after_id`` = the last
        contact's ``int_id``. Arguments are checked at once, before the first request.

        Args:
            group: As in :meth:`list`.
            address: As in :meth:`list`.
            full_name: As in :meth:`list`.
            search: As in :meth:`list`.
            page_size: Contacts per request, 1 to 1000.

        Returns:
            An async iterator of contacts.

        Raises:
            ValueError: a malformed filter or page size (at call time).
            ResponseDecodeError: (while iterating) a full page whose last contact has no
                ``int_id`` to continue after.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        base = self._list_fields(group, address, full_name, search)
        base["cnt"] = check_page_size(page_size, MAX_PAGE_SIZE, "page_size")
        table = self._table

        async def fetch(cursor: str | None) -> builtins.list[Contact]:
            fields = base if cursor is None else {**base, "after_id": cursor}
            return await self._client._request_list(table.list, fields)

        return paginate(fetch, lambda c: c.int_id, page_size, script=table.list.script)

    # -- groups ----------------------------------------------------------------------------

    async def add_group(self, name: str, *, number: int | None = None) -> int:
        """Create a group (of numbers, or of e-mail addresses for ``mail_contacts``).

        SMSC: ``phones.php`` (``mails.php``) ``add_group=1`` with ``type`` 0 (1).

        Args:
            name: The group name.
            number: The group's mailing number (``num``).

        Returns:
            The server id of the new group.

        Raises:
            OperationFailedError: SMSC could not create it (error 5).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        fields = {"name": check_str(name, "name"), "type": table.group_type}
        if number is not None:
            fields["num"] = check_id(number, "number")
        return (await self._client._request(table.add_group, fields)).id

    async def rename_group(self, group: int | str, name: str, *, number: int | None = None) -> None:
        """Rename a group (and optionally change its mailing number).

        SMSC: ``phones.php`` (``mails.php``) ``chg_group=1``.

        Args:
            group: The group id.
            name: The new name.
            number: The new mailing number (``num``).

        Raises:
            NotFoundError: no such group (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"grp": check_id(group, "group"), "name": check_str(name, "name")}
        if number is not None:
            fields["num"] = check_id(number, "number")
        await self._client._command(self._table.rename_group, fields)

    async def delete_group(self, group: int | str) -> None:
        """Delete a group; its contacts stay in the address book.

        SMSC: ``phones.php`` (``mails.php``) ``del_group=1``.

        Args:
            group: The group id.

        Raises:
            NotFoundError: no such group (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(self._table.delete_group, {"grp": check_id(group, "group")})

    async def list_groups(self) -> builtins.list[ContactGroup]:
        """List the groups of numbers (of e-mail addresses for ``mail_contacts``).

        SMSC: ``phones.php`` (``mails.php``) ``get_group=1`` with ``type`` 0 (1).

        Returns:
            The groups; ``[]`` when there is none.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        return await self._client._request_list(table.list_groups, {"type": table.group_type})

    # -- black list ------------------------------------------------------------------------

    async def add_to_blacklist(
        self,
        address: str,
        *,
        type: BlacklistType | int = BlacklistType.ALL,
        comment: str | None = None,
    ) -> int:
        """Put a number (e-mail address) in the black list.

        SMSC: ``phones.php`` (``mails.php``) ``add_black=1``.

        Args:
            address: The number (e-mail address) to block.
            type: What to block: all messages, mass mailings or single messages.
            comment: Comment (``cmt``).

        Returns:
            The server id of the entry.

        Raises:
            OperationFailedError: SMSC could not add it, e.g. already listed (error 5).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        fields = {
            table.address: self._address(address),
            "type": _block_type(type),
        }
        _put(fields, cmt=_optional_text(comment, "comment"))
        return (await self._client._request(table.add_to_blacklist, fields)).id

    async def remove_from_blacklist(self, address: str) -> None:
        """Take a number (e-mail address) out of the black list.

        SMSC: ``phones.php`` (``mails.php``) ``del_black=1``.

        Args:
            address: The blocked number (e-mail address).

        Raises:
            NotFoundError: the address is not in the black list (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        table = self._table
        await self._client._command(
            table.remove_from_blacklist, {table.address: self._address(address)}
        )

    async def list_blacklist(
        self, *, before_id: int | None = None, limit: int | None = None
    ) -> builtins.list[BlacklistEntry]:
        """List black-list entries, newest first; an empty result is ``[]``.

        SMSC: ``phones.php`` (``mails.php``) ``get_black=1``. For every entry, see
        :meth:`iterate_blacklist`.

        Args:
            before_id: Only entries added before the entry with this id (``prev_id``).
            limit: At most this many entries, 1 to 1000 (``cnt``).

        Returns:
            The entries.

        Raises:
            TypeError, ValueError: a malformed id or limit, before any request.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields: dict[str, str] = {}
        if before_id is not None:
            fields["prev_id"] = check_id(before_id, "before_id")
        if limit is not None:
            fields["cnt"] = check_page_size(limit, MAX_PAGE_SIZE, "limit")
        return await self._client._request_list(self._table.list_blacklist, fields)

    def iterate_blacklist(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[BlacklistEntry]:
        """Iterate over the whole black list, newest first, one page request at a time.

        SMSC: ``phones.php`` (``mails.php``) ``get_black=1`` with ``cnt`` and ``prev_id`` = the
        last entry's id. The page size is checked at once, before the first request.

        Args:
            page_size: Entries per request, 1 to 1000.

        Returns:
            An async iterator of entries.

        Raises:
            ValueError: a page size outside 1..1000 (at call time).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        base = {"cnt": check_page_size(page_size, MAX_PAGE_SIZE, "page_size")}
        endpoint = self._table.list_blacklist

        async def fetch(cursor: str | None) -> builtins.list[BlacklistEntry]:
            fields = base if cursor is None else {**base, "prev_id": cursor}
            return await self._client._request_list(endpoint, fields)

        return paginate(fetch, lambda e: e.id, page_size, script=endpoint.script)
