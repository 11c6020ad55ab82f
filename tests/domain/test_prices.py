"""The price CSV format, the shipped default list, and choosing a network's price."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
import pytest

from smscast.domain.prices import PriceListError, PriceRow, choose_price, parse_price_csv
from smscast.services.prices import default_price_lines


def test_default_list_covers_every_region_phonenumbers_knows():
    rows = parse_price_csv(default_price_lines())
    regions = {r for r in phonenumbers.SUPPORTED_REGIONS if r != "001"}
    assert {r.country for r in rows} == regions
    assert all(r.price > 0 and len(r.mcc) == 3 and r.country_name for r in rows)
    by_iso = {r.country: r for r in rows}
    assert (by_iso["GR"].mcc, by_iso["GR"].price) == ("202", Decimal("0.0430"))
    assert by_iso["US"].mcc == "310"


def test_parse_with_optional_columns_and_bom_free_header_case():
    rows = parse_price_csv(["ISO,MCC,MNC,Network,Price", "gr,202,01,Cosmote,0.03", "GR,202,,,0.04"])
    assert rows == [
        PriceRow("GR", "202", Decimal("0.03"), "01", "Cosmote"),
        PriceRow("GR", "202", Decimal("0.04"), "", ""),
    ]


def test_every_bad_line_is_reported_and_nothing_is_returned():
    with pytest.raises(PriceListError) as caught:
        parse_price_csv(
            [
                "iso,mcc,price",
                "GR,202,0.04",
                "GRC,202,0.04",
                "DE,26,0.07",
                "FR,208,free",
                "IT,222,-1",
                "GR,202,0.05",
            ]
        )
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "duplicate" in problems[-1]


def test_missing_columns_and_empty_file():
    with pytest.raises(PriceListError, match="lacks column"):
        parse_price_csv(["iso,price", "GR,0.04"])
    with pytest.raises(PriceListError, match="no prices"):
        parse_price_csv(["iso,mcc,price"])


def test_choose_price_prefers_the_network():
    country = PriceRow("GR", "202", Decimal("0.04"))
    cosmote = PriceRow("GR", "202", Decimal("0.03"), "01", "Cosmote")
    assert choose_price([country, cosmote], "01") == cosmote
    assert choose_price([country, cosmote], "05") == country
    assert choose_price([country, cosmote], None) == country
    assert choose_price([cosmote], "05") is None
