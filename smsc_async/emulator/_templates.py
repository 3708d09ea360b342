"""templates.php and op_templates.php.

Per account: message templates (add/chg/del/get) and operator templates (add/get). SMSC's
success answers for these scripts are not captured (smsc-api.md §17, gap 7); the emulator
answers like the documented scripts: a create gives ``{"id": n}``, a change or delete
``{"result": "OK"}``, a list a JSON array of records named like the request parameters, and an
empty list error 3 ("no records found").

Quirk reproduced: SMSC has been seen answering errors of template updates as plain text
``ERROR = N (description)`` even with ``fmt=3`` (smsc-api.md §3.4a). Every error of
``templates.php?chg=1`` is answered that way, whatever ``fmt`` asked. Because the handler
writes that body itself, such an answer is recorded without ``answered_error`` and counts in
the limits window like a success.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ._controls import Controls
from ._params import is_set, parse_int, pick_command
from ._render import render_id, render_ok, render_records
from ._store import Call, Store
from ._types import ApiFailure

__all__ = [
    "OPERATOR_FLAGS",
    "TEMPLATE_FORMATS",
    "StoredOperatorTemplate",
    "StoredTemplate",
    "TemplatesControls",
    "handle_op_templates",
    "handle_templates",
]

TEMPLATE_FORMATS = frozenset({"", "sms", "flash", "bin", "push", "mms", "call", "mail", "viber"})
"""The ``format`` values templates.php accepts (empty: not specified)."""

OPERATOR_FLAGS = (
    "mts_srv",
    "mts_trn",
    "mega_srv",
    "mega_trn",
    "bee_srv",
    "bee_trn",
    "tele2_srv",
    "tele2_trn",
)
"""The operator flags of op_templates.php, in SMSC's order."""

_NO_RECORDS = "no records found"
_NOT_FOUND = "template not found"
_PARAMS = "parameters error"
_MAX_ID = 2_147_483_647


@dataclass(slots=True)
class StoredTemplate:
    """One message template as the emulator keeps it.

    Attributes:
        id: The id assigned at creation.
        name: ``name``.
        text: ``msg``.
        format: ``format`` (``""`` when not specified).
        sender: ``sender`` (``""`` when none).
        auto_signature: ``fl[1]=1``.
    """

    id: int
    name: str
    text: str
    format: str = ""
    sender: str = ""
    auto_signature: bool = False


@dataclass(slots=True)
class StoredOperatorTemplate:
    """One operator template as the emulator keeps it.

    Attributes:
        id: The id assigned at creation.
        sender: ``sender``.
        text: ``msg``.
        flags: The operator flags that were set (``mts_srv``, ``mega_trn``, ...).
        status: The registration status answered in lists; 0 (under review) until a test
            changes it with :meth:`TemplatesControls.set_operator_template_status`.
    """

    id: int
    sender: str
    text: str
    flags: frozenset[str]
    status: int = 0


@dataclass(slots=True)
class _TemplatesBook:
    templates: dict[int, StoredTemplate] = field(default_factory=dict)
    operator_templates: dict[int, StoredOperatorTemplate] = field(default_factory=dict)


def _book(store: Store, login: str) -> _TemplatesBook:
    return store.book(login, _TemplatesBook)


class TemplatesControls(Controls):
    """Inspection of the templates an account holds (mixed into ``Emulator``)."""

    def templates(self, login: str | None = None) -> list[StoredTemplate]:
        """Return copies of an account's message templates (default: the first account)."""
        login = self._state(login).account.login
        return [replace(t) for t in _book(self._store, login).templates.values()]

    def operator_templates(self, login: str | None = None) -> list[StoredOperatorTemplate]:
        """Return copies of an account's operator templates, oldest first."""
        login = self._state(login).account.login
        return [replace(t) for t in _book(self._store, login).operator_templates.values()]

    def set_operator_template_status(
        self, template_id: int, status: int, login: str | None = None
    ) -> None:
        """Set the registration status an operator template shows in lists.

        Raises:
            KeyError: The account has no operator template with this id.
        """
        login = self._state(login).account.login
        try:
            _book(self._store, login).operator_templates[template_id].status = status
        except KeyError:
            raise KeyError(f"{login!r} has no operator template {template_id}") from None


