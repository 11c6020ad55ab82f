"""Carrier binds as one budget for the cluster: leases in the database, fair shares among
the workers that dispatch, given back on a graceful stop or when a worker dies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smscast.carriers.base import SharedBinds
from smscast.clock import FakeClock
from smscast.errors import StoreUnavailable
from smscast.services.cluster import BIND_LEASE, ClusterMember
from smscast.services.runtime import Services
from smscast.store import cluster as q
from smscast.store.db import Database, DatabaseOptions


class Binds:
    """A carrier of ``slots`` binds that does what it is told (``busy``: slots in flight)."""

    name = "smsc"

    def __init__(self, slots: int) -> None:
        self._slots = slots
        self.running: set[int] = set()
        self.busy: set[int] = set()

    @property
    def slots(self) -> int:
        return self._slots

    def idle(self, slot: int) -> bool:
        return slot not in self.busy

    async def hold(self, slots: set[int]) -> None:
        self.running = set(slots)


def member(
    services: Services, name: str, carrier: Binds, tasks: str = "dispatcher"
) -> ClusterMember:
    assert isinstance(carrier, SharedBinds)
    return ClusterMember(
        services.db,
        services.clock,
        name,
        tasks,
        {"smsc": carrier},
        period=0,  # type: ignore[dict-item]
    )


async def test_binds_are_shared_fairly_and_never_exceeded(services: Services, clock: FakeClock):
    a_binds, b_binds = Binds(4), Binds(4)
    a, b = member(services, "a", a_binds), member(services, "b", b_binds)
    await a.join()
    assert a_binds.running == {0, 1, 2, 3}  # alone: all of them
    a_binds.busy = {3}
    await b.join()
    assert b_binds.running == set()  # none free yet
    await a.step()  # two workers now: give back what is over the share, idle ones only
    assert a_binds.running == {0, 3}  # slot 3 is busy: it stays
    await b.step()
    assert b_binds.running == {1, 2}
    await a.step()
    await b.step()
    assert a_binds.running == {0, 3}  # a fair share already: nothing moves
    assert b_binds.running == {1, 2}
    async with services.db.read() as conn:
        held = {(r.slot, r.worker) for r in await q.list_binds(conn)}
    assert held == {(n, "a") for n in a_binds.running} | {(n, "b") for n in b_binds.running}


async def test_a_dead_workers_binds_are_taken_when_its_lease_runs_out(
    services: Services, clock: FakeClock
):
    dead_binds, live_binds = Binds(2), Binds(2)
    dead, live = member(services, "dead", dead_binds), member(services, "live", live_binds)
    await dead.join()
    await live.join()
    assert dead_binds.running == {0, 1}
    assert live_binds.running == set()
    clock.advance(BIND_LEASE - timedelta(seconds=1))
    await live.step()
    assert live_binds.running == set()  # still leased to the silent worker
    clock.advance(timedelta(seconds=2))
    await live.step()
    assert live_binds.running == {0, 1}  # the silent one no longer counts, nor its leases
    await dead.step()  # it comes back: its leases are gone
    assert dead_binds.running == set()


async def test_a_graceful_stop_frees_the_binds_at_once(services: Services, clock: FakeClock):
    first, second = Binds(2), Binds(2)
    leaving, staying = member(services, "leaving", first), member(services, "staying", second)
    await leaving.join()
    await staying.join()
    assert second.running == set()
    await leaving.leave()
    await staying.step()
    assert second.running == {0, 1}
    async with services.db.read() as conn:
        assert [w.name for w in await q.list_workers(conn)] == ["staying"]


async def test_workers_that_do_not_dispatch_take_no_binds(services: Services, clock: FakeClock):
    notifier_binds, dispatcher_binds = Binds(2), Binds(2)
    notifier = member(services, "n", notifier_binds, tasks="notifier")
    dispatcher = member(services, "d", dispatcher_binds)
    await notifier.join()
    await dispatcher.join()
    assert notifier_binds.running == set()
    assert dispatcher_binds.running == {0, 1}  # the notifier is not counted in the share


async def test_a_worker_cut_off_from_the_database_unbinds_when_its_leases_may_be_gone(
    services: Services, clock: FakeClock
):
    """It cannot renew, so once its leases may have run out (another worker may hold those
    slots by now) it closes its binds: the cluster never runs more than configured."""
    binds, other_binds = Binds(2), Binds(2)
    cut_off, other = member(services, "cut-off", binds), member(services, "other", other_binds)
    await cut_off.join()
    assert binds.running == {0, 1}
    cut_off._db = Database(DatabaseOptions("postgresql+asyncpg://postgres@127.0.0.1:1/gone"))
    try:
        clock.advance(BIND_LEASE - timedelta(seconds=1))
        with pytest.raises(StoreUnavailable):
            await cut_off.step()
        assert binds.running == {0, 1}  # inside its lease: carries on sending
        clock.advance(timedelta(seconds=1))
        with pytest.raises(StoreUnavailable):
            await cut_off.step()
        assert binds.running == set()
        assert cut_off.held == {"smsc": set()}
        clock.advance(timedelta(seconds=1))
        await other.join()
        assert other_binds.running == {0, 1}
    finally:
        await cut_off._db.dispose()
    cut_off._db = services.db  # the database is back: it takes its share again
    await other.step()
    await cut_off.step()
    assert len(binds.running) + len(other_binds.running) <= 2
