"""Expiry and the scheduler's clock work: messages that ran out of validity, sent messages
whose receipt never came, and scheduled campaigns whose time has come."""

from __future__ import annotations

from datetime import timedelta

from smscast.clock import Clock
from smscast.domain.campaigns import MessageStatus
from smscast.services.callbacks import parts_changed
from smscast.services.progress import Move, Owner, apply_moves, refresh_states, refund_of
from smscast.store import dispatch as q
from smscast.store.db import Database

BATCH = 2000


class Expiry:
    def __init__(self, db: Database, clock: Clock, receipt_grace: timedelta) -> None:
        self._db = db
        self._clock = clock
        self._grace = receipt_grace

    async def step(self) -> int:
        """Expire one batch of each kind; how many messages ended."""
        now = self._clock.now()
        async with self._db.write() as conn:
            waiting = await q.expire_waiting(conn, now, BATCH)
            sent, sent_parts = await q.expire_sent(conn, now - self._grace, now, BATCH)
            if not waiting and not sent:
                return 0
            await parts_changed(
                conn,
                now,
                messages=[(m.campaign_pk, m.pk, MessageStatus.UNSENT) for m in waiting],
                parts=[(c, p, MessageStatus.UNDELIVERED) for c, p in sent_parts],
            )
            infos = await q.campaign_infos(
                conn, {m.campaign_pk for m in waiting} | {c for _, c, _ in sent}
            )
            moves = [
                Move(
                    m.campaign_pk,
                    MessageStatus.QUEUED,
                    MessageStatus.UNSENT,
                    m.reminder,
                    refund_of(m.parts, m.country, infos[m.campaign_pk].prices),
                    m.id,
                )
                for m in waiting
            ]
            moves += [
                Move(campaign_pk, MessageStatus.SENT, MessageStatus.UNDELIVERED, reminder)
                for _, campaign_pk, reminder in sent
            ]
            owners = {pk: Owner(i.account_id, i.id, i.kind) for pk, i in infos.items()}
            await apply_moves(conn, moves, owners, now)
        return len(waiting) + len(sent)


class Scheduler:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def step(self) -> int:
        """Start the scheduled campaigns that are due; how many started."""
        now = self._clock.now()
        async with self._db.write() as conn:
            started = await q.start_due_campaigns(conn, now, 100)
            await refresh_states(conn, started, now)  # and their campaign callbacks
            return len(started)
