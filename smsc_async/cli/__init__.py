"""The ``smsc`` command line: send SMS and manage an SMSC account from a shell.

Installed as ``smsc`` with the ``cli`` extra (``pip install 'smsc-async[cli]'``, which adds
click and rich); ``python -m smsc_async`` runs the same. Credentials come from the environment
(``SMSC_LOGIN``/``SMSC_PASSWORD`` or ``SMSC_APIKEY``, and ``SMSC_BASE_URL``), never from an
option. ``smsc --help`` lists the commands, the exit codes and the ``--sandbox`` data set::

    smsc --sandbox send +79991234567 --text "Hello"
    smsc --json balance
    smsc --sandbox status --wait 1001 +79990000001

Importing this package needs neither click nor rich; :func:`main` says how to install them
when they are missing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_NEEDED = ("click", "rich")
_INSTALL = "error: the smsc command needs click and rich: pip install 'smsc-async[cli]'"


def _missing(exc: ImportError) -> bool:
    name = exc.name or ""
    return any(name == needed or name.startswith(f"{needed}.") for needed in _NEEDED)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``smsc`` command line and return its exit code.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The exit code (``smsc --help`` lists them); 2 when click or rich is not installed.
    """
    try:
        from ._app import run
    except ImportError as exc:
        if not _missing(exc):
            raise
        print(_INSTALL, file=sys.stderr)
        return 2
    return run(argv)
