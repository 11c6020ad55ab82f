"""`smscast campaigns list|show|watch`: the operator's view of campaigns, as a real process
reading the campaigns the services stored in this test's database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from smscast.clock import FakeClock
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest, CampaignRow, SingleRequest
from smscast.services.runtime import Services
from smscast.store.tables import campaigns
from smscast.types import AccountId, ApplicationId
from tests.conftest import Credentials, MakeAccount

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NUMBERS = ("+306912345600", "+306912345601", "+306912345602")
NO_MESSAGES = {"Queued": 0, "Sent": 0, "Unsent": 0, "Failed": 0, "Delivered": 0, "Undelivered": 0}


def caller(creds: Credentials) -> Principal:
    return Principal(
        AccountId(creds.account_id), ApplicationId(creds.application_id), frozenset({"sms"})
    )


@pytest.fixture
def make_campaign(services: Services, clock: FakeClock):
    async def make(creds: Credentials, **overrides: Any) -> CampaignRow:
        values: dict[str, Any] = {"sender": "Shop", "body": "Offer", "to": NUMBERS}
        values.update(overrides)
        row = await services.campaigns.create(caller(creds), CampaignRequest(**values))
        clock.advance(timedelta(minutes=1))  # the next one is newer
        return row

    return make


async def set_row(services: Services, tracking_id: str, **values: Any) -> None:
    """What the workers would have done: counters, state and times, written directly."""
    async with services.db.write() as conn:
        await conn.execute(update(campaigns).where(campaigns.c.id == tracking_id).values(**values))


async def finish(services: Services, tracking_id: str, state: str = "Finished") -> None:
    await set_row(
        services,
        tracking_id,
        state=state,
        queued=0,
        sent=0,
        delivered=2,
        undelivered=0,
        failed=1,
        unsent=0,
        quiet_hours={"GR": 2},
        started_at=START + timedelta(minutes=5),
        finished_at=START + timedelta(minutes=9),
    )


def line_with(text: str, output: str) -> str:
    found = [line for line in output.splitlines() if text in line]
    assert len(found) == 1, output
    return found[0]


async def test_list_newest_first_live_campaigns_of_the_account_only(
    smscast, services: Services, make_account: MakeAccount, make_campaign
):
    acme = await make_account(name="acme")
    other = await make_account(name="other")
    sale = await make_campaign(acme, name="Spring sale")
    later = await make_campaign(
        acme, body="Later", to=NUMBERS[:1], scheduled_at=START + timedelta(days=1)
    )
    deleted = await make_campaign(acme, scheduled_at=START + timedelta(days=2))
    await services.campaigns.delete(AccountId(acme.account_id), deleted.id)
    await services.campaigns.send_single(
        caller(acme), SingleRequest(sender="Shop", body="One", to=NUMBERS[0])
    )
    await make_campaign(other)
    await finish(services, sale.id)

    listed = json.loads(smscast("campaigns", "list", "acme", "--json").stdout)
    assert [c["trackingId"] for c in listed] == [later.id, sale.id]
    assert listed[1] == {
        "trackingId": sale.id,
        "name": "Spring sale",
        "state": "Finished",
        "createdAt": "2026-01-01T12:00:00+00:00",
        "scheduledAt": None,
        "totalMessages": 3,
        "cost": "0.129000",
        "currency": "EUR",
        "statuses": {**NO_MESSAGES, "Delivered": 2, "Failed": 1},
    }
    assert listed[0]["state"] == "Scheduled"
    assert listed[0]["scheduledAt"] == "2026-01-02T12:00:00+00:00"
    assert listed[0]["statuses"] == {**NO_MESSAGES, "Queued": 1}

    by_id = json.loads(smscast("campaigns", "list", acme.account_id, "--json").stdout)
    assert by_id == listed
    finished = json.loads(
        smscast("campaigns", "list", "acme", "--state", "finished", "--json").stdout
    )
    assert [c["trackingId"] for c in finished] == [sale.id]
    newest = json.loads(smscast("campaigns", "list", "acme", "--limit", "1", "--json").stdout)
    assert [c["trackingId"] for c in newest] == [later.id]

    table = smscast("campaigns", "list", "acme").stdout
    assert table.splitlines()[0].strip() == "acme: 2 campaigns"
    row = line_with(sale.id, table)
    for cell in ("Spring sale", "Finished", "2026-01-01 12:00", "0.129", "2 delivered · 1 failed"):
        assert cell in row
    row = line_with(later.id, table)
    for cell in ("Scheduled", "2026-01-02 12:00", "0.043", "1 queued"):
        assert cell in row
    assert deleted.id not in table
    assert table.index(later.id) < table.index(sale.id)


async def test_list_of_an_account_without_campaigns(smscast, make_account: MakeAccount):
    await make_account(name="quiet")
    empty = smscast("campaigns", "list", "quiet")
    assert empty.stdout == ""
    assert empty.stderr.strip() == "no campaigns for quiet"
    assert json.loads(smscast("campaigns", "list", "quiet", "--json").stdout) == []


async def test_show_one_campaign_of_any_account(
    smscast, services: Services, make_account: MakeAccount, make_campaign
):
    acme = await make_account(name="acme")
    sale = await make_campaign(
        acme, name="Spring sale", body="Hello [bold]you[/bold]\nBye", flash=True
    )
    await finish(services, sale.id)

    shown = json.loads(smscast("campaigns", "show", sale.id, "--json").stdout)
    assert shown == {
        "trackingId": sale.id,
        "accountId": acme.account_id,
        "accountName": "acme",
        "name": "Spring sale",
        "state": "Finished",
        "sender": "Shop",
        "body": "Hello [bold]you[/bold]\nBye",
        "flash": True,
        "respectQuietHours": False,
        "ttl": 4320,
        "createdAt": "2026-01-01T12:00:00+00:00",
        "updatedAt": "2026-01-01T12:00:00+00:00",
        "scheduledAt": None,
        "startedAt": "2026-01-01T12:05:00+00:00",
        "finishedAt": "2026-01-01T12:09:00+00:00",
        "totalMessages": 3,
        "cost": "0.129000",
        "currency": "EUR",
        "statuses": {**NO_MESSAGES, "Delivered": 2, "Failed": 1},
        "quietHoursReport": {"GR": 2},
    }

    text = smscast("campaigns", "show", sale.id).stdout
    lines = [line.rstrip() for line in text.splitlines()]
    for expected in (
        f"campaign      {sale.id}",
        f"account       {acme.account_id}  (acme)",
        "state         Finished",
        # User text is printed as it is, never read as markup.
        "body          Hello [bold]you[/bold]",
        "              Bye",
        "flash         yes",
        "held back     GR 2",
        "scheduled     —",
        "started       2026-01-01 12:05:00 UTC",
        "finished      2026-01-01 12:09:00 UTC",
        "messages      3",
        "cost          0.129 EUR",
        "Delivered     2",
        "Failed        1",
        "Queued        0",
    ):
        assert expected in lines, text


async def test_watch_a_final_campaign_prints_its_summary_and_exits(
    smscast, services: Services, make_account: MakeAccount, make_campaign
):
    acme = await make_account(name="acme")
    sale = await make_campaign(acme)
    await finish(services, sale.id)
    watched = smscast("campaigns", "watch", sale.id)
    lines = [line.rstrip() for line in watched.stdout.splitlines()]
    assert lines[0] == f"{sale.id}  Finished"
    bars = {line.split()[0]: line.split()[-2:] for line in lines[1:7]}
    assert bars == {
        "Queued": ["0/3", "0%"],
        "Sent": ["0/3", "0%"],
        "Delivered": ["2/3", "67%"],
        "Undelivered": ["0/3", "0%"],
        "Failed": ["1/3", "33%"],
        "Unsent": ["0/3", "0%"],
    }
    assert lines[-1] == f"{sale.id} Finished: 3 messages, 2 delivered · 1 failed"


def watch(database_env: dict[str, str], tracking_id: str, cwd: Path) -> subprocess.Popen[str]:
    """``campaigns watch`` started in the background, once it is polling."""
    process = subprocess.Popen(
        [sys.executable, "-m", "smscast", "campaigns", "watch", tracking_id, "--interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=database_env,
        cwd=cwd,
    )
    assert process.stderr is not None
    # The first read is done once this line is out: the loop is polling.
    assert process.stderr.readline().strip() == f"watching {tracking_id}; Ctrl-C to stop"
    return process


@pytest.fixture
def database_env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "SMSCAST_DATABASE_URL": database_url}
    env.pop("SMSCAST_CONFIG", None)
    return env


async def test_watch_follows_a_campaign_until_it_is_final(
    services: Services, make_account: MakeAccount, make_campaign, database_env, tmp_path: Path
):
    acme = await make_account(name="acme")
    sale = await make_campaign(acme)
    await set_row(services, sale.id, state="Running", queued=1, sent=2)
    process = watch(database_env, sale.id, tmp_path)
    try:
        await finish(services, sale.id, state="Failed")
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.splitlines()[-1] == f"{sale.id} Failed: 3 messages, 2 delivered · 1 failed"


async def test_watch_stops_quietly_on_ctrl_c(
    make_account: MakeAccount, make_campaign, database_env, tmp_path: Path
):
    acme = await make_account(name="acme")
    later = await make_campaign(acme, scheduled_at=START + timedelta(days=1))
    process = watch(database_env, later.id, tmp_path)
    try:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert out == ""
    assert err == ""


async def test_errors_are_one_line_and_exit_1(
    smscast, services: Services, make_account: MakeAccount, make_campaign
):
    acme = await make_account(name="acme")
    gone = await make_campaign(acme, scheduled_at=START + timedelta(days=1))
    await services.campaigns.delete(AccountId(acme.account_id), gone.id)
    single = await services.campaigns.send_single(
        caller(acme), SingleRequest(sender="Shop", body="One", to=NUMBERS[0])
    )
    unknown = "01900000-0000-7000-8000-000000000000"
    cases = {
        ("campaigns", "list", "nobody"): "error: no account 'nobody'",
        ("campaigns", "list", "acme", "--state", "Done"): (
            "error: state must be one of Scheduled, Queued, Running, Sent, Finished, Failed"
        ),
        ("campaigns", "list", "acme", "--limit", "0"): "error: limit must be between 1 and 1000",
        ("campaigns", "show", unknown): f"error: no campaign '{unknown}'",
        ("campaigns", "show", unknown, "--json"): f"error: no campaign '{unknown}'",
        ("campaigns", "show", gone.id): f"error: no campaign '{gone.id}'",
        ("campaigns", "show", single.campaign.id): f"error: no campaign '{single.campaign.id}'",
        ("campaigns", "watch", unknown): f"error: no campaign '{unknown}'",
        ("campaigns", "watch", gone.id): f"error: no campaign '{gone.id}'",
        ("campaigns", "watch", gone.id, "--interval", "0"): (
            "error: interval must be more than 0 seconds"
        ),
    }
    for args, message in cases.items():
        result = smscast(*args, check=False)
        assert (result.returncode, result.stderr.strip(), result.stdout) == (1, message, ""), args
