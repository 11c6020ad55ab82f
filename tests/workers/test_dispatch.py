"""The worker side, in burst mode on the sandbox: quiet hours, TTL, reminders, scheduled
starts, claims shared by two workers, a lost lease, and a graceful stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.errors import ValidationFailed
from smscast.services.runtime import Services
from smscast.store import dispatch as dispatch_queries
from smscast.store.tables import messages, sms_parts
from smscast.types import AccountId
from smscast.workers.runtime import Worker
from tests.conftest import GetToken, MakeAccount, bearer
from tests.workers.conftest import Login

GR = Decimal("0.0430")


async def post(client: httpx.AsyncClient, auth: dict[str, str], **body: object) -> dict:
    response = await client.post(
        "/sms/campaign", json={"from": "Shop", "body": "Hello", **body}, headers=auth
    )
    assert response.status_code == 200, response.text
    result: dict = response.json()
    return result


async def rows(services: Services) -> list[tuple]:
    async with services.db.read() as conn:
        found = await conn.execute(
            select(
                messages.c.mobile,
                messages.c.status,
                messages.c.detailed_status,
                messages.c.due_at,
                messages.c.reminder,
            ).order_by(messages.c.pk)
        )
        return [tuple(r) for r in found]


async def balance(client: httpx.AsyncClient, auth: dict[str, str]) -> Decimal:
    return Decimal(str((await client.get("/accounts/me/balance", headers=auth)).json()["balance"]))


async def test_quiet_hours_hold_a_message_until_morning(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    auth = await login()
    clock.set(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))  # 23:30 in Athens
    auth = await login()
    campaign = await post(client, auth, to=["+306912345600"], respectQuietHours=True)
    await worker.burst()
    [(_, status, _, due, _)] = await rows(services)
    assert status == "Queued"
    assert due == datetime(2026, 1, 2, 6, 0, tzinfo=UTC)  # 08:00 in Athens
    shown = (await client.get(f"/campaigns/{campaign['trackingId']}", headers=auth)).json()
    assert shown["quietHoursReport"] == {"GR": 1}
    clock.set(datetime(2026, 1, 2, 6, 0, tzinfo=UTC))
    await worker.burst()
    assert (await rows(services))[0][1] == "Sent"


async def test_without_quiet_hours_it_goes_at_night(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    auth = await login()
    clock.set(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))
    auth = await login()
    campaign = await post(client, auth, to=["+306912345600"])
    await worker.burst()
    assert (await rows(services))[0][1] == "Sent"
    shown = (await client.get(f"/campaigns/{campaign['trackingId']}", headers=auth)).json()
    assert "quietHoursReport" not in shown


async def test_never_sent_within_its_ttl_is_unsent_and_refunded(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    clock.set(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))  # quiet until 08:00 Athens
    auth = bearer(await get_token(creds))
    start = await balance(client, auth)
    campaign = await post(client, auth, to=["+306912345600"], respectQuietHours=True, ttl=60)
    assert await balance(client, auth) == start - GR
    await worker.burst()
    clock.set(datetime(2026, 1, 2, 6, 0, tzinfo=UTC))  # the window ends after the TTL did
    await worker.burst()
    [(_, status, detailed, _, _)] = await rows(services)
    assert (status, detailed) == ("Unsent", "Expired")
    auth = bearer(await get_token(creds))
    assert await balance(client, auth) == start
    shown = (await client.get(f"/campaigns/{campaign['trackingId']}", headers=auth)).json()
    assert shown["state"] == "Failed"  # nothing reached a carrier
    stored, total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert stored == total


async def test_scheduled_campaign_starts_on_time_with_its_reminders(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    auth = await login()
    start = clock.now()
    at = start + timedelta(hours=2)
    campaign = await post(
        client,
        auth,
        to=["+306912345600"],
        scheduledDate=at.isoformat(),
        reminder={"minutesBefore": 30, "minutesAfter": 10, "to": ["+306912345699"]},
    )
    tracking = campaign["trackingId"]
    await worker.burst()
    assert [r[1] for r in await rows(services)] == ["Queued", "Queued", "Queued"]
    clock.set(at - timedelta(minutes=30))
    auth = await login()
    await worker.burst()
    found = await rows(services)
    # The "before" reminder went out; the campaign still waits for its time.
    assert [(r[1], r[4]) for r in found] == [("Queued", False), ("Sent", True), ("Queued", True)]
    shown = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert shown["state"] == "Scheduled"
    clock.set(at)
    auth = await login()
    await worker.burst()
    assert next((r[1], r[4]) for r in await rows(services)) == ("Sent", False)
    shown = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert shown["state"] in ("Running", "Sent")
    # Being sent, it can no longer be changed.
    again = await client.put(
        f"/sms/{tracking}",
        json={"from": "Shop", "body": "Hi", "to": ["+306912345600"]},
        headers=auth,
    )
    assert again.json()["code"] == "400009002"
    clock.set(at + timedelta(minutes=10))
    await worker.burst()
    assert [r[1] for r in await rows(services)][2] == "Sent"


async def test_two_workers_never_send_the_same_message(
    client: httpx.AsyncClient, login: Login, services: Services, clock: FakeClock
):
    numbers = [f"+3069123{n:05d}" for n in range(600)]
    await post(client, await login(), to=numbers)
    workers = []
    for name in ("w1", "w2"):
        settings = services.settings.model_copy(update={"worker_name": name, "dispatch_batch": 50})
        workers.append(Worker(_with(services, settings), build_carriers(settings, clock)))
    for w in workers:
        await w.start()

    async def drain(w: Worker) -> int:
        sent = 0
        while handled := await w.dispatcher.step():
            sent += handled
        return sent

    handled = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(handled) == 600
    async with services.db.read() as conn:
        parts = await conn.execute(
            select(sms_parts.c.message_pk, func.count()).group_by(sms_parts.c.message_pk)
        )
        per_message = dict(parts.all())
    assert len(per_message) == 600
    assert set(per_message.values()) == {1}
    for w in workers:
        await w.close()


def _with(services: Services, settings: object) -> Services:
    from dataclasses import replace

    return replace(services, settings=settings)  # type: ignore[arg-type]


async def test_a_lease_left_by_a_crashed_worker_is_taken_over(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    auth = await login()
    await post(client, auth, to=["+306912345600"])
    now = clock.now()
    async with services.db.write() as conn:
        taken = await dispatch_queries.claim(conn, "crashed", now, now + timedelta(seconds=60), 10)
    assert len(taken) == 1
    await worker.burst()
    assert (await rows(services))[0][1] == "Queued"  # the lease still holds
    clock.advance(timedelta(seconds=61))
    await worker.burst()
    assert (await rows(services))[0][1] == "Sent"
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(sms_parts))).scalar() == 1


async def test_a_graceful_stop_releases_what_it_holds(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    auth = await login()
    await post(client, auth, to=["+306912345600", "+306912345601"])
    now = clock.now()
    async with services.db.write() as conn:
        await dispatch_queries.claim(conn, worker.name, now, now + timedelta(seconds=60), 1)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(running, 5)
    async with services.db.read() as conn:
        held = await conn.execute(
            select(func.count()).select_from(messages).where(messages.c.claimed_by.is_not(None))
        )
        assert held.scalar() == 0
    statuses = sorted(r[1] for r in await rows(services))
    # One was sent by the running worker; the one it had claimed before was given back or sent.
    assert "Sent" in statuses


async def test_a_failing_task_stops_the_worker_loudly(services: Services, clock: FakeClock):
    built = Worker(services, build_carriers(services.settings, clock))

    async def broken() -> int:
        raise RuntimeError("disk on fire")

    built.tasks["expiry"] = broken
    with pytest.raises(ExceptionGroup) as caught:
        await asyncio.wait_for(built.run(asyncio.Event()), 5)
    assert "disk on fire" in str(caught.value.exceptions[0])


async def test_an_accounts_own_quiet_hours_apply(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    # No quiet window at all for this account: a night-time message goes at once...
    assert await services.accounts.set_quiet_hours(creds.account_id, "") == ""
    clock.set(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))  # 23:30 in Athens
    auth = bearer(await get_token(creds))
    await post(client, auth, to=["+306912345600"], respectQuietHours=True)
    await worker.burst()
    assert (await rows(services))[0][1] == "Sent"
    # ...and a window of its own holds the next one until it ends (00:30 Athens).
    assert await services.accounts.set_quiet_hours(creds.account_id, "23:00-00:30") == (
        "23:00-00:30"
    )
    await post(client, auth, to=["+306912345601"], respectQuietHours=True)
    await worker.burst()
    assert (await rows(services))[1][1:4:2] == ("Queued", datetime(2026, 1, 1, 22, 30, tzinfo=UTC))
    assert (
        await services.accounts.set_quiet_hours(creds.account_id, None) == "23:00-08:00,14:00-17:00"
    )
    with pytest.raises(ValidationFailed):
        await services.accounts.set_quiet_hours(creds.account_id, "25:00-08:00")


async def test_a_claim_takes_no_more_than_its_limit(
    client: httpx.AsyncClient, login: Login, services: Services, clock: FakeClock
):
    # On PostgreSQL, "UPDATE … WHERE pk IN (SELECT … LIMIT n SKIP LOCKED)" could lease more.
    auth = await login()
    await post(client, auth, to=[f"+3069123456{n:02d}" for n in range(30)])
    now = clock.now()
    for expected in (7, 7, 7, 7, 2, 0):
        async with services.db.write() as conn:
            taken = await dispatch_queries.claim(conn, "w", now, now + timedelta(seconds=60), 7)
        assert len(taken) == expected
