"""The notifier against a real HTTP receiver on 127.0.0.1, on both databases: delivery and
its signature, retries on the schedule, failure and re-sending, timeouts, restarts."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from smscast.clock import FakeClock
from smscast.domain.callbacks import RETRY_DELAYS, SIGNATURE_HEADER, verify
from smscast.services.notifier import Notifier, NotifierOptions, OutboxAdmin
from smscast.services.runtime import Services
from smscast.store import outbox
from smscast.store.outbox import NewCallback
from smscast.webhooks.sender import AiohttpSender, SenderOptions
from tests.receiver import Receiver

SECRET = "s3cret-of-the-application"
PAYLOAD = {"messageId": "m-1", "status": {"name": "Delivered"}}


def dead_url() -> str:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
async def sender() -> AsyncIterator[AiohttpSender]:
    built = AiohttpSender(SenderOptions(timeout_seconds=0.3))
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def enqueue(services: Services, url: str, count: int = 1) -> None:
    rows = [
        NewCallback("acc-1", "app-1", "message", url, json.dumps({**PAYLOAD, "n": n}), SECRET,
                    services.clock.now())
        for n in range(count)
    ]  # fmt: skip
    async with services.db.write() as conn:
        await outbox.enqueue(conn, rows)


async def rows(services: Services, *, failed_only: bool = False) -> list[outbox.OutboxRow]:
    return await OutboxAdmin(services.db, services.clock).page(failed_only=failed_only)


def notifier(services: Services, sender: AiohttpSender) -> Notifier:
    return Notifier(services.db, services.clock, sender, NotifierOptions())


async def test_delivers_on_2xx_with_a_signature_that_verifies(
    services: Services, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
):
    await enqueue(services, receiver.url, count=3)
    assert await notifier(services, sender).step() == 3
    assert len(receiver.received) == 3
    for body, headers in receiver.received:
        assert headers["Content-Type"] == "application/json"
        now = int(clock.now().timestamp())
        assert verify(SECRET, headers[SIGNATURE_HEADER], body, now=now)
        assert not verify("another secret", headers[SIGNATURE_HEADER], body, now=now)
        assert json.loads(body)["messageId"] == "m-1"
    assert {(r.state, r.attempts) for r in await rows(services)} == {("delivered", 1)}
    assert all(r.delivered_at == clock.now() for r in await rows(services))
    assert await notifier(services, sender).step() == 0  # nothing sent twice


async def test_500_then_200_is_delivered_on_retry(
    services: Services, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
):
    receiver.statuses = [500]
    await enqueue(services, receiver.url)
    worker = notifier(services, sender)
    assert await worker.step() == 1
    [row] = await rows(services)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    assert row.next_attempt_at == clock.now() + RETRY_DELAYS[0]
    clock.advance(RETRY_DELAYS[0] - timedelta(seconds=1))
    assert await worker.step() == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert await worker.step() == 1
    [row] = await rows(services)
    assert (row.state, row.attempts) == ("delivered", 2)
    assert len(receiver.received) == 2


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    services: Services, receiver: Receiver, sender: AiohttpSender
):
    receiver.statuses = [302]
    await enqueue(services, receiver.url)
    await notifier(services, sender).step()
    [row] = await rows(services)
    assert (row.state, row.last_error) == ("pending", "HTTP 302")


async def test_a_receiver_down_for_the_whole_schedule_ends_failed_and_can_be_resent(
    services: Services, clock: FakeClock, receiver: Receiver, sender: AiohttpSender
):
    url = dead_url()
    await enqueue(services, url)
    worker = notifier(services, sender)
    for delay in RETRY_DELAYS:
        assert await worker.step() == 1
        clock.advance(delay)
    assert await worker.step() == 1  # the sixth and last attempt
    clock.advance(timedelta(days=1))
    assert await worker.step() == 0
    [row] = await rows(services, failed_only=True)
    assert (row.state, row.attempts) == ("failed", 1 + len(RETRY_DELAYS))
    assert row.last_error is not None
    assert row.last_error.startswith("connect")

    admin = OutboxAdmin(services.db, services.clock)
    # The receiver is back: re-send every failed callback.
    delivered_url = receiver.url
    async with services.db.write() as conn:
        await conn.execute(
            outbox.outbox.update().where(outbox.outbox.c.pk == row.pk).values(url=delivered_url)
        )
    assert await admin.retry(None) == [row.pk]
    assert await admin.retry(row.pk) == []  # pending already
    assert await worker.step() == 1
    [again] = await rows(services)
    assert (again.state, again.attempts) == ("delivered", 1)
    assert await rows(services, failed_only=True) == []


async def test_a_slow_receiver_times_out_and_counts_as_a_failure(
    services: Services, receiver: Receiver, sender: AiohttpSender
):
    receiver.delay = 1.0  # the sender gives up after 0.3 s
    await enqueue(services, receiver.url)
    assert await notifier(services, sender).step() == 1
    [row] = await rows(services)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error is not None
    assert row.last_error.startswith("timeout")


async def test_a_worker_restart_between_attempts_loses_nothing(
    services: Services, clock: FakeClock, receiver: Receiver
):
    receiver.statuses = [503, 503]
    await enqueue(services, receiver.url, count=2)
    first = AiohttpSender()
    assert await notifier(services, first).step() == 2
    await first.close()
    # A second worker dies holding a lease: the lease runs out and a third takes the rows.
    clock.advance(RETRY_DELAYS[0])
    async with services.db.write() as conn:
        held = await outbox.claim(conn, clock.now(), clock.now() + timedelta(minutes=2), 10)
    assert len(held) == 2
    second = AiohttpSender()
    try:
        restarted = notifier(services, second)
        assert await restarted.step() == 0  # leased
        clock.advance(timedelta(minutes=2, seconds=1))
        assert await restarted.step() == 2
    finally:
        await second.close()
    assert {(r.state, r.attempts) for r in await rows(services)} == {("delivered", 2)}


async def test_blocking_private_addresses_refuses_loopback(receiver: Receiver):
    blocking = AiohttpSender(SenderOptions(block_private_addresses=True))
    try:
        outcome = await blocking.post(receiver.url, b"{}", {})
        by_name = await blocking.post(receiver.url.replace("127.0.0.1", "localhost"), b"{}", {})
    finally:
        await blocking.close()
    assert isinstance(outcome, str)
    assert outcome.startswith("refused")
    assert isinstance(by_name, str)
    assert by_name.startswith("refused")
    assert receiver.received == []


async def test_concurrent_notifiers_send_each_callback_once(services: Services, receiver: Receiver):
    await enqueue(services, receiver.url, count=40)
    senders = [AiohttpSender(), AiohttpSender()]
    try:
        workers = [
            Notifier(services.db, services.clock, s, NotifierOptions(batch=7)) for s in senders
        ]
        while sum(await asyncio.gather(*(w.step() for w in workers))):
            pass
    finally:
        for s in senders:
            await s.close()
    assert len(receiver.received) == 40
    assert len({body for body, _ in receiver.received}) == 40


async def test_a_claim_takes_no_more_than_its_limit(services: Services, clock: FakeClock):
    await enqueue(services, "https://example.com/hook", count=5)
    until = clock.now() + timedelta(minutes=1)
    async with services.db.write() as conn:
        first = await outbox.claim(conn, clock.now(), until, 2)
        second = await outbox.claim(conn, clock.now(), until, 10)
        third = await outbox.claim(conn, clock.now(), until, 10)
    assert (len(first), len(second), third) == (2, 3, [])
    assert not {c.pk for c in first} & {c.pk for c in second}
