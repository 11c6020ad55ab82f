"""Wire formats shared by the routes: Routee's timestamps, money as JSON numbers, input dates."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

# One formatter for every timestamp we send: API answers and callback payloads alike.
from smscast.domain.callbacks import iso_millis as iso_millis

# Some clients send 0001-01-01T00:00:00 for "unset"; anything before this means "now".
_FAR_PAST = datetime(1971, 1, 1, tzinfo=UTC)


def parse_instant(value: object) -> datetime | None:
    """An input date: ISO-8601 (Z, offset or none = UTC; seconds and millis optional) or epoch
    seconds. Returns None for the far-past "unset" dates clients send."""
    try:
        return _parse_instant(value)
    except (OverflowError, OSError) as exc:
        raise ValueError("date out of range") from exc


def _parse_instant(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("not a finite epoch time")
        moment = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            moment = _parse_iso(text)
        else:
            if not math.isfinite(seconds):
                raise ValueError("not a finite epoch time")
            moment = datetime.fromtimestamp(seconds, UTC)
    else:
        raise ValueError("expected an ISO-8601 date or epoch seconds")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < _FAR_PAST:
        return None
    return moment.astimezone(UTC)


def _parse_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"not an ISO-8601 date: {text!r}") from None


def _money_out(value: Decimal) -> float:
    # Amounts carry at most 6 places, so the float's shortest repr is the same decimal.
    return float(value)


MoneyOut = Annotated[Decimal, PlainSerializer(_money_out, return_type=float, when_used="json")]
Instant = Annotated[datetime, PlainSerializer(iso_millis, return_type=str, when_used="json")]
OptionalInstantIn = Annotated[datetime | None, BeforeValidator(parse_instant)]
