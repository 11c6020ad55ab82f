"""Price lists: the shipped default, installation-wide replacement, per-account overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from smscast.domain.analysis import TranscodePolicy
from smscast.domain.money import PRICE_CURRENCY, Currency, convert_from_eur, currency
from smscast.domain.prices import PriceRow, parse_price_csv
from smscast.errors import ConfigError, NotFoundInStore, ValidationFailed
from smscast.store import accounts as account_queries
from smscast.store import prices as q
from smscast.store.db import Database
from smscast.types import AccountId


def default_price_lines() -> list[str]:
    """The price list that ships with smscast (EUR per SMS part, every country)."""
    text = resources.files("smscast.data").joinpath("prices.csv").read_text(encoding="utf-8")
    return text.splitlines()


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A price list as one account sees it, converted to the requested currency."""

    currency: Currency
    rows: list[PriceRow]


class PriceService:
    def __init__(
        self, db: Database, exchange_rates: dict[str, Decimal], prices_file: Path | None = None
    ) -> None:
        self._db = db
        self._rates = exchange_rates
        self._prices_file = prices_file

    async def ensure_installed(self) -> int:
        """Load the default (or configured) price list if the installation has none yet."""
        async with self._db.write() as conn:
            if await q.count_prices(conn) > 0:
                return 0
            rows = parse_price_csv(self._initial_lines())
            await q.replace_price_list(conn, rows)
            return len(rows)

    def _initial_lines(self) -> list[str]:
        if self._prices_file is not None:
            try:
                return self._prices_file.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"prices_file {self._prices_file}: {exc}") from exc
        return default_price_lines()

    async def import_lines(self, lines: Iterable[str], account: str | None = None) -> int:
        """Replace the installation's list, or set one account's overrides (all or nothing)."""
        rows = parse_price_csv(lines)
        async with self._db.write() as conn:
            account_id: AccountId | None = None
            if account is not None:
                found = await account_queries.find_account(conn, account)
                if found is None:
                    raise NotFoundInStore(f"no account {account!r}")
                account_id = found.id
            await q.replace_price_list(conn, rows, account_id)
        return len(rows)

    async def sender_table(
        self, account_id: AccountId, application_id: str, countries: set[str] | None
    ) -> tuple[TranscodePolicy, PriceTable]:
        """The sending application's transcoding policy (``auto`` if it is gone) and the
        account's prices of ``countries`` (None: all): one statement, outside any
        transaction, as every accepted or analysed request reads them."""
        async with self._db.read_latest() as conn:
            read = await q.sender_pricing(conn, account_id, application_id, countries)
        if read is None:
            raise NotFoundInStore(f"no account {account_id!r}")
        policy = TranscodePolicy(read.transcode) if read.transcode else TranscodePolicy.AUTO
        return policy, self._table(read.currency, read.eur_prices)

    def _table(self, account_currency: str, eur: dict[str, Decimal]) -> PriceTable:
        rate = self._rates.get(account_currency)
        if rate is None:
            raise ValidationFailed(
                f"no exchange rate for the account's currency {account_currency}"
            )
        if account_currency != PRICE_CURRENCY:
            eur = {country: convert_from_eur(price, rate) for country, price in eur.items()}
        return PriceTable(account_currency, eur)

    async def quote(
        self,
        account_id: AccountId,
        *,
        mcc: str | None = None,
        mnc: str | None = None,
        currency_code: str | None = None,
    ) -> PriceQuote:
        async with self._db.read() as conn:
            account = await account_queries.get_account(conn, account_id)
            if account is None:
                raise NotFoundInStore(f"no account {account_id!r}")
            rows = await q.effective_prices(conn, account_id, mcc=mcc)
        code = (currency_code or account.currency).upper()
        rate = self._rates.get(code)
        if rate is None:
            raise ValidationFailed(
                f"unsupported currency {code}", properties={"currency": "unsupported"}
            )
        if mnc:
            rows = _for_network(rows, mnc)
        if code != PRICE_CURRENCY:
            rows = [
                PriceRow(
                    r.country,
                    r.mcc,
                    convert_from_eur(r.price, rate),
                    r.mnc,
                    r.network,
                    r.country_name,
                )
                for r in rows
            ]
        return PriceQuote(currency(code), rows)


def _for_network(rows: list[PriceRow], mnc: str) -> list[PriceRow]:
    """Per country: the network's own price if listed, else the country-wide one."""
    by_country: dict[str, PriceRow] = {}
    for row in rows:
        if row.mnc == mnc or (not row.mnc and row.country not in by_country):
            by_country[row.country] = row
    return list(by_country.values())


class PriceTable:
    """Prices per SMS part for a set of countries, in one account's currency."""

    def __init__(self, currency_code: str, per_part: dict[str, Decimal]) -> None:
        self.currency = currency(currency_code)
        self._per_part = per_part

    def per_part(self, country: str) -> Decimal | None:
        return self._per_part.get(country)
