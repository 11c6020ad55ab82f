"""Queries behind message tracking: pages of entries (one per SMS part, or per part still to
be sent), with what their campaigns and contacts add. Scoped by account; callers own the
transaction. A page costs a fixed handful of statements, never one per entry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.selectable import Join

from smscast.store.columns import UtcDateTime
from smscast.store.contacts import chunks
from smscast.store.tables import (
    applications,
    campaigns,
    contacts,
    group_members,
    groups,
    messages,
    sms_parts,
)
from smscast.types import AccountId

# A message not yet handed to a carrier has no part rows: its entries are numbered from a
# small table of numbers. A body is at most 1600 characters, which split into at
# most 49 parts (UCS-2, every character a surrogate pair); this bound leaves room.
MAX_PARTS: Final = 64
DIRECTION: Final = "Outbound"
_ESCAPE: Final = "\\"


class Field(StrEnum):
    """Fields a tracking search can filter on, as the wire names them."""

    SMS_ID = "smsId"
    TO = "to"
    STATUS = "status.status"
    DIRECTION = "direction"
    LABEL = "label"
    CAMPAIGN = "campaign"


class Operator(StrEnum):
    IS = "is"
    IS_NOT = "is_not"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"


class SortKey(StrEnum):
    TO = "to"
    STATUS_DATE = "status.date"
    PART = "part"


@dataclass(frozen=True, slots=True)
class Filter:
    field: Field
    operator: Operator
    term: str


@dataclass(frozen=True, slots=True)
class Sort:
    key: SortKey
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Selection:
    """Which entries: always one account's, narrowed by whatever is set."""

    account_id: AccountId
    message_id: str | None = None
    campaign_pk: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One tracking entry as stored: a part row, or a part still to be sent (no ``sms_id``);
    status and times are the part's, else the message's."""

    message_pk: int
    message_id: str
    campaign_pk: int
    contact_id: str | None
    mobile: str
    country: str
    text: str | None
    parts: int
    part: int
    sms_id: str | None
    status: str
    detailed_status: str | None
    submitted_at: datetime | None
    status_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What entries take from their campaign."""

    pk: int
    id: str
    account_id: AccountId
    kind: str
    name: str | None
    sender: str
    text: str
    label: str | None
    prices: dict[str, str]
    groups: tuple[str, ...]
    application_name: str | None


@dataclass(frozen=True, slots=True)
class EntryPage:
    rows: list[EntryRow]
    total: int
    campaigns: dict[int, CampaignFacts] = field(default_factory=dict)


# -- look-ups -------------------------------------------------------------------------


async def message_exists(conn: AsyncConnection, account_id: AccountId, message_id: str) -> bool:
    """Whether the account has this message (in a campaign not deleted)."""
    query = (
        select(messages.c.pk)
        .join(campaigns, campaigns.c.pk == messages.c.campaign_pk)
        .where(
            messages.c.account_id == account_id,
            messages.c.id == message_id,
            campaigns.c.deleted_at.is_(None),
        )
    )
    return (await conn.execute(query)).first() is not None


async def campaign_pk(
    conn: AsyncConnection,
    account_id: AccountId,
    *,
    tracking_id: str | None = None,
    name: str | None = None,
    kind: str = "campaign",
) -> int | None:
    """The internal key of a live campaign of this account, by trackingId or by name (names
    are unique among live campaigns)."""
    query = select(campaigns.c.pk).where(
        campaigns.c.account_id == account_id,
        campaigns.c.kind == kind,
        campaigns.c.deleted_at.is_(None),
    )
    if tracking_id is not None:
        query = query.where(campaigns.c.id == tracking_id)
    if name is not None:
        query = query.where(campaigns.c.name == name)
    found = (await conn.execute(query.limit(1))).scalar_one_or_none()
    return None if found is None else int(found)


