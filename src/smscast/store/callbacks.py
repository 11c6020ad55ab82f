"""Queries behind writing callbacks: which callbacks a campaign asks for (its own, else its
application's defaults), with its signing key and what its last campaign callback said.
Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.campaigns import Callback, CallbackStrategy
from smscast.store.dispatch import COUNTERS
from smscast.store.tables import applications, campaigns


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """A campaign as its callbacks see it. ``message`` and ``campaign`` are the callbacks in
    effect (None: not asked for)."""

    pk: int
    id: str
    account_id: str
    application_id: str | None
    kind: str
    name: str | None
    secret: str  # "" when no application: such callbacks go out unsigned
    message: Callback | None
    campaign: Callback | None
    state: str
    total: int
    counters: dict[str, int]
    announced_state: str | None
    announced_counts: dict[str, int] | None
    completed: bool
    deleted: bool


async def targets(conn: AsyncConnection, pks: Iterable[int]) -> dict[int, CallbackTarget]:
    """The campaigns ``pks`` that ask for a message or a campaign callback."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    query = (
        select(
            campaigns.c.pk,
            campaigns.c.id,
            campaigns.c.account_id,
            campaigns.c.application_id,
            campaigns.c.kind,
            campaigns.c.name,
            campaigns.c.callback,
            campaigns.c.campaign_callback,
            campaigns.c.state,
            campaigns.c.total_messages,
            *(campaigns.c[c] for c in COUNTERS),
            campaigns.c.callback_state,
            campaigns.c.callback_counts,
            campaigns.c.callback_completed,
            campaigns.c.deleted_at,
            applications.c.callback_secret,
            applications.c.callback.label("default_callback"),
            applications.c.campaign_callback.label("default_campaign_callback"),
        )
        .select_from(
            campaigns.outerjoin(applications, applications.c.id == campaigns.c.application_id)
        )
        .where(campaigns.c.pk.in_(wanted))
    )
    found: dict[int, CallbackTarget] = {}
    for r in await conn.execute(query):
        # JSON columns hold a JSON null for "none": both read back as None or a non-dict.
        message = _callback(r.callback) or _callback(r.default_callback)
        campaign = None
        if r.kind == "campaign":  # a single SMS has no campaign to report on
            campaign = _callback(r.campaign_callback) or _callback(r.default_campaign_callback)
        if message is None and campaign is None:
            continue
        counts = r.callback_counts if isinstance(r.callback_counts, dict) else None
        found[r.pk] = CallbackTarget(
            pk=r.pk,
            id=r.id,
            account_id=r.account_id,
            application_id=r.application_id,
            kind=r.kind,
            name=r.name,
            secret=r.callback_secret or "",
            message=message,
            campaign=campaign,
            state=r.state,
            total=r.total_messages,
            counters={c: int(r._mapping[c]) for c in COUNTERS},
            announced_state=r.callback_state,
            announced_counts=None if counts is None else {k: int(v) for k, v in counts.items()},
            completed=bool(r.callback_completed),
            deleted=r.deleted_at is not None,
        )
    return found


async def mark_announced(
    conn: AsyncConnection, pk: int, state: str, counts: Mapping[str, int], completed: bool
) -> None:
    """What the campaign callback just written says, for judging the next one."""
    await conn.execute(
        update(campaigns)
        .where(campaigns.c.pk == pk)
        .values(callback_state=state, callback_counts=dict(counts), callback_completed=completed)
    )


def _callback(value: Any) -> Callback | None:
    """A stored ``{url, strategy}``; None for a JSON null or a shape no version wrote."""
    if not isinstance(value, dict):
        return None
    try:
        return Callback(str(value["url"]), CallbackStrategy(value["strategy"]))
    except (KeyError, ValueError):
        return None
