"""The databases a benchmark runs on: a SQLite file, then a PostgreSQL database made for the
run and dropped after (skipped, with the reason, when no server answers at SMSCAST_TEST_PG)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

PG_ADMIN = os.environ.get("SMSCAST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def backends(directory: Path, *, sqlite_only: bool = False) -> AsyncIterator[tuple[str, str]]:
    """(name, SQLAlchemy URL) of each database to run on, in turn."""
    yield "SQLite", f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    if sqlite_only:
        return
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL: skipped ({exc})")
        return
    name = f"smscast_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield "PostgreSQL", f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
