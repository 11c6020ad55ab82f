"""The notifier: POSTs due callbacks from the outbox, concurrently, and records in one
transaction per batch which were delivered, which wait for another try and which failed.
Its own worker task: a slow or dead receiver never holds up sending."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from smscast.clock import Clock
from smscast.domain.callbacks import RETRY_DELAYS, SIGNATURE_HEADER, next_attempt, sign
from smscast.store import outbox
from smscast.store.db import Database
from smscast.store.outbox import ClaimedCallback, Failure, OutboxRow, Retry
from smscast.webhooks.sender import Outcome, WebhookSender

log = logging.getLogger("smscast.notifier")


@dataclass(frozen=True, slots=True)
class NotifierOptions:
    delays: Sequence[timedelta] = RETRY_DELAYS
    batch: int = 200
    concurrency: int = 100
    # Longer than a batch can take (every POST timing out, ``batch / concurrency`` rounds).
    lease: timedelta = timedelta(minutes=2)


class Notifier:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: WebhookSender,
        options: NotifierOptions | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sender = sender
        self.options = options or NotifierOptions()
        self._gate = asyncio.Semaphore(self.options.concurrency)

    async def step(self) -> int:
        """Deliver one batch of due callbacks; how many were attempted."""
        now = self.clock.now()
        async with self.db.write() as conn:
            claimed = await outbox.claim(conn, now, now + self.options.lease, self.options.batch)
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._post(c) for c in claimed))
        await self._record(claimed, outcomes)
        return len(claimed)

    async def _post(self, callback: ClaimedCallback) -> Outcome:
        body = callback.body.encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if callback.secret:  # a campaign made without an application has no key to sign with
            stamp = int(self.clock.now().timestamp())
            headers[SIGNATURE_HEADER] = sign(callback.secret, stamp, body)
        async with self._gate:
            try:
                return await self.sender.post(callback.url, body, headers)
            except Exception as exc:  # a sender must not raise; one that does fails the POST
                return f"{type(exc).__name__}: {exc}"

    async def _record(
        self, claimed: Sequence[ClaimedCallback], outcomes: Sequence[Outcome]
    ) -> None:
        now = self.clock.now()
        delivered: list[int] = []
        retries: list[Retry] = []
        failures: list[Failure] = []
        for callback, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, int) and 200 <= outcome < 300:
                delivered.append(callback.pk)
                continue
            error = f"HTTP {outcome}" if isinstance(outcome, int) else outcome
            made = callback.attempts + 1
            due = next_attempt(made, now, self.options.delays)
            if due is None:
                failures.append(Failure(callback.pk, made, error))
                log.warning("action=callback_failed outbox=%d attempts=%d error=%s",
                            callback.pk, made, error)  # fmt: skip
            else:
                retries.append(Retry(callback.pk, made, due, error))
        async with self.db.write() as conn:
            await outbox.mark_delivered(conn, delivered, now)
            await outbox.mark_retry(conn, retries)
            await outbox.mark_failed(conn, failures)
        log.debug("action=callbacks_sent delivered=%d retry=%d failed=%d",
                  len(delivered), len(retries), len(failures))  # fmt: skip


class OutboxAdmin:
    """What ``smscast outbox`` does: list callbacks, send failed ones again."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def page(self, *, failed_only: bool = False, limit: int = 50) -> list[OutboxRow]:
        async with self.db.read() as conn:
            return await outbox.page(conn, failed_only=failed_only, limit=limit)

    async def retry(self, pk: int | None) -> list[int]:
        """Re-queue callback ``pk`` (unless still pending), or every failed one when None."""
        async with self.db.write() as conn:
            return await outbox.retry(conn, pk, self.clock.now())
