"""/groups/my…: groups, their size and members, deleting with or without contacts."""

from __future__ import annotations

import httpx


async def contact(client: httpx.AsyncClient, auth: dict[str, str], mobile: str) -> str:
    response = await client.post("/contacts/my", json={"mobile": mobile}, headers=auth)
    assert response.status_code == 200, response.text
    contact_id: str = response.json()["id"]
    return contact_id


async def test_create_list_get(client: httpx.AsyncClient, auth: dict[str, str]):
    created = await client.post("/groups/my", json={"name": "VIP customers"}, headers=auth)
    assert created.status_code == 200
    assert created.json() == {"name": "VIP customers", "size": 0}
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    listed = await client.get("/groups/my", headers=auth)
    assert listed.json() == [{"name": "Athens", "size": 0}, {"name": "VIP customers", "size": 0}]
    one = await client.get("/groups/my/VIP customers", headers=auth)
    assert one.json() == {"name": "VIP customers", "size": 0}


async def test_duplicate_and_invalid_names(client: httpx.AsyncClient, auth: dict[str, str]):
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    again = await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "409002002"
    for body in ({}, {"name": ""}, {"name": 5}, {"name": "a/b"}, ["Athens"]):
        response = await client.post("/groups/my", json=body, headers=auth)
        assert response.status_code == 400, body
        assert response.json()["code"] == "400000000"


async def test_members_add_list_remove(client: httpx.AsyncClient, auth: dict[str, str]):
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    ids = [await contact(client, auth, f"+30691234560{n}") for n in range(3)]
    added = await client.post("/groups/my/Athens/contacts", json=[*ids, ids[0]], headers=auth)
    assert added.json() == {"name": "Athens", "size": 3}
    again = await client.post("/groups/my/Athens/contacts", json=[{"id": ids[0]}], headers=auth)
    assert again.json()["size"] == 3
    page = (await client.get("/groups/my/Athens/contacts?size=2", headers=auth)).json()
    assert page["totalElements"] == 3
    assert len(page["content"]) == 2
    assert page["content"][0]["groups"] == ["Athens"]
    removed = await client.request(
        "DELETE", "/groups/my/Athens/contacts", json=[ids[1]], headers=auth
    )
    assert removed.json() == {"name": "Athens", "size": 2}
    shown = (await client.get(f"/contacts/my/{ids[1]}", headers=auth)).json()
    assert shown["groups"] == []
    assert (await client.get("/groups/my", headers=auth)).json() == [{"name": "Athens", "size": 2}]


async def test_unknown_group_is_404(client: httpx.AsyncClient, auth: dict[str, str]):
    cid = await contact(client, auth, "+306912345600")
    for method, path, body in (
        ("GET", "/groups/my/Nowhere", None),
        ("GET", "/groups/my/Nowhere/contacts", None),
        ("POST", "/groups/my/Nowhere/contacts", [cid]),
        ("DELETE", "/groups/my/Nowhere/contacts", [cid]),
        ("DELETE", "/groups/my", ["Nowhere"]),
    ):
        response = await client.request(method, path, json=body, headers=auth)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "404002002"


async def test_unknown_contact_in_group_is_404002001(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    theirs = await contact(client, other, "+306912345600")
    response = await client.post("/groups/my/Athens/contacts", json=[theirs], headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "404002001"
    assert (await client.get("/groups/my/Athens", headers=auth)).json()["size"] == 0


async def test_groups_are_per_account(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    assert (await client.get("/groups/my", headers=other)).json() == []
    assert (await client.get("/groups/my/Athens", headers=other)).status_code == 404
    same_name = await client.post("/groups/my", json={"name": "Athens"}, headers=other)
    assert same_name.status_code == 200
    gone = await client.request("DELETE", "/groups/my", json=["Athens"], headers=other)
    assert gone.status_code == 200
    assert (await client.get("/groups/my/Athens", headers=auth)).status_code == 200


async def test_delete_groups_keeps_or_deletes_contacts(
    client: httpx.AsyncClient, auth: dict[str, str]
):
    for name in ("Keep", "Purge", "Other"):
        await client.post("/groups/my", json={"name": name}, headers=auth)
    kept = await contact(client, auth, "+306912345600")
    purged = await contact(client, auth, "+306912345601")
    shared = await contact(client, auth, "+306912345602")
    await client.post("/groups/my/Keep/contacts", json=[kept], headers=auth)
    await client.post("/groups/my/Purge/contacts", json=[purged, shared], headers=auth)
    await client.post("/groups/my/Other/contacts", json=[shared], headers=auth)
    plain = await client.request("DELETE", "/groups/my", json=["Keep"], headers=auth)
    assert plain.status_code == 200
    assert (await client.get(f"/contacts/my/{kept}", headers=auth)).status_code == 200
    purge = await client.request(
        "DELETE", "/groups/my?deleteContacts=true", json=[{"name": "Purge"}], headers=auth
    )
    assert purge.status_code == 200
    assert (await client.get(f"/contacts/my/{purged}", headers=auth)).status_code == 404
    assert (await client.get(f"/contacts/my/{shared}", headers=auth)).status_code == 404
    assert (await client.get("/groups/my", headers=auth)).json() == [{"name": "Other", "size": 0}]


async def test_deleting_a_contact_leaves_its_groups(client: httpx.AsyncClient, auth):
    await client.post("/groups/my", json={"name": "Athens"}, headers=auth)
    cid = await contact(client, auth, "+306912345600")
    await client.post("/groups/my/Athens/contacts", json=[cid], headers=auth)
    await client.request("DELETE", f"/contacts/my/{cid}", json={}, headers=auth)
    assert (await client.get("/groups/my/Athens", headers=auth)).json()["size"] == 0
