"""Queries of the workers: claiming due messages, recording what carriers answered, applying
receipts, expiring, starting scheduled campaigns, keeping campaign counters. Callers own the
transaction; every write is a statement per batch, never one per message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.bulk import Bulk
from smscast.store.contacts import chunks
from smscast.store.tables import (
    accounts,
    campaigns,
    inbound_messages,
    messages,
    receipts,
    sms_parts,
)

PART_COLUMNS = (
    "id",
    "message_pk",
    "campaign_pk",
    "part",
    "carrier",
    "carrier_message_id",
    "status",
    "detailed_status",
    "error",
    "submitted_at",
    "status_at",
)
RECEIPT_COLUMNS = (
    "carrier",
    "carrier_message_id",
    "status",
    "detailed_status",
    "error",
    "done_at",
    "received_at",
    "next_try_at",
)
COUNTERS = ("queued", "sent", "unsent", "failed", "delivered", "undelivered")


@dataclass(frozen=True, slots=True)
class Claimed:
    pk: int
    id: str
    campaign_pk: int
    mobile: str
    country: str
    reminder: bool
    text: str | None
    parts: int
    expires_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    """What sending a campaign's messages needs of it (fixed once it is queued)."""

    pk: int
    id: str
    account_id: str
    kind: str
    sender: str
    text: str
    flash: bool
    ttl: int
    respect_quiet_hours: bool
    prices: dict[str, str]
    quiet_hours: str | None


_CLAIM_COLUMNS = "pk, id, campaign_pk, mobile, country, reminder, text, parts, expires_at, attempts"
_CLAIM_COLUMNS_QUALIFIED = ", ".join(f"messages.{c.strip()}" for c in _CLAIM_COLUMNS.split(","))


async def claim(
    conn: AsyncConnection, worker: str, now: datetime, until: datetime, limit: int
) -> list[Claimed]:
    """Lease up to ``limit`` due messages to ``worker``, earliest due first.

    Due means Queued, ``due_at`` reached, no live lease, and the campaign past Scheduled
    (its reminders may go before it), and not deleted. PostgreSQL skips rows another worker is
    claiming; SQLite has one writer at a time, so one UPDATE … RETURNING is atomic there.
    """
    due = (
        "SELECT m.pk FROM messages m JOIN campaigns c ON c.pk = m.campaign_pk"
        " WHERE m.status = 'Queued' AND m.due_at <= :now"
        " AND (m.claimed_until IS NULL OR m.claimed_until < :now)"
        " AND (m.reminder OR c.state <> 'Scheduled') AND c.deleted_at IS NULL"
        " ORDER BY m.due_at LIMIT :limit"
    )
    lease = "claimed_by = :worker, claimed_until = :until, attempts = attempts + 1"
    if Bulk(conn).postgres:
        # The rows are locked in a CTE, run once: as an IN (subquery) PostgreSQL may run the
        # LIMIT … SKIP LOCKED subquery more than once and lease more than ``limit`` rows.
        sql = (
            f"WITH picked AS ({due} FOR UPDATE OF m SKIP LOCKED)"
            f" UPDATE messages SET {lease} FROM picked WHERE messages.pk = picked.pk"
            f" RETURNING {_CLAIM_COLUMNS_QUALIFIED}"
        )
    else:
        sql = f"UPDATE messages SET {lease} WHERE pk IN ({due}) RETURNING {_CLAIM_COLUMNS}"
    statement = text(sql).bindparams(
        bindparam("now", type_=messages.c.due_at.type),
        bindparam("until", type_=messages.c.claimed_until.type),
    )
    result = await conn.execute(
        statement.columns(expires_at=messages.c.expires_at.type),
        {"worker": worker, "until": until, "now": now, "limit": limit},
    )
    return [
        Claimed(
            pk=row.pk,
            id=row.id,
            campaign_pk=row.campaign_pk,
            mobile=row.mobile,
            country=row.country,
            reminder=bool(row.reminder),
            text=row.text,
            parts=row.parts,
            expires_at=row.expires_at,
            attempts=row.attempts,
        )
        for row in result
    ]


