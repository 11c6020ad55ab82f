"""Queries of the callback outbox: writing callbacks in the caller's transaction, leasing the
due ones to a notifier, recording how each attempt went, listing and re-sending failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.bulk import Bulk
from smscast.store.contacts import chunks
from smscast.store.tables import outbox

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
_ENQUEUE_COLUMNS: Final = (
    "account_id",
    "application_id",
    "kind",
    "url",
    "body",
    "secret",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_CLAIM_COLUMNS: Final = "pk, url, body, secret, attempts"
_ERROR_LEN: Final = 200


@dataclass(frozen=True, slots=True)
class NewCallback:
    """A callback to write: due at once (``at``), signed with ``secret`` when sent."""

    account_id: str
    application_id: str | None
    kind: str  # "message" or "campaign"
    url: str
    body: str
    secret: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedCallback:
    pk: int
    url: str
    body: str
    secret: str
    attempts: int  # made before this one


@dataclass(frozen=True, slots=True)
class Retry:
    pk: int
    attempts: int
    next_attempt_at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Failure:
    pk: int
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    pk: int
    account_id: str
    application_id: str | None
    kind: str
    url: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


async def enqueue(target: Bulk | AsyncConnection, rows: Sequence[NewCallback]) -> None:
    """Write callbacks in the caller's transaction: one bulk insert (COPY on PostgreSQL)."""
    if not rows:
        return
    bulk = target if isinstance(target, Bulk) else Bulk(target)
    await bulk.insert(
        outbox,
        _ENQUEUE_COLUMNS,
        [
            (
                r.account_id,
                r.application_id,
                r.kind,
                r.url,
                r.body,
                r.secret,
                PENDING,
                0,
                bulk.timestamp(r.at),
                bulk.timestamp(r.at),
            )
            for r in rows
        ],
    )


async def claim(
    conn: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[ClaimedCallback]:
    """Lease up to ``limit`` due pending callbacks until ``until``, earliest due first.

    PostgreSQL skips rows another notifier is claiming, and the conditions are checked again
    outside the subquery; SQLite has one writer at a time, so one UPDATE … RETURNING is atomic.
    """
    due = (
        "state = 'pending' AND next_attempt_at <= :now"
        " AND (claimed_until IS NULL OR claimed_until < :now)"
    )
    pick = f"SELECT pk FROM outbox WHERE {due} ORDER BY next_attempt_at LIMIT :limit"
    if conn.dialect.name == "postgresql":
        # In a CTE the locking subquery runs once; as "pk IN (subquery)" PostgreSQL may run
        # it again for each row it updates, and a LIMIT then claims more than asked.
        sql = (
            f"WITH picked AS ({pick} FOR UPDATE SKIP LOCKED)"
            f" UPDATE outbox SET claimed_until = :until"
            f" WHERE pk IN (SELECT pk FROM picked) AND {due}"
        )
    else:
        sql = f"UPDATE outbox SET claimed_until = :until WHERE pk IN ({pick})"
    statement = text(f"{sql} RETURNING {_CLAIM_COLUMNS}").bindparams(
        bindparam("now", type_=outbox.c.next_attempt_at.type),
        bindparam("until", type_=outbox.c.claimed_until.type),
    )
    result = await conn.execute(statement, {"now": now, "until": until, "limit": limit})
    return [ClaimedCallback(r.pk, r.url, r.body, r.secret, r.attempts) for r in result]


async def mark_delivered(conn: AsyncConnection, pks: Sequence[int], now: datetime) -> None:
    for chunk in chunks(list(pks)):
        await conn.execute(
            update(outbox)
            .where(outbox.c.pk.in_(chunk))
            .values(
                state=DELIVERED,
                attempts=outbox.c.attempts + 1,
                delivered_at=now,
                claimed_until=None,
            )
        )


async def mark_retry(conn: AsyncConnection, rows: Sequence[Retry]) -> None:
    """Failed attempts with another to come: one executemany."""
    if rows:
        await conn.execute(
            update(outbox)
            .where(outbox.c.pk == bindparam("row_pk"))
            .values(
                attempts=bindparam("row_attempts"),
                next_attempt_at=bindparam("row_next"),
                last_error=bindparam("row_error"),
                claimed_until=None,
            ),
            [
                {
                    "row_pk": r.pk,
                    "row_attempts": r.attempts,
                    "row_next": r.next_attempt_at,
                    "row_error": r.error[:_ERROR_LEN],
                }
                for r in rows
            ],
        )


async def mark_failed(conn: AsyncConnection, rows: Sequence[Failure]) -> None:
    """Failed attempts that were the last of the schedule: one executemany."""
    if rows:
        await conn.execute(
            update(outbox)
            .where(outbox.c.pk == bindparam("row_pk"))
            .values(
                state=FAILED,
                attempts=bindparam("row_attempts"),
                last_error=bindparam("row_error"),
                claimed_until=None,
            ),
            [
                {"row_pk": r.pk, "row_attempts": r.attempts, "row_error": r.error[:_ERROR_LEN]}
                for r in rows
            ],
        )


async def page(conn: AsyncConnection, *, failed_only: bool, limit: int) -> list[OutboxRow]:
    """The newest callbacks first (only the failed ones when ``failed_only``)."""
    query = select(outbox).order_by(outbox.c.pk.desc()).limit(limit)
    if failed_only:
        query = query.where(outbox.c.state == FAILED)
    return [_row(r._mapping) for r in await conn.execute(query)]


async def retry(conn: AsyncConnection, pk: int | None, now: datetime) -> list[int]:
    """Send again: the callback ``pk`` unless it is still pending, or every failed one when
    ``pk`` is None. Attempts start over, due at ``now``. The keys re-queued."""
    where = [outbox.c.state == FAILED] if pk is None else [outbox.c.pk == pk]
    result = await conn.execute(
        update(outbox)
        .where(*where, outbox.c.state != PENDING)
        .values(state=PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
        .returning(outbox.c.pk)
    )
    return sorted(int(found) for found in result.scalars())


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        pk=r["pk"],
        account_id=r["account_id"],
        application_id=r["application_id"],
        kind=r["kind"],
        url=r["url"],
        state=r["state"],
        attempts=r["attempts"],
        next_attempt_at=r["next_attempt_at"],
        last_error=r["last_error"],
        created_at=r["created_at"],
        delivered_at=r["delivered_at"],
    )
