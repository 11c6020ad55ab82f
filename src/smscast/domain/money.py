"""Exact money: parsing amounts, currencies, conversion from the EUR price lists."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from smscast.errors import ValidationFailed

PLACES = 6
QUANTUM = Decimal(1).scaleb(-PLACES)
PRICE_CURRENCY = "EUR"
# Far above any real balance. Every amount and balance stays at most 1e9 with 6 places:
# 1e15 millionths < 2**53, so a JSON number (a double) carries it exactly.
MAX_AMOUNT = Decimal("1000000000")
MAX_BALANCE = MAX_AMOUNT


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    name: str
    sign: str


_CURRENCIES = {
    c.code: c
    for c in (
        Currency("EUR", "Euro", "€"),
        Currency("USD", "US Dollar", "$"),
        Currency("GBP", "British Pound", "£"),
        Currency("CHF", "Swiss Franc", "CHF"),
        Currency("SEK", "Swedish Krona", "kr"),
        Currency("NOK", "Norwegian Krone", "kr"),
        Currency("DKK", "Danish Krone", "kr"),
        Currency("PLN", "Polish Zloty", "zł"),
        Currency("CZK", "Czech Koruna", "Kč"),
        Currency("RON", "Romanian Leu", "lei"),
        Currency("HUF", "Hungarian Forint", "Ft"),
        Currency("TRY", "Turkish Lira", "₺"),
        Currency("CAD", "Canadian Dollar", "$"),
        Currency("AUD", "Australian Dollar", "$"),
        Currency("JPY", "Japanese Yen", "¥"),
        Currency("INR", "Indian Rupee", "₹"),
        Currency("BRL", "Brazilian Real", "R$"),
        Currency("ZAR", "South African Rand", "R"),
    )
}


def currency(code: str) -> Currency:
    """The currency with ISO 4217 ``code``; unknown codes are still usable, named by code."""
    code = code.upper()
    return _CURRENCIES.get(code, Currency(code, code, code))


def parse_amount(
    raw: str | int | Decimal, *, field: str = "amount", positive: bool = True
) -> Decimal:
    """A money amount from user input: a plain decimal with at most 6 places."""
    try:
        amount = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{field} must be a decimal number", properties={field: "not a number"}
        ) from None
    if not amount.is_finite():
        raise ValidationFailed(f"{field} must be finite", properties={field: "not finite"})
    if abs(amount) > MAX_AMOUNT:  # before quantize, which fails past 28 digits
        raise ValidationFailed(f"{field} is too large", properties={field: "too large"})
    if amount.quantize(QUANTUM, rounding=ROUND_HALF_UP) != amount:
        raise ValidationFailed(
            f"{field} has more than {PLACES} decimal places", properties={field: "too precise"}
        )
    if positive and amount <= 0:
        raise ValidationFailed(f"{field} must be positive", properties={field: "not positive"})
    if amount < 0:
        raise ValidationFailed(f"{field} must not be negative", properties={field: "negative"})
    if amount > MAX_AMOUNT:
        raise ValidationFailed(f"{field} is too large", properties={field: "too large"})
    return amount.quantize(QUANTUM)


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(QUANTUM, rounding=ROUND_HALF_UP)


def convert_from_eur(amount_eur: Decimal, rate: Decimal) -> Decimal:
    """An EUR amount in a currency worth ``rate`` units per EUR, rounded to 6 places."""
    return round_money(amount_eur * rate)
