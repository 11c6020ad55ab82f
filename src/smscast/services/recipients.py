"""Who a campaign goes to and what each message will be: ``to`` ∪ contacts ∪ group members
once per number (blacklisted contacts left out), each planned on its own text and priced by
its country, into a sink that counts them (an analysis) or writes them in batches (a campaign
being stored)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.campaigns import MessagePlan, MessagePlanner, MessageStatus
from smscast.domain.contacts import DEFAULT_LABELS
from smscast.domain.numbers import parse_recipients
from smscast.domain.personalize import placeholders
from smscast.domain.pricing import message_cost
from smscast.errors import ContactNotFound, GroupNotFound, InsufficientBalance, NoRecipientsLeft
from smscast.ids import uuid7_batch
from smscast.services.analysis import invalid_numbers_error
from smscast.services.prices import PriceTable
from smscast.store import campaigns as q
from smscast.store import contacts as contact_queries
from smscast.store import groups as group_queries
from smscast.store.bulk import Bulk
from smscast.store.contacts import ContactRow
from smscast.types import AccountId

if TYPE_CHECKING:
    from smscast.services.campaigns import CampaignRequest

# Message rows written per statement while a campaign is stored.
WRITE_BATCH = 5000
# Member rows read per fetch (small fetches stay in the CPU's cache).
READ_BATCH = 2000
_NAME_FIELDS = frozenset({"firstName", "lastName", "email"})
_QUEUED = MessageStatus.QUEUED.value


def future(moment: datetime | None, now: datetime) -> datetime | None:
    """A scheduled date only counts when it is still ahead; a past one means now."""
    return moment if moment is not None and moment > now else None


@dataclass(slots=True)
class Resolution:
    """What resolving the recipients found; ``analysis`` is Routee's smsAnalysis without
    bodyAnalysis (computed from the body when shown)."""

    recipients: int = 0
    invalid: list[str] = field(default_factory=list)
    recipient_countries: dict[str, str] = field(default_factory=dict)
    per_country: Counter[str] = field(default_factory=Counter)
    per_group: dict[str, int] = field(default_factory=dict)
    total_in_groups: int = 0
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def analysis(self, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        result: dict[str, Any] = {
            "numberOfRecipients": self.recipients,
            "recipientCountries": self.recipient_countries,
            "recipientsPerCountry": dict(self.per_country),
            "recipientsPerGroup": self.per_group,
            "totalInGroups": self.total_in_groups,
            "contacts": self.contacts,
        }
        if errors:
            result["errors"] = errors
        return result


class MessageSink:
    """Where planned messages go: counted and priced always, written when storing.

    ``due`` is when the messages added next are due (the campaign's time, or a reminder's).
    """

    def __init__(self, table: PriceTable, due: datetime) -> None:
        self._table = table
        self.parts: Counter[str] = Counter()  # country -> parts, priced once at the end
        self.due = due

    def price(self, country: str) -> Decimal | None:
        return self._table.per_part(country)

    def add(self, mobile: str, country: str, contact_id: str | None, plan: MessagePlan) -> None:
        self.parts[country] += plan.parts

    def prices(self) -> dict[str, str]:
        """The price per part of every country messaged, as stored on the campaign."""
        found: dict[str, str] = {}
        for country in self.parts:
            price = self._table.per_part(country)
            assert price is not None  # only priced countries are added
            found[country] = str(price)
        return found

    def cost(self) -> Decimal:
        prices = self.prices()
        return sum(
            (
                message_cost(parts, Decimal(prices[country]))
                for country, parts in self.parts.items()
            ),
            Decimal(0),
        )

    async def flush(self) -> None:
        return None


class MessageWriter(MessageSink):
    """Writes message rows in driver form, a batch per statement."""

    def __init__(
        self,
        table: PriceTable,
        due: datetime,
        bulk: Bulk,
        campaign_pk: int,
        account_id: AccountId,
        ttl_minutes: int,
        now: datetime,
        budget: Decimal | None = None,
    ) -> None:
        super().__init__(table, due)
        self._budget = budget
        self._bulk = bulk
        self._campaign_pk = campaign_pk
        self._account_id = account_id
        self._ttl = timedelta(minutes=ttl_minutes)
        self._now = now
        self._times: dict[datetime, tuple[Any, Any]] = {}
        self._rows: list[list[Any]] = []
        self.reminder = False
        self.first_id: str | None = None

    def add(self, mobile: str, country: str, contact_id: str | None, plan: MessagePlan) -> None:
        # A million calls per million recipients: no super() call, values already in
        # driver form (bool is an int to sqlite3), timestamps converted once per due time.
        self.parts[country] += plan.parts
        times = self._times.get(self.due)
        if times is None:
            form = self._bulk
            times = (form.timestamp(self.due), form.timestamp(self.due + self._ttl))
            self._times[self.due] = times
        self._rows.append(
            [
                None,  # the id, given per batch
                self._campaign_pk,
                self._account_id,
                mobile,
                country,
                contact_id,
                self.reminder,
                plan.text,
                plan.unicode,
                plan.parts,
                _QUEUED,
                None,
                times[0],
                times[1],
            ]
        )

    async def _write(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        ids = uuid7_batch(self._now, len(rows))
        for row, message_id in zip(rows, ids, strict=True):
            row[0] = message_id
        if self.first_id is None:
            self.first_id = ids[0]
        await q.insert_messages(self._bulk, rows)

    async def flush(self) -> None:
        if self._budget is not None and self.cost() > self._budget:
            raise InsufficientBalance(
                f"The balance cannot pay for this campaign (more than {self._budget} needed)"
            )
        await self._write()

    async def maybe_flush(self) -> None:
        if len(self._rows) >= WRITE_BATCH:
            await self.flush()


def check(request: CampaignRequest, resolution: Resolution) -> list[dict[str, Any]] | None:
    """Refuse invalid numbers (unless dropped on request) and an empty campaign."""
    errors = None
    if resolution.invalid:
        error = invalid_numbers_error(resolution.invalid)
        if not request.allow_invalid:
            raise error
        errors = error.errors
    if resolution.recipients == 0:
        raise NoRecipientsLeft(
            "The campaign has no recipients: the groups are empty, or every contact is blacklisted"
        )
    return errors


async def resolve(
    conn: AsyncConnection,
    account_id: AccountId,
    request: CampaignRequest,
    planner: MessagePlanner,
    sink: MessageSink,
    now: datetime,
) -> Resolution:
    """Recipients are ``to`` ∪ contacts ∪ group members, once per number, blacklisted
    contacts left out; each becomes a planned, priced message in ``sink``."""
    found = Resolution()
    seen: set[str] = set()
    plain = planner.plan({})
    # 1. Numbers given directly (personalized from fallback values only).
    for raw, recipient in zip(request.to, parse_recipients(request.to), strict=True):
        if recipient is None or sink.price(recipient.country) is None:
            found.invalid.append(raw)
            continue
        found.recipient_countries[raw] = recipient.country
        if recipient.e164 not in seen:
            seen.add(recipient.e164)
            found.per_country[recipient.country] += 1
            sink.add(recipient.e164, recipient.country, None, plain)
    if found.invalid and not request.allow_invalid:
        raise invalid_numbers_error(found.invalid)
    # 2. Contacts by id.
    if request.contacts:
        await _contacts(conn, account_id, request, planner, sink, found, seen)
    # 3. Members of groups, streamed.
    if request.groups:
        await _groups(conn, account_id, request, planner, sink, found, seen)
    found.recipients = len(seen)
    return found


async def _contacts(
    conn: AsyncConnection,
    account_id: AccountId,
    request: CampaignRequest,
    planner: MessagePlanner,
    sink: MessageSink,
    found: Resolution,
    seen: set[str],
) -> None:
    wanted = list(dict.fromkeys(request.contacts))
    rows: dict[str, ContactRow] = {
        c.id: c for c in await contact_queries.get_contacts(conn, account_id, wanted)
    }
    missing = [c for c in wanted if c not in rows]
    if missing:
        raise ContactNotFound(f"Contact {missing[0]} not found")
    services = await contact_queries.services_of(conn, wanted)
    for contact_id in wanted:
        contact = rows[contact_id]
        blacklisted = "Sms" in services.get(contact_id, ())
        found.contacts[contact_id] = {
            "recipient": contact.mobile,
            "recipientCountry": contact.country,
            "blacklisted": blacklisted,
        }
        if blacklisted or contact.mobile in seen:
            continue
        if sink.price(contact.country) is None:
            found.invalid.append(contact.mobile)
            continue
        seen.add(contact.mobile)
        found.per_country[contact.country] += 1
        values: dict[str, str | None] = {
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "email": contact.email,
            "mobile": contact.mobile,
            "country": contact.country,
            **{name: _label_text(value) for name, value in contact.labels.items()},
        }
        sink.add(contact.mobile, contact.country, contact.id, planner.plan(values))
    await _maybe_flush(sink)


async def _groups(
    conn: AsyncConnection,
    account_id: AccountId,
    request: CampaignRequest,
    planner: MessagePlanner,
    sink: MessageSink,
    found: Resolution,
    seen: set[str],
) -> None:
    names = list(dict.fromkeys(request.groups))
    groups = await group_queries.get_groups(conn, account_id, names)
    missing = [n for n in names if n not in groups]
    if missing:
        raise GroupNotFound(f"Group {missing[0]} not found")
    ids = [groups[n].id for n in names]
    counts = await group_queries.eligible_member_counts(conn, ids)
    found.per_group = {name: counts.get(groups[name].id, 0) for name in names}
    used = set(placeholders(planner.template)) if planner.personalized else set()
    with_names = bool(used & _NAME_FIELDS)
    with_labels = bool(used - set(DEFAULT_LABELS))
    plain = planner.plan({})
    per_country = found.per_country
    in_groups = 0
    async for batch in group_queries.stream_members(
        conn,
        account_id,
        ids,
        with_names=with_names,
        with_labels=with_labels,
        batch=READ_BATCH,
    ):
        for member in batch:
            mobile = member.mobile
            if mobile in seen:
                continue
            country = member.country
            if sink.price(country) is None:
                found.invalid.append(mobile)
                continue
            seen.add(mobile)
            in_groups += 1
            per_country[country] += 1
            plan = plain
            if planner.personalized:
                values: dict[str, str | None] = {
                    "firstName": member.first_name,
                    "lastName": member.last_name,
                    "email": member.email,
                    "mobile": mobile,
                    "country": country,
                }
                if with_labels and member.labels_json != "{}":
                    for name, value in json.loads(member.labels_json).items():
                        values[name] = _label_text(value)
                plan = planner.plan(values)
            sink.add(mobile, country, member.contact_id, plan)
        await _maybe_flush(sink)
    found.total_in_groups = in_groups


async def add_reminders(
    request: CampaignRequest,
    planner: MessagePlanner,
    sink: MessageSink,
    now: datetime,
    *,
    before: bool = True,
) -> None:
    """Reminder SMS: the body (with fallback values) to each tester, before and/or after
    the campaign; priced and charged like any SMS. ``before`` False: an update of a
    campaign whose "before" reminder already went out does not send it again."""
    reminder = request.reminder
    if reminder is None or not reminder.to:
        return
    recipients = parse_recipients(reminder.to)
    bad = [
        raw
        for raw, r in zip(reminder.to, recipients, strict=True)
        if r is None or sink.price(r.country) is None
    ]
    if bad:
        raise invalid_numbers_error(bad, "Invalid reminder numbers")
    plan = planner.plan({})
    for due in reminder.due_times(future(request.scheduled_at, now), now, before=before):
        sink.due = due
        for recipient in dict.fromkeys(r for r in recipients if r is not None):
            sink.add(recipient.e164, recipient.country, None, plan)


async def _maybe_flush(sink: MessageSink) -> None:
    if isinstance(sink, MessageWriter):
        await sink.maybe_flush()


def _label_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)
