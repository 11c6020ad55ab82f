"""This worker's place in the cluster: it says it is alive (``smscast status`` lists it), and
holds leases on carrier bind slots — a carrier configured with N binds has N slots for the
whole cluster, so its binds and its submit rate (``tps`` is per bind) hold however many
workers run. A worker takes at most its fair share of the free slots (N over the live
workers that dispatch), gives back idle binds over its share when more workers come, and
a worker that dies gives its slots back when its leases run out."""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from smscast.carriers.base import Carrier, SharedBinds
from smscast.carriers.routing import Router
from smscast.clock import Clock
from smscast.store import cluster as q
from smscast.store import metrics as metrics_queries
from smscast.store.cluster import BindRow, WorkerRow
from smscast.store.db import Database

log = logging.getLogger("smscast.cluster")
BIND_LEASE = timedelta(seconds=15)
# How often (real seconds) the worker says it is alive and looks at its leases: well inside
# a lease, so two missed turns still keep it.
PERIOD = 3.0


class ClusterMember:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        name: str,
        tasks: str,
        carriers: Mapping[str, Carrier],
        lease: timedelta = BIND_LEASE,
        period: float = PERIOD,
    ) -> None:
        self._db = db
        self._clock = clock
        self.name = name
        self._tasks = tasks
        self._dispatches = "dispatcher" in tasks.split(",")
        self._bindable = {
            name: carrier for name, carrier in carriers.items() if isinstance(carrier, SharedBinds)
        }
        self._lease = lease
        self._period = period
        self._last = 0.0
        self.held: dict[str, set[int]] = {name: set() for name in self._bindable}
        self._renewed: datetime | None = None  # when the leases held were last renewed

    async def join(self) -> None:
        """Say hello and take this worker's share of the binds, before the carriers start."""
        await self._turn()

    async def step(self) -> int:
        """Every ``period``: heartbeat, renew, take a fair share. Never counts as work done
        (a burst settles whatever the cluster does)."""
        if time.monotonic() - self._last >= self._period:
            try:
                await self._turn()
            except Exception:
                await self._unbind_if_lapsed()
                raise
        return 0

    async def _unbind_if_lapsed(self) -> None:
        """The database cannot be reached to renew: once the leases may have run out (another
        worker may hold those slots by now), unbind, so the cluster never runs more binds
        than configured. The next turn that gets through takes a share again."""
        if self._renewed is None:
            return
        margin = timedelta(seconds=self._period)
        if self._clock.now() < self._renewed + self._lease - margin:
            return
        if any(self.held.values()):
            log.warning("action=bind_leases_lapsed worker=%s", self.name)
        for name, carrier in self._bindable.items():
            self.held[name] = set()
            await carrier.hold(set())

    async def leave(self) -> None:
        """A graceful stop: the slots are free at once for the other workers."""
        async with self._db.write() as conn:
            await q.forget_worker(conn, self.name)

    async def _turn(self) -> None:
        self._last = time.monotonic()
        now = self._clock.now()
        until = now + self._lease
        async with self._db.write() as conn:
            await q.heartbeat(conn, self.name, socket.gethostname(), os.getpid(), self._tasks, now)
            if not self._bindable or not self._dispatches:
                return
            live = max(1, await q.live_dispatchers(conn, now - self._lease))
            for name, carrier in self._bindable.items():
                await q.ensure_slots(conn, name, carrier.slots)
                held = set(await q.renew(conn, name, self.name, now, until))
                lost = self.held[name] - held
                if lost:
                    log.warning("action=bind_lease_lost worker=%s carrier=%s slots=%s",
                                self.name, name, sorted(lost))  # fmt: skip
                share = math.ceil(carrier.slots / live)
                if len(held) > share:
                    # More workers now: give back what is over the share, idle binds only
                    # (one with submits in flight goes at a later turn).
                    spare = [n for n in sorted(held, reverse=True) if carrier.idle(n)]
                    extra = spare[: len(held) - share]
                    await q.give_back(conn, name, self.name, extra)
                    held -= set(extra)
                held |= set(
                    await q.acquire(
                        conn, name, self.name, now, until, carrier.slots, share - len(held)
                    )
                )
                self.held[name] = held
        self._renewed = now
        for name, carrier in self._bindable.items():
            await carrier.hold(self.held[name])


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What ``smscast status`` shows."""

    now: datetime
    workers: list[WorkerRow]
    binds: list[BindRow]
    queued: dict[str, int]  # carrier → messages waiting for it (by each one's first route)
    due: int  # of all waiting messages, those whose time has come
    callbacks: dict[str, int]  # outbox: pending, failed
    lease: timedelta


async def cluster_status(db: Database, clock: Clock, router: Router) -> ClusterStatus:
    now = clock.now()
    prefixes = router.prefixes()
    async with db.read() as conn:
        workers = await q.list_workers(conn)
        binds = await q.list_binds(conn)
        groups = await q.queued_by_route(conn, max((len(p) for p in prefixes), default=1))
        figures = await metrics_queries.figures(conn, now)
    queued: dict[str, int] = {}
    for country, start, count in groups:
        carrier = router.candidates(start, country)[0].name
        queued[carrier] = queued.get(carrier, 0) + count
    return ClusterStatus(now, workers, binds, queued, figures.due, figures.outbox, BIND_LEASE)
