"""Contact import and the campaign member query at scale, on SQLite and PostgreSQL.

    .venv/bin/python bench/contacts.py [--contacts 1000000] [--sqlite-only]

Generates a CSV of N contacts (streamed to a temporary file), imports it into one group with
``smscast contacts import``'s code path, blacklists 5% of them, then times the campaign
query "members of group G minus the Sms blacklist". Baselines in the same run: the driver's
own bulk insert of the same rows with no validation (import), and reading the bare
membership index (query). PostgreSQL runs in a database created for the run and dropped
after; it is skipped with a message when no server answers at SMSCAST_TEST_PG.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

from databases import backends
from sqlalchemy import text

from smscast.clock import SystemClock
from smscast.services.runtime import Services, build_services
from smscast.settings import Settings
from smscast.store import groups as gq
from smscast.store.bulk import Bulk
from smscast.store.tables import blacklist, group_members

FIRST = ["Maria", "Giorgos", "Anna", "Jean", "Hans", "Sofia", "Luca", "Élodie", "Ülkü", "Åsa"]
LAST = ["Papadopoulou", "Müller", "Rossi", "Dubois", "Nowak", "Smith", "García", "Öztürk"]
PREFIXES = ["+3069", "+49151", "+4479", "+336", "+3932", "+346"]


def write_csv(path: Path, count: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["mobile", "firstName", "lastName", "email", "vip", "city"])
        for i in range(count):
            prefix = PREFIXES[i % len(PREFIXES)]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            out.writerow(
                [
                    f"{prefix}{i:08d}",
                    first,
                    last,
                    f"{first.lower()}.{i}@example.com",
                    "true" if i % 20 == 0 else "",
                    f"City {i % 500}",
                ]
            )


def peak_mb() -> float:
    """Peak resident memory of this process or of any child it waited for (the import's
    validating worker), whichever is larger."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


async def raw_insert_baseline(services: Services, path: Path) -> float:
    """Rows/s of the driver's bulk insert of the same CSV, no validation, no indexes."""
    async with services.db.write() as conn:
        await conn.execute(
            text(
                "CREATE TABLE bench_raw (mobile TEXT, first_name TEXT, last_name TEXT,"
                " email TEXT, vip TEXT, city TEXT)"
            )
        )
    from sqlalchemy import Column, MetaData, Table, Text

    raw = Table("bench_raw", MetaData(), *(Column(c, Text) for c in
                ("mobile", "first_name", "last_name", "email", "vip", "city")))  # fmt: skip
    started = time.perf_counter()
    count = 0
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[tuple[str, ...]] = []
        for row in reader:
            batch.append(tuple(row))
            if len(batch) == 5000:
                async with services.db.write() as conn:
                    await Bulk(conn).insert(raw, [c.name for c in raw.columns], batch)
                count += len(batch)
                batch = []
        if batch:
            async with services.db.write() as conn:
                await Bulk(conn).insert(raw, [c.name for c in raw.columns], batch)
            count += len(batch)
    return count / (time.perf_counter() - started)


async def run_backend(name: str, url: str, path: Path, count: int) -> None:
    settings = Settings(database_url=url, secret_hash_time_cost=1, secret_hash_memory_kib=8)
    services = build_services(settings, SystemClock())
    await services.prepare()
    try:
        account = (await services.accounts.create(f"bench-{uuid.uuid4().hex[:8]}")).account
        baseline = await raw_insert_baseline(services, path)

        started = time.perf_counter()
        summary = await services.contact_import.run_file(account.id, path, group="G")
        import_rate = summary.created / (time.perf_counter() - started)
        import_peak = peak_mb()

        group = (await services.contacts.group(account.id, "G")).id
        async with services.db.write() as conn:
            ids = [
                r[0]
                for r in await conn.execute(
                    text("SELECT contact_pk FROM group_members WHERE group_id = :g"), {"g": group}
                )
            ]
            now = Bulk(conn).timestamp(SystemClock().now())
            black = [(c, "Sms", account.id, now) for c in ids[::20]]
            await Bulk(conn).insert(
                blacklist, ("contact_pk", "service", "account_id", "created_at"), black
            )
            await conn.exec_driver_sql("ANALYZE")

        async def members(**fields: bool) -> tuple[int, float]:
            async with services.db.read() as conn:
                started = time.perf_counter()
                total = 0
                async for batch in gq.stream_members(conn, account.id, [group], **fields):
                    total += len(batch)
                return total, total / (time.perf_counter() - started)

        async def bare_index() -> float:
            async with services.db.read() as conn:
                started = time.perf_counter()
                query = gq.select(group_members.c.contact_pk).where(
                    group_members.c.group_id == group
                )
                total = 0
                async for rows in Bulk(conn).stream(query, 1000):
                    total += len(rows)
                return total / (time.perf_counter() - started)

        await members(with_names=False, with_labels=False)  # warm the cache once
        numbers_only = await members(with_names=False, with_labels=False)
        everything = await members()
        index_rate = await bare_index()

        print(f"{name}: {summary.created:,} contacts imported into group G")
        print(f"  {'driver bulk insert, no validation (baseline)':52} {baseline:10,.0f} rows/s")
        print(
            f"  {'smscast contacts import':52} {import_rate:10,.0f} rows/s"
            f"  {import_rate / baseline:5.2f}x   peak RSS {import_peak:,.0f} MB"
        )
        print(f"  {'membership index alone (baseline)':52} {index_rate:10,.0f} rows/s")
        for label, (rows, rate) in (
            ("members minus blacklist: id, number, country", numbers_only),
            ("members minus blacklist: + names, email, labels", everything),
        ):
            print(f"  {label:52} {rate:10,.0f} rows/s  {rate / index_rate:5.2f}x  ({rows:,} rows)")
    finally:
        await services.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        started = time.perf_counter()
        write_csv(path, args.contacts)
        print(
            f"generated {args.contacts:,} contacts ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        async for name, url in backends(Path(tmp), sqlite_only=args.sqlite_only):
            await run_backend(name, url, path, args.contacts)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
