"""CSV import of contacts: streamed, validated in bulk, upserted a batch per transaction.

Each batch commits on its own, so a long import never holds the database's write lock for
minutes; a row is written whole (contact, labels, group membership) or not at all, and
running the same file again converges to the same address book.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from smscast.clock import Clock
from smscast.domain.contacts import (
    ContactFieldError,
    ImportRow,
    LabelType,
    RowProblem,
    RowReader,
    csv_header,
    decode_labels,
    encode_labels,
)
from smscast.domain.numbers import parse_recipients
from smscast.errors import GroupNotFound, SmscastError, StoreConflict, ValidationFailed
from smscast.ids import uuid7_batch
from smscast.services.collector import bulk_allocations
from smscast.services.contacts import check_group_name
from smscast.store import contacts as q
from smscast.store import groups as gq
from smscast.store.bulk import Bulk, DriverForm
from smscast.store.db import Database
from smscast.store.tables import contacts as contacts_table
from smscast.store.tables import group_members
from smscast.types import AccountId

BATCH = 5000
CONTACT_COLUMNS = (
    "id",
    "account_id",
    "mobile",
    "country",
    "first_name",
    "last_name",
    "email",
    "vip",
    "labels",
    "created_at",
    "updated_at",
)
MAX_LISTED_PROBLEMS = 1000
ANALYZE_AFTER = 10_000
# Files this large are validated in a child process (below it, start-up costs more).
WORKER_FROM_BYTES = 4_000_000


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
        header, label_columns = _header(next(reader, None))
        label_types, group_id = await self._prepare(account_id, label_columns, group, summary)
        rows = RowReader(header, label_types)
        seen: set[str] = set()
        batches = _batches(reader, BATCH)

        def read_next() -> _Batch | None:
            batch = next(batches, None)
            if batch is None:
                return None
            return _read_batch(rows, batch, seen, summary)

        async def in_a_thread() -> AsyncIterator[_Batch]:
            while (item := await asyncio.to_thread(read_next)) is not None:
                yield item

        await self._consume(account_id, in_a_thread(), group_id, summary, progress)
        return summary

    async def run_file(
        self,
        account_id: AccountId,
        path: Path,
        *,
        group: str | None = None,
        progress: Progress | None = None,
        worker: bool | None = None,
    ) -> ImportSummary:
        """Import a CSV file. Large files are validated by a child process
        (``import_worker``) on the other core while this one writes; ``worker`` forces it."""
        if worker is None:
            worker = (await asyncio.to_thread(path.stat)).st_size >= WORKER_FROM_BYTES
        if not worker:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                return await self.run(account_id, handle, group=group, progress=progress)
        summary = ImportSummary()
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            _, label_columns = _header(next(csv.reader(handle), None))
        label_types, group_id = await self._prepare(account_id, label_columns, group, summary)
        source = _from_worker(path, label_types, summary)
        await self._consume(account_id, source, group_id, summary, progress)
        return summary

    async def _consume(
        self,
        account_id: AccountId,
        source: AsyncIterator[_Batch],
        group_id: int | None,
        summary: ImportSummary,
        progress: Progress | None,
    ) -> None:
        """Write validated batches in order while the next one is validated and staged."""
        with bulk_allocations():
            await self._consume_batches(account_id, source, group_id, summary, progress)

    async def _consume_batches(
        self,
        account_id: AccountId,
        source: AsyncIterator[_Batch],
        group_id: int | None,
        summary: ImportSummary,
        progress: Progress | None,
    ) -> None:
        async with self._db.read() as conn:
            started_empty = await q.count_contacts(conn, account_id) == 0
        form = DriverForm(self._db.dialect == "postgresql")
        # Stages in step: while batch N is written (SQLite's thread or PostgreSQL's process),
        # batch N+1 is validated (by the worker or a thread) and then staged here. Writes stay
        # in order, so batch N+1's look-up of existing numbers sees batch N.
        done = 0
        analyze_at = ANALYZE_AFTER
        batch = await anext(source, None)
        if batch is not None and started_empty:
            self._stage(account_id, batch, form)
        while batch is not None:
            write = asyncio.create_task(
                self._write(account_id, batch, group_id, summary, started_empty)
            )
            try:
                following = await anext(source, None)
                if following is not None and started_empty:
                    self._stage(account_id, following, form)
            finally:
                await write
            done += batch.size
            if progress is not None:
                progress(done)
            batch = following
            if summary.created >= analyze_at:
                # PostgreSQL plans by its statistics: a table that grew from nothing would
                # be planned as tiny, and look-ups would scan it. Refreshing each time it
                # doubles costs a few samples and keeps every batch's plan an index probe.
                analyze_at = summary.created * 2
                async with self._db.write() as conn:
                    await q.refresh_statistics(conn)

    def _stage(self, account_id: AccountId, batch: _Batch, form: DriverForm) -> list[list[Any]]:
        """Put the contacts first seen in this batch in driver form ahead of their write.

        Only for an import into an account that was empty when it began: such numbers cannot
        exist yet, so their rows do not wait for a look-up. Building them here, while the
        previous batch is in the database, keeps this process's work off the write path.
        """
        now = self._clock.now()
        stamp = form.timestamp(now)
        fresh = [batch.rows[mobile] for mobile in batch.first_here]
        ids = uuid7_batch(now, len(fresh))
        batch.staged = [
            _contact_values(form, new_id, account_id, row, stamp)
            for new_id, row in zip(ids, fresh, strict=True)
        ]
        return batch.staged

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
                group = check_group_name(group)
                found = await gq.get_groups(conn, account_id, [group])
                if group in found:
                    group_id = found[group].id
                else:
                    group_id = (await gq.insert_group(conn, account_id, group, now)).id
                    summary.group_created = True
        return types, group_id

    async def _write(
        self,
        account_id: AccountId,
        batch: _Batch,
        group_id: int | None,
        summary: ImportSummary,
        started_empty: bool,
    ) -> None:
        if not batch.rows:
            return
        try:
            await self._write_once(account_id, batch, group_id, summary, trust_new=started_empty)
        except (IntegrityError, StoreConflict):
            # A number this import believed new was added meanwhile (by the API or another
            # import): the batch rolled back whole; write it again, looking every number up.
            await self._write_once(account_id, batch, group_id, summary, trust_new=False)

    async def _write_once(
        self,
        account_id: AccountId,
        batch: _Batch,
        group_id: int | None,
        summary: ImportSummary,
        *,
        trust_new: bool,
    ) -> None:
        merged, first_here = batch.rows, batch.first_here
        now = self._clock.now()
        async with self._db.write() as conn:
            if group_id is not None and not await gq.lock_group(conn, account_id, group_id):
                raise GroupNotFound("the import's group was deleted while it ran")
            bulk = Bulk(conn)
            stamp = bulk.timestamp(now)
            # Into an account that was empty when the import began, a number first seen in
            # this batch cannot exist yet: only numbers repeated from earlier batches need
            # looking up (a million-row first import then does no look-ups at all).
            if trust_new:
                staged = batch.staged or self._stage(account_id, batch, bulk)
                lookup, new_rows = [m for m in merged if m not in first_here], list(staged)
            else:
                lookup, new_rows = list(merged), []
            existing = await q.existing_by_mobile(conn, account_id, lookup) if lookup else {}
            unseen = [merged[m] for m in lookup if m not in existing]
            new_ids = uuid7_batch(now, len(unseen))
            new_rows = new_rows + [
                _contact_values(bulk, new_id, account_id, row, stamp)
                for new_id, row in zip(new_ids, unseen, strict=True)
            ]
            new_pks = await q.allocate_contact_keys(conn, len(new_rows))
            for new_row, new_pk in zip(new_rows, new_pks, strict=True):
                new_row[0] = new_pk
            await bulk.insert(contacts_table, ("pk", *CONTACT_COLUMNS), new_rows)
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for mobile, (contact_id, labels) in existing.items():
                change = _update_values(merged[mobile], labels)
                change["updated_at"] = now
                change["contact_id"] = contact_id
                updates.setdefault(tuple(sorted(change)), []).append(change)
            for rows in updates.values():
                await q.update_contacts_by_id(conn, rows)
            if group_id is not None:
                # New contacts cannot be members yet and their keys are known: straight in.
                await bulk.insert(
                    group_members, ("group_id", "contact_pk"), [(group_id, k) for k in new_pks]
                )
                await gq.add_members(conn, group_id, [c for c, _ in existing.values()])
        # Counted after the commit: a failed batch counts nothing. A number first seen in an
        # earlier batch is already counted (as created or updated) plus as a duplicate.
        summary.created += len(new_rows)
        summary.updated += sum(1 for m in existing if m in first_here)


def _contact_values(
    form: DriverForm, contact_id: str, account_id: AccountId, row: ImportRow, stamp: Any
) -> list[Any]:
    """A new contact's columns in driver form, ``pk`` (first) still to be filled in."""
    return [
        None,
        contact_id,
        account_id,
        row.mobile,
        row.country,
        row.first_name or "",
        row.last_name or "",
        row.email or "",
        form.boolean(bool(row.vip)),
        row.labels_json,
        stamp,
        stamp,
    ]


