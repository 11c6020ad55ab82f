#!/usr/bin/env python3
"""Generate the default SMS price list shipped as ``src/smscast/data/prices.csv``.

Output columns (header row included), one row per region in
``phonenumbers.SUPPORTED_REGIONS`` except the non-geographic ``001``, sorted by ``iso``::

    iso,mcc,country,price

* ``iso``     -- ISO 3166-1 alpha-2 region code as used by phonenumbers.
* ``mcc``     -- 3-digit mobile country code; the primary one when a country has several
                 (US 310, IN 404, GB 234, JP 440).  Territories without an MCC of their own
                 get the MCC of the network that serves them (see ``MCC_OVERRIDES``).
* ``country`` -- English short name (phonenumbers' region display names, tidied up).
* ``price``   -- price of ONE SMS part in EUR, 4 decimal places.

Requirements
------------
Standard library, ``phonenumbers`` and the MCC data package ``mobile-codes`` (PyPI,
BSD licence, pure Python).  ``mobile-codes`` is a build-time tool dependency only: it is
NOT a dependency of smscast.  Install it in a throw-away virtualenv, together with the
same ``phonenumbers`` version the project uses (the set of regions depends on it)::

    PN=$(.venv/bin/python -c 'import phonenumbers; print(phonenumbers.__version__)')
    python3 -m venv /tmp/mccvenv
    /tmp/mccvenv/bin/pip install mobile-codes==0.7 "phonenumbers==$PN"
    /tmp/mccvenv/bin/python tools/make_prices.py            # writes src/smscast/data/prices.csv

MCC data
--------
``mobile-codes`` gives the MCC(s) per ISO alpha-2 code; the first listed MCC is taken as
the primary one.  Its data set has gaps (dependencies and territories without an ITU MCC
of their own, Kosovo, Ascension/Tristan da Cunha) and a few stale entries (e.g. Mayotte
208, Vatican 225, French Guiana 340).  ``MCC_OVERRIDES`` below is authoritative for every
region it lists and fills those gaps with the MCC of the serving network; the values were
cross-checked against the ``mcc-mnc-p1`` data set (Wikipedia / ITU-T aggregate).

Price model (deterministic, no randomness)
------------------------------------------
There is no free, real price feed, so the list is a plausible *default* that operators are
expected to replace with their own rates:

1. ``PRICE_ANCHORS`` pins the price of a handful of big markets (e.g. US 0.0080,
   GB 0.0350, GR 0.0430, DE 0.0750, IN 0.0055).
2. Every other region belongs to one tier in ``TIERS`` with a price band ``[low, high]``
   (e.g. cheap high-volume markets 0.0050-0.0200, Western Europe 0.0400-0.0900, US/Canada
   and NANP US territories 0.0075-0.0100, remote small islands 0.1000-0.1500).
   The price is placed inside the band by a stable hash of the ISO code::

       price = low + (high - low) * crc32(iso) / 0xFFFFFFFF

   rounded half-up to 4 decimals.  Re-running the script always yields the same file.
3. Regions not listed in any tier (e.g. new ones in a future phonenumbers release) fall
   back to ``DEFAULT_TIER`` and are reported on stderr.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import zlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

try:
    import mobile_codes
    import phonenumbers
    from phonenumbers import geocoder
except ImportError as exc:  # pragma: no cover - tool script
    sys.exit(
        f"missing dependency ({exc.name}); run this script from a throw-away venv with "
        "`pip install mobile-codes phonenumbers` (see the module docstring)"
    )

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "src" / "smscast" / "data" / "prices.csv"

# --------------------------------------------------------------------------------------
# MCC overrides: authoritative for the regions listed.  Territories without an MCC of
# their own use the MCC of the network that serves them.
# --------------------------------------------------------------------------------------
MCC_OVERRIDES: dict[str, str] = {
    # British Crown dependencies: UK networks.
    "GG": "234",  # Guernsey
    "IM": "234",  # Isle of Man
    "JE": "234",  # Jersey
    # Nordic territories.
    "AX": "244",  # Åland Islands - Finnish networks
    "SJ": "242",  # Svalbard and Jan Mayen - Norwegian networks
    # Vatican City: served by Italian networks (ITU's 225 is unused).
    "VA": "222",
    # Kosovo: MCC 221 assigned in 2017.
    "XK": "221",
    # Western Sahara: Moroccan networks.
    "EH": "604",
    # Australian external territories.
    "CC": "505",  # Cocos (Keeling) Islands
    "CX": "505",  # Christmas Island
    "NF": "505",  # Norfolk Island
    # New Zealand realm.
    "TK": "554",  # Tokelau
    # Former Netherlands Antilles.
    "BQ": "362",  # Bonaire, Sint Eustatius and Saba
    "CW": "362",  # Curaçao
    "SX": "362",  # Sint Maarten
    # French overseas.
    "BL": "340",  # Saint Barthélemy
    "MF": "340",  # Saint Martin
    "GP": "340",  # Guadeloupe
    "MQ": "340",  # Martinique
    "GF": "742",  # French Guiana (ITU allocation)
    "RE": "647",  # Réunion
    "YT": "647",  # Mayotte (same networks as Réunion)
    "WF": "543",  # Wallis and Futuna
    # Saint Helena, Ascension and Tristan da Cunha.
    "AC": "658",  # Ascension Island
    "SH": "658",  # Saint Helena
    "TA": "658",  # Tristan da Cunha
    # British Indian Ocean Territory (Diego Garcia).
    "IO": "995",
    # US territories served by US networks / own ITU allocation.
    "MP": "310",  # Northern Mariana Islands - served by US networks
    "VI": "310",  # US Virgin Islands - networks use US MCCs (332 is allocated but unused)
    "PR": "330",  # Puerto Rico - ITU allocation (mobile-codes lists 310 first)
    # Turks and Caicos: own allocation 376 (mobile-codes lists Jamaica's 338 first).
    "TC": "376",
}

# --------------------------------------------------------------------------------------
# Country names: phonenumbers' English region names, tidied up.
# --------------------------------------------------------------------------------------
NAME_FIXES: dict[str, str] = {
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "MK": "North Macedonia",
    "SZ": "Eswatini",
    "RE": "Réunion",
    "CC": "Cocos (Keeling) Islands",
    "BQ": "Caribbean Netherlands",  # Bonaire, Sint Eustatius and Saba (no comma in CSV)
}

_LOWER_WORDS = re.compile(r"(?<=\s)(And|Of|The|Da|Du|De)(?=\s)")

# --------------------------------------------------------------------------------------
# Price model (EUR per SMS part).
# --------------------------------------------------------------------------------------
PRICE_ANCHORS: dict[str, str] = {
    "US": "0.0080",
    "CA": "0.0085",
    "GB": "0.0350",
    "DE": "0.0750",
    "GR": "0.0430",
    "FR": "0.0650",
    "IT": "0.0680",
    "ES": "0.0620",
    "NL": "0.0850",
    "BE": "0.0880",
    "AT": "0.0800",
    "CH": "0.0550",
    "PL": "0.0280",
    "IN": "0.0055",
    "RU": "0.0180",
    "CN": "0.0320",
    "JP": "0.0640",
    "AU": "0.0390",
    "BR": "0.0210",
    "MX": "0.0240",
}

# name: (low, high, members)
TIERS: dict[str, tuple[str, str, str]] = {
    "nanp_us": (
        "0.0075",
        "0.0100",
        "US CA PR VI GU MP",
    ),
    "low_cost": (
        "0.0050",
        "0.0200",
        "IN PK BD NP LK RU BY UA KZ UZ KG TJ TM AZ AM GE",
    ),
    "western_europe": (
        "0.0400",
        "0.0900",
        "AT BE CH DE DK ES FI FR GB GR IE IS IT LU NL NO PT SE MT CY",
    ),
    "european_microstates": (
        "0.0700",
        "0.1000",
        "AD LI MC SM VA GI JE GG IM AX FO",
    ),
    "central_eastern_europe": (
        "0.0250",
        "0.0550",
        "PL CZ SK HU RO BG HR SI EE LV LT RS BA ME MK AL MD XK TR",
    ),
    "east_asia": (
        "0.0300",
        "0.0700",
        "CN JP KR TW HK MO MN KP",
    ),
    "south_southeast_asia": (
        "0.0150",
        "0.0450",
        "SG MY TH PH ID VN KH LA MM BN TL BT MV",
    ),
    "middle_east": (
        "0.0300",
        "0.0900",
        "AE SA QA KW BH OM JO LB IL PS IQ IR SY YE AF",
    ),
    "north_africa": (
        "0.0300",
        "0.0800",
        "EG MA DZ TN LY EH SD",
    ),
    "sub_saharan_africa": (
        "0.0200",
        "0.0700",
        "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW KE KM LR LS MG ML MR "
        "MU MW MZ NA NE NG RW SC SL SN SO SS ST SZ TD TG TZ UG ZA ZM ZW",
    ),
    "latin_america": (
        "0.0200",
        "0.0600",
        "MX BR AR CL CO PE EC VE UY PY BO CR PA GT HN SV NI BZ GY SR DO CU HT",
    ),
    "caribbean": (
        "0.0600",
        "0.1100",
        "AG AI AW BB BM BQ BS CW DM GD JM KN KY LC MS SX TC TT VC VG",
    ),
    "french_overseas": (
        "0.0600",
        "0.0950",
        "GP MQ GF RE YT BL MF PM",
    ),
    "australia_nz": (
        "0.0350",
        "0.0600",
        "AU NZ",
    ),
    "remote_islands": (
        "0.1000",
        "0.1500",
        "AC TA SH FK IO CC CX NF TK NU NR TV KI WF PF NC CK PW MH FM SB VU TO WS AS FJ PG GL SJ",
    ),
}
DEFAULT_TIER: tuple[str, str] = ("0.0500", "0.0800")

_QUANT = Decimal("0.0001")


def _tier_index() -> dict[str, tuple[str, Decimal, Decimal]]:
    index: dict[str, tuple[str, Decimal, Decimal]] = {}
    for name, (low, high, members) in TIERS.items():
        for iso in members.split():
            if iso in index:
                raise SystemExit(f"{iso} is in tiers {index[iso][0]} and {name}")
            index[iso] = (name, Decimal(low), Decimal(high))
    return index


def price_for(iso: str, tiers: dict[str, tuple[str, Decimal, Decimal]]) -> Decimal:
    if iso in PRICE_ANCHORS:
        return Decimal(PRICE_ANCHORS[iso]).quantize(_QUANT, rounding=ROUND_HALF_UP)
    if iso in tiers:
        _, low, high = tiers[iso]
    else:
        low, high = Decimal(DEFAULT_TIER[0]), Decimal(DEFAULT_TIER[1])
    frac = Decimal(zlib.crc32(iso.encode("ascii"))) / Decimal(0xFFFFFFFF)
    return (low + (high - low) * frac).quantize(_QUANT, rounding=ROUND_HALF_UP)


def mcc_for(iso: str) -> str | None:
    if iso in MCC_OVERRIDES:
        return MCC_OVERRIDES[iso]
    try:
        country = mobile_codes.alpha2(iso)
    except KeyError:
        return None
    mcc = country.mcc
    if isinstance(mcc, list):
        mcc = mcc[0] if mcc else None
    return mcc or None


def country_name(iso: str) -> str:
    if iso in NAME_FIXES:
        return NAME_FIXES[iso]
    name = geocoder._region_display_name(iso, "en")
    if not name:
        try:
            name = mobile_codes.alpha2(iso).name
        except KeyError:
            name = ""
    return _LOWER_WORDS.sub(lambda m: m.group(1).lower(), name)


def build_rows() -> list[tuple[str, str, str, str]]:
    tiers = _tier_index()
    regions = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if r != "001")
    rows: list[tuple[str, str, str, str]] = []
    problems: list[str] = []
    for iso in regions:
        mcc = mcc_for(iso)
        name = country_name(iso)
        if mcc is None or not re.fullmatch(r"\d{3}", mcc):
            problems.append(f"{iso}: no valid MCC ({mcc!r}); add it to MCC_OVERRIDES")
            continue
        if not name:
            problems.append(f"{iso}: no country name; add it to NAME_FIXES")
            continue
        if iso not in tiers and iso not in PRICE_ANCHORS:
            print(f"warning: {iso} has no price tier, using DEFAULT_TIER", file=sys.stderr)
        price = price_for(iso, tiers)
        if price <= 0:
            problems.append(f"{iso}: non-positive price {price}")
            continue
        rows.append((iso, mcc, name, f"{price:.4f}"))
    if problems:
        raise SystemExit("cannot build price list:\n  " + "\n  ".join(problems))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"CSV file to write (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)

    rows = build_rows()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("iso", "mcc", "country", "price"))
        writer.writerows(rows)
    print(
        f"wrote {len(rows)} rows to {args.output} (phonenumbers {phonenumbers.__version__})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
