"""The importer's shortcut for a first import must not lose a contact added meanwhile."""

from __future__ import annotations

import pytest

from smscast.domain.contacts import ImportRow
from smscast.errors import GroupNotFound
from smscast.services.contact_import import ImportSummary, _Batch
from smscast.services.runtime import Services
from tests.conftest import MakeAccount


async def test_a_number_added_during_a_first_import_is_updated_not_lost(
    services: Services, make_account: MakeAccount
):
    account = (await make_account()).account_id
    group = await services.contacts.create_group(account, "G")
    # The import began with an empty account, so it trusts that numbers are new…
    made = await services.contacts.create(account, {"mobile": "+306912345600", "firstName": "A"})
    row = ImportRow(2, "+306912345600", "GR", "B", None, None, None, "{}")
    fresh = ImportRow(3, "+306912345601", "GR", "C", None, None, None, "{}")
    batch = _Batch({row.mobile: row, fresh.mobile: fresh}, {row.mobile, fresh.mobile}, 2)
    summary = ImportSummary()
    await services.contact_import._write(account, batch, group.id, summary, True)
    # …but the number was added meanwhile: the batch is redone with look-ups, nothing lost.
    assert (summary.created, summary.updated) == (1, 1)
    updated = await services.contacts.get(account, made.contact.id)
    assert updated.contact.first_name == "B"
    assert updated.groups == ["G"]
    page, total = await services.contacts.page(account, offset=0, limit=10)
    assert total == 2
    assert all(view.groups == ["G"] for view in page)


CSV = (
    "mobile,firstName,lastName,email,vip,city\n"
    "+306912345600,Μαρία,A,m@example.com,true,Αθήνα\n"
    "+306912345601,B,,,no,\n"
    "+306912345600,,C,,,Πάτρα\n"
    "12345,Bad,,,,\n"
    "+306912345602,D,,nope,,\n"
    "+4915112345678,Hans,Müller,,1,Berlin\n"
)


async def test_the_worker_process_imports_exactly_like_the_thread(
    services: Services, make_account: MakeAccount, tmp_path, monkeypatch
):
    import smscast.services.contact_import as module

    monkeypatch.setattr(module, "BATCH", 2)  # several batches, duplicates across them
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    results = []
    for worker in (False, True):
        account = (await make_account()).account_id
        summary = await services.contact_import.run_file(account, path, group="G", worker=worker)
        views, total = await services.contacts.page(account, offset=0, limit=100)
        contacts = sorted(
            (v.contact.mobile, v.contact.first_name, v.contact.last_name, v.contact.email,
             v.contact.vip, v.contact.labels, tuple(v.groups))
            for v in views
        )  # fmt: skip
        results.append(
            (
                summary.created,
                summary.updated,
                summary.duplicates,
                summary.invalid,
                [(p.line, p.problem) for p in summary.problems],
                total,
                contacts,
            )
        )
    assert results[0] == results[1]
    created, updated, duplicates, invalid, problems, total, contacts = results[1]
    assert (created, updated, duplicates, invalid, total) == (3, 0, 1, 2, 3)
    assert [line for line, _ in problems] == [5, 6]
    assert contacts[0] == (
        "+306912345600", "Μαρία", "C", "m@example.com", True, {"city": "Πάτρα"}, ("G",)
    )  # fmt: skip


async def test_a_group_deleted_during_an_import_stops_it(
    services: Services, make_account: MakeAccount
):
    account = (await make_account()).account_id
    group = await services.contacts.create_group(account, "G")
    await services.contacts.delete_groups(account, ["G"])
    row = ImportRow(2, "+306912345600", "GR", "B", None, None, None, "{}")
    batch = _Batch({row.mobile: row}, {row.mobile}, 1)
    with pytest.raises(GroupNotFound):
        await services.contact_import._write(account, batch, group.id, ImportSummary(), True)
    # Nothing of the batch was written: no contact, and no membership of a dead group.
    assert (await services.contacts.page(account, offset=0, limit=10))[1] == 0
    async with services.db.read() as conn:
        rows = await conn.exec_driver_sql("SELECT count(*) FROM group_members")
        assert rows.scalar_one() == 0
