"""MkDocs hook: write the ``smsc`` command line's own help into the command-line page.

The page holds a ``<!-- smsc-help -->`` marker; at build time it is replaced by the output of
``smsc --help`` and of ``--help`` for every command and subcommand, found by reading the
"Commands:" list of each help text. The page therefore always matches the installed CLI.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from typing import Any

log = logging.getLogger("mkdocs.hooks.cli_help")

MARKER = "<!-- smsc-help -->"
_COMMAND_LINE = re.compile(r"^  (?P<name>[a-z][\w-]*)(?:\s{2,}.*)?$")


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Expand the marker on the page that has it."""
    if MARKER not in markdown:
        return markdown
    try:
        sections = "\n".join(_sections([]))
    except (ImportError, SystemExit, RuntimeError) as exc:
        log.warning("cannot read the smsc command's help: %s", exc)
        sections = "`smsc --help` could not be run when this page was built."
    return markdown.replace(MARKER, sections)


def _sections(path: list[str]) -> list[str]:
    """Return the page sections of ``smsc <path> --help`` and of its subcommands."""
    text = _help([*path, "--help"])
    level = "#" * min(len(path) + 2, 4)
    title = " ".join(["smsc", *path])
    out = [f"{level} `{title}`", "", "```text", text.rstrip(), "```", ""]
    for name in _subcommands(text):
        out += _sections([*path, name])
    return out


def _help(args: list[str]) -> str:
    from smsc_async.cli import main

    buffer = io.StringIO()
    program, sys.argv[0] = sys.argv[0], "smsc"  # click names the program after argv[0]
    try:
        with contextlib.redirect_stdout(buffer):
            code = main(args)
    finally:
        sys.argv[0] = program
    if code != 0:
        raise RuntimeError(f"smsc {' '.join(args)} exited with {code}")
    return buffer.getvalue()


def _subcommands(text: str) -> list[str]:
    names: list[str] = []
    listing = False
    for line in text.splitlines():
        if line == "Commands:":
            listing = True
        elif listing:
            match = _COMMAND_LINE.match(line)
            if match is not None:
                names.append(match.group("name"))
            elif not line.startswith("    "):  # not a wrapped description either: list ends
                break
    return names
