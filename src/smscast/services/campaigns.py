"""Campaigns and single SMS: accept (validate, resolve recipients, plan, price, charge and
store every message in one transaction), look up, update and delete while scheduled."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.domain.campaigns import (
    DEFAULT_TTL,
    MAX_SCHEDULE_AHEAD,
    Callback,
    CampaignKind,
    CampaignState,
    MessagePlanner,
    MessageStatus,
    PersonalizedTooLong,
    Reminder,
)
from smscast.domain.numbers import parse_recipients
from smscast.domain.pricing import message_cost
from smscast.errors import (
    CampaignNotFound,
    CampaignNotScheduled,
    DuplicateCampaignName,
    InsufficientBalance,
    InvalidRecipients,
    ValidationFailed,
)
from smscast.ids import uuid7
from smscast.services.analysis import check_body, check_sender, invalid_numbers_error
from smscast.services.auth import Principal
from smscast.services.callbacks import parts_changed
from smscast.services.collector import bulk_allocations
from smscast.services.prices import PriceService, PriceTable
from smscast.services.recipients import (
    MessageSink,
    MessageWriter,
    add_reminders,
    check,
    future,
    resolve,
)
from smscast.store import accounts as account_queries
from smscast.store import campaigns as q
from smscast.store.bulk import Bulk
from smscast.store.campaigns import CampaignRow as CampaignRow
from smscast.store.db import Database
from smscast.types import AccountId, LedgerKind, MessageId, TrackingId

# A campaign this large refreshes PostgreSQL's statistics on messages once accepted.
ANALYZE_FROM = 10_000


@dataclass(frozen=True, slots=True)
class CampaignRequest:
    """A campaign as the API parsed it: shapes checked, business rules not yet."""

    sender: str | None
    body: str | None
    to: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    scheduled_at: datetime | None = None
    name: str | None = None
    callback: Callback | None = None
    campaign_callback: Callback | None = None
    reminder: Reminder | None = None
    fallback_values: dict[str, str] = field(default_factory=dict)
    flash: bool = False
    respect_quiet_hours: bool = False
    ttl: int = DEFAULT_TTL
    allow_invalid: bool = False
    transcode: bool | None = None


@dataclass(frozen=True, slots=True)
class SingleRequest:
    sender: str | None
    body: str | None
    to: str | None
    flash: bool = False
    label: str | None = None
    callback: Callback | None = None
    ttl: int = DEFAULT_TTL
    transcode: bool | None = None


@dataclass(frozen=True, slots=True)
class SingleView:
    message_id: MessageId
    campaign: CampaignRow
    to: str
    status: str


@dataclass(frozen=True, slots=True)
class CampaignAnalysis:
    """``POST /sms/analyze/campaign``: the smsAnalysis (bodyAnalysis apart) and the cost."""

    analysis: dict[str, Any]
    cost: Decimal
    currency: str


class CampaignService:
    def __init__(self, db: Database, clock: Clock, prices: PriceService) -> None:
        self._db = db
        self._clock = clock
        self._prices = prices

    # -- campaigns --------------------------------------------------------------------

    async def create(self, principal: Principal, request: CampaignRequest) -> CampaignRow:
        """Accept a campaign: every message and the charge are stored in one transaction,
        or nothing is."""
        now = self._clock.now()
        planner, table = await self._prepare(principal, request)
        tracking_id = TrackingId(uuid7(now))
        account_id = principal.account_id
        try:
            async with self._db.write() as conn:
                if request.name and await q.name_taken(conn, account_id, request.name):
                    raise DuplicateCampaignName(f"A campaign named {request.name} already exists")
                values = self._campaign_values(request, planner, now)
                pk = await q.insert_campaign(
                    conn,
                    {
                        **values,
                        "id": tracking_id,
                        "account_id": account_id,
                        "application_id": principal.application_id,
                        "kind": CampaignKind.CAMPAIGN.value,
                        "created_at": now,
                    },
                )
                stored = await self._store_messages(
                    conn, pk, account_id, request, planner, table, now
                )
                await self._charge(conn, account_id, stored.cost, tracking_id, None, now)
            if stored.total_messages >= ANALYZE_FROM:
                await self._refresh_statistics()
            return stored
        except IntegrityError as exc:
            # Two campaigns of one name at once: the unique index decides which one lost.
            if not request.name:
                raise
            raise DuplicateCampaignName(f"A campaign named {request.name} already exists") from exc

    async def _refresh_statistics(self) -> None:
        """PostgreSQL plans by its statistics: after a large campaign the queue would be
        planned as the small table it was, and every claim would scan it."""
        async with self._db.write() as conn:
            await q.refresh_statistics(conn)

    async def analyse(self, principal: Principal, request: CampaignRequest) -> CampaignAnalysis:
        """What accepting the campaign would find and cost; nothing is stored."""
        planner, table = await self._prepare(principal, request)
        now = self._clock.now()
        sink = MessageSink(table, future(request.scheduled_at, now) or now)
        with _personalized_text_limit():
            async with self._db.read() as conn:
                resolution = await resolve(conn, principal.account_id, request, planner, sink, now)
            errors = check(request, resolution)
            await add_reminders(request, planner, sink, now)
        return CampaignAnalysis(resolution.analysis(errors), sink.cost(), table.currency.code)

    async def get(self, account_id: AccountId, tracking_id: str) -> CampaignRow:
        async with self._db.read() as conn:
            row = await q.get_campaign(conn, account_id, tracking_id, CampaignKind.CAMPAIGN.value)
        if row is None:
            raise CampaignNotFound(f"Campaign {tracking_id} not found")
        return row

    async def update(
        self, principal: Principal, tracking_id: str, request: CampaignRequest
    ) -> CampaignRow:
        """Replace a scheduled campaign: its waiting messages are planned anew and the
        difference in cost is charged or refunded, in one transaction. Messages already
        handed over (a reminder sent before the campaign) stay, and stay paid for."""
        now = self._clock.now()
        planner, table = await self._prepare(principal, request)
        account_id = principal.account_id
        try:
            async with self._db.write() as conn:
                current = await self._scheduled(conn, account_id, tracking_id)
                if request.name and await q.name_taken(
                    conn, account_id, request.name, except_pk=current.pk
                ):
                    raise DuplicateCampaignName(f"A campaign named {request.name} already exists")
                paid = await q.net_charge(conn, account_id, tracking_id)
                kept = _Kept.of(await q.handed_over(conn, current.pk, now), current.prices, paid)
                await q.delete_waiting(conn, current.pk, now)
                await q.update_campaign(
                    conn, current.pk, self._campaign_values(request, planner, now)
                )
                updated = await self._store_messages(
                    conn, current.pk, account_id, request, planner, table, now, kept=kept
                )
                await self._charge(conn, account_id, updated.cost - paid, current.id, None, now)
                return updated
        except IntegrityError as exc:
            if not request.name:
                raise
            raise DuplicateCampaignName(f"A campaign named {request.name} already exists") from exc

    async def delete(self, account_id: AccountId, tracking_id: str) -> None:
        """Cancel a scheduled campaign: its waiting messages end Unsent and are refunded, and
        the row stays (answering 404) for the ledger and the audit trail."""
        now = self._clock.now()
        async with self._db.write() as conn:
            current = await self._scheduled(conn, account_id, tracking_id)
            ended = await q.end_unsent(conn, current.pk, now, None)
            refund = _cost_of([(parts, country) for _, parts, country in ended], current.prices)
            unsent = MessageStatus.UNSENT
            await parts_changed(
                conn, now, messages=[(current.pk, pk, unsent) for pk, _, _ in ended]
            )
            statuses = await q.message_statuses(conn, current.pk)
            await q.update_campaign(
                conn,
                current.pk,
                {
                    "deleted_at": now,
                    "updated_at": now,
                    **{status.lower(): statuses.get(status, 0) for status in MessageStatus},
                },
            )
            await self._charge(conn, account_id, -refund, current.id, None, now)

    # -- single SMS -------------------------------------------------------------------

    async def send_single(self, principal: Principal, request: SingleRequest) -> SingleView:
        """One SMS to one number: a campaign of kind "single" holding one message."""
        text = check_body(request.body)
        sender = check_sender(request.sender)
        if not request.to:
            raise InvalidRecipients("No recipient given", properties={"to": "required"})
        recipient = parse_recipients([request.to])[0]
        policy, table = await self._prices.sender_table(
            principal.account_id,
            principal.application_id,
            {recipient.country} if recipient else set(),
        )
        planner = MessagePlanner(text, {}, request.transcode, policy)
        if recipient is None or table.per_part(recipient.country) is None:
            raise invalid_numbers_error([request.to])
        now = self._clock.now()
        account_id = principal.account_id
        tracking_id = TrackingId(uuid7(now))
        # Priced before anything is written, so the campaign row goes in whole: one statement
        # instead of an INSERT and an UPDATE of its totals.
        priced = MessageSink(table, now)
        priced.add(recipient.e164, recipient.country, None, planner.plain)
        cost = priced.cost()
        async with self._db.write() as conn:
            row = await q.insert_campaign_row(
                conn,
                {
                    "id": tracking_id,
                    "account_id": account_id,
                    "application_id": principal.application_id,
                    "kind": CampaignKind.SINGLE.value,
                    "name": None,
                    "sender": sender,
                    "body": text,
                    "text": planner.text,
                    "flash": request.flash,
                    "respect_quiet_hours": False,
                    "ttl": request.ttl,
                    "callback": _callback_json(request.callback),
                    "campaign_callback": None,
                    "label": request.label,
                    "request": {"to": request.to, "transcode": request.transcode},
                    "analysis": {},
                    "state": CampaignState.QUEUED.value,
                    "scheduled_at": None,
                    "cost": cost,
                    "prices": priced.prices(),
                    "total_messages": 1,
                    "queued": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            # (The campaign's INSERT has begun the transaction.)
            writer = MessageWriter(
                table, now, Bulk(conn, begun=True), row.pk, account_id, request.ttl, now
            )
            writer.add(recipient.e164, recipient.country, None, planner.plain)
            await writer.flush()
            assert writer.first_id is not None
            message_id = MessageId(writer.first_id)
            # Last, so the account's row stays locked for as short a time as can be: every
            # request of the account waits on it.
            await self._charge(conn, account_id, cost, tracking_id, message_id, now)
        return SingleView(message_id, row, recipient.e164, MessageStatus.QUEUED.value)

    # -- the acceptance pipeline ------------------------------------------------------

    async def _prepare(
        self, principal: Principal, request: CampaignRequest
    ) -> tuple[MessagePlanner, PriceTable]:
        """Checks that need no recipient, the planner for the body, and the price list."""
        text = check_body(request.body)
        check_sender(request.sender)
        if request.scheduled_at and request.scheduled_at > self._clock.now() + MAX_SCHEDULE_AHEAD:
            raise ValidationFailed(
                "scheduledDate is too far ahead",
                properties={"scheduledDate": "at most 5 years ahead"},
            )
        if not (request.to or request.contacts or request.groups):
            raise InvalidRecipients(
                "No recipients given: send to, contacts or groups",
                properties={"to": "at least one of to, contacts, groups is required"},
            )
        policy, table = await self._prices.sender_table(
            principal.account_id, principal.application_id, None
        )
        planner = MessagePlanner(text, request.fallback_values, request.transcode, policy)
        return planner, table

    def _campaign_values(
        self, request: CampaignRequest, planner: MessagePlanner, now: datetime
    ) -> dict[str, Any]:
        scheduled = future(request.scheduled_at, now)
        reminder = request.reminder
        return {
            "name": request.name,
            "sender": request.sender,
            "body": planner.template,
            "text": planner.text,
            "flash": request.flash,
            "respect_quiet_hours": request.respect_quiet_hours,
            "ttl": request.ttl,
            "callback": _callback_json(request.callback),
            "campaign_callback": _callback_json(request.campaign_callback),
            "label": None,
            "request": {
                "to": list(request.to),
                "contacts": list(request.contacts),
                "groups": list(request.groups),
                "reminder": None
                if reminder is None
                else {
                    "minutesBefore": reminder.minutes_before,
                    "minutesAfter": reminder.minutes_after,
                    "to": list(reminder.to),
                },
                "fallbackValues": request.fallback_values,
                "transcode": request.transcode,
                "allowInvalid": request.allow_invalid,
            },
            "analysis": {},
            "state": (
                state := CampaignState.SCHEDULED if scheduled else CampaignState.QUEUED
            ).value,
            # The campaign callback's starting point: its next state change is a change.
            "callback_state": state.value,
            "callback_counts": None,
            "callback_completed": False,
            "scheduled_at": scheduled,
            "cost": Decimal(0),
            "prices": {},
            "total_messages": 0,
            "updated_at": now,
        }

    async def _store_messages(
        self,
        conn: AsyncConnection,
        pk: int,
        account_id: AccountId,
        request: CampaignRequest,
        planner: MessagePlanner,
        table: PriceTable,
        now: datetime,
        *,
        kept: _Kept | None = None,
    ) -> CampaignRow:
        """Resolve, plan and write every message of the campaign (and its reminders), then
        record the totals on the campaign row, answering it as it now is. ``kept``: messages
        of an updated campaign already handed over, which stay (and stay paid for).

        The balance is read first and the running cost checked at every batch, so a campaign
        the account cannot pay stops early instead of writing every row and rolling back;
        the conditional charge at the end remains the guard against concurrent campaigns.
        """
        kept = kept or _Kept()
        account = await account_queries.get_account(conn, account_id)
        assert account is not None
        budget = account.balance + kept.paid - kept.cost
        due = future(request.scheduled_at, now) or now
        writer = MessageWriter(table, due, Bulk(conn), pk, account_id, request.ttl, now, budget)
        with bulk_allocations(_bulk(request)), _personalized_text_limit():
            resolution = await resolve(conn, account_id, request, planner, writer, now)
            errors = check(request, resolution)
            await writer.flush()
            writer.reminder = True
            await add_reminders(
                request, planner, writer, now, before=not kept.reminders_handed_over
            )
            await writer.flush()
        return await q.update_campaign_row(
            conn,
            pk,
            {
                "analysis": resolution.analysis(errors),
                "cost": writer.cost() + kept.cost,
                "prices": {**kept.prices, **writer.prices()},
                "total_messages": resolution.recipients,
                "queued": resolution.recipients,
            },
        )

    async def _scheduled(
        self, conn: AsyncConnection, account_id: AccountId, tracking_id: str
    ) -> CampaignRow:
        current = await q.get_campaign(
            conn, account_id, tracking_id, CampaignKind.CAMPAIGN.value, lock=True
        )
        if current is None:
            raise CampaignNotFound(f"Campaign {tracking_id} not found")
        if current.state != CampaignState.SCHEDULED.value:
            raise CampaignNotScheduled(
                f"Campaign {tracking_id} is {current.state}: only a Scheduled campaign can be"
                " changed"
            )
        return current

    async def _charge(
        self,
        conn: AsyncConnection,
        account_id: AccountId,
        amount: Decimal,
        tracking_id: str,
        message_id: str | None,
        now: datetime,
    ) -> None:
        """Take ``amount`` (or give back a negative one) with its ledger entry; refuse what
        the balance cannot pay. One conditional UPDATE: concurrent charges serialise on the
        account's row and can never take the balance below zero."""
        if amount == 0:
            return
        entry = await account_queries.move_money(
            conn,
            account_id,
            -amount,
            kind=LedgerKind.CHARGE if amount > 0 else LedgerKind.REFUND,
            created_at=now,
            description="SMS" if message_id else "SMS campaign",
            campaign_id=tracking_id,
            message_id=message_id,
        )
        if entry is None:
            if amount < 0:
                raise InsufficientBalance("the refund would take the balance over its maximum")
            raise InsufficientBalance(f"The balance cannot pay for this campaign ({amount} needed)")


