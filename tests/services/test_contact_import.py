"""The importer's shortcut for a first import must not lose a contact added meanwhile."""

from __future__ import annotations

from smscast.domain.contacts import ImportRow
from smscast.services.contact_import import ImportSummary
from smscast.services.runtime import Services
from tests.conftest import MakeAccount


async def test_a_number_added_during_a_first_import_is_updated_not_lost(
    services: Services, make_account: MakeAccount
):
    account = (await make_account()).account_id
    group = await services.contacts.create_group(account, "G")
    # The import began with an empty account, so it trusts that numbers are new…
    made = await services.contacts.create(account, {"mobile": "+306912345600", "firstName": "A"})
    row = ImportRow(2, "+306912345600", "GR", "B", None, None, None, {})
    fresh = ImportRow(3, "+306912345601", "GR", "C", None, None, None, {})
    prepared = ({row.mobile: row, fresh.mobile: fresh}, {row.mobile, fresh.mobile})
    summary = ImportSummary()
    await services.contact_import._write(account, prepared, group.id, summary, True)
    # …but the number was added meanwhile: the batch is redone with look-ups, nothing lost.
    assert (summary.created, summary.updated) == (1, 1)
    updated = await services.contacts.get(account, made.contact.id)
    assert updated.contact.first_name == "B"
    assert updated.groups == ["G"]
    page, total = await services.contacts.page(account, offset=0, limit=10)
    assert total == 2
    assert all(view.groups == ["G"] for view in page)
