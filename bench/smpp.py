"""A campaign through the SMPP carrier to `smscast smsc`, from acceptance to every receipt.

    .venv/bin/python bench/smpp.py [--messages 100000] [--sqlite-only]

Starts `smscast smsc` as a child process (receipts after 10-50 ms, the default outcome mix),
accepts a campaign of N one-part messages, and runs one worker (window 100, no rate limit)
until every message is final. Prints messages/s submitted (all handed to the SMSC), end to
end (every receipt applied), and the p50/p99 submit latency (claim to submit_sm_resp
recorded, from the parts' submit times). Baseline in the same run: the sandbox carrier
(in-process, no network), so the ratio is what SMPP over TCP costs.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from databases import backends
from sqlalchemy import func, select

from smscast.carriers.factory import build_carriers
from smscast.clock import SystemClock
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import build_services
from smscast.settings import CarrierSettings, Settings
from smscast.store.tables import messages
from smscast.workers.runtime import Worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def one_run(
    url: str, total: int, carrier: CarrierSettings
) -> tuple[float, float, list[float]]:
    settings = Settings(
        database_url=url,
        secret_hash_time_cost=1,
        secret_hash_memory_kib=8,
        dispatch_batch=1000,
        carriers={"main": carrier},
        default_carrier="main",
    )
    clock = SystemClock()
    services = build_services(settings, clock)
    await services.prepare()
    try:
        made = await services.accounts.create(
            f"bench-{uuid.uuid4().hex[:6]}", balance=Decimal(10**6)
        )
        caller = Principal(made.account.id, made.application.application.id, frozenset({"sms"}))
        numbers = tuple(f"+30691{n:07d}" for n in range(total))
        await services.campaigns.create(
            caller, CampaignRequest(sender="Shop", body="Hi", to=numbers)
        )
        worker = Worker(services, build_carriers(settings, clock))
        await worker.start()
        for carrier_object in worker.carriers.values():
            sessions = getattr(carrier_object, "sessions", [])
            for session in sessions:
                async with asyncio.timeout(10):
                    await session.wait_bound()
        started = time.perf_counter()
        sent_at = None
        while True:
            did = 0
            for name, step in worker.tasks.items():
                done = int(await step())
                if name == "dispatcher" and not done and sent_at is None:
                    sent_at = time.perf_counter() - started
                did += done
            if sent_at is not None and not did:
                async with services.db.read() as conn:
                    left = await conn.execute(
                        select(func.count())
                        .select_from(messages)
                        .where(messages.c.status.in_(("Queued", "Sent")))
                    )
                    if not left.scalar_one():
                        break
                await asyncio.sleep(0.01)
        finished = time.perf_counter() - started
        await worker.close()
        async with services.db.read() as conn:
            rows = await conn.execute(select(messages.c.due_at, messages.c.submitted_at))
            waits = sorted((s - d).total_seconds() for d, s in rows if s is not None)
        assert sent_at is not None
        return sent_at, finished, waits
    finally:
        await services.close()


async def run_backend(name: str, url: str, total: int) -> None:
    port = free_port()
    smsc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smscast", "smsc", "--port", str(port),
        "--system-id", "smscast", "--password", "secret", "--receipt-delay-ms", "10-50",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        smpp = CarrierSettings(
            type="smpp", port=port, system_id="smscast", password="secret", window=100
        )
        sent, finished, waits = await one_run(url, total, smpp)
    finally:
        smsc.terminate()
        await smsc.wait()
    # Baseline: the same on the in-process sandbox (a second campaign in the same database).
    _, base_finished, _ = await one_run(url, total, CarrierSettings(receipt_latency_ms=(10, 50)))
    print(f"{name}: a campaign of {total:,} messages over SMPP to smscast smsc (window 100)")
    print(f"  {'sandbox carrier, end to end (baseline)':50} {total / base_finished:10,.0f} msgs/s")
    print(
        f"  {'submitted: all handed to the SMSC':50} {total / sent:10,.0f} msgs/s  ({sent:.1f} s)"
    )
    ratio = base_finished / finished
    print(
        f"  {'end to end: every receipt applied':50} {total / finished:10,.0f} msgs/s"
        f"  ({finished:.1f} s)  {ratio:4.2f}x"
    )
    p50, p99 = statistics.median(waits), waits[int(len(waits) * 0.99) - 1]
    print(f"  {'due -> submitted, p50 / p99':50} {p50:8.2f} s / {p99:.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async for name, url in backends(Path(tmp), sqlite_only=args.sqlite_only):
            await run_backend(name, url, args.messages)


if __name__ == "__main__":
    asyncio.run(main())
