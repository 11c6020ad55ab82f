"""POST a campaign through the API, run the workers in burst mode, and follow every message to
its final status on the sandbox carrier: statuses, campaign state, refunds, the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select

from smscast.carriers import sandbox
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.store.tables import messages, sms_parts
from smscast.workers.runtime import Worker
from tests.conftest import GetToken, MakeAccount, bearer

GR = Decimal("0.0430")


async def statuses(services: Services) -> dict[str, tuple[str, str | None]]:
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.mobile, messages.c.status, messages.c.detailed_status)
        )
        return {mobile: (status, detailed) for mobile, status, detailed in rows}


async def test_a_campaign_goes_from_accepted_to_every_message_final(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    worker: Worker,
    clock: FakeClock,
):
    creds = await make_account()
    auth = bearer(await get_token(creds))
    ordinary = [f"+30691234560{n}" for n in range(3)]
    reserved = [
        sandbox.UNKNOWN_NUMBER,
        sandbox.FAILS_AT_SUBMIT,
        sandbox.NO_RECEIPT,
        sandbox.UNDELIVERED_ON_HANDSET,
        sandbox.THROTTLED_ONCE,
        sandbox.EXPIRES,
    ]
    start = Decimal(str((await client.get("/accounts/me/balance", headers=auth)).json()["balance"]))
    response = await client.post(
        "/sms/campaign",
        json={"from": "Shop", "body": "Hello", "to": ordinary + reserved, "ttl": 60},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    tracking = response.json()["trackingId"]

    await worker.burst()
    now = await statuses(services)
    assert now[sandbox.FAILS_AT_SUBMIT] == ("Failed", "Carrier Violation")
    assert now[sandbox.THROTTLED_ONCE][0] == "Queued"  # asked to wait a second
    assert all(now[n] == ("Sent", "Sent") for n in ordinary)
    campaign = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert campaign["state"] == "Running"

    clock.advance(timedelta(seconds=3))
    await worker.burst()
    clock.advance(timedelta(seconds=3))
    await worker.burst()
    now = await statuses(services)
    assert all(now[n][0] == "Delivered" for n in ordinary)
    assert now[sandbox.UNKNOWN_NUMBER] == ("Undelivered", "Unknown Number")
    assert now[sandbox.UNDELIVERED_ON_HANDSET] == ("Undelivered", "Undelivered on Handset")
    assert now[sandbox.EXPIRES] == ("Undelivered", "Expired")
    assert now[sandbox.THROTTLED_ONCE] == ("Delivered", "Delivered")
    assert now[sandbox.NO_RECEIPT] == ("Sent", "Sent")
    campaign = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert campaign["state"] == "Sent"  # nothing waits to be sent; one receipt is missing

    # The missing receipt: Undelivered/Expired once the TTL and the grace period are over.
    clock.advance(timedelta(minutes=60 + 61))
    await worker.burst()
    auth = bearer(await get_token(creds))  # the first token has expired meanwhile
    now = await statuses(services)
    assert now[sandbox.NO_RECEIPT] == ("Undelivered", "Expired")
    campaign = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
    assert campaign["state"] == "Finished"
    assert campaign["statuses"] == {
        "Queued": 0,
        "Sent": 0,
        "Unsent": 0,
        "Failed": 1,
        "Delivered": 4,
        "Undelivered": 4,
    }
    # Only the message refused at submit was refunded.
    end = Decimal(str((await client.get("/accounts/me/balance", headers=auth)).json()["balance"]))
    assert end == start - 8 * GR
    for account in await services.accounts.list():
        stored, ledger_total = await services.accounts.ledger_balance(account.id)
        assert stored == ledger_total
    async with services.db.read() as conn:
        parts = (await conn.execute(select(sms_parts.c.status))).scalars().all()
    assert len(parts) == 9
