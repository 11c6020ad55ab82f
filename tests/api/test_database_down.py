"""The database going away under a running API: every request answers 503 in Routee's shape
with Retry-After (never a 500), nothing is half written, and once the database is back the
same requests succeed — an Idempotency-Key retry creates the campaign exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from smscast.api.app import create_app
from smscast.clock import FakeClock
from smscast.services.runtime import Services, build_services
from smscast.store.tables import campaigns, ledger, messages
from tests.conftest import bearer, make_settings
from tests.dbproxy import DatabaseProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),  # PostgreSQL only
]


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[DatabaseProxy]:
    proxy = DatabaseProxy(database_url)
    await proxy.up()
    try:
        yield proxy
    finally:
        await proxy.down()


@pytest.fixture
async def proxied(proxy: DatabaseProxy, clock: FakeClock) -> AsyncIterator[Services]:
    built = build_services(make_settings(proxy.url), clock)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def api(proxied: Services) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions off: an exception escaping the app must show as what a client
    # gets (a 500), not as a test error that hides it.
    transport = httpx.ASGITransport(app=create_app(proxied), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://smscast.test") as c:
        yield c


async def credentials(proxied: Services) -> tuple[str, str]:
    made = await proxied.accounts.create("outage", balance=Decimal(100))
    return made.application.application.id, made.application.secret


async def token(api: httpx.AsyncClient, application: tuple[str, str]) -> str:
    answer = await api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=application
    )
    assert answer.status_code == 200, answer.text
    access: str = answer.json()["access_token"]
    return access


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json() == {
        "code": "503000000",
        "developerMessage": "Service temporarily unavailable",
    }
    assert answer.headers["Retry-After"] == "1"


CAMPAIGN = {"body": "Hello", "from": "smscast", "to": ["+306912345678", "+306912345679"]}


async def test_requests_while_the_database_is_down_answer_503_then_succeed(
    api: httpx.AsyncClient, proxied: Services, proxy: DatabaseProxy, services: Services
):
    application = await credentials(proxied)
    auth = bearer(await token(api, application))
    await proxy.down()

    assert_unavailable(await api.post("/sms/campaign", json=CAMPAIGN, headers=auth))
    keyed = {**auth, "Idempotency-Key": "outage-1"}
    assert_unavailable(await api.post("/sms/campaign", json=CAMPAIGN, headers=keyed))
    assert_unavailable(
        await api.post("/sms", json={**CAMPAIGN, "to": "+306912345678"}, headers=auth)
    )
    assert_unavailable(await api.get("/accounts/me/transactions", headers=auth))
    assert_unavailable(await api.get("/accounts/me/balance", headers=auth))
    # Even the token endpoint: it needs the database to check the secret.
    assert_unavailable(
        await api.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=application)
    )
    async with services.db.read() as conn:  # (directly, not through the proxy)
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(ledger))).scalar_one() == 1

    await proxy.up()
    first = await api.post("/sms/campaign", json=CAMPAIGN, headers=keyed)
    assert first.status_code == 200, first.text
    again = await api.post("/sms/campaign", json=CAMPAIGN, headers=keyed)
    assert again.status_code == 200
    assert again.json()["trackingId"] == first.json()["trackingId"]
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar_one() == 1
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar_one() == 2


async def test_connections_cut_between_requests_are_replaced_unnoticed(
    api: httpx.AsyncClient, proxied: Services, proxy: DatabaseProxy
):
    """A database restart between requests: the pooled connections are dead, and the next
    request gets a fresh one instead of an error."""
    auth = bearer(await token(api, await credentials(proxied)))
    assert (await api.get("/accounts/me/transactions", headers=auth)).status_code == 200
    await proxy.down()
    await proxy.up()
    answer = await api.post("/sms/campaign", json=CAMPAIGN, headers=auth)
    assert answer.status_code == 200, answer.text
