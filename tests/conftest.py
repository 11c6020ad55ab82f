"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, services, clients.

PostgreSQL: each test run creates its own database and drops it at the end. When no server
is reachable the PostgreSQL half skips locally and fails under CI (``CI=true``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from smscast.api.app import create_app
from smscast.clock import FakeClock
from smscast.services.runtime import Services, build_services
from smscast.settings import Settings, load_settings
from smscast.store.tables import metadata

PG_ADMIN_URL = os.environ.get("SMSCAST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_hash_time_cost": 1,
        "secret_hash_memory_kib": 8,
        "exchange_rates": {"EUR": "1", "USD": "1.08"},
        "database_pool_size": 5,
    }
    values.update(overrides)
    # Only these values: neither the developer's environment nor a smscast.toml leaks in.
    return load_settings(environ={}, read_files=False, **values)


async def _prepare(url: str) -> None:
    services = build_services(make_settings(url), FakeClock())
    try:
        await services.prepare()
    finally:
        await services.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the default prices, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{path}"))
    return path


async def _pg_reachable() -> str | None:
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """This run's own PostgreSQL database (created now, dropped at the end)."""
    problem = asyncio.run(_pg_reachable())
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the PostgreSQL tests")
        pytest.skip(f"{message}; the PostgreSQL tests run in CI")
    name = f"smscast_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        asyncio.run(_prepare(url))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated database for this test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "smscast.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_reset_postgres(url))
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    built = build_services(make_settings(database_url), clock)
    try:
        yield built
    finally:
        await built.close()


async def _reset_postgres(url: str) -> None:
    """Empty every table and reinstall the default prices: each test starts from scratch."""
    services = build_services(make_settings(url), FakeClock())
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    try:
        async with services.db.write() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await services.prices.ensure_installed()
    finally:
        await services.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://smscast.test") as c:
        yield c


@dataclass(frozen=True)
class Credentials:
    account_id: str
    application_id: str
    secret: str


MakeAccount = Callable[..., Awaitable[Credentials]]


@pytest.fixture
def make_account(services: Services) -> MakeAccount:
    counter = iter(range(1, 1_000_000))

    async def make(**overrides: Any) -> Credentials:
        values: dict[str, Any] = {"name": f"account-{next(counter)}", "balance": Decimal(100)}
        values.update(overrides)
        name = values.pop("name")
        created = await services.accounts.create(name, **values)
        return Credentials(
            created.account.id, created.application.application.id, created.application.secret
        )

    return make


GetToken = Callable[..., Awaitable[str]]


@pytest.fixture
def get_token(client: httpx.AsyncClient) -> GetToken:
    async def token(creds: Credentials, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        response = await client.post(
            "/oauth/token", data=data, auth=(creds.application_id, creds.secret)
        )
        assert response.status_code == 200, response.text
        access: str = response.json()["access_token"]
        return access

    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
