"""Queries behind ``/metrics``: each an index probe or a scan of a small table (campaigns,
receipts waiting), never a scan of the messages or the delivered callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.dispatch import COUNTERS
from smscast.store.tables import campaigns, messages, outbox, receipts


@dataclass(frozen=True, slots=True)
class Figures:
    messages: dict[str, int]  # campaign messages by status (from the campaigns' counters)
    campaigns: dict[str, int]  # live campaigns by state
    due: int  # messages waiting whose time has come (the dispatch queue)
    outbox: dict[str, int]  # callbacks pending and failed
    oldest_due_callback: datetime | None  # when the longest-waiting due callback fell due
    receipts_waiting: int  # stored, not applied yet
    receipts_unmatched: int  # of those, tried at least once without finding their part


async def figures(conn: AsyncConnection, now: datetime) -> Figures:
    totals = (
        await conn.execute(select(*(func.coalesce(func.sum(campaigns.c[c]), 0) for c in COUNTERS)))
    ).one()
    states = await conn.execute(
        select(campaigns.c.state, func.count())
        .where(campaigns.c.deleted_at.is_(None))
        .group_by(campaigns.c.state)
    )
    due = (
        await conn.execute(
            select(func.count()).where(messages.c.status == "Queued", messages.c.due_at <= now)
        )
    ).scalar_one()
    callbacks = {}
    for state in ("pending", "failed"):
        callbacks[state] = (
            await conn.execute(select(func.count()).where(outbox.c.state == state))
        ).scalar_one()
    oldest = (
        await conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(
                outbox.c.state == "pending", outbox.c.next_attempt_at <= now
            )
        )
    ).scalar_one()
    waiting, unmatched = (
        await conn.execute(
            select(
                func.count(), func.coalesce(func.sum(case((receipts.c.tries > 0, 1), else_=0)), 0)
            ).select_from(receipts)
        )
    ).one()
    return Figures(
        messages={c: int(v) for c, v in zip(COUNTERS, totals, strict=True)},
        campaigns={str(state): int(count) for state, count in states},
        due=int(due),
        outbox={k: int(v) for k, v in callbacks.items()},
        oldest_due_callback=oldest,
        receipts_waiting=int(waiting),
        receipts_unmatched=int(unmatched),
    )
