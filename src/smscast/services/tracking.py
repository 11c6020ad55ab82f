"""Message tracking: the entries of one message, of a campaign, or of a search, one per SMS
part; requests are checked here (filters, sort, the date range) and entries completed with
what the numbers, campaigns and groups say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.domain.campaigns import FINAL_STATUSES, CampaignKind, MessageStatus
from smscast.domain.lifecycle import describe
from smscast.domain.numbers import parse_recipients
from smscast.errors import TrackingNotFound, ValidationFailed
from smscast.store import tracking as q
from smscast.store.db import Database
from smscast.store.tracking import Field, Filter, Operator, Selection, Sort, SortKey
from smscast.types import AccountId

# The longest span a search may cover, and the one it covers when not told.
MAX_SEARCH_RANGE: Final = timedelta(days=7)
_FIELDS: Final = {f.value.lower(): f for f in Field}
_OPERATORS: Final = {o.value: o for o in Operator}
_SORT_KEYS: Final = {k.value.lower(): k for k in SortKey}
_DIRECTIONS: Final = {"asc": False, "desc": True}


@dataclass(frozen=True, slots=True)
class TrackingEntry:
    """One SMS part of a message, as tracking shows it."""

    message_id: str
    sms_id: str | None
    campaign_tracking_id: str | None  # None for a single SMS
    campaign_name: str | None
    application_name: str | None
    sender: str
    to: str
    country: str
    operator: str
    groups: tuple[str, ...]
    body: str
    parts: int
    part: int
    price: Decimal | None
    label: str | None
    status: str
    status_at: datetime
    detailed_status: str
    description: str
    latency: float | None  # seconds from submit to a final status


@dataclass(frozen=True, slots=True)
class TrackingPage:
    entries: list[TrackingEntry]
    total: int


@dataclass(frozen=True, slots=True)
class FilterRequest:
    """A search filter as the caller wrote it, not yet checked."""

    field_name: str | None
    term: str | None
    operator: str | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    date_start: datetime | None = None
    date_end: datetime | None = None
    tracking_id: str | None = None
    campaign: str | None = None
    filters: tuple[FilterRequest, ...] = ()


class TrackingService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def message(self, account_id: AccountId, message_id: str) -> list[TrackingEntry]:
        """Every part of one message of the account."""
        async with self._db.read() as conn:
            if not await q.message_exists(conn, account_id, message_id):
                raise TrackingNotFound(f"Message {message_id} not found")
            page = await q.entries(
                conn, Selection(account_id, message_id=message_id), order=[Sort(SortKey.PART)]
            )
            return await complete_entries(conn, page)

    async def campaign(
        self,
        account_id: AccountId,
        tracking_id: str,
        *,
        offset: int,
        limit: int,
        sort: Sequence[str] = (),
    ) -> TrackingPage:
        """A page of the entries of one campaign of the account, reminders included."""
        order = parse_sort(sort)
        async with self._db.read() as conn:
            pk = await q.campaign_pk(conn, account_id, tracking_id=tracking_id)
            if pk is None:
                raise TrackingNotFound(f"Campaign {tracking_id} not found")
            page = await q.entries(
                conn,
                Selection(account_id, campaign_pk=pk),
                order=order,
                offset=offset,
                limit=limit,
            )
            return TrackingPage(await complete_entries(conn, page), page.total)

    async def search(
        self,
        account_id: AccountId,
        request: SearchRequest,
        *,
        offset: int,
        limit: int,
        sort: Sequence[str] = (),
    ) -> TrackingPage:
        """A page of the account's entries whose messages were created in the range (the
        last 7 days by default) and that pass every filter; ``trackingId`` (a campaign's, or
        a single SMS's) and ``campaign`` (a name) must name one of the account's."""
        start, end = self._range(request.date_start, request.date_end)
        filters = tuple(check_filter(i, raw) for i, raw in enumerate(request.filters))
        order = parse_sort(sort)
        async with self._db.read() as conn:
            wanted: set[int] = set()
            if request.tracking_id:
                pk = await q.campaign_pk(conn, account_id, tracking_id=request.tracking_id)
                if pk is None:
                    pk = await q.single_campaign_pk(conn, account_id, request.tracking_id)
                if pk is None:
                    raise TrackingNotFound(f"Tracking {request.tracking_id} not found")
                wanted.add(pk)
            if request.campaign:
                pk = await q.campaign_pk(conn, account_id, name=request.campaign)
                if pk is None:
                    raise TrackingNotFound(f"Campaign {request.campaign!r} not found")
                wanted.add(pk)
            if len(wanted) > 1:
                return TrackingPage([], 0)  # two different campaigns: nothing is in both
            selection = Selection(
                account_id,
                campaign_pk=next(iter(wanted), None),
                created_from=start,
                created_to=end,
                filters=filters,
            )
            page = await q.entries(conn, selection, order=order, offset=offset, limit=limit)
            return TrackingPage(await complete_entries(conn, page), page.total)

    def _range(self, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
        """The creation times searched, both ends included: a missing end is 7 days after the
        start (now when neither is given), a missing start 7 days before the end."""
        if end is None:
            end = start + MAX_SEARCH_RANGE if start is not None else self._clock.now()
        if start is None:
            start = end - MAX_SEARCH_RANGE
        if start > end:
            raise ValidationFailed(
                "dateStart is after dateEnd", properties={"dateStart": "must not be after dateEnd"}
            )
        if end - start > MAX_SEARCH_RANGE:
            raise ValidationFailed(
                "The date range may cover at most 7 days",
                properties={"dateEnd": "at most 7 days after dateStart"},
            )
        return start, end


async def complete_entries(conn: AsyncConnection, page: q.EntryPage) -> list[TrackingEntry]:
    """Entries from stored rows, in their order: operator from the number, groups from the
    contact's memberships of the campaign's groups (asked of each account apart), price and
    texts from the campaign."""
    rows = page.rows
    facts = page.campaigns
    members: dict[str, set[str]] = {}
    by_account: dict[AccountId, tuple[set[str], set[str]]] = {}
    for row in rows:
        if row.contact_id:
            campaign = facts[row.campaign_pk]
            contacts, names = by_account.setdefault(campaign.account_id, (set(), set()))
            contacts.add(row.contact_id)
            names.update(campaign.groups)
    for account_id, (contacts, names) in by_account.items():
        members.update(await q.member_groups(conn, account_id, contacts, names))
    mobiles = sorted({r.mobile for r in rows})
    operators = {
        mobile: found.operator if found else ""
        for mobile, found in zip(mobiles, parse_recipients(mobiles), strict=True)
    }
    entries: list[TrackingEntry] = []
    for row in rows:
        campaign = facts[row.campaign_pk]
        status = MessageStatus(row.status)
        reason = describe(row.detailed_status, status)
        joined = members.get(row.contact_id, set()) if row.contact_id else set()
        price = campaign.prices.get(row.country)
        latency = None
        if row.submitted_at is not None and status in FINAL_STATUSES:
            latency = round((row.status_at - row.submitted_at).total_seconds(), 3)
        single = campaign.kind == CampaignKind.SINGLE.value
        entries.append(
            TrackingEntry(
                message_id=row.message_id,
                sms_id=row.sms_id,
                campaign_tracking_id=None if single else campaign.id,
                campaign_name=campaign.name,
                application_name=campaign.application_name,
                sender=campaign.sender,
                to=row.mobile,
                country=row.country,
                operator=operators[row.mobile],
                groups=tuple(name for name in campaign.groups if name in joined),
                body=row.text if row.text is not None else campaign.text,
                parts=row.parts,
                part=row.part,
                price=None if price is None else Decimal(price),
                label=campaign.label,
                status=status.value,
                status_at=row.status_at,
                detailed_status=reason["detailedStatus"],
                description=reason["description"],
                latency=latency,
            )
        )
    return entries


def check_filter(index: int, raw: FilterRequest) -> Filter:
    """A filter with a known field and operator (``is`` when none is given); names are
    matched without regard to case."""
    where = f"[{index}]"
    name = (raw.field_name or "").strip()
    found = _FIELDS.get(name.lower())
    if found is None:
        raise ValidationFailed(
            f"Unknown filter field {name!r}",
            properties={
                f"{where}.fieldName": "one of " + ", ".join(f.value for f in Field),
            },
        )
    operator_name = (raw.operator or Operator.IS.value).strip().lower()
    operator = _OPERATORS.get(operator_name)
    if operator is None:
        raise ValidationFailed(
            f"Unknown search operator {raw.operator!r}",
            properties={
                f"{where}.searchOperator": "one of " + ", ".join(o.value for o in Operator),
            },
        )
    if raw.term is None:
        raise ValidationFailed(
            "A filter needs a searchTerm", properties={f"{where}.searchTerm": "required"}
        )
    return Filter(found, operator, raw.term)


def parse_sort(values: Sequence[str]) -> list[Sort]:
    """Spring's ``sort=property[,property…][,asc|desc]``, repeatable; properties outside
    ``to``, ``status.date`` and ``part`` are ignored rather than refused."""
    order: list[Sort] = []
    for value in values:
        tokens = [t.strip() for t in value.split(",") if t.strip()]
        descending = False
        if tokens and tokens[-1].lower() in _DIRECTIONS:
            descending = _DIRECTIONS[tokens.pop().lower()]
        for token in tokens:
            key = _SORT_KEYS.get(token.lower())
            if key is not None and all(s.key is not key for s in order):
                order.append(Sort(key, descending))
    return order
