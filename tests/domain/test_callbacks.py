"""Callbacks without I/O: strategies against every status and state, exact payloads, the
campaign's 20% rule, signing and verifying, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscast.domain.callbacks import (
    OPTIONAL_MESSAGE_KEYS,
    RETRY_DELAYS,
    CampaignSnapshot,
    PartEvent,
    campaign_callback_due,
    campaign_payload,
    message_payload,
    next_attempt,
    sign,
    verify,
    wants_message_callback,
)
from smscast.domain.campaigns import Callback, CallbackStrategy, CampaignState, MessageStatus

ON_CHANGE, ON_COMPLETION = CallbackStrategy.ON_CHANGE, CallbackStrategy.ON_COMPLETION
Q, S, U, F, D, X = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.UNSENT,
    MessageStatus.FAILED,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
)
ROUTEE_ORDER = ["Queued", "Sent", "Unsent", "Failed", "Delivered", "Undelivered"]
T0 = datetime(2026, 11, 28, 15, 1, 42, 395_123, tzinfo=UTC)
SECRET = "whsec_0123456789"
BODY = b'{"messageId":"m-1","status":{"name":"Delivered"}}'
NOW = 1_764_342_102


def make_event(**overrides: Any) -> PartEvent:
    values: dict[str, Any] = {
        "message_id": "m-1",
        "sms_id": "s-1",
        "campaign_tracking_id": "c-1",
        "campaign_name": "Black Friday",
        "part": 2,
        "parts": 3,
        "label": "promo",
        "to": "+306912345678",
        "sender": "smscast",
        "country": "GR",
        "operator": "Vodafone",
        "groups": ("VIP", "Athens"),
        "status": D,
        "detailed_status": "Delivered",
        "updated_at": T0,
        "text": "Hello, 20% off today",
        "application_name": "shop",
        "latency": 2.5,
        "price": Decimal("0.065"),
    }
    values.update(overrides)
    return PartEvent(**values)


def make_snapshot(**overrides: Any) -> CampaignSnapshot:
    values: dict[str, Any] = {
        "tracking_id": "c-1",
        "name": "Black Friday",
        "total": 1000,
        "state": CampaignState.RUNNING,
        "counts": {"Queued": 1000},
    }
    values.update(overrides)
    return CampaignSnapshot(**values)


# --- which message changes are called back -------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "status"), list(itertools.product(CallbackStrategy, MessageStatus))
)
def test_message_strategy_against_every_status(
    strategy: CallbackStrategy, status: MessageStatus
) -> None:
    expected = {
        ON_CHANGE: {Q: True, S: True, U: True, F: True, D: True, X: True},
        ON_COMPLETION: {Q: False, S: False, U: True, F: True, D: True, X: True},
    }[strategy][status]
    assert wants_message_callback(strategy, status) is expected


# --- message payloads ----------------------------------------------------------------------


def test_message_payload_of_a_full_event_is_exactly_routees() -> None:
    payload = message_payload(make_event())
    assert payload == {
        "messageId": "m-1",
        "smsId": "s-1",
        "campaignTrackingId": "c-1",
        "part": 2,
        "parts": 3,
        "label": "promo",
        "to": "+306912345678",
        "from": "smscast",
        "country": "GR",
        "operator": "Vodafone",
        "groups": ["VIP", "Athens"],
        "campaignName": "Black Friday",
        "status": {
            "name": "Delivered",
            "reason": {
                "detailedStatus": "Delivered",
                "description": "The message was delivered to the handset.",
            },
            "updatedDate": "2026-11-28T15:01:42.395Z",
        },
        "message": "Hello, 20% off today",
        "applicationName": "shop",
        "latency": 2.5,
        "price": 0.065,
        "direction": "Outbound",
        "originatingService": "Sms",
    }
    # API.md's order, so a body reads the same as Routee's.
    assert list(payload) == [
        "messageId",
        "smsId",
        "campaignTrackingId",
        "part",
        "parts",
        "label",
        "to",
        "from",
        "country",
        "operator",
        "groups",
        "campaignName",
        "status",
        "message",
        "applicationName",
        "latency",
        "price",
        "direction",
        "originatingService",
    ]
    assert json.loads(json.dumps(payload)) == payload


def test_message_payload_leaves_out_the_none_fields() -> None:
    event = make_event(
        sms_id=None,
        campaign_tracking_id=None,
        campaign_name=None,
        label=None,
        application_name=None,
        latency=None,
        price=None,
        status=Q,
        detailed_status=None,
        groups=(),
        part=1,
        parts=1,
    )
    assert message_payload(event) == {
        "messageId": "m-1",
        "part": 1,
        "parts": 1,
        "to": "+306912345678",
        "from": "smscast",
        "country": "GR",
        "operator": "Vodafone",
        "groups": [],
        "status": {
            "name": "Queued",
            "reason": {"detailedStatus": "Queued", "description": "Waiting to be sent."},
            "updatedDate": "2026-11-28T15:01:42.395Z",
        },
        "message": "Hello, 20% off today",
        "direction": "Outbound",
        "originatingService": "Sms",
    }


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("sms_id", "smsId"),
        ("campaign_tracking_id", "campaignTrackingId"),
        ("campaign_name", "campaignName"),
        ("label", "label"),
        ("application_name", "applicationName"),
        ("latency", "latency"),
        ("price", "price"),
    ],
)
def test_each_optional_field_alone_is_left_out(field: str, key: str) -> None:
    full = message_payload(make_event())
    payload = message_payload(make_event(**{field: None}))
    assert key in OPTIONAL_MESSAGE_KEYS
    assert payload == {k: v for k, v in full.items() if k != key}


def test_zero_latency_and_free_price_are_kept_not_left_out() -> None:
    payload = message_payload(make_event(latency=0.0, price=Decimal("0")))
    assert payload["latency"] == 0.0
    assert payload["price"] == 0.0
    assert isinstance(payload["price"], float)


def test_detailed_status_reason_is_carried() -> None:
    payload = message_payload(make_event(status=X, detailed_status="Unknown Number"))
    assert payload["status"] == {
        "name": "Undelivered",
        "reason": {
            "detailedStatus": "Unknown Number",
            "description": "The number does not exist or is not in service.",
        },
        "updatedDate": "2026-11-28T15:01:42.395Z",
    }


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC), "2026-01-02T03:04:05.999Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 1_000, tzinfo=UTC), "2026-01-02T03:04:05.001Z"),
        # Athens, +02:00 in winter: shown in UTC.
        (
            datetime(2026, 1, 2, 1, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-01T23:00:00.250Z",
        ),
    ],
)
def test_updated_date_is_utc_with_millis_and_z(moment: datetime, expected: str) -> None:
    status = message_payload(make_event(updated_at=moment))["status"]
    assert isinstance(status, dict)
    assert status["updatedDate"] == expected


def test_naive_update_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        message_payload(make_event(updated_at=datetime(2026, 1, 2, 3, 4, 5)))


@pytest.mark.parametrize(
    ("price", "number"),
    [
        (Decimal("0.065"), 0.065),
        (Decimal("0.065000"), 0.065),
        (Decimal("0.000001"), 0.000001),
        (Decimal("12.5"), 12.5),
        (Decimal("999999999.999999"), 999999999.999999),
    ],
)
def test_price_is_a_json_number(price: Decimal, number: float) -> None:
    payload = message_payload(make_event(price=price))
    assert payload["price"] == number
    assert json.dumps(payload["price"]) == repr(number)


@pytest.mark.parametrize(
    "price", [Decimal("0.0000001"), Decimal("1.2345678"), Decimal("NaN"), Decimal("Infinity")]
)
def test_price_past_six_places_is_refused_not_rounded(price: Decimal) -> None:
    with pytest.raises(ValueError, match="6 decimal places"):
        message_payload(make_event(price=price))


@given(st.integers(min_value=0, max_value=10**15))
def test_every_six_place_price_survives_json(millionths: int) -> None:
    price = Decimal(millionths).scaleb(-6)
    sent = json.loads(json.dumps(message_payload(make_event(price=price))))["price"]
    assert Decimal(repr(sent)) == price


# --- campaign payloads ---------------------------------------------------------------------


def test_campaign_payload_is_exactly_routees() -> None:
    snapshot = make_snapshot(
        state=CampaignState.SENT,
        counts={"Queued": 0, "Sent": 700, "Unsent": 10, "Failed": 40, "Delivered": 200},
    )
    callback = Callback("https://example.com/hook", ON_CHANGE)
    payload = campaign_payload(snapshot, callback)
    assert payload == {
        "trackingId": "c-1",
        "name": "Black Friday",
        "totalRecipients": 1000,
        "campaignStatus": "Sent",
        "messageStatuses": {
            "Queued": 0,
            "Sent": 700,
            "Unsent": 10,
            "Failed": 40,
            "Delivered": 200,
            "Undelivered": 0,
        },
        "callbackInfo": {"url": "https://example.com/hook", "strategy": "OnChange"},
    }
    assert list(payload) == [
        "trackingId",
        "name",
        "totalRecipients",
        "campaignStatus",
        "messageStatuses",
        "callbackInfo",
    ]
    statuses = payload["messageStatuses"]
    assert isinstance(statuses, dict)
    assert list(statuses) == ROUTEE_ORDER
    assert json.loads(json.dumps(payload)) == payload


def test_campaign_payload_without_a_name_and_with_no_counts() -> None:
    payload = campaign_payload(
        make_snapshot(name=None, total=0, state=CampaignState.FAILED, counts={}),
        Callback("http://10.0.0.1:8080/cb", ON_COMPLETION),
    )
    assert payload == {
        "trackingId": "c-1",
        "totalRecipients": 0,
        "campaignStatus": "Failed",
        "messageStatuses": dict.fromkeys(ROUTEE_ORDER, 0),
        "callbackInfo": {"url": "http://10.0.0.1:8080/cb", "strategy": "OnCompletion"},
    }


def test_campaign_counts_may_be_keyed_by_the_status_itself() -> None:
    payload = campaign_payload(
        make_snapshot(counts={D: 3, X: 4}), Callback("https://example.com", ON_CHANGE)
    )
    assert payload["messageStatuses"] == {
        "Queued": 0,
        "Sent": 0,
        "Unsent": 0,
        "Failed": 0,
        "Delivered": 3,
        "Undelivered": 4,
    }


# --- when a campaign is called back --------------------------------------------------------


def _moved(total: int, sent: int) -> dict[str, int]:
    """``sent`` of ``total`` recipients moved from Queued to Sent."""
    return {"Queued": total - sent, "Sent": sent}


@pytest.mark.parametrize(
    ("total", "sent", "due"),
    [
        (1, 0, False),
        (1, 1, True),  # 100%
        (3, 0, False),
        (3, 1, True),  # 33%: any one of three is past 20%
        (5, 1, True),  # exactly 20%
        (6, 1, False),  # 16.7%
        (6, 2, True),
        (7, 1, False),  # 14.3%: 20% of 7 is 1.4, not rounded down to 1
        (7, 2, True),  # 28.6%
        (10, 1, False),
        (10, 2, True),  # exactly 20%
        (1000, 1, False),
        (1000, 199, False),  # just below
        (1000, 200, True),  # exactly 20%
        (1000, 201, True),
        (1000, 1000, True),
    ],
)
def test_twenty_percent_from_the_start(total: int, sent: int, due: bool) -> None:
    before = make_snapshot(total=total, counts={"Queued": total})
    after = make_snapshot(total=total, counts=_moved(total, sent))
    assert campaign_callback_due(ON_CHANGE, before, after, None, False) is due


@pytest.mark.parametrize(
    ("total", "last", "now", "due"),
    [
        (1000, 200, 399, False),
        (1000, 200, 400, True),
        (1000, 200, 0, True),  # a move back counts as much as a move forward
        (1000, 200, 1, False),
        (7, 2, 3, False),
        (7, 2, 4, True),
        (3, 1, 2, True),
    ],
)
def test_twenty_percent_since_the_last_callback_sent(
    total: int, last: int, now: int, due: bool
) -> None:
    before = make_snapshot(total=total, counts=_moved(total, now))
    after = make_snapshot(total=total, counts=_moved(total, now))
    assert campaign_callback_due(ON_CHANGE, before, after, _moved(total, last), False) is due


def test_moves_spread_over_statuses_do_not_add_up() -> None:
    # 100 Queued -> Sent and 150 Sent -> Delivered: 250 moves, but no count moved 200.
    last = {"Queued": 500, "Sent": 500}
    counts = {"Queued": 400, "Sent": 450, "Delivered": 150}
    after = make_snapshot(counts=counts)
    assert campaign_callback_due(ON_CHANGE, after, after, last, False) is False


def test_one_status_moving_enough_among_several_is_due() -> None:
    # Queued lost 200 to three different statuses: Queued alone moved 20%.
    counts = {"Queued": 800, "Sent": 100, "Failed": 50, "Unsent": 50}
    after = make_snapshot(counts=counts)
    assert campaign_callback_due(ON_CHANGE, make_snapshot(), after, None, False) is True
    # Any single status reaching 20% is enough, even one the others do not show.
    last = {"Queued": 0, "Sent": 1000}
    counts = {"Sent": 800, "Undelivered": 200}
    after = make_snapshot(counts=counts)
    assert campaign_callback_due(ON_CHANGE, after, after, last, False) is True


def test_missing_last_counts_are_zero() -> None:
    after = make_snapshot(total=10, counts={"Queued": 8, "Sent": 2})
    # Queued missing from the last counts reads 0: it moved by 8.
    assert campaign_callback_due(ON_CHANGE, after, after, {"Sent": 2}, False) is True
    assert campaign_callback_due(ON_CHANGE, after, after, {"Queued": 8, "Sent": 2}, False) is False


def test_rule_compares_with_the_last_callback_not_the_previous_snapshot() -> None:
    """Small steps add up: 1% steps call back on every 20th."""
    total = 1000
    last: Mapping[str, int] | None = None
    sent_at: list[int] = []
    before = make_snapshot(counts={"Queued": total})
    for step in range(1, 101):
        after = make_snapshot(counts=_moved(total, step * 10))
        if campaign_callback_due(ON_CHANGE, before, after, last, False):
            sent_at.append(step * 10)
            last = after.counts
        before = after
    assert sent_at == [200, 400, 600, 800, 1000]


def test_no_recipients_only_state_changes_count() -> None:
    empty = make_snapshot(total=0, counts={})
    assert campaign_callback_due(ON_CHANGE, empty, empty, None, False) is False
    ended = replace(empty, state=CampaignState.FAILED)
    assert campaign_callback_due(ON_CHANGE, empty, ended, None, False) is True


@given(
    total=st.integers(min_value=1, max_value=2000),
    data=st.data(),
)
def test_twenty_percent_rule_matches_exact_arithmetic(total: int, data: st.DataObject) -> None:
    def counts() -> dict[str, int]:
        return {
            key: data.draw(st.integers(min_value=0, max_value=total), label=key)
            for key in ROUTEE_ORDER
        }

    last, now = counts(), counts()
    after = make_snapshot(total=total, counts=now)
    expected = any(Fraction(abs(now[k] - last[k]), total) >= Fraction(1, 5) for k in ROUTEE_ORDER)
    assert campaign_callback_due(ON_CHANGE, after, after, last, False) is expected


@pytest.mark.parametrize(
    ("old", "new"), [p for p in itertools.product(CampaignState, repeat=2) if p[0] != p[1]]
)
def test_on_change_calls_back_every_state_change(old: CampaignState, new: CampaignState) -> None:
    counts = {"Queued": 1000}
    before = make_snapshot(state=old, counts=counts)
    after = make_snapshot(state=new, counts=counts)
    assert campaign_callback_due(ON_CHANGE, before, after, counts, False) is True
    # Whatever a completion flag says: it belongs to OnCompletion.
    assert campaign_callback_due(ON_CHANGE, before, after, counts, True) is True


@pytest.mark.parametrize("state", list(CampaignState))
def test_on_change_is_quiet_when_nothing_moved(state: CampaignState) -> None:
    snapshot = make_snapshot(state=state, counts=_moved(1000, 300))
    assert campaign_callback_due(ON_CHANGE, snapshot, snapshot, _moved(1000, 300), False) is False


@pytest.mark.parametrize(
    ("old", "new", "completed"),
    list(itertools.product(CampaignState, CampaignState, [False, True])),
)
def test_on_completion_against_every_state(
    old: CampaignState, new: CampaignState, completed: bool
) -> None:
    before = make_snapshot(state=old, counts={"Queued": 1000})
    # Every recipient moved: the 20% rule is for OnChange only.
    after = make_snapshot(state=new, counts={"Delivered": 1000})
    expected = new in (CampaignState.FINISHED, CampaignState.FAILED) and not completed
    assert campaign_callback_due(ON_COMPLETION, before, after, None, completed) is expected


@pytest.mark.parametrize("end", [CampaignState.FINISHED, CampaignState.FAILED])
def test_on_completion_calls_back_exactly_once(end: CampaignState) -> None:
    states = [
        CampaignState.SCHEDULED,
        CampaignState.QUEUED,
        CampaignState.RUNNING,
        CampaignState.RUNNING,
        CampaignState.SENT,
        end,
        end,  # a late receipt or a repeated check changes nothing
        end,
    ]
    completed = False
    calls = []
    for i, (old, new) in enumerate(itertools.pairwise(states)):
        before = make_snapshot(state=old, counts=_moved(1000, i * 150))
        after = make_snapshot(state=new, counts=_moved(1000, (i + 1) * 150 % 1001))
        if campaign_callback_due(ON_COMPLETION, before, after, None, completed):
            calls.append(new)
            completed = True
    assert calls == [end]


# --- signing -------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = sign(SECRET, NOW, BODY)
    digest = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={digest}"
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)


def test_signature_known_vector() -> None:
    # Computed once with: printf '1.{}' | openssl dgst -sha256 -hmac key
    assert sign("key", 1, b"{}") == (
        "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
    )
    assert sign("key", 1, b"{}") != sign("key", 1, b"{} ")
    assert sign("key", 1, b"{}") != sign("key", 2, b"{}")


def test_sign_verify_round_trip() -> None:
    assert verify(SECRET, sign(SECRET, NOW, BODY), BODY, now=NOW) is True


@given(
    secret=st.text(min_size=1, max_size=64),
    body=st.binary(max_size=512),
    timestamp=st.integers(min_value=0, max_value=10**11),
    skew=st.integers(min_value=-300, max_value=300),
)
def test_round_trip_for_any_secret_body_and_time(
    secret: str, body: bytes, timestamp: int, skew: int
) -> None:
    header = sign(secret, timestamp, body)
    assert verify(secret, header, body, now=timestamp + skew) is True
    assert verify(secret, header, body + b"x", now=timestamp + skew) is False
    assert verify(secret + "x", header, body, now=timestamp + skew) is False


@pytest.mark.parametrize(
    "body",
    [
        BODY.replace(b"Delivered", b"Delivere "),
        BODY + b" ",
        BODY[:-1],
        b"",
        BODY.upper(),
    ],
)
def test_tampered_body_is_refused(body: bytes) -> None:
    assert verify(SECRET, sign(SECRET, NOW, BODY), body, now=NOW) is False


@pytest.mark.parametrize("secret", ["whsec_0123456788", "", "WHSEC_0123456789", SECRET + " "])
def test_wrong_secret_is_refused(secret: str) -> None:
    assert verify(secret, sign(SECRET, NOW, BODY), BODY, now=NOW) is False


def test_tampered_timestamp_is_refused() -> None:
    header = sign(SECRET, NOW, BODY)
    forged = header.replace(f"t={NOW}", f"t={NOW + 1}")
    assert verify(SECRET, forged, BODY, now=NOW) is False


@pytest.mark.parametrize(
    ("skew", "tolerance", "valid"),
    [
        (0, 300, True),
        (300, 300, True),  # exactly at the edge, stale side
        (301, 300, False),  # stale
        (-300, 300, True),  # exactly at the edge, future side
        (-301, 300, False),  # from the future
        (86_400, 300, False),
        (-86_400, 300, False),
        (0, 0, True),
        (1, 0, False),
        (-1, 0, False),
        (3_599, 3_600, True),
        (3_601, 3_600, False),
    ],
)
def test_stale_and_future_timestamps(skew: int, tolerance: int, valid: bool) -> None:
    header = sign(SECRET, NOW, BODY)
    assert verify(SECRET, header, BODY, now=NOW + skew, tolerance=tolerance) is valid


def test_default_tolerance_is_five_minutes() -> None:
    header = sign(SECRET, NOW, BODY)
    assert verify(SECRET, header, BODY, now=NOW + 300) is True
    assert verify(SECRET, header, BODY, now=NOW + 301) is False


def _digest(timestamp: int = NOW) -> str:
    return sign(SECRET, timestamp, BODY).partition(",v1=")[2]


@pytest.mark.parametrize(
    "header",
    [
        "",
        ",",
        "t=",
        f"t={NOW}",
        f"v1={_digest()}",
        f"t={NOW},v1=",
        f"t=,v1={_digest()}",
        f"t=abc,v1={_digest()}",
        f"t=-{NOW},v1={_digest()}",
        f"t=+{NOW},v1={_digest()}",
        f"t={NOW}.0,v1={_digest()}",
        f"t= {NOW},v1={_digest()}",
        f"t={NOW}, v1={_digest()}",
        f"t={NOW},v1={_digest()} ",
        f"t={NOW};v1={_digest()}",
        f"t={NOW},v1={_digest()},",
        f"t={NOW},v1={_digest()[:-1]}",
        f"t={NOW},v1={_digest()}0",
        f"t={NOW},v1={_digest()[:-1]}g",
        f"t={NOW},t={NOW},v1={_digest()}",
        f"t={NOW},v1={_digest()},v1={_digest()}",
        f"t={NOW},v1,{_digest()}",
        f"T={NOW},V1={_digest()}",
        f"t=٠{NOW},v1={_digest()}",  # an Arabic-Indic zero: a digit to Python, not to us
        f"t={'9' * 40},v1={_digest()}",
        f"t={NOW},v1=sha256={_digest()}",
    ],
)
def test_malformed_headers_are_refused(header: str) -> None:
    assert verify(SECRET, header, BODY, now=NOW) is False


def test_field_order_case_of_hex_and_unknown_fields() -> None:
    digest = _digest()
    assert verify(SECRET, f"v1={digest},t={NOW}", BODY, now=NOW) is True
    assert verify(SECRET, f"t={NOW},v1={digest.upper()}", BODY, now=NOW) is True
    # Another scheme beside v1 is ignored; v1 still decides.
    assert verify(SECRET, f"t={NOW},v1={digest},v2=abc", BODY, now=NOW) is True
    assert verify(SECRET, f"t={NOW},v1={'0' * 64},v2={digest}", BODY, now=NOW) is False


@given(st.text(max_size=200))
def test_any_header_is_answered_not_raised_on(header: str) -> None:
    assert verify(SECRET, header, BODY, now=NOW) is False


def test_sign_refuses_an_empty_secret_or_a_negative_time() -> None:
    with pytest.raises(ValueError, match="secret"):
        sign("", NOW, BODY)
    with pytest.raises(ValueError, match="negative"):
        sign(SECRET, -1, BODY)
    with pytest.raises(ValueError, match="tolerance"):
        verify(SECRET, sign(SECRET, NOW, BODY), BODY, now=NOW, tolerance=-1)


# --- retries -------------------------------------------------------------------------------


def test_default_retry_delays() -> None:
    seconds = [int(delay.total_seconds()) for delay in RETRY_DELAYS]
    assert seconds == [10, 30, 120, 600, 1800]


@pytest.mark.parametrize(
    ("made", "wait"),
    [
        (0, timedelta(0)),
        (1, timedelta(seconds=10)),
        (2, timedelta(seconds=30)),
        (3, timedelta(minutes=2)),
        (4, timedelta(minutes=10)),
        (5, timedelta(minutes=30)),
    ],
)
def test_next_attempt_schedule(made: int, wait: timedelta) -> None:
    assert next_attempt(made, T0) == T0 + wait


@pytest.mark.parametrize("made", [6, 7, 100])
def test_retries_run_out_after_one_try_and_five_retries(made: int) -> None:
    assert next_attempt(made, T0) is None


def test_attempts_until_exhausted() -> None:
    """A receiver that is down for good: six attempts, then the row fails."""

    def run(schedule: Callable[[int, datetime], datetime | None]) -> list[datetime]:
        attempts: list[datetime] = []
        now: datetime | None = T0
        while now is not None:
            attempts.append(now)  # the attempt fails
            now = schedule(len(attempts), now)
        return attempts

    attempts = run(next_attempt)
    assert [b - a for a, b in itertools.pairwise(attempts)] == list(RETRY_DELAYS)
    assert attempts[-1] - attempts[0] == timedelta(minutes=42, seconds=40)

    custom = (timedelta(seconds=1), timedelta(seconds=2))
    assert len(run(lambda made, now: next_attempt(made, now, custom))) == 3
    assert run(lambda made, now: next_attempt(made, now, ())) == [T0]


def test_negative_attempts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        next_attempt(-1, T0)


def test_the_readme_receiver_snippet_verifies_our_signatures():
    """README shows receivers how to verify a callback: that code must accept what we sign
    and refuse a tampered body, a wrong key and an old signature."""
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Callbacks", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    assert snippet is not None
    scope: dict[str, object] = {}
    exec(snippet.group(1), scope)
    readme_verify = scope["verify"]
    assert callable(readme_verify)
    body = b'{"messageId":"m-1"}'
    now = int(time.time())
    header = sign("the-secret", now, body)
    assert readme_verify("the-secret", header, body)
    assert not readme_verify("the-secret", header, body + b" ")
    assert not readme_verify("another", header, body)
    assert not readme_verify("the-secret", sign("the-secret", now - 3600, body), body)
    assert not readme_verify("the-secret", "garbage", body)
