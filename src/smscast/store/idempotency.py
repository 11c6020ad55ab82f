"""Queries on ``idempotency_keys``: reservations and the answers they stored, per account.

Callers own the transaction. A reservation is identified by its account, key, request hash
and creation time, so a stale request can never finish or release a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.tables import idempotency_keys as keys
from smscast.types import AccountId


@dataclass(frozen=True, slots=True)
class KeyRow:
    request_hash: str
    status: int | None
    response: str | None
    created_at: datetime


async def find_key(conn: AsyncConnection, account_id: AccountId, key: str) -> KeyRow | None:
    row = (
        await conn.execute(
            select(keys.c.request_hash, keys.c.status, keys.c.response, keys.c.created_at).where(
                keys.c.account_id == account_id, keys.c.key == key
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return KeyRow(row.request_hash, row.status, row.response, row.created_at)


async def insert_reservation(
    conn: AsyncConnection, account_id: AccountId, key: str, request_hash: str, now: datetime
) -> None:
    """A new in-flight row; raises ``IntegrityError`` when the key is already taken."""
    await conn.execute(
        insert(keys).values(
            account_id=account_id,
            key=key,
            request_hash=request_hash,
            status=None,
            response=None,
            created_at=now,
        )
    )


async def replace_expired(
    conn: AsyncConnection,
    account_id: AccountId,
    key: str,
    request_hash: str,
    now: datetime,
    expired_before: datetime,
) -> bool:
    """Turn an expired row into a new reservation; False when it is no longer expired."""
    result = await conn.execute(
        update(keys)
        .where(
            keys.c.account_id == account_id,
            keys.c.key == key,
            keys.c.created_at <= expired_before,
        )
        .values(request_hash=request_hash, status=None, response=None, created_at=now)
    )
    return result.rowcount == 1


async def take_over_abandoned(
    conn: AsyncConnection,
    account_id: AccountId,
    key: str,
    request_hash: str,
    now: datetime,
    abandoned_before: datetime,
) -> bool:
    """Make a reservation left without an answer since ``abandoned_before`` this request's;
    False when it was answered or taken over meanwhile."""
    result = await conn.execute(
        update(keys)
        .where(
            keys.c.account_id == account_id,
            keys.c.key == key,
            keys.c.request_hash == request_hash,
            keys.c.status.is_(None),
            keys.c.created_at <= abandoned_before,
        )
        .values(created_at=now)
    )
    return result.rowcount == 1


def _reservation(
    account_id: AccountId, key: str, request_hash: str, created_at: datetime
) -> ColumnElement[bool]:
    return and_(
        keys.c.account_id == account_id,
        keys.c.key == key,
        keys.c.request_hash == request_hash,
        keys.c.created_at == created_at,
        keys.c.status.is_(None),
    )


async def store_response(
    conn: AsyncConnection,
    account_id: AccountId,
    key: str,
    request_hash: str,
    created_at: datetime,
    status: int,
    response: str,
) -> bool:
    """Complete an in-flight reservation with its answer; False when it was not found."""
    result = await conn.execute(
        update(keys)
        .where(_reservation(account_id, key, request_hash, created_at))
        .values(status=status, response=response)
    )
    return result.rowcount == 1


async def delete_reservation(
    conn: AsyncConnection, account_id: AccountId, key: str, request_hash: str, created_at: datetime
) -> bool:
    """Drop an in-flight reservation so the key can be used again; False when not found."""
    result = await conn.execute(
        delete(keys).where(_reservation(account_id, key, request_hash, created_at))
    )
    return result.rowcount == 1


async def delete_created_before(conn: AsyncConnection, cutoff: datetime) -> int:
    """Delete every row created at or before ``cutoff`` (any account, any state)."""
    result = await conn.execute(delete(keys).where(keys.c.created_at <= cutoff))
    return result.rowcount or 0
