"""Recipients: numbers written in E.164 checked to be mobiles, with country, operator and zones.

phonenumbers has no batch API, and per number it matches the same regexes several times over
(parse, is_valid_number, number_type, then number_type again inside the carrier and zone
lookups). ``parse_recipient`` is that plain path: the reference. ``parse_recipients`` replays
the same steps by hand for the one shape accepted, '+' and digits, doing each once: a memo per
distinct input; the calling code from a table of first three digits; phonenumbers' own
national-prefix helpers, called only when the prefix pattern matches; the type from ONE
fullmatch of all type patterns alternated in phonenumbers' order (per metadata and length),
reused for region, validity, carrier and zones; E.164 as '+', code and national number (what
format_number gives, leading zeros included); carrier and zone longest-prefix lookups trying
only the key lengths that exist under the number's first digits. The equivalence test holds
the batch to the reference, answer for answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Generic, TypeAlias, TypeVar

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat, PhoneNumberType, carrier
from phonenumbers import timezone as tz
from phonenumbers.carrierdata import CARRIER_DATA
from phonenumbers.phonenumberutil import (
    _GEO_MOBILE_COUNTRIES,
    COUNTRY_CODE_TO_REGION_CODE,
    ValidationResult,
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
)
from phonenumbers.tzdata import TIMEZONE_DATA


@dataclass(frozen=True, slots=True)
class Recipient:
    e164: str
    country: str
    """ISO 3166-1 alpha-2 region as phonenumbers names it ("001" for non-geographic codes)."""
    operator: str
    """Carrier the number was first allocated to, in English; "" when unknown."""
    time_zones: tuple[str, ...]
    """IANA zones; () when unknown."""


_E164_SHAPE: Final = re.compile(r"\+[0-9]{1,15}")
_MOBILE: Final = PhoneNumberType.MOBILE
_FIXED_OR_MOBILE: Final = PhoneNumberType.FIXED_LINE_OR_MOBILE
_UNKNOWN_TYPE: Final = PhoneNumberType.UNKNOWN
_UNKNOWN_ZONES: Final = (tz.UNKNOWN_TIMEZONE,)


def _clean(raw: str) -> str | None:
    text = raw.strip()
    if _E164_SHAPE.fullmatch(text):
        return text
    # Chained replace: several times faster than str.translate deleting the same characters.
    text = text.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    return text if _E164_SHAPE.fullmatch(text) else None


def _zones(found: tuple[str, ...]) -> tuple[str, ...]:
    return () if found == _UNKNOWN_ZONES else tuple(found)


def calling_code_time_zones(code: int) -> tuple[str, ...]:
    """The IANA zones phonenumbers has for a country calling code as a whole; () when unknown.

    A number of the code gets the zones of the longest prefix that phonenumbers knows for it, or
    these when its type is not geographical: with these known, no mobile number of the code is
    left without zones (phonenumbers maps no prefix to the unknown zone).
    """
    return _zones(tz._country_level_time_zones_for_number(PhoneNumber(country_code=code)))


def parse_recipient(raw: str) -> Recipient | None:
    """The recipient behind a number written in E.164 with '+', or None when it is not a valid
    mobile number."""
    text = _clean(raw)
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    country = phonenumbers.region_code_for_number(number)
    if (
        country is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in (_MOBILE, _FIXED_OR_MOBILE)
    ):
        return None
    return Recipient(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        country=country,
        operator=carrier.name_for_number(number, "en"),
        time_zones=_zones(tz.time_zones_for_number(number)),
    )


# The special types phonenumbers tries, in its order, before fixed line and mobile.
_SPECIAL_TYPES: Final = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_GROUP_TYPES: Final = {f"t{i}": kind for i, (_, kind) in enumerate(_SPECIAL_TYPES)} | {
    "flm": _FIXED_OR_MOBILE,
    "fixed": PhoneNumberType.FIXED_LINE,
    "mobile": _MOBILE,
}


class _Typer:
    """phonenumbers' ``_number_type_helper`` for one metadata, as one regex per number length.

    A description takes part only when phonenumbers would try its pattern at that length. Python's
    alternation under fullmatch yields the first alternative that matches the whole number, which
    is phonenumbers' first-match-wins order; the general description is a lookahead, and "fixed
    line that is also mobile" an alternative of its own ahead of plain fixed line.
    """

    __slots__ = ("_by_length", "_metadata")

    def __init__(self, metadata: PhoneMetadata) -> None:
        self._metadata = metadata
        self._by_length: dict[int, re.Pattern[str] | None] = {}

    def type_of(self, nsn: str) -> int:
        length = len(nsn)
        try:
            pattern = self._by_length[length]
        except KeyError:
            pattern = self._by_length[length] = self._compile(length)
        if pattern is None:
            return _UNKNOWN_TYPE
        found = pattern.fullmatch(nsn)
        if found is None or found.lastgroup is None:
            return _UNKNOWN_TYPE
        return _GROUP_TYPES[found.lastgroup]

    def _compile(self, length: int) -> re.Pattern[str] | None:
        md = self._metadata

        def tried(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
            if desc is None or (desc.possible_length and length not in desc.possible_length):
                return None
            return desc.national_number_pattern or None

        general = tried(md.general_desc)
        if general is None:
            return None
        options = [
            f"(?P<t{i}>{pattern})"
            for i, (attribute, _) in enumerate(_SPECIAL_TYPES)
            if (pattern := tried(getattr(md, attribute))) is not None
        ]
        fixed, mobile = tried(md.fixed_line), tried(md.mobile)
        same = md.same_mobile_and_fixed_line_pattern
        if fixed is not None:
            if same:
                options.append(f"(?P<flm>{fixed})")
            else:
                if mobile is not None:
                    options.append(f"(?P<flm>(?=(?:{mobile})\\Z)(?:{fixed}))")
                options.append(f"(?P<fixed>{fixed})")
        if mobile is not None and not same:
            options.append(f"(?P<mobile>{mobile})")
        if not options:
            return None
        return re.compile(f"(?=(?:{general})\\Z)(?:{'|'.join(options)})")


@cache
def _english_carriers() -> dict[str, str]:
    # phonenumbers falls through to a shorter prefix when one has no English name.
    return {prefix: names["en"] for prefix, names in CARRIER_DATA.items() if "en" in names}


_T = TypeVar("_T")


class _Prefixes(Generic[_T]):
    """Longest-prefix lookup in one of phonenumbers' prefix maps, for the numbers of one code.

    phonenumbers tries every prefix length from the longest key down. Only keys that begin the
    number's first digits (code + 2), or are begun by them, can match: per such head the
    lookup tries just their lengths, longest first, which finds the same key.
    """

    __slots__ = ("_data", "_keys", "_lengths", "_size")

    def __init__(self, data: Mapping[str, _T], keys: Sequence[str], head_size: int) -> None:
        self._data = data
        self._keys = keys
        self._size = head_size
        self._lengths: dict[str, tuple[int, ...]] = {}

    def find(self, digits: str) -> _T | None:
        head = digits[: self._size]
        lengths = self._lengths.get(head)
        if lengths is None:
            lengths = self._lengths[head] = _lengths_under(self._keys, head)
        data = self._data
        for size in lengths:
            found = data.get(digits[:size])
            if found is not None:
                return found
        return None


def _lengths_under(keys: Sequence[str], head: str) -> tuple[int, ...]:
    found = {len(k) for k in keys if k.startswith(head) or head.startswith(k)}
    return tuple(sorted(found, reverse=True))


def _by_head(keys: Iterable[str]) -> dict[str, list[str]]:
    heads: dict[str, list[str]] = {}
    for key in keys:
        heads.setdefault(key[:3], []).append(key)
    return heads


@cache
def _carrier_heads() -> dict[str, list[str]]:
    return _by_head(_english_carriers())


@cache
def _zone_heads() -> dict[str, list[str]]:
    return _by_head(TIMEZONE_DATA)


def _keys_for_code(heads: dict[str, list[str]], code: str) -> list[str]:
    return [
        key
        for head, keys in heads.items()
        if head.startswith(code) or code.startswith(head)
        for key in keys
    ]


# Each region sharing a calling code, in phonenumbers' order: name, typer, leading-digits pattern.
_Regions: TypeAlias = tuple[tuple[str, _Typer | None, re.Pattern[str] | None], ...]


class _Calling:
    """What the batch path needs for one country calling code, built on first use."""

    __slots__ = (
        "carriers",
        "country_zones",
        "digits",
        "geo_mobile",
        "parse_metadata",
        "prefix_pattern",
        "regions",
        "zones",
    )

    def __init__(self, code: int) -> None:
        self.digits = str(code)
        main = phonenumbers.region_code_for_country_code(code)
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, main)
        assert metadata is not None  # phonenumbers asserts the same for every known code
        self.parse_metadata = metadata
        prefix = metadata.national_prefix_for_parsing
        self.prefix_pattern = re.compile(prefix) if prefix else None
        self.regions: _Regions = tuple(
            (region, _typer_for(code, region), _leading_pattern(region))
            for region in COUNTRY_CODE_TO_REGION_CODE[code]
        )
        self.geo_mobile = code in _GEO_MOBILE_COUNTRIES
        self.country_zones = calling_code_time_zones(code)
        head_size = len(self.digits) + 2
        carrier_keys = _keys_for_code(_carrier_heads(), self.digits)
        self.carriers = _Prefixes(_english_carriers(), carrier_keys, head_size)
        self.zones = _Prefixes(TIMEZONE_DATA, _keys_for_code(_zone_heads(), self.digits), head_size)


def _typer_for(code: int, region: str) -> _Typer | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    return None if metadata is None else _Typer(metadata)


def _leading_pattern(region: str) -> re.Pattern[str] | None:
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None or metadata.leading_digits is None:
        return None
    return re.compile(metadata.leading_digits)


def _code_heads() -> dict[str, int]:
    """First three digits -> the calling code parse() takes: the shortest known prefix."""
    heads: dict[str, int] = {}
    for start in range(100, 1000):
        head = str(start)
        for size in (1, 2, 3):
            if int(head[:size]) in COUNTRY_CODE_TO_REGION_CODE:
                heads[head] = int(head[:size])
                break
    return heads


_CODE_OF_HEAD: Final = _code_heads()
_callings: dict[int, _Calling] = {}
_NOT_STRIPPED: Final = frozenset(
    {
        ValidationResult.TOO_SHORT,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ValidationResult.INVALID_LENGTH,
    }
)


def _region_and_type(regions: _Regions, nsn: str) -> tuple[str, int]:
    """region_code_for_number for a shared code: the first region whose leading digits match,
    or, for one without leading digits, for which the number has a type."""
    for country, typer, leading in regions:
        if typer is None:
            continue
        if leading is not None:
            if leading.match(nsn):
                return country, typer.type_of(nsn)
        else:
            kind = typer.type_of(nsn)
            if kind != _UNKNOWN_TYPE:
                return country, kind
    return "", _UNKNOWN_TYPE


def _resolve(text: str) -> Recipient | None:
    """parse + is_valid_number + number_type + the lookups, for text already shaped '+digits'."""
    digits = text[1:]
    # Also None for fewer than 3 digits, which parse() does not take for a number at all.
    code = _CODE_OF_HEAD.get(digits[:3])
    if code is None:
        return None
    calling = _callings.get(code)
    if calling is None:
        calling = _callings[code] = _Calling(code)
    nsn = digits[len(calling.digits) :]
    if len(nsn) < 2:
        return None
    prefix = calling.prefix_pattern
    if prefix is not None and prefix.match(nsn):
        metadata = calling.parse_metadata
        stripped = _maybe_strip_national_prefix_carrier_code(nsn, metadata)[1]
        if stripped != nsn and _test_number_length(stripped, metadata) not in _NOT_STRIPPED:
            nsn = stripped
        if not 2 <= len(nsn) <= 17:
            return None

    regions = calling.regions
    if len(regions) == 1:
        country, typer, _ = regions[0]
        kind = _UNKNOWN_TYPE if typer is None else typer.type_of(nsn)
    else:
        country, kind = _region_and_type(regions, nsn)
    if kind != _MOBILE and kind != _FIXED_OR_MOBILE:
        return None

    full = calling.digits + nsn
    if kind == _FIXED_OR_MOBILE or calling.geo_mobile:
        found = calling.zones.find(full)
        zones = () if found is None else _zones(found)
    else:
        zones = calling.country_zones
    return Recipient("+" + full, country, calling.carriers.find(full) or "", zones)


# A sentinel of the answer type, told apart by identity, so the memo lookup needs no second probe.
_UNSEEN: Final = Recipient("", "", "", ())


def parse_recipients(raws: Sequence[str]) -> list[Recipient | None]:
    """The batch path: the same answer as parse_recipient for every input, in order, faster."""
    # Keyed by raw inputs and by cleaned texts alike: a raw that is already clean is its own text.
    answers: dict[str, Recipient | None] = {}
    unseen = _UNSEEN
    out: list[Recipient | None] = []
    append = out.append
    for raw in raws:
        answer = answers.get(raw, unseen)
        if answer is unseen:
            text = _clean(raw)
            if text is None:
                answer = None
            else:
                answer = answers.get(text, unseen)
                if answer is unseen:
                    answer = answers[text] = _resolve(text)
            answers[raw] = answer
        append(answer)
    return out
