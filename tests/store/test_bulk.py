"""Bulk inserts: a few rows go as a prepared INSERT on PostgreSQL, more as COPY; both paths
(and SQLite's executemany) store the same values, and a duplicate key is a conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smscast.errors import StoreConflict
from smscast.ids import uuid7_batch
from smscast.services.runtime import Services
from smscast.store import campaigns as q
from smscast.store.bulk import Bulk
from smscast.store.tables import messages

DUE = datetime(2026, 12, 6, 10, 30, 15, 123456, tzinfo=UTC)


def _rows(bulk: Bulk, count: int) -> list[list[object]]:
    ids = uuid7_batch(DUE, count)
    return [
        [
            ids[n],
            7,
            "account-1",
            f"+3069123{n:05d}",
            "GR",
            None if n % 2 else f"contact-{n}",
            bulk.boolean(n % 3 == 0),
            f"text {n} ΑΒΓ",
            bulk.boolean(n % 2 == 0),
            1 + n % 4,
            "Queued",
            None,
            bulk.timestamp(DUE),
            bulk.timestamp(DUE + timedelta(minutes=n)),
        ]
        for n in range(count)
    ]


# 16 rows is the last count sent as an INSERT on PostgreSQL, 17 the first sent by COPY.
@pytest.mark.parametrize("count", [1, 16, 17, 300])
async def test_every_path_stores_the_same_values(services: Services, count: int):
    async with services.db.write() as conn:
        bulk = Bulk(conn)
        rows = _rows(bulk, count)
        await q.insert_messages(bulk, rows)
    async with services.db.read() as conn:
        stored = (
            await conn.execute(
                select(
                    messages.c.id, messages.c.mobile, messages.c.contact_id, messages.c.reminder,
                    messages.c.text, messages.c.unicode, messages.c.parts, messages.c.due_at,
                    messages.c.expires_at,
                ).order_by(messages.c.id)
            )
        ).all()  # fmt: skip
    assert len(stored) == count
    for n, row in enumerate(stored):
        assert tuple(row) == (
            rows[n][0],
            f"+3069123{n:05d}",
            None if n % 2 else f"contact-{n}",
            n % 3 == 0,
            f"text {n} ΑΒΓ",
            n % 2 == 0,
            1 + n % 4,
            DUE,
            DUE + timedelta(minutes=n),
        )


@pytest.mark.parametrize("count", [1, 17])
async def test_a_duplicate_key_is_a_conflict_and_writes_nothing(services: Services, count: int):
    async with services.db.write() as conn:
        bulk = Bulk(conn)
        rows = _rows(bulk, count)
        await q.insert_messages(bulk, rows)
    again = _rows(bulk, count + 1)
    again[-1][0] = rows[0][0]

    async def insert_again() -> None:
        async with services.db.write() as conn:
            await q.insert_messages(Bulk(conn), again)

    with pytest.raises(StoreConflict):
        await insert_again()
    async with services.db.read() as conn:
        stored = (await conn.execute(select(messages.c.id))).scalars().all()
    assert sorted(stored) == sorted(row[0] for row in rows)
