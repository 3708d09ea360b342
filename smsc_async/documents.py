"""Invoices and acts of subclients: documents.php.

SMSC's documentation does not show the answers of documents.php: creating an invoice is read as
``{"id": N}``, and the invoice and act themselves come back as files (bytes), while an SMSC error
in their place still raises.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from ._api import Namespace, decoder
from ._endpoints import Endpoint
from ._validate import check_amount, check_id, check_str

__all__ = ["Documents"]

_DOCUMENTS: Final = "documents.php"


class _Invoice(msgspec.Struct, frozen=True):
    id: int


DOCUMENTS_ADD_INVOICE: Final = Endpoint(
    "documents", _DOCUMENTS, {"add_account": "1"}, safe=False, decoder=decoder(_Invoice)
)
DOCUMENTS_INVOICE: Final[Endpoint[None]] = Endpoint(
    "documents", _DOCUMENTS, {"get_account": "1"}, safe=True, decoder=None
)
DOCUMENTS_ACT: Final[Endpoint[None]] = Endpoint(
    "documents", _DOCUMENTS, {"get_act": "1"}, safe=True, decoder=None
)


def _one_user(user: str | None, user_id: int | None, *, required: bool) -> dict[str, str]:
    if user is not None and user_id is not None:
        raise TypeError("give user or user_id, not both")
    if user is not None:
        return {"user": check_str(user, "user")}
    if user_id is not None:
        return {"user_id": check_id(user_id, "user_id")}
    if required:
        raise TypeError("give the subclient: user (its login) or user_id")
    return {}


class Documents(Namespace):
    """Invoices and acts of subclients (documents.php), as ``smsc.documents``."""

    __slots__ = ()

    async def add_invoice(
        self,
        amount: Decimal | int | str,
        service: str,
        *,
        user: str | None = None,
        user_id: int | None = None,
    ) -> int:
        """Create an invoice for a subclient.

        SMSC: ``documents.php`` ``add_account=1``.

        Args:
            amount: The sum in the subclient's currency (``sum``): positive, never a float.
            service: The service named on the invoice (``service``).
            user: The subclient's login, or
            user_id: its id (exactly one of the two).

        Returns:
            The invoice id. SMSC's answer is not documented; the client reads ``{"id": N}``.

        Raises:
            TypeError: Neither or both of user and user_id; a float amount.
            ValueError: A zero or negative amount, an empty service.
            NotFoundError: No such subclient (error 3).
            BadRequestError: SMSC refused the parameters (error 1).
            ResponseDecodeError: An answer without the invoice id.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, RateLimitedError: no usable answer, or the gate
                would wait too long (as for every request).
        """
        fields = {
            **_one_user(user, user_id, required=True),
            "sum": check_amount(amount, "amount"),
            "service": check_str(service, "service"),
        }
        created = await self._client._request(DOCUMENTS_ADD_INVOICE, fields)
        return created.id

    async def get_invoice(
        self, id: int, *, user: str | None = None, user_id: int | None = None
    ) -> bytes:
        """Download an invoice (the document file, usually a PDF).

        SMSC: ``documents.php`` ``get_account=1``.

        Args:
            id: The invoice id.
            user: The subclient's login, or
            user_id: its id (at most one of the two).

        Returns:
            The file's bytes.

        Raises:
            TypeError: Both user and user_id.
            ValueError: An id that is not a number.
            NotFoundError: No such invoice (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = {"id": check_id(id, "id"), **_one_user(user, user_id, required=False)}
        return await self._client._request_bytes(DOCUMENTS_INVOICE, fields)

    async def get_act(self, id: int | None = None, *, number: str | None = None) -> bytes:
        """Download an act (the document file, usually a PDF).

        SMSC: ``documents.php`` ``get_act=1``.

        Args:
            id: The act id, or
            number: the act's number (``num``) (exactly one of the two).

        Returns:
            The file's bytes.

        Raises:
            TypeError: Neither or both of id and number.
            ValueError: An id that is not a number, an empty number.
            NotFoundError: No such act (error 3).
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        if (id is None) == (number is None):
            raise TypeError("give either id or number (exactly one)")
        fields = (
            {"id": check_id(id, "id")} if id is not None else {"num": check_str(number, "number")}
        )
        return await self._client._request_bytes(DOCUMENTS_ACT, fields)
