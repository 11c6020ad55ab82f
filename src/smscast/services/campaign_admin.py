"""The operator's view of campaigns (the CLI): an account's list, one campaign of any
account in full, and its progress followed until it is final."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Final

from smscast.domain.campaigns import CampaignState, MessageStatus
from smscast.errors import NotFoundInStore, ValidationFailed
from smscast.store import campaign_admin as q
from smscast.store.campaign_admin import CampaignCounts as CampaignCounts
from smscast.store.campaign_admin import CampaignDetail as CampaignDetail
from smscast.store.campaign_admin import CampaignOverview as CampaignOverview
from smscast.store.db import Database
from smscast.types import AccountId

FINAL_STATES: Final = frozenset({CampaignState.FINISHED, CampaignState.FAILED})
# Statuses in the order a message moves through them, for displays.
FLOW_ORDER: Final = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.UNSENT,
)
MAX_LIST: Final = 1000

Sleep = Callable[[float], Awaitable[object]]


def parse_state(text: str) -> CampaignState:
    """A campaign state by name, in any case."""
    for state in CampaignState:
        if state.value.lower() == text.strip().lower():
            return state
    choices = ", ".join(state.value for state in CampaignState)
    raise ValidationFailed(f"state must be one of {choices}")


class CampaignAdmin:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(
        self, account_id: AccountId, *, state: str | None = None, limit: int = 50
    ) -> list[CampaignOverview]:
        """The account's campaigns (not single SMS, not deleted), newest first."""
        wanted = parse_state(state) if state is not None else None
        if not 1 <= limit <= MAX_LIST:
            raise ValidationFailed(f"limit must be between 1 and {MAX_LIST}")
        async with self._db.read() as conn:
            return await q.list_campaigns(
                conn, account_id, state=wanted.value if wanted else None, limit=limit
            )

    async def get(self, tracking_id: str) -> CampaignDetail:
        async with self._db.read() as conn:
            found = await q.get_detail(conn, tracking_id)
        if found is None:
            raise NotFoundInStore(f"no campaign {tracking_id!r}")
        return found

    async def counts(self, tracking_id: str) -> CampaignCounts:
        async with self._db.read() as conn:
            found = await q.get_counts(conn, tracking_id)
        if found is None:
            raise NotFoundInStore(f"no campaign {tracking_id!r}")
        return found

    async def watch(
        self, tracking_id: str, interval: float, *, sleep: Sleep = asyncio.sleep
    ) -> AsyncGenerator[CampaignCounts, None]:
        """The campaign's counts now and after every ``interval`` seconds; the last one
        yielded is final (Finished or Failed). Raises if the campaign is or becomes gone."""
        if not interval > 0:
            raise ValidationFailed("interval must be more than 0 seconds")
        while True:
            counts = await self.counts(tracking_id)
            yield counts
            if counts.state in FINAL_STATES:
                return
            await sleep(interval)