# --- templates.php ----------------------------------------------------------------------------


def _text(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise ApiFailure(1, _PARAMS)
    return value


def _format(params: dict[str, str]) -> str:
    value = params.get("format", "").strip().lower()
    if value not in TEMPLATE_FORMATS:
        raise ApiFailure(1, _PARAMS)
    return value


def _template_id(params: dict[str, str]) -> int:
    if not params.get("id", "").strip():
        raise ApiFailure(1, _PARAMS)
    return parse_int(params.get("id"), 0, lo=1, hi=_MAX_ID)


def _template_row(template: StoredTemplate) -> dict[str, object]:
    return {
        "id": template.id,
        "name": template.name,
        "msg": template.text,
        "format": template.format,
        "sender": template.sender,
        "fl": 1 if template.auto_signature else 0,
    }


def handle_templates(store: Store, call: Call) -> str:
    """Answer templates.php: ``add=1``, ``chg=1``, ``del=1``, ``get=1``."""
    params = call.params
    book = _book(store, call.account.account.login)
    command = pick_command(params, ("add", "chg", "del", "get"))
    if command == "add":
        template = StoredTemplate(
            id=store.new_id(),
            name=_text(params, "name"),
            text=_text(params, "msg"),
            format=_format(params),
            sender=params.get("sender", "").strip(),
            auto_signature=is_set(params, "fl[1]"),
        )
        book.templates[template.id] = template
        return render_id(call.fmt, template.id)
    if command == "chg":
        try:
            _change(book, params)
        except ApiFailure as failure:
            # The quirk of §3.4a: plain text whatever fmt asked.
            raise ApiFailure(failure.code, failure.text, plain_text=True) from None
        return render_ok(call.fmt)
    if command == "del":
        template_id = _template_id(params)
        if book.templates.pop(template_id, None) is None:
            raise ApiFailure(3, _NOT_FOUND)
        return render_ok(call.fmt)
    if not book.templates:
        raise ApiFailure(3, _NO_RECORDS)
    rows = [_template_row(t) for t in book.templates.values()]
    return render_records(call.fmt, rows, item="template")


def _change(book: _TemplatesBook, params: dict[str, str]) -> None:
    template = book.templates.get(_template_id(params))
    if template is None:
        raise ApiFailure(3, _NOT_FOUND)
    # Check every field before changing any, so a refused change leaves the template as it was.
    name = _text(params, "name") if "name" in params else template.name
    text = _text(params, "msg") if "msg" in params else template.text
    fmt = _format(params) if "format" in params else template.format
    sender = params["sender"].strip() if "sender" in params else template.sender
    signature = is_set(params, "fl[1]") if "fl[1]" in params else template.auto_signature
    if not {"name", "msg", "format", "sender", "fl[1]"} & params.keys():
        raise ApiFailure(1, _PARAMS)
    template.name, template.text, template.format = name, text, fmt
    template.sender, template.auto_signature = sender, signature


# --- op_templates.php -------------------------------------------------------------------------


def _operator_row(template: StoredOperatorTemplate) -> dict[str, object]:
    row: dict[str, object] = {"id": template.id, "sender": template.sender, "msg": template.text}
    row.update({flag: 1 if flag in template.flags else 0 for flag in OPERATOR_FLAGS})
    row["status"] = template.status
    return row


def handle_op_templates(store: Store, call: Call) -> str:
    """Answer op_templates.php: ``add=1`` (at least one operator flag) and ``get=1``."""
    params = call.params
    book = _book(store, call.account.account.login)
    command = pick_command(params, ("add", "get"))
    if command == "add":
        flags = frozenset(flag for flag in OPERATOR_FLAGS if is_set(params, flag))
        sender, text = _text(params, "sender"), _text(params, "msg")
        if not flags:
            raise ApiFailure(1, _PARAMS)
        template = StoredOperatorTemplate(id=store.new_id(), sender=sender, text=text, flags=flags)
        book.operator_templates[template.id] = template
        return render_id(call.fmt, template.id)
    if not book.operator_templates:
        raise ApiFailure(3, _NO_RECORDS)
    rows = [_operator_row(t) for t in book.operator_templates.values()]
    return render_records(call.fmt, rows, item="template")
