"""``GET /metrics``: the Prometheus exposition of what the database holds, after real work."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from smscast.clock import FakeClock
from smscast.workers.runtime import Worker
from tests.workers.conftest import Login


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


async def test_metrics_count_messages_campaigns_queue_and_callbacks(
    client: httpx.AsyncClient, login: Login, worker: Worker, clock: FakeClock
):
    headers = await login()
    response = await client.post(
        "/sms/campaign",
        json={
            "from": "Shop",
            "body": "Hi",
            "to": ["+306912345600", "+306912345601", "+306912345602"],
            "callback": {"url": dead_url(), "strategy": "OnCompletion"},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text

    found = samples((await client.get("/metrics")).text)
    assert found[("smscast_messages", (("status", "Queued"),))] == 3
    assert found[("smscast_queue_due", ())] == 3
    assert found[("smscast_campaigns", (("state", "Queued"),))] == 1
    assert found[("smscast_callbacks", (("state", "pending"),))] == 0

    await worker.burst()
    clock.advance(timedelta(seconds=3))
    await worker.burst()
    clock.advance(timedelta(seconds=3))
    await worker.burst()
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert found[("smscast_messages", (("status", "Queued"),))] == 0
    assert found[("smscast_queue_due", ())] == 0
    finals = sum(found[("smscast_messages", (("status", s),))]
                 for s in ("Delivered", "Undelivered", "Failed"))  # fmt: skip
    assert finals == 3
    # The receiver is down: the three completions wait for their next attempt.
    assert found[("smscast_callbacks", (("state", "pending"),))] == 3
    assert found[("smscast_callbacks", (("state", "failed"),))] == 0
    assert found[("smscast_receipts_waiting", ())] == 0

    # Once the whole schedule has failed they are counted failed; the lag grows while due.
    for _ in range(6):
        clock.advance(timedelta(hours=1))
        await worker.burst()
    found = samples((await client.get("/metrics")).text)
    assert found[("smscast_callbacks", (("state", "failed"),))] == 3
    assert found[("smscast_callbacks", (("state", "pending"),))] == 0
    assert found[("smscast_callback_lag_seconds", ())] == 0
