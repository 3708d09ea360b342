"""The base of the emulator's public control methods (one mixin per script family)."""

from __future__ import annotations

from ._store import AccountState, Store

__all__ = ["Controls"]


class Controls:
    """What the control mixins share: the store and the account lookup."""

    _store: Store
    _default_login: str

    def _state(self, login: str | None) -> AccountState:
        login = self._default_login if login is None else login
        try:
            return self._store.accounts[login]
        except KeyError:
            raise KeyError(f"the emulator has no account {login!r}") from None
