"""Queries on campaigns and their messages, scoped by account. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.bulk import Bulk
from smscast.store.tables import campaigns, ledger, messages, sms_parts
from smscast.types import AccountId, TrackingId

# The columns of a message row as ``insert_messages`` takes them, in order.
MESSAGE_COLUMNS = (
    "id",
    "campaign_pk",
    "account_id",
    "mobile",
    "country",
    "contact_id",
    "reminder",
    "text",
    "unicode",
    "parts",
    "status",
    "detailed_status",
    "due_at",
    "expires_at",
)
STATUS_COLUMNS = ("queued", "sent", "unsent", "failed", "delivered", "undelivered")


@dataclass(frozen=True, slots=True)
class CampaignRow:
    pk: int
    id: TrackingId
    account_id: AccountId
    application_id: str | None
    kind: str
    name: str | None
    sender: str
    body: str
    text: str
    flash: bool
    respect_quiet_hours: bool
    ttl: int
    callback: dict[str, Any] | None
    campaign_callback: dict[str, Any] | None
    label: str | None
    request: dict[str, Any]
    analysis: dict[str, Any]
    state: str
    scheduled_at: datetime | None
    cost: Decimal
    prices: dict[str, str]
    quiet_hours: dict[str, int]
    total_messages: int
    statuses: dict[str, int]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


def _campaign(row: Row[Any]) -> CampaignRow:
    m = row._mapping
    return CampaignRow(
        pk=m["pk"],
        id=TrackingId(m["id"]),
        account_id=AccountId(m["account_id"]),
        application_id=m["application_id"],
        kind=m["kind"],
        name=m["name"],
        sender=m["sender"],
        body=m["body"],
        text=m["text"],
        flash=bool(m["flash"]),
        respect_quiet_hours=bool(m["respect_quiet_hours"]),
        ttl=m["ttl"],
        callback=m["callback"],
        campaign_callback=m["campaign_callback"],
        label=m["label"],
        request=m["request"],
        analysis=m["analysis"],
        state=m["state"],
        scheduled_at=m["scheduled_at"],
        cost=m["cost"],
        prices=m["prices"],
        quiet_hours=dict(m["quiet_hours"] or {}),
        total_messages=m["total_messages"],
        statuses={column: m[column] for column in STATUS_COLUMNS},
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        deleted_at=m["deleted_at"],
    )


# Built once, the values given as parameters (see store.accounts).
_INSERT_RETURNING_PK = campaigns.insert().returning(campaigns.c.pk)
_INSERT_RETURNING_ROW = campaigns.insert().returning(campaigns)


async def insert_campaign(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """Insert a campaign row; its internal key, for its messages."""
    result = await conn.execute(_INSERT_RETURNING_PK, values)
    return int(result.scalar_one())


async def insert_campaign_row(conn: AsyncConnection, values: dict[str, Any]) -> CampaignRow:
    """``insert_campaign``, answering the whole row (for a campaign written complete)."""
    return _campaign((await conn.execute(_INSERT_RETURNING_ROW, values)).one())


async def update_campaign(conn: AsyncConnection, pk: int, values: dict[str, Any]) -> None:
    await conn.execute(update(campaigns).where(campaigns.c.pk == pk).values(**values))


async def update_campaign_row(
    conn: AsyncConnection, pk: int, values: dict[str, Any]
) -> CampaignRow:
    """``update_campaign``, answering the row as it now is (one statement, not two)."""
    query = update(campaigns).where(campaigns.c.pk == pk).values(**values).returning(campaigns)
    return _campaign((await conn.execute(query)).one())


async def get_campaign(
    conn: AsyncConnection,
    account_id: AccountId,
    tracking_id: str,
    kind: str,
    *,
    lock: bool = False,
) -> CampaignRow | None:
    """A live (not deleted) campaign of this account; ``lock`` holds it until commit."""
    query = select(campaigns).where(
        campaigns.c.account_id == account_id,
        campaigns.c.id == tracking_id,
        campaigns.c.kind == kind,
        campaigns.c.deleted_at.is_(None),
    )
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _campaign(row) if row else None


async def name_taken(
    conn: AsyncConnection, account_id: AccountId, name: str, except_pk: int | None = None
) -> bool:
    query = select(campaigns.c.pk).where(
        campaigns.c.account_id == account_id,
        campaigns.c.name == name,
        campaigns.c.deleted_at.is_(None),
    )
    if except_pk is not None:
        query = query.where(campaigns.c.pk != except_pk)
    return (await conn.execute(query.limit(1))).first() is not None


async def insert_messages(bulk: Bulk, rows: Sequence[Sequence[Any]]) -> None:
    """Message rows in driver form, columns as ``MESSAGE_COLUMNS``."""
    await bulk.insert(messages, MESSAGE_COLUMNS, rows)


def _waiting(campaign_pk: int, now: datetime) -> Any:
    """The campaign's messages still waiting and not held by a dispatcher's live lease (one
    that may be on its way to a carrier right now)."""
    return and_(
        messages.c.campaign_pk == campaign_pk,
        messages.c.status == "Queued",
        or_(messages.c.claimed_until.is_(None), messages.c.claimed_until < now),
    )


async def delete_waiting(conn: AsyncConnection, campaign_pk: int, now: datetime) -> int:
    """Delete the campaign's messages not yet handed over (an update replans them)."""
    result = await conn.execute(messages.delete().where(_waiting(campaign_pk, now)))
    return result.rowcount or 0


