"""Engine set-up for both databases and the two ways to open a transaction.

SQLite needs care to be a good citizen of one machine with several tasks: WAL so readers never
block the writer, foreign keys on, a busy timeout, and write transactions that take the write
lock up front (``BEGIN IMMEDIATE``) so two writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from smscast.errors import StoreError, StoreUnavailable

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
        # Statements that need no common snapshot run outside a transaction on PostgreSQL:
        # no BEGIN and no COMMIT, two round trips of the three a lone SELECT costs.
        self._latest = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A transaction that will write; commits on success, rolls back on any error.
        A lost race or a lost or unobtainable connection is raised as ``StoreUnavailable``."""
        return _transaction(self._writer)

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        return _transaction(self._reader)

    def read_latest(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """Reads that need not agree with each other, for lookups on a hot path (a token,
        a price list), never for figures read together. PostgreSQL runs them outside a
        transaction, each statement seeing the latest commit; SQLite (no round trips to
        save) reads them like ``read``."""
        return _transaction(self._latest)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except (DBAPIError, OSError) as exc:
            raise StoreError(f"database unreachable: {exc}") from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def _transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    try:
        async with engine.begin() as conn:
            yield conn
    except Exception as exc:
        if is_transient(exc) and not isinstance(exc, StoreUnavailable):
            raise StoreUnavailable(f"database unavailable: {_first_line(exc)}") from exc
        raise


def _create_engine(options: DatabaseOptions) -> AsyncEngine:
    if options.url.startswith("sqlite"):
        engine = create_async_engine(options.url, echo=options.echo)
        _configure_sqlite(engine, options.sqlite_busy_timeout_ms)
        return engine
    engine = create_async_engine(
        options.url,
        echo=options.echo,
        pool_size=options.pool_size,
        max_overflow=options.pool_size,
        pool_recycle=1800,
    )
    _drop_closed_on_checkout(engine)
    return engine


def _drop_closed_on_checkout(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (a restart, a terminated backend) is
    replaced before use. SQLAlchemy's ``pool_pre_ping`` would ask the server, which on
    asyncpg is three round trips (BEGIN, ``;``, ROLLBACK) per checkout — a quarter of a
    single SMS's round trips. asyncpg sees the server's close on its socket and says so
    with ``is_closed()``, locally; a connection that dies silently fails on use instead,
    which answers 503 and invalidates the pool."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


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


# PostgreSQL's connection exceptions (class 08) and an administrator ending the session or
# the server shutting down or starting (57P01-57P03): the connection is gone, not the data.
_GONE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")


def is_transient(exc: BaseException) -> bool:
    """Whether a database error means "try again", not "something is wrong": a lost race
    (deadlock, serialization, SQLite's busy lock) or the database being unavailable."""
    for cause in _causes(exc):
        if isinstance(cause, StoreUnavailable):
            return True
        if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        if "database is locked" in str(cause):
            return True
    return is_unavailable(exc)


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database could not be reached, had no pooled connection to give within
    the pool timeout, or dropped the connection (terminated backend, restart, network)."""
    for cause in _causes(exc):
        if isinstance(cause, PoolTimeout | OSError):
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_GONE_SQLSTATE_PREFIXES):
            return True
        # asyncpg's "connection is closed" / "connection was closed in the middle of
        # operation" carry no SQLSTATE.
        if type(cause).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"} and (
            "closed" in str(cause)
        ):
            return True
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``__cause__``, a DBAPIError's ``orig``), each once."""
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and all(cause is not s for s in seen):
        seen.append(cause)
        cause = cause.__cause__ or getattr(cause, "orig", None)
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
