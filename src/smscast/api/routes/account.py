"""Account endpoints: balance, transactions (the ledger) and the price list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from smscast.api.deps import AccountCaller, ServicesDep
from smscast.api.errors import validation_failed
from smscast.api.formats import parse_instant
from smscast.api.pages import PageDep, page_body
from smscast.api.routing import SafeTextRoute
from smscast.api.schemas import (
    BalanceOut,
    CountryPricesOut,
    CurrencyOut,
    NetworkPriceOut,
    PricesOut,
    TransactionOut,
)
from smscast.domain.money import currency
from smscast.errors import ValidationFailed

router = APIRouter(tags=["account"], route_class=SafeTextRoute)


@router.get("/accounts/me/balance", response_model=BalanceOut)
async def balance(principal: AccountCaller, services: ServicesDep) -> BalanceOut:
    account = await services.accounts.get(principal.account_id)
    return BalanceOut(balance=account.balance, currency=CurrencyOut.of(currency(account.currency)))


@router.get("/accounts/me/transactions")
async def transactions(
    principal: AccountCaller,
    services: ServicesDep,
    paging: PageDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    try:
        since, until = parse_instant(from_), parse_instant(to)
    except ValueError as exc:
        raise ValidationFailed(str(exc), properties={"from/to": str(exc)}) from None
    page = await services.accounts.transactions(
        principal.account_id, since=since, until=until, page=paging.page, size=paging.size
    )
    content = [
        TransactionOut(
            id=str(e.id),
            transaction_type=e.kind.value,
            source="Campaign" if e.campaign_id else ("Sms" if e.message_id else "Account"),
            amount=e.amount,
            status="Completed",
            balance_before=e.balance_before,
            balance_after=e.balance_after,
            description=e.description,
            campaign_tracking_id=e.campaign_id,
            message_id=e.message_id,
            date=e.created_at,
        ).model_dump(mode="json")
        for e in page.entries
    ]
    return page_body(content, page.total, paging)


@router.get("/system/prices", response_model=PricesOut)
async def prices(
    principal: AccountCaller,
    services: ServicesDep,
    mcc: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    mnc: Annotated[str | None, Query(pattern=r"^\d{2,3}$")] = None,
    service: Annotated[str, Query()] = "Sms",
    currency_code: Annotated[str | None, Query(alias="currency", pattern=r"^[A-Za-z]{3}$")] = None,
) -> PricesOut:
    if service.lower() != "sms":
        raise validation_failed([{"loc": ("query", "service"), "msg": "only Sms is priced"}])
    quote = await services.prices.quote(
        principal.account_id, mcc=mcc, mnc=mnc, currency_code=currency_code
    )
    by_country: dict[str, CountryPricesOut] = {}
    for row in quote.rows:
        entry = by_country.setdefault(
            row.country,
            CountryPricesOut(
                mcc=row.mcc, country=row.country_name or row.country, iso=row.country, networks=[]
            ),
        )
        entry.networks.append(
            NetworkPriceOut(network=row.network or "All networks", mnc=row.mnc, price=row.price)
        )
    return PricesOut(sms=list(by_country.values()), currency=CurrencyOut.of(quote.currency))
