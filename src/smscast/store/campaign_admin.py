"""Operator queries on campaigns across accounts (the CLI's view). Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.campaigns import CampaignKind, MessageStatus
from smscast.store.tables import accounts, campaigns
from smscast.types import AccountId, TrackingId

# Each message status has a counter column of its name in lower case.
_COUNTER_COLUMNS = {status: campaigns.c[status.value.lower()] for status in MessageStatus}
_LIVE = (campaigns.c.kind == CampaignKind.CAMPAIGN.value, campaigns.c.deleted_at.is_(None))


@dataclass(frozen=True, slots=True)
class CampaignCounts:
    """What a progress display needs: the state and where the messages are."""

    id: TrackingId
    state: str
    total_messages: int
    counters: dict[MessageStatus, int]


@dataclass(frozen=True, slots=True)
class CampaignOverview:
    """A campaign as one line of a listing."""

    id: TrackingId
    name: str | None
    state: str
    created_at: datetime
    scheduled_at: datetime | None
    total_messages: int
    cost: Decimal
    counters: dict[MessageStatus, int]


@dataclass(frozen=True, slots=True)
class CampaignDetail:
    """Everything an operator looks at for one campaign."""

    id: TrackingId
    account_id: AccountId
    account_name: str
    currency: str
    name: str | None
    state: str
    sender: str
    body: str
    flash: bool
    respect_quiet_hours: bool
    ttl: int
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    total_messages: int
    cost: Decimal
    counters: dict[MessageStatus, int]
    quiet_hours: dict[str, int]


def _counters(m: Any) -> dict[MessageStatus, int]:
    return {status: int(m[column.name]) for status, column in _COUNTER_COLUMNS.items()}


async def list_campaigns(
    conn: AsyncConnection, account_id: AccountId, *, state: str | None, limit: int
) -> list[CampaignOverview]:
    """The account's live campaigns, newest first."""
    query = (
        select(
            campaigns.c.id,
            campaigns.c.name,
            campaigns.c.state,
            campaigns.c.created_at,
            campaigns.c.scheduled_at,
            campaigns.c.total_messages,
            campaigns.c.cost,
            *_COUNTER_COLUMNS.values(),
        )
        .where(campaigns.c.account_id == account_id, *_LIVE)
        .order_by(campaigns.c.created_at.desc(), campaigns.c.pk.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(campaigns.c.state == state)
    return [
        CampaignOverview(
            id=TrackingId(m["id"]),
            name=m["name"],
            state=m["state"],
            created_at=m["created_at"],
            scheduled_at=m["scheduled_at"],
            total_messages=m["total_messages"],
            cost=m["cost"],
            counters=_counters(m),
        )
        for m in (row._mapping for row in await conn.execute(query))
    ]


async def get_detail(conn: AsyncConnection, tracking_id: str) -> CampaignDetail | None:
    """A live campaign of any account, with its account's name and currency."""
    query = (
        select(
            campaigns,
            accounts.c.name.label("account_name"),
            accounts.c.currency.label("currency"),
        )
        .join(accounts, accounts.c.id == campaigns.c.account_id)
        .where(campaigns.c.id == tracking_id, *_LIVE)
    )
    row: Row[Any] | None = (await conn.execute(query)).first()
    if row is None:
        return None
    m = row._mapping
    return CampaignDetail(
        id=TrackingId(m["id"]),
        account_id=AccountId(m["account_id"]),
        account_name=m["account_name"],
        currency=m["currency"],
        name=m["name"],
        state=m["state"],
        sender=m["sender"],
        body=m["body"],
        flash=bool(m["flash"]),
        respect_quiet_hours=bool(m["respect_quiet_hours"]),
        ttl=m["ttl"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        scheduled_at=m["scheduled_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        total_messages=m["total_messages"],
        cost=m["cost"],
        counters=_counters(m),
        quiet_hours={str(k): int(v) for k, v in (m["quiet_hours"] or {}).items()},
    )


async def get_counts(conn: AsyncConnection, tracking_id: str) -> CampaignCounts | None:
    """The state and counters of a live campaign: the few columns a poll re-reads."""
    query = select(
        campaigns.c.id, campaigns.c.state, campaigns.c.total_messages, *_COUNTER_COLUMNS.values()
    ).where(campaigns.c.id == tracking_id, *_LIVE)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    m = row._mapping
    return CampaignCounts(
        id=TrackingId(m["id"]),
        state=m["state"],
        total_messages=m["total_messages"],
        counters=_counters(m),
    )