@dataclass(frozen=True, slots=True)
class _Kept:
    """What an update keeps of a campaign: messages already handed over, their cost and
    prices, and what the campaign has been charged so far."""

    cost: Decimal = Decimal(0)
    prices: dict[str, str] = field(default_factory=dict)
    paid: Decimal = Decimal(0)
    reminders_handed_over: bool = False

    @classmethod
    def of(
        cls, rows: list[tuple[bool, int, str, bool]], prices: dict[str, str], paid: Decimal
    ) -> _Kept:
        """``rows``: (reminder, parts, country, paid) as ``handed_over`` gives them. A
        reminder already tried is not planned again, whether or not it got through."""
        charged = [(parts, country) for _, parts, country, kept in rows if kept]
        return cls(
            cost=_cost_of(charged, prices),
            prices={country: prices[country] for _, country in charged},
            paid=paid,
            reminders_handed_over=any(reminder for reminder, *_ in rows),
        )


def _cost_of(rows: list[tuple[int, str]], prices: dict[str, str]) -> Decimal:
    """What these (parts, country) messages cost at the campaign's prices."""
    return sum(
        (message_cost(parts, Decimal(prices[country])) for parts, country in rows), Decimal(0)
    )


@contextmanager
def _personalized_text_limit() -> Iterator[None]:
    try:
        yield
    except PersonalizedTooLong as exc:
        raise ValidationFailed(
            str(exc), properties={"body": f"a personalized text has {exc.characters} characters"}
        ) from None


def _callback_json(callback: Callback | None) -> dict[str, str] | None:
    if callback is None:
        return None
    return {"url": callback.url, "strategy": callback.strategy.value}


def statuses_of(row: CampaignRow) -> Mapping[str, int]:
    """The campaign object's ``statuses``: every key, always."""
    return {status.value: row.statuses.get(status.value.lower(), 0) for status in MessageStatus}


# Campaigns of at least this many named recipients (or naming groups, whose size is not
# known yet) pause the cyclic collector; smaller ones are over before it would matter.
_BULK_FROM = 1000


def _bulk(request: CampaignRequest) -> bool:
    return bool(request.groups) or len(request.to) + len(request.contacts) >= _BULK_FROM
