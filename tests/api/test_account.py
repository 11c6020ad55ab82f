"""Balance, transactions (the ledger, paged) and the price list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx

from smscast.clock import FakeClock
from smscast.services.runtime import Services
from tests.conftest import GetToken, MakeAccount, bearer


async def test_balance(client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken):
    token = await get_token(await make_account(balance=Decimal("42.5")))
    response = await client.get("/accounts/me/balance", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "balance": 42.5,
        "currency": {"code": "EUR", "name": "Euro", "sign": "€"},
    }


async def test_balance_is_per_account(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken, services: Services
):
    rich = await make_account(balance=Decimal(1000))
    poor = await make_account(balance=Decimal(1))
    await services.accounts.top_up(poor.account_id, Decimal("0.25"))
    rich_body = await client.get("/accounts/me/balance", headers=bearer(await get_token(rich)))
    poor_body = await client.get("/accounts/me/balance", headers=bearer(await get_token(poor)))
    assert rich_body.json()["balance"] == 1000
    assert poor_body.json()["balance"] == 1.25


async def test_transactions_page_newest_first(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    creds = await make_account(balance=Decimal(10))
    for amount in ("1", "2", "3", "4"):
        clock.advance(timedelta(minutes=1))
        await services.accounts.top_up(creds.account_id, Decimal(amount))
    token = await get_token(creds)
    first = (
        await client.get("/accounts/me/transactions?page=0&size=2", headers=bearer(token))
    ).json()
    assert first["totalElements"] == 5
    assert first["totalPages"] == 3
    assert first["first"] is True
    assert first["last"] is False
    assert first["number"] == 0
    assert first["size"] == 2
    assert first["numberOfElements"] == 2
    newest = first["content"][0]
    assert newest["amount"] == 4
    assert newest["balanceBefore"] == 16
    assert newest["balanceAfter"] == 20
    assert newest["transactionType"] == "Payment"
    assert newest["date"].endswith("Z")
    last = (
        await client.get("/accounts/me/transactions?page=2&size=2", headers=bearer(token))
    ).json()
    assert last["last"] is True
    assert last["numberOfElements"] == 1
    assert last["content"][0]["description"] == "opening balance"
    assert last["content"][0]["balanceBefore"] == 0


async def test_transactions_filter_by_date(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    creds = await make_account(balance=Decimal(10))  # at 12:00
    clock.advance(timedelta(hours=2))
    await services.accounts.top_up(creds.account_id, Decimal(5))  # at 14:00
    token = await get_token(creds)
    later = await client.get(
        "/accounts/me/transactions?from=2026-01-01T13:00:00Z", headers=bearer(token)
    )
    assert [e["amount"] for e in later.json()["content"]] == [5]
    earlier = await client.get(
        "/accounts/me/transactions?to=2026-01-01T13:00:00%2B00:00", headers=bearer(token)
    )
    assert [e["amount"] for e in earlier.json()["content"]] == [10]


async def test_transactions_of_another_account_are_invisible(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken, services: Services
):
    mine = await make_account(balance=Decimal(10))
    theirs = await make_account(balance=Decimal(99))
    await services.accounts.top_up(theirs.account_id, Decimal(1))
    body = (
        await client.get("/accounts/me/transactions", headers=bearer(await get_token(mine)))
    ).json()
    assert body["totalElements"] == 1
    assert body["content"][0]["amount"] == 10


async def test_prices_cover_every_country(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account())
    body = (await client.get("/system/prices", headers=bearer(token))).json()
    assert body["currency"]["code"] == "EUR"
    isos = {c["iso"] for c in body["sms"]}
    assert len(isos) == 245
    greece = next(c for c in body["sms"] if c["iso"] == "GR")
    assert greece["mcc"] == "202"
    assert greece["country"] == "Greece"
    assert greece["networks"][0]["price"] == 0.043


async def test_prices_filtered_by_mcc_and_converted(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account())
    eur = (await client.get("/system/prices?mcc=262", headers=bearer(token))).json()
    assert [c["iso"] for c in eur["sms"]] == ["DE"]
    usd = (await client.get("/system/prices?mcc=262&currency=USD", headers=bearer(token))).json()
    assert usd["currency"] == {"code": "USD", "name": "US Dollar", "sign": "$"}
    assert usd["sms"][0]["networks"][0]["price"] == round(0.075 * 1.08, 6)
    unknown = await client.get("/system/prices?currency=XYZ", headers=bearer(token))
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "400000000"
    bad_mcc = await client.get("/system/prices?mcc=12", headers=bearer(token))
    assert bad_mcc.status_code == 400


async def test_account_price_overrides_and_network_prices(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken, services: Services
):
    special = await make_account()
    ordinary = await make_account()
    await services.prices.import_lines(
        ["iso,mcc,mnc,network,price", "GR,202,,,0.0300", "GR,202,01,Cosmote,0.0250"],
        special.account_id,
    )
    special_token = await get_token(special)
    greece = (await client.get("/system/prices?mcc=202", headers=bearer(special_token))).json()
    networks = {n["mnc"]: n for n in greece["sms"][0]["networks"]}
    assert networks[""]["price"] == 0.03
    assert networks["01"] == {"network": "Cosmote", "mnc": "01", "price": 0.025}
    cosmote = (
        await client.get("/system/prices?mcc=202&mnc=01", headers=bearer(special_token))
    ).json()
    assert [n["price"] for n in cosmote["sms"][0]["networks"]] == [0.025]
    vodafone = (
        await client.get("/system/prices?mcc=202&mnc=05", headers=bearer(special_token))
    ).json()
    assert [n["price"] for n in vodafone["sms"][0]["networks"]] == [0.03]
    # Other accounts keep the installation price.
    other = (
        await client.get("/system/prices?mcc=202", headers=bearer(await get_token(ordinary)))
    ).json()
    assert [n["price"] for n in other["sms"][0]["networks"]] == [0.043]
