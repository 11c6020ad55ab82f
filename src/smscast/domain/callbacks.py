"""Callbacks without I/O: which status changes a strategy wants, the message and campaign
payloads as Routee sends them, the campaign's 20% rule, request signing and the retry
schedule."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from smscast.domain.campaigns import (
    FINAL_STATUSES,
    STATUS_KEYS,
    Callback,
    CallbackStrategy,
    CampaignState,
    MessageStatus,
)
from smscast.domain.lifecycle import describe
from smscast.domain.money import PLACES, QUANTUM

SIGNATURE_HEADER: Final = "X-Smscast-Signature"
# A signature older or newer than this (seconds) is refused: a replayed or badly clocked one.
DEFAULT_TOLERANCE: Final = 300
RETRY_DELAYS: Final[tuple[timedelta, ...]] = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
)
# A campaign's OnChange callback goes out when a status count moved by this share of the
# total since the last one sent: 1 / _SHARE_DIVISOR, compared in integers so nothing rounds.
_SHARE_DIVISOR: Final = 5
_ENDED: Final = frozenset({CampaignState.FINISHED, CampaignState.FAILED})
# Message payload keys left out when there is nothing to say (a single SMS has no campaign,
# a message not yet submitted has no smsId, one not yet final has no latency, ...).
OPTIONAL_MESSAGE_KEYS: Final = frozenset(
    {"smsId", "campaignTrackingId", "campaignName", "label", "applicationName", "latency", "price"}
)
# The timestamp is bounded so that a hostile header cannot make us parse a huge integer.
_T: Final = re.compile(r"[0-9]{1,12}")
_V1: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PartEvent:
    """One SMS part's status change, with everything its message callback carries."""

    message_id: str
    sms_id: str | None
    campaign_tracking_id: str | None  # None for a single SMS
    campaign_name: str | None
    part: int
    parts: int
    label: str | None
    to: str
    sender: str
    country: str
    operator: str
    groups: tuple[str, ...]
    status: MessageStatus
    detailed_status: str | None
    updated_at: datetime  # timezone-aware
    text: str
    application_name: str | None
    latency: float | None  # seconds from submit to a final status
    price: Decimal | None


@dataclass(frozen=True, slots=True)
class CampaignSnapshot:
    """A campaign at one moment. ``counts`` is keyed by status as Routee spells it
    (``"Queued"``, ... or the ``MessageStatus`` itself); a missing status counts 0."""

    tracking_id: str
    name: str | None
    total: int
    state: CampaignState
    counts: Mapping[str, int]


def wants_message_callback(strategy: CallbackStrategy, status: MessageStatus) -> bool:
    """Whether a part's change to ``status`` is called back: OnChange every change,
    OnCompletion only the final statuses."""
    if strategy is CallbackStrategy.ON_CHANGE:
        return True
    return status in FINAL_STATUSES


def message_payload(event: PartEvent) -> dict[str, object]:
    """The message callback body for one part, keys in API.md's order. The keys of
    ``OPTIONAL_MESSAGE_KEYS`` are left out when their value is None."""
    payload: dict[str, object | None] = {
        "messageId": event.message_id,
        "smsId": event.sms_id,
        "campaignTrackingId": event.campaign_tracking_id,
        "part": event.part,
        "parts": event.parts,
        "label": event.label,
        "to": event.to,
        "from": event.sender,
        "country": event.country,
        "operator": event.operator,
        "groups": list(event.groups),
        "campaignName": event.campaign_name,
        "status": {
            "name": event.status.value,
            "reason": describe(event.detailed_status, event.status),
            "updatedDate": iso_millis(event.updated_at),
        },
        "message": event.text,
        "applicationName": event.application_name,
        "latency": event.latency,
        "price": None if event.price is None else money_number(event.price),
        "direction": "Outbound",
        "originatingService": "Sms",
    }
    # Only the OPTIONAL_MESSAGE_KEYS can be None: every other field is typed not-None.
    return {key: value for key, value in payload.items() if value is not None}


