"""The sandbox carrier: an in-process simulated mobile network, the embedded default.

Deterministic given a seed: a number's outcome and receipt latency come from a hash of the
seed, the number and the part, never from a random generator's state. Reserved test numbers
force an outcome (README lists them). Receipts wait in memory until due by the clock passed
in, so tests drive it with a fake clock and ``step``.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from smscast.carriers.base import PartResult, Receipt, ReceiptSink, Submission, SubmitResult
from smscast.clock import Clock
from smscast.domain.campaigns import MessageStatus
from smscast.domain.lifecycle import Detailed

# Reserved numbers (valid Greek mobile numbers no network has handed out).
UNKNOWN_NUMBER: Final = "+306900000001"
FAILS_AT_SUBMIT: Final = "+306900000002"
NO_RECEIPT: Final = "+306900000003"
UNDELIVERED_ON_HANDSET: Final = "+306900000004"
THROTTLED_ONCE: Final = "+306900000005"
EXPIRES: Final = "+306900000006"
RESERVED: Final = {
    UNKNOWN_NUMBER: "Undelivered, Unknown Number",
    FAILS_AT_SUBMIT: "Failed at submit, Carrier Violation (refunded)",
    NO_RECEIPT: "accepted, never a receipt (Undelivered, Expired after the TTL and grace)",
    UNDELIVERED_ON_HANDSET: "Undelivered, Undelivered on Handset",
    THROTTLED_ONCE: "throttled at the first submit (retried after 1 s), then Delivered",
    EXPIRES: "Undelivered, Expired (the network gave up)",
}
_BATCH: Final = 5000


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    seed: int = 1
    latency_ms: tuple[int, int] = (200, 2000)
    # Shares of ordinary numbers ending undelivered or failed; the rest are delivered.
    undelivered: float = 0.03
    failed: float = 0.01


class SandboxCarrier:
    def __init__(self, name: str, options: SandboxOptions, clock: Clock) -> None:
        self.name = name
        self._options = options
        self._clock = clock
        self._sink: ReceiptSink | None = None
        self._pending: list[tuple[object, int, Receipt]] = []
        self._order = itertools.count()
        self._throttled: set[str] = set()
        # Carrier ids unique across restarts (the table keys receipts by them).
        self._prefix = os.urandom(4).hex()
        self._ids = itertools.count(1)

    async def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts

    async def close(self) -> None:
        self._pending.clear()

    def busy(self) -> bool:
        return bool(self._pending)

    def available(self) -> bool:
        return True

    def in_flight_limit(self) -> int | None:
        return None

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        now = self._clock.now()
        results: list[SubmitResult] = []
        for submission in batch:
            to = submission.to
            if to == THROTTLED_ONCE and submission.message_id not in self._throttled:
                self._throttled.add(submission.message_id)
                results.append(SubmitResult(retry_after=timedelta(seconds=1)))
                continue
            if to == FAILS_AT_SUBMIT:
                refused = PartResult(None, "0x00000045", Detailed.CARRIER_VIOLATION)
                results.append(SubmitResult(tuple(refused for _ in submission.parts)))
                continue
            parts: list[PartResult] = []
            for number, _ in enumerate(submission.parts, start=1):
                carrier_id = f"{self._prefix}{next(self._ids):012x}"
                parts.append(PartResult(carrier_id))
                due = now + self._latency(to, number)
                receipt = self._receipt_for(to, number, carrier_id, due)
                if receipt is not None:
                    heapq.heappush(self._pending, (due, next(self._order), receipt))
            results.append(SubmitResult(tuple(parts)))
        return results

    async def step(self) -> bool:
        """Hand over the receipts that are due."""
        if not self._pending or self._sink is None:
            return False
        now = self._clock.now()
        due: list[Receipt] = []
        while self._pending and self._pending[0][0] <= now and len(due) < _BATCH:  # type: ignore[operator]
            due.append(heapq.heappop(self._pending)[2])
        if due:
            await self._sink.put(due)
        return bool(due)

    def _roll(self, to: str, part: int, what: str) -> float:
        digest = hashlib.blake2b(
            f"{self._options.seed}:{to}:{part}:{what}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _latency(self, to: str, part: int) -> timedelta:
        low, high = self._options.latency_ms
        return timedelta(milliseconds=low + (high - low) * self._roll(to, part, "latency"))

    def _receipt_for(
        self, to: str, part: int, carrier_id: str, done_at: datetime
    ) -> Receipt | None:
        if to == NO_RECEIPT:
            return None
        forced = {
            UNKNOWN_NUMBER: (MessageStatus.UNDELIVERED, Detailed.UNKNOWN_NUMBER),
            UNDELIVERED_ON_HANDSET: (MessageStatus.UNDELIVERED, Detailed.UNDELIVERED_ON_HANDSET),
            EXPIRES: (MessageStatus.UNDELIVERED, Detailed.EXPIRED),
        }.get(to)
        if forced is None:
            roll = self._roll(to, part, "outcome")
            if roll < self._options.failed:
                forced = (MessageStatus.FAILED, Detailed.FAILED)
            elif roll < self._options.failed + self._options.undelivered:
                forced = (MessageStatus.UNDELIVERED, Detailed.UNDELIVERED)
            else:
                forced = (MessageStatus.DELIVERED, Detailed.DELIVERED)
        status, detailed = forced
        return Receipt(self.name, carrier_id, status, detailed.value, None, done_at)
