"""The services of one process, built once from settings by the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from smscast.clock import Clock
from smscast.domain.quiet_hours import parse_windows
from smscast.errors import ConfigError
from smscast.services.accounts import AccountService
from smscast.services.analysis import AnalysisService
from smscast.services.auth import AuthService
from smscast.services.campaign_admin import CampaignAdmin
from smscast.services.campaigns import CampaignService
from smscast.services.contact_import import ContactImporter
from smscast.services.contacts import ContactService
from smscast.services.prices import PriceService
from smscast.services.secrets import SecretHasher
from smscast.services.tracking import TrackingService
from smscast.settings import Settings
from smscast.store import migrate
from smscast.store.db import Database, DatabaseOptions, is_transient

log = logging.getLogger("smscast.runtime")
# Longest wait (seconds) between tries while the database is unavailable.
MAX_BACKOFF = 5.0


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    auth: AuthService
    accounts: AccountService
    prices: PriceService
    analysis: AnalysisService
    contacts: ContactService
    contact_import: ContactImporter
    campaigns: CampaignService
    campaign_admin: CampaignAdmin
    tracking: TrackingService

    async def prepare(self) -> None:
        """Migrate the schema and install the default price list (idempotent)."""
        await migrate.upgrade(self.db)
        await self.prices.ensure_installed()

    async def close(self) -> None:
        await self.db.dispose()


def open_database(settings: Settings) -> Database:
    return Database(
        DatabaseOptions(
            url=settings.database_url,
            pool_size=settings.database_pool_size,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            echo=settings.database_echo,
        )
    )


def build_services(settings: Settings, clock: Clock, db: Database | None = None) -> Services:
    try:
        parse_windows(settings.quiet_hours)
    except ValueError as exc:
        raise ConfigError(f"quiet_hours: {exc}") from None
    db = db or open_database(settings)
    hasher = SecretHasher(
        time_cost=settings.secret_hash_time_cost, memory_kib=settings.secret_hash_memory_kib
    )
    auth = AuthService(db, clock, hasher, settings.token_lifetime_seconds)
    prices = PriceService(db, settings.exchange_rates, settings.prices_file)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        auth=auth,
        accounts=AccountService(db, clock, auth, settings.exchange_rates, settings.quiet_hours),
        prices=prices,
        analysis=AnalysisService(prices),
        contacts=ContactService(db, clock),
        contact_import=ContactImporter(db, clock),
        campaigns=CampaignService(db, clock, prices),
        campaign_admin=CampaignAdmin(db),
        tracking=TrackingService(db, clock),
    )


async def wait_for_database(
    attempt: Callable[[], Awaitable[object]], stop: asyncio.Event, what: str
) -> bool:
    """Run ``attempt`` until it succeeds (True) or ``stop`` is set first (False). A lost race
    or the database away (not up yet, restarting, connections dropped) is waited out, longer
    each time up to ``MAX_BACKOFF``; anything else is raised. For a process's start-up
    (migrations, joining the cluster): a worker started while the database is away waits for
    it as a running one does, rather than exit and leave that to a supervisor."""
    failures = 0
    while not stop.is_set():
        try:
            await attempt()
            return True
        except Exception as exc:
            if not is_transient(exc):
                raise
            failures += 1
            if failures == 1 or failures % 20 == 0:
                reason = str(exc).strip().splitlines()[:1] or [type(exc).__name__]
                log.warning("action=waiting_for_database step=%s error=%s failures=%d"
                            " reason=%r", what, type(exc).__name__, failures,
                            reason[0][:200])  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff(failures))
    return False


def backoff(failures: int) -> float:
    """Seconds to wait after the ``failures``-th failure in a row: 0.2, 0.4, … up to
    ``MAX_BACKOFF``."""
    return min(MAX_BACKOFF, 0.1 * 2.0 ** min(failures, 6))
