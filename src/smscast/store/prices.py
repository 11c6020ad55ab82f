"""Queries on price lists: the installation's list and each account's overrides."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from sqlalchemy import Row, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.prices import PriceRow
from smscast.store.tables import INSTALLATION_SCOPE, prices
from smscast.types import AccountId


def _price(row: Row[tuple[object, ...]]) -> PriceRow:
    m = row._mapping
    return PriceRow(
        country=m["country"],
        mcc=m["mcc"],
        mnc=m["mnc"],
        network=m["network"],
        price=m["price"],
        country_name=m["country_name"],
    )


async def replace_price_list(
    conn: AsyncConnection, rows: Sequence[PriceRow], account_id: AccountId | None = None
) -> None:
    """Swap a whole list (the installation's, or one account's overrides) in one go."""
    scope = account_id or INSTALLATION_SCOPE
    await conn.execute(delete(prices).where(prices.c.scope == scope))
    if rows:
        await conn.execute(
            prices.insert(),
            [
                {
                    "scope": scope,
                    "country": r.country,
                    "mcc": r.mcc,
                    "mnc": r.mnc,
                    "network": r.network,
                    "country_name": r.country_name,
                    "price": r.price,
                }
                for r in rows
            ],
        )


async def count_prices(conn: AsyncConnection, account_id: AccountId | None = None) -> int:
    scope = account_id or INSTALLATION_SCOPE
    return (
        await conn.execute(select(func.count()).select_from(prices).where(prices.c.scope == scope))
    ).scalar_one()


async def effective_prices(
    conn: AsyncConnection, account_id: AccountId, *, mcc: str | None = None
) -> list[PriceRow]:
    """The account's prices: its overrides where it has them, the installation's elsewhere.

    An override replaces the installation price of the same country and network.
    """
    query = select(prices).where(prices.c.scope.in_((INSTALLATION_SCOPE, account_id)))
    if mcc is not None:
        query = query.where(prices.c.mcc == mcc)
    rows = await conn.execute(query.order_by(prices.c.country, prices.c.mnc))
    chosen: dict[tuple[str, str], PriceRow] = {}
    for row in rows:
        key = (row.country, row.mnc)
        if row.scope == account_id or key not in chosen:
            chosen[key] = _price(row)
    return list(chosen.values())


# Built once, with parameters: read by every accepted request (see store.accounts).
_COUNTRY_PRICES = select(prices.c.scope, prices.c.country, prices.c.price).where(
    prices.c.scope.in_([INSTALLATION_SCOPE, bindparam("account")]), prices.c.mnc == ""
)
_PRICES_OF_COUNTRIES = _COUNTRY_PRICES.where(
    prices.c.country.in_(bindparam("countries", expanding=True))
)


async def country_prices(
    conn: AsyncConnection, account_id: AccountId, countries: Collection[str] | None
) -> dict[str, Decimal]:
    """The country-wide price per SMS part (EUR) of each country (None: every country),
    overrides first."""
    if countries is None:
        rows = await conn.execute(_COUNTRY_PRICES, {"account": account_id})
    elif countries:
        rows = await conn.execute(
            _PRICES_OF_COUNTRIES, {"account": account_id, "countries": sorted(countries)}
        )
    else:
        return {}
    chosen: dict[str, Decimal] = {}
    for scope, country, price in rows:
        if scope == account_id or country not in chosen:
            chosen[country] = price
    return chosen
