"""Queries on contacts and labels, always scoped by account. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.tables import blacklist, contacts, group_members, groups, labels
from smscast.types import AccountId, ContactId

# SQLite allows 32,766 bound parameters; PostgreSQL 65,535. Chunk IN lists well below both.
IN_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: ContactId
    account_id: AccountId
    mobile: str
    country: str
    first_name: str
    last_name: str
    email: str
    vip: bool
    labels: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _contact(row: Row[Any]) -> ContactRow:
    m = row._mapping
    return ContactRow(
        id=ContactId(m["id"]),
        account_id=AccountId(m["account_id"]),
        mobile=m["mobile"],
        country=m["country"],
        first_name=m["first_name"],
        last_name=m["last_name"],
        email=m["email"],
        vip=bool(m["vip"]),
        labels=dict(m["labels"] or {}),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def insert_contacts(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert (one executemany); each dict has every column."""
    if rows:
        await conn.execute(contacts.insert(), list(rows))


async def update_contact(
    conn: AsyncConnection, account_id: AccountId, contact_id: ContactId, values: dict[str, Any]
) -> bool:
    result = await conn.execute(
        update(contacts)
        .where(contacts.c.account_id == account_id, contacts.c.id == contact_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def update_contacts_by_id(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk update: rows share one set of keys, ``contact_id`` picks the row."""
    if not rows:
        return
    columns = [key for key in rows[0] if key != "contact_id"]
    stmt = (
        update(contacts)
        .where(contacts.c.id == bindparam("contact_id"))
        .values({column: bindparam(column) for column in columns})
    )
    await conn.execute(stmt, list(rows))


async def get_contact(
    conn: AsyncConnection, account_id: AccountId, contact_id: str
) -> ContactRow | None:
    row = (
        await conn.execute(
            select(contacts).where(contacts.c.account_id == account_id, contacts.c.id == contact_id)
        )
    ).first()
    return _contact(row) if row else None


async def get_contacts(
    conn: AsyncConnection, account_id: AccountId, ids: Sequence[str], *, lock: bool = False
) -> list[ContactRow]:
    """The account's contacts among ``ids``. ``lock`` holds their keys (PostgreSQL's FOR KEY
    SHARE) until commit, so rows attached to them cannot outlive a concurrent delete."""
    found: list[ContactRow] = []
    for chunk in chunks(ids):
        query = select(contacts).where(
            contacts.c.account_id == account_id, contacts.c.id.in_(chunk)
        )
        if lock:
            query = query.with_for_update(key_share=True, read=True)
        rows = await conn.execute(query)
        found.extend(_contact(r) for r in rows)
    return found


async def find_by_mobile(
    conn: AsyncConnection, account_id: AccountId, mobile: str
) -> ContactRow | None:
    row = (
        await conn.execute(
            select(contacts).where(contacts.c.account_id == account_id, contacts.c.mobile == mobile)
        )
    ).first()
    return _contact(row) if row else None


async def existing_by_mobile(
    conn: AsyncConnection, account_id: AccountId, mobiles: Sequence[str]
) -> dict[str, tuple[ContactId, dict[str, Any]]]:
    """mobile → (id, custom label values) for the numbers the account already has."""
    found: dict[str, tuple[ContactId, dict[str, Any]]] = {}
    if conn.dialect.name == "postgresql":
        # A join against unnest() plans as an index lookup per number whatever the table's
        # statistics say; "mobile IN (5,000 values)" on a table that grew since its last
        # ANALYZE plans as a scan comparing every row with every value.
        rows = await conn.execute(
            text(
                "SELECT c.mobile, c.id, c.labels FROM unnest(CAST(:mobiles AS text[])) AS m(mobile)"
                " JOIN contacts c ON c.account_id = :account AND c.mobile = m.mobile"
                # The import attaches these contacts to a group: hold their keys until commit.
                " FOR KEY SHARE OF c"
            ),
            {"mobiles": list(mobiles), "account": account_id},
        )
        for mobile, contact_id, values in rows:
            found[mobile] = (ContactId(contact_id), dict(values or {}))
        return found
    # SQLite: one JSON array parameter walked by json_each, rather than thousands of
    # bound parameters that SQLAlchemy would expand and process one by one.
    rows = await conn.exec_driver_sql(
        "SELECT mobile, id, labels FROM contacts"
        " WHERE account_id = ? AND mobile IN (SELECT value FROM json_each(?))",
        (account_id, json.dumps(list(mobiles))),
    )
    for mobile, contact_id, values in rows:
        found[mobile] = (ContactId(contact_id), json.loads(values) if values else {})
    return found


async def contact_page(
    conn: AsyncConnection, account_id: AccountId, *, offset: int, limit: int
) -> tuple[list[ContactRow], int]:
    total = (
        await conn.execute(
            select(func.count()).select_from(contacts).where(contacts.c.account_id == account_id)
        )
    ).scalar_one()
    rows = await conn.execute(
        select(contacts)
        .where(contacts.c.account_id == account_id)
        .order_by(contacts.c.pk)
        .offset(offset)
        .limit(limit)
    )
    return [_contact(r) for r in rows], total


async def delete_contacts(conn: AsyncConnection, account_id: AccountId, ids: Sequence[str]) -> int:
    deleted = 0
    for chunk in chunks(ids):
        result = await conn.execute(
            delete(contacts)
            .where(contacts.c.account_id == account_id, contacts.c.id.in_(chunk))
            .returning(contacts.c.pk)
        )
        pks = [r[0] for r in result]
        await delete_children(conn, pks)
        deleted += len(pks)
    return deleted


async def delete_contacts_in_groups(conn: AsyncConnection, group_ids: Sequence[int]) -> int:
    members = select(group_members.c.contact_pk).where(group_members.c.group_id.in_(group_ids))
    result = await conn.execute(
        delete(contacts).where(contacts.c.pk.in_(members)).returning(contacts.c.pk)
    )
    pks = [r[0] for r in result]
    for chunk in chunks(pks):
        await delete_children(conn, chunk)
    return len(pks)


async def delete_children(conn: AsyncConnection, contact_pks: Sequence[int]) -> None:
    """Memberships and blacklist entries of contacts just deleted (no cascading keys).

    Run after the contacts' own delete: on PostgreSQL that delete waited for any writer
    holding a contact's key lock to commit, so this later statement sees what it attached.
    """
    if contact_pks:
        await conn.execute(delete(group_members).where(group_members.c.contact_pk.in_(contact_pks)))
        await conn.execute(delete(blacklist).where(blacklist.c.contact_pk.in_(contact_pks)))


async def groups_of(conn: AsyncConnection, contact_ids: Sequence[str]) -> dict[str, list[str]]:
    """contact id → names of its groups (for showing contacts; no N+1)."""
    query = (
        select(contacts.c.id, groups.c.name)
        .join(group_members, group_members.c.contact_pk == contacts.c.pk)
        .join(groups, groups.c.id == group_members.c.group_id)
        .order_by(groups.c.name)
    )
    return await _per_contact(conn, query, contact_ids)


async def services_of(conn: AsyncConnection, contact_ids: Sequence[str]) -> dict[str, list[str]]:
    """contact id → services it is blacklisted for."""
    query = (
        select(contacts.c.id, blacklist.c.service)
        .join(blacklist, blacklist.c.contact_pk == contacts.c.pk)
        .order_by(blacklist.c.service)
    )
    return await _per_contact(conn, query, contact_ids)


async def _per_contact(
    conn: AsyncConnection, query: Any, contact_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Run a (contact id, value) query for these contacts, collecting values per contact."""
    found: dict[str, list[str]] = {}
    for chunk in chunks(contact_ids):
        for contact_id, value in await conn.execute(query.where(contacts.c.id.in_(chunk))):
            found.setdefault(contact_id, []).append(value)
    return found


async def stream_contacts(
    conn: AsyncConnection, account_id: AccountId, group_id: int | None, batch: int = 10_000
) -> Any:
    """Every contact of the account (or of one group), in batches, for export."""
    query = select(contacts).where(contacts.c.account_id == account_id)
    if group_id is not None:
        query = query.join(group_members, group_members.c.contact_pk == contacts.c.pk).where(
            group_members.c.group_id == group_id
        )
    result = await conn.stream(query.order_by(contacts.c.pk).execution_options(yield_per=batch))
    async for partition in result.partitions(batch):
        yield [_contact(r) for r in partition]


# -- labels -------------------------------------------------------------------------------


async def account_labels(conn: AsyncConnection, account_id: AccountId) -> dict[str, str]:
    rows = await conn.execute(
        select(labels.c.name, labels.c.type)
        .where(labels.c.account_id == account_id)
        .order_by(labels.c.id)
    )
    return {row.name: row.type for row in rows}


async def insert_labels(
    conn: AsyncConnection, account_id: AccountId, new: dict[str, str], now: datetime
) -> None:
    if new:
        await conn.execute(
            labels.insert(),
            [
                {"account_id": account_id, "name": name, "type": kind, "created_at": now}
                for name, kind in new.items()
            ],
        )


async def refresh_statistics(conn: AsyncConnection) -> None:
    """After a bulk load, let PostgreSQL's planner see the new sizes (SQLite needs nothing)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("ANALYZE contacts, group_members, blacklist")


async def count_contacts(conn: AsyncConnection, account_id: AccountId) -> int:
    query = select(func.count()).select_from(contacts).where(contacts.c.account_id == account_id)
    return int((await conn.execute(query)).scalar_one())


async def allocate_contact_keys(conn: AsyncConnection, count: int) -> list[int]:
    """``count`` fresh values for ``contacts.pk``, for rows this transaction will insert.

    Knowing the keys up front lets a bulk insert write memberships in the same pass. On
    SQLite the caller holds the write lock (BEGIN IMMEDIATE), so the keys after the current
    maximum are free; PostgreSQL hands them out from the column's sequence.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # One array rather than a row per key: decoding 5,000 rows cost more than the keys.
        keys = await conn.scalar(
            text(
                "SELECT array_agg(nextval(pg_get_serial_sequence('contacts', 'pk')))"
                " FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return list(keys)
    top = (await conn.execute(select(func.coalesce(func.max(contacts.c.pk), 0)))).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))
