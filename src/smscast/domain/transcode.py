"""GSM transcoding: replace non-GSM characters by GSM look-alikes (API.md, Body analysis 6).

The table is our own (explicit entries, plus accents dropped via Unicode decomposition)
because no library does GSM-specific look-alike transcoding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from smscast.domain.gsm7 import GSM_CHARACTERS, NON_GSM_RE, char_class

# Typographic punctuation → ASCII. Single guillemets ‹ › become ' (they are quotes, as « » → ").
_PUNCTUATION: Final = {
    **dict.fromkeys("‘’‚‛′`´‹›ʼ", "'"),  # ʼ U+02BC: modifier-letter apostrophe
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),  # U+2010-U+2015 dashes and U+2212 minus sign
    "…": "...",
    "•": "-",
    "ˆ": "^",  # U+02C6 modifier circumflex
    "˜": "~",  # U+02DC small tilde
}

# NBSP, TAB, U+2000-U+200A, narrow NBSP, medium mathematical space, ideographic space.
_SPACES: Final = dict.fromkeys(
    "\u00a0\t" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000", " "
)

# Zero-width characters vanish: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen.
# A literal ESC (U+001B) deliberately has no replacement: the body is then not transcodable.
# Directional marks (LRM, RLM) and the invisible math operators U+2061-U+2064 too.
_INVISIBLE: Final = dict.fromkeys(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u2061\u2062\u2063\u2064", ""
)

# Greek → capital GSM look-alike: a Latin capital where one looks the same, else the GSM Greek
# capital. Accented Greek is derived below by dropping the accent.
_GREEK: Final = {
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    **dict(zip("αβεζηικμνορτυχ", "ABEZHIKMNOPTYX", strict=True)),
    **dict(zip("γδθλξπσςφψω", "ΓΔΘΛΞΠΣΣΦΨΩ", strict=True)),
    "\u00b5": "M",  # micro sign µ
    "\u2126": "Ω",  # ohm sign
    "\u2206": "Δ",  # increment
    "\u037e": ";",  # Greek question mark; canonically equivalent to ';'
}

# Latin letters that the accent-dropping rule gets wrong or cannot reach (no decomposition).
# ç and À keep their case-changed GSM form; ð/Ð → d/D and þ/Þ → th/TH (Icelandic practice).
_LATIN: Final = {
    "ç": "Ç",
    "À": "à",
    "œ": "oe",
    "Œ": "OE",
    "ĳ": "ij",
    "Ĳ": "IJ",
    "ﬀ": "ff",
    "ﬁ": "fi",
    "ﬂ": "fl",
    "ﬃ": "ffi",
    "ﬄ": "ffl",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "đ": "d",
    "Đ": "D",
    "ħ": "h",  # Maltese
    "Ħ": "H",
    "ı": "i",  # Turkish dotless i
    "ł": "l",
    "Ł": "L",
    "ŧ": "t",  # Sámi
    "Ŧ": "T",
}

_EXPLICIT: Final = {**_PUNCTUATION, **_SPACES, **_INVISIBLE, **_GREEK, **_LATIN}

# Letters whose accents are dropped, found through their canonical decomposition: Latin-1
# Supplement, Latin Extended-A/B, Greek and Coptic, Latin Extended Additional (Vietnamese).
# Latin-1 Supplement, Latin Extended-A/B, Greek, Latin Extended Additional, Greek Extended.
_DECOMPOSED_RANGES: Final = (range(0xC0, 0x250), range(0x370, 0x400), range(0x1E00, 0x2000))


def _nearest(text: str) -> str | None:
    """GSM replacement of a letter (or letter + combining marks): itself when GSM, an explicit
    entry, else the same with its last accent dropped, recursively (ǘ → ü, ά → α → A)."""
    if text in GSM_CHARACTERS:
        return text
    if text in _EXPLICIT:
        return _EXPLICIT[text]
    nfd = unicodedata.normalize("NFD", text)
    if len(nfd) < 2 or not all(unicodedata.combining(mark) for mark in nfd[1:]):
        return None
    return _nearest(unicodedata.normalize("NFC", nfd[:-1]))


def _derived(code_points: Iterable[int]) -> dict[str, str]:
    derived: dict[str, str] = {}
    for cp in code_points:
        ch = chr(cp)
        if ch in GSM_CHARACTERS or ch in _EXPLICIT or not unicodedata.category(ch).startswith("L"):
            continue
        replacement = _nearest(ch)
        if replacement is not None:
            derived[ch] = replacement
    return derived


REPLACEMENTS: Final[Mapping[str, str]] = MappingProxyType(
    {**_derived(cp for r in _DECOMPOSED_RANGES for cp in r), **_EXPLICIT}
)

# Combining marks: the general category Mn over the blocks where Latin and Greek use them.
_COMBINING_RE: Final = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)

# Any character neither GSM nor replaceable: one regex scan decides "not transcodable".
_UNTRANSCODABLE_RE: Final = char_class(GSM_CHARACTERS | frozenset(REPLACEMENTS), negate=True)


def _translate_table() -> list[str | None]:
    # A list indexed by code point is faster for str.translate than a dict. GSM characters
    # map to themselves (a None entry would delete the character); code points past the end
    # of the list are left as they are, and only GSM characters can be there.
    table: list[str | None] = [None] * (max(map(ord, REPLACEMENTS)) + 1)
    for ch in GSM_CHARACTERS:
        if ord(ch) < len(table):
            table[ord(ch)] = ch
    for ch, replacement in REPLACEMENTS.items():
        table[ord(ch)] = replacement
    return table


_TRANSLATE: Final = _translate_table()


def transcode(body: str) -> str | None:
    """The body with every non-GSM character replaced by its GSM replacement, or None when any
    non-GSM character has no replacement (all or nothing). A body that is already all GSM
    returns itself."""
    if NON_GSM_RE.search(body) is None:
        return body
    if _COMBINING_RE.search(body) is not None:
        # Decomposed accents ("e" + U+0301): compose what Unicode can, drop the rest.
        body = _COMBINING_RE.sub("", unicodedata.normalize("NFC", body))
    if _UNTRANSCODABLE_RE.search(body) is not None:
        return None
    return body.translate(_TRANSLATE)
