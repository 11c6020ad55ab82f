"""Queries of the cluster: workers saying they are alive, and the leases on carrier binds
that make a carrier's configured binds (and so its submit rate) one budget for every worker.
Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.tables import carrier_binds, messages, workers


@dataclass(frozen=True, slots=True)
class WorkerRow:
    name: str
    host: str
    pid: int
    tasks: str
    started_at: datetime
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class BindRow:
    carrier: str
    slot: int
    worker: str | None
    lease_until: datetime | None


def _upsert(conn: AsyncConnection) -> object:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


async def heartbeat(
    conn: AsyncConnection, name: str, host: str, pid: int, tasks: str, now: datetime
) -> None:
    insert = _upsert(conn)(workers).values(  # type: ignore[operator]
        name=name, host=host, pid=pid, tasks=tasks, started_at=now, seen_at=now
    )
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[workers.c.name],
            set_={"host": host, "pid": pid, "tasks": tasks, "seen_at": now},
        )
    )


async def forget_worker(conn: AsyncConnection, name: str) -> None:
    """A worker stopping: its row goes and its binds are free at once."""
    await conn.execute(delete(workers).where(workers.c.name == name))
    await conn.execute(
        update(carrier_binds)
        .where(carrier_binds.c.worker == name)
        .values(worker=None, lease_until=None)
    )


async def live_dispatchers(conn: AsyncConnection, since: datetime) -> int:
    """Workers seen since ``since`` that run a dispatcher (those share the binds)."""
    query = (
        select(func.count())
        .select_from(workers)
        .where(workers.c.seen_at >= since, workers.c.tasks.like("%dispatcher%"))
    )
    return int((await conn.execute(query)).scalar_one())


async def ensure_slots(conn: AsyncConnection, carrier: str, count: int) -> None:
    """The carrier has slots 0 … count-1 (more configured later: more slots; fewer: the
    extra ones are never granted)."""
    insert = _upsert(conn)(carrier_binds).values(  # type: ignore[operator]
        [{"carrier": carrier, "slot": n} for n in range(count)]
    )
    await conn.execute(insert.on_conflict_do_nothing())


async def renew(
    conn: AsyncConnection, carrier: str, worker: str, now: datetime, until: datetime
) -> list[int]:
    """Extend the leases ``worker`` still holds on the carrier's slots; those slots. A lease
    that ran out may have gone to another worker: it is not the caller's any more."""
    result = await conn.execute(
        update(carrier_binds)
        .where(
            carrier_binds.c.carrier == carrier,
            carrier_binds.c.worker == worker,
            carrier_binds.c.lease_until >= now,
        )
        .values(lease_until=until)
        .returning(carrier_binds.c.slot)
    )
    return sorted(int(slot) for slot in result.scalars())


async def acquire(
    conn: AsyncConnection,
    carrier: str,
    worker: str,
    now: datetime,
    until: datetime,
    slots: int,
    want: int,
) -> list[int]:
    """Lease up to ``want`` free slots (never held, or their lease ran out) below ``slots``."""
    if want <= 0:
        return []
    free = "worker IS NULL OR lease_until IS NULL OR lease_until < :now"
    pick = (
        f"SELECT slot FROM carrier_binds WHERE carrier = :carrier AND slot < :slots"
        f" AND ({free}) ORDER BY slot LIMIT :want"
    )
    take = "worker = :worker, lease_until = :until"
    if conn.dialect.name == "postgresql":
        # Locked in a CTE, run once: as "slot IN (… LIMIT … SKIP LOCKED)" PostgreSQL may run
        # the subquery again per row and grant more than ``want``.
        sql = (
            f"WITH picked AS ({pick} FOR UPDATE SKIP LOCKED)"
            f" UPDATE carrier_binds SET {take} FROM picked"
            f" WHERE carrier_binds.carrier = :carrier AND carrier_binds.slot = picked.slot"
            f" AND ({free}) RETURNING carrier_binds.slot"
        )
    else:
        sql = (
            f"UPDATE carrier_binds SET {take}"
            f" WHERE carrier = :carrier AND slot IN ({pick}) RETURNING slot"
        )
    stamp = carrier_binds.c.lease_until.type
    result = await conn.execute(
        text(sql).bindparams(bindparam("now", type_=stamp), bindparam("until", type_=stamp)),
        {"carrier": carrier, "slots": slots, "want": want, "now": now, "until": until,
         "worker": worker},
    )  # fmt: skip
    return sorted(int(slot) for slot in result.scalars())


async def give_back(conn: AsyncConnection, carrier: str, worker: str, slots: Sequence[int]) -> None:
    if slots:
        await conn.execute(
            update(carrier_binds)
            .where(
                carrier_binds.c.carrier == carrier,
                carrier_binds.c.worker == worker,
                carrier_binds.c.slot.in_(list(slots)),
            )
            .values(worker=None, lease_until=None)
        )


async def list_workers(conn: AsyncConnection) -> list[WorkerRow]:
    rows = await conn.execute(select(workers).order_by(workers.c.name))
    return [WorkerRow(**r._mapping) for r in rows]


async def list_binds(conn: AsyncConnection) -> list[BindRow]:
    rows = await conn.execute(
        select(carrier_binds).order_by(carrier_binds.c.carrier, carrier_binds.c.slot)
    )
    return [BindRow(**r._mapping) for r in rows]


async def queued_by_route(conn: AsyncConnection, prefix_length: int) -> list[tuple[str, str, int]]:
    """Waiting messages by (country, the first ``prefix_length`` characters of the number):
    enough to route each group as its messages would be."""
    head = func.substr(messages.c.mobile, 1, max(1, prefix_length))
    rows = await conn.execute(
        select(messages.c.country, head, func.count())
        .where(messages.c.status == "Queued")
        .group_by(messages.c.country, head)
    )
    return [(str(country), str(start), int(count)) for country, start, count in rows]
