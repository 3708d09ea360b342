r"""Credentials kept out of everything an answer brings back (exceptions, and so logs and output).

A proxy or firewall error page may repeat the request body, and with it ``psw=...`` or
``apikey=...``. The layers that turn answers into exceptions (transport, wire, exports) do not
know the credentials, so each client registers its own here and the constructors in
:mod:`smsc_async.errors` scrub every piece of an answer before keeping it: whoever builds an
exception, it holds only scrubbed text, and so do the log lines and command output made from it.

The registry is process-wide: an answer is scrubbed of every live client's credentials, not
only of its own client's, which costs nothing and never hides anything useful. An entry goes
away when its client is garbage collected (an exception a client raised keeps the client alive
through its traceback, so its text is scrubbed for as long as it exists).

A secret is matched character by character, each character in any of the forms an echo may
give it: as sent (UTF-8), form-encoded (``+``, ``%XX`` in either case), percent-encoded
(``%20``), JSON-escaped (``\u00e9``, ``\/``), HTML-escaped (``&amp;``, ``&#233;``) and, in
text, as Python's ``repr`` of bytes writes it (``\xc3\xa9``); mixed forms match too.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Final

__all__ = ["MASK", "reach", "register", "scrub_prefix", "scrub_text"]

MASK: Final = "***"
_MASK_BYTES: Final = MASK.encode()
# Shorter secrets are not scrubbed: masking every "abc" would garble every message, and a
# three-character password is no secret anyway.
_MIN_LENGTH: Final = 4
_JSON_SHORT: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",  # PHP's json_encode escapes the slash
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_HTML_NAMED: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}

_entries: dict[int, frozenset[str]] = {}
_tokens = itertools.count()
_Patterns = tuple[re.Pattern[bytes], re.Pattern[str], int]
# (bytes pattern, text pattern, longest match in bytes); None: rebuild on next use.
_compiled: _Patterns | None = None


def register(owner: object, *secrets: str | None) -> None:
    """Scrub ``secrets`` from every answer kept in an exception while ``owner`` lives.

    Args:
        owner: The object the secrets belong to (a client); they are dropped when it is
            garbage collected.
        *secrets: Passwords, MD5 hashes, API keys; ``None`` and very short ones are skipped.
    """
    kept = frozenset(s for s in secrets if s is not None and len(s) >= _MIN_LENGTH)
    if not kept:
        return
    global _compiled
    token = next(_tokens)
    _entries[token] = kept
    _compiled = None
    weakref.finalize(owner, _forget, token)


def _forget(token: int) -> None:
    # Runs from the garbage collector, possibly in another thread: single atomic operations.
    global _compiled
    _entries.pop(token, None)
    _compiled = None


def _hex(value: int, digits: int) -> str:
    # A hex number whose letters match in either case ("%c3" and "%C3").
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in format(value, f"0{digits}x"))


def _forms(char: str) -> list[tuple[str, int]]:
    """Return (regex, longest length in bytes) of every form ``char`` may take in an echo."""
    utf8 = char.encode()
    forms = [(re.escape(char), len(utf8))]
    forms.append(("".join(f"%{_hex(b, 2)}" for b in utf8), 3 * len(utf8)))
    if char == " ":
        forms.append((r"\+", 1))
    units = char.encode("utf-16-be")
    code_units = [int.from_bytes(units[i : i + 2], "big") for i in range(0, len(units), 2)]
    forms.append(("".join(rf"\\u{_hex(u, 4)}" for u in code_units), 6 * len(code_units)))
    if char in _JSON_SHORT:
        forms.append((re.escape(_JSON_SHORT[char]), 2))
    if char in _HTML_NAMED or not char.isascii():
        code = ord(char)
        forms.append((f"&#{code};", len(f"&#{code};")))
        forms.append((f"&#[xX]0*{_hex(code, 1)};", len(f"&#x{code:x};")))
        if char in _HTML_NAMED:
            forms.append((re.escape(_HTML_NAMED[char]), len(_HTML_NAMED[char])))
    # As Python's repr() writes it, e.g. in the text of an aiohttp error: bytes as \xNN.
    if not char.isascii() or not char.isprintable():
        forms.append(("".join(rf"\\x{_hex(b, 2)}" for b in utf8), 4 * len(utf8)))
    if char == "'":
        forms.append((r"\\'", 2))
    return forms


def _build() -> _Patterns:
    secrets = sorted(frozenset().union(*list(_entries.values())), key=len, reverse=True)
    alternatives = []
    longest = 0
    for secret in secrets:
        chars = []
        length = 0
        for char in secret:
            # Longest forms first: the alternation takes the first that matches, and "%" must
            # not win over "%25", or "&" over "&amp;" (leaving "25" or "amp;" behind).
            forms = sorted(_forms(char), key=lambda form: form[1], reverse=True)
            length += forms[0][1]
            chars.append(f"(?:{'|'.join(regex for regex, _ in forms)})")
        alternatives.append("".join(chars))
        longest = max(longest, length)
    pattern = "|".join(alternatives)
    # Encoded, a raw non-ASCII character becomes its UTF-8 bytes (never special to re).
    return re.compile(pattern.encode()), re.compile(pattern), longest


def _patterns() -> _Patterns | None:
    global _compiled
    if not _entries:
        return None
    compiled = _compiled
    if compiled is None:
        compiled = _compiled = _build()
    return compiled


def scrub_text(text: str) -> str:
    """Return ``text`` with every registered secret, in any of its forms, replaced by ``***``."""
    patterns = _patterns()
    if patterns is None or not text:
        return text
    return patterns[1].sub(MASK, text)


def reach(limit: int) -> int:
    """Return how many bytes to read so that a secret starting before ``limit`` is whole."""
    patterns = _patterns()
    return limit if patterns is None else limit + patterns[2]


def scrub_prefix(data: bytes, limit: int) -> bytes:
    """Return the scrubbed first ``limit`` bytes of ``data`` (at most ``limit`` bytes).

    A secret that starts before ``limit`` is masked whole even where it runs past the cut, as
    long as ``data`` holds :func:`reach` ``(limit)`` bytes (the caller reads that many): cutting
    first could keep the start of a password.
    """
    patterns = _patterns()
    if patterns is None:
        return data[:limit]
    out = bytearray()
    done = 0
    for match in patterns[0].finditer(data, 0, limit + patterns[2]):
        if match.start() >= limit:
            break
        out += data[done : match.start()]
        out += _MASK_BYTES
        done = match.end()
    if done < limit:
        out += data[done:limit]
    return bytes(out[:limit])
