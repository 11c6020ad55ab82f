"""Migrations and models agree; money and time survive the round trip exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, MetaData, Table, func, select

from smscast.services.runtime import Services
from smscast.store import migrate
from smscast.store.columns import Money, UtcDateTime


async def test_migrations_match_the_tables(services: Services):
    assert await migrate.current_revision(services.db) == migrate.head_revision()
    assert await migrate.schema_drift(services.db) == []


async def test_upgrade_twice_is_harmless(services: Services):
    await migrate.upgrade(services.db)
    assert await migrate.schema_drift(services.db) == []


_scratch = MetaData()
_values = Table(
    "scratch_values",
    _scratch,
    Column("amount", Money()),
    Column("moment", UtcDateTime()),
)


async def test_money_and_time_round_trip(services: Services):
    amounts = [Decimal("0.000001"), Decimal("123456789.123456"), Decimal("-5.5"), Decimal(0)]
    moment = datetime(2026, 3, 1, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with services.db.write() as conn:
        await conn.run_sync(_scratch.create_all)
        await conn.execute(_values.insert(), [{"amount": a, "moment": moment} for a in amounts])
        rows = (await conn.execute(select(_values.c.amount, _values.c.moment))).all()
        total = (await conn.execute(select(func.sum(_values.c.amount)))).scalar_one()
        await conn.run_sync(_scratch.drop_all)
    assert sorted(r.amount for r in rows) == sorted(amounts)
    assert all(r.moment == moment and r.moment.tzinfo is not None for r in rows)
    assert rows[0].moment.utcoffset() == timedelta(0)
    assert total == sum(amounts)


def test_money_refuses_hidden_rounding():
    with pytest.raises(ValueError, match="more than 6 places"):
        Money().process_bind_param(Decimal("0.0000001"), _Dialect("sqlite"))


def test_utc_datetime_refuses_naive():
    with pytest.raises(ValueError, match="timezone-aware"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), _Dialect("sqlite"))
    assert UtcDateTime().process_result_value(datetime(2026, 1, 1), _Dialect("sqlite")) == datetime(
        2026, 1, 1, tzinfo=UTC
    )


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


def test_head_constant_matches_the_scripts():
    assert migrate.head_revision() == migrate.HEAD


def test_money_refuses_multiplication_and_division_in_sql():
    from smscast.store.tables import accounts

    added = accounts.c.balance + Decimal(1)
    compared = accounts.c.balance >= Decimal(1)
    assert "+" in str(added)
    assert ">=" in str(compared)
    with pytest.raises(TypeError, match="only"):
        accounts.c.balance * 3
    with pytest.raises(TypeError, match="only"):
        accounts.c.balance / 2
