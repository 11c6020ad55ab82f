"""Queries on price lists: the installation's list and each account's overrides."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.prices import PriceRow
from smscast.store.tables import INSTALLATION_SCOPE, accounts, applications, prices
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


@dataclass(frozen=True, slots=True)
class SenderPricing:
    """What accepting messages reads first: the account's currency, the sending
    application's transcoding policy (None: the application is gone) and the country-wide
    prices (EUR) the account pays."""

    currency: str
    transcode: str | None
    eur_prices: dict[str, Decimal]


def _sender_pricing(of_countries: bool) -> Select[Any]:
    on = [prices.c.scope.in_([INSTALLATION_SCOPE, accounts.c.id]), prices.c.mnc == ""]
    if of_countries:
        on.append(prices.c.country.in_(bindparam("countries", expanding=True)))
    joined = accounts.outerjoin(
        applications,
        and_(
            applications.c.id == bindparam("application"),
            applications.c.account_id == accounts.c.id,
        ),
    )
    return (
        select(
            accounts.c.currency, applications.c.transcode,
            prices.c.scope, prices.c.country, prices.c.price,
        )
        .select_from(joined.outerjoin(prices, and_(*on)))
        .where(accounts.c.id == bindparam("account"))
    )  # fmt: skip


# One statement, built once: every accepted request reads these, and a statement costs
# SQLAlchemy more to build than to run (see store.accounts).
_SENDER_PRICING = _sender_pricing(of_countries=False)
_SENDER_PRICING_OF_COUNTRIES = _sender_pricing(of_countries=True)


async def sender_pricing(
    conn: AsyncConnection,
    account_id: AccountId,
    application_id: str,
    countries: Collection[str] | None,
) -> SenderPricing | None:
    """The country-wide price per SMS part (EUR) of ``countries`` (None: all), the account's
    override first, with the account's currency and the application's policy, in one
    statement; None when there is no such account."""
    params: dict[str, Any] = {"account": account_id, "application": application_id}
    query = _SENDER_PRICING
    if countries is not None:
        query = _SENDER_PRICING_OF_COUNTRIES
        params["countries"] = sorted(countries)
    rows = (await conn.execute(query, params)).all()
    if not rows:
        return None
    chosen: dict[str, Decimal] = {}
    for row in rows:
        if row.country is None:
            continue  # no price at all (the outer join's empty side)
        if row.scope == account_id or row.country not in chosen:
            chosen[row.country] = row.price
    return SenderPricing(rows[0].currency, rows[0].transcode, chosen)
