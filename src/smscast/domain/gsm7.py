"""The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038, 6.2.1).

Typed from the standard, position by position: index = septet value. ``\\x1b`` at 0x1B is the
escape to the extension table, not a character of its own, so a literal U+001B in a body is
not GSM. Extension characters cost two septets (escape + code).
"""

from __future__ import annotations

import re
from typing import Final

ESCAPE: Final = 0x1B

# Septets 0x00-0x7F. Note the traps: 0x02 is '$' and 0x24 is '¤'; 0x09 is capital 'Ç';
# 0x40 is '¡' and 0x00 is '@'; Greek at 0x10-0x1A is capitals only.
BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Extension table: character → septet that follows the escape.
EXTENSION_TABLE: Final = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

BASIC_CHARACTERS: Final = frozenset(BASIC_TABLE) - {"\x1b"}
EXTENSION_CHARACTERS: Final = frozenset(EXTENSION_TABLE)
GSM_CHARACTERS: Final = BASIC_CHARACTERS | EXTENSION_CHARACTERS

_BASIC_SEPTET: Final = {ch: i for i, ch in enumerate(BASIC_TABLE) if i != ESCAPE}
_DECODE_EXTENSION: Final = {code: ch for ch, code in EXTENSION_TABLE.items()}


def char_class(chars: frozenset[str], *, negate: bool = False) -> re.Pattern[str]:
    """A compiled ``[...]`` (or ``[^...]``) of ``chars``: regex scans run at C speed, several
    times faster than ``str.translate`` or a Python loop over a body."""
    members = "".join(re.escape(ch) for ch in sorted(chars))
    return re.compile(("[^" if negate else "[") + members + "]")


NON_BASIC_RE: Final = char_class(BASIC_CHARACTERS, negate=True)
NON_GSM_RE: Final = char_class(GSM_CHARACTERS, negate=True)
EXTENSION_RE: Final = char_class(EXTENSION_CHARACTERS)


def septet_cost(ch: str) -> int | None:
    """Septets ``ch`` needs in GSM-7, or None when it is not in the alphabet."""
    if ch in BASIC_CHARACTERS:
        return 1
    if ch in EXTENSION_CHARACTERS:
        return 2
    return None


def is_gsm(text: str) -> bool:
    return NON_GSM_RE.search(text) is None


def encode_septets(text: str) -> bytes:
    """Unpacked septets, one per byte (extension characters as ESC + code).

    This is what SMPP carries with ``data_coding`` 0 when the SMSC takes unpacked GSM-7.
    Raises ValueError on a character outside the alphabet.
    """
    out = bytearray()
    for ch in text:
        septet = _BASIC_SEPTET.get(ch)
        if septet is not None:
            out.append(septet)
            continue
        code = EXTENSION_TABLE.get(ch)
        if code is None:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) is not in the GSM 7-bit alphabet")
        out += bytes((ESCAPE, code))
    return bytes(out)


def decode_septets(data: bytes) -> str:
    """The inverse of ``encode_septets``; an unknown escape code decodes as its basic char,
    as 23.038 tells receivers to do."""
    chars: list[str] = []
    escaped = False
    for septet in data:
        if septet > 0x7F:
            raise ValueError(f"byte 0x{septet:02X} is not a septet")
        if escaped:
            # ESC ESC leads to a further table receivers without it show as a space.
            fallback = " " if septet == ESCAPE else BASIC_TABLE[septet]
            chars.append(_DECODE_EXTENSION.get(septet, fallback))
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(BASIC_TABLE[septet])
    if escaped:  # a trailing lone escape reads as a space (23.038 6.2.1.1)
        chars.append(" ")
    return "".join(chars)
