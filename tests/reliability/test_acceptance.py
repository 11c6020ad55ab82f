"""Accepting a campaign is all or nothing: campaigns racing for one balance never overdraw it,
and an API process killed while it writes a campaign leaves that campaign whole or absent
(its messages and its one ledger charge together), never half-written."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.domain.campaigns import MAX_TO
from smscast.services.runtime import Services
from smscast.store.db import Database
from smscast.store.tables import accounts, campaigns, ledger, messages
from smscast.types import AccountId, LedgerKind
from smscast.workers.runtime import Worker
from tests.conftest import Credentials, GetToken, MakeAccount, bearer
from tests.reliability.invariants import check

GR = Decimal("0.0430")  # one Greek SMS part


async def deliver(services: Services, clock: FakeClock) -> None:
    """Run the workers on the sandbox until every accepted message is final."""
    worker = Worker(services, build_carriers(services.settings, clock))
    try:
        for _ in range(3):
            await worker.burst()
            clock.advance(timedelta(seconds=3))
    finally:
        await worker.close()


# -- twenty campaigns, one balance ----------------------------------------------------------


async def test_twenty_campaigns_race_for_one_balance(
    client: httpx.AsyncClient,
    services: Services,
    make_account: MakeAccount,
    get_token: GetToken,
    clock: FakeClock,
    scale: int,
):
    count, affordable = 20 * scale, 7 * scale
    numbers = [f"+3069123456{n:02d}" for n in range(3)]
    price = len(numbers) * GR
    opening = price * affordable + price / 2
    creds = await make_account(balance=opening)
    auth = bearer(await get_token(creds))

    async def post(n: int) -> httpx.Response:
        body = {"from": "Shop", "body": f"Offer {n}", "to": numbers}
        return await client.post("/sms/campaign", json=body, headers=auth)

    responses = await asyncio.gather(*(post(n) for n in range(count)))

    accepted = {r.json()["trackingId"]: len(numbers) for r in responses if r.status_code == 200}
    refused = [r for r in responses if r.status_code != 200]
    assert len(accepted) == affordable
    assert len(refused) == count - affordable
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "400001009", response.text
    async with services.db.read() as conn:
        stored = await conn.scalars(
            select(campaigns.c.id).where(campaigns.c.account_id == creds.account_id)
        )
        charged = await conn.scalars(
            select(ledger.c.campaign_id).where(ledger.c.kind == LedgerKind.CHARGE.value)
        )
        written = await conn.scalar(select(func.count()).select_from(messages))
    assert sorted(stored) == sorted(accepted)
    assert sorted(charged) == sorted(accepted)
    assert written == affordable * len(numbers)
    balance, ledger_total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert balance == ledger_total == opening - affordable * price

    await deliver(services, clock)
    report = await check(services.db, accepted=accepted)
    assert report.messages == affordable * len(numbers)


# -- an API killed mid-acceptance -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ApiProcess:
    """``smscast api`` as a real process on this test's database, started and killed at will."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.env = {
            **os.environ,
            "SMSCAST_DATABASE_URL": database_url,
            "SMSCAST_SECRET_HASH_TIME_COST": "1",
            "SMSCAST_SECRET_HASH_MEMORY_KIB": "8",
        }
        self.env.pop("SMSCAST_CONFIG", None)
        self.log_path = log
        self.process: asyncio.subprocess.Process | None = None
        self.base = ""

    async def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log_path.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "smscast",
                "api",
                "--port",
                str(port),
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(timeout=1) as http:
            while True:
                try:
                    if (await http.get(f"{self.base}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert self.process.returncode is None, self.log_path.read_text()
                assert time.monotonic() < deadline, "the API did not come up"
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiProcess]:
    process = ApiProcess(database_url, tmp_path / "api.log")
    try:
        yield process
    finally:
        await process.kill()


# The other client sessions on this test's database: the API's (autovacuum is left out).
_OTHERS = (
    "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


async def writing(db: Database) -> bool:
    """Whether another connection holds a transaction that has written (the campaign's)."""
    async with db.read() as conn:
        query = text(
            f"SELECT count(*) FROM pg_stat_activity WHERE {_OTHERS} AND backend_xid IS NOT NULL"
        )
        return bool((await conn.execute(query)).scalar_one())


async def analysing(db: Database) -> bool:
    """Whether the API is refreshing statistics: after the commit, before the answer."""
    async with db.read() as conn:
        query = text(
            f"SELECT count(*) FROM pg_stat_activity WHERE {_OTHERS}"
            " AND state = 'active' AND query ILIKE 'ANALYZE%'"
        )
        return bool((await conn.execute(query)).scalar_one())


async def settle(db: Database) -> None:
    """Wait until the killed process's sessions are gone: its transaction is then committed
    or rolled back for good."""
    deadline = time.monotonic() + 30
    while True:
        async with db.read() as conn:
            query = text(
                f"SELECT count(*) FROM pg_stat_activity WHERE {_OTHERS} AND state <> 'idle'"
            )
            if not (await conn.execute(query)).scalar_one():
                return
        assert time.monotonic() < deadline, "the killed API's transaction is still open"
        await asyncio.sleep(0.02)


Trigger = Callable[[asyncio.Task[httpx.Response]], Awaitable[None]]


def after(delay: float) -> Trigger:
    async def wait(post: asyncio.Task[httpx.Response]) -> None:
        await asyncio.wait({post}, timeout=delay)

    return wait


def once(db: Database, condition: Callable[[Database], Awaitable[bool]]) -> Trigger:
    async def wait(post: asyncio.Task[httpx.Response]) -> None:
        while not post.done():
            if await condition(db):
                return
            await asyncio.wait({post}, timeout=0.002)

    return wait


@dataclass
class Outcome:
    """One campaign posted to an API killed part-way, and what the database kept of it."""

    name: str
    when: str
    open_at_kill: bool  # a write transaction was open when the process died
    answered: int | None  # the HTTP status, None when the connection died first
    present: bool
    elapsed: float


async def token(http: httpx.AsyncClient, base: str, creds: Credentials) -> str:
    response = await http.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds.application_id, creds.secret),
    )
    assert response.status_code == 200, response.text
    access: str = response.json()["access_token"]
    return access


