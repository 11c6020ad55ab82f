"""What every worker does after moving messages: shift the campaigns' counters, refund what
never reached a carrier, and move campaigns to the state their counters imply — all in the
transaction that moved the messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.campaigns import CampaignState, MessageStatus
from smscast.domain.lifecycle import campaign_state, counter_moves
from smscast.domain.pricing import message_cost
from smscast.services.callbacks import campaigns_changed
from smscast.store import accounts as account_queries
from smscast.store import dispatch as q
from smscast.types import AccountId, LedgerKind


@dataclass(frozen=True, slots=True)
class Move:
    """One message changing status. ``refund`` is what comes back to the account."""

    campaign_pk: int
    old: MessageStatus
    new: MessageStatus
    reminder: bool = False
    refund: Decimal = Decimal(0)
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose money a campaign's refunds go back to."""

    account_id: str
    tracking_id: str
    kind: str


def refund_of(parts: int, country: str, prices: Mapping[str, str]) -> Decimal:
    price = prices.get(country)
    return message_cost(parts, Decimal(price)) if price is not None else Decimal(0)


async def apply_moves(
    conn: AsyncConnection,
    moves: Sequence[Move],
    owners: Mapping[int, Owner],
    now: datetime,
    *,
    also_check: Iterable[int] = (),
) -> None:
    """Counters, refunds and campaign states for ``moves`` (reminders count for money only).
    ``also_check``: campaigns whose state may have changed for another reason."""
    deltas: dict[int, list[tuple[MessageStatus, MessageStatus]]] = {}
    refunds: dict[int, Decimal] = {}
    single_message: dict[int, str | None] = {}
    for move in moves:
        if not move.reminder:
            deltas.setdefault(move.campaign_pk, []).append((move.old, move.new))
        if move.refund:
            refunds[move.campaign_pk] = refunds.get(move.campaign_pk, Decimal(0)) + move.refund
            single_message[move.campaign_pk] = move.message_id
    await q.shift_counters(conn, {pk: counter_moves(pairs) for pk, pairs in deltas.items()})
    for pk in sorted(refunds):
        owner = owners[pk]
        await _refund(conn, owner, refunds[pk], single_message[pk], now)
    await refresh_states(conn, {*deltas, *also_check}, now)


async def refresh_states(conn: AsyncConnection, pks: Iterable[int], now: datetime) -> None:
    """Move each campaign to the state its counters imply, if that changed, and write the
    campaign callbacks the new state or counters call for."""
    wanted = sorted(set(pks))
    if not wanted:
        return
    for found in await q.progress(conn, wanted, lock=True):
        current = CampaignState(found.state)
        state = campaign_state(current, found.counters, found.total)
        if state is not current:
            await q.set_state(
                conn,
                found.pk,
                state.value,
                now,
                started=state is not CampaignState.QUEUED,
                finished=state in (CampaignState.FINISHED, CampaignState.FAILED),
            )
    await campaigns_changed(conn, now, wanted)


async def _refund(
    conn: AsyncConnection, owner: Owner, amount: Decimal, message_id: str | None, now: datetime
) -> None:
    single = owner.kind == "single"
    entry = await account_queries.move_money(
        conn,
        AccountId(owner.account_id),
        amount,
        kind=LedgerKind.REFUND,
        created_at=now,
        description="SMS not sent" if single else "SMS campaign: not sent",
        campaign_id=owner.tracking_id,
        message_id=message_id if single else None,
        allow_negative=True,
    )
    assert entry is not None  # a refund never exceeds what was charged
