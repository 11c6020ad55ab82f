"""Parsing amounts and converting prices: exact, strict, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smscast.domain.money import convert_from_eur, currency, parse_amount
from smscast.errors import ValidationFailed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", Decimal("1")),
        (" 12.5 ", Decimal("12.5")),
        ("0.000001", Decimal("0.000001")),
        (7, Decimal(7)),
        (Decimal("3.10"), Decimal("3.1")),
        ("1e2", Decimal(100)),
    ],
)
def test_parse_amount_accepts(raw: str | int | Decimal, expected: Decimal):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "not a number"),
        ("ten", "not a number"),
        ("NaN", "not finite"),
        ("-Infinity", "not finite"),
        ("0.0000001", "too precise"),
        ("0", "not positive"),
        ("-3", "not positive"),
        ("1000000001", "too large"),
    ],
)
def test_parse_amount_refuses(raw: str, problem: str):
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(raw, field="balance")
    assert caught.value.properties == {"balance": problem}


def test_zero_allowed_when_not_required_positive():
    assert parse_amount("0", positive=False) == 0
    with pytest.raises(ValidationFailed):
        parse_amount("-1", positive=False)


def test_conversion_rounds_half_up_to_six_places():
    assert convert_from_eur(Decimal("0.0435"), Decimal("1.08")) == Decimal("0.046980")
    assert convert_from_eur(Decimal("0.0000005"), Decimal(1)) == Decimal("0.000001")


def test_currency_names():
    assert currency("eur").sign == "€"
    assert currency("XAF").name == "XAF"
