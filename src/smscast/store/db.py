"""Engine set-up for both databases and the two ways to open a transaction.

SQLite needs care to be a good citizen of one machine with several tasks: WAL so readers never
block the writer, foreign keys on, a busy timeout, and write transactions that take the write
lock up front (``BEGIN IMMEDIATE``) so two writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from smscast.errors import StoreError

_WRITE = "smscast_write"


@dataclass(frozen=True, slots=True)
class DatabaseOptions:
    url: str
    pool_size: int = 10
    sqlite_busy_timeout_ms: int = 10_000
    echo: bool = False


class Database:
    """One engine and the transaction helpers that services use."""

    def __init__(self, options: DatabaseOptions) -> None:
        self.options = options
        self.engine = _create_engine(options)
        self._writer = self.engine.execution_options(**{_WRITE: True})
        # Reads see one snapshot on PostgreSQL too (its default, READ COMMITTED, gives each
        # statement its own): a balance and its ledger read together must agree.
        self._reader = (
            self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that will write; commits on success, rolls back on any error."""
        async with self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        async with self._reader.begin() as conn:
            yield conn

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except (DBAPIError, OSError) as exc:
            raise StoreError(f"database unreachable: {exc}") from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


def _create_engine(options: DatabaseOptions) -> AsyncEngine:
    if options.url.startswith("sqlite"):
        engine = create_async_engine(options.url, echo=options.echo)
        _configure_sqlite(engine, options.sqlite_busy_timeout_ms)
        return engine
    return create_async_engine(
        options.url,
        echo=options.echo,
        pool_size=options.pool_size,
        max_overflow=options.pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# PostgreSQL's deadlock and serialization failures, and SQLite's busy lock: the transaction
# lost a race and can simply be tried again.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException) -> bool:
    """Whether a database error means "try again", not "something is wrong"."""
    cause: BaseException | None = exc
    while cause is not None:
        if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        if "database is locked" in str(cause):
            return True
        cause = cause.__cause__ or getattr(cause, "orig", None)
        if cause is exc:
            break
    return False
