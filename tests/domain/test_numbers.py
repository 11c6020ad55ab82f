"""Recipients from E.164 numbers: accepted mobiles, rejections, and batch == one by one."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from smscast.domain.numbers import Recipient, parse_recipient, parse_recipients

ATHENS = ("Europe/Athens",)
BRITISH_ISLES = ("Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London")
ITALY = ("Europe/Rome", "Europe/Vatican")
# phonenumbers files Russian mobiles under the whole +7 code (shared with Kazakhstan).
ALL_OF_PLUS_7 = (
    "Asia/Almaty",
    "Asia/Anadyr",
    "Asia/Aqtobe",
    "Asia/Irkutsk",
    "Asia/Kamchatka",
    "Asia/Krasnoyarsk",
    "Asia/Magadan",
    "Asia/Novosibirsk",
    "Asia/Omsk",
    "Asia/Sakhalin",
    "Asia/Vladivostok",
    "Asia/Yakutsk",
    "Asia/Yekaterinburg",
    "Europe/Bucharest",
    "Europe/Moscow",
    "Europe/Samara",
)
AUSTRALIA = (
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Eucla",
    "Australia/Lord_Howe",
    "Australia/Perth",
    "Australia/Sydney",
    "Indian/Christmas",
    "Indian/Cocos",
)


@pytest.mark.parametrize(
    "expected",
    [
        Recipient("+306912345678", "GR", "M-STAT", ATHENS),
        Recipient("+306971234567", "GR", "Cosmote", ATHENS),
        Recipient("+306944123456", "GR", "Vodafone", ATHENS),
        Recipient("+4915123456789", "DE", "T-Mobile", ("Europe/Berlin",)),
        Recipient("+4917612345678", "DE", "O2", ("Europe/Berlin",)),
        Recipient("+447400123456", "GB", "Three", BRITISH_ISLES),
        Recipient("+447797712345", "JE", "JT", BRITISH_ISLES),
        # NANP numbers are FIXED_LINE_OR_MOBILE: no carrier, zones by area code.
        Recipient("+12015550123", "US", "", ("America/New_York",)),
        Recipient("+14165550123", "CA", "", ("America/Toronto",)),
        Recipient("+33612345678", "FR", "SFR", ("Europe/Paris",)),
        Recipient("+393471234567", "IT", "Vodafone", ITALY),
        Recipient("+393123456789", "IT", "", ITALY),
        Recipient("+919876543210", "IN", "Airtel", ("Asia/Calcutta",)),
        Recipient("+8613800138000", "CN", "China Mobile", ("Asia/Shanghai",)),
        Recipient("+5511961234567", "BR", "", ("America/Sao_Paulo",)),
        Recipient("+2348031234567", "NG", "MTN", ("Africa/Lagos",)),
        Recipient("+61412345678", "AU", "Optus", AUSTRALIA),
        Recipient("+79161234567", "RU", "", ALL_OF_PLUS_7),
        Recipient("+77710009998", "KZ", "Beeline", ALL_OF_PLUS_7),
        Recipient("+819012345678", "JP", "KDDI", ("Asia/Tokyo",)),
        Recipient("+5491123456789", "AR", "", ("America/Buenos_Aires",)),
        # Mobiles whose national number starts with 0 (phonenumbers' italian_leading_zero).
        Recipient("+2250123456789", "CI", "Moov", ("Africa/Abidjan",)),
        Recipient("+242061234567", "CG", "MTN", ("Africa/Brazzaville",)),
        # Non-geographic satellite mobiles: phonenumbers' region "001", no zones.
        Recipient("+881612345678", "001", "iridium satellite", ()),
    ],
    ids=lambda r: r.e164,
)
def test_valid_mobiles(expected: Recipient):
    assert parse_recipient(expected.e164) == expected
    assert parse_recipients([expected.e164]) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        "+30 691 234-5678",
        " +30 691 234 5678\n",
        "+30 (691) 234.5678",
        "(+30) 6912-345-678",
        "+30-691-234-5678",
    ],
)
def test_separators_and_surrounding_whitespace_are_tolerated(raw: str):
    expected = Recipient("+306912345678", "GR", "M-STAT", ATHENS)
    assert parse_recipient(raw) == expected
    assert parse_recipients([raw]) == [expected]


def test_a_trunk_zero_after_the_country_code_is_dropped_as_phonenumbers_does():
    expected = Recipient("+447400123456", "GB", "Three", BRITISH_ISLES)
    assert parse_recipient("+44 07400 123456") == expected
    assert parse_recipients(["+44 07400 123456"]) == [expected]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("+", id="plus-only"),
        pytest.param("   ", id="whitespace-only"),
        pytest.param("306912345678", id="no-plus"),
        pytest.param("00306912345678", id="idd-instead-of-plus"),
        pytest.param("++306912345678", id="double-plus"),
        pytest.param("+30691234567a", id="letter"),
        pytest.param("+30 69 ONE 2345", id="words"),
        pytest.param("tel:+306912345678", id="uri"),
        pytest.param("+306912345678 ext 12", id="extension"),
        pytest.param("+30/6912345678", id="slash"),
        pytest.param("+30\u00a06912345678", id="no-break-space-inside"),
        pytest.param("\uff0b306912345678", id="fullwidth-plus"),
        pytest.param(
            "+\u0663\u0660\u0666\u0669\u0661\u0662\u0663\u0664\u0665\u0666", id="arabic-digits"
        ),
        pytest.param("+3069123456789012", id="16-digits"),
        pytest.param("+1" * 40, id="long-garbage"),
        pytest.param("+30691234567", id="one-digit-short"),
        pytest.param("+3069123456789", id="one-digit-long"),
        pytest.param("+0306912345678", id="country-code-zero"),
        pytest.param("+9996912345678", id="unknown-country-code"),
        pytest.param("+3", id="too-short"),
        pytest.param("+302101234567", id="greek-landline"),
        pytest.param("+390612345678", id="italian-landline"),
        pytest.param("+4930123456", id="german-landline"),
        pytest.param("+442079460000", id="london-landline"),
        pytest.param("+18005550123", id="us-toll-free"),
        pytest.param("+19005550123", id="us-premium"),
        pytest.param("+448001234567", id="uk-freephone"),
        pytest.param("+4990012345678", id="german-premium"),
        pytest.param("+308001234567", id="greek-toll-free"),
        pytest.param("+447700900123", id="uk-drama-range"),
        pytest.param("+80012345678", id="international-freephone"),
    ],
)
def test_rejects(raw: str):
    assert parse_recipient(raw) is None
    assert parse_recipients([raw]) == [None]


def test_batch_keeps_order_and_duplicates():
    raws = ["+306912345678", "nope", "+30 691 234 5678", "+306912345678", "+302101234567"]
    greek = Recipient("+306912345678", "GR", "M-STAT", ATHENS)
    assert parse_recipients(raws) == [greek, None, greek, greek, None]
    assert parse_recipients([]) == []


# The equivalence sample: numbers grown from phonenumbers' own examples of every type for every
# region and non-geographic code, most of them near real ranges, plus noise of every kind.
SAMPLE_SIZE = 100_000
TYPES = (
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
)
# Heavier weight for the countries campaigns actually go to.
CAMPAIGN_COUNTRIES = (
    "GR CY DE GB US CA FR IT ES PT NL BE AT CH SE NO DK FI IE PL CZ RO BG HU RS HR TR RU UA "
    "IN CN JP BR MX AR CO ZA NG EG AU NZ AE SA IL CI CG"
)
FAVOURITES = frozenset(CAMPAIGN_COUNTRIES.split())
GARBAGE = (
    "",
    " ",
    "+",
    "++",
    "\t\n",
    "+-",
    "()",
    "abc",
    "+30abc",
    "tel:+306912345678",
    "+30 691 234 5678 x12",
    "306912345678",
    "0030 6912345678",
    "+30_6912345678",
    "+30\u00a0691 2345678",
    "\uff0b306912345678",
    "+\u0663\u0660\u0666\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
    "+30 691 2345678;ext=1",
    "+30.691.234.5678.",
    "((+30))691--2345678",
)


def seeds() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(calling code, national number) examples: for the favourite countries and for all."""
    favourite: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        found = [phonenumbers.example_number_for_type(region, kind) for kind in TYPES]
        found += [phonenumbers.example_number(region), phonenumbers.invalid_example_number(region)]
        # Mobiles weigh most: they are what a campaign holds and the only answers not None.
        found += [phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)] * 12
        pairs = [
            (str(n.country_code), phonenumbers.national_significant_number(n))
            for n in found
            if n is not None
        ]
        everywhere += pairs
        if region in FAVOURITES:
            favourite += pairs
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            everywhere.append((str(code), phonenumbers.national_significant_number(example)))
    return favourite, everywhere


