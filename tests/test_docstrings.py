"""Every public command says which SMSC script it calls and which errors it raises.

The reference site is generated from these docstrings, so the rules are checked here: each
public coroutine (or async iterator) of ``SMSCClient`` and of the namespaces reachable from it
names its ``.php`` script and has a ``Raises:`` section naming at least one class of
``smsc_async.errors``; and every name in ``smsc_async.__all__`` has a docstring.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import smsc_async
from smsc_async import SMSCClient, errors

ERROR_NAMES = frozenset(
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.SMSCError)
)
# Lifecycle, not commands: they open and close the HTTP session and call no script.
LIFECYCLE = frozenset({"open", "aclose"})
SCRIPT = re.compile(r"\b[a-z_]+\.php\b")
RAISES = re.compile(r"^Raises:\n((?:[ \t]+\S.*\n?)+)", re.MULTILINE)
WORD = re.compile(r"\b[A-Z]\w+\b")


def _returned_class(function: Callable[..., Any]) -> type | None:
    """The public class a method's return annotation names, e.g. ``Contacts``."""
    annotation = inspect.get_annotations(function).get("return")
    value = getattr(smsc_async, annotation, None) if isinstance(annotation, str) else annotation
    return value if inspect.isclass(value) else None


def _is_command(function: object) -> bool:
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        return True
    # A plain method that returns an async iterator (checks its arguments at call time).
    annotation = inspect.get_annotations(function).get("return") if callable(function) else None
    return isinstance(annotation, str) and annotation.startswith(("AsyncIterator", "AsyncGen"))


def _command_classes() -> list[type]:
    """SMSCClient, its namespaces (``smsc.contacts``, ...) and what they hand out to read."""
    classes: list[type] = [SMSCClient]
    for value in vars(SMSCClient).values():
        if isinstance(value, functools.cached_property):
            namespace = _returned_class(value.func)
            assert namespace is not None, value
            if namespace not in classes:
                classes.append(namespace)
    # smsc.exports.download() returns a Download, whose reading methods make the request.
    download = _returned_class(smsc_async.Exports.download)
    assert download is smsc_async.Download
    classes.append(download)
    return classes


def _commands() -> Iterator[tuple[str, Callable[..., Any]]]:
    seen: set[object] = set()
    for cls in _command_classes():
        for klass in cls.__mro__[:-1]:  # object has no commands
            for name, value in vars(klass).items():
                function = (
                    value.__func__ if isinstance(value, staticmethod | classmethod) else value
                )
                if name.startswith("_") or function in seen or not _is_command(function):
                    continue
                if cls is SMSCClient and name in LIFECYCLE:
                    continue
                seen.add(function)
                yield f"{cls.__name__}.{name}", function


COMMANDS = dict(_commands())


def script_problem(doc: str | None) -> str | None:
    """Say what is missing for the script rule, or ``None``."""
    if not doc or not SCRIPT.search(doc):
        return "the docstring names no SMSC script (e.g. send.php)"
    return None


def raises_problem(doc: str | None) -> str | None:
    """Say what is missing for the Raises rule, or ``None``."""
    section = RAISES.search(doc or "")
    if section is None:
        return "the docstring has no Raises: section"
    if not ERROR_NAMES & set(WORD.findall(section.group(1))):
        return "its Raises: section names no class of smsc_async.errors"
    return None


@pytest.mark.asyncio
async def test_the_walk_finds_every_family_of_commands() -> None:
    names = set(COMMANDS)
    assert len(names) > 80
    for expected in (
        "SMSCClient.call",
        "SMSCClient.send_sms",
        "SMSCClient.iter_history",  # a plain method returning an async iterator
        "SMSCClient.wait_call",
        "Contacts.iterate",
        "Senders.add",
        "Subclients.top_up",
        "Documents.get_act",
        "Templates.list",
        "OperatorTemplates.add",
        "Jobs.add",
        "InboundNumbers.buy",
        "Exports.wait",
        "Download.save_to",
        "Bulk.iter_settled",
    ):
        assert expected in names
    assert not names & {f"SMSCClient.{name}" for name in LIFECYCLE}


@pytest.mark.asyncio
async def test_the_checks_catch_a_docstring_that_lost_its_script_or_raises() -> None:
    good = """Delete a group.

    SMSC: ``phones.php`` ``del_group=1``.

    Raises:
        NotFoundError: no such group (error 3).
    """
    assert script_problem(inspect.cleandoc(good)) is None
    assert raises_problem(inspect.cleandoc(good)) is None
    assert script_problem(inspect.cleandoc(good.replace("phones.php", "phones"))) is not None
    no_raises = good.split("Raises:")[0]
    assert raises_problem(inspect.cleandoc(no_raises)) is not None
    builtins_only = good.replace("NotFoundError", "ValueError")
    assert raises_problem(inspect.cleandoc(builtins_only)) is not None
    assert script_problem(None) is not None
    assert raises_problem(None) is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(COMMANDS))
async def test_command_names_its_script_and_its_errors(name: str) -> None:
    doc = inspect.getdoc(COMMANDS[name])
    for problem in (script_problem(doc), raises_problem(doc)):
        assert problem is None, f"{name}: {problem}"


def _alias_docstrings() -> dict[str, str]:
    """Docstrings of module-level names (type aliases) of the package's modules, from source."""
    found: dict[str, str] = {}
    for path in sorted(Path(smsc_async.__file__).parent.glob("*.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for node, following in itertools.pairwise(body):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, following.value.value)
    return found


@pytest.mark.asyncio
async def test_every_exported_name_has_a_docstring() -> None:
    aliases: dict[str, str] | None = None
    missing = []
    for name in smsc_async.__all__:
        value = getattr(smsc_async, name)
        if inspect.isclass(value):
            doc = vars(value).get("__doc__")  # its own, not one inherited from a base
        elif inspect.isfunction(value):
            doc = value.__doc__
        else:  # a type alias: its docstring is the string literal after the assignment
            aliases = _alias_docstrings() if aliases is None else aliases
            doc = aliases.get(name)
        if not (doc and doc.strip()):
            missing.append(name)
    assert not missing, f"no docstring: {', '.join(missing)}"
