"""The dispatcher: claim due messages, hold those in quiet hours, expire those past their
validity, hand the rest to their carriers split exactly as they were priced, and record
every answer — one claim, one submit round and one recording transaction per batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from smscast.carriers.base import Carrier, PartResult, Submission, SubmitResult
from smscast.carriers.routing import Router
from smscast.clock import Clock
from smscast.domain import quiet_hours
from smscast.domain.campaigns import MessageStatus
from smscast.domain.lifecycle import Detailed
from smscast.domain.numbers import parse_recipients
from smscast.domain.segments import Encoding, layout, split
from smscast.ids import uuid7_batch
from smscast.services.callbacks import parts_changed
from smscast.services.progress import Move, Owner, apply_moves, refund_of
from smscast.store import dispatch as q
from smscast.store.bulk import Bulk
from smscast.store.db import Database, is_transient
from smscast.store.dispatch import CampaignInfo, Claimed

log = logging.getLogger("smscast.dispatch")
# A carrier that raises (link down) gets the batch back this much later.
CARRIER_DOWN_RETRY = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    worker: str
    batch: int = 500
    lease: timedelta = timedelta(seconds=60)
    default_quiet_hours: str = "23:00-08:00,14:00-17:00"


@dataclass(slots=True)
class _Round:
    """What one batch came to, waiting to be recorded."""

    sent: list[tuple[Claimed, str, SubmitResult]] = field(default_factory=list)
    retry: dict[datetime, list[Claimed]] = field(default_factory=lambda: defaultdict(list))
    held: dict[datetime, list[Claimed]] = field(default_factory=lambda: defaultdict(list))
    expired: list[Claimed] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self, db: Database, clock: Clock, router: Router, options: DispatchOptions
    ) -> None:
        self._db = db
        self._clock = clock
        self._router = router
        self._options = options

    async def step(self) -> int:
        """Dispatch one batch; how many messages it handled (0: nothing was due)."""
        now = self._clock.now()
        async with self._db.write() as conn:
            claimed = await q.claim(
                conn, self._options.worker, now, now + self._options.lease, self._options.batch
            )
            if not claimed:
                return 0
            infos = await q.campaign_infos(conn, {c.campaign_pk for c in claimed})
        # Once parts may have reached a carrier, the batch is recorded even if the worker is
        # stopping meanwhile: a cancelled record would leave those messages to be sent again.
        delivery = asyncio.ensure_future(self._deliver(claimed, infos, now))
        try:
            await asyncio.shield(delivery)
        except asyncio.CancelledError:
            await delivery
            raise
        return len(claimed)

    async def _deliver(
        self, claimed: list[Claimed], infos: dict[int, CampaignInfo], now: datetime
    ) -> None:
        work = self._plan(claimed, infos, now)
        await self._record(work.round, infos, now)  # held back and expired: no carrier
        # Each carrier takes the batch a window at a time, and each window is recorded as soon
        # as it is answered: a crash between submit and record can send again at most what
        # was in flight (DESIGN, invariant 4), not the whole claimed batch.
        waiting = {m.pk for _, items in work.by_carrier.values() for m, _ in items}
        if not waiting:
            return
        # A slow carrier (throttled, a long message) can take longer than a lease, even for
        # one window: while the batch is in hand its leases are renewed, or another worker
        # would claim and send it too.
        keeper = asyncio.create_task(self._keep_leases(waiting))
        try:
            held_since = now
            for name, (carrier, items) in work.by_carrier.items():
                step = carrier.in_flight_limit() or len(items)
                for start in range(0, len(items), step):
                    if start and self._clock.now() - held_since > self._options.lease / 3:
                        held_since = await self._extend(sorted(waiting))
                    done = _Round()
                    lot = items[start : start + step]
                    await self._submit(name, carrier, lot, done, now)
                    # Recorded at once: the keeper leaves these rows to the recording.
                    waiting.difference_update(m.pk for m, _ in lot)
                    await self._record_handed_over(done, infos, now)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _record_handed_over(
        self, done: _Round, infos: dict[int, CampaignInfo], now: datetime
    ) -> None:
        """Record a window the carrier has answered, trying again while the database is
        unavailable (its connection dropped, a restart): giving up would leave the window to
        be claimed and sent again once its leases run out. The recording only moves messages
        this worker still holds, so a try that comes after another worker's claim records
        nothing twice; after a lease's worth of tries it gives up (and the window is sent
        again, within DESIGN's bound)."""
        deadline = time.monotonic() + self._options.lease.total_seconds()
        pause = 0.1
        while True:
            try:
                await self._record(done, infos, now)
                return
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + pause > deadline:
                    raise
                log.warning("action=record_retry messages=%d error=%s",
                            len(done.sent) + sum(map(len, done.retry.values())),
                            type(exc).__name__)  # fmt: skip
            await asyncio.sleep(pause)
            pause = min(2.0, pause * 2)

    async def _keep_leases(self, waiting: set[int]) -> None:
        """Renew the leases on what is still ``waiting`` every third of a lease (real time)."""
        period = self._options.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(period)
            if waiting:
                try:
                    await self._extend(sorted(waiting))
                except Exception:  # a failed renewal is retried at the next period
                    log.warning("action=lease_renewal_failed messages=%d", len(waiting))

    async def _extend(self, pks: list[int]) -> datetime:
        """Renew the leases on ``pks``; when they were renewed."""
        now = self._clock.now()
        async with self._db.write() as conn:
            await q.extend_leases(conn, self._options.worker, pks, now + self._options.lease)
        return now

    async def release(self) -> int:
        """Give back this worker's leases (a graceful stop)."""
        async with self._db.write() as conn:
            return await q.release(conn, self._options.worker)

    # -- one batch ------------------------------------------------------------------

    def _plan(self, claimed: list[Claimed], infos: dict[int, CampaignInfo], now: datetime) -> _Plan:
        work = _Plan()
        quiet = [c for c in claimed if infos[c.campaign_pk].respect_quiet_hours and not c.reminder]
        zones = {
            c.pk: r.time_zones if r else ()
            for c, r in zip(quiet, parse_recipients([c.mobile for c in quiet]), strict=True)
        }
        for message in claimed:
            info = infos[message.campaign_pk]
            if message.expires_at <= now:
                work.round.expired.append(message)
                continue
            if message.pk in zones:
                own = info.quiet_hours  # "" is an account's choice of no windows at all
                windows = _windows(own if own is not None else self._options.default_quiet_hours)
                judged = quiet_hours.zones_for(message.country, zones[message.pk])
                later = quiet_hours.next_send_time(now, judged, windows)
                if later is not None:
                    work.round.held[later].append(message)
                    continue
            text = message.text if message.text is not None else info.text
            parts = tuple(split(text))
            if len(parts) != message.parts:
                # Priced and sent by the same split: a mismatch is a bug, not a carrier issue.
                log.error("action=parts_mismatch message=%s priced=%d split=%d",
                          message.id, message.parts, len(parts))  # fmt: skip
            carrier = self._router.route(message.mobile, message.country)
            work.by_carrier.setdefault(carrier.name, (carrier, []))[1].append(
                (
                    message,
                    Submission(
                        message_id=message.id,
                        sender=info.sender,
                        to=message.mobile,
                        parts=parts,
                        unicode=layout(text).encoding is Encoding.UCS2,
                        flash=info.flash,
                        validity=max(message.expires_at - now, timedelta(minutes=1)),
                    ),
                )
            )
        return work

    async def _submit(
        self,
        name: str,
        carrier: Carrier,
        batch: list[tuple[Claimed, Submission]],
        done: _Round,
        now: datetime,
    ) -> None:
        try:
            results = await carrier.submit([submission for _, submission in batch])
        except Exception:  # a broken link must not lose the batch: try again later
            log.exception("action=carrier_error carrier=%s messages=%d", name, len(batch))
            results = [SubmitResult(retry_after=CARRIER_DOWN_RETRY)] * len(batch)
        for (message, _), result in zip(batch, results, strict=True):
            if result.retry_after is not None and not result.parts:
                done.retry[now + result.retry_after].append(message)
            else:
                done.sent.append((message, name, result))

    async def _record(self, done: _Round, infos: dict[int, CampaignInfo], now: datetime) -> None:
        if not (done.sent or done.retry or done.held or done.expired):
            return
        worker = self._options.worker
        moves: list[Move] = []
        # (campaign, message, new status) of messages whose every part changed
        changed: list[tuple[int, int, MessageStatus]] = []
        async with self._db.write() as conn:
            bulk = Bulk(conn)
            stamp = bulk.timestamp(now)
            # Handed over: a part row each; Sent, or Failed when the carrier refused a part.
            by_outcome: dict[tuple[str, str, str | None], list[tuple[Claimed, SubmitResult]]] = (
                defaultdict(list)
            )
            for message, carrier, result in done.sent:
                refused = next((p for p in result.parts if not p.accepted), None)
                if refused is None:
                    by_outcome[(carrier, MessageStatus.SENT.value, Detailed.SENT.value)].append(
                        (message, result)
                    )
                else:
                    reason = refused.detailed_status or Detailed.FAILED.value
                    by_outcome[(carrier, MessageStatus.FAILED.value, reason)].append(
                        (message, result)
                    )
            part_rows: list[list[object]] = []
            for (carrier, status, outcome_detail), handed in by_outcome.items():
                values: dict[str, object] = {
                    "status": status,
                    "detailed_status": outcome_detail,
                    "status_at": now,
                    "submitted_at": now,
                    "carrier": carrier,
                }
                if status != MessageStatus.SENT.value:
                    values["finished_at"] = now
                moved = {pk for pk, _ in await q.move_claimed(
                    conn, worker, [m.pk for m, _ in handed], values
                )}  # fmt: skip
                for message, result in handed:
                    if message.pk not in moved:
                        continue  # the lease went to another worker meanwhile
                    new = MessageStatus(status)
                    changed.append((message.campaign_pk, message.pk, new))
                    ids = uuid7_batch(now, len(result.parts))
                    for number, (sms_id, part) in enumerate(zip(ids, result.parts, strict=True), 1):
                        part_rows.append(_part_row(sms_id, message, number, carrier, part, stamp))
                    info = infos[message.campaign_pk]
                    failed_at_submit = new is MessageStatus.FAILED and not any(
                        p.accepted for p in result.parts
                    )
                    moves.append(
                        Move(
                            message.campaign_pk,
                            MessageStatus.QUEUED,
                            new,
                            message.reminder,
                            refund_of(message.parts, message.country, info.prices)
                            if failed_at_submit
                            else Decimal(0),
                            message.id,
                        )
                    )
            await q.insert_parts(bulk, part_rows)
            # Not this time: throttled, carrier down, or quiet hours.
            for due, again in done.retry.items():
                await q.move_claimed(conn, worker, [m.pk for m in again], {"due_at": due})
            held_counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for campaign_pk, country in await q.mark_held(
                conn, [m.pk for quiet in done.held.values() for m in quiet]
            ):
                held_counts[campaign_pk][country] += 1
            for due, quiet in done.held.items():
                await q.move_claimed(conn, worker, [m.pk for m in quiet], {"due_at": due})
            await q.add_quiet_hours(conn, held_counts)
            # Never sent within their validity.
            values_expired = {
                "status": MessageStatus.UNSENT.value,
                "detailed_status": Detailed.EXPIRED.value,
                "status_at": now,
                "finished_at": now,
            }
            expired = {pk for pk, _ in await q.move_claimed(
                conn, worker, [m.pk for m in done.expired], values_expired
            )}  # fmt: skip
            for message in done.expired:
                if message.pk in expired:
                    changed.append((message.campaign_pk, message.pk, MessageStatus.UNSENT))
                    info = infos[message.campaign_pk]
                    moves.append(
                        Move(
                            message.campaign_pk,
                            MessageStatus.QUEUED,
                            MessageStatus.UNSENT,
                            message.reminder,
                            refund_of(message.parts, message.country, info.prices),
                            message.id,
                        )
                    )
            await parts_changed(conn, now, messages=changed)
            owners = {pk: Owner(i.account_id, i.id, i.kind) for pk, i in infos.items()}
            await apply_moves(conn, moves, owners, now)


def _part_row(
    sms_id: str, message: Claimed, number: int, carrier: str, part: PartResult, stamp: object
) -> list[object]:
    accepted = part.accepted
    return [
        sms_id,
        message.pk,
        message.campaign_pk,
        number,
        carrier,
        part.carrier_message_id,
        (MessageStatus.SENT if accepted else MessageStatus.FAILED).value,
        Detailed.SENT.value if accepted else part.detailed_status or Detailed.FAILED.value,
        part.error,
        stamp,
        stamp,
    ]


@dataclass(slots=True)
class _Plan:
    round: _Round = field(default_factory=_Round)
    by_carrier: dict[str, tuple[Carrier, list[tuple[Claimed, Submission]]]] = field(
        default_factory=dict
    )


@lru_cache(maxsize=256)
def _windows(text: str) -> tuple[quiet_hours.Window, ...]:
    return quiet_hours.parse_windows(text)
