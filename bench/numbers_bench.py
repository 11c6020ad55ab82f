"""Number parsing throughput: the batch path beside plain phonenumbers, on one campaign-like corpus.

    .venv/bin/python bench/numbers_bench.py [count] [seed]

Baseline: ``phonenumbers.parse(raw, None)`` + ``is_valid_number`` per number. Then
``parse_recipient`` per number and ``parse_recipients`` on the whole list, which must agree.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence

import phonenumbers
from phonenumbers import PhoneNumberType

from smscast.domain.numbers import Recipient, parse_recipient, parse_recipients

# Where campaigns go, most common first; a campaign is mostly one or two of them.
WHERE = (
    "GR CY DE GB FR IT ES NL BE AT CH PL RO BG PT SE IE US CA TR RU UA IN NG ZA EG AE SA BR "
    "MX AU CN"
)
COUNTRIES = tuple(WHERE.split())
POOL_SIZE = 300
DIGITS = "0123456789"


def _is_mobile(text: str) -> bool:
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _mobiles(rng: random.Random, region: str) -> list[str]:
    """Valid mobiles spread over the region's ranges: the example's first digits kept, or fewer."""
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    assert example is not None
    code = str(example.country_code)
    national = phonenumbers.national_significant_number(example)
    found: list[str] = []
    for _ in range(200 * POOL_SIZE):
        keep = rng.randint(1, max(1, len(national) - 4))
        text = "+" + code + national[:keep] + "".join(rng.choices(DIGITS, k=len(national) - keep))
        if _is_mobile(text):
            found.append(text)
            if len(found) == POOL_SIZE:
                break
    return found or ["+" + code + national]


def _landline(rng: random.Random, region: str) -> str:
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.FIXED_LINE)
    if example is None:
        return "+" + "".join(rng.choices(DIGITS, k=11))
    national = phonenumbers.national_significant_number(example)
    tail = "".join(rng.choices(DIGITS, k=4))
    return f"+{example.country_code}{national[:-4]}{tail}"


def _written(rng: random.Random, text: str) -> str:
    """As people type them: mostly compact, sometimes grouped with spaces or dashes."""
    roll = rng.random()
    if roll < 0.8:
        return text
    separator = " " if roll < 0.92 else "-"
    body = text[1:]
    cut = rng.randint(2, 3)
    groups = [body[:cut]] + [body[i : i + 3] for i in range(cut, len(body), 3)]
    return "+" + separator.join(groups)


def corpus(count: int, seed: int = 1) -> list[str]:
    """Campaigns of 2,000-20,000 numbers, each ~75% one country, ~15% a second, the rest any.

    ~90% valid mobiles (last 4 digits random), then landlines, typos (a digit dropped or
    doubled), missing '+' and junk; ~5% duplicates within a campaign; ~20% typed with groups.
    """
    rng = random.Random(seed)
    pools = {region: _mobiles(rng, region) for region in COUNTRIES}
    weights = [1 / (rank + 1) for rank in range(len(COUNTRIES))]
    out: list[str] = []
    while len(out) < count:
        size = min(count - len(out), rng.randint(2_000, 20_000))
        first, second = rng.choices(COUNTRIES, weights=weights, k=2)
        campaign: list[str] = []
        for _ in range(size):
            if campaign and rng.random() < 0.05:
                campaign.append(rng.choice(campaign))
                continue
            roll = rng.random()
            region = first if roll < 0.75 else second if roll < 0.9 else rng.choice(COUNTRIES)
            base = rng.choice(pools[region])
            text = base[:-4] + "".join(rng.choices(DIGITS, k=4))
            roll = rng.random()
            if roll < 0.04:
                text = _landline(rng, region)
            elif roll < 0.07:
                at = rng.randrange(3, len(text))
                if rng.random() < 0.5:
                    text = text[:at] + text[at + 1 :]
                else:
                    text = text[:at] + text[at] + text[at:]
            elif roll < 0.09:
                text = text[1:]
            elif roll < 0.1:
                text = rng.choice(("", "n/a", "+", "0", "-", "+30 69x 1234567", "unknown"))
            campaign.append(_written(rng, text))
        out += campaign
    return out


def _baseline(raws: Sequence[str]) -> None:
    for raw in raws:
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            continue
        phonenumbers.is_valid_number(number)


def _single(raws: Sequence[str]) -> list[Recipient | None]:
    return [parse_recipient(raw) for raw in raws]


def _best_of_3(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def run(count: int = 100_000, seed: int = 1) -> dict[str, float]:
    raws = corpus(count, seed)
    # Warm-up: metadata loaded, regexes compiled, per-code tables built, for every contender.
    _baseline(raws)
    single_answers = _single(raws)
    batch_answers = parse_recipients(raws)

    baseline = _best_of_3(lambda: _baseline(raws))
    single = _best_of_3(lambda: _single(raws))
    batch = _best_of_3(lambda: parse_recipients(raws))
    return {
        "baseline_per_s": count / baseline,
        "single_per_s": count / single,
        "batch_per_s": count / batch,
        "ratio_vs_baseline": baseline / batch,
        "identical": 1.0 if batch_answers == single_answers else 0.0,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    for name, value in run(*args).items():
        print(f"{name:18} {value:14,.2f}")
