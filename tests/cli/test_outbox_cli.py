"""`smscast outbox list|retry`: failed callbacks seen and sent again, as a real process."""

from __future__ import annotations

import json
from datetime import timedelta

from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.store import outbox
from smscast.store.outbox import Failure, NewCallback


async def seed(services: Services, clock: FakeClock) -> list[int]:
    """Three callbacks: one pending, two failed."""
    rows = [
        NewCallback("acc-1", None, kind, f"https://example.com/{n}", "{}", "key", clock.now())
        for n, kind in enumerate(("message", "campaign", "message"))
    ]
    async with services.db.write() as conn:
        await outbox.enqueue(conn, rows)
        claimed = await outbox.claim(conn, clock.now(), clock.now() + timedelta(minutes=1), 2)
        await outbox.mark_failed(conn, [Failure(c.pk, 6, "HTTP 500") for c in claimed])
    return sorted(c.pk for c in claimed)


async def test_list_and_retry(services: Services, clock: FakeClock, smscast):
    failed = await seed(services, clock)
    listed = json.loads(smscast("outbox", "list", "--json").stdout)
    assert len(listed) == 3
    only_failed = json.loads(smscast("outbox", "list", "--failed", "--json").stdout)
    assert sorted(r["id"] for r in only_failed) == failed
    assert {(r["state"], r["attempts"], r["lastError"]) for r in only_failed} == {
        ("failed", 6, "HTTP 500")
    }
    assert "HTTP 500" in smscast("outbox", "list", "--failed").stdout

    assert "1 callback(s)" in smscast("outbox", "retry", str(failed[0])).stdout
    missing = smscast("outbox", "retry", "999999", check=False)
    assert missing.returncode == 1
    assert "no callback 999999" in missing.stderr
    assert "1 callback(s)" in smscast("outbox", "retry", "--all-failed").stdout
    assert json.loads(smscast("outbox", "list", "--failed", "--json").stdout) == []
    assert smscast("outbox", "retry", check=False).returncode != 0
