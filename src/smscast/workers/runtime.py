"""A worker process: named tasks (scheduler, dispatcher, receipts, expiry, each carrier's own
work) looping until told to stop, or run in burst mode until nothing is left to do.

A task that raises stops the whole worker, loudly: a worker that quietly stops dispatching
while it still looks alive is worse than one that exits. The exceptions are a lost race and
the database being unavailable (restarting, connections dropped): every step's transaction is
all or nothing, so the worker waits (longer each time, up to ``MAX_BACKOFF``) and goes again,
and a database restart needs no supervisor to bring the workers back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from smscast.carriers.base import Carrier
from smscast.carriers.factory import build_router
from smscast.services.cluster import ClusterMember
from smscast.services.dispatch import Dispatcher, DispatchOptions
from smscast.services.expiry import Expiry, Scheduler
from smscast.services.notifier import Notifier, NotifierOptions
from smscast.services.receipts import ReceiptIntake, ReceiptStore
from smscast.services.runtime import Services, backoff, wait_for_database
from smscast.store.db import is_transient, is_unavailable
from smscast.webhooks.sender import AiohttpSender, SenderOptions, WebhookSender

log = logging.getLogger("smscast.worker")
Step = Callable[[], Awaitable[int | bool]]
# What ``smscast worker --only`` can pick (each carrier's own task goes with the dispatcher).
TASKS = frozenset({"scheduler", "dispatcher", "receipts", "expiry", "notifier"})


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        services: Services,
        carriers: Mapping[str, Carrier],
        sender: WebhookSender | None = None,
        only: frozenset[str] | None = None,
    ) -> None:
        """``only``: run just these of ``TASKS`` (a worker without the dispatcher binds no
        carrier: a notifier-only process talks to receivers and the database alone)."""
        if only is not None and not only <= TASKS:
            unknown = ", ".join(sorted(only - TASKS))
            raise ValueError(f"unknown worker task(s): {unknown}; known: {', '.join(TASKS)}")
        routable = dict(carriers)
        if only is not None and "dispatcher" not in only:
            carriers = {}  # never started, never bound
        settings = services.settings
        db, clock = services.db, services.clock
        self.name = settings.worker_name or default_name()
        self.carriers = dict(carriers)
        self.router = build_router(settings, routable)
        self.receipt_store = ReceiptStore(db, clock)
        self.dispatcher = Dispatcher(
            db,
            clock,
            self.router,
            DispatchOptions(
                worker=self.name,
                batch=settings.dispatch_batch,
                lease=timedelta(seconds=settings.claim_lease_seconds),
                default_quiet_hours=settings.quiet_hours,
            ),
        )
        self.intake = ReceiptIntake(db, clock)
        self.expiry = Expiry(db, clock, timedelta(minutes=settings.receipt_grace_minutes))
        self.scheduler = Scheduler(db, clock)
        self.sender = sender or AiohttpSender(
            SenderOptions(
                timeout_seconds=settings.callback_timeout_seconds,
                per_host=settings.callback_per_host,
                block_private_addresses=settings.callback_block_private_addresses,
            )
        )
        delays = tuple(timedelta(seconds=s) for s in settings.callback_retry_delays_seconds)
        self.notifier = Notifier(db, clock, self.sender, NotifierOptions(delays=delays))
        self._idle = settings.worker_idle_ms / 1000
        self.tasks: dict[str, Step] = {
            "scheduler": self.scheduler.step,
            "dispatcher": self.dispatcher.step,
            **{f"carrier:{name}": carrier.step for name, carrier in self.carriers.items()},
            "receipts": self.intake.step,
            "expiry": self.expiry.step,
            "notifier": self.notifier.step,
        }
        if only is not None:
            self.tasks = {
                name: step
                for name, step in self.tasks.items()
                if name in only or (name.startswith("carrier:") and "dispatcher" in only)
            }
        self.cluster = ClusterMember(
            db, clock, self.name, ",".join(t for t in self.tasks if t in TASKS), self.carriers
        )
        self.tasks["cluster"] = self.cluster.step
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self.cluster.join()  # which binds are this worker's, before binding
            for carrier in self.carriers.values():
                await carrier.start(self.receipt_store)
            self._started = True

    async def close(self) -> None:
        """Give back leases still held, close the carriers and the webhook sender."""
        try:
            released = await self.dispatcher.release()
        except Exception:  # the database is away: the leases simply run out
            log.warning("action=release_failed worker=%s", self.name)
            released = 0
        if released:
            log.info("action=released_leases worker=%s messages=%d", self.name, released)
        for carrier in self.carriers.values():
            await carrier.close()
        await self.sender.close()
        if self._started:
            try:
                await self.cluster.leave()
            except Exception:  # the database is gone: the leases simply run out
                log.warning("action=leave_failed worker=%s", self.name)

    async def burst(self, max_rounds: int = 100_000) -> int:
        """Run every task in turn until a whole round does nothing; what was done in all.
        (Receipts a carrier holds for later stay held: move the clock, then burst again.)"""
        await self.start()
        total = 0
        for _ in range(max_rounds):
            done = 0
            for step in self.tasks.values():
                done += int(await step())
            total += done
            if not done:
                return total
        raise RuntimeError(f"burst did not settle after {max_rounds} rounds")

    async def run(self, stop: asyncio.Event) -> None:
        """Loop every task until ``stop`` is set; then finish what is in hand and close."""
        if not await wait_for_database(self.start, stop, "join"):
            return
        log.info("action=worker_start worker=%s tasks=%s", self.name, ",".join(self.tasks))
        try:
            async with asyncio.TaskGroup() as group:
                for name, step in self.tasks.items():
                    group.create_task(self._loop(name, step, stop), name=name)
        finally:
            await self.close()
            log.info("action=worker_stop worker=%s", self.name)

    async def _loop(self, name: str, step: Step, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            pause = self._idle
            try:
                did = await step()
                if failures:
                    log.info("action=task_resumed worker=%s task=%s after_failures=%d",
                             self.name, name, failures)  # fmt: skip
                failures = 0
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("action=task_failed worker=%s task=%s", self.name, name)
                    raise
                # A lost race (deadlock, busy) or the database unavailable (restarting, its
                # connections dropped): the transaction rolled back whole, so the step can
                # simply run again. While the database stays away, wait longer each time.
                failures += 1
                unavailable = is_unavailable(exc)
                if failures == 1 or failures % 20 == 0:
                    log.warning("action=task_retry worker=%s task=%s error=%s unavailable=%s"
                                " failures=%d", self.name, name, type(exc).__name__,
                                unavailable, failures)  # fmt: skip
                if unavailable:
                    pause = max(self._idle, backoff(failures))
                did = False
            if not did:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
