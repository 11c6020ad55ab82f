"""Quiet hours: local windows in which no SMS goes out, and the instant a held message may go.

Instants in, instants out; zone rules from zoneinfo, each country's zones from ``country_zones``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers.tzdata import TIMEZONE_DATA

from smscast.domain.country_zones import COUNTRY_ZONES, TZDATA_VERSION, ZONE_LINKS
from smscast.domain.numbers import calling_code_time_zones


@dataclass(frozen=True, slots=True)
class Window:
    start: time
    """Local wall-clock time the quiet window starts (inclusive); whole minutes, naive."""
    end: time
    """Local time it ends (exclusive); ``start > end`` means it wraps midnight."""

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment.tzinfo is not None or moment.second or moment.microsecond:
                raise ValueError(f"a quiet window is in naive whole minutes, not {moment!r}")
        if self.start == self.end:
            raise ValueError(f"a quiet window cannot start and end at {self.start:%H:%M}")


DEFAULT_WINDOWS: Final = (Window(time(23), time(8)), Window(time(14), time(17)))

_DAY: Final = timedelta(days=1)
_DAY_SECONDS: Final = 86_400
_HORIZON: Final = timedelta(hours=48)
_ITEM: Final = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")

# Windows as (start, end) seconds of the local day: the form the checks below work on.
_Spans: TypeAlias = tuple[tuple[int, int], ...]


def parse_windows(text: str) -> tuple[Window, ...]:
    """Windows written as "23:00-08:00,14:00-17:00" (H:MM also taken; 24:00 as an end means
    midnight); "" gives none. Windows may overlap, but must leave some time to send."""
    if not text.strip():
        return ()
    windows: list[Window] = []
    for number, item in enumerate(text.split(","), start=1):
        found = _ITEM.fullmatch(item)
        if found is None:
            raise ValueError(f"quiet window {number} {item.strip()!r} is not HH:MM-HH:MM")
        sh, sm, eh, em = (int(part) for part in found.groups())
        start = _clock(sh, sm, number, item, end=False)
        end = _clock(eh, em, number, item, end=True)
        if start == end:
            raise ValueError(f"quiet window {number} {item.strip()!r} starts where it ends")
        windows.append(Window(start, end))
    if _never_clear(_spans(windows)):
        raise ValueError(f"quiet windows {text.strip()!r} cover the whole day")
    return tuple(windows)


def _clock(hour: int, minute: int, number: int, item: str, *, end: bool) -> time:
    if end and (hour, minute) == (24, 0):
        return time(0)
    if hour > 23 or minute > 59:
        raise ValueError(
            f"quiet window {number} {item.strip()!r}: {hour:02}:{minute:02} is not a time of day"
        )
    return time(hour, minute)


def format_windows(windows: Sequence[Window]) -> str:
    """The text parse_windows reads back into the same windows."""
    return ",".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in windows)


def is_quiet(moment: datetime, zone: str, windows: Sequence[Window]) -> bool:
    """Whether the local time in ``zone`` at ``moment`` (timezone-aware) is inside a window."""
    _require_aware(moment)
    return _quiet(_second_of_day(moment, _zone(zone)), _spans(windows))


def next_send_time(
    moment: datetime, zones: Sequence[str], windows: Sequence[Window]
) -> datetime | None:
    """When a message held by quiet hours at ``moment`` (timezone-aware) may go, in UTC.

    None when it may go now: no windows, no zones, or every zone is outside every window.
    Else the earliest later instant when every zone is outside every window. When there is
    none within 48 hours (zones too many hours apart), best effort: the earliest instant within
    48 hours outside the windows in the most zones; None when that is already now.
    Raises ZoneInfoNotFoundError for a zone this machine's tz database lacks.
    """
    _require_aware(moment)
    if not windows or not zones:
        return None
    # One key per distinct question: a dispatcher batch asks the same one per shared zone.
    return _search(moment.astimezone(UTC), tuple(dict.fromkeys(zones)), _spans(windows))


def zones_for(country: str, number_zones: Sequence[str]) -> tuple[str, ...]:
    """The zones to judge a number of ``country`` by.

    phonenumbers gives some mobile numbers every zone of their calling code (all of +7 for
    Russia and Kazakhstan, all 42 of +1 for the Caribbean countries): when a number has zones
    that are not its country's, keep those that are, or take the country's when none is.
    """
    own = COUNTRY_ZONES.get(country)
    if own is None:
        return tuple(number_zones)
    canonical = _canonical_zones(country)
    inside = tuple(zone for zone in number_zones if ZONE_LINKS.get(zone, zone) in canonical)
    if len(inside) == len(number_zones):
        return tuple(number_zones)
    return inside or own


@cache
def supported(country: str) -> bool:
    """Whether quiet hours (the default windows) hold exactly for every mobile number of
    ``country``: its zones are known and some instant is outside the windows in all of them,
    every day, so next_send_time never falls back to best effort."""
    spans = _spans(DEFAULT_WINDOWS)
    zone_sets = _mobile_zone_sets(country)
    return bool(zone_sets) and all(zones and _clear_every_day(zones, spans) for zones in zone_sets)


# -- the search --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _search(moment: datetime, zones: tuple[str, ...], spans: _Spans) -> datetime | None:
    # A sweep over the instants where some zone's quiet state flips, in time order, counting
    # the zones outside the windows: exact at every instant, no minute-by-minute scan.
    horizon = moment + _HORIZON
    clear = 0
    flips: list[tuple[datetime, bool]] = []  # (instant, the zone is clear from then on)
    for zone in zones:
        quiet, later = _flips_after(zone, moment, horizon, spans)
        clear += not quiet
        flips.extend(later)
    if clear == len(zones):
        return None
    flips.sort()
    best, best_at = clear, moment
    for index, (at, now_clear) in enumerate(flips):
        clear += 1 if now_clear else -1
        if index + 1 < len(flips) and flips[index + 1][0] == at:
            continue  # judge an instant only once every flip at it is counted
        if clear == len(zones):
            return at
        if clear > best:
            best, best_at = clear, at
    return None if best_at == moment else best_at


def _flips_after(
    zone: str, moment: datetime, horizon: datetime, spans: _Spans
) -> tuple[bool, list[tuple[datetime, bool]]]:
    """Whether ``zone`` is quiet at ``moment``, and its flips in (moment, horizon]."""
    first = moment.date()
    quiet_at_start, day_flips = _day_plan(zone, first, spans)
    # Flips alternate: the state at moment is the day's first state, flipped once per flip.
    passed = bisect_right(day_flips, moment)
    quiet = state = quiet_at_start ^ (passed % 2 == 1)
    day_flips = day_flips[passed:]
    flips: list[tuple[datetime, bool]] = []
    for offset in range(3):  # the UTC days that (moment, moment + 48 h] touches
        if offset:
            day = first + offset * _DAY
            quiet_at_start, day_flips = _day_plan(zone, day, spans)
            if quiet_at_start != state:
                # A flip exactly at 00:00 UTC shows only as this day's first state.
                state = quiet_at_start
                flips.append((_midnight(day), not state))
        for at in day_flips:
            if at > horizon:
                return quiet, flips
            state = not state
            flips.append((at, not state))
    return quiet, flips


@lru_cache(maxsize=8192)
def _day_plan(zone: str, day: date, spans: _Spans) -> tuple[bool, tuple[datetime, ...]]:
    """Whether ``zone`` is quiet at 00:00 UTC of ``day``, and the instants that day where that
    flips. Built from the candidates where a flip can happen, each judged by zoneinfo itself."""
    tz = _zone(zone)
    begin = _midnight(day)
    end = begin + _DAY
    # A flip happens where the local clock reaches a window's start or end (twice in a
    # repeated hour, in either fold) or where it jumps over one at an offset change. The UTC
    # day's local hours fall on the dates either side of it too (UTC-12 to UTC+14).
    candidates = set(_offset_changes(tz, begin))
    bounds = {bound for span in spans for bound in span}
    for local_day in (day - _DAY, day, day + _DAY):
        for bound in bounds:
            wall = datetime.combine(local_day, _time_of(bound), tz)
            for fold in (0, 1):
                at = wall.replace(fold=fold).astimezone(UTC)
                if begin < at < end:
                    candidates.add(at)
    quiet_at_start = state = _quiet(_second_of_day(begin, tz), spans)
    flips: list[datetime] = []
    for at in sorted(candidates):
        if _quiet(_second_of_day(at, tz), spans) != state:
            state = not state
            flips.append(at)
    return quiet_at_start, tuple(flips)


def _offset_changes(tz: ZoneInfo, begin: datetime) -> list[datetime]:
    """The instants in the UTC day from ``begin`` where the zone's offset changes."""
    # Hourly probes: no zone has changed its offset twice within an hour.
    changes: list[datetime] = []
    before = begin.astimezone(tz).utcoffset()
    for hour in range(1, 25):
        probe = begin + timedelta(hours=hour)
        after = probe.astimezone(tz).utcoffset()
        if after != before:
            low, high = probe - timedelta(hours=1), probe
            while high - low > timedelta(seconds=1):  # offsets change on whole seconds
                middle = low + timedelta(seconds=(high - low).seconds // 2)
                if middle.astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            if high < begin + _DAY:
                changes.append(high)
            before = after
    return changes


# -- support per country -----------------------------------------------------------------------


def _mobile_zone_sets(country: str) -> set[tuple[str, ...]]:
    """The zones, as zones_for refines them, that the country's mobile numbers can get."""
    code = phonenumbers.country_code_for_region(country)
    if not code:
        return set()
    metadata = PhoneMetadata.metadata_for_region(country)
    by_place = (metadata is not None and metadata.same_mobile_and_fixed_line_pattern) or (
        phonenumbers.is_number_type_geographical(PhoneNumberType.MOBILE, code)
    )
    if by_place:
        # Mobiles placed like landlines (US, CA, MX, BR, CN...) get the zones of their prefix.
        # Prefixes none of whose zones are this country's belong to another country of the
        # code; the code's own entry only catches numbers no prefix knows.
        digits = str(code)
        canonical = _canonical_zones(country)
        placed = {
            zones_for(country, zones)
            for prefix, zones in TIMEZONE_DATA.items()
            if prefix.startswith(digits)
            and prefix != digits
            and (not canonical or any(ZONE_LINKS.get(z, z) in canonical for z in zones))
        }
        if placed:
            return placed
    return {zones_for(country, calling_code_time_zones(code))}


def _clear_every_day(zones: tuple[str, ...], spans: _Spans) -> bool:
    if len(zones) == 1:
        return not _never_clear(spans)  # a single zone's clock never makes the windows longer
    # The zones' offsets on each day of the year after the data's release, when every zone
    # follows its current rules, which repeat yearly. A day's offsets admit a common clear
    # instant iff one of the instants where some zone's window ends is clear in all of them.
    offsets_by_day = set(zip(*(_year_of_offsets(zone) for zone in zones), strict=True))
    ends = {end for _, end in spans}
    return all(
        any(
            all(not _quiet((at + offset) % _DAY_SECONDS, spans) for offset in offsets)
            for at in {(end - offset) % _DAY_SECONDS for end in ends for offset in offsets}
        )
        for offsets in offsets_by_day
    )


@cache
def _year_of_offsets(zone: str) -> tuple[int, ...]:
    tz = _zone(zone)
    noon = datetime(int(TZDATA_VERSION[:4]) + 1, 1, 1, 12, tzinfo=UTC)
    return tuple(_utc_offset(noon + day * _DAY, tz) for day in range(366))


# -- small helpers -----------------------------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def _canonical_zones(country: str) -> frozenset[str]:
    return frozenset(ZONE_LINKS.get(zone, zone) for zone in COUNTRY_ZONES.get(country, ()))


def _require_aware(moment: datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError(f"quiet hours need a timezone-aware instant, not {moment!r}")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _time_of(second: int) -> time:
    return time(second // 3600, second // 60 % 60)


def _utc_offset(moment: datetime, tz: ZoneInfo) -> int:
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return int(offset.total_seconds())


def _second_of_day(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 3600 + local.minute * 60 + local.second


def _spans(windows: Sequence[Window]) -> _Spans:
    return tuple(
        (w.start.hour * 3600 + w.start.minute * 60, w.end.hour * 3600 + w.end.minute * 60)
        for w in windows
    )


def _quiet(second: int, spans: _Spans) -> bool:
    for start, end in spans:
        if (start <= second < end) if start < end else (second >= start or second < end):
            return True
    return False


def _never_clear(spans: _Spans) -> bool:
    # Clear time, if any, begins where some window ends.
    return bool(spans) and all(_quiet(end, spans) for _, end in spans)
