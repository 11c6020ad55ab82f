"""Alembic, driven from code: ``smscast migrate`` and ``smscast serve`` call ``upgrade``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from smscast.store.db import Database
from smscast.store.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "smscast.store:migrations"
# The newest revision; a test holds it equal to the scripts' head. Knowing it lets a process
# whose database is current skip loading Alembic at all (a third of CLI start-up time).
HEAD = "0009"
# Any constant works; it only has to be the same in every smscast process.
_PG_MIGRATION_LOCK = 0x534D5343


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Safe when several processes start at once."""
    if revision == "head" and await _recorded_revision(database) == HEAD:
        return
    async with database.write() as conn:
        if database.dialect == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        await conn.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


async def _recorded_revision(database: Database) -> str | None:
    try:
        async with database.read() as conn:
            found = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return found.scalar_one_or_none()
    except DBAPIError:  # no alembic_version table yet: a new database
        return None


async def current_revision(database: Database) -> str | None:
    from alembic.migration import MigrationContext

    async with database.read() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def schema_drift(database: Database) -> list[Any]:
    """Differences between the migrated schema and ``tables.metadata`` (empty when they agree)."""
    async with database.read() as conn:
        return await conn.run_sync(_compare)


def _compare(connection: Connection) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, metadata)) + _collation_drift(connection)


def _collation_drift(connection: Connection) -> list[Any]:
    """Alembic's comparison ignores collations; keys compared as bytes must stay so."""
    if connection.dialect.name != "postgresql":
        return []
    stored = {
        (table, column): collation
        for table, column, collation in connection.exec_driver_sql(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    }
    drift: list[Any] = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            wanted = getattr(column.type.dialect_impl(connection.dialect), "collation", None)
            found = stored.get((table.name, column.name))
            if wanted is not None and found != wanted:
                drift.append(("collation", table.name, column.name, found, wanted))
    return drift
