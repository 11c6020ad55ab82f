"""Accounts and money: every movement is a ledger entry; balance = sum of the ledger, always."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from smscast.errors import NotFoundInStore, ValidationFailed
from smscast.services.runtime import Services
from smscast.store import accounts as q
from smscast.types import LedgerKind
from tests.conftest import MakeAccount


async def test_create_records_opening_balance_in_ledger(services: Services):
    created = await services.accounts.create("acme", balance=Decimal("25.75"))
    assert created.account.balance == Decimal("25.75")
    page = await services.accounts.transactions(created.account.id)
    assert page.total == 1
    entry = page.entries[0]
    assert entry.kind is LedgerKind.TOPUP
    assert (entry.amount, entry.balance_before, entry.balance_after) == (
        Decimal("25.75"),
        Decimal(0),
        Decimal("25.75"),
    )
    assert await services.accounts.ledger_balance(created.account.id) == (
        Decimal("25.75"),
        Decimal("25.75"),
    )


async def test_zero_opening_balance_writes_no_entry(services: Services):
    created = await services.accounts.create("empty")
    assert (await services.accounts.transactions(created.account.id)).total == 0
    assert await services.accounts.ledger_balance(created.account.id) == (Decimal(0), Decimal(0))


async def test_duplicate_name_is_refused_and_nothing_written(services: Services):
    await services.accounts.create("acme", balance=Decimal(1))
    with pytest.raises(ValidationFailed, match="already exists"):
        await services.accounts.create("acme", balance=Decimal(5))
    accounts = await services.accounts.list()
    assert [a.name for a in accounts] == ["acme"]


@pytest.mark.parametrize(
    "amount", ["-1", "0", "abc", "1.0000001", "NaN", "Infinity", "10000000000"]
)
async def test_bad_top_up_amounts(services: Services, make_account: MakeAccount, amount: str):
    creds = await make_account(balance=Decimal(1))
    with pytest.raises(ValidationFailed):
        await services.accounts.top_up(creds.account_id, amount)
    assert await services.accounts.ledger_balance(creds.account_id) == (Decimal(1), Decimal(1))


async def test_top_up_by_name_and_unknown_account(services: Services):
    await services.accounts.create("acme")
    entry = await services.accounts.top_up("acme", "0.000001")
    assert entry.balance_after == Decimal("0.000001")
    with pytest.raises(NotFoundInStore):
        await services.accounts.top_up("nobody", "1")


async def test_currency_needs_an_exchange_rate(services: Services):
    usd = await services.accounts.create("yankee", currency="usd")
    assert usd.account.currency == "USD"
    with pytest.raises(ValidationFailed, match="exchange rate"):
        await services.accounts.create("zloty", currency="PLN")


async def test_concurrent_top_ups_keep_ledger_equal_to_balance(
    services: Services, make_account: MakeAccount
):
    creds = await make_account(balance=Decimal(0))
    amounts = [Decimal(n) / 100 for n in range(1, 41)]
    await asyncio.gather(*(services.accounts.top_up(creds.account_id, a) for a in amounts))
    balance, ledger_total = await services.accounts.ledger_balance(creds.account_id)
    assert balance == ledger_total == sum(amounts)
    # Each entry continues exactly where the previous one left the balance.
    page = await services.accounts.transactions(creds.account_id, size=100)
    chain = sorted(page.entries, key=lambda e: e.balance_after)
    previous = Decimal(0)
    for entry in chain:
        assert entry.balance_before == previous
        assert entry.balance_after == entry.balance_before + entry.amount
        previous = entry.balance_after


async def test_concurrent_charges_never_go_below_zero(
    services: Services, make_account: MakeAccount
):
    creds = await make_account(balance=Decimal(100))

    async def charge() -> bool:
        async with services.db.write() as conn:
            moved = await q.move_balance(conn, creds.account_id, Decimal(-30))
            if moved is None:
                return False
            before, after = moved
            await q.insert_ledger_entry(
                conn,
                account_id=creds.account_id,
                kind=LedgerKind.CHARGE,
                amount=Decimal(-30),
                balance_before=before,
                balance_after=after,
                created_at=services.clock.now(),
            )
            return True

    results = await asyncio.gather(*(charge() for _ in range(20)))
    assert sum(results) == 3
    balance, ledger_total = await services.accounts.ledger_balance(creds.account_id)
    assert balance == ledger_total == Decimal(10)


async def test_huge_amounts_are_refused_cleanly(services: Services, make_account: MakeAccount):
    creds = await make_account(balance=Decimal(1))
    for amount in ("1e23", "1e30", "-1e40"):
        with pytest.raises(ValidationFailed):
            await services.accounts.top_up(creds.account_id, amount)


async def test_balance_is_capped_so_json_numbers_stay_exact(
    services: Services, make_account: MakeAccount
):
    creds = await make_account(balance=Decimal(999_999_999))
    await services.accounts.top_up(creds.account_id, Decimal(1))
    with pytest.raises(ValidationFailed, match="cannot exceed"):
        await services.accounts.top_up(creds.account_id, Decimal("0.000001"))
    balance, ledger_total = await services.accounts.ledger_balance(creds.account_id)
    assert balance == ledger_total == Decimal(1_000_000_000)


async def test_reads_see_one_snapshot_during_concurrent_top_ups(
    services: Services, make_account: MakeAccount
):
    creds = await make_account(balance=Decimal(0))
    mismatches = 0
    stop = asyncio.Event()

    async def check() -> None:
        nonlocal mismatches
        while not stop.is_set():
            balance, ledger_total = await services.accounts.ledger_balance(creds.account_id)
            mismatches += balance != ledger_total
            await asyncio.sleep(0)

    checker = asyncio.create_task(check())
    await asyncio.gather(
        *(services.accounts.top_up(creds.account_id, Decimal("0.01")) for _ in range(60))
    )
    stop.set()
    await checker
    assert mismatches == 0
    assert (await services.accounts.ledger_balance(creds.account_id))[0] == Decimal("0.60")