async def campaign_infos(conn: AsyncConnection, pks: Iterable[int]) -> dict[int, CampaignInfo]:
    query = (
        select(
            campaigns.c.pk,
            campaigns.c.id,
            campaigns.c.account_id,
            campaigns.c.kind,
            campaigns.c.sender,
            campaigns.c.text,
            campaigns.c.flash,
            campaigns.c.ttl,
            campaigns.c.respect_quiet_hours,
            campaigns.c.prices,
            accounts.c.quiet_hours,
        )
        .join(accounts, accounts.c.id == campaigns.c.account_id)
        .where(campaigns.c.pk.in_(sorted(set(pks))))
    )
    return {
        row.pk: CampaignInfo(
            pk=row.pk,
            id=row.id,
            account_id=row.account_id,
            kind=row.kind,
            sender=row.sender,
            text=row.text,
            flash=bool(row.flash),
            ttl=row.ttl,
            respect_quiet_hours=bool(row.respect_quiet_hours),
            prices=row.prices,
            quiet_hours=row.quiet_hours,
        )
        for row in await conn.execute(query)
    }


async def move_claimed(
    conn: AsyncConnection, worker: str, pks: Sequence[int], values: Mapping[str, Any]
) -> list[tuple[int, int]]:
    """Set ``values`` on the messages this worker still holds (and that still wait) among
    ``pks`` and release them; (pk, campaign_pk) of those moved. A lease lost to another
    worker, or a message ended meanwhile, moves nothing."""
    moved: list[tuple[int, int]] = []
    for chunk in chunks(list(pks)):
        result = await conn.execute(
            update(messages)
            .where(
                messages.c.pk.in_(chunk),
                messages.c.claimed_by == worker,
                # A message ended meanwhile (its campaign deleted) is not moved again.
                messages.c.status == "Queued",
            )
            .values(**values, claimed_by=None, claimed_until=None)
            .returning(messages.c.pk, messages.c.campaign_pk)
        )
        moved.extend((int(pk), int(campaign)) for pk, campaign in result)
    return moved


async def extend_leases(
    conn: AsyncConnection, worker: str, pks: Sequence[int], until: datetime
) -> None:
    """Keep this worker's leases on messages it is still sending."""
    for chunk in chunks(list(pks)):
        await conn.execute(
            update(messages)
            .where(messages.c.pk.in_(chunk), messages.c.claimed_by == worker)
            .values(claimed_until=until)
        )


async def insert_parts(bulk: Bulk, rows: Sequence[Sequence[Any]]) -> None:
    await bulk.insert(sms_parts, PART_COLUMNS, rows)


