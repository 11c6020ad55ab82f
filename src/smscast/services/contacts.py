"""The address book: contacts, labels, groups and the blacklist, strictly per account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.domain.contacts import (
    DEFAULT_LABELS,
    ContactFieldError,
    LabelType,
    check_email,
    check_mobile,
    check_text,
    label_value,
    parse_vip,
    reserved_label_name,
    valid_label_name,
)
from smscast.errors import (
    ContactNotFound,
    DuplicateContact,
    DuplicateGroup,
    DuplicateLabel,
    GroupNotFound,
    ValidationFailed,
)
from smscast.ids import uuid7
from smscast.store import contacts as q
from smscast.store import groups as gq
from smscast.store.contacts import ContactRow
from smscast.store.db import Database
from smscast.store.groups import GroupRow
from smscast.types import AccountId

SERVICES = ("Sms",)
MAX_GROUP_NAME = 100


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact as the API shows it: with its groups, blacklisted services and label types."""

    contact: ContactRow
    groups: list[str]
    blacklisted_services: list[str]
    label_types: dict[str, str]


def _field_error(exc: ContactFieldError) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid {exc.field}: {exc.problem}", properties={exc.field: exc.problem}
    )


def check_service(service: str) -> str:
    if service not in SERVICES:
        raise ValidationFailed(
            f"unknown service {service!r}; blacklists exist for {', '.join(SERVICES)}",
            properties={"service": "unknown"},
        )
    return service


def check_group_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("a group needs a name", properties={"name": "required"})
    name = name.strip()
    if len(name) > MAX_GROUP_NAME or "/" in name:
        raise ValidationFailed(
            "group names are 1-100 characters without '/'", properties={"name": "invalid"}
        )
    return name


