"""Fixtures for the API tests: bearer headers of two unrelated accounts, and a campaign
poster that checks every accepted campaign against the rows it stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smscast.services.runtime import Services
from smscast.store import campaigns as campaign_queries
from smscast.store.tables import campaigns, messages
from tests.conftest import GetToken, MakeAccount, bearer


@pytest.fixture
async def auth(make_account: MakeAccount, get_token: GetToken) -> dict[str, str]:
    """An account's bearer header, every scope."""
    return bearer(await get_token(await make_account()))


@pytest.fixture
async def other(make_account: MakeAccount, get_token: GetToken) -> dict[str, str]:
    """A second account's bearer header, for tenancy checks."""
    return bearer(await get_token(await make_account()))


PostCampaign = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def post_campaign(client: httpx.AsyncClient, services: Services) -> PostCampaign:
    """POST /sms/campaign expecting 200, then check the acceptance invariant on the stored
    rows: one message per recipient, the counters and the charge agree with the answer."""

    async def post(body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        response = await client.post("/sms/campaign", json=body, headers=headers)
        assert response.status_code == 200, response.text
        campaign: dict[str, Any] = response.json()
        await check_stored(services, campaign)
        return campaign

    return post


async def check_stored(services: Services, campaign: dict[str, Any]) -> None:
    """Messages stored = recipients accepted; statuses and cost match the stored messages."""
    async with services.db.read() as conn:
        row = (
            await conn.execute(
                select(
                    campaigns.c.pk, campaigns.c.account_id, campaigns.c.cost, campaigns.c.prices
                ).where(campaigns.c.id == campaign["trackingId"])
            )
        ).one()
        stored, reminders = await campaign_queries.count_messages(conn, row.pk)
        statuses = await campaign_queries.message_statuses(conn, row.pk)
        priced = (
            await conn.execute(
                select(messages.c.parts, messages.c.country).where(messages.c.campaign_pk == row.pk)
            )
        ).all()
        paid = await campaign_queries.net_charge(conn, row.account_id, campaign["trackingId"])
    assert stored == campaign["totalMessages"] == campaign["smsAnalysis"]["numberOfRecipients"]
    assert {k: v for k, v in campaign["statuses"].items() if v} == statuses
    assert (
        sum(parts * Decimal(row.prices[country]) for parts, country in priced) == row.cost == paid
    )
    assert Decimal(str(campaign["cost"])) == row.cost
    expected_reminders = 0
    if "reminder" in campaign:
        times = ("minutesBefore" in campaign["reminder"] and "scheduledDate" in campaign) + (
            "minutesAfter" in campaign["reminder"]
        )
        expected_reminders = times * len(set(campaign["reminder"]["to"]))
    assert reminders == expected_reminders
