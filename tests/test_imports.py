"""What ``import smsc_async`` loads: only what sending needs; the rest on first use."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys

import pytest

import smsc_async
from smsc_async import SMSCClient

# Modules a client that only sends never needs: each is imported when first used.
_DEFERRED = (
    "aiohttp.web",
    "csv",
    "smsc_async._contact_models",
    "smsc_async._export_files",
    "smsc_async._export_rows",
    "smsc_async._export_writer",
    "smsc_async.bulk",
    "smsc_async.callbacks",
    "smsc_async.contacts",
    "smsc_async.documents",
    "smsc_async.emulator",
    "smsc_async.exports",
    "smsc_async.jobs",
    "smsc_async.redis",
    "smsc_async._redis_admission",
    "redis",
    "smsc_async.senders",
    "smsc_async.subclients",
    "smsc_async.templates",
)

_NAMESPACES = {
    "contacts": "Contacts",
    "mail_contacts": "Contacts",
    "senders": "Senders",
    "subclients": "Subclients",
    "documents": "Documents",
    "templates": "Templates",
    "operator_templates": "OperatorTemplates",
    "jobs": "Jobs",
    "inbound_numbers": "InboundNumbers",
    "exports": "Exports",
    "bulk": "Bulk",
}


async def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (this one has the emulator loaded); return stdout."""
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.asyncio
async def test_importing_the_package_leaves_the_optional_modules_out() -> None:
    code = (
        "import sys, smsc_async\n"
        f"print(sorted(m for m in {_DEFERRED!r} if m in sys.modules))\n"
        "smsc_async.SMSCClient('login', 'password')\n"
        f"print(sorted(m for m in {_DEFERRED!r} if m in sys.modules))\n"
    )
    assert (await run_python(code)).splitlines() == ["[]", "[]"]


@pytest.mark.asyncio
async def test_importing_the_package_leaves_the_command_line_out() -> None:
    code = (
        "import sys, smsc_async\n"
        "print(sorted(m for m in ('smsc_async.cli', 'click', 'rich') if m in sys.modules))\n"
    )
    assert (await run_python(code)).strip() == "[]"


@pytest.mark.asyncio
async def test_a_name_loads_its_module_on_first_access() -> None:
    code = (
        "import sys, smsc_async\n"
        "from smsc_async import parse_callback, MessageStatusEvent\n"
        "assert parse_callback.__module__ == 'smsc_async.callbacks'\n"
        "assert smsc_async.MessageStatusEvent is MessageStatusEvent\n"
        "assert 'aiohttp.web' in sys.modules\n"
        "assert 'smsc_async.senders' not in sys.modules\n"
        "print(smsc_async.SenderName.__module__)\n"
    )
    assert (await run_python(code)).strip() == "smsc_async.senders"


@pytest.mark.asyncio
async def test_a_namespace_loads_its_module_on_first_use() -> None:
    code = (
        "import sys, smsc_async\n"
        "smsc = smsc_async.SMSCClient('login', 'password')\n"
        "assert 'smsc_async.exports' not in sys.modules\n"
        "print(type(smsc.exports).__module__)\n"
        "assert 'smsc_async.contacts' not in sys.modules\n"
    )
    assert (await run_python(code)).strip() == "smsc_async.exports"


@pytest.mark.asyncio
async def test_every_namespace_is_built_once_with_its_class() -> None:
    smsc = SMSCClient("login", "password")
    for attribute, class_name in _NAMESPACES.items():
        namespace = getattr(smsc, attribute)
        assert type(namespace).__name__ == class_name, attribute
        assert getattr(smsc, attribute) is namespace, attribute
        assert getattr(SMSCClient, attribute).__doc__, attribute
    assert smsc.contacts is not smsc.mail_contacts
    assert "mails.php" in (SMSCClient.mail_contacts.__doc__ or "")


@pytest.mark.asyncio
async def test_every_exported_name_resolves_and_is_listed() -> None:
    exported = set(smsc_async.__all__)
    assert len(exported) == len(smsc_async.__all__)
    assert exported <= set(dir(smsc_async))
    assert set(smsc_async._LAZY) <= exported
    for name, module in smsc_async._LAZY.items():
        source = importlib.import_module(f"smsc_async.{module}")
        assert getattr(smsc_async, name) is getattr(source, name), name
    star: dict[str, object] = {}
    exec("from smsc_async import *", star)  # the star import is what is tested
    assert exported <= star.keys()


@pytest.mark.asyncio
async def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = smsc_async.Nothing
    assert not hasattr(smsc_async, "contacts_module")


@pytest.mark.asyncio
async def test_command_modules_are_attributes_of_the_package() -> None:
    for name in ("bulk", "contacts", "exports", "senders", "callbacks"):
        module = getattr(smsc_async, name)
        assert module.__name__ == f"smsc_async.{name}"
    assert smsc_async.__getattr__("jobs").Jobs is smsc_async.Jobs