class ContactService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- contacts ---------------------------------------------------------------------

    async def create(self, account_id: AccountId, fields: Mapping[str, Any]) -> ContactView:
        now = self._clock.now()
        async with self._db.write() as conn:
            types = await self._label_types(conn, account_id)
            values = _contact_values(fields, types, existing_labels={}, require_mobile=True)
            row = {
                "id": uuid7(now),
                "account_id": account_id,
                "first_name": "",
                "last_name": "",
                "email": "",
                "vip": False,
                "labels": {},
                "created_at": now,
                "updated_at": now,
                **values,
            }
            if await q.find_by_mobile(conn, account_id, row["mobile"]):
                raise DuplicateContact(f"A contact with mobile {row['mobile']} already exists")
            try:
                await q.insert_contacts(conn, [row])
            except IntegrityError as exc:
                raise DuplicateContact(
                    f"A contact with mobile {row['mobile']} already exists"
                ) from exc
            return (await self._views(conn, account_id, [row["id"]]))[0]

    async def get(self, account_id: AccountId, contact_id: str) -> ContactView:
        async with self._db.read() as conn:
            views = await self._views(conn, account_id, [contact_id])
        if not views:
            raise ContactNotFound(f"Contact {contact_id} not found")
        return views[0]

    async def by_mobile(self, account_id: AccountId, raw: str | None) -> ContactView:
        try:
            mobile = check_mobile(raw).e164
        except ContactFieldError:
            raise ContactNotFound("No contact has this mobile") from None
        async with self._db.read() as conn:
            row = await q.find_by_mobile(conn, account_id, mobile)
            if row is None:
                raise ContactNotFound("No contact has this mobile")
            return (await self._views(conn, account_id, [row.id]))[0]

    async def update(
        self, account_id: AccountId, contact_id: str, fields: Mapping[str, Any]
    ) -> ContactView:
        async with self._db.write() as conn:
            current = await q.get_contact(conn, account_id, contact_id)
            if current is None:
                raise ContactNotFound(f"Contact {contact_id} not found")
            types = await self._label_types(conn, account_id)
            values = _contact_values(
                fields, types, existing_labels=current.labels, require_mobile=False
            )
            if "mobile" in values and values["mobile"] != current.mobile:
                other = await q.find_by_mobile(conn, account_id, values["mobile"])
                if other is not None:
                    raise DuplicateContact(
                        f"A contact with mobile {values['mobile']} already exists"
                    )
            values["updated_at"] = self._clock.now()
            try:
                await q.update_contact(conn, account_id, current.id, values)
            except IntegrityError as exc:  # the number was taken by a concurrent request
                raise DuplicateContact(
                    f"A contact with mobile {values.get('mobile')} already exists"
                ) from exc
            return (await self._views(conn, account_id, [current.id]))[0]

    async def delete(self, account_id: AccountId, contact_id: str) -> None:
        async with self._db.write() as conn:
            if not await q.delete_contacts(conn, account_id, [contact_id]):
                raise ContactNotFound(f"Contact {contact_id} not found")

    async def delete_many(self, account_id: AccountId, ids: Sequence[str]) -> int:
        """Delete the account's contacts among ``ids``; unknown ids are a 404, nothing deleted."""
        async with self._db.write() as conn:
            await self._require_contacts(conn, account_id, ids)
            return await q.delete_contacts(conn, account_id, list(dict.fromkeys(ids)))

    async def page(
        self, account_id: AccountId, *, offset: int, limit: int
    ) -> tuple[list[ContactView], int]:
        async with self._db.read() as conn:
            rows, total = await q.contact_page(conn, account_id, offset=offset, limit=limit)
            return await self._decorate(conn, account_id, rows), total

    # -- labels -----------------------------------------------------------------------

    async def labels(self, account_id: AccountId) -> dict[str, str]:
        async with self._db.read() as conn:
            return await self._label_types(conn, account_id)

    async def add_labels(
        self, account_id: AccountId, wanted: Sequence[Mapping[str, Any]]
    ) -> dict[str, str]:
        new: dict[str, str] = {}
        for i, item in enumerate(wanted):
            name, kind = item.get("name"), item.get("type", LabelType.TEXT.value)
            if not isinstance(name, str) or not valid_label_name(name.strip()):
                raise ValidationFailed(
                    "label names are 1-100 letters, digits, '_', '-', '.' or spaces",
                    properties={f"[{i}].name": "invalid"},
                )
            if kind not in (LabelType.TEXT.value, LabelType.NUMBER.value):
                raise ValidationFailed(
                    "label type must be Text or Number", properties={f"[{i}].type": "invalid"}
                )
            if name.strip() in new:
                raise DuplicateLabel(f"Label {name.strip()} is given twice")
            if reserved_label_name(name):
                raise DuplicateLabel(f"Label {name.strip()} is a built-in field")
            new[name.strip()] = kind
        try:
            async with self._db.write() as conn:
                existing = await self._label_types(conn, account_id)
                clash = sorted(set(new) & set(existing))
                if clash:
                    raise DuplicateLabel(f"Label {clash[0]} already exists")
                await q.insert_labels(conn, account_id, new, self._clock.now())
        except IntegrityError as exc:  # created by a concurrent request
            raise DuplicateLabel("A label with this name already exists") from exc
        return new

    # -- groups -----------------------------------------------------------------------

    async def groups(self, account_id: AccountId) -> list[GroupRow]:
        async with self._db.read() as conn:
            return await gq.list_groups(conn, account_id)

    async def group(self, account_id: AccountId, name: str) -> GroupRow:
        async with self._db.read() as conn:
            return await self._group(conn, account_id, name)

    async def create_group(self, account_id: AccountId, raw_name: object) -> GroupRow:
        name = check_group_name(raw_name)
        try:
            async with self._db.write() as conn:
                if await gq.get_groups(conn, account_id, [name]):
                    raise DuplicateGroup(f"Group {name} already exists")
                return await gq.insert_group(conn, account_id, name, self._clock.now())
        except IntegrityError as exc:
            raise DuplicateGroup(f"Group {name} already exists") from exc

    async def delete_groups(
        self, account_id: AccountId, names: Sequence[str], *, delete_contacts: bool = False
    ) -> int:
        async with self._db.write() as conn:
            found = await gq.get_groups(conn, account_id, names)
            missing = [n for n in names if n not in found]
            if missing:
                raise GroupNotFound(f"Group {missing[0]} not found")
            ids = [g.id for g in found.values()]
            if delete_contacts:
                await q.delete_contacts_in_groups(conn, ids)
            return await gq.delete_groups(conn, ids)

    async def add_members(
        self, account_id: AccountId, name: str, contact_ids: Sequence[str]
    ) -> GroupRow:
        async with self._db.write() as conn:
            group = await self._group(conn, account_id, name, lock=True)
            unique = list(dict.fromkeys(contact_ids))
            await self._require_contacts(conn, account_id, unique, lock=True)
            await gq.add_members(conn, group.id, unique)
            return await self._group(conn, account_id, name)

    async def remove_members(
        self, account_id: AccountId, name: str, contact_ids: Sequence[str]
    ) -> GroupRow:
        async with self._db.write() as conn:
            group = await self._group(conn, account_id, name)
            await self._require_contacts(conn, account_id, contact_ids)
            await gq.remove_members(conn, account_id, group.id, list(dict.fromkeys(contact_ids)))
            return await self._group(conn, account_id, name)

    async def members(
        self, account_id: AccountId, name: str, *, offset: int, limit: int
    ) -> tuple[list[ContactView], int]:
        async with self._db.read() as conn:
            group = await self._group(conn, account_id, name)
            rows, total = await gq.member_page(conn, group.id, offset=offset, limit=limit)
            return await self._decorate(conn, account_id, rows), total

    # -- blacklist --------------------------------------------------------------------

    async def blacklist(
        self, account_id: AccountId, service: str, contact_ids: Sequence[str]
    ) -> int:
        check_service(service)
        async with self._db.write() as conn:
            await self._require_contacts(conn, account_id, contact_ids, lock=True)
            return await gq.blacklist_add(
                conn, account_id, list(contact_ids), service, self._clock.now()
            )

    async def unblacklist(
        self, account_id: AccountId, service: str, contact_ids: Sequence[str]
    ) -> int:
        check_service(service)
        async with self._db.write() as conn:
            await self._require_contacts(conn, account_id, contact_ids)
            return await gq.blacklist_remove(
                conn, account_id, list(dict.fromkeys(contact_ids)), service
            )

    async def blacklisted(self, account_id: AccountId, service: str) -> list[ContactView]:
        check_service(service)
        async with self._db.read() as conn:
            rows = await gq.blacklisted_contacts(conn, account_id, service)
            return await self._decorate(conn, account_id, rows)

    # -- export -----------------------------------------------------------------------

    async def export(
        self, account_id: AccountId, group: str | None = None
    ) -> AsyncIterator[list[ContactRow]]:
        async with self._db.read() as conn:
            group_id = (await self._group(conn, account_id, group)).id if group else None
            async for batch in q.stream_contacts(conn, account_id, group_id):
                yield batch

    # -- helpers ----------------------------------------------------------------------

    async def _label_types(self, conn: AsyncConnection, account_id: AccountId) -> dict[str, str]:
        custom = await q.account_labels(conn, account_id)
        return {**{k: v.value for k, v in DEFAULT_LABELS.items()}, **custom}

    async def _group(
        self, conn: AsyncConnection, account_id: AccountId, name: str, *, lock: bool = False
    ) -> GroupRow:
        found = await gq.get_groups(conn, account_id, [name])
        if name not in found or (
            lock and not await gq.lock_group(conn, account_id, found[name].id)
        ):
            raise GroupNotFound(f"Group {name} not found")
        return found[name]

    async def _require_contacts(
        self,
        conn: AsyncConnection,
        account_id: AccountId,
        ids: Iterable[str],
        *,
        lock: bool = False,
    ) -> None:
        wanted = list(dict.fromkeys(ids))
        found = {c.id for c in await q.get_contacts(conn, account_id, wanted, lock=lock)}
        missing = [c for c in wanted if c not in found]
        if missing:
            raise ContactNotFound(f"Contact {missing[0]} not found")

    async def _views(
        self, conn: AsyncConnection, account_id: AccountId, ids: Sequence[str]
    ) -> list[ContactView]:
        return await self._decorate(conn, account_id, await q.get_contacts(conn, account_id, ids))

    async def _decorate(
        self, conn: AsyncConnection, account_id: AccountId, rows: Sequence[ContactRow]
    ) -> list[ContactView]:
        ids = [r.id for r in rows]
        memberships = await q.groups_of(conn, ids)
        services = await q.services_of(conn, ids)
        types = await self._label_types(conn, account_id)
        return [
            ContactView(r, memberships.get(r.id, []), services.get(r.id, []), types) for r in rows
        ]


