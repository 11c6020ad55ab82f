"""Callbacks from the status changes that ask for them, end to end: POST /sms/campaign, the
workers on the sandbox carrier, the notifier POSTing to a real HTTP receiver on 127.0.0.1.
Payloads are checked against tracking (the same entries), on both databases."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smscast.carriers import sandbox
from smscast.clock import FakeClock
from smscast.domain.callbacks import SIGNATURE_HEADER, verify
from smscast.domain.campaigns import Callback, CallbackStrategy, MessageStatus
from smscast.domain.lifecycle import describe
from smscast.services.dispatch import Dispatcher, DispatchOptions
from smscast.services.progress import refresh_states
from smscast.services.runtime import Services
from smscast.store import auth as auth_queries
from smscast.store.tables import campaigns, messages, outbox
from smscast.workers.runtime import Worker
from tests.receiver import Receiver
from tests.workers.conftest import Login

# 161 GSM characters: two parts.
LONG = "Long text " * 16 + "!"
NUMBERS = [f"+3069123456{n:02d}" for n in range(10)]
FINAL = {"Delivered", "Undelivered", "Failed", "Unsent"}
MESSAGE_KEYS = {
    "messageId", "smsId", "campaignTrackingId", "part", "parts", "to", "from", "country",
    "operator", "groups", "campaignName", "status", "message", "applicationName", "price",
    "direction", "originatingService",
}  # fmt: skip


async def settle(worker: Worker, clock: FakeClock, rounds: int = 4) -> None:
    """Run the workers until every sandbox receipt is in and every callback is out."""
    for _ in range(rounds):
        await worker.burst()
        clock.advance(timedelta(seconds=3))
    await worker.burst()


async def post_campaign(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    payload = {"from": "Shop", "body": "Hello", "to": NUMBERS[:2], **body}
    response = await client.post("/sms/campaign", json=payload, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["trackingId"])


async def tracking_of(
    client: httpx.AsyncClient, headers: dict[str, str], tracking_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/sms/tracking/campaign/{tracking_id}", params={"size": 1000}, headers=headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["content"])


async def callback_secret(services: Services, application_id: str) -> str:
    async with services.db.read() as conn:
        app = await auth_queries.get_application(conn, application_id)
    assert app is not None
    return app.callback_secret


async def test_every_part_is_called_back_on_each_change_and_matches_tracking(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    headers = await login()
    tracking_id = await post_campaign(
        client,
        headers,
        campaignName="Spring",
        body=LONG,
        callback={"url": receiver.url, "strategy": "OnChange"},
    )
    await settle(worker, clock)

    bodies = receiver.bodies()
    entries = await tracking_of(client, await login(), tracking_id)
    assert len(entries) == 4  # two messages of two parts
    assert all(e["status"]["status"] in FINAL for e in entries)
    # Every part: Sent when handed over, then its final status.
    by_part: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        by_part.setdefault(body["smsId"], []).append(body)
    assert set(by_part) == {e["smsId"] for e in entries}
    for entry in entries:
        calls = by_part[entry["smsId"]]
        assert [c["status"]["name"] for c in calls] == ["Sent", entry["status"]["status"]]
        first, last = calls
        assert set(last) >= MESSAGE_KEYS | {"latency"}
        assert "latency" not in first
        assert last == {
            "messageId": entry["messageId"],
            "smsId": entry["smsId"],
            "campaignTrackingId": tracking_id,
            "part": entry["part"],
            "parts": 2,
            "to": entry["to"],
            "from": "Shop",
            "country": "GR",
            "operator": entry["operator"],
            "groups": [],
            "campaignName": "Spring",
            "status": {
                "name": entry["status"]["status"],
                "reason": entry["status"]["reason"],
                "updatedDate": entry["status"]["date"],
            },
            "message": LONG,
            "applicationName": entry["applicationName"],
            "latency": entry["latency"],
            "price": entry["price"],
            "direction": "Outbound",
            "originatingService": "Sms",
        }
        assert first["status"]["reason"] == describe("Sent", MessageStatus.SENT)
    assert {e["part"] for e in entries} == {1, 2}
    assert entries[0]["operator"]  # phonenumbers names Greek mobile operators


async def test_callbacks_are_signed_with_the_applications_secret(
    client: httpx.AsyncClient,
    make_account,
    get_token,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    creds = await make_account()
    headers = {"Authorization": f"Bearer {await get_token(creds)}"}
    await post_campaign(client, headers, callback={"url": receiver.url, "strategy": "OnChange"})
    await worker.burst()
    secret = await callback_secret(services, creds.application_id)
    assert receiver.received
    now = int(clock.now().timestamp())
    for body, sent_headers in receiver.received:
        assert verify(secret, sent_headers[SIGNATURE_HEADER], body, now=now)
        assert not verify(secret + "x", sent_headers[SIGNATURE_HEADER], body, now=now)


async def test_on_completion_calls_back_only_final_statuses_once_per_part(
    client: httpx.AsyncClient,
    login: Login,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    headers = await login()
    to = [NUMBERS[0], sandbox.FAILS_AT_SUBMIT, sandbox.UNKNOWN_NUMBER]
    tracking_id = await post_campaign(
        client, headers, to=to, callback={"url": receiver.url, "strategy": "OnCompletion"}
    )
    await settle(worker, clock)

    bodies = receiver.bodies()
    entries = await tracking_of(client, await login(), tracking_id)
    assert sorted((b["to"], b["status"]["name"]) for b in bodies) == sorted(
        (e["to"], e["status"]["status"]) for e in entries
    )
    statuses = {b["to"]: (b["status"]["name"], b["status"]["reason"]["detailedStatus"])
                for b in bodies}  # fmt: skip
    assert statuses[sandbox.FAILS_AT_SUBMIT] == ("Failed", "Carrier Violation")
    assert statuses[sandbox.UNKNOWN_NUMBER] == ("Undelivered", "Unknown Number")
    # Delivered again (a repeated receipt, more bursts): nothing more is called back.
    await settle(worker, clock)
    assert len(receiver.received) == len(bodies) == 3


async def test_messages_that_expire_waiting_are_called_back_unsent_for_each_part(
    client: httpx.AsyncClient,
    login: Login,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    headers = await login()
    # Quiet hours at noon UTC in Greece (14:00 local): held, then its one-hour TTL runs out.
    await post_campaign(
        client,
        headers,
        to=[NUMBERS[0]],
        body=LONG,
        ttl=60,
        respectQuietHours=True,
        callback={"url": receiver.url, "strategy": "OnCompletion"},
    )
    await worker.burst()
    assert receiver.received == []
    clock.advance(timedelta(minutes=61))
    await worker.burst()
    bodies = receiver.bodies()
    assert [(b["part"], b["parts"], b["status"]["name"]) for b in bodies] == [
        (1, 2, "Unsent"),
        (2, 2, "Unsent"),
    ]
    assert all("smsId" not in b and b["status"]["reason"]["detailedStatus"] == "Expired"
               for b in bodies)  # fmt: skip


async def test_deleting_a_scheduled_campaign_calls_its_messages_back_unsent(
    client: httpx.AsyncClient,
    login: Login,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    headers = await login()
    later = (clock.now() + timedelta(days=1)).isoformat()
    tracking_id = await post_campaign(
        client,
        headers,
        scheduledDate=later,
        callback={"url": receiver.url, "strategy": "OnChange"},
    )
    response = await client.delete(f"/sms/{tracking_id}", headers=headers)
    assert response.status_code in (200, 204), response.text
    await worker.burst()
    assert sorted((b["to"], b["status"]["name"]) for b in receiver.bodies()) == [
        (NUMBERS[0], "Unsent"),
        (NUMBERS[1], "Unsent"),
    ]


def one_at_a_time(services: Services, worker: Worker, clock: FakeClock) -> None:
    """Dispatch one message per batch, so that counters move a step at a time."""
    single = Dispatcher(
        services.db, clock, worker.router, DispatchOptions(worker="one-at-a-time", batch=1)
    )
    worker.tasks["dispatcher"] = single.step


async def test_campaign_on_change_on_each_state_change_and_every_20_percent(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    one_at_a_time(services, worker, clock)
    headers = await login()
    hook = {"url": receiver.url, "strategy": "OnChange"}
    tracking_id = await post_campaign(
        client, headers, campaignName="Tenth", to=NUMBERS, campaignCallback=hook
    )
    # Sending only: receipts wait for the clock to move.
    await worker.burst()
    sent = [(b["campaignStatus"], b["messageStatuses"]["Sent"]) for b in receiver.bodies()]
    # Running at the first message; then every 2 more (20% of 10); Sent when none waits.
    assert sent == [("Running", 1), ("Running", 3), ("Running", 5), ("Running", 7),
                    ("Running", 9), ("Sent", 10)]  # fmt: skip
    first = receiver.bodies()[0]
    assert first == {
        "trackingId": tracking_id,
        "name": "Tenth",
        "totalRecipients": 10,
        "campaignStatus": "Running",
        "messageStatuses": {
            "Queued": 9, "Sent": 1, "Failed": 0, "Delivered": 0, "Undelivered": 0, "Unsent": 0,
        },
        "callbackInfo": hook,
    }  # fmt: skip

    previous = receiver.bodies()[-1]
    receiver.received.clear()
    await settle(worker, clock)
    bodies = receiver.bodies()
    assert bodies
    assert bodies[-1]["campaignStatus"] in ("Finished", "Failed")
    assert sum(bodies[-1]["messageStatuses"].values()) == 10
    assert bodies[-1]["messageStatuses"]["Sent"] == 0
    # Between two callbacks without a state change, some count moved by at least 2 (20%).
    for body in bodies:
        counts, before = body["messageStatuses"], previous["messageStatuses"]
        assert body["campaignStatus"] != previous["campaignStatus"] or any(
            abs(counts[k] - before[k]) >= 2 for k in counts
        ), (previous, body)
        previous = body


async def test_campaign_on_completion_is_called_back_exactly_once(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    one_at_a_time(services, worker, clock)
    headers = await login()
    hook = {"url": receiver.url, "strategy": "OnCompletion"}
    tracking_id = await post_campaign(client, headers, to=NUMBERS[:5], campaignCallback=hook)
    await worker.burst()
    assert receiver.received == []  # still running
    await settle(worker, clock)
    await settle(worker, clock)
    bodies = receiver.bodies()
    assert len(bodies) == 1
    assert bodies[0]["trackingId"] == tracking_id
    assert bodies[0]["campaignStatus"] == "Finished"
    assert bodies[0]["callbackInfo"] == hook
    campaign = (await client.get(f"/campaigns/{tracking_id}", headers=await login())).json()
    assert campaign["state"] == "Finished"
    # Looked at again (another worker's refresh, a repeated transaction): still once.
    async with services.db.write() as conn:
        pk = (
            await conn.execute(select(campaigns.c.pk).where(campaigns.c.id == tracking_id))
        ).scalar_one()
        await refresh_states(conn, [pk], clock.now())
    await worker.burst()
    assert len(receiver.received) == 1


async def test_a_campaign_that_fails_is_called_back_failed(
    client: httpx.AsyncClient, login: Login, worker: Worker, clock: FakeClock, receiver: Receiver
):
    headers = await login()
    hook = {"url": receiver.url, "strategy": "OnCompletion"}
    await post_campaign(client, headers, to=[sandbox.FAILS_AT_SUBMIT], campaignCallback=hook)
    await settle(worker, clock)
    [body] = receiver.bodies()
    assert body["campaignStatus"] == "Failed"
    assert body["messageStatuses"]["Failed"] == 1


async def test_a_scheduled_campaign_is_called_back_when_it_starts(
    client: httpx.AsyncClient, login: Login, worker: Worker, clock: FakeClock, receiver: Receiver
):
    headers = await login()
    hook = {"url": receiver.url, "strategy": "OnChange"}
    later = clock.now() + timedelta(hours=1)
    await post_campaign(client, headers, scheduledDate=later.isoformat(), campaignCallback=hook)
    await worker.burst()
    assert receiver.received == []
    clock.advance(timedelta(hours=1))
    await settle(worker, clock)
    states = [b["campaignStatus"] for b in receiver.bodies()]
    assert states[0] == "Queued"  # Scheduled → Queued
    assert states[-1] == "Finished"


async def test_application_defaults_apply_to_campaigns_without_their_own(
    client: httpx.AsyncClient,
    make_account,
    get_token,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    creds = await make_account()
    headers = {"Authorization": f"Bearer {await get_token(creds)}"}
    await services.auth.update_application(
        creds.application_id,
        callback=Callback(receiver.url + "?default", CallbackStrategy.ON_COMPLETION),
        campaign_callback=Callback(receiver.url + "?campaign", CallbackStrategy.ON_COMPLETION),
    )
    plain = await post_campaign(client, headers, to=[NUMBERS[0]])
    own = await post_campaign(
        client,
        headers,
        to=[NUMBERS[1]],
        callback={"url": receiver.url + "?own", "strategy": "OnCompletion"},
    )
    await settle(worker, clock)
    seen = Counter(
        (path, body.get("campaignTrackingId") or body.get("trackingId"))
        for path, body in zip(receiver.paths, receiver.bodies(), strict=True)
    )
    assert seen == {
        ("default", plain): 1,
        ("own", own): 1,
        ("campaign", plain): 1,
        ("campaign", own): 1,
    }

    # Cleared: nothing more for new campaigns.
    await services.auth.update_application(
        creds.application_id, clear_callback=True, clear_campaign_callback=True
    )
    receiver.received.clear()
    receiver.paths.clear()
    await post_campaign(client, await get_headers(get_token, creds), to=[NUMBERS[2]])
    await settle(worker, clock)
    assert receiver.received == []


async def get_headers(get_token, creds) -> dict[str, str]:
    return {"Authorization": f"Bearer {await get_token(creds)}"}


async def test_no_callback_asked_for_writes_nothing(
    client: httpx.AsyncClient, login: Login, services: Services, worker: Worker, clock: FakeClock
):
    await post_campaign(client, await login(), to=NUMBERS[:3])
    await settle(worker, clock)
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0


async def test_a_hanging_receiver_does_not_hold_up_sending(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
):
    """The receiver answers nothing until the end: meanwhile every message is sent and
    delivered by the running worker (its notifier waits on its own)."""
    receiver.open.clear()
    headers = await login()
    await post_campaign(
        client, headers, to=NUMBERS, callback={"url": receiver.url, "strategy": "OnChange"}
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(400):
            async with services.db.read() as conn:
                waiting = (
                    await conn.execute(
                        select(func.count())
                        .select_from(messages)
                        .where(messages.c.status.in_(("Queued", "Sent")))
                    )
                ).scalar_one()
            if not waiting:
                break
            clock.advance(timedelta(seconds=1))
            await asyncio.sleep(0.02)
        assert waiting == 0, "sending was held up by the callback receiver"
        assert receiver.received == []  # not one callback answered yet
    finally:
        receiver.open.set()
        stop.set()
        await running


async def test_callbacks_are_written_with_their_change_or_not_at_all(
    client: httpx.AsyncClient,
    login: Login,
    services: Services,
    worker: Worker,
    clock: FakeClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
):
    """A status change whose transaction fails leaves no callback behind, and the change
    made again later writes it once."""
    headers = await login()
    await post_campaign(
        client, headers, to=[NUMBERS[0]], callback={"url": receiver.url, "strategy": "OnChange"}
    )
    from smscast.services import dispatch as dispatch_module

    real = dispatch_module.apply_moves

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(dispatch_module, "apply_moves", broken)
    with pytest.raises(RuntimeError):
        await worker.dispatcher.step()
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
    monkeypatch.setattr(dispatch_module, "apply_moves", real)
    clock.advance(timedelta(seconds=61))  # the lease of the failed attempt runs out
    await worker.burst()
    assert [b["status"]["name"] for b in receiver.bodies()] == ["Sent"]
    assert json.loads(receiver.received[0][0])["to"] == NUMBERS[0]


async def test_a_single_sms_is_called_back_without_a_campaign(
    client: httpx.AsyncClient, login: Login, worker: Worker, clock: FakeClock, receiver: Receiver
):
    response = await client.post(
        "/sms",
        json={
            "from": "Shop",
            "body": "One",
            "to": NUMBERS[0],
            "label": "otp",
            "callback": {"url": receiver.url, "strategy": "OnCompletion"},
        },
        headers=await login(),
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["trackingId"]
    await settle(worker, clock)
    [body] = receiver.bodies()
    assert body["messageId"] == message_id
    assert "campaignTrackingId" not in body
    assert "campaignName" not in body
    assert body["label"] == "otp"
    assert body["status"]["name"] in FINAL
