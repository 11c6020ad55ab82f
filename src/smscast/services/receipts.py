"""Delivery receipts: stored as carriers hand them over, then applied in batches to parts,
messages and campaigns. A receipt for a part not recorded yet waits and is tried again; one
for a part already final changes nothing."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.carriers.base import InboundMessage, Receipt
from smscast.clock import Clock
from smscast.domain.campaigns import FINAL_STATUSES, MessageStatus
from smscast.domain.lifecycle import PartState, can_move, fold
from smscast.services.callbacks import parts_changed
from smscast.services.progress import Move, Owner, apply_moves
from smscast.store import dispatch as q
from smscast.store.bulk import Bulk
from smscast.store.db import Database

log = logging.getLogger("smscast.receipts")
BATCH = 2000
# A receipt that matches nothing is retried with growing gaps, then dropped after a day.
_FIRST_RETRY = timedelta(seconds=2)
_LAST_RETRY = timedelta(minutes=10)
_GIVE_UP_AFTER = timedelta(days=1)


class ReceiptStore:
    """The ``ReceiptSink`` carriers write to: one insert per batch of receipts."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def put(self, receipts: Sequence[Receipt]) -> None:
        if not receipts:
            return
        now = self._clock.now()
        async with self._db.write() as conn:
            bulk = Bulk(conn)
            stamp = bulk.timestamp(now)
            await q.insert_receipts(
                bulk,
                [
                    (
                        r.carrier,
                        r.carrier_message_id,
                        r.status.value,
                        r.detailed_status,
                        r.error,
                        None if r.done_at is None else bulk.timestamp(r.done_at),
                        stamp,
                        stamp,
                    )
                    for r in receipts
                ],
            )

    async def put_inbound(self, inbound: Sequence[InboundMessage]) -> None:
        if not inbound:
            return
        now = self._clock.now()
        async with self._db.write() as conn:
            bulk = Bulk(conn)
            stamp = bulk.timestamp(now)
            await q.insert_inbound(
                bulk,
                [
                    (m.carrier, m.source, m.destination, m.text, m.data_coding, stamp)
                    for m in inbound
                ],
            )


class ReceiptIntake:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def step(self) -> int:
        """Apply one batch of due receipts; how many were looked at."""
        now = self._clock.now()
        async with self._db.write() as conn:
            due = await q.due_receipts(conn, now, BATCH)
            if not due:
                return 0
            keys = [(r.carrier, r.carrier_message_id) for r in due]
            parts = await q.parts_by_carrier_id(conn, keys)
            # Messages are locked before their parts, in key order, as expiry does (the other
            # order deadlocked against expiry on PostgreSQL); then the parts are read again:
            # another worker may have applied a copy of one of these receipts while we
            # waited, and a part read before the lock would be applied (and called back) twice.
            await q.message_states(conn, {p.message_pk for p in parts.values()}, lock=True)
            parts = await q.parts_by_carrier_id(conn, keys)
            done: list[int] = []
            retries: list[dict[str, object]] = []
            updates: dict[int, dict[str, object]] = {}
            for receipt in due:
                part = parts.get((receipt.carrier, receipt.carrier_message_id))
                if part is None:
                    if now - receipt.received_at >= _GIVE_UP_AFTER:
                        log.warning("action=receipt_unmatched carrier=%s", receipt.carrier)
                        done.append(receipt.pk)
                    else:
                        gap = min(_FIRST_RETRY * 2**receipt.tries, _LAST_RETRY)
                        retries.append({"receipt_pk": receipt.pk, "next_try_at": now + gap})
                    continue
                done.append(receipt.pk)
                current = updates.get(part.pk, {}).get("status", part.status)
                if MessageStatus(str(current)) in FINAL_STATUSES:
                    continue  # a repeated receipt: already applied
                updates[part.pk] = {
                    "part_pk": part.pk,
                    "message_pk": part.message_pk,
                    "status": str(receipt.status),
                    "detailed_status": receipt.detailed_status,
                    "error": receipt.error,
                    "status_at": receipt.done_at or now,
                }
            locked = await q.message_states(
                conn, {int(str(u["message_pk"])) for u in updates.values()}, lock=True
            )
            await q.update_parts(conn, list(updates.values()))
            await parts_changed(
                conn,
                now,
                parts=[
                    (
                        locked[int(str(u["message_pk"]))].campaign_pk,
                        int(str(u["part_pk"])),
                        MessageStatus(str(u["status"])),
                    )
                    for u in updates.values()
                ],
            )
            moved_parts: dict[int, PartState] = {
                int(str(u["message_pk"])): PartState(
                    MessageStatus(str(u["status"])), _text(u["detailed_status"])
                )
                for u in updates.values()
            }
            await self._fold(conn, moved_parts, now)
            await q.forget_receipts(conn, done)
            await q.retry_receipts(conn, retries)
        return len(due)

    async def _fold(
        self, conn: AsyncConnection, moved_parts: dict[int, PartState], now: datetime
    ) -> None:
        """Messages whose parts moved take the status their parts now imply. A one-part
        message (most of them) is decided by the part that moved: only longer messages read
        their other parts."""
        if not moved_parts:
            return
        states = await q.message_states(conn, moved_parts, lock=True)
        longer = [pk for pk, state in states.items() if state.parts > 1]
        parts = await q.parts_of(conn, longer) if longer else {}
        groups: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
        for pk, state in states.items():
            was = MessageStatus(state.status)
            found = (
                [PartState(MessageStatus(p.status), p.detailed_status) for p in parts.get(pk, [])]
                if state.parts > 1
                else [moved_parts[pk]]
            )
            folded = fold(found, state.parts)
            if folded.status is not was and can_move(was, folded.status):
                groups[(was.value, folded.status.value, folded.detailed)].append(pk)
        moves: list[Move] = []
        for (old, new, detailed), pks in groups.items():
            values: dict[str, object] = {
                "status": new,
                "detailed_status": detailed,
                "status_at": now,
            }
            if MessageStatus(new) in FINAL_STATUSES:
                values["finished_at"] = now
            moved = await q.set_message_status(conn, pks, [old], values)
            for pk, campaign_pk in moved:
                moves.append(
                    Move(campaign_pk, MessageStatus(old), MessageStatus(new), states[pk].reminder)
                )
        owners: dict[int, Owner] = {}  # receipts never refund: the message reached a carrier
        await apply_moves(conn, moves, owners, now)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
