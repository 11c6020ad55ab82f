"""CSV import of contacts: streamed, validated in bulk, upserted a batch per transaction.

Each batch commits on its own, so a long import never holds the database's write lock for
minutes; a row is written whole (contact, labels, group membership) or not at all, and
running the same file again converges to the same address book.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from smscast.clock import Clock
from smscast.domain.contacts import (
    ContactFieldError,
    ImportRow,
    LabelType,
    RowProblem,
    csv_header,
    csv_row,
)
from smscast.domain.numbers import parse_recipients
from smscast.errors import ValidationFailed
from smscast.store import contacts as q
from smscast.store import groups as gq
from smscast.store.db import Database
from smscast.types import AccountId

BATCH = 5000
MAX_LISTED_PROBLEMS = 1000


@dataclass(slots=True)
class ImportSummary:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    invalid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    labels_created: list[str] = field(default_factory=list)
    group_created: bool = False


Progress = Callable[[int], None]


class ContactImporter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def run(
        self,
        account_id: AccountId,
        lines: Iterable[str],
        *,
        group: str | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import CSV ``lines`` (header first). ``progress`` gets the count of rows done."""
        summary = ImportSummary()
        reader = csv.reader(lines)
        try:
            header_cells = next(reader)
        except StopIteration:
            raise ValidationFailed("the file is empty") from None
        try:
            header, label_columns = csv_header(header_cells)
        except ContactFieldError as exc:
            raise ValidationFailed(f"header: {exc.field}: {exc.problem}") from None
        label_types, group_id = await self._prepare(account_id, label_columns, group, summary)
        seen: set[str] = set()
        done = 0
        for batch in _batches(reader, BATCH):
            await self._batch(account_id, header, batch, label_types, group_id, seen, summary)
            done += len(batch)
            if progress is not None:
                progress(done)
        return summary

    async def _prepare(
        self,
        account_id: AccountId,
        label_columns: Sequence[str],
        group: str | None,
        summary: ImportSummary,
    ) -> tuple[dict[str, LabelType], int | None]:
        """Create the labels (as Text) and the group the file needs but the account lacks."""
        now = self._clock.now()
        async with self._db.write() as conn:
            existing = await q.account_labels(conn, account_id)
            missing = {name: LabelType.TEXT.value for name in label_columns if name not in existing}
            await q.insert_labels(conn, account_id, missing, now)
            summary.labels_created = sorted(missing)
            types = {name: LabelType(existing.get(name, "Text")) for name in label_columns}
            group_id = None
            if group is not None:
                found = await gq.get_groups(conn, account_id, [group])
                if group in found:
                    group_id = found[group].id
                else:
                    group_id = (await gq.insert_group(conn, account_id, group, now)).id
                    summary.group_created = True
        return types, group_id

    async def _batch(
        self,
        account_id: AccountId,
        header: Sequence[str],
        batch: list[tuple[int, list[str]]],
        label_types: dict[str, LabelType],
        group_id: int | None,
        seen: set[str],
        summary: ImportSummary,
    ) -> None:
        mobile_at = header.index("mobile")
        recipients = parse_recipients(
            [cells[mobile_at] if len(cells) > mobile_at else "" for _, cells in batch]
        )
        merged: dict[str, ImportRow] = {}
        first_here: set[str] = set()
        for (line, cells), recipient in zip(batch, recipients, strict=True):
            parsed = csv_row(line, header, cells, recipient, label_types)
            if isinstance(parsed, RowProblem):
                summary.invalid += 1
                if len(summary.problems) < MAX_LISTED_PROBLEMS:
                    summary.problems.append(parsed)
                continue
            if parsed.mobile in seen:
                summary.duplicates += 1
                earlier = merged.get(parsed.mobile)
                merged[parsed.mobile] = _merge(earlier, parsed) if earlier else parsed
                continue
            seen.add(parsed.mobile)
            first_here.add(parsed.mobile)
            merged[parsed.mobile] = parsed
        if not merged:
            return
        now = self._clock.now()
        async with self._db.write() as conn:
            existing = await q.existing_by_mobile(conn, account_id, list(merged))
            inserts: list[dict[str, Any]] = []
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            member_ids: list[str] = []
            for mobile, row in merged.items():
                if mobile in existing:
                    contact_id, labels = existing[mobile]
                    values = _update_values(row, labels)
                    values["updated_at"] = now
                    values["contact_id"] = contact_id
                    updates.setdefault(tuple(sorted(values)), []).append(values)
                    member_ids.append(contact_id)
                else:
                    new_id = str(uuid.uuid4())
                    inserts.append(_insert_values(account_id, new_id, row, now))
                    member_ids.append(new_id)
            await q.insert_contacts(conn, inserts)
            for rows in updates.values():
                await q.update_contacts_by_id(conn, rows)
            if group_id is not None:
                await gq.add_members(conn, group_id, member_ids)
        # Counted after the commit: a failed batch counts nothing. A number first seen in an
        # earlier batch is already counted (as created or updated) plus as a duplicate.
        summary.created += len(inserts)
        summary.updated += sum(1 for m in existing if m in first_here)


def _batches(reader: Iterator[list[str]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        batch.append((reader.line_num, cells))  # type: ignore[attr-defined]
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _merge(earlier: ImportRow, later: ImportRow) -> ImportRow:
    """A number repeated in the file: later non-empty cells win, labels combine."""
    return ImportRow(
        line=later.line,
        mobile=later.mobile,
        country=later.country,
        first_name=later.first_name if later.first_name is not None else earlier.first_name,
        last_name=later.last_name if later.last_name is not None else earlier.last_name,
        email=later.email if later.email is not None else earlier.email,
        vip=later.vip if later.vip is not None else earlier.vip,
        labels={**earlier.labels, **later.labels},
    )


def _insert_values(
    account_id: AccountId, contact_id: str, row: ImportRow, now: Any
) -> dict[str, Any]:
    return {
        "id": contact_id,
        "account_id": account_id,
        "mobile": row.mobile,
        "country": row.country,
        "first_name": row.first_name or "",
        "last_name": row.last_name or "",
        "email": row.email or "",
        "vip": bool(row.vip),
        "labels": row.labels,
        "created_at": now,
        "updated_at": now,
    }


def _update_values(row: ImportRow, labels: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if row.first_name is not None:
        values["first_name"] = row.first_name
    if row.last_name is not None:
        values["last_name"] = row.last_name
    if row.email is not None:
        values["email"] = row.email
    if row.vip is not None:
        values["vip"] = row.vip
    if row.labels:
        values["labels"] = {**labels, **row.labels}
    return values
