"""Contacts, groups and the black list: phones.php (numbers) and mails.php (e-mail addresses)."""

from __future__ import annotations

from ._api import Namespace, Requester

__all__ = ["Contacts"]


class Contacts(Namespace):
    """Placeholder."""

    __slots__ = ("_email",)

    def __init__(self, client: Requester, *, email: bool = False) -> None:
        super().__init__(client)
        self._email = email
