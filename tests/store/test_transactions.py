"""The two kinds of read: ``read()`` is one snapshot on both databases (figures read together
agree); ``read_latest()`` opens no transaction on PostgreSQL, so each statement sees the
latest commit (lookups on a hot path, saving BEGIN and COMMIT)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smscast.services.runtime import Services
from smscast.store import accounts as account_queries
from tests.conftest import MakeAccount


async def _balance_before_and_after_a_top_up(
    services: Services, make_account: MakeAccount, *, latest: bool
) -> tuple[Decimal, Decimal]:
    account_id = (await make_account(balance=Decimal(5))).account_id
    read = services.db.read_latest() if latest else services.db.read()
    async with read as conn:
        before = await account_queries.get_account(conn, account_id)
        # Committed on another connection between the two statements.
        await services.accounts.top_up(account_id, Decimal(1))
        after = await account_queries.get_account(conn, account_id)
    assert before is not None
    assert after is not None
    return before.balance, after.balance


async def test_read_is_one_snapshot(services: Services, make_account: MakeAccount):
    before, after = await _balance_before_and_after_a_top_up(services, make_account, latest=False)
    assert before == after == Decimal(5)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_read_latest_sees_each_commit_on_postgres(
    services: Services, make_account: MakeAccount
):
    before, after = await _balance_before_and_after_a_top_up(services, make_account, latest=True)
    assert (before, after) == (Decimal(5), Decimal(6))
