"""The one-statement read behind every accepted request: the account's currency, the
application's policy and the prices it pays, which must equal the account's effective price
list (as `GET /system/prices` shows it) and never carry another account's overrides."""

from __future__ import annotations

from decimal import Decimal

from smscast.domain.prices import PriceRow
from smscast.services.runtime import Services
from smscast.store import prices as q
from tests.conftest import MakeAccount

COUNTRIES = {"GR", "CY", "DE"}


def _country_wide(rows: list[PriceRow]) -> dict[str, Decimal]:
    return {row.country: row.price for row in rows if not row.mnc}


async def test_sender_pricing_is_this_accounts_prices_currency_and_policy(
    services: Services, make_account: MakeAccount
):
    mine = await make_account(currency="USD")
    theirs = await make_account()
    await services.prices.import_lines(["iso,mcc,price", "GR,202,0.01"], mine.account_id)
    await services.prices.import_lines(
        ["iso,mcc,price", "GR,202,0.5", "CY,280,0.7"], theirs.account_id
    )
    async with services.db.read_latest() as conn:
        read = await q.sender_pricing(conn, mine.account_id, mine.application_id, COUNTRIES)
        everything = await q.sender_pricing(conn, mine.account_id, mine.application_id, None)
        separately = _country_wide(await q.effective_prices(conn, mine.account_id))
        installation = _country_wide(await q.effective_prices(conn, "no-such-account"))
    assert read is not None
    assert everything is not None
    assert (read.currency, read.transcode) == ("USD", "auto")
    assert read.eur_prices == {c: p for c, p in separately.items() if c in COUNTRIES}
    assert everything.eur_prices == separately
    assert len(separately) > len(COUNTRIES)
    # Its own override, and the installation's price where it has none (not theirs).
    assert read.eur_prices["GR"] == Decimal("0.01")
    assert read.eur_prices["CY"] == installation["CY"] != Decimal("0.7")
    assert read.eur_prices["DE"] == installation["DE"]


async def test_sender_pricing_without_countries_application_or_account(
    services: Services, make_account: MakeAccount
):
    creds = await make_account()
    other = await make_account()
    async with services.db.read_latest() as conn:
        no_countries = await q.sender_pricing(conn, creds.account_id, creds.application_id, set())
        no_application = await q.sender_pricing(conn, creds.account_id, "gone", {"GR"})
        # Another account's application is not this account's policy.
        not_theirs = await q.sender_pricing(conn, other.account_id, creds.application_id, set())
        no_account = await q.sender_pricing(conn, "gone", creds.application_id, {"GR"})
    assert no_countries == q.SenderPricing("EUR", "auto", {})
    assert no_application is not None
    assert no_application.transcode is None
    assert set(no_application.eur_prices) == {"GR"}
    assert not_theirs == q.SenderPricing("EUR", None, {})
    assert no_account is None
