"""Server roots: SMSC's regional sites, URL checks, backups, and the key of an account."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from urllib.parse import urlsplit

__all__ = ["Region", "account_key", "default_backups", "normalise_base_url"]

_SMSC_HOSTS = frozenset({"smsc.ru", "smscentre.com", "smsc.kz", "smsc.ua"})
_ACCOUNT_HASH_KEY = b"smsc_async account key v1"  # the same everywhere: processes must agree


class Region(enum.StrEnum):
    """SMSC's regional servers; pass one as ``base_url``."""

    RU = "https://smsc.ru"
    """Russia (the default)."""
    COM = "https://smscentre.com"
    """International (English)."""
    KZ = "https://smsc.kz"
    """Kazakhstan."""
    UA = "https://smsc.ua"
    """Ukraine."""


def normalise_base_url(url: str) -> tuple[str, str]:
    parts = urlsplit(str(url))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        # The URL itself is not repeated: a mistyped one may still hold a password.
        got = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(
            f"base_url must be an http(s) server root such as https://smsc.ru (got {got}"
            f"{'' if parts.hostname else ' and no host'})"
        )
    if parts.username or parts.password or parts.query:
        raise ValueError("base_url must not carry credentials or a query; pass them as arguments")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:  # not repeated either: "https://login:password" reads as host and port
        raise ValueError("base_url has a port that is not a number from 1 to 65535")
    root = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return root, parts.hostname


def _server_identity(root: str) -> str:
    """Name the SMSC server of ``root`` the same way for every spelling of it.

    ``https://smsc.ru``, ``https://smsc.ru:443/``, ``https://www.smsc.ru`` and
    ``https://SMSC.RU`` are one server, so one account's limits: the host is lowercased,
    stripped of a trailing dot and of a ``www.``/``wwwN.`` label (``www2.`` is SMSC's backup of
    the same service), and the port is kept only when it is not the scheme's default (two local
    emulators on different ports stay apart). The regional sites stay apart from each other:
    whether smsc.ru and smscentre.com share accounts is not documented.
    """
    parts = urlsplit(root)
    host = (parts.hostname or "").rstrip(".")
    host = re.sub(r"^www\d*\.(?=.*\.)", "", host)
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == {"https": 443, "http": 80}.get(parts.scheme):
        return host
    return f"{host}:{port}"


def account_key(root: str, login: str | None, apikey: str | None) -> str:
    """Return the key the limits gates know an account by: never a password or an API key.

    A login account is its server and login; an API-key account its server and a keyed hash
    of the key (128 bits, so nothing reversible lands in a shared store such as Redis).
    """
    if apikey is not None:
        digest = hmac.new(_ACCOUNT_HASH_KEY, apikey.encode(), hashlib.sha256).hexdigest()[:32]
        who = f"apikey:{digest}"
    else:
        who = str(login)
    return f"{_server_identity(root)}|{who}"


def default_backups(root: str, host: str) -> tuple[str, ...]:
    # SMSC documents "www2.<host>" as the backup server of every regional site.
    bare = host.removeprefix("www.")
    if bare in _SMSC_HOSTS:
        return (root.replace(host, f"www2.{bare}", 1),)
    return ()