def separated(rng: random.Random, text: str) -> str:
    out = []
    for ch in text:
        if rng.random() < 0.15:
            out.append(rng.choice((" ", "-", ".", "(", ")", "  ")))
        out.append(ch)
    return rng.choice(("", " ", "\t")) + "".join(out) + rng.choice(("", " ", "\n"))


def sample(size: int, seed: int) -> list[str]:
    """~5% repeats, ~7% '+' and random digits, ~3% garbage, the rest grown from examples."""
    rng = random.Random(seed)
    favourite, everywhere = seeds()
    digits = "0123456789"
    out: list[str] = []
    while len(out) < size:
        roll = rng.random()
        if out and roll < 0.05:
            out.append(rng.choice(out))
            continue
        if roll < 0.12:
            out.append("+" + "".join(rng.choices(digits, k=rng.randint(0, 17))))
            continue
        if roll < 0.15:
            out.append(rng.choice(GARBAGE))
            continue
        code, national = rng.choice(favourite if rng.random() < 0.6 else everywhere)
        length = len(national)
        if rng.random() < 0.2:
            length = max(1, length + rng.randint(-2, 2))
        # Mostly keep a long head (a real range), sometimes any (other ranges, other lengths).
        keep = rng.randint(0, length) if rng.random() < 0.2 else max(0, length - rng.randint(1, 5))
        national = national[:keep] + "".join(rng.choices(digits, k=length - keep))
        if rng.random() < 0.05:
            national = rng.choice(("0", "1", "9", "00", "15", "8", "06")) + national
        text = "+" + code + national
        out.append(separated(rng, text) if rng.random() < 0.2 else text)
    return out


def test_batch_gives_exactly_the_per_number_answers(monkeypatch: pytest.MonkeyPatch):
    numbers = sample(SAMPLE_SIZE, seed=20240611)
    assert len(numbers) == SAMPLE_SIZE
    # phonenumbers.enable_pattern_cache(), for this test only: across ~250 regions the reference
    # outgrows re's 512-pattern cache and recompiles its regexes all the time (~5x slower).
    monkeypatch.setattr("phonenumbers.re_util._COMPILED_PATTERNS", {})

    expected = [parse_recipient(x) for x in numbers]

    assert parse_recipients(numbers) == expected
    # The sample is only as good as its spread: many countries, many valid, many not.
    valid = [r for r in expected if r is not None]
    assert len({r.country for r in valid}) >= 150
    assert 0.25 < len(valid) / SAMPLE_SIZE < 0.75
