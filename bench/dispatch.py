"""A campaign through the workers on the sandbox carrier, from acceptance to every message final.

    .venv/bin/python bench/dispatch.py [--messages 100000] [--sqlite-only]

Accepts a campaign of N numbers, then runs one worker (scheduler, dispatcher, sandbox,
receipts, expiry) in burst mode on the real clock, with receipts due at once, until every
message is final. Prints messages/s for sending (all Sent) and for receipts (all final), end
to end, and the p50/p99 time from a message's due time to its submit. Baseline in the same
run: flipping every message's status in 500-row UPDATEs (the least a dispatcher must write).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from databases import backends
from sqlalchemy import func, select, update

from smscast.carriers.factory import build_carriers
from smscast.clock import SystemClock
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import build_services
from smscast.settings import CarrierSettings, Settings
from smscast.store.tables import messages
from smscast.workers.runtime import Worker


async def count(services: object, *statuses: str) -> int:
    async with services.db.read() as conn:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(messages).where(messages.c.status.in_(statuses))
        return int((await conn.execute(query)).scalar_one())


async def run_backend(name: str, url: str, total: int) -> None:
    settings = Settings(
        database_url=url,
        secret_hash_time_cost=1,
        secret_hash_memory_kib=8,
        dispatch_batch=1000,
        carriers={"sandbox": CarrierSettings(receipt_latency_ms=(0, 0))},
    )
    clock = SystemClock()
    services = build_services(settings, clock)
    await services.prepare()
    try:
        made = await services.accounts.create(
            f"bench-{uuid.uuid4().hex[:6]}", balance=Decimal(10**6)
        )
        caller = Principal(made.account.id, made.application.application.id, frozenset({"sms"}))
        # Ordinary numbers (the sandbox reserves +3069000000NN for forced outcomes).
        numbers = tuple(f"+30691{n:07d}" for n in range(total))
        started = time.perf_counter()
        await services.campaigns.create(
            caller, CampaignRequest(sender="Shop", body="Hi", to=numbers)
        )
        accepted = time.perf_counter() - started

        worker = Worker(services, build_carriers(settings, clock))
        await worker.start()
        started = time.perf_counter()
        sent_at = None
        while True:
            did = 0
            for task, step in worker.tasks.items():
                done = int(await step())
                if task == "dispatcher" and not done and sent_at is None:
                    sent_at = time.perf_counter() - started
                did += done
            if not did and not any(c.busy() for c in worker.carriers.values()):
                break
        finished = time.perf_counter() - started
        await worker.close()
        final = await count(services, "Delivered", "Undelivered", "Failed", "Unsent")

        async with services.db.read() as conn:
            rows = await conn.execute(select(messages.c.due_at, messages.c.submitted_at))
            waits = sorted(
                (sub - due).total_seconds()
                for due, sub in rows
                if sub is not None and due is not None
            )

        # Baseline: the status flip alone, in the dispatcher's batch size.
        async with services.db.read() as conn:
            pks = [r[0] for r in await conn.execute(select(messages.c.pk))]
        started = time.perf_counter()
        for start in range(0, len(pks), 500):
            async with services.db.write() as conn:
                await conn.execute(
                    update(messages)
                    .where(messages.c.pk.in_(pks[start : start + 500]))
                    .values(detailed_status="bench")
                )
        baseline = len(pks) / (time.perf_counter() - started)
    finally:
        await services.close()

    assert sent_at is not None
    print(f"{name}: a campaign of {total:,} messages on the sandbox carrier")
    print(f"  {'accepted (POST /sms/campaign path)':50} {accepted:8.2f} s")
    print(f"  {'status flip only, 500-row UPDATEs (baseline)':50} {baseline:10,.0f} msgs/s")
    sending = total / sent_at
    print(f"  {'sending: all handed to the carrier':50} {sending:10,.0f} msgs/s  ({sent_at:.1f} s)")
    print(
        f"  {'end to end: every message final':50} {total / finished:10,.0f} msgs/s"
        f"  ({finished:.1f} s, {final:,} final)  {total / finished / baseline:4.2f}x"
    )
    p50 = statistics.median(waits)
    p99 = waits[int(len(waits) * 0.99) - 1]
    print(f"  {'due -> Sent, p50 / p99':50} {p50:8.2f} s / {p99:.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async for name, url in backends(Path(tmp), sqlite_only=args.sqlite_only):
            await run_backend(name, url, args.messages)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