def campaign_payload(snapshot: CampaignSnapshot, callback: Callback) -> dict[str, object]:
    """The campaign callback body: every one of the six statuses, in Routee's order; ``name``
    is left out for a campaign without one."""
    payload: dict[str, object] = {"trackingId": snapshot.tracking_id}
    if snapshot.name is not None:
        payload["name"] = snapshot.name
    payload["totalRecipients"] = snapshot.total
    payload["campaignStatus"] = snapshot.state.value
    payload["messageStatuses"] = {
        status.value: _count(snapshot.counts, status) for status in STATUS_KEYS
    }
    payload["callbackInfo"] = {"url": callback.url, "strategy": callback.strategy.value}
    return payload


def campaign_callback_due(
    strategy: CallbackStrategy,
    before: CampaignSnapshot,
    after: CampaignSnapshot,
    last_sent_counts: Mapping[str, int] | None,
    already_completed: bool,
) -> bool:
    """Whether the move from ``before`` to ``after`` calls the campaign back.

    OnChange: on every state change, and when some status count is at least 20% of the
    total away from the counts of the last callback sent (``None``: none sent yet, so from
    the start, every recipient Queued). OnCompletion: once, when the campaign has ended
    Finished or Failed and no completion callback went out before.
    """
    if strategy is CallbackStrategy.ON_COMPLETION:
        return after.state in _ENDED and not already_completed
    if before.state is not after.state:
        return True
    if after.total <= 0:
        return False
    last = last_sent_counts
    if last is None:
        last = {MessageStatus.QUEUED.value: after.total}
    return any(
        abs(_count(after.counts, status) - _count(last, status)) * _SHARE_DIVISOR >= after.total
        for status in STATUS_KEYS
    )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Smscast-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    if not secret:
        raise ValueError("a callback secret must not be empty")
    if timestamp < 0:
        raise ValueError("a signature timestamp must not be negative")
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = DEFAULT_TOLERANCE
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance``
    seconds of ``now`` (either side). Malformed headers are refused, never raised on; keys
    other than ``t`` and ``v1`` are ignored so later schemes can be added beside them."""
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    if not secret:
        return False
    fields: dict[str, str] = {}
    for item in header.split(","):
        key, equals, value = item.partition("=")
        if not equals or key in fields:
            return False
        fields[key] = value
    t, v1 = fields.get("t"), fields.get("v1")
    if t is None or v1 is None or not _T.fullmatch(t) or not _V1.fullmatch(v1.lower()):
        return False
    timestamp = int(t)
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), v1.lower().encode("ascii"))


def next_attempt(
    attempts_made: int, now: datetime, delays: Sequence[timedelta] = RETRY_DELAYS
) -> datetime | None:
    """When to try a callback next after ``attempts_made`` failed attempts: at once when none
    was made, then after each delay in turn; None once the ``1 + len(delays)`` attempts are
    spent."""
    if attempts_made < 0:
        raise ValueError("attempts_made must not be negative")
    if attempts_made == 0:
        return now
    if attempts_made > len(delays):
        return None
    return now + delays[attempts_made - 1]


def iso_millis(moment: datetime) -> str:
    """``2026-11-28T15:01:42.395Z``: UTC, milliseconds, ``Z`` (the API's own format)."""
    if moment.tzinfo is None:
        raise ValueError("a callback date must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def money_number(amount: Decimal) -> float:
    """An amount as a JSON number. With at most 6 places (and under 1e9) the float's shortest
    repr is the same decimal; more places would be silently rounded, so they are refused."""
    try:
        exact = amount.is_finite() and amount.quantize(QUANTUM) == amount
    except InvalidOperation:  # too many digits to quantize: no amount of ours
        exact = False
    if not exact:
        raise ValueError(f"an amount has at most {PLACES} decimal places: {amount}")
    return float(amount)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _count(counts: Mapping[str, int], status: MessageStatus) -> int:
    return counts.get(status.value, 0)
