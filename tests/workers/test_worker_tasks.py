"""``smscast worker --only``: a worker runs just the tasks it is given."""

from __future__ import annotations

import pytest

from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.workers.runtime import TASKS, Worker


async def test_a_notifier_only_worker_runs_the_notifier_and_binds_no_carrier(
    services: Services, clock: FakeClock
):
    built = Worker(services, build_carriers(services.settings, clock), only=frozenset({"notifier"}))
    assert set(built.tasks) == {"notifier", "cluster"}  # cluster: its heartbeat
    assert built.carriers == {}
    await built.close()


async def test_the_dispatcher_brings_its_carriers(services: Services, clock: FakeClock):
    built = Worker(
        services, build_carriers(services.settings, clock), only=frozenset({"dispatcher"})
    )
    assert set(built.tasks) == {"dispatcher", "carrier:sandbox", "cluster"}
    await built.close()
    everything = Worker(services, build_carriers(services.settings, clock))
    assert {t for t in everything.tasks if not t.startswith("carrier:")} == TASKS | {"cluster"}
    await everything.close()


async def test_an_unknown_task_is_refused(services: Services, clock: FakeClock):
    with pytest.raises(ValueError, match="unknown worker task"):
        Worker(services, build_carriers(services.settings, clock), only=frozenset({"mailer"}))
