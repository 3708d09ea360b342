"""Offline estimate of how many SMS parts a text takes (no request, no credentials).

SMSC bills every part of a long SMS. :func:`estimate_message` counts the parts the way the GSM
standards do: a text whose every character is in the GSM 03.38 default alphabet travels as
GSM-7 (160 septets in one SMS, 153 per part of a concatenated one); any other character makes
the whole text UCS-2 (70 UTF-16 code units in one SMS, 67 per part). The send.php page only
says "160 Latin / 70 Cyrillic characters per SMS" (smsc-api.md §5.1, ``mes``); the
concatenated sizes and the alphabet are the standard's.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

__all__ = ["MessageEstimate", "estimate_message"]

# GSM 03.38 default alphabet, in code order 0x00..0x7F; 0x1B (ESC, which introduces the
# extension table) is not a character and is left out.
_GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is ESC + a code, so two septets (form feed included).
_GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

_GSM_SINGLE: Final = 160
_GSM_PART: Final = 153  # 7 septets of each part carry the concatenation header
_UCS_SINGLE: Final = 70
_UCS_PART: Final = 67

# Gap: SMSC's own transliteration tables are not in our reference (smsc-api.md §5.1 only names
# the styles: 1 "translit", 2 "mpaHc/Iut"). These are plausible stand-ins, kept here and only
# here: change them when SMSC's are known. Letters outside the tables (e.g. Ukrainian і, є)
# are kept as they are, so they still make the text UCS-2.
_RU_LOWER: Final = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_TRANSLIT_LOWER: Final = (
    *("a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "j", "k", "l", "m", "n", "o"),
    *("p", "r", "s", "t", "u", "f", "h", "c", "ch", "sh", "sch", "'", "y", "'", "e", "yu"),
    "ya",
)
_TRANSLIT: Final[dict[str, str]] = {
    **dict(zip(_RU_LOWER, _TRANSLIT_LOWER, strict=True)),
    **{ru.upper(): lat.capitalize() for ru, lat in zip(_RU_LOWER, _TRANSLIT_LOWER, strict=True)},
}
# Style 2 writes a Cyrillic letter as the Latin letters that look like it ("транслит" →
# "mpaHc/Iut"); letters without a look-alike are written as in style 1.
_LOOKALIKE_LETTERS: Final = {
    "а": "a", "в": "B", "е": "e", "и": "u", "к": "K", "л": "/I", "м": "M", "н": "H",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "m", "у": "y", "х": "x",
    "А": "A", "В": "B", "Е": "E", "И": "U", "К": "K", "Л": "/I", "М": "M", "Н": "H",
    "О": "O", "П": "n", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X",
}  # fmt: skip
_LOOKALIKE: Final = _TRANSLIT | _LOOKALIKE_LETTERS
_TABLES: Final = {1: str.maketrans(_TRANSLIT), 2: str.maketrans(_LOOKALIKE)}


class MessageEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """How a text travels as SMS: its encoding and the parts it takes.

    Attributes:
        encoding: ``"GSM-7"`` when every character is in the GSM 03.38 alphabet (with its
            extension table), else ``"UCS-2"``.
        characters: Characters of the text sent (Unicode code points, after transliteration).
        units: Septets for GSM-7 (an extension character such as ``€`` or ``{`` counts two);
            UTF-16 code units for UCS-2 (an emoji outside the basic plane counts two).
        parts: SMS parts the text takes (each is billed).
        per_part: Units one part holds: 160 / 70 for a single SMS, 153 / 67 per part of a
            longer one.
        left: Units still free in the last part.
        text_sent: The text as it is counted, after transliteration.
    """

    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    units: int
    parts: int
    per_part: int
    left: int
    text_sent: str


def _is_gsm(text: str) -> bool:
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text)


def _pack(sizes: list[int], part: int) -> tuple[int, int]:
    """Fill parts of ``part`` units greedily; a character never straddles two parts.

    An escape pair (GSM-7) or a surrogate pair (UCS-2) cannot be split, so a two-unit
    character that does not fit in what is left of a part opens the next one.

    Returns:
        The number of parts and the units used in the last one.
    """
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts, used


def estimate_message(text: str, *, translit: int = 0) -> MessageEstimate:
    """Estimate offline how many SMS parts ``text`` takes, as send.php would split it.

    An empty text is reported as 1 part with all 160 units left, the way a phone shows an
    empty draft (SMSC itself refuses an empty ``mes``: nothing would be sent).

    Args:
        text: The message text.
        translit: SMSC's ``translit`` option: 0 sends the text as it is, 1 writes Russian
            letters in Latin ("translit"), 2 in Latin look-alikes ("mpaHc/Iut"). Gap: SMSC's
            exact tables are not documented; this module's are plausible stand-ins.

    Returns:
        The encoding, counts and parts (see :class:`MessageEstimate`).

    Raises:
        TypeError: ``text`` is not a str, or ``translit`` not an int.
        ValueError: ``translit`` is not 0, 1 or 2.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if isinstance(translit, bool) or not isinstance(translit, int):
        raise TypeError(f"translit must be 0, 1 or 2 (an int), not {type(translit).__name__}")
    if translit not in (0, 1, 2):
        raise ValueError(
            f"translit must be 0 (none), 1 (translit) or 2 (mpaHc/Iut), got {translit}"
        )
    sent = text.translate(_TABLES[translit]) if translit else text
    if _is_gsm(sent):
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
        sizes = [2 if ch in _GSM_EXTENSION else 1 for ch in sent]
        single, part = _GSM_SINGLE, _GSM_PART
    else:
        encoding = "UCS-2"
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in sent]
        single, part = _UCS_SINGLE, _UCS_PART
    units = sum(sizes)
    if units <= single:
        parts, per_part, used = 1, single, units
    else:
        per_part = part
        parts, used = _pack(sizes, part)
    return MessageEstimate(
        encoding=encoding,
        characters=len(sent),
        units=units,
        parts=parts,
        per_part=per_part,
        left=per_part - used,
        text_sent=sent,
    )
