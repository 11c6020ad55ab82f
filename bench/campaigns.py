"""Accepting campaigns through a running ``smscast api`` server, on SQLite and PostgreSQL.

    .venv/bin/python bench/campaigns.py [--contacts 1000000] [--sqlite-only]

Starts the server as a child process on a fresh database, then times, over HTTP:
- a campaign to 30,000 ``to`` numbers in 20 countries (answered = every message stored);
- a campaign to a group of N contacts, plain and with a ``[~firstName]`` placeholder.
Peak memory is the server's (VmHWM). Baselines in the same run: the trivial request
``GET /accounts/me/balance`` (HTTP round trip), and the driver's own bulk insert of N
message-shaped rows into a table with no index (what storing costs before any work).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import phonenumbers
from sqlalchemy import Column, Integer, MetaData, Table, Text

from smscast.clock import SystemClock
from smscast.domain.numbers import parse_recipient
from smscast.services.runtime import build_services
from smscast.settings import Settings
from smscast.store.bulk import Bulk

sys.path.insert(0, str(Path(__file__).parent))
from contacts import write_csv
from databases import backends

COUNTRIES = ["GR", "DE", "GB", "FR", "IT", "ES", "NL", "BE", "PT", "SE",
             "PL", "AT", "CH", "IE", "DK", "FI", "NO", "CZ", "RO", "US"]  # fmt: skip


def numbers_in(country: str, count: int) -> list[str]:
    """``count`` distinct valid mobile numbers of a country, varied from its example."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    found: list[str] = []
    n = 0
    while len(found) < count:
        candidate = base[:-5] + f"{n:05d}"
        n += 1
        if parse_recipient(candidate) is not None:
            found.append(candidate)
        if n > 100_000:
            raise RuntimeError(f"cannot vary {country}'s example number")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def insert_baseline(url: str, count: int) -> float:
    """Rows/s of the driver's bulk insert of message-shaped rows into a bare table."""
    services = build_services(Settings(database_url=url), SystemClock())
    table = Table(
        "bench_messages",
        MetaData(),
        *(Column(c, Text) for c in ("id", "account_id", "mobile", "country", "contact_id")),
        *(Column(c, Integer) for c in ("campaign_pk", "parts")),
    )
    try:
        async with services.db.write() as conn:
            await conn.run_sync(table.metadata.create_all)
        started = time.perf_counter()
        async with services.db.write() as conn:
            bulk = Bulk(conn)
            columns = [c.name for c in table.columns]
            for start in range(0, count, 5000):
                rows = [
                    (str(uuid.uuid4()), "acct", f"+30691{i:07d}", "GR", None, 1, 1)
                    for i in range(start, min(count, start + 5000))
                ]
                await bulk.insert(table, columns, rows)
        return count / (time.perf_counter() - started)
    finally:
        await services.close()


async def run_backend(name: str, url: str, csv_path: Path, count: int) -> None:
    services = build_services(
        Settings(database_url=url, secret_hash_time_cost=1, secret_hash_memory_kib=8),
        SystemClock(),
    )
    await services.prepare()
    try:
        made = await services.accounts.create(
            f"bench-{uuid.uuid4().hex[:6]}", balance=Decimal(10**9)
        )
        started = time.perf_counter()
        await services.contact_import.run_file(made.account.id, csv_path, group="G")
        imported = time.perf_counter() - started
    finally:
        await services.close()
    baseline_rows = await insert_baseline(url, count)

    port = free_port()
    env = {**os.environ, "SMSCAST_DATABASE_URL": url, "SMSCAST_LOG_LEVEL": "warning"}
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smscast",
        "api",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(200):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError(
                    f"server did not start: {server.stderr.read() if server.stderr else ''}"
                )
            app = made.application.application
            token = (
                await client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(app.id, made.application.secret),
                )
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}

            async def timed(body: dict[str, object]) -> tuple[float, dict[str, object]]:
                started = time.perf_counter()
                response = await client.post("/sms/campaign", json=body, headers=auth)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(response.text[:500])
                return elapsed, response.json()

            started = time.perf_counter()
            for _ in range(20):
                await client.get("/accounts/me/balance", headers=auth)
            round_trip = (time.perf_counter() - started) / 20

            to = [n for c in COUNTRIES for n in numbers_in(c, 1500)]
            to_time, to_campaign = await timed(
                {"from": "Shop", "body": "Spring sale: 20% off", "to": to}
            )
            plain_time, plain = await timed(
                {"from": "Shop", "body": "Spring sale: 20% off today", "groups": ["G"]}
            )
            named_time, named = await timed(
                {"from": "Shop", "body": "Hi [~firstName], 20% off today", "groups": ["G"]}
            )
            peak = peak_mb(server.pid)
    finally:
        server.terminate()
        await server.wait()

    print(f"{name}: {count:,} contacts imported into group G in {imported:.1f} s (setup)")
    print(f"  {'HTTP round trip, GET balance (baseline)':54} {round_trip * 1000:9.1f} ms")
    print(
        f"  {'campaign to 30,000 numbers in 20 countries':54} {to_time:9.2f} s"
        f"   {to_campaign['totalMessages']:,} messages stored"
    )
    print(f"  {'driver bulk insert, bare table (baseline)':54} {baseline_rows:9,.0f} rows/s")
    for label, elapsed, campaign in (
        ("campaign to the group, plain body", plain_time, plain),
        ("campaign to the group, [~firstName] body", named_time, named),
    ):
        stored = int(campaign["totalMessages"])  # type: ignore[call-overload]
        rate = stored / elapsed
        print(
            f"  {label:54} {elapsed:9.2f} s   {rate:,.0f} msgs/s"
            f"  {rate / baseline_rows:4.2f}x  ({stored:,} messages)"
        )
    print(f"  {'server peak memory (VmHWM)':54} {peak:9,.0f} MB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        write_csv(csv_path, args.contacts)
        async for name, url in backends(Path(tmp), sqlite_only=args.sqlite_only):
            await run_backend(name, url, csv_path, args.contacts)


if __name__ == "__main__":
    asyncio.run(main())
