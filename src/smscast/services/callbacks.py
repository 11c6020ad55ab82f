"""Writing callbacks where statuses change: every worker that moves parts, messages or
campaigns calls these in the transaction that moved them, so a callback is in the outbox if
and only if its change was committed (the notifier delivers it later, on its own).

Message callbacks are the tracking entries of the parts that changed (one per part, with
everything tracking shows); campaign callbacks are judged against what the campaign's last
callback said, stored on the campaign."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.callbacks import (
    CampaignSnapshot,
    PartEvent,
    campaign_callback_due,
    campaign_payload,
    message_payload,
    wants_message_callback,
)
from smscast.domain.campaigns import (
    STATUS_KEYS,
    CallbackStrategy,
    CampaignState,
    MessageStatus,
)
from smscast.services.tracking import TrackingEntry, complete_entries
from smscast.store import callbacks as q
from smscast.store import outbox
from smscast.store import tracking as tracking_q
from smscast.store.callbacks import CallbackTarget
from smscast.store.outbox import NewCallback

MESSAGE: Final = "message"
CAMPAIGN: Final = "campaign"
_ENDED: Final = frozenset({CampaignState.FINISHED, CampaignState.FAILED})


async def parts_changed(
    conn: AsyncConnection,
    now: datetime,
    *,
    messages: Iterable[tuple[int, int, MessageStatus]] = (),
    parts: Iterable[tuple[int, int, MessageStatus]] = (),
) -> int:
    """Write the message callbacks of a change: ``messages`` are (campaign pk, message pk, its
    new status) whose every part changed, ``parts`` (campaign pk, part pk, its new status) of
    single parts that did. How many callbacks were written.

    A change its strategy does not want (OnCompletion, not final) is dropped before anything
    is read; a message is judged by its own status first (a Sent message has no final part),
    then each part by its own."""
    messages = list(messages)
    parts = list(parts)
    found = await q.targets(conn, {c for c, _, _ in messages} | {c for c, _, _ in parts})
    strategies = {
        pk: callback.strategy
        for pk, target in found.items()
        if (callback := target.message) is not None
    }

    def wanted(campaign_pk: int, status: MessageStatus) -> bool:
        strategy = strategies.get(campaign_pk)
        return strategy is not None and wants_message_callback(strategy, status)

    message_pks = [m for c, m, status in messages if wanted(c, status)]
    part_pks = [p for c, p, status in parts if wanted(c, status)]
    if not message_pks and not part_pks:
        return 0
    changed = await tracking_q.changed_entries(conn, message_pks, part_pks)
    kept = [r for r in changed.rows if wanted(r.campaign_pk, MessageStatus(r.status))]
    page = tracking_q.EntryPage(kept, len(kept), changed.campaigns)
    entries = await complete_entries(conn, page)
    rows: list[NewCallback] = []
    for row, entry in zip(page.rows, entries, strict=True):
        target = found[row.campaign_pk]
        message = target.message
        assert message is not None  # wanted() said so
        body = message_payload(_event(entry, row.detailed_status))
        rows.append(_new(target, MESSAGE, message.url, body, now))
    await outbox.enqueue(conn, rows)
    return len(rows)


async def campaigns_changed(conn: AsyncConnection, now: datetime, pks: Iterable[int]) -> int:
    """Write the campaign callbacks that the campaigns ``pks`` now call for (state and counters
    as this transaction left them). How many were written."""
    rows: list[NewCallback] = []
    for target in (await q.targets(conn, pks)).values():
        callback = target.campaign
        if callback is None or target.deleted:
            continue
        after = _snapshot(target, target.state, _counts(target.counters))
        # Before the first callback the campaign is as accepted: nothing counted yet.
        before = _snapshot(target, target.announced_state or target.state, {})
        if not campaign_callback_due(
            callback.strategy, before, after, target.announced_counts, target.completed
        ):
            continue
        rows.append(_new(target, CAMPAIGN, callback.url, campaign_payload(after, callback), now))
        completed = target.completed or (
            callback.strategy is CallbackStrategy.ON_COMPLETION and after.state in _ENDED
        )
        await q.mark_announced(conn, target.pk, after.state.value, after.counts, completed)
    await outbox.enqueue(conn, rows)
    return len(rows)


def _snapshot(target: CallbackTarget, state: str, counts: dict[str, int]) -> CampaignSnapshot:
    return CampaignSnapshot(target.id, target.name, target.total, CampaignState(state), counts)


def _counts(counters: dict[str, int]) -> dict[str, int]:
    """Stored counters ("queued") keyed as callbacks spell the statuses ("Queued")."""
    return {status.value: counters.get(status.value.lower(), 0) for status in STATUS_KEYS}


def _event(entry: TrackingEntry, detailed_status: str | None) -> PartEvent:
    return PartEvent(
        message_id=entry.message_id,
        sms_id=entry.sms_id,
        campaign_tracking_id=entry.campaign_tracking_id,
        campaign_name=entry.campaign_name,
        part=entry.part,
        parts=entry.parts,
        label=entry.label,
        to=entry.to,
        sender=entry.sender,
        country=entry.country,
        operator=entry.operator,
        groups=entry.groups,
        status=MessageStatus(entry.status),
        detailed_status=detailed_status,
        updated_at=entry.status_at,
        text=entry.body,
        application_name=entry.application_name,
        latency=entry.latency,
        price=entry.price,
    )


def _new(
    target: CallbackTarget, kind: str, url: str, body: dict[str, object], now: datetime
) -> NewCallback:
    return NewCallback(
        account_id=target.account_id,
        application_id=target.application_id,
        kind=kind,
        url=url,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        secret=target.secret,
        at=now,
    )