async def _from_worker(
    path: Path, label_types: dict[str, LabelType], summary: ImportSummary
) -> AsyncIterator[_Batch]:
    """Validated batches from an ``import_worker`` child, one JSON line each."""
    types = json.dumps({name: kind.value for name, kind in label_types.items()})
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smscast.services.import_worker",
        str(path),
        types,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 28,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    try:
        while line := await child.stdout.readline():
            message = json.loads(line)
            summary.invalid += message["invalid"]
            summary.duplicates += message["duplicates"]
            for line_no, problem in message["problems"]:
                if len(summary.problems) < MAX_LISTED_PROBLEMS:
                    summary.problems.append(RowProblem(line_no, problem))
            merged = {row[1]: ImportRow(*row) for row in message["rows"]}
            yield _Batch(merged, set(message["first"]), message["size"])
        if await child.wait() != 0:
            detail = (await child.stderr.read()).decode(errors="replace").strip()
            raise SmscastError(f"import worker failed: {detail.splitlines()[-1:]}")
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


@dataclass(slots=True)
class _Batch:
    """One batch of the file, validated: its good rows keyed by number (a number repeated
    within it merged), the numbers first seen in the file here, and its size in data rows.
    ``staged`` holds the new contacts' rows in driver form once staged for writing."""

    rows: dict[str, ImportRow]
    first_here: set[str]
    size: int
    staged: list[list[Any]] | None = None