async def single_campaign_pk(
    conn: AsyncConnection, account_id: AccountId, message_id: str
) -> int | None:
    """The envelope of a single SMS of this account, by its message id (the trackingId its
    sender was given)."""
    query = (
        select(campaigns.c.pk)
        .join(messages, messages.c.campaign_pk == campaigns.c.pk)
        .where(
            messages.c.account_id == account_id,
            messages.c.id == message_id,
            campaigns.c.kind == "single",
            campaigns.c.deleted_at.is_(None),
        )
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return None if found is None else int(found)


# -- entries --------------------------------------------------------------------------


def _numbers() -> FromClause:
    """1 … MAX_PARTS: joined to a message without part rows on ``n <= parts``, one row per
    part it will have. (A range join over a few dozen rows: on SQLite measured 20 to 40 times
    faster than an equality join on a materialized table of (parts, part) pairs, which it
    scans whole for every message.)"""
    numbers = select(literal(1, Integer).label("n")).cte("part_numbers", recursive=True)
    return numbers.union_all(select((numbers.c.n + 1).label("n")).where(numbers.c.n < MAX_PARTS))


def _is_part_row() -> ColumnElement[bool]:
    return sms_parts.c.pk.is_not(None)


def _status() -> ColumnElement[Any]:
    return case((_is_part_row(), sms_parts.c.status), else_=messages.c.status)


def _status_date() -> ColumnElement[datetime]:
    return func.coalesce(
        sms_parts.c.status_at,
        messages.c.status_at,
        campaigns.c.created_at,
        type_=UtcDateTime(),
    )


def _like_escaped(term: str) -> str:
    return (
        term.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def _compare(column: ColumnElement[Any], operator: Operator, term: str) -> ColumnElement[bool]:
    """``column`` against ``term``, case-insensitively on both databases (SQLite's LIKE folds
    ASCII case, PostgreSQL's does not: lower() on both sides makes them agree). A missing
    value (NULL) is "not" every term and contains none."""
    value = func.lower(column)
    wanted = term.lower()
    if operator is Operator.IS:
        return value == wanted
    if operator is Operator.IS_NOT:
        return or_(column.is_(None), value != wanted)
    escaped = _like_escaped(wanted)
    pattern = {
        Operator.CONTAINS: f"%{escaped}%",
        Operator.STARTS_WITH: f"{escaped}%",
        Operator.ENDS_WITH: f"%{escaped}",
    }[operator]
    return value.like(pattern, escape=_ESCAPE)


def _filter_column(name: Field) -> ColumnElement[Any]:
    if name is Field.SMS_ID:
        return sms_parts.c.id
    if name is Field.TO:
        return messages.c.mobile
    if name is Field.STATUS:
        return _status()
    if name is Field.DIRECTION:
        return literal(DIRECTION)
    if name is Field.LABEL:
        return campaigns.c.label
    return campaigns.c.name


def _conditions(selection: Selection) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [
        messages.c.account_id == selection.account_id,
        # Said of the campaign too: a date range then walks its (account_id, created_at) index.
        campaigns.c.account_id == selection.account_id,
        campaigns.c.deleted_at.is_(None),
    ]
    if selection.message_id is not None:
        found.append(messages.c.id == selection.message_id)
    if selection.campaign_pk is not None:
        found.append(messages.c.campaign_pk == selection.campaign_pk)
    if selection.created_from is not None:
        found.append(campaigns.c.created_at >= selection.created_from)
    if selection.created_to is not None:
        found.append(campaigns.c.created_at <= selection.created_to)
    for condition in selection.filters:
        found.append(_compare(_filter_column(condition.field), condition.operator, condition.term))
    return found


def _base() -> Join:
    return messages.join(campaigns, campaigns.c.pk == messages.c.campaign_pk).outerjoin(
        sms_parts, sms_parts.c.message_pk == messages.c.pk
    )


def _count(selection: Selection) -> Select[Any]:
    # A part row counts once; a message without any counts its parts to be.
    per_row = case((_is_part_row(), 1), else_=messages.c.parts)
    return (
        select(func.coalesce(func.sum(per_row), 0))
        .select_from(_base())
        .where(*_conditions(selection))
    )


def _entries(selection: Selection, order: Sequence[Sort]) -> Select[Any]:
    return _entries_where(_conditions(selection), order)


def _entries_where(where: Sequence[ColumnElement[bool]], order: Sequence[Sort]) -> Select[Any]:
    numbers = _numbers()
    part = func.coalesce(sms_parts.c.part, numbers.c.n)
    date = _status_date()
    keys: dict[SortKey, ColumnElement[Any]] = {
        SortKey.TO: messages.c.mobile,
        SortKey.STATUS_DATE: date,
        SortKey.PART: part,
    }
    ordering = [keys[s.key].desc() if s.descending else keys[s.key].asc() for s in order]
    return (
        select(
            messages.c.pk,
            messages.c.id,
            messages.c.campaign_pk,
            messages.c.contact_id,
            messages.c.mobile,
            messages.c.country,
            messages.c.text,
            messages.c.parts,
            part.label("part"),
            sms_parts.c.id.label("sms_id"),
            _status().label("status"),
            case(
                (_is_part_row(), sms_parts.c.detailed_status), else_=messages.c.detailed_status
            ).label("detailed_status"),
            sms_parts.c.submitted_at,
            date.label("status_at"),
        )
        .select_from(
            _base().outerjoin(
                numbers, and_(sms_parts.c.pk.is_(None), numbers.c.n <= messages.c.parts)
            )
        )
        .where(*where)
        .order_by(*ordering, messages.c.pk, part)
    )


async def entries(
    conn: AsyncConnection,
    selection: Selection,
    *,
    order: Sequence[Sort] = (),
    offset: int = 0,
    limit: int | None = None,
) -> EntryPage:
    """The selected entries (by message then part, unless ``order`` says otherwise), a page
    of them when ``limit`` is given, with their total and their campaigns."""
    query = _entries(selection, order)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    rows = _entry_rows(await conn.execute(query))
    if limit is None:
        total = len(rows)
    elif rows and len(rows) < limit:
        total = offset + len(rows)  # the last page: no need to count the selection again
    else:
        total = int((await conn.execute(_count(selection))).scalar_one())
    facts = await campaign_facts(conn, {r.campaign_pk for r in rows})
    return EntryPage(rows, total, facts)


async def changed_entries(
    conn: AsyncConnection, message_pks: Iterable[int], part_pks: Iterable[int]
) -> EntryPage:
    """The entries a status change touched, by message then part: every part of the messages
    ``message_pks`` and the single parts ``part_pks``, of any account and of deleted
    campaigns too (the worker's view, for callbacks; nothing here reaches another tenant)."""
    rows: list[EntryRow] = []
    for chunk in chunks(sorted(set(message_pks))):
        rows += _entry_rows(await conn.execute(_entries_where([messages.c.pk.in_(chunk)], ())))
    for chunk in chunks(sorted(set(part_pks))):
        rows += _entry_rows(await conn.execute(_entries_where([sms_parts.c.pk.in_(chunk)], ())))
    facts = await campaign_facts(conn, {r.campaign_pk for r in rows})
    return EntryPage(rows, len(rows), facts)


def _entry_rows(result: Iterable[Any]) -> list[EntryRow]:
    return [
        EntryRow(
            message_pk=r.pk,
            message_id=r.id,
            campaign_pk=r.campaign_pk,
            contact_id=r.contact_id,
            mobile=r.mobile,
            country=r.country,
            text=r.text,
            parts=r.parts,
            part=int(r.part),
            sms_id=r.sms_id,
            status=r.status,
            detailed_status=r.detailed_status,
            submitted_at=r.submitted_at,
            status_at=r.status_at,
        )
        for r in result
    ]


async def campaign_facts(conn: AsyncConnection, pks: Iterable[int]) -> dict[int, CampaignFacts]:
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    # Only the requested groups of the request: it can also hold 30,000 numbers.
    requested = campaigns.c.request["groups"]
    query = (
        select(
            campaigns.c.pk,
            campaigns.c.id,
            campaigns.c.account_id,
            campaigns.c.kind,
            campaigns.c.name,
            campaigns.c.sender,
            campaigns.c.text,
            campaigns.c.label,
            campaigns.c.prices,
            requested.label("groups"),
            applications.c.name.label("application_name"),
        )
        .select_from(
            campaigns.outerjoin(applications, applications.c.id == campaigns.c.application_id)
        )
        .where(campaigns.c.pk.in_(wanted))
    )
    found: dict[int, CampaignFacts] = {}
    for r in await conn.execute(query):
        names = r.groups if isinstance(r.groups, list) else []
        found[r.pk] = CampaignFacts(
            pk=r.pk,
            id=r.id,
            account_id=AccountId(r.account_id),
            kind=r.kind,
            name=r.name,
            sender=r.sender,
            text=r.text,
            label=r.label,
            prices=dict(r.prices or {}),
            groups=tuple(str(name) for name in names),
            application_name=r.application_name,
        )
    return found


async def member_groups(
    conn: AsyncConnection,
    account_id: AccountId,
    contact_ids: Iterable[str],
    names: Iterable[str],
) -> dict[str, set[str]]:
    """Of the groups named, those each contact is a member of now."""
    wanted_contacts = sorted(set(contact_ids))
    wanted_names = sorted(set(names))
    found: dict[str, set[str]] = {}
    if not wanted_contacts or not wanted_names:
        return found
    for chunk in chunks(wanted_contacts):
        query = (
            select(contacts.c.id, groups.c.name)
            .select_from(
                contacts.join(group_members, group_members.c.contact_pk == contacts.c.pk).join(
                    groups, groups.c.id == group_members.c.group_id
                )
            )
            .where(
                contacts.c.account_id == account_id,
                contacts.c.id.in_(chunk),
                groups.c.account_id == account_id,
                groups.c.name.in_(wanted_names),
            )
        )
        for contact_id, name in await conn.execute(query):
            found.setdefault(contact_id, set()).add(name)
    return found