async def handed_over(
    conn: AsyncConnection, campaign_pk: int, now: datetime
) -> list[tuple[bool, int, str, bool]]:
    """(reminder, parts, country, paid) of the campaign's messages an update keeps: those no
    longer waiting, or leased (perhaps reaching a carrier right now). ``paid``: it reached a
    carrier or may be reaching one; one that ended without (Unsent, Failed at submit) was
    refunded."""
    reached_carrier = exists().where(
        sms_parts.c.message_pk == messages.c.pk, sms_parts.c.carrier_message_id.is_not(None)
    )
    leased = and_(messages.c.status == "Queued", messages.c.claimed_until >= now)
    paid = or_(
        messages.c.status.in_(("Sent", "Delivered", "Undelivered")),
        and_(messages.c.status == "Failed", reached_carrier),
        leased,
    )
    rows = await conn.execute(
        select(messages.c.reminder, messages.c.parts, messages.c.country, paid.label("paid")).where(
            messages.c.campaign_pk == campaign_pk, or_(messages.c.status != "Queued", leased)
        )
    )
    return [(bool(r), int(p), str(c), bool(d)) for r, p, c, d in rows]


async def end_unsent(
    conn: AsyncConnection, campaign_pk: int, now: datetime, detailed_status: str | None
) -> list[tuple[int, int, str]]:
    """Every message of the campaign still waiting (and not leased) becomes Unsent (final);
    their (pk, parts, country), to refund them and call them back."""
    result = await conn.execute(
        update(messages)
        .where(_waiting(campaign_pk, now))
        .values(status="Unsent", detailed_status=detailed_status, status_at=now, finished_at=now)
        .returning(messages.c.pk, messages.c.parts, messages.c.country)
    )
    return [(int(pk), int(parts), str(country)) for pk, parts, country in result]


async def message_statuses(conn: AsyncConnection, campaign_pk: int) -> dict[str, int]:
    """Counts of the campaign's messages by status (reminders apart), from the rows."""
    rows = await conn.execute(
        select(messages.c.status, func.count())
        .where(messages.c.campaign_pk == campaign_pk, messages.c.reminder.is_(False))
        .group_by(messages.c.status)
    )
    return {str(status): int(count) for status, count in rows.all()}


async def count_messages(conn: AsyncConnection, campaign_pk: int) -> tuple[int, int]:
    """(campaign messages, reminders) stored for the campaign."""
    rows = await conn.execute(
        select(messages.c.reminder, func.count())
        .where(messages.c.campaign_pk == campaign_pk)
        .group_by(messages.c.reminder)
    )
    counts = {bool(reminder): count for reminder, count in rows}
    return counts.get(False, 0), counts.get(True, 0)


async def net_charge(conn: AsyncConnection, account_id: AccountId, tracking_id: str) -> Decimal:
    """What the campaign has cost the account so far: charges less refunds (positive)."""
    total = (
        await conn.execute(
            select(func.sum(ledger.c.amount)).where(
                ledger.c.account_id == account_id, ledger.c.campaign_id == tracking_id
            )
        )
    ).scalar_one()
    return -total if total is not None else Decimal(0)


async def refresh_statistics(conn: AsyncConnection) -> None:
    """After a bulk load, let PostgreSQL's planner see the new sizes (SQLite needs nothing)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("ANALYZE messages")