def _read_batch(
    reader: RowReader,
    batch: list[tuple[int, list[str]]],
    seen: set[str],
    summary: ImportSummary,
) -> _Batch:
    """Validate one batch (pure Python, run off the event loop)."""
    at = reader.mobile_at
    recipients = parse_recipients([cells[at] if len(cells) > at else "" for _, cells in batch])
    merged: dict[str, ImportRow] = {}
    first_here: set[str] = set()
    for (line, cells), recipient in zip(batch, recipients, strict=True):
        parsed = reader.read(line, cells, recipient)
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
    return _Batch(merged, first_here, len(batch))


def _header(cells: list[str] | None) -> tuple[list[str], list[str]]:
    """The canonical header and its label columns, or a 400 naming what is wrong."""
    if cells is None:
        raise ValidationFailed("the file is empty")
    try:
        return csv_header(cells)
    except ContactFieldError as exc:
        raise ValidationFailed(f"header: {exc.field}: {exc.problem}") from None


def _batches(reader: Iterator[list[str]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not any(cells):
            continue  # blank lines (and lines of bare commas) are not rows
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
        labels_json=_combine_labels(earlier.labels_json, later.labels_json),
    )


def _combine_labels(earlier: str, later: str) -> str:
    if earlier == "{}" or later == "{}":
        return later if earlier == "{}" else earlier
    return encode_labels({**decode_labels(earlier), **decode_labels(later)})


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
    if row.labels_json != "{}":
        values["labels"] = {**labels, **decode_labels(row.labels_json)}
    return values
