"""Throughput with 1, 2 and 4 `smscast worker` processes sharing one PostgreSQL database.

    .venv/bin/python bench/scale.py [--messages 100000] [--workers 1,2,4]

For each worker count: a fresh database, that many `smscast worker` processes (sandbox
carrier, receipts due at once) started and seen alive, then one campaign of N numbers
accepted in-process; the clock runs from its commit until every message is final. Prints messages/s
end to end and each count's ratio to one worker (the baseline, measured in the same run),
and checks the invariants: every message final, campaign counters equal to the messages.
The machine has 2 cores: past two processes, workers share them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from databases import backends
from sqlalchemy import func, select

from smscast.clock import SystemClock
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import build_services
from smscast.settings import Settings
from smscast.store.tables import campaigns, messages
from smscast.store.tables import workers as worker_rows

FINAL = ("Delivered", "Undelivered", "Failed", "Unsent")
CONFIG = """database_url = "{url}"
dispatch_batch = 1000
worker_idle_ms = 20
log_level = "warning"

[carriers.sandbox]
type = "sandbox"
receipt_latency_ms = [0, 0]
"""


async def run(url: str, total: int, workers: int, directory: Path) -> float:
    settings = Settings(database_url=url, secret_hash_time_cost=1, secret_hash_memory_kib=8)
    services = build_services(settings, SystemClock())
    await services.prepare()
    processes: list[asyncio.subprocess.Process] = []
    try:
        made = await services.accounts.create(
            f"scale-{uuid.uuid4().hex[:6]}", balance=Decimal(10**7)
        )
        caller = Principal(made.account.id, made.application.application.id, frozenset({"sms"}))
        numbers = tuple(f"+30691{n:07d}" for n in range(total))
        config = directory / f"scale-{workers}.toml"
        config.write_text(CONFIG.format(url=url), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCAST_")}
        env["SMSCAST_CONFIG"] = str(config)
        for n in range(workers):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "smscast", "worker",
                    env={**env, "SMSCAST_WORKER_NAME": f"scale-{n}"},
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )  # fmt: skip
        # Every worker up (its first heartbeat) before the campaign lands: start-up is not
        # what is measured.
        while True:
            async with services.db.read() as conn:
                up = (
                    await conn.execute(select(func.count()).select_from(worker_rows))
                ).scalar_one()
            if up >= workers:
                break
            await asyncio.sleep(0.1)
        await services.campaigns.create(
            caller, CampaignRequest(sender="Shop", body="Hi", to=numbers)
        )
        started = time.perf_counter()
        while True:
            async with services.db.read() as conn:
                waiting = (
                    await conn.execute(select(func.count()).where(messages.c.status.not_in(FINAL)))
                ).scalar_one()
            if not waiting:
                break
            if any(p.returncode is not None for p in processes):
                raise RuntimeError("a worker exited")
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        async with services.db.read() as conn:
            counted = (
                await conn.execute(
                    select(
                        campaigns.c.delivered + campaigns.c.undelivered + campaigns.c.failed
                        + campaigns.c.unsent
                    )
                )
            ).scalar_one()  # fmt: skip
        assert counted == total, f"counters say {counted} final of {total}"
        return total / elapsed
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
        await services.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"PostgreSQL: a campaign of {args.messages:,} messages, sandbox carrier, N workers")
    baseline = None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in counts:
            async for name, url in backends(Path(tmp)):
                if name != "PostgreSQL":
                    continue
                rate = await run(url, args.messages, workers, Path(tmp))
                baseline = baseline or rate
                print(f"  {workers} worker(s){'':34} {rate:10,.0f} msgs/s  {rate / baseline:4.2f}x")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
