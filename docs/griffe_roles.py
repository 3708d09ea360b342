"""Griffe extension for the documentation site: read the docstrings' reST markup as Markdown.

The docstrings of smsc_async are written for ``help()`` and editors, with Sphinx roles such as
``:class:`~smsc_async.errors.SMSCError``` and ``:meth:`get_status``` and ``Example::`` literal
blocks. mkdocstrings reads Markdown, so before the docstrings are rendered this extension
rewrites each role into an autorefs link (``[`SMSCError`][smsc_async.errors.SMSCError]``),
resolving relative names in the scope of the documented object, and each literal block into a
fenced code block (Python when it parses as Python). autorefs reports a link it cannot resolve
on a rendered page, and ``mkdocs build --strict`` fails on it, so a broken reference never
reaches the site.
"""

from __future__ import annotations

import ast
import contextlib
import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|exc|obj|const):`(?P<body>[^`]+)`")
_CALLABLE_ROLES = (":meth:", ":func:")
_ROOTS = ("smsc_async", "smsc_async.emulator")
_EXTERNAL = frozenset(
    {"aiohttp", "asyncio", "contextlib", "datetime", "decimal", "enum", "msgspec", "os", "typing"}
)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in docstrings as autorefs cross-references."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Rewrite the docstrings of a package once all of it is loaded (names resolve then)."""
        if pkg.name == _ROOTS[0]:
            _walk(pkg, loader)


def _walk(obj: griffe.Object | griffe.Alias, loader: griffe.GriffeLoader) -> None:
    _rewrite(obj, loader)
    for member in obj.members.values():
        if not member.is_alias:
            _walk(member, loader)


def _rewrite(obj: griffe.Object | griffe.Alias, loader: griffe.GriffeLoader) -> None:
    """Rewrite the roles and literal blocks of one object's docstring."""
    if obj.docstring is None or not (":`" in obj.docstring.value or "::" in obj.docstring.value):
        return
    docstring = obj.docstring

    def replace(match: re.Match[str]) -> str:
        body = match.group("body")
        short = body.startswith("~")
        name = body.lstrip("~")
        text = name.rsplit(".", 1)[-1] if short else name
        if match.group(0).startswith(_CALLABLE_ROLES):
            text += "()"
        if name.partition(".")[0] in _EXTERNAL:
            return f"`{text}`"  # the standard library and dependencies: not documented here
        # An unresolved name still becomes a link: autorefs then reports it, with its source
        # line, if and only if the docstring is rendered on a page.
        target = _resolve(obj, name, loader) or name
        return f"[`{text}`][{target}]"

    docstring.value = _literal_blocks(_ROLE.sub(replace, docstring.value))


def _literal_blocks(text: str) -> str:
    """Turn reST literal blocks (a paragraph ending in ``::``) into fenced code blocks."""
    if "::\n" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not (line.endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip()):
            out.append(line)
            i += 1
            continue
        # "Example::" reads "Example:"; "as a stream::" reads "as a stream:".
        out.append(line[:-1])
        margin = len(line) - len(line.lstrip())
        end = i + 2
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > margin
        ):
            end += 1
        while end > i + 2 and not lines[end - 1].strip():
            end -= 1
        code = textwrap.dedent("\n".join(lines[i + 2 : end]))
        indent = " " * margin
        out += ["", f"{indent}```{_language(code)}"]
        out += [f"{indent}{row}" if row else "" for row in code.split("\n")]
        out += [f"{indent}```"]
        i = end
    return "\n".join(out)


def _language(code: str) -> str:
    try:
        ast.parse(code)
    except SyntaxError:
        return "text"
    return "python"


def _resolve(
    obj: griffe.Object | griffe.Alias, name: str, loader: griffe.GriffeLoader
) -> str | None:
    """Return the full path ``name`` stands for in the scope of ``obj``, or ``None``."""
    if name.startswith("."):  # relative to the module's package, as in an import
        level = len(name) - len(name.lstrip("."))
        package = obj.module.path.rsplit(".", level)[0]
        name = f"{package}.{name.lstrip('.')}"
    first, _, rest = name.partition(".")
    candidates: list[str] = []
    with contextlib.suppress(griffe.NameResolutionError):
        candidates.append(obj.resolve(first))
    candidates.extend(f"{root}.{first}" for root in _ROOTS)  # e.g. SMSCClient, Emulator
    if first == _ROOTS[0]:
        candidates.append(first)  # already a full path
    for base in candidates:
        path = f"{base}.{rest}" if rest else base
        try:
            found = loader.modules_collection[path]
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        if found.is_attribute and not found.docstring and found.parent is not None:
            # A field listed in its class's "Attributes:" table has no heading of its own.
            return str(found.parent.path)
        return path
    return None