def _contact_values(
    fields: Mapping[str, Any],
    label_types: Mapping[str, str],
    *,
    existing_labels: Mapping[str, Any],
    require_mobile: bool,
) -> dict[str, Any]:
    """Column values from API fields. Absent fields are left out (kept on update)."""
    try:
        values: dict[str, Any] = {}
        merged_labels = dict(existing_labels)
        given = dict(fields)
        labels = given.pop("labels", None) or []
        if not isinstance(labels, list):  # every caller, not only the API, gets a clear error
            raise ContactFieldError("labels", "an array of {name, value}")
        for item in labels:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ContactFieldError("labels", "each label is {name, value}")
            name = item["name"]
            if name in DEFAULT_LABELS:
                given.setdefault(name, item.get("value"))
                continue
            kind = label_types.get(name)
            if kind is None:
                raise ContactFieldError(f"labels.{name}", "no such label; create it first")
            if item.get("value") is None or item.get("value") == "":
                merged_labels.pop(name, None)  # null or empty clears the value
                continue
            merged_labels[name] = label_value(name, LabelType(kind), item.get("value"))
        if require_mobile or given.get("mobile") is not None:
            recipient = check_mobile(given.get("mobile"))
            values["mobile"], values["country"] = recipient.e164, recipient.country
        for key, column in (("firstName", "first_name"), ("lastName", "last_name")):
            if key in given:
                values[column] = check_text(key, given[key])
        if "email" in given:
            values["email"] = check_email(given["email"])
        if "vip" in given:
            values["vip"] = parse_vip(given["vip"])
        if merged_labels != dict(existing_labels) or "labels" in fields:
            values["labels"] = merged_labels
    except ContactFieldError as exc:
        raise _field_error(exc) from None
    return values
