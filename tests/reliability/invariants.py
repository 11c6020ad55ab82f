"""The invariants every reliability scenario ends with (DESIGN, "Invariants"): read from the
database, so they hold whichever processes did the work.

- every accepted message is stored, and final;
- each campaign's counters equal its messages counted by status;
- each account's balance is the sum of its ledger, and not negative;
- receipts were applied once (every part final; none left waiting that matches a part);
- a message callback was written once per part and status, a campaign completion once;
- the carrier saw each part at most ``1 + allowed`` times (``submits``: destination → how
  many submit_sm the SMSC received for it)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.db import Database
from smscast.store.dispatch import COUNTERS
from smscast.store.tables import accounts, campaigns, ledger, messages, outbox, receipts, sms_parts

FINAL = ("Delivered", "Undelivered", "Failed", "Unsent")


@dataclass
class Report:
    """What the check found, for a scenario's own assertions."""

    messages: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    extra_submits: int = 0  # submit_sm beyond one per part
    problems: list[str] = field(default_factory=list)


async def check(
    db: Database,
    *,
    accepted: Mapping[str, int],
    submits: Mapping[str, int] | None = None,
    duplicates_allowed: int = 0,
) -> Report:
    """``accepted``: trackingId → messages accepted (reminders included). Raises
    AssertionError listing every broken invariant."""
    report = Report()
    async with db.read() as conn:
        await _messages(conn, accepted, report)
        await _counters(conn, accepted, report)
        await _money(conn, report)
        await _receipts(conn, report)
        await _callbacks(conn, report)
        if submits is not None:
            await _submits(conn, submits, duplicates_allowed, report)
    assert not report.problems, "invariants broken:\n  " + "\n  ".join(report.problems)
    return report


async def _messages(conn: AsyncConnection, accepted: Mapping[str, int], report: Report) -> None:
    rows = await conn.execute(
        select(campaigns.c.id, messages.c.status, func.count())
        .select_from(campaigns.join(messages, messages.c.campaign_pk == campaigns.c.pk))
        .where(campaigns.c.id.in_(list(accepted)))
        .group_by(campaigns.c.id, messages.c.status)
    )
    stored: Counter[str] = Counter()
    for tracking_id, status, count in rows:
        stored[tracking_id] += count
        report.statuses[status] += count
        if status not in FINAL:
            report.problems.append(f"{count} message(s) of {tracking_id} still {status}")
    for tracking_id, count in accepted.items():
        if stored[tracking_id] != count:
            report.problems.append(f"{tracking_id}: {count} accepted, {stored[tracking_id]} stored")
    report.messages = sum(stored.values())


async def _counters(conn: AsyncConnection, accepted: Mapping[str, int], report: Report) -> None:
    found = await conn.execute(
        select(campaigns.c.pk, campaigns.c.id, *(campaigns.c[c] for c in COUNTERS)).where(
            campaigns.c.id.in_(list(accepted))
        )
    )
    for row in found:
        counted = dict(
            (
                await conn.execute(
                    select(messages.c.status, func.count())
                    .where(messages.c.campaign_pk == row.pk, messages.c.reminder.is_(False))
                    .group_by(messages.c.status)
                )
            ).all()
        )
        for column in COUNTERS:
            have = row._mapping[column]
            want = counted.get(column.capitalize(), 0)
            if have != want:
                report.problems.append(f"{row.id}: counter {column}={have}, messages {want}")


async def _money(conn: AsyncConnection, report: Report) -> None:
    sums = dict(
        (
            await conn.execute(
                select(ledger.c.account_id, func.sum(ledger.c.amount)).group_by(ledger.c.account_id)
            )
        ).all()
    )
    for account_id, balance in await conn.execute(select(accounts.c.id, accounts.c.balance)):
        total = Decimal(sums.get(account_id) or 0)
        if Decimal(balance) != total:
            report.problems.append(f"account {account_id}: balance {balance}, ledger {total}")
        if Decimal(balance) < 0:
            report.problems.append(f"account {account_id}: balance {balance} below zero")


async def _receipts(conn: AsyncConnection, report: Report) -> None:
    open_parts = (
        await conn.execute(select(func.count()).where(sms_parts.c.status == "Sent"))
    ).scalar_one()
    if open_parts:
        report.problems.append(f"{open_parts} part(s) still waiting for a receipt")
    matching = (
        await conn.execute(
            select(func.count())
            .select_from(receipts)
            .join(
                sms_parts,
                (sms_parts.c.carrier == receipts.c.carrier)
                & (sms_parts.c.carrier_message_id == receipts.c.carrier_message_id),
            )
        )
    ).scalar_one()
    if matching:
        report.problems.append(f"{matching} receipt(s) for known parts never applied")


async def _callbacks(conn: AsyncConnection, report: Report) -> None:
    seen: Counter[tuple[str, ...]] = Counter()
    for kind, body in await conn.execute(select(outbox.c.kind, outbox.c.body)):
        payload = json.loads(body)
        if kind == "message":
            part = payload.get("smsId") or f"{payload['messageId']}/{payload['part']}"
            seen[("message", part, payload["status"]["name"])] += 1
        elif payload["campaignStatus"] in ("Finished", "Failed"):
            seen[("campaign", payload["trackingId"], payload["campaignStatus"])] += 1
    for key, count in seen.items():
        if count > 1:
            report.problems.append(f"callback {key} written {count} times")


async def _submits(
    conn: AsyncConnection, submits: Mapping[str, int], allowed: int, report: Report
) -> None:
    parts = dict(
        (
            await conn.execute(
                select(messages.c.mobile, func.sum(messages.c.parts)).group_by(messages.c.mobile)
            )
        ).all()
    )
    extra = 0
    for destination, count in submits.items():
        extra += max(0, count - int(parts.get(destination, 0)))
    report.extra_submits = extra
    if extra > allowed:
        report.problems.append(f"{extra} part(s) sent more than once (at most {allowed} allowed)")
