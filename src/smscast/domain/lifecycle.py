"""The life of a message and of a campaign: allowed status moves, a message's status folded
from its parts', the counters a move shifts, the campaign state the counters imply, and
which endings are refunded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from smscast.domain.campaigns import FINAL_STATUSES, CampaignState, MessageStatus

Q, S, U, F, D, X = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.UNSENT,
    MessageStatus.FAILED,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
)


class Detailed(StrEnum):
    """``reason.detailedStatus`` values (API.md)."""

    SENT = "Sent"
    DELIVERED = "Delivered"
    UNDELIVERED = "Undelivered"
    FAILED = "Failed"
    UNDELIVERED_ON_HANDSET = "Undelivered on Handset"
    UNKNOWN_NUMBER = "Unknown Number"
    ROAMING = "Roaming"
    CALL_BARRED = "Call Barred"
    UNKNOWN_STATUS = "Unknown Status"
    CARRIER_VIOLATION = "Carrier Violation"
    EXPIRED = "Expired"


DESCRIPTIONS: Final[Mapping[str, str]] = {
    Detailed.SENT: "The message was accepted by the carrier.",
    Detailed.DELIVERED: "The message was delivered to the handset.",
    Detailed.UNDELIVERED: "The carrier could not deliver the message.",
    Detailed.FAILED: "The message could not be processed.",
    Detailed.UNDELIVERED_ON_HANDSET: "The handset could not take the message (full or off).",
    Detailed.UNKNOWN_NUMBER: "The number does not exist or is not in service.",
    Detailed.ROAMING: "The recipient is roaming where the carrier cannot deliver.",
    Detailed.CALL_BARRED: "The recipient's line does not accept messages.",
    Detailed.UNKNOWN_STATUS: "The carrier did not say what happened.",
    Detailed.CARRIER_VIOLATION: "The carrier refused the message (content or sender rules).",
    Detailed.EXPIRED: "The validity period ran out before the message was delivered.",
}

# What each status may become. Final statuses move no more, so a late or repeated receipt
# changes nothing.
_MOVES: Final[Mapping[MessageStatus, frozenset[MessageStatus]]] = {
    Q: frozenset({S, U, F}),
    S: frozenset({D, X, F}),
    U: frozenset(),
    F: frozenset(),
    D: frozenset(),
    X: frozenset(),
}


def can_move(current: MessageStatus, new: MessageStatus) -> bool:
    return new in _MOVES[current]


def describe(detailed: str | None, status: MessageStatus) -> dict[str, str]:
    """``reason`` as Routee shows it."""
    key = detailed or {Q: None, S: Detailed.SENT, D: Detailed.DELIVERED}.get(status)
    if key is None:
        key = {U: Detailed.EXPIRED, F: Detailed.FAILED, X: Detailed.UNDELIVERED}.get(
            status, Detailed.UNKNOWN_STATUS
        )
    if status is Q:
        return {"detailedStatus": "Queued", "description": "Waiting to be sent."}
    return {"detailedStatus": str(key), "description": DESCRIPTIONS.get(key, "")}


@dataclass(frozen=True, slots=True)
class PartState:
    status: MessageStatus
    detailed: str | None


def fold(parts: Sequence[PartState], expected: int) -> PartState:
    """A message's status from its parts': one part failing or undelivered decides it (the
    message as a whole can no longer arrive); it is delivered when every part is; sent while
    parts wait for receipts."""
    for bad in (F, X):
        for part in parts:
            if part.status is bad:
                return part
    if len(parts) >= expected and all(p.status is D for p in parts):
        return PartState(D, Detailed.DELIVERED)
    if len(parts) >= expected:
        return PartState(S, Detailed.SENT)
    return PartState(Q, None)


def counter_moves(moves: Sequence[tuple[MessageStatus, MessageStatus]]) -> dict[str, int]:
    """Column deltas on the campaign's counters for these (old, new) moves."""
    deltas: dict[str, int] = {}
    for old, new in moves:
        if old is new:
            continue
        deltas[old.value.lower()] = deltas.get(old.value.lower(), 0) - 1
        deltas[new.value.lower()] = deltas.get(new.value.lower(), 0) + 1
    return {column: delta for column, delta in deltas.items() if delta}


def campaign_state(
    current: CampaignState, counters: Mapping[str, int], total: int
) -> CampaignState:
    """The state a campaign's counters imply. Scheduled is left by the scheduler alone;
    Finished and Failed are final. A campaign ends Failed when none of its messages got to
    a carrier (all Failed or Unsent), else Finished."""
    if current in (CampaignState.SCHEDULED, CampaignState.FINISHED, CampaignState.FAILED):
        return current
    queued = counters.get("queued", 0)
    final = sum(counters.get(s.value.lower(), 0) for s in FINAL_STATUSES)
    if total and final >= total:
        reached = counters.get("delivered", 0) + counters.get("undelivered", 0)
        return CampaignState.FINISHED if reached else CampaignState.FAILED
    if queued == 0:
        return CampaignState.SENT
    if queued < total or current is CampaignState.RUNNING:
        return CampaignState.RUNNING
    return CampaignState.QUEUED


def refunded(status: MessageStatus, handed_over: bool) -> bool:
    """Money comes back for a message that never reached a carrier: Unsent, or Failed at
    submit. One a carrier accepted was paid for, whatever its receipt says."""
    return status is U or (status is F and not handed_over)
