"""Idempotency keys: reserve a key for a request, then store its answer or release the key.

The reservation row is the arbiter between concurrent requests (its primary key is the
account and the key), and it is committed before the request runs, so a second request with
the same key sees it and waits for nothing: it is told the first one is in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.errors import IdempotencyInFlight, StoreError, ValidationFailed
from smscast.store import idempotency as q
from smscast.store.db import Database
from smscast.types import AccountId

KEY_LIFETIME = timedelta(hours=24)
# A reservation still without an answer this long after it was made belongs to a request
# whose process died (no request runs this long): a retry with the key takes it over.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
# A reservation can race another request only a few times (insert vs insert on PostgreSQL,
# or an expired row renewed or pruned under us); each retry reads what the winner wrote.
_ATTEMPTS = 4

log = logging.getLogger("smscast.idempotency")


@dataclass(frozen=True, slots=True)
class Reservation:
    """A key held for one request until its answer is stored or the key is released."""

    account_id: AccountId
    key: str
    request_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The first answer given to a key, to be replayed as it was."""

    status: int
    body: str


class IdempotencyService:
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = KEY_LIFETIME) -> None:
        self._db = db
        self._clock = clock
        self._lifetime = lifetime

    async def reserve(
        self, account_id: AccountId, key: str, request_hash: str
    ) -> Reservation | StoredAnswer:
        """Hold ``key`` for this request, or the answer stored for it.

        Raises ``ValidationFailed`` when the key was used with a different request and
        ``IdempotencyInFlight`` while the first request with the key is still running.
        """
        for _ in range(_ATTEMPTS):
            try:
                async with self._db.write() as conn:
                    outcome = await self._claim(conn, account_id, key, request_hash)
            except IntegrityError:
                # Another request inserted the same key first (PostgreSQL waits for its commit
                # and then refuses ours): read its row on the next turn.
                continue
            if outcome is not None:
                return outcome
        raise StoreError("an idempotency key kept changing while it was being reserved")

    async def _claim(
        self, conn: AsyncConnection, account_id: AccountId, key: str, request_hash: str
    ) -> Reservation | StoredAnswer | None:
        now = self._clock.now()
        expired_before = now - self._lifetime
        reservation = Reservation(account_id, key, request_hash, now)
        row = await q.find_key(conn, account_id, key)
        if row is None:
            await q.insert_reservation(conn, account_id, key, request_hash, now)
            return reservation
        if row.created_at <= expired_before:
            renewed = await q.replace_expired(
                conn, account_id, key, request_hash, now, expired_before
            )
            # Not renewed: a concurrent request renewed or pruned it first; look again.
            return reservation if renewed else None
        if row.request_hash != request_hash:
            raise ValidationFailed(
                f"This {HEADER} was already used with a different request",
                properties={HEADER: "already used with a different request"},
            )
        if row.status is None:
            abandoned_before = now - ABANDONED_AFTER
            if row.created_at > abandoned_before:
                raise IdempotencyInFlight()
            taken = await q.take_over_abandoned(
                conn, account_id, key, request_hash, now, abandoned_before
            )
            return reservation if taken else None
        return StoredAnswer(row.status, row.response or "")

    async def complete(self, reservation: Reservation, status: int, body: str) -> None:
        """Store the answer, to be replayed to every later request with the key."""
        async with self._db.write() as conn:
            stored = await q.store_response(
                conn,
                reservation.account_id,
                reservation.key,
                reservation.request_hash,
                reservation.created_at,
                status,
                body,
            )
        if not stored:
            log.warning(
                "action=idempotency_lost account=%s: reservation gone before its answer",
                reservation.account_id,
            )

    async def release(self, reservation: Reservation) -> None:
        """Forget the reservation, so the client may retry with the same key."""
        async with self._db.write() as conn:
            await q.delete_reservation(
                conn,
                reservation.account_id,
                reservation.key,
                reservation.request_hash,
                reservation.created_at,
            )

    async def prune(self, older_than: timedelta = KEY_LIFETIME) -> int:
        """Delete keys created ``older_than`` ago or earlier; how many went."""
        async with self._db.write() as conn:
            return await q.delete_created_before(conn, self._clock.now() - older_than)
