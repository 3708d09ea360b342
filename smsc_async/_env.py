"""The environment variables that name an account, a server and a shared gate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._servers import normalise_base_url

if TYPE_CHECKING:
    from .redis import RedisGate

__all__ = [
    "ENV_APIKEY",
    "ENV_BASE_URL",
    "ENV_LOGIN",
    "ENV_PASSWORD",
    "ENV_REDIS_URL",
    "client_arguments",
    "env_configured",
]

ENV_LOGIN = "SMSC_LOGIN"
"""The environment variable :meth:`SMSCClient.from_env` reads the login from."""
ENV_PASSWORD = "SMSC_PASSWORD"  # noqa: S105 - a variable name, not a password
"""The environment variable :meth:`SMSCClient.from_env` reads the password from."""
ENV_APIKEY = "SMSC_APIKEY"
"""The environment variable :meth:`SMSCClient.from_env` reads the API key from."""
ENV_BASE_URL = "SMSC_BASE_URL"
"""The environment variable :meth:`SMSCClient.from_env` reads the server root from."""
ENV_REDIS_URL = "SMSC_REDIS_URL"
"""The environment variable that gives :meth:`SMSCClient.from_env` a shared Redis gate."""


def env_configured(env: Mapping[str, str]) -> bool:
    """Tell whether ``env`` names an account (``SMSC_LOGIN`` or ``SMSC_APIKEY``)."""
    return bool(env.get(ENV_LOGIN) or env.get(ENV_APIKEY))


def client_arguments(
    env: Mapping[str, str], options: Mapping[str, Any]
) -> tuple[dict[str, Any], RedisGate | None]:
    """Return the client's arguments from ``env`` and ``options``, and the gate made for it.

    A variable set to an empty string counts as unset. Options win over the variables.

    Raises:
        ValueError: No credentials, half of them, both kinds, or a malformed server root or
            Redis URL; the message names the variable, never its value.
    """
    login, password, apikey, base_url = (
        env.get(name) or None for name in (ENV_LOGIN, ENV_PASSWORD, ENV_APIKEY, ENV_BASE_URL)
    )
    kwargs = dict(options)
    if base_url is not None and "base_url" not in kwargs:
        try:
            normalise_base_url(base_url)
        except ValueError as exc:  # say which variable holds it (the message has no value)
            raise ValueError(f"{ENV_BASE_URL}: {exc}") from None
        kwargs["base_url"] = base_url
    if apikey is not None:
        if login is not None:
            raise ValueError(f"both {ENV_APIKEY} and {ENV_LOGIN} are set; unset one of them")
        kwargs["apikey"] = apikey
    elif login is None and password is None:
        raise ValueError(
            f"no SMSC credentials: set {ENV_LOGIN} and {ENV_PASSWORD}, or {ENV_APIKEY}"
        )
    elif login is None or password is None:
        missing = ENV_PASSWORD if password is None else ENV_LOGIN
        raise ValueError(f"{missing} is not set; set {ENV_LOGIN} and {ENV_PASSWORD} together")
    else:
        kwargs.update(login=login, password=password)
    gate = _gate(env, kwargs)
    if gate is not None:
        kwargs["gate"] = gate
    return kwargs, gate


def _gate(env: Mapping[str, str], options: Mapping[str, Any]) -> RedisGate | None:
    """Make the Redis gate ``SMSC_REDIS_URL`` names, unless a gate is given or it is unset."""
    url = env.get(ENV_REDIS_URL) or None
    if url is None or "gate" in options:
        return None
    from .redis import RedisGate  # only now: redis-py is an optional extra

    try:
        return RedisGate.from_url(url, margin=options.get("rate_margin", 1.0))
    except ValueError as exc:  # say which variable holds it (the message has no value)
        raise ValueError(f"{ENV_REDIS_URL}: {exc}") from None
