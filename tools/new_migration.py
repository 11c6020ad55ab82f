"""Developer tool: autogenerate the next Alembic revision from ``smscast.store.tables``.

Usage: .venv/bin/python tools/new_migration.py "add contacts"
Runs against a throw-away SQLite database migrated to head, so the diff is exactly what the
tables add. Read the generated file before committing it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command

from smscast.store.db import Database, DatabaseOptions
from smscast.store.migrate import alembic_config, upgrade


async def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(DatabaseOptions(url=f"sqlite+aiosqlite:///{Path(tmp) / 'gen.db'}"))
        await upgrade(db)
        async with db.write() as conn:
            await conn.run_sync(
                lambda sync: command.revision(
                    alembic_config(sync),
                    message=message,
                    autogenerate=True,
                    version_path=str(
                        Path(__file__).resolve().parent.parent
                        / "src/smscast/store/migrations/versions"
                    ),
                )
            )
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
