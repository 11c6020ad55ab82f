"""Wire schemas: Routee's field names and shapes, independent of the tables behind them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from smscast.api.formats import Instant, MoneyOut
from smscast.domain.analysis import BodyAnalysis
from smscast.domain.money import Currency
from smscast.services.contacts import ContactView


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


class TranscodeOut(Wire):
    message: str
    parts: int


class BodyAnalysisOut(Wire):
    characters: int
    parts: int
    unicode: bool
    unsupported_gsm_characters: list[str] = Field(alias="unsupportedGSMCharacters")
    transcode: TranscodeOut | None = None

    @classmethod
    def of(cls, analysis: BodyAnalysis) -> BodyAnalysisOut:
        offer = analysis.transcode
        return cls(
            characters=analysis.characters,
            parts=analysis.parts,
            unicode=analysis.unicode,
            unsupported_gsm_characters=list(analysis.unsupported_gsm_characters),
            transcode=TranscodeOut(message=offer.message, parts=offer.parts) if offer else None,
        )


class AnalyzeOut(Wire):
    body_analysis: BodyAnalysisOut = Field(alias="bodyAnalysis")
    cost: MoneyOut


class Lenient(BaseModel):
    """Request bodies: unknown fields ignored, numbers accepted as strings."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", coerce_numbers_to_str=False)


class AnalyzeIn(Lenient):
    sender: str | None = Field(default=None, alias="from")
    body: str | None = None
    to: str | None = None
    transcode: bool | None = None


class LabelValueOut(Wire):
    name: str
    type: str
    value: str | int | float


class ContactOut(Wire):
    id: str
    first_name: str = Field(alias="firstName")
    last_name: str = Field(alias="lastName")
    mobile: str
    email: str
    country: str
    vip: bool
    groups: list[str]
    blacklisted_services: list[str] = Field(alias="blacklistedServices")
    labels: list[LabelValueOut]

    @classmethod
    def of(cls, view: ContactView) -> ContactOut:
        c = view.contact
        return cls(
            id=c.id,
            first_name=c.first_name,
            last_name=c.last_name,
            mobile=c.mobile,
            email=c.email,
            country=c.country,
            vip=c.vip,
            groups=view.groups,
            blacklisted_services=view.blacklisted_services,
            labels=[
                LabelValueOut(name=name, type=view.label_types.get(name, "Text"), value=value)
                for name, value in c.labels.items()
            ],
        )


class GroupOut(Wire):
    name: str
    size: int


class UpdatedOut(Wire):
    updated: int
