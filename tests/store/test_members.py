"""The campaign query: members of groups, minus the Sms blacklist, each once, per account."""

from __future__ import annotations

from smscast.services.runtime import Services
from smscast.store import groups as gq
from tests.conftest import MakeAccount


async def test_members_minus_blacklist_deduplicated(services: Services, make_account: MakeAccount):
    mine = (await make_account()).account_id
    theirs = (await make_account()).account_id
    c = services.contacts
    ids = [
        (await c.create(mine, {"mobile": f"+30691234560{n}", "firstName": f"n{n}"})).contact.id
        for n in range(5)
    ]
    foreign = (await c.create(theirs, {"mobile": "+306912345600"})).contact.id
    await c.create_group(mine, "A")
    await c.create_group(mine, "B")
    await c.create_group(theirs, "A")
    await c.add_members(mine, "A", ids[:3])
    await c.add_members(mine, "B", ids[2:])
    await c.add_members(theirs, "A", [foreign])
    await c.blacklist(mine, "Sms", [ids[1]])
    groups = await services.contacts.groups(mine)
    group_ids = {g.name: g.id for g in groups}
    async with services.db.read() as conn:
        both = [
            m
            async for batch in gq.stream_members(conn, mine, [group_ids["A"], group_ids["B"]])
            for m in batch
        ]
        only_a = [
            m async for batch in gq.stream_members(conn, mine, [group_ids["A"]]) for m in batch
        ]
        # Another account's group id, even if guessed, yields nothing for this account.
        their_group = (await services.contacts.groups(theirs))[0].id
        stolen = [m async for batch in gq.stream_members(conn, mine, [their_group]) for m in batch]
    assert sorted(m.contact_id for m in both) == sorted([ids[0], ids[2], ids[3], ids[4]])
    assert sorted(m.mobile for m in only_a) == ["+306912345600", "+306912345602"]
    assert {m.first_name for m in only_a} == {"n0", "n2"}
    assert all(m.labels() == {} for m in both)
    assert stolen == []


async def test_members_read_only_the_columns_asked_for(
    services: Services, make_account: MakeAccount
):
    account = (await make_account()).account_id
    c = services.contacts
    await c.add_labels(account, [{"name": "city", "type": "Text"}])
    made = await c.create(
        account,
        {
            "mobile": "+306912345600",
            "firstName": "Maria",
            "lastName": "P",
            "email": "m@example.com",
            "labels": [{"name": "city", "value": "Αθήνα"}],
        },
    )
    group = await c.create_group(account, "G")
    await c.add_members(account, "G", [made.contact.id])
    seen = {}
    async with services.db.read() as conn:
        for names in (True, False):
            for labels in (True, False):
                rows = [
                    m
                    async for batch in gq.stream_members(
                        conn, account, [group.id], with_names=names, with_labels=labels
                    )
                    for m in batch
                ]
                assert len(rows) == 1
                seen[(names, labels)] = rows[0]
    full = seen[(True, True)]
    assert (full.mobile, full.country, full.first_name, full.email) == (
        "+306912345600",
        "GR",
        "Maria",
        "m@example.com",
    )
    assert full.labels() == {"city": "Αθήνα"}
    assert seen[(False, True)].first_name == ""
    assert seen[(False, True)].labels() == {"city": "Αθήνα"}
    assert seen[(True, False)].last_name == "P"
    assert seen[(True, False)].labels() == {}
    bare = seen[(False, False)]
    assert (bare.contact_id, bare.first_name, bare.labels()) == (made.contact.id, "", {})


async def _orphans(services: Services) -> tuple[int, int]:
    """Memberships and blacklist entries whose contact or group no longer exists."""
    async with services.db.read() as conn:
        members = await conn.exec_driver_sql(
            "SELECT count(*) FROM group_members m"
            " WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.pk = m.contact_pk)"
            " OR NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id)"
        )
        black = await conn.exec_driver_sql(
            "SELECT count(*) FROM blacklist b"
            " WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.pk = b.contact_pk)"
        )
        return members.scalar_one(), black.scalar_one()


async def test_deletes_take_memberships_and_blacklist_entries_with_them(
    services: Services, make_account: MakeAccount
):
    # No cascading foreign keys (they cost a trigger per imported row): the store does it.
    account = (await make_account()).account_id
    c = services.contacts
    ids = [(await c.create(account, {"mobile": f"+30691234560{n}"})).contact.id for n in range(6)]
    for name in ("A", "B", "C"):
        await c.create_group(account, name)
    await c.add_members(account, "A", ids[:4])
    await c.add_members(account, "B", ids[2:])
    await c.add_members(account, "C", ids[4:])
    await c.blacklist(account, "Sms", ids)
    assert await _orphans(services) == (0, 0)

    await c.delete(account, ids[0])
    await c.delete_many(account, [ids[1], ids[2]])
    assert [(g.name, g.size) for g in await c.groups(account)] == [("A", 1), ("B", 3), ("C", 2)]
    await c.delete_groups(account, ["C"], delete_contacts=True)  # contacts 4 and 5 go too
    assert [(g.name, g.size) for g in await c.groups(account)] == [("A", 1), ("B", 1)]
    await c.delete_groups(account, ["A"])
    assert [(g.name, g.size) for g in await c.groups(account)] == [("B", 1)]
    assert [v.contact.id for v in await c.blacklisted(account, "Sms")] == [ids[3]]
    assert await _orphans(services) == (0, 0)
    async with services.db.read() as conn:
        rows = await conn.exec_driver_sql("SELECT count(*) FROM group_members")
        assert rows.scalar_one() == 1
