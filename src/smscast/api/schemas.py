"""Wire schemas: Routee's field names and shapes, independent of the tables behind them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from smscast.api.formats import Instant, MoneyOut
from smscast.domain.money import Currency


class Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class CurrencyOut(Wire):
    code: str
    name: str
    sign: str

    @classmethod
    def of(cls, currency: Currency) -> CurrencyOut:
        return cls(code=currency.code, name=currency.name, sign=currency.sign)


class BalanceOut(Wire):
    balance: MoneyOut
    currency: CurrencyOut


class TransactionOut(Wire):
    id: str
    transaction_type: str = Field(alias="transactionType")
    source: str
    amount: MoneyOut
    status: str
    balance_before: MoneyOut = Field(alias="balanceBefore")
    balance_after: MoneyOut = Field(alias="balanceAfter")
    description: str
    campaign_tracking_id: str | None = Field(default=None, alias="campaignTrackingId")
    message_id: str | None = Field(default=None, alias="messageId")
    date: Instant


class NetworkPriceOut(Wire):
    network: str
    mnc: str
    price: MoneyOut


class CountryPricesOut(Wire):
    mcc: str
    country: str
    iso: str
    networks: list[NetworkPriceOut]


class PricesOut(Wire):
    sms: list[CountryPricesOut]
    currency: CurrencyOut


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str
    permissions: list[str]
