"""Message and campaign lifecycles: every allowed and refused move, the fold of parts into a
message, counter deltas, campaign states and refunds."""

from __future__ import annotations

import itertools

import pytest

from smscast.domain.campaigns import CampaignState, MessageStatus
from smscast.domain.lifecycle import (
    DESCRIPTIONS,
    Detailed,
    PartState,
    campaign_state,
    can_move,
    counter_moves,
    describe,
    fold,
    refunded,
)

Q, S, U, F, D, X = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.UNSENT,
    MessageStatus.FAILED,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
)
ALLOWED = {(Q, S), (Q, U), (Q, F), (S, D), (S, X), (S, F)}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(MessageStatus, repeat=2)))
def test_every_move(old: MessageStatus, new: MessageStatus):
    assert can_move(old, new) is ((old, new) in ALLOWED)


def test_every_detailed_status_is_described():
    assert set(DESCRIPTIONS) == set(Detailed)
    assert describe("Unknown Number", X) == {
        "detailedStatus": "Unknown Number",
        "description": DESCRIPTIONS[Detailed.UNKNOWN_NUMBER],
    }
    assert describe(None, Q)["detailedStatus"] == "Queued"
    assert describe(None, U)["detailedStatus"] == "Expired"
    assert describe(None, D)["detailedStatus"] == "Delivered"


def part(status: MessageStatus, detailed: str | None = None) -> PartState:
    return PartState(status, detailed)


@pytest.mark.parametrize(
    ("parts", "expected", "result"),
    [
        ([], 2, part(Q)),
        ([part(S, "Sent")], 2, part(Q)),
        ([part(S, "Sent"), part(S, "Sent")], 2, part(S, "Sent")),
        ([part(D, "Delivered"), part(S, "Sent")], 2, part(S, "Sent")),
        ([part(D, "Delivered"), part(D, "Delivered")], 2, part(D, "Delivered")),
        ([part(D, "Delivered"), part(X, "Roaming")], 2, part(X, "Roaming")),
        ([part(S, "Sent"), part(X, "Call Barred")], 2, part(X, "Call Barred")),
        ([part(X, "Roaming"), part(F, "Failed")], 2, part(F, "Failed")),
        ([part(D, "Delivered")], 1, part(D, "Delivered")),
    ],
)
def test_a_message_folds_its_parts(parts: list[PartState], expected: int, result: PartState):
    assert fold(parts, expected) == result


def test_counter_moves():
    assert counter_moves([(Q, S), (Q, S), (S, D), (Q, U)]) == {
        "queued": -3,
        "sent": 1,
        "delivered": 1,
        "unsent": 1,
    }
    assert counter_moves([(S, S)]) == {}


def counters(**values: int) -> dict[str, int]:
    return {s.value.lower(): values.get(s.value.lower(), 0) for s in MessageStatus}


@pytest.mark.parametrize(
    ("current", "values", "total", "state"),
    [
        (CampaignState.SCHEDULED, {"queued": 3}, 3, CampaignState.SCHEDULED),
        (CampaignState.QUEUED, {"queued": 3}, 3, CampaignState.QUEUED),
        (CampaignState.QUEUED, {"queued": 2, "sent": 1}, 3, CampaignState.RUNNING),
        (CampaignState.RUNNING, {"queued": 3}, 3, CampaignState.RUNNING),  # held back, not new
        (CampaignState.RUNNING, {"sent": 2, "delivered": 1}, 3, CampaignState.SENT),
        (CampaignState.QUEUED, {"sent": 3}, 3, CampaignState.SENT),
        (CampaignState.SENT, {"delivered": 2, "undelivered": 1}, 3, CampaignState.FINISHED),
        (CampaignState.RUNNING, {"failed": 2, "unsent": 1}, 3, CampaignState.FAILED),
        (CampaignState.FINISHED, {"queued": 3}, 3, CampaignState.FINISHED),
        (CampaignState.FAILED, {"delivered": 3}, 3, CampaignState.FAILED),
    ],
)
def test_campaign_states(
    current: CampaignState, values: dict[str, int], total: int, state: CampaignState
):
    assert campaign_state(current, counters(**values), total) is state


@pytest.mark.parametrize(
    ("status", "handed_over", "refund"),
    [(U, False, True), (F, False, True), (F, True, False), (X, True, False), (D, True, False)],
)
def test_refunds(status: MessageStatus, handed_over: bool, refund: bool):
    assert refunded(status, handed_over) is refund
