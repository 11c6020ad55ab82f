"""The quiet-hours country list: names per language, fallbacks, order, and zone support."""

from __future__ import annotations

import string
from collections.abc import Iterator

import phonenumbers
import pytest

from smscast.domain import countries as countries_module
from smscast.domain import quiet_hours
from smscast.domain.countries import Country, countries
from smscast.domain.numbers import calling_code_time_zones


def by_code(language: str) -> dict[str, Country]:
    return {country.code: country for country in countries(language)}


def test_greece_in_greek():
    assert by_code("el")["GR"] == Country("GR", "Greece", "Ελλάδα", supported=True)


@pytest.mark.parametrize(
    ("language", "germany"),
    [
        ("de", "Deutschland"),
        ("el", "Γερμανία"),
        ("fr", "Allemagne"),
        ("es", "Alemania"),
        ("it", "Germania"),
        ("en", "Germany"),
    ],
)
def test_germany_in_several_languages(language: str, germany: str):
    found = by_code(language)["DE"]
    assert found.name == "Germany"
    assert found.locale_name == germany


@pytest.mark.parametrize(
    "language", ["el", "EL", "El", "el-GR", "el_GR", "el-gr", " el ", "el-Grek-GR"]
)
def test_only_the_primary_language_counts(language: str):
    assert by_code(language)["GR"].locale_name == "Ελλάδα"


def test_portuguese_of_brazil_falls_back_to_portuguese():
    assert by_code("pt_BR")["DE"].locale_name == "Alemanha"
    assert by_code("pt-BR") == by_code("pt")


@pytest.mark.parametrize("language", ["xx", "", " ", "-", "_GR", "zz-ZZ", "english", "😀"])
def test_unknown_language_gives_english_names(language: str):
    listed = countries(language)
    assert listed == countries("en")
    assert all(country.locale_name == country.name for country in listed)


def test_english_is_english():
    assert all(country.locale_name == country.name for country in countries("en"))


def test_every_two_letter_language_gives_a_name_for_every_country():
    # Exhaustive over the shape of ISO 639-1: the shipped table has names that point at another
    # language's ("*aa") and one that points at itself (Samoa in Chinese); none may leak out.
    english = countries("en")
    for first in string.ascii_lowercase:
        for second in string.ascii_lowercase:
            listed = countries(first + second)
            assert [c.code for c in listed] == [c.code for c in english]
            for country in listed:
                assert country.locale_name, (first + second, country.code)
                assert not country.locale_name.startswith("*"), (first + second, country)


def test_a_self_referencing_name_falls_back_to_english():
    assert by_code("zh")["WS"].locale_name == "Samoa"


def test_one_entry_per_region_phonenumbers_dials_without_the_non_geographic_one():
    codes = [country.code for country in countries("en")]
    assert len(codes) == len(set(codes))
    assert set(codes) == phonenumbers.SUPPORTED_REGIONS
    assert "001" not in codes
    assert all(len(code) == 2 and code.isalpha() and code.isupper() for code in codes)


def test_regions_missing_from_the_locale_table_still_have_english_names():
    found = by_code("el")
    assert found["XK"] == Country("XK", "Kosovo", "Kosovo", supported=True)
    assert found["AC"].name == "Ascension Island"
    assert found["TA"].name == "Tristan da Cunha"
    assert all(country.name and country.name != country.code for country in countries("en"))


def test_sorted_by_english_name_accents_folded():
    names = [country.name for country in countries("el")]
    assert names[:3] == ["Afghanistan", "Åland Islands", "Albania"]
    assert names[-1] == "Zimbabwe"
    costa_rica = names.index("Costa Rica")
    assert names[costa_rica + 1] == "Côte d'Ivoire"
    assert names[costa_rica + 2] == "Croatia"
    plain = [name for name in names if name.isascii()]
    assert plain == sorted(plain, key=str.casefold)


def test_the_order_does_not_follow_the_language():
    assert [c.code for c in countries("el")] == [c.code for c in countries("de")]


@pytest.mark.parametrize("code", ["GR", "DE", "US", "GB", "AU", "BR", "KZ", "AG", "JM", "XK"])
def test_supported_where_quiet_hours_hold_exactly(code: str):
    # Computed with tzdata 2025b: GR, DE, GB have one zone; US numbers get the zones of their
    # area code (one, or two an hour apart); AU and BR span 3 hours; KZ's +7 mobiles are refined
    # to Asia/Almaty and Asia/Aqtobe, both UTC+5 since 2024; AG and JM's +1 mobiles to
    # America/Antigua and America/Jamaica alone; XK is in no zone.tab but +383 has one zone.
    assert by_code("en")[code].supported is True


def test_russia_is_not_supported():
    # Its mobiles may be anywhere from Moscow (UTC+3) to Kamchatka (UTC+12): no hour is outside
    # 23:00-08:00 and 14:00-17:00 in all of them, so quiet hours are only best effort there.
    assert by_code("en")["RU"].supported is False


def test_supported_is_what_quiet_hours_say():
    for country in countries("en"):
        assert country.supported is quiet_hours.supported(country.code), country


def test_russia_is_the_only_region_not_supported_today():
    # Computed against phonenumbers 9.0.43 and tzdata 2025b; a region whose zones change (or a
    # new region without zones) shows up here.
    assert [country.code for country in countries("en") if not country.supported] == ["RU"]


def test_calling_code_zones():
    assert calling_code_time_zones(30) == ("Europe/Athens",)
    assert "America/New_York" in calling_code_time_zones(1)
    # Unknown zones come back as (), never as phonenumbers' "Etc/Unknown".
    assert calling_code_time_zones(800) == ()  # international freephone: no place
    assert calling_code_time_zones(0) == ()


@pytest.fixture
def fresh_table() -> Iterator[None]:
    countries_module._table.cache_clear()
    yield
    countries_module._table.cache_clear()


@pytest.mark.usefixtures("fresh_table")
def test_the_flag_comes_from_quiet_hours(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(quiet_hours, "supported", lambda code: code != "GR")
    found = by_code("el")
    assert found["GR"] == Country("GR", "Greece", "Ελλάδα", supported=False)
    assert found["DE"].supported is True
