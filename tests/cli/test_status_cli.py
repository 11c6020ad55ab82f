"""`smscast status`: workers, bind leases, queue per carrier and callback backlog, as a real
process reading what the cluster wrote."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import Services
from smscast.store import cluster as q
from smscast.types import AccountId, ApplicationId
from tests.conftest import MakeAccount


async def test_status_shows_workers_binds_queue_and_callbacks(
    services: Services, make_account: MakeAccount, smscast
):
    now = datetime.now(UTC)
    async with services.db.write() as conn:
        await q.heartbeat(conn, "alive-1", "host-a", 101, "dispatcher,receipts", now)
        await q.heartbeat(conn, "gone-2", "host-b", 202, "notifier", now - timedelta(hours=1))
        await q.ensure_slots(conn, "acme", 2)
        await q.acquire(conn, "acme", "alive-1", now, now + timedelta(seconds=15), 2, 1)
    creds = await make_account()
    caller = Principal(
        AccountId(creds.account_id), ApplicationId(creds.application_id), frozenset({"sms"})
    )
    await services.campaigns.create(
        caller, CampaignRequest(sender="Shop", body="Hi", to=("+306912345600", "+306912345601"))
    )

    shown = json.loads(smscast("status", "--json").stdout)
    workers = {w["name"]: w for w in shown["workers"]}
    assert workers["alive-1"]["alive"] is True
    assert workers["alive-1"]["tasks"] == ["dispatcher", "receipts"]
    assert workers["gone-2"]["alive"] is False
    assert shown["binds"] == [
        {"carrier": "acme", "slot": 0, "worker": "alive-1"},
        {"carrier": "acme", "slot": 1, "worker": None},
    ]
    assert shown["queued"] == {"sandbox": 2}
    assert shown["callbacks"] == {"pending": 0, "failed": 0}

    table = smscast("status").stdout
    assert "alive-1" in table
    assert "silent" in table
    assert "sandbox 2" in table
