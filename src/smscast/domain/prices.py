"""Price lists: parsing the CSV format and choosing the price that applies to a number."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from smscast.domain.money import parse_amount
from smscast.errors import SmscastError, ValidationFailed

REQUIRED_COLUMNS = ("iso", "mcc", "price")


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One price: per SMS part, in EUR; ``mnc`` empty for the whole country."""

    country: str
    mcc: str
    price: Decimal
    mnc: str = ""
    network: str = ""
    country_name: str = ""


class PriceListError(SmscastError):
    """A price list file that cannot be used; names every bad line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid price list: " + "; ".join(self.problems[:10]))


def parse_price_csv(lines: Iterable[str]) -> list[PriceRow]:
    """Rows of a price CSV (header with iso, mcc, price; optional mnc, network, country).

    All or nothing: any bad line makes the whole file fail, listing the line numbers.
    """
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise PriceListError([f"header lacks column(s): {', '.join(missing)}"])
    reader.fieldnames = header
    rows: list[PriceRow] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for line_no, raw in enumerate(reader, start=2):
        try:
            row = _row(raw)
        except ValidationFailed as exc:
            problems.append(f"line {line_no}: {exc.message}")
            continue
        key = (row.country, row.mnc)
        if key in seen:
            problems.append(f"line {line_no}: duplicate price for {row.country} {row.mnc}".rstrip())
            continue
        seen.add(key)
        rows.append(row)
    if problems:
        raise PriceListError(problems)
    if not rows:
        raise PriceListError(["no prices in file"])
    return rows


def _row(raw: dict[str, str | None]) -> PriceRow:
    iso = (raw.get("iso") or "").strip().upper()
    mcc = (raw.get("mcc") or "").strip()
    mnc = (raw.get("mnc") or "").strip()
    if len(iso) != 2 or not iso.isalpha() or not iso.isascii():
        raise ValidationFailed(f"iso {iso!r} is not a 2-letter country code")
    if len(mcc) != 3 or not mcc.isdigit():
        raise ValidationFailed(f"mcc {mcc!r} is not 3 digits")
    if mnc and (len(mnc) not in (2, 3) or not mnc.isdigit()):
        raise ValidationFailed(f"mnc {mnc!r} is not 2 or 3 digits")
    price = parse_amount(raw.get("price") or "", field="price")
    return PriceRow(
        country=iso,
        mcc=mcc,
        price=price,
        mnc=mnc,
        network=(raw.get("network") or "").strip(),
        country_name=(raw.get("country") or "").strip(),
    )


def choose_price(rows: Iterable[PriceRow], mnc: str | None) -> PriceRow | None:
    """The network's own price when there is one, else the country-wide price."""
    country_wide: PriceRow | None = None
    for row in rows:
        if mnc and row.mnc == mnc:
            return row
        if not row.mnc:
            country_wide = row
    return country_wide
