"""Reading campaign and single-SMS bodies as real Routee clients send them.

Written by hand rather than as a pydantic model: the leniency clients rely on (numbers as
strings, ``"true"``, epoch or ISO dates, ``reminder.recipients``, ``fallbackValues`` as a list)
and Routee's error shapes (which field, which code) are easier to state as code than as
validators. Unknown fields are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smscast.api.formats import parse_instant
from smscast.domain.campaigns import (
    DEFAULT_TTL,
    MAX_CONTACTS,
    MAX_GROUPS,
    MAX_REMINDER_MINUTES,
    MAX_REMINDER_NUMBERS,
    MAX_TO,
    MAX_TTL,
    MIN_TTL,
    Callback,
    CallbackStrategy,
    Reminder,
    valid_callback_url,
    valid_campaign_name,
    valid_ttl,
)
from smscast.domain.personalize import fallback_values
from smscast.errors import ValidationFailed
from smscast.services.campaigns import CampaignRequest, SingleRequest

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def campaign_request(body: Any) -> CampaignRequest:
    data = _object(body)
    to = _numbers(data.get("to"), "to")
    if len(to) > MAX_TO:
        raise _invalid("to", f"at most {MAX_TO} numbers per request; {len(to)} given")
    contacts = _strings(data.get("contacts"), "contacts")
    if len(contacts) > MAX_CONTACTS:
        raise _invalid("contacts", f"at most {MAX_CONTACTS} contacts per request")
    groups = _strings(data.get("groups"), "groups")
    if len(groups) > MAX_GROUPS:
        raise _invalid("groups", f"at most {MAX_GROUPS} groups per request")
    return CampaignRequest(
        sender=_sender(data.get("from")),
        body=_text(data.get("body"), "body"),
        to=tuple(to),
        contacts=tuple(contacts),
        groups=tuple(groups),
        scheduled_at=_date(data.get("scheduledDate"), "scheduledDate"),
        name=_campaign_name(data.get("campaignName")),
        callback=_callback(data.get("callback"), "callback"),
        campaign_callback=_callback(data.get("campaignCallback"), "campaignCallback"),
        reminder=_reminder(data.get("reminder")),
        fallback_values=_fallbacks(data.get("fallbackValues")),
        flash=_bool(data.get("flash"), "flash", False),
        respect_quiet_hours=_bool(data.get("respectQuietHours"), "respectQuietHours", False),
        ttl=_ttl(data.get("ttl")),
        allow_invalid=_bool(data.get("allowInvalid"), "allowInvalid", False),
        transcode=_optional_bool(data.get("transcode"), "transcode"),
    )


def single_request(body: Any) -> SingleRequest:
    data = _object(body)
    to = data.get("to")
    if isinstance(to, list) and len(to) == 1:
        to = to[0]  # a one-element array: what the client meant is plain
    if to is not None and not isinstance(to, (str, int)):
        raise _invalid("to", "must be a mobile number")
    label = data.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 100):
        raise _invalid("label", "must be text of at most 100 characters")
    return SingleRequest(
        sender=_sender(data.get("from")),
        body=_text(data.get("body"), "body"),
        to=None if to is None else str(to),
        flash=_bool(data.get("flash"), "flash", False),
        label=label or None,
        callback=_callback(data.get("callback"), "callback"),
        ttl=_ttl(data.get("ttl")),
        transcode=_optional_bool(data.get("transcode"), "transcode"),
    )


def _object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ValidationFailed("expected a JSON object", properties={"body": "not an object"})
    return body


def _invalid(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid {field}: {problem}", properties={field: problem})


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(field, "must be text")
    return value


def _sender(value: Any) -> str | None:
    # Numeric senders arrive as JSON numbers from some clients.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, "from")


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _invalid(field, "must be an array of strings")
    found: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _invalid(f"{field}[{i}]", "must be a non-empty string")
        found.append(item)
    return found


def _numbers(value: Any, field: str) -> list[str]:
    """Mobile numbers: strings, or JSON numbers kept as their digits (then refused as not
    E.164 by the recipient check, which lists them)."""
    if isinstance(value, list):
        value = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return _strings(value, field)


def _bool(value: Any, field: str, default: bool) -> bool:
    found = _optional_bool(value, field)
    return default if found is None else found


def _optional_bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False if value.strip() else None
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _invalid(field, "must be true or false")


def _int(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _invalid(field, "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _invalid(field, "must be a whole number")


def _ttl(value: Any) -> int:
    ttl = _int(value, "ttl")
    if ttl is None:
        return DEFAULT_TTL
    if not valid_ttl(ttl):
        raise _invalid("ttl", f"must be {MIN_TTL}-{MAX_TTL} minutes")
    return ttl


def _date(value: Any, field: str) -> datetime | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise _invalid(field, str(exc)) from None


def _campaign_name(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not valid_campaign_name(value):
        raise _invalid("campaignName", "2-30 latin letters, digits, spaces or '-'")
    return value


def _callback(value: Any, field: str) -> Callback | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid(field, "must be an object {url, strategy}")
    url = value.get("url")
    if not isinstance(url, str) or not valid_callback_url(url.strip()):
        raise _invalid(f"{field}.url", "must be an http or https URL")
    strategy = value.get("strategy") or CallbackStrategy.ON_CHANGE.value
    try:
        chosen = CallbackStrategy(strategy)
    except ValueError:
        raise _invalid(f"{field}.strategy", "must be OnChange or OnCompletion") from None
    return Callback(url.strip(), chosen)


def _reminder(value: Any) -> Reminder | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid("reminder", "must be an object {minutesBefore, minutesAfter, to}")
    before = _int(value.get("minutesBefore"), "reminder.minutesBefore")
    after = _int(value.get("minutesAfter"), "reminder.minutesAfter")
    for name, minutes in (("minutesBefore", before), ("minutesAfter", after)):
        if minutes is not None and not 0 <= minutes <= MAX_REMINDER_MINUTES:
            raise _invalid(f"reminder.{name}", "must be 0 or more minutes, within a week")
    field = "to" if value.get("to") is not None else "recipients"
    to = _numbers(value.get(field), f"reminder.{field}")
    if not to:
        raise _invalid("reminder.to", "a reminder needs at least one number")
    if len(to) > MAX_REMINDER_NUMBERS:
        raise _invalid("reminder.to", f"at most {MAX_REMINDER_NUMBERS} numbers")
    if before is None and after is None:
        raise _invalid("reminder", "give minutesBefore, minutesAfter or both")
    return Reminder(before, after, tuple(to))


def _fallbacks(value: Any) -> dict[str, str]:
    try:
        return fallback_values(value)
    except ValueError as exc:
        raise _invalid("fallbackValues", str(exc)) from None