async def stored_campaigns(db: Database, account_id: str) -> dict[str, tuple[str, int, int]]:
    """name → (trackingId, total_messages, messages stored) of the account's campaigns."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(
                campaigns.c.name,
                campaigns.c.id,
                campaigns.c.total_messages,
                func.count(messages.c.pk),
            )
            .select_from(campaigns.outerjoin(messages, messages.c.campaign_pk == campaigns.c.pk))
            .where(campaigns.c.account_id == account_id)
            .group_by(campaigns.c.pk, campaigns.c.name, campaigns.c.id, campaigns.c.total_messages)
        )
        return {name: (tracking_id, total, count) for name, tracking_id, total, count in rows}


async def post_and_kill(
    api: ApiProcess,
    db: Database,
    creds: Credentials,
    body: Mapping[str, object],
    trigger: Trigger,
) -> tuple[bool, float, httpx.Response | None]:
    """Start the API, post the campaign, kill the process when ``trigger`` says, and wait
    until the database has settled its transaction: (open_at_kill, elapsed, response)."""
    await api.start()
    async with httpx.AsyncClient(timeout=120) as http:
        auth = bearer(await token(http, api.base, creds))
        started = time.monotonic()
        post = asyncio.create_task(http.post(f"{api.base}/sms/campaign", json=body, headers=auth))
        await trigger(post)
        open_at_kill = await writing(db)
        elapsed = time.monotonic() - started
        await api.kill()
        try:
            response: httpx.Response | None = await post
        except httpx.TransportError:
            response = None
    await settle(db)
    return open_at_kill, elapsed, response


@pytest.mark.postgres
@pytest.mark.timeout(900)
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # PostgreSQL only
async def test_an_api_killed_while_accepting_leaves_the_campaign_whole_or_absent(
    database_url: str,
    services: Services,
    make_account: MakeAccount,
    api: ApiProcess,
    clock: FakeClock,
    scale: int,
):
    assert "postgresql" in database_url
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    size = min(20_000 * scale, MAX_TO)
    price = size * GR
    attempts = 2 + 3 * scale
    opening = price * attempts + 1
    creds = await make_account(balance=opening)
    numbers = [f"+30691{n:07d}" for n in range(size)]
    db = services.db

    # The first kill as soon as the campaign's transaction has written, the second while the
    # API refreshes statistics (committed, not yet answered), the rest at random moments up
    # to a little past the time the second one took.
    outcomes: list[Outcome] = []
    present: dict[str, str] = {}  # campaignName → trackingId
    for n in range(attempts):
        if n == 0:
            when, trigger = "mid-transaction", once(db, writing)
        elif n == 1:
            when, trigger = "after the commit", once(db, analysing)
        else:
            delay = rng.uniform(0.02, 1.2 * outcomes[1].elapsed)
            when, trigger = f"after {delay:.3f}s", after(delay)
        name = f"killed-{n}"
        body = {"from": "Shop", "body": "Flash sale", "to": numbers, "campaignName": name}
        open_at_kill, elapsed, response = await post_and_kill(api, db, creds, body, trigger)
        stored = await stored_campaigns(db, creds.account_id)
        answered = None if response is None else response.status_code
        outcome = Outcome(name, when, open_at_kill, answered, name in stored, elapsed)
        outcomes.append(outcome)
        context = f"seed {seed}, {outcome}"

        if response is not None:
            assert response.status_code == 200, f"{context}: {response.text}"
            assert stored[name][0] == response.json()["trackingId"], context
        if n == 0:
            assert not outcome.present, f"{context}: a campaign killed mid-write was kept"
        if outcome.present:
            tracking_id, total, written = stored[name]
            assert total == written == size, f"{context}: {written} of {total} messages"
            present[name] = tracking_id
        assert set(stored) == set(present), context
        await assert_paid_once(db, creds.account_id, present, price, opening, context)
    assert any(o.open_at_kill and not o.present for o in outcomes), (
        f"seed {seed}: no kill landed inside a transaction: {outcomes}"
    )

    # A restarted API accepts the account's next campaign: nothing was left locked.
    await api.start()
    async with httpx.AsyncClient(timeout=30) as http:
        auth = bearer(await token(http, api.base, creds))
        body = {"from": "Shop", "body": "Still here", "to": numbers[:3], "campaignName": "after"}
        response = await http.post(f"{api.base}/sms/campaign", json=body, headers=auth)
    await api.kill()
    assert response.status_code == 200, response.text
    accepted = dict.fromkeys(present.values(), size)
    accepted[response.json()["trackingId"]] = 3
    balance, ledger_total = await services.accounts.ledger_balance(AccountId(creds.account_id))
    assert balance == ledger_total == opening - price * len(present) - 3 * GR

    clock.set(datetime.now(UTC) + timedelta(seconds=1))
    await deliver(services, clock)
    report = await check(db, accepted=accepted)
    assert report.messages == size * len(present) + 3


async def assert_paid_once(
    db: Database,
    account_id: str,
    present: dict[str, str],
    price: Decimal,
    opening: Decimal,
    context: str,
) -> None:
    """Each campaign present was charged once, for all its messages; nothing else moved, and
    no message outlived its campaign."""
    async with db.read() as conn:
        charges = (
            await conn.execute(
                select(ledger.c.campaign_id, ledger.c.kind, ledger.c.amount).where(
                    ledger.c.account_id == account_id, ledger.c.kind != LedgerKind.TOPUP.value
                )
            )
        ).all()
        balance = (
            await conn.execute(select(accounts.c.balance).where(accounts.c.id == account_id))
        ).scalar_one()
        orphans = (
            await conn.execute(
                select(func.count())
                .select_from(messages)
                .where(messages.c.campaign_pk.not_in(select(campaigns.c.pk)))
            )
        ).scalar_one()
    assert sorted(c.campaign_id for c in charges) == sorted(present.values()), context
    assert all(c.kind == LedgerKind.CHARGE.value and c.amount == -price for c in charges), (
        f"{context}: {charges}"
    )
    assert balance == opening - price * len(present), context
    assert orphans == 0, f"{context}: {orphans} message(s) without a campaign"
