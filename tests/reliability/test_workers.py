"""Workers, the SMSC and the database failing under a running campaign, on PostgreSQL with
several ``smscast worker`` processes: whatever happens, every accepted message ends final,
once, with the money and the counters right (tests/reliability/invariants.py)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from smscast.smsc.simulator import Simulator, SimulatorOptions
from smscast.store.tables import messages
from tests.conftest import _reset_postgres as reset_postgres
from tests.dbproxy import DatabaseProxy
from tests.reliability.cluster import WINDOW, Cluster, numbers
from tests.reliability.invariants import check

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


@pytest.fixture
def database_url(pg_database: str) -> str:
    """PostgreSQL only: several worker processes share one database (SQLite is for one)."""
    asyncio.run(reset_postgres(pg_database))
    return pg_database


@pytest.fixture
async def cluster(database_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    smsc = Simulator(
        SimulatorOptions(credentials={"smscast": "secret"}, receipt_delay_ms=(5, 50), seed=7)
    )
    await smsc.start()
    built = Cluster(database_url, tmp_path, smsc)
    built.write_config()
    try:
        yield built
    finally:
        await built.stop()
        await smsc.stop()


async def start(cluster: Cluster, count: int) -> None:
    for n in range(count):
        await cluster.start_worker(f"w{n}")


async def test_workers_killed_mid_campaign_lose_nothing(cluster: Cluster, scale: int):
    caller = await cluster.account()
    total = 600 * scale
    tracking_id = await cluster.campaign(caller, numbers(total))
    await start(cluster, 3)
    rng = random.Random(3)
    for round_ in range(3 * scale):
        await asyncio.sleep(rng.uniform(0.3, 1.0))
        victim = rng.choice(sorted(cluster.workers))
        await cluster.kill(victim)
        await cluster.start_worker(f"{victim}-{round_}")
    await cluster.until_final(90)
    report = await check(
        (await cluster.open()).db,
        accepted={tracking_id: total},
        submits=cluster.submits(),
        duplicates_allowed=cluster.kills * WINDOW,
    )
    assert report.messages == total
    assert cluster.kills_mid_campaign == cluster.kills == 3 * scale


async def test_the_smsc_restarting_mid_campaign_loses_nothing(cluster: Cluster, scale: int):
    # Answers take 20-60 ms, so each restart cuts submits off in flight.
    cluster.smsc.options = replace(cluster.smsc.options, response_delay_ms=(20, 60))
    # Fast enough that every message is sent within its validity (1 minute, below) at any
    # size: 100 submits/s per bind was 40 s of sending at the full size, and with the
    # restarts some messages expired unsent.
    cluster.carrier = {**cluster.carrier, "tps": 100 * scale}
    cluster.write_config()
    caller = await cluster.account()
    total = 800 * scale
    # A part whose answer was lost with the link is never sent again: it ends Undelivered
    # when its validity (1 minute here) is over.
    tracking_id = await cluster.campaign(caller, numbers(total), ttl=1)
    await start(cluster, 2)
    binds = 2  # the carrier's binds, shared by the two workers
    stats = cluster.smsc.stats
    for restart in range(2):
        # Each restart drops links that are up and busy: bound again, some sent since.
        sent = stats.accepted
        await cluster.smsc.wait_until(
            lambda n=restart, sent=sent: (
                stats.binds >= (n + 1) * binds and stats.accepted >= sent + 50
            ),
            seconds=30,
        )
        assert await cluster.waiting()  # the restart lands mid-campaign
        await cluster.smsc.restart(down_seconds=1.0)
    await cluster.until_final(150)
    report = await check(
        (await cluster.open()).db,
        accepted={tracking_id: total},
        submits=cluster.submits(),
        duplicates_allowed=0,  # a part written without an answer is never sent again
    )
    assert report.statuses["Delivered"] + report.statuses["Undelivered"] == total, report.statuses
    # Bound again after each restart (the links come back whether or not traffic waits).
    for _ in range(150):
        if cluster.smsc.stats.binds >= 3 * binds:
            break
        await asyncio.sleep(0.1)
    assert cluster.smsc.stats.binds >= 3 * binds, cluster.smsc.stats


async def test_a_throttling_smsc_with_a_full_queue_delays_but_fails_nothing(
    database_url: str, tmp_path: Path, scale: int
):
    options = SimulatorOptions(
        credentials={"smscast": "secret"},
        receipt_delay_ms=(5, 20),
        throttle_every=7,
        queue_full_every=11,
    )
    async with Simulator(options) as smsc:
        # An SMSC refusing a quarter of all submits has each bind slow down to a few submits
        # a second (tests/carriers/test_smpp.py): a larger campaign gets more binds.
        cluster = Cluster(database_url, tmp_path, smsc, carrier={"tps": 100, "binds": 2 * scale})
        cluster.write_config()
        try:
            caller = await cluster.account()
            total = 300 * scale
            tracking_id = await cluster.campaign(caller, numbers(total))
            await start(cluster, 2)
            await cluster.until_final(90 if scale == 1 else 180)
            report = await check(
                (await cluster.open()).db,
                accepted={tracking_id: total},
                submits=cluster.submits(),
                duplicates_allowed=0,
            )
        finally:
            await cluster.stop()
    assert smsc.stats.throttled > 0
    assert report.statuses["Failed"] == 0  # a refusal to slow down is not a failure
    assert report.statuses["Delivered"] == total


async def test_early_and_duplicate_receipts_are_applied_once(
    database_url: str, tmp_path: Path, scale: int
):
    options = SimulatorOptions(
        credentials={"smscast": "secret"},
        receipt_delay_ms=(0, 5),
        early_receipts=True,
        duplicate_receipts=True,
        duplicate_delay_ms=300,  # applied in a later batch than the first
    )
    async with Simulator(options) as smsc:
        cluster = Cluster(database_url, tmp_path, smsc)
        cluster.write_config()
        try:
            caller = await cluster.account()
            total = 300 * scale
            tracking_id = await cluster.campaign(
                caller,
                numbers(total),
                callback=_callback("http://127.0.0.1:9/never"),
            )
            await start(cluster, 2)
            await cluster.until_final(90)
            report = await check(
                (await cluster.open()).db,
                accepted={tracking_id: total},
                submits=cluster.submits(),
                duplicates_allowed=0,
            )
        finally:
            await cluster.stop()
    assert report.statuses["Delivered"] == total
    assert smsc.stats.receipts_sent >= 2 * total


async def test_database_connections_dropped_mid_campaign_lose_nothing(cluster: Cluster, scale: int):
    caller = await cluster.account()
    total = 600 * scale
    tracking_id = await cluster.campaign(caller, numbers(total), ttl=1)
    await start(cluster, 3)
    services = await cluster.open()
    for _ in range(3 * scale):
        await asyncio.sleep(0.5)
        async with services.db.write() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND application_name NOT LIKE 'pytest%'"
                )
            )
    await cluster.until_final(150)
    await check(
        services.db,
        accepted={tracking_id: total},
        submits=cluster.submits(),
        # A window answered while its recording's connection died is recorded on the next
        # try, not sent again.
        duplicates_allowed=0,
    )
    assert cluster.exits == [], f"a worker gave up on a dropped connection:\n{cluster.exit_logs()}"


async def test_the_database_unreachable_mid_campaign_loses_nothing(
    cluster: Cluster, database_url: str, scale: int
):
    """Every worker's connections cut and new ones refused for a few seconds, twice: the
    workers wait and carry on (none exits), and nothing is lost or sent twice."""
    proxy = DatabaseProxy(database_url)
    await proxy.up()
    cluster.worker_database_url = proxy.url
    cluster.write_config()
    try:
        caller = await cluster.account()
        total = 800 * scale
        tracking_id = await cluster.campaign(caller, numbers(total), ttl=2)
        await start(cluster, 2)
        services = await cluster.open()
        outages = 2 * scale
        for outage in range(outages):
            await until_handed_over(cluster, (outage + 1) * total // (outages + 2))
            await proxy.down()
            await asyncio.sleep(3)
            await proxy.up()
        await cluster.until_final(150)
        await check(
            services.db,
            accepted={tracking_id: total},
            submits=cluster.submits(),
            duplicates_allowed=0,
        )
    finally:
        await cluster.stop()
        await proxy.down()
    assert cluster.exits == [], "a worker gave up while the database was away"


async def until_handed_over(cluster: Cluster, count: int, seconds: float = 60) -> None:
    """Until at least ``count`` messages have reached the SMSC."""
    services = await cluster.open()
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        await cluster.restart_dead()
        async with services.db.read() as conn:
            handed = (
                await conn.execute(
                    select(func.count()).where(messages.c.status.in_(("Sent", "Delivered")))
                )
            ).scalar_one()
        if handed >= count:
            return
        assert asyncio.get_running_loop().time() < deadline, f"only {handed} of {count} sent"
        await asyncio.sleep(0.05)


def _callback(url: str) -> object:
    from smscast.domain.campaigns import Callback, CallbackStrategy

    return Callback(url, CallbackStrategy.ON_CHANGE)


async def test_unanswered_submits_and_missing_receipts_end_final_never_twice(
    database_url: str, tmp_path: Path, scale: int
):
    """Some numbers' submits are never answered (window timeouts), others never get a
    receipt: nothing is sent twice, and all of them end Undelivered when their validity (one
    minute) is over."""
    options = SimulatorOptions(
        credentials={"smscast": "secret"},
        receipt_delay_ms=(5, 20),
        never_answer_prefix=("3069100001",),  # +3069100001NN: 100 numbers
        prefix_behaviours={"3069100002": "no_receipt"},  # and the next 100
    )
    async with Simulator(options) as smsc:
        cluster = Cluster(database_url, tmp_path, smsc)
        cluster.write_config()
        try:
            caller = await cluster.account()
            total = 300 * scale
            tracking_id = await cluster.campaign(caller, numbers(total), ttl=1)
            await start(cluster, 2)
            await cluster.until_final(150)
            report = await check(
                (await cluster.open()).db,
                accepted={tracking_id: total},
                submits=cluster.submits(),
                duplicates_allowed=0,
            )
        finally:
            await cluster.stop()
    assert smsc.stats.unanswered == 100
    assert report.statuses["Undelivered"] >= 200
    assert report.statuses["Delivered"] + report.statuses["Undelivered"] == total


async def test_a_webhook_receiver_down_then_back_gets_every_callback(cluster: Cluster, scale: int):
    from aiohttp import web

    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=200)

    port = free_port()
    caller = await cluster.account()
    total = 200 * scale
    tracking_id = await cluster.campaign(
        caller, numbers(total), callback=_callback(f"http://127.0.0.1:{port}/hook")
    )
    await start(cluster, 2)
    await asyncio.sleep(1.5)  # callbacks fail: nothing listens yet
    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await cluster.until_final(90)
        services = await cluster.open()
        for _ in range(300):
            async with services.db.read() as conn:
                left = (
                    await conn.execute(
                        text("SELECT count(*) FROM outbox WHERE state <> 'delivered'")
                    )
                ).scalar_one()
            if not left:
                break
            await asyncio.sleep(0.1)
        assert left == 0
        await check(services.db, accepted={tracking_id: total})
    finally:
        await runner.cleanup()
    # Every part: Sent, then its final status; at least once each (retries may repeat one).
    seen = {(json.loads(b)["smsId"], json.loads(b)["status"]["name"]) for b in received}
    assert len(seen) == 2 * total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
