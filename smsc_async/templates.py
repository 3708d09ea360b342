"""Message templates (templates.php) and operator templates (op_templates.php).

Reached through the client: ``smsc.templates`` keeps the account's own message templates (a
name, a text and defaults for sending), ``smsc.operator_templates`` the templates registered
with the mobile operators for service and transactional traffic.

SMSC's documentation does not show the answers of these scripts. By analogy
with the documented scripts, a create answers ``{"id": n}``, a change or delete
``{"result": "OK"}`` and a list a JSON array; the models below accept what is plausible and
ignore anything else, and their docstrings say which field names are assumed.

Quirk: templates.php has been seen answering a plain-text ``ERROR = N (description)`` to a
template update even when JSON was asked for. The client's decoding
recognises that form, so such an answer raises the same error class as its JSON twin.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Collection
from typing import Final

import msgspec

from ._api import Namespace, decoder
from ._endpoints import Endpoint
from ._validate import check_flag, check_id, check_str

__all__ = [
    "OperatorTemplate",
    "OperatorTemplateKind",
    "OperatorTemplates",
    "Template",
    "TemplateFormat",
    "Templates",
]


# --- answers the table decodes ---------------------------------------------------------------


class _Created(msgspec.Struct, frozen=True, kw_only=True):
    # The id of a created record; assumed {"id": n} like phones.php/senders.php (gap).
    id: int


class _MaybeCreated(msgspec.Struct, frozen=True, kw_only=True):
    id: int | None = None


# --- models -----------------------------------------------------------------------------------


class TemplateFormat(enum.StrEnum):
    """Message type a template is meant for (templates.php ``format``).

    Values SMSC adds later are tolerated in answers: they become pseudo-members named
    ``UNKNOWN_<value>`` that still compare equal to their text. Only the members below are
    accepted in requests.
    """

    UNSPECIFIED = ""
    """No type given: the template suits any message."""
    SMS = "sms"
    """Plain SMS."""
    FLASH = "flash"
    """Flash SMS, shown at once on the screen."""
    BINARY = "bin"
    """Binary SMS."""
    PUSH = "push"
    """WAP push."""
    MMS = "mms"
    """MMS."""
    CALL = "call"
    """Voice message."""
    MAIL = "mail"
    """E-mail."""
    VIBER = "viber"
    """Viber message."""

    @classmethod
    def _missing_(cls, value: object) -> TemplateFormat | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


_FORMATS: Final = frozenset(member.value for member in TemplateFormat)


class Template(msgspec.Struct, frozen=True, kw_only=True):
    """One message template of the account (templates.php ``get=1``).

    SMSC's answer shape is not documented; the field names are assumed to be those of the
    request (``id``, ``name``, ``msg``, ``format``, ``sender``, ``fl``), and every field but the
    id is optional.

    Attributes:
        id: The template id SMSC assigned (also usable as jobs.php ``tpl``).
        name: The template name.
        text: The message text (``msg``).
        format: The message type the template is meant for; a plain int should SMSC answer a
            numeric code (the request takes names; what the list answers is not documented).
        sender: The sender name the template sends with, ``""`` when none.
        flags: SMSC's flag value (``fl``); templates.php documents one flag only, so any
            non-zero value means "auto-signature" (see :attr:`auto_signature`).
    """

    id: int
    name: str = ""
    text: str = msgspec.field(name="msg", default="")
    format: TemplateFormat | int = TemplateFormat.UNSPECIFIED
    sender: str = ""
    flags: int | bool = msgspec.field(name="fl", default=0)

    @property
    def auto_signature(self) -> bool:
        """Whether the template is used as the automatic signature of messages (``fl[1]``)."""
        return bool(self.flags)


class OperatorTemplateKind(enum.StrEnum):
    """Which operator a template is registered with, for which traffic (op_templates.php).

    Each value is the name of SMSC's flag parameter (sent as ``<flag>=1``). "Service"
    templates carry informational traffic, "transactional" ones codes and notifications.
    """

    MTS_SERVICE = "mts_srv"
    """MTS, service messages."""
    MTS_TRANSACTIONAL = "mts_trn"
    """MTS, transactional messages."""
    MEGAFON_SERVICE = "mega_srv"
    """MegaFon, service messages."""
    MEGAFON_TRANSACTIONAL = "mega_trn"
    """MegaFon, transactional messages."""
    BEELINE_SERVICE = "bee_srv"
    """Beeline, service messages."""
    BEELINE_TRANSACTIONAL = "bee_trn"
    """Beeline, transactional messages."""
    TELE2_SERVICE = "tele2_srv"
    """Tele2, service messages."""
    TELE2_TRANSACTIONAL = "tele2_trn"
    """Tele2, transactional messages."""


class OperatorTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """One template registered with the operators (op_templates.php ``get=1``).

    SMSC's answer shape is not documented; the field names are assumed to be those of the
    request (``sender``, ``msg`` and the operator flags) plus ``id`` and ``status``, all
    optional.

    Attributes:
        id: The template id, when SMSC sends one.
        sender: The sender name the template is registered for.
        text: The template text (``msg``).
        status: The registration status as SMSC reports it (its codes are not documented).
        mts_service: ``mts_srv`` flag.
        mts_transactional: ``mts_trn`` flag.
        megafon_service: ``mega_srv`` flag.
        megafon_transactional: ``mega_trn`` flag.
        beeline_service: ``bee_srv`` flag.
        beeline_transactional: ``bee_trn`` flag.
        tele2_service: ``tele2_srv`` flag.
        tele2_transactional: ``tele2_trn`` flag.
    """

    id: int | None = None
    sender: str = ""
    text: str = msgspec.field(name="msg", default="")
    status: int | str | None = None
    mts_service: int | bool = msgspec.field(name="mts_srv", default=0)
    mts_transactional: int | bool = msgspec.field(name="mts_trn", default=0)
    megafon_service: int | bool = msgspec.field(name="mega_srv", default=0)
    megafon_transactional: int | bool = msgspec.field(name="mega_trn", default=0)
    beeline_service: int | bool = msgspec.field(name="bee_srv", default=0)
    beeline_transactional: int | bool = msgspec.field(name="bee_trn", default=0)
    tele2_service: int | bool = msgspec.field(name="tele2_srv", default=0)
    tele2_transactional: int | bool = msgspec.field(name="tele2_trn", default=0)

    @property
    def kinds(self) -> frozenset[OperatorTemplateKind]:
        """The operators and traffic types whose flag is set."""
        flags = {
            OperatorTemplateKind.MTS_SERVICE: self.mts_service,
            OperatorTemplateKind.MTS_TRANSACTIONAL: self.mts_transactional,
            OperatorTemplateKind.MEGAFON_SERVICE: self.megafon_service,
            OperatorTemplateKind.MEGAFON_TRANSACTIONAL: self.megafon_transactional,
            OperatorTemplateKind.BEELINE_SERVICE: self.beeline_service,
            OperatorTemplateKind.BEELINE_TRANSACTIONAL: self.beeline_transactional,
            OperatorTemplateKind.TELE2_SERVICE: self.tele2_service,
            OperatorTemplateKind.TELE2_TRANSACTIONAL: self.tele2_transactional,
        }
        return frozenset(kind for kind, flag in flags.items() if flag)


# --- the endpoint table -----------------------------------------------------------------------

_SCRIPT: Final = "templates.php"
TEMPLATE_ADD: Final = Endpoint(
    "templates", _SCRIPT, {"add": "1"}, safe=False, decoder=decoder(_Created)
)
TEMPLATE_CHANGE: Final[Endpoint[None]] = Endpoint(
    "templates", _SCRIPT, {"chg": "1"}, safe=False, decoder=None
)
TEMPLATE_DELETE: Final[Endpoint[None]] = Endpoint(
    "templates", _SCRIPT, {"del": "1"}, safe=False, decoder=None
)
TEMPLATE_LIST: Final = Endpoint(
    "templates", _SCRIPT, {"get": "1"}, safe=True, decoder=decoder(list[Template])
)

_OP_SCRIPT: Final = "op_templates.php"
OPERATOR_TEMPLATE_ADD: Final = Endpoint(
    "op_templates", _OP_SCRIPT, {"add": "1"}, safe=False, decoder=decoder(_MaybeCreated)
)
OPERATOR_TEMPLATE_LIST: Final = Endpoint(
    "op_templates", _OP_SCRIPT, {"get": "1"}, safe=True, decoder=decoder(list[OperatorTemplate])
)


# --- argument checks --------------------------------------------------------------------------


def _check_format(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"format must be a TemplateFormat, got {value!r}")
    if value not in _FORMATS:
        allowed = ", ".join(repr(v) for v in sorted(_FORMATS))
        raise ValueError(f"format must be a TemplateFormat (one of {allowed}); got {value!r}")
    return str(value)


def _template_fields(
    name: str | None,
    text: str | None,
    format: TemplateFormat | str | None,
    sender: str | None,
    auto_signature: bool | None,
) -> dict[str, str]:
    fields: dict[str, str] = {}
    if name is not None:
        fields["name"] = check_str(name, "name")
    if text is not None:
        fields["msg"] = check_str(text, "text")
    if format is not None:
        fields["format"] = _check_format(format)
    if sender is not None:
        fields["sender"] = check_str(sender, "sender")
    if auto_signature is not None:
        fields["fl[1]"] = check_flag(auto_signature, "auto_signature")
    return fields


def _check_kinds(kinds: object) -> list[str]:
    if isinstance(kinds, str) or not isinstance(kinds, Collection):
        raise TypeError(
            "kinds must be a collection of OperatorTemplateKind, e.g. "
            "{OperatorTemplateKind.MTS_SERVICE}"
        )
    known = {kind.value for kind in OperatorTemplateKind}
    chosen: set[str] = set()
    for kind in kinds:
        if not isinstance(kind, str):
            raise TypeError(f"kinds must hold OperatorTemplateKind members, got {kind!r}")
        if kind not in known:
            allowed = ", ".join(sorted(known))
            raise ValueError(f"unknown operator template kind {kind!r}; use one of {allowed}")
        chosen.add(str(kind))
    if not chosen:
        raise ValueError("kinds is empty; give at least one OperatorTemplateKind")
    return sorted(chosen)


# --- namespaces -------------------------------------------------------------------------------


class Templates(Namespace):
    """Message templates of the account (``smsc.templates``, templates.php).

    SMSC allows no more than 3 identical templates.php requests per minute; the client's
    limits gate spaces them.
    """

    __slots__ = ()

    async def add(
        self,
        name: str,
        text: str,
        *,
        format: TemplateFormat | str = TemplateFormat.UNSPECIFIED,
        sender: str | None = None,
        auto_signature: bool = False,
    ) -> int:
        """Create a message template.

        SMSC: ``templates.php`` ``add=1``.

        Args:
            name: The template name.
            text: The message text.
            format: The message type the template is meant for (default: any).
            sender: The sender name to send with; ``None`` for none.
            auto_signature: Use the template as the automatic signature (``fl[1]=1``).

        Returns:
            The id SMSC assigned to the template.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: An empty name, text or sender, or an unknown format.
            BadRequestError: SMSC refused the parameters (error 1).
            ResponseDecodeError: The answer carries no id.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        fields = _template_fields(name, text, format, sender, auto_signature)
        created = await self._client._request(TEMPLATE_ADD, fields)
        return created.id

    async def change(
        self,
        id: int | str,
        *,
        name: str | None = None,
        text: str | None = None,
        format: TemplateFormat | str | None = None,
        sender: str | None = None,
        auto_signature: bool | None = None,
    ) -> None:
        """Change a template; only the fields given are sent.

        SMSC: ``templates.php`` ``chg=1``.

        SMSC has been seen answering errors of this command in plain text even when JSON was
        asked for; they raise the same classes as JSON errors.

        Args:
            id: The template id.
            name: New name.
            text: New message text.
            format: New message type (``TemplateFormat.UNSPECIFIED`` clears it).
            sender: New sender name.
            auto_signature: Use (or stop using) the template as the automatic signature.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: No field to change, an empty value, an unknown format, or an id that is
                not a number.
            NotFoundError: No template with this id (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        template_id = check_id(id, "id")
        fields = _template_fields(name, text, format, sender, auto_signature)
        if not fields:
            raise ValueError(
                "nothing to change; give at least one of name, text, format, sender, auto_signature"
            )
        await self._client._command(TEMPLATE_CHANGE, {"id": template_id, **fields})

    async def delete(self, id: int | str) -> None:
        """Delete a template.

        SMSC: ``templates.php`` ``del=1``.

        Args:
            id: The template id.

        Raises:
            TypeError: ``id`` is not an int or str.
            ValueError: ``id`` is not a number.
            NotFoundError: No template with this id (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._client._command(TEMPLATE_DELETE, {"id": check_id(id, "id")})

    async def list(self) -> builtins.list[Template]:
        """Return every template of the account (``[]`` when there is none).

        SMSC: ``templates.php`` ``get=1``.

        Returns:
            The templates, in SMSC's order.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request_list(TEMPLATE_LIST, {})


class OperatorTemplates(Namespace):
    """Templates registered with the mobile operators (``smsc.operator_templates``).

    op_templates.php; its limits are not documented, so the client applies the common
    "3 identical requests per minute".
    """

    __slots__ = ()

    async def add(
        self,
        sender: str,
        text: str,
        *,
        kinds: Collection[OperatorTemplateKind | str],
    ) -> int | None:
        """Submit a template for registration with the operators.

        SMSC: ``op_templates.php`` ``add=1``.

        Args:
            sender: The sender name the template is for.
            text: The template text.
            kinds: The operators and traffic types to register with, at least one, e.g.
                ``{OperatorTemplateKind.MTS_SERVICE, OperatorTemplateKind.TELE2_SERVICE}``;
                each is sent as its flag ``<kind>=1``.

        Returns:
            The id SMSC assigned, or ``None`` when its answer carries none (SMSC's answer shape
            is not documented; ``{"id": n}`` is assumed and ``{"result": "OK"}`` tolerated).

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: An empty sender or text, no kind, or an unknown kind.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"sender": check_str(sender, "sender"), "msg": check_str(text, "text")}
        fields.update(dict.fromkeys(_check_kinds(kinds), "1"))
        created = await self._client._request(OPERATOR_TEMPLATE_ADD, fields)
        return created.id

    async def list(self) -> builtins.list[OperatorTemplate]:
        """Return the operator templates of the account (``[]`` when there is none).

        SMSC: ``op_templates.php`` ``get=1``.

        Returns:
            The templates, in SMSC's order.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request_list(OPERATOR_TEMPLATE_LIST, {})
