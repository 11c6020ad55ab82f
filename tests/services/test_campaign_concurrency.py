"""Campaigns accepted at the same time: the balance and the name stay right on both databases."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from smscast.errors import DuplicateCampaignName, InsufficientBalance
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import Services
from smscast.store.tables import messages
from smscast.types import AccountId, ApplicationId
from tests.conftest import MakeAccount

GR = Decimal("0.0430")


def principal(account_id: str, application_id: str) -> Principal:
    return Principal(AccountId(account_id), ApplicationId(application_id), frozenset({"sms"}))


async def test_concurrent_campaigns_never_overdraw(services: Services, make_account: MakeAccount):
    # Room for 7 campaigns of 3 messages (0.129 each) in 1.00; 20 try at once.
    creds = await make_account(balance=Decimal("1.00"))
    caller = principal(creds.account_id, creds.application_id)
    numbers = ("+306912345600", "+306912345601", "+306912345602")

    async def one(n: int) -> str:
        request = CampaignRequest(sender="Shop", body=f"Offer {n}", to=numbers)
        try:
            await services.campaigns.create(caller, request)
        except InsufficientBalance:
            return "refused"
        return "accepted"

    outcomes = await asyncio.gather(*(one(n) for n in range(20)))
    assert outcomes.count("accepted") == 7
    assert outcomes.count("refused") == 13
    stored, ledger_total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert stored == ledger_total == Decimal("1.00") - 7 * 3 * GR
    assert stored >= 0
    # Refused campaigns left nothing: exactly the accepted campaigns' messages exist.
    async with services.db.read() as conn:
        count = await conn.execute(select(func.count()).select_from(messages))
        assert count.scalar() == 7 * 3


async def test_same_name_at_once_one_wins(services: Services, make_account: MakeAccount):
    creds = await make_account()
    caller = principal(creds.account_id, creds.application_id)
    request = CampaignRequest(sender="Shop", body="Hi", to=("+306912345600",), name="Launch")

    async def one() -> str:
        try:
            await services.campaigns.create(caller, request)
        except DuplicateCampaignName:
            return "409"
        return "200"

    assert sorted(await asyncio.gather(one(), one())) == ["200", "409"]
    stored, ledger_total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert stored == ledger_total == Decimal(100) - GR
