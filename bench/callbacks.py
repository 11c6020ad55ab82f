"""Message callbacks from status changes to a local HTTP receiver.

    .venv/bin/python bench/callbacks.py [--messages 100000] [--sqlite-only]

The receiver is an aiohttp server in a process of its own (in this one it would share the
notifier's CPU): it answers 200 at once and notes when each callback arrived and the
``updatedDate`` (the status change) it carries.

- Baseline, same run: the notifier's own HTTP client (aiohttp, same per-host connection
  limit and concurrency) POSTs N prepared bodies straight to the receiver: the most any
  notifier could deliver here.
- Notifier alone, per database: N callbacks already in the outbox, drained by one notifier.
- End to end, per database: a campaign of N numbers with a message callback (OnCompletion:
  one per message), one worker on the real clock (sandbox carrier with receipts due at
  once: dispatcher, receipts and notifier all running) until the receiver has N callbacks.
  Prints callbacks/s (first to last arrival) and the lag from each status change to its
  callback's arrival, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path

from databases import backends
from sqlalchemy import func, select

from smscast.carriers.factory import build_carriers
from smscast.clock import SystemClock
from smscast.domain.campaigns import Callback, CallbackStrategy
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.notifier import Notifier, NotifierOptions
from smscast.services.runtime import Services, build_services
from smscast.settings import CarrierSettings, Settings
from smscast.store import outbox
from smscast.store.outbox import NewCallback
from smscast.store.tables import messages
from smscast.webhooks.sender import AiohttpSender, SenderOptions
from smscast.workers.runtime import TASKS, Worker

CONCURRENCY = 100  # the notifier's default


# -- the receiver (its own process) -------------------------------------------------------


def receive(pipe: Connection) -> None:
    asyncio.run(_serve(pipe))


async def _serve(pipe: Connection) -> None:
    from aiohttp import web

    arrivals: list[tuple[float, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        arrivals.append((time.time(), _updated(body)))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    pipe.send(runner.addresses[0][1])
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command == "count":
            pipe.send(len(arrivals))
        elif command == "take":
            pipe.send(arrivals[:])
            arrivals.clear()
    await runner.cleanup()


def _updated(body: bytes) -> str | None:
    marker = body.find(b'"updatedDate":"')
    if marker < 0:
        return None
    start = marker + len(b'"updatedDate":"')
    return body[start : body.index(b'"', start)].decode()


class Receiver:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=receive, args=(child,), daemon=True)
        self._process.start()
        self.url = f"http://127.0.0.1:{self._pipe.recv()}/hook"

    def count(self) -> int:
        self._pipe.send("count")
        return int(self._pipe.recv())

    def take(self) -> list[tuple[float, str | None]]:
        self._pipe.send("take")
        return list(self._pipe.recv())

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(5)


async def wait_for(
    receiver: Receiver, total: int, final: Callable[[], Awaitable[int]], limit: float = 600
) -> float:
    """Until the receiver has ``total`` callbacks; when (wall clock) every message was final."""
    deadline = time.monotonic() + limit
    all_final = 0.0
    while receiver.count() < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {receiver.count():,} of {total:,} callbacks arrived")
        if not all_final and await final() >= total:
            all_final = time.time()
        await asyncio.sleep(0.05)
    return all_final or time.time()


# -- the runs ----------------------------------------------------------------------------


def body_of(n: int) -> str:
    return json.dumps({"messageId": f"m-{n}", "status": {"name": "Delivered"}})


async def baseline(receiver: Receiver, total: int) -> float:
    sender = AiohttpSender(SenderOptions())
    await sender.start()
    gate = asyncio.Semaphore(CONCURRENCY)
    headers = {"Content-Type": "application/json"}

    async def post(n: int) -> None:
        async with gate:
            outcome = await sender.post(receiver.url, body_of(n).encode(), headers)
            assert outcome == 200, outcome

    started = time.perf_counter()
    for start in range(0, total, 10_000):
        await asyncio.gather(*(post(n) for n in range(start, min(total, start + 10_000))))
    elapsed = time.perf_counter() - started
    await sender.close()
    receiver.take()
    return total / elapsed


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        secret_hash_time_cost=1,
        secret_hash_memory_kib=8,
        dispatch_batch=1000,
        worker_idle_ms=20,
        carriers={"sandbox": CarrierSettings(receipt_latency_ms=(0, 0))},
    )


async def run_backend(name: str, url: str, total: int, receiver: Receiver, ceiling: float) -> None:
    settings = settings_for(url)
    clock = SystemClock()
    services = build_services(settings, clock)
    await services.prepare()
    try:
        # Notifier alone: N callbacks waiting in the outbox.
        now = clock.now()
        async with services.db.write() as conn:
            await outbox.enqueue(
                conn,
                [
                    NewCallback("bench", None, "message", receiver.url, body_of(n), "key", now)
                    for n in range(total)
                ],
            )
        sender = AiohttpSender(SenderOptions())
        await sender.start()
        notifier = Notifier(services.db, clock, sender, NotifierOptions())
        started = time.perf_counter()
        while await notifier.step():
            pass
        alone = total / (time.perf_counter() - started)
        await sender.close()
        assert len(receiver.take()) == total

        same = await end_to_end(services, settings, receiver, total, separate=False)
        apart = await end_to_end(services, settings, receiver, total, separate=True)
    finally:
        await services.close()

    print(f"{name}: {total:,} message callbacks to a receiver on 127.0.0.1")
    print(f"  {'notifier alone (outbox already full)':52} {alone:10,.0f} callbacks/s"
          f"  {alone / ceiling:4.2f}x")  # fmt: skip
    for label, found in (("one worker process", same),
                         ("notifier in a process of its own", apart)):  # fmt: skip
        rate, took, all_final, p50, p99 = found
        print(f"  end to end, {label}: sending, receipts, callbacks")
        print(f"  {'    callbacks/s, first to last arrival':52} {rate:10,.0f} callbacks/s"
              f"  {rate / ceiling:4.2f}x  (last at {took:.1f} s)")  # fmt: skip
        print(f"  {'    every message final at':52} {all_final:8.1f} s")
        print(f"  {'    status change -> callback received, p50 / p99':52}"
              f" {p50:8.2f} s / {p99:.2f} s")  # fmt: skip


async def end_to_end(
    services: Services, settings: Settings, receiver: Receiver, total: int, *, separate: bool
) -> tuple[float, float, float, float, float]:
    """A campaign of ``total`` numbers with an OnCompletion message callback, worked by one
    worker (with ``separate``, its notifier is a ``smscast worker --only notifier`` process
    of its own) until the receiver has every callback."""
    clock = services.clock
    made = await services.accounts.create(f"bench-{uuid.uuid4().hex[:6]}", balance=Decimal(10**6))
    app_id = made.application.application.id
    caller = Principal(made.account.id, app_id, frozenset({"sms"}))
    numbers = tuple(f"+30691{n:07d}" for n in range(total))
    hook = Callback(receiver.url, CallbackStrategy.ON_COMPLETION)
    campaign = await services.campaigns.create(
        caller, CampaignRequest(sender="Shop", body="Hi", to=numbers, callback=hook)
    )
    only = frozenset(TASKS - {"notifier"}) if separate else None
    worker = Worker(services, build_carriers(settings, clock), only=only)
    notifier = None
    if separate:
        env = {
            **os.environ,
            "SMSCAST_DATABASE_URL": settings.database_url,
            "SMSCAST_WORKER_IDLE_MS": str(settings.worker_idle_ms),
            "SMSCAST_LOG_LEVEL": "warning",
        }
        notifier = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smscast", "worker", "--only", "notifier", env=env
        )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    started_wall = time.time()

    async def final() -> int:
        async with services.db.read() as conn:
            query = select(func.count()).where(
                messages.c.campaign_pk == campaign.pk,
                messages.c.status.in_(("Delivered", "Undelivered", "Failed", "Unsent")),
            )
            return int((await conn.execute(query)).scalar_one())

    async def still_running() -> int:
        if notifier is not None and notifier.returncode is not None:
            raise RuntimeError(f"the notifier process exited ({notifier.returncode})")
        return await final()

    try:
        all_final = await wait_for(receiver, total, still_running)
    finally:
        stop.set()
        await running
        if notifier is not None:
            notifier.send_signal(signal.SIGTERM)
            await notifier.wait()
    arrivals = receiver.take()
    times = sorted(at for at, _ in arrivals)
    rate = total / (times[-1] - times[0])
    lags = sorted(at - _parse(updated) for at, updated in arrivals if updated)
    p50 = statistics.median(lags)
    p99 = lags[int(len(lags) * 0.99) - 1]
    return rate, times[-1] - started_wall, all_final - started_wall, p50, p99


def _parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    receiver = Receiver()
    try:
        ceiling = await baseline(receiver, args.messages)
        print(f"baseline: aiohttp POSTs straight to the receiver, concurrency {CONCURRENCY}"
              f"  {ceiling:10,.0f} callbacks/s")  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            async for name, url in backends(Path(tmp), sqlite_only=args.sqlite_only):
                await run_backend(name, url, args.messages, receiver, ceiling)
    finally:
        receiver.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