async def release(conn: AsyncConnection, worker: str) -> int:
    """Give back every lease this worker holds (a graceful stop)."""
    result = await conn.execute(
        update(messages)
        .where(messages.c.claimed_by == worker, messages.c.status == "Queued")
        .values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount or 0


# -- campaigns --------------------------------------------------------------------------


async def shift_counters(conn: AsyncConnection, deltas: Mapping[int, Mapping[str, int]]) -> None:
    """Add deltas to campaign status counters: one UPDATE per campaign touched."""
    for pk in sorted(deltas):
        change = {c: d for c, d in deltas[pk].items() if d}
        if change:
            await conn.execute(
                update(campaigns)
                .where(campaigns.c.pk == pk)
                .values({campaigns.c[c]: campaigns.c[c] + d for c, d in change.items()})
            )


async def mark_held(conn: AsyncConnection, pks: Sequence[int]) -> list[tuple[int, str]]:
    """Flag messages held by quiet hours; (campaign_pk, country) of those held for the first
    time (whatever their attempts: a throttled retry can land in a window too)."""
    held: list[tuple[int, str]] = []
    for chunk in chunks(list(pks)):
        result = await conn.execute(
            update(messages)
            .where(messages.c.pk.in_(chunk), messages.c.held.is_(False))
            .values(held=True)
            .returning(messages.c.campaign_pk, messages.c.country)
        )
        held.extend((int(campaign), str(country)) for campaign, country in result)
    return held


async def add_quiet_hours(conn: AsyncConnection, held: Mapping[int, Mapping[str, int]]) -> None:
    """Count messages first held by quiet hours, per campaign and country. The row is locked
    for the read-merge-write, so workers on PostgreSQL do not lose each other's counts."""
    for pk in sorted(held):
        query = select(campaigns.c.quiet_hours).where(campaigns.c.pk == pk)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        current = (await conn.execute(query)).scalar_one()
        merged = dict(current or {})
        for country, count in held[pk].items():
            merged[country] = merged.get(country, 0) + count
        await conn.execute(update(campaigns).where(campaigns.c.pk == pk).values(quiet_hours=merged))


@dataclass(frozen=True, slots=True)
class CampaignProgress:
    pk: int
    id: str
    state: str
    total: int
    counters: dict[str, int]


async def progress(
    conn: AsyncConnection, pks: Iterable[int], *, lock: bool = False
) -> list[CampaignProgress]:
    query = select(
        campaigns.c.pk,
        campaigns.c.id,
        campaigns.c.state,
        campaigns.c.total_messages,
        *(campaigns.c[c] for c in COUNTERS),
    ).where(campaigns.c.pk.in_(sorted(set(pks))))
    if lock:
        query = query.order_by(campaigns.c.pk).with_for_update()
    return [
        CampaignProgress(
            row.pk, row.id, row.state, row.total_messages, {c: row._mapping[c] for c in COUNTERS}
        )
        for row in await conn.execute(query)
    ]


async def set_state(
    conn: AsyncConnection, pk: int, state: str, now: datetime, *, started: bool, finished: bool
) -> None:
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if started:
        values["started_at"] = func.coalesce(campaigns.c.started_at, now)
    if finished:
        values["finished_at"] = now
    await conn.execute(update(campaigns).where(campaigns.c.pk == pk).values(**values))


async def start_due_campaigns(conn: AsyncConnection, now: datetime, limit: int) -> list[int]:
    """Scheduled campaigns whose time has come become Queued; their keys."""
    due = (
        select(campaigns.c.pk)
        .where(
            campaigns.c.state == "Scheduled",
            campaigns.c.scheduled_at <= now,
            campaigns.c.deleted_at.is_(None),
        )
        .limit(limit)
        .scalar_subquery()
    )
    # The conditions are repeated outside the subquery: on PostgreSQL a row the subquery
    # found may have been rescheduled or deleted (by a PUT or DELETE holding its lock) by the
    # time this UPDATE gets it, and only the outer WHERE is checked again.
    result = await conn.execute(
        update(campaigns)
        .where(
            campaigns.c.pk.in_(due),
            campaigns.c.state == "Scheduled",
            campaigns.c.scheduled_at <= now,
            campaigns.c.deleted_at.is_(None),
        )
        .values(state="Queued", updated_at=now)
        .returning(campaigns.c.pk)
    )
    return [int(pk) for pk in result.scalars()]


# -- receipts -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    pk: int
    carrier: str
    carrier_message_id: str
    status: str
    detailed_status: str | None
    error: str | None
    done_at: datetime | None
    received_at: datetime
    tries: int


async def insert_receipts(bulk: Bulk, rows: Sequence[Sequence[Any]]) -> None:
    await bulk.insert(receipts, RECEIPT_COLUMNS, rows)


async def due_receipts(conn: AsyncConnection, now: datetime, limit: int) -> list[StoredReceipt]:
    query = (
        select(receipts)
        .where(receipts.c.next_try_at <= now)
        .order_by(receipts.c.next_try_at, receipts.c.pk)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        StoredReceipt(
            r.pk,
            r.carrier,
            r.carrier_message_id,
            r.status,
            r.detailed_status,
            r.error,
            r.done_at,
            r.received_at,
            r.tries,
        )
        for r in await conn.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class PartRow:
    pk: int
    message_pk: int
    carrier: str
    carrier_message_id: str | None
    status: str
    detailed_status: str | None


async def parts_by_carrier_id(
    conn: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], PartRow]:
    found: dict[tuple[str, str], PartRow] = {}
    by_carrier: dict[str, list[str]] = {}
    for carrier, carrier_id in keys:
        by_carrier.setdefault(carrier, []).append(carrier_id)
    postgres = conn.dialect.name == "postgresql"
    for carrier, ids in by_carrier.items():
        for chunk in chunks(ids):
            if postgres:
                # A join against unnest() plans as an index probe per id whatever the
                # statistics say; "IN (5,000 values)" on a table that grew since its last
                # ANALYZE was planned as a scan, a little slower with every batch.
                wanted = (
                    text("SELECT unnest(CAST(:ids AS text[])) AS id")
                    .bindparams(ids=list(chunk))
                    .columns(id=sms_parts.c.carrier_message_id.type)
                    .subquery("wanted")
                )
                query = select(sms_parts).join(
                    wanted,
                    (sms_parts.c.carrier == carrier)
                    & (sms_parts.c.carrier_message_id == wanted.c.id),
                )
            else:
                query = select(sms_parts).where(
                    sms_parts.c.carrier == carrier, sms_parts.c.carrier_message_id.in_(chunk)
                )
            rows = await conn.execute(query)
            for r in rows:
                found[(carrier, r.carrier_message_id)] = PartRow(
                    r.pk, r.message_pk, r.carrier, r.carrier_message_id, r.status, r.detailed_status
                )
    return found


async def update_parts(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Each row: part_pk, status, detailed_status, error, status_at."""
    if rows:
        await conn.execute(
            update(sms_parts)
            .where(sms_parts.c.pk == bindparam("part_pk"))
            .values(
                status=bindparam("status"),
                detailed_status=bindparam("detailed_status"),
                error=bindparam("error"),
                status_at=bindparam("status_at"),
            ),
            list(rows),
        )


@dataclass(frozen=True, slots=True)
class MessageState:
    pk: int
    campaign_pk: int
    status: str
    parts: int
    reminder: bool
    country: str
    submitted: bool


async def message_states(
    conn: AsyncConnection, pks: Iterable[int], *, lock: bool = False
) -> dict[int, MessageState]:
    found: dict[int, MessageState] = {}
    for chunk in chunks(sorted(set(pks))):
        query = select(
            messages.c.pk,
            messages.c.campaign_pk,
            messages.c.status,
            messages.c.parts,
            messages.c.reminder,
            messages.c.country,
            messages.c.submitted_at,
        ).where(messages.c.pk.in_(chunk))
        if lock:
            query = query.order_by(messages.c.pk).with_for_update()
        for r in await conn.execute(query):
            found[r.pk] = MessageState(
                r.pk,
                r.campaign_pk,
                r.status,
                r.parts,
                bool(r.reminder),
                r.country,
                r.submitted_at is not None,
            )
    return found


async def parts_of(conn: AsyncConnection, message_pks: Iterable[int]) -> dict[int, list[PartRow]]:
    found: dict[int, list[PartRow]] = {}
    for chunk in chunks(sorted(set(message_pks))):
        rows = await conn.execute(
            select(sms_parts).where(sms_parts.c.message_pk.in_(chunk)).order_by(sms_parts.c.part)
        )
        for r in rows:
            found.setdefault(r.message_pk, []).append(
                PartRow(
                    r.pk, r.message_pk, r.carrier, r.carrier_message_id, r.status, r.detailed_status
                )
            )
    return found


async def set_message_status(
    conn: AsyncConnection,
    pks: Sequence[int],
    from_statuses: Sequence[str],
    values: Mapping[str, Any],
) -> list[tuple[int, int]]:
    """Move messages still in one of ``from_statuses``; (pk, campaign_pk) of those moved."""
    moved: list[tuple[int, int]] = []
    for chunk in chunks(list(pks)):
        result = await conn.execute(
            update(messages)
            .where(messages.c.pk.in_(chunk), messages.c.status.in_(from_statuses))
            .values(**values)
            .returning(messages.c.pk, messages.c.campaign_pk)
        )
        moved.extend((int(pk), int(campaign)) for pk, campaign in result)
    return moved


async def forget_receipts(conn: AsyncConnection, pks: Sequence[int]) -> None:
    for chunk in chunks(list(pks)):
        await conn.execute(delete(receipts).where(receipts.c.pk.in_(chunk)))


async def retry_receipts(conn: AsyncConnection, retries: Sequence[Mapping[str, Any]]) -> None:
    """Each row: receipt_pk, next_try_at (a receipt that matched no part yet)."""
    if retries:
        await conn.execute(
            update(receipts)
            .where(receipts.c.pk == bindparam("receipt_pk"))
            .values(next_try_at=bindparam("next_try_at"), tries=receipts.c.tries + 1),
            list(retries),
        )


# -- expiry ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lapsed:
    pk: int
    campaign_pk: int
    parts: int
    country: str
    reminder: bool
    id: str


async def expire_waiting(conn: AsyncConnection, now: datetime, limit: int) -> list[Lapsed]:
    """Waiting messages past their validity become Unsent/Expired."""
    lapsed = (
        select(messages.c.pk)
        .where(
            messages.c.status == "Queued",
            messages.c.expires_at <= now,
            or_(messages.c.claimed_until.is_(None), messages.c.claimed_until < now),
        )
        .limit(limit)
        .scalar_subquery()
    )
    still_lapsed = (
        messages.c.status == "Queued",
        messages.c.expires_at <= now,
        or_(messages.c.claimed_until.is_(None), messages.c.claimed_until < now),
    )
    # Repeated outside: a message claimed meanwhile (PostgreSQL rechecks only this WHERE
    # after waiting for the claim's lock) must not be expired under the dispatcher.
    result = await conn.execute(
        update(messages)
        .where(messages.c.pk.in_(lapsed), *still_lapsed)
        .values(
            status="Unsent",
            detailed_status="Expired",
            status_at=now,
            finished_at=now,
            claimed_by=None,
            claimed_until=None,
        )
        .returning(
            messages.c.pk,
            messages.c.campaign_pk,
            messages.c.parts,
            messages.c.country,
            messages.c.reminder,
            messages.c.id,
        )
    )
    return [Lapsed(int(a), int(b), int(c), str(d), bool(e), str(f)) for a, b, c, d, e, f in result]


async def expire_sent(
    conn: AsyncConnection, cutoff: datetime, now: datetime, limit: int
) -> tuple[list[tuple[int, int, bool]], list[tuple[int, int]]]:
    """Sent messages whose validity ended before ``cutoff`` without a final receipt become
    Undelivered/Expired, with their waiting parts: (pk, campaign_pk, reminder) of each
    message, and (campaign_pk, part pk) of each part that moved."""
    lapsed = (
        select(messages.c.pk)
        .where(messages.c.status == "Sent", messages.c.expires_at <= cutoff)
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(
        update(messages)
        .where(
            messages.c.pk.in_(lapsed), messages.c.status == "Sent", messages.c.expires_at <= cutoff
        )
        .values(status="Undelivered", detailed_status="Expired", status_at=now, finished_at=now)
        .returning(messages.c.pk, messages.c.campaign_pk, messages.c.reminder)
    )
    moved = [(int(a), int(b), bool(c)) for a, b, c in result]
    parts: list[tuple[int, int]] = []
    for chunk in chunks([pk for pk, _, _ in moved]):
        found = await conn.execute(
            update(sms_parts)
            .where(sms_parts.c.message_pk.in_(chunk), sms_parts.c.status == "Sent")
            .values(status="Undelivered", detailed_status="Expired", status_at=now)
            .returning(sms_parts.c.campaign_pk, sms_parts.c.pk)
        )
        parts += [(int(campaign_pk), int(pk)) for campaign_pk, pk in found]
    return moved, parts


async def insert_inbound(bulk: Bulk, rows: Sequence[Sequence[Any]]) -> None:
    """Rows: carrier, source, destination, text, data_coding, received_at (driver form)."""
    await bulk.insert(
        inbound_messages,
        ("carrier", "source", "destination", "text", "data_coding", "received_at"),
        rows,
    )
