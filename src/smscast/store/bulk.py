"""Bulk paths that skip SQLAlchemy's per-row work: the driver's own executemany or COPY.

A campaign or an import moves hundreds of thousands of rows; SQLAlchemy's bind and result
processing costs more per row than the database does. Here values are put in the driver's
form once (timestamps, booleans), rows go to ``executemany`` (SQLite) or binary
``COPY`` (PostgreSQL), and reads come back through the driver's cursor. Everything runs on
the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from smscast.errors import StoreConflict

_MICROS = Decimal(1_000_000)


class DriverForm:
    """Values in the form a driver's bulk path takes them, for one kind of database."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def timestamp(self, moment: datetime) -> Any:
        if self.postgres:
            return moment
        # The text form SQLAlchemy's SQLite DATETIME stores (UtcDateTime keeps UTC there).
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def boolean(self, value: bool) -> Any:
        return value if self.postgres else int(value)

    def money(self, amount: Decimal) -> Any:
        """An exact amount as the ``Money`` column stores it (millionths on SQLite)."""
        return amount if self.postgres else int(amount * _MICROS)


# Up to this many rows, PostgreSQL gets a prepared INSERT rather than COPY (a single SMS,
# a small campaign's last batch).
_FEW = 16


class Bulk(DriverForm):
    """Driver-level bulk access for one connection (and its open transaction)."""

    def __init__(self, conn: AsyncConnection, *, begun: bool = False) -> None:
        """``begun``: the caller has run a statement on ``conn`` already (its transaction
        has begun on the server), so none is needed to make sure of it."""
        super().__init__(conn.dialect.name == "postgresql")
        self._conn = conn
        self._begun = begun
        self._raw: Any = None

    async def _driver(self) -> Any:
        if self._raw is None:
            if self.postgres and not self._begun:
                # SQLAlchemy begins the transaction with its first statement: make sure there
                # is one before using the asyncpg connection directly.
                await self._conn.exec_driver_sql("SELECT 1")
            self._raw = (await self._conn.get_raw_connection()).driver_connection
        return self._raw

    async def insert(
        self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert ``rows`` (values in driver form, in ``columns`` order)."""
        if not rows:
            return
        driver = await self._driver()
        try:
            if self.postgres and len(rows) > _FEW:
                await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
                return
            # Fewer rows: COPY waits for the server's go-ahead before sending (two round
            # trips), a prepared INSERT, cached by asyncpg, is one with the same binary values.
            marks = ", ".join(f"${i}" if self.postgres else "?" for i in range(1, len(columns) + 1))
            names = ", ".join(f'"{c}"' for c in columns)
            await driver.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
        except (sqlite3.IntegrityError, asyncpg.UniqueViolationError) as exc:
            raise StoreConflict(f"bulk insert into {table.name}: {exc}") from exc

    async def stream(self, query: Select[Any], batch: int) -> AsyncIterator[list[Any]]:
        """Rows of ``query`` in batches of tuples (asyncpg Records on PostgreSQL)."""
        compiled = query.compile(
            dialect=self._conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        driver = await self._driver()
        if self.postgres:
            cursor = await driver.cursor(str(compiled), *params)
            while rows := await cursor.fetch(batch):
                yield rows
            return
        cursor = await driver.execute(str(compiled), params)
        try:
            while rows := await cursor.fetchmany(batch):
                yield rows
        finally:
            await cursor.close()
