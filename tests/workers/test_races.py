"""Races and crashes found in review: campaigns changed while a reminder is on its way, leases
and expiry, the scheduler and a reschedule, several workers counting quiet hours, a worker
that stops mid-batch, and a deadlock that must not kill a worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from smscast.carriers import sandbox
from smscast.carriers.base import Submission, SubmitResult
from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.store import dispatch as q
from smscast.store.tables import campaigns, ledger, messages
from smscast.types import AccountId
from smscast.workers.runtime import Worker
from tests.conftest import GetToken, MakeAccount, bearer

GR = Decimal("0.0430")


def spy(worker: Worker, before: Callable[[], Awaitable[None]] | None = None) -> list[str]:
    """Numbers handed to the carriers; ``before`` runs inside each submit."""
    sent: list[str] = []
    for carrier in worker.carriers.values():
        original = carrier.submit

        async def submit(
            batch: Sequence[Submission], original: Any = original
        ) -> list[SubmitResult]:
            if before is not None:
                await before()
            sent.extend(s.to for s in batch)
            results: list[SubmitResult] = await original(batch)
            return results

        carrier.submit = submit  # type: ignore[method-assign]
    return sent


async def scheduled_with_reminder(
    client: httpx.AsyncClient, auth: dict[str, str], at: datetime, reminder_to: str
) -> tuple[str, dict[str, Any]]:
    body = {
        "from": "Shop",
        "body": "Hello",
        "to": ["+306912345600"],
        "scheduledDate": at.isoformat(),
        "reminder": {"minutesBefore": 30, "to": [reminder_to]},
    }
    response = await client.post("/sms/campaign", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["trackingId"], body


async def ledger_net(services: Services, tracking: str) -> Decimal:
    async with services.db.read() as conn:
        amounts = await conn.execute(
            select(ledger.c.amount).where(ledger.c.campaign_id == tracking)
        )
        return -sum((a for (a,) in amounts), Decimal(0))


async def test_delete_while_a_reminder_is_on_its_way_keeps_it_paid(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    at = clock.now() + timedelta(hours=2)
    tracking, _ = await scheduled_with_reminder(
        client, bearer(await get_token(creds)), at, "+306912345699"
    )
    clock.set(at - timedelta(minutes=30))
    auth = bearer(await get_token(creds))

    async def delete() -> None:
        assert (await client.delete(f"/sms/{tracking}", headers=auth)).status_code == 200

    sent = spy(worker, delete)
    await worker.dispatcher.step()
    clock.advance(timedelta(seconds=5))
    await worker.burst()
    assert sent == ["+306912345699"]
    async with services.db.read() as conn:
        found = dict((await conn.execute(select(messages.c.reminder, messages.c.status))).all())
    # The reminder reached the tester and stays paid for; the campaign's message is refunded.
    assert found == {True: "Delivered", False: "Unsent"}
    assert await ledger_net(services, tracking) == GR
    stored, total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert stored == total == Decimal(100) - GR


async def test_update_while_a_reminder_is_on_its_way_does_not_send_it_twice(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    at = clock.now() + timedelta(hours=2)
    tracking, body = await scheduled_with_reminder(
        client, bearer(await get_token(creds)), at, "+306912345699"
    )
    clock.set(at - timedelta(minutes=30))
    auth = bearer(await get_token(creds))
    done: list[int] = []

    async def put() -> None:
        if not done:
            done.append(1)
            assert (
                await client.put(f"/sms/{tracking}", json=body, headers=auth)
            ).status_code == 200

    sent = spy(worker, put)
    await worker.burst()
    clock.advance(timedelta(seconds=5))
    await worker.burst()
    assert sent.count("+306912345699") == 1
    # Both the campaign's message and the reminder that went out are paid for, once.
    assert await ledger_net(services, tracking) == 2 * GR


async def test_an_update_does_not_charge_again_for_a_refunded_reminder(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    at = clock.now() + timedelta(hours=2)
    tracking, body = await scheduled_with_reminder(
        client, bearer(await get_token(creds)), at, sandbox.FAILS_AT_SUBMIT
    )
    clock.set(at - timedelta(minutes=30))
    auth = bearer(await get_token(creds))
    await worker.burst()  # the reminder is refused at submit, and refunded
    updated = await client.put(f"/sms/{tracking}", json=body, headers=auth)
    assert updated.status_code == 200, updated.text
    # Only the campaign's own message can still reach a carrier.
    assert await ledger_net(services, tracking) == GR


async def test_a_throttled_message_held_by_quiet_hours_is_counted(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    clock.set(datetime(2026, 1, 1, 11, 59, 59, 500000, tzinfo=UTC))  # 13:59:59.5 in Athens
    auth = bearer(await get_token(creds))
    response = await client.post(
        "/sms/campaign",
        json={
            "from": "Shop",
            "body": "Hi",
            "to": [sandbox.THROTTLED_ONCE],
            "respectQuietHours": True,
        },
        headers=auth,
    )
    tracking = response.json()["trackingId"]
    await worker.burst()  # throttled: retried in a second, which is inside 14:00-17:00
    clock.advance(timedelta(seconds=1))
    await worker.burst()
    shown = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert shown["quietHoursReport"] == {"GR": 1}


async def test_a_single_sms_refunded_by_expiry_names_its_message(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    auth = bearer(await get_token(creds))
    sms = await client.post(
        "/sms", json={"from": "Shop", "body": "Hi", "to": "+306912345600", "ttl": 1}, headers=auth
    )
    message_id = sms.json()["trackingId"]
    clock.advance(timedelta(minutes=2))
    assert await worker.expiry.step() == 1
    async with services.db.read() as conn:
        entries = (await conn.execute(select(ledger.c.kind, ledger.c.message_id))).all()
    assert ("Charge", message_id) in entries
    assert ("Refund", message_id) in entries


async def test_a_worker_stopping_mid_batch_records_what_it_handed_over(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    creds = await make_account()
    await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hello", "to": ["+306912345600"]},
        headers=bearer(await get_token(creds)),
    )
    first = Worker(services, build_carriers(services.settings, clock))

    async def slow() -> None:
        await asyncio.sleep(0.3)  # the carrier is slow to answer; meanwhile a task dies

    sent = spy(first, slow)

    async def broken() -> int:
        await asyncio.sleep(0.1)
        raise RuntimeError("disk on fire")

    first.tasks["expiry"] = broken
    with pytest.raises(ExceptionGroup):
        await asyncio.wait_for(first.run(asyncio.Event()), 5)
    second = Worker(services, build_carriers(services.settings, clock))
    sent_again = spy(second)
    await second.burst()
    assert len(sent) + len(sent_again) == 1
    async with services.db.read() as conn:
        assert (await conn.execute(select(messages.c.status))).scalar_one() == "Sent"


async def test_a_deadlock_is_retried_not_fatal(services: Services, clock: FakeClock):
    class Deadlock(Exception):
        sqlstate = "40P01"

    built = Worker(services, build_carriers(services.settings, clock))
    calls: list[int] = []

    async def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise Deadlock("deadlock detected")
        stop.set()
        return 0

    built.tasks = {"expiry": flaky}
    stop = asyncio.Event()
    await asyncio.wait_for(built.run(stop), 5)
    assert len(calls) == 2


async def test_several_workers_count_quiet_hours_without_losing_any(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    creds = await make_account(balance=1000)
    clock.set(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))  # 23:30 in Athens
    auth = bearer(await get_token(creds))
    numbers = [f"+3069123{n:05d}" for n in range(1000)]
    response = await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hello", "to": numbers, "respectQuietHours": True},
        headers=auth,
    )
    tracking = response.json()["trackingId"]
    workers = []
    for name in ("w1", "w2", "w3", "w4"):
        settings = services.settings.model_copy(update={"worker_name": name, "dispatch_batch": 50})
        workers.append(
            Worker(replace(services, settings=settings), build_carriers(settings, clock))
        )

    async def drain(w: Worker) -> None:
        while await w.dispatcher.step():
            pass

    await asyncio.gather(*(drain(w) for w in workers))
    shown = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert shown["quietHoursReport"] == {"GR": 1000}


@pytest.mark.parametrize("change", ["reschedule", "delete"])
async def test_the_scheduler_does_not_start_a_campaign_changed_meanwhile(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
    change: str,
):
    creds = await make_account()
    at = clock.now() + timedelta(hours=1)
    response = await client.post(
        "/sms/campaign",
        json={
            "from": "Shop",
            "body": "Hi",
            "to": ["+306912345600"],
            "scheduledDate": at.isoformat(),
        },
        headers=bearer(await get_token(creds)),
    )
    tracking = response.json()["trackingId"]
    now = at
    locked = asyncio.Event()

    async def editor() -> None:
        async with services.db.write() as conn:
            await conn.execute(
                select(campaigns.c.pk).where(campaigns.c.id == tracking).with_for_update()
            )
            values = (
                {"scheduled_at": now + timedelta(days=1)}
                if change == "reschedule"
                else {"deleted_at": now}
            )
            await conn.execute(update(campaigns).where(campaigns.c.id == tracking).values(**values))
            locked.set()
            await asyncio.sleep(0.3)  # the scheduler's UPDATE waits on this lock

    async def scheduler() -> None:
        await locked.wait()
        async with services.db.write() as conn:
            await q.start_due_campaigns(conn, now, 100)

    await asyncio.gather(editor(), scheduler())
    async with services.db.read() as conn:
        state = (
            await conn.execute(select(campaigns.c.state).where(campaigns.c.id == tracking))
        ).scalar_one()
    assert state == "Scheduled"


async def test_expiry_does_not_take_a_message_just_claimed(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    creds = await make_account()
    await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hi", "to": ["+306912345600"], "ttl": 1},
        headers=bearer(await get_token(creds)),
    )
    start = clock.now()
    claimed_at, expired_at = start + timedelta(seconds=59), start + timedelta(seconds=61)
    claimed = asyncio.Event()
    found: dict[str, list[Any]] = {}

    async def dispatcher() -> None:
        async with services.db.write() as conn:
            found["claimed"] = await q.claim(
                conn, "w1", claimed_at, claimed_at + timedelta(seconds=60), 10
            )
            claimed.set()
            await asyncio.sleep(0.3)

    async def expiry() -> None:
        await claimed.wait()
        async with services.db.write() as conn:
            found["expired"] = await q.expire_waiting(conn, expired_at, 100)

    await asyncio.gather(dispatcher(), expiry())
    assert len(found["claimed"]) == 1
    assert found["expired"] == []


class _Crash(BaseException):
    """The process dies (nothing catches it, as with a kill)."""


class _WindowedCarrier:
    """A carrier with a window of 5 that dies while its third window is in flight."""

    name = "windowed"

    def __init__(self, crash_on: int | None) -> None:
        self.sent: list[str] = []
        self.calls = 0
        self.crash_on = crash_on

    async def start(self, receipts: Any) -> None:
        return None

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        from smscast.carriers.base import PartResult

        self.calls += 1
        self.sent.extend(s.to for s in batch)
        if self.calls == self.crash_on:
            raise _Crash
        return [SubmitResult((PartResult(f"id-{s.message_id}"),)) for s in batch]

    async def step(self) -> bool:
        return False

    def busy(self) -> bool:
        return False

    def available(self) -> bool:
        return True

    def in_flight_limit(self) -> int | None:
        return 5

    async def close(self) -> None:
        return None


async def test_a_crash_sends_again_at_most_one_window(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    numbers = [f"+3069123456{n:02d}" for n in range(20)]
    await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hi", "to": numbers},
        headers=bearer(await get_token(await make_account())),
    )
    settings = services.settings.model_copy(update={"default_carrier": "windowed"})
    dying = _WindowedCarrier(crash_on=3)
    first = Worker(replace(services, settings=settings), {"windowed": dying})  # type: ignore[dict-item]
    with pytest.raises(_Crash):
        await first.dispatcher.step()
    async with services.db.read() as conn:
        statuses = (await conn.execute(select(messages.c.status))).scalars().all()
    assert statuses.count("Sent") == 10  # two windows answered and recorded
    clock.advance(timedelta(seconds=61))  # the dead worker's lease runs out
    healthy = _WindowedCarrier(crash_on=None)
    second = Worker(replace(services, settings=settings), {"windowed": healthy})  # type: ignore[dict-item]
    await second.burst()
    assert len(dying.sent) + len(healthy.sent) == 25  # 20 messages, 5 sent twice: one window
    async with services.db.read() as conn:
        statuses = (await conn.execute(select(messages.c.status))).scalars().all()
    assert statuses.count("Sent") == 20


async def test_a_slow_carrier_keeps_the_leases_of_what_it_still_has_to_send(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    numbers = [f"+3069123456{n:02d}" for n in range(15)]
    await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hi", "to": numbers},
        headers=bearer(await get_token(await make_account())),
    )

    lapsed: list[int] = []

    class Slow(_WindowedCarrier):
        async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
            async with services.db.read() as conn:
                found = await conn.execute(
                    select(func.count())
                    .select_from(messages)
                    .where(messages.c.status == "Queued", messages.c.claimed_until < clock.now())
                )
                lapsed.append(found.scalar_one())
            clock.advance(timedelta(seconds=50))  # each window takes most of a lease
            return await super().submit(batch)

    settings = services.settings.model_copy(update={"default_carrier": "windowed"})
    worker = Worker(replace(services, settings=settings), {"windowed": Slow(crash_on=None)})  # type: ignore[dict-item]
    await worker.dispatcher.step()
    # While the worker was busy, another could have claimed what it still had to send had
    # its leases not been kept; all 15 were sent by it, once.
    async with services.db.read() as conn:
        statuses = (await conn.execute(select(messages.c.status))).scalars().all()
    assert statuses.count("Sent") == 15
    assert set(lapsed) == {0}  # whenever a lot went out, no waiting lease had lapsed
    # And at no point did a waiting message's lease lapse: a second worker finds nothing.
    other = Worker(replace(services, settings=settings), {"windowed": _WindowedCarrier(None)})  # type: ignore[dict-item]
    assert await other.dispatcher.step() == 0
