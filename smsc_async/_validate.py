"""Argument checks shared by the command modules. No I/O.

Every check returns the value as the form field SMSC reads, or raises ``TypeError`` (wrong
kind of value) / ``ValueError`` (right kind, wrong value) with a message that says what to
change, so a mistake never costs a request.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = [
    "SMSC_DATE",
    "check_amount",
    "check_choice",
    "check_date",
    "check_flag",
    "check_id",
    "check_ids",
    "check_known",
    "check_page_size",
    "check_recipients",
    "check_single",
    "check_str",
    "check_texts",
]

SMSC_DATE: Final = "%d.%m.%Y"
"""SMSC's date format in requests (``dd.mm.yyyy``)."""


def check_str(value: object, name: str, *, allow_empty: bool = False, max_len: int = 0) -> str:
    """Return a text field, stripped of surrounding blanks.

    Raises:
        TypeError: not a str.
        ValueError: empty (unless ``allow_empty``), or longer than ``max_len`` when given.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    text = value.strip()
    if not text and not allow_empty:
        raise ValueError(f"{name} is empty; give a non-empty {name}")
    if max_len and len(text) > max_len:
        raise ValueError(f"{name} is {len(text)} characters; SMSC accepts at most {max_len}")
    return text


def check_single(value: object, name: str) -> str:
    """Return one phone number or address: a non-empty str without list separators.

    Raises:
        TypeError: not a str.
        ValueError: empty, or several values in one.
    """
    text = check_str(value, name)
    if any(sep in text for sep in ",;\n"):
        raise ValueError(f"{name} takes one value here, got a list: {value!r}")
    return text


def check_recipients(value: object, name: str) -> str:
    """Return one or several phone numbers or addresses as SMSC's comma-separated list.

    Raises:
        TypeError: neither a str nor a sequence of str.
        ValueError: no value, or an empty one.
    """
    if not isinstance(value, str | Sequence):
        raise TypeError(f"{name} must be a str or a sequence of str, not {type(value).__name__}")
    from .params import join_phones  # here: params imports this module

    return join_phones(value, what=name)


def check_id(value: object, name: str) -> str:
    """Return a numeric id SMSC assigned (an int, or a str of digits).

    Raises:
        TypeError: not an int or str (``bool`` is refused too).
        ValueError: negative, or not a number.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{name} must be an int id, got {type(value).__name__}: {value!r}")
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    return str(int(text))


def check_ids(value: object, name: str) -> str:
    """Return one id or several as a comma-separated list (e.g. group ids).

    Raises:
        TypeError: not an int, a str or an iterable of them.
        ValueError: empty, or an entry that is not a number.
    """
    if isinstance(value, int | str):
        items: Iterable[object] = (
            [value] if not isinstance(value, str) else [p for p in value.split(",") if p.strip()]
        )
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise TypeError(f"{name} must be an id or a list of ids, not {type(value).__name__}")
    ids = [check_id(item, name) for item in items]
    if not ids:
        raise ValueError(f"{name} is empty; give at least one id")
    return ",".join(ids)


def check_date(value: object, name: str) -> str:
    """Return a date as ``dd.mm.yyyy``.

    Accepts a :class:`~datetime.date` (a ``datetime`` gives its date) or a str already in
    ``dd.mm.yyyy``.

    Raises:
        TypeError: not a date or str.
        ValueError: a str that is not a valid ``dd.mm.yyyy`` date.
    """
    if isinstance(value, datetime):
        return value.date().strftime(SMSC_DATE)
    if isinstance(value, date):
        return value.strftime(SMSC_DATE)
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.strptime(text, SMSC_DATE).date().strftime(SMSC_DATE)
        except ValueError:
            raise ValueError(
                f"{name} must be a date or a 'dd.mm.yyyy' string, got {value!r}"
            ) from None
    raise TypeError(f"{name} must be a datetime.date or a 'dd.mm.yyyy' str, got {value!r}")


def check_page_size(value: object, maximum: int, name: str = "cnt") -> str:
    """Return a page size between 1 and SMSC's ``maximum``.

    Raises:
        TypeError: not an int.
        ValueError: below 1 or above ``maximum``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValueError(f"{name} must be 1..{maximum} (SMSC's maximum), got {value}")
    return str(value)


def check_choice(value: object, choices: type[enum.IntEnum], name: str) -> str:
    """Return the number of an IntEnum member (or of a plain int naming one).

    Raises:
        TypeError: not an int.
        ValueError: an int that names no member.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {choices.__name__}, got {value!r}")
    try:
        return str(int(choices(value)))
    except ValueError:
        allowed = ", ".join(f"{m.name}={int(m)}" for m in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}") from None


def check_flag(value: object, name: str) -> str:
    """Return a bool as SMSC's ``1``/``0``.

    Raises:
        TypeError: not a bool.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return "1" if value else "0"


def check_amount(value: object, name: str, *, allow_negative: bool = False) -> str:
    """Return a money amount (Decimal, int, or a str holding a number) as text.

    Raises:
        TypeError: a float (inexact) or another type.
        ValueError: not a finite number, zero, or negative unless allowed.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{name} must be a Decimal, int or numeric str, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not amount.is_finite() or amount == 0 or (amount < 0 and not allow_negative):
        sign = "non-zero" if allow_negative else "positive"
        raise ValueError(f"{name} must be a {sign} amount, got {value!r}")
    return format(amount, "f")


def check_known(given: Iterable[str], known: Collection[str], what: str) -> None:
    """Refuse keyword options a method does not know, naming them and the known ones.

    Raises:
        TypeError: a name of ``given`` is not in ``known``.
    """
    unknown = set(given).difference(known)
    if unknown:
        raise TypeError(
            f"unknown {what}(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )


def check_texts(
    given: Mapping[str, object], wire_names: Mapping[str, str], *, emails: Collection[str] = ()
) -> dict[str, str]:
    """Return the text options present in ``given`` as form fields under SMSC's names.

    Raises:
        TypeError: a value that is not a str.
        ValueError: an empty value, or an option named in ``emails`` without an ``@``.
    """
    fields: dict[str, str] = {}
    for key, wire in wire_names.items():
        if key in given:
            text = check_str(given[key], key)
            if key in emails and "@" not in text:
                raise ValueError(f"{key} must be an e-mail address, got {text!r}")
            fields[wire] = text
    return fields
