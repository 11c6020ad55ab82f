"""/contacts/my…: create, read, update, delete, list, find by mobile, labels, blacklist."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from smscast.clock import FakeClock
from tests.conftest import GetToken, MakeAccount, bearer

GREEK = "+306912345678"
GREEK_2 = "+306912345679"
GERMAN = "+4915112345678"


async def create(client: httpx.AsyncClient, auth: dict[str, str], **fields: object) -> dict:
    response = await client.post("/contacts/my", json=fields, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


async def test_create_and_get(client: httpx.AsyncClient, auth: dict[str, str]):
    made = await create(
        client, auth, firstName="Μαρία", lastName="Παπαδοπούλου", mobile="+30 691 234 5678",
        email="maria@example.com", vip="true",
    )  # fmt: skip
    assert made == {
        "id": made["id"],
        "firstName": "Μαρία",
        "lastName": "Παπαδοπούλου",
        "mobile": GREEK,
        "email": "maria@example.com",
        "country": "GR",
        "vip": True,
        "groups": [],
        "blacklistedServices": [],
        "labels": [],
    }
    fetched = await client.get(f"/contacts/my/{made['id']}", headers=auth)
    assert fetched.json() == made


async def test_duplicate_mobile_is_409002005(client: httpx.AsyncClient, auth: dict[str, str]):
    await create(client, auth, mobile=GREEK)
    again = await client.post("/contacts/my", json={"mobile": "+30-691-234-5678"}, headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "409002005"


async def test_same_mobile_in_two_accounts_is_fine(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    await create(client, auth, mobile=GREEK)
    await create(client, other, mobile=GREEK)


@pytest.mark.parametrize(
    ("fields", "property_name"),
    [
        ({}, "mobile"),
        ({"mobile": "12345"}, "mobile"),
        ({"mobile": "+302101234567"}, "mobile"),
        ({"mobile": GREEK, "email": "not-an-email"}, "email"),
        ({"mobile": GREEK, "vip": "maybe"}, "vip"),
        ({"mobile": GREEK, "firstName": "x" * 256}, "firstName"),
        ({"mobile": GREEK, "labels": [{"name": "unknown", "value": "x"}]}, "labels.unknown"),
        ({"mobile": GREEK, "labels": "nope"}, "labels"),
        ({"mobile": 306912345678}, "mobile"),
    ],
)
async def test_invalid_fields_are_400_with_properties(
    client: httpx.AsyncClient, auth: dict[str, str], fields: dict, property_name: str
):
    response = await client.post("/contacts/my", json=fields, headers=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"
    assert property_name in response.json()["properties"]
    listing = await client.get("/contacts/my", headers=auth)
    assert listing.json()["totalElements"] == 0


async def test_not_an_object_is_400(client: httpx.AsyncClient, auth: dict[str, str]):
    response = await client.post("/contacts/my", json=[GREEK], headers=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"


async def test_custom_labels_text_and_number(client: httpx.AsyncClient, auth: dict[str, str]):
    made_labels = await client.post(
        "/contacts/labels/my",
        json=[{"name": "city", "type": "Text"}, {"name": "points", "type": "Number"}],
        headers=auth,
    )
    assert made_labels.status_code == 200
    assert made_labels.json() == [
        {"name": "city", "type": "Text"},
        {"name": "points", "type": "Number"},
    ]
    labels = (await client.get("/contacts/labels/my", headers=auth)).json()
    assert labels == {
        "firstName": "Text",
        "lastName": "Text",
        "country": "Text",
        "email": "Text",
        "mobile": "Text",
        "city": "Text",
        "points": "Number",
    }
    made = await create(
        client,
        auth,
        mobile=GREEK,
        labels=[{"name": "city", "value": "Αθήνα"}, {"name": "points", "value": "42"}],
    )
    assert made["labels"] == [
        {"name": "city", "type": "Text", "value": "Αθήνα"},
        {"name": "points", "type": "Number", "value": 42},
    ]
    bad = await client.post(
        "/contacts/my",
        json={"mobile": GREEK_2, "labels": [{"name": "points", "value": "lots"}]},
        headers=auth,
    )
    assert bad.status_code == 400
    assert bad.json()["properties"] == {"labels.points": "must be a number"}


async def test_duplicate_labels_are_409(client: httpx.AsyncClient, auth: dict[str, str]):
    await client.post("/contacts/labels/my", json=[{"name": "city", "type": "Text"}], headers=auth)
    for body in ([{"name": "city", "type": "Text"}], [{"name": "email", "type": "Text"}],
                 [{"name": "a", "type": "Text"}, {"name": "a", "type": "Number"}]):  # fmt: skip
        response = await client.post("/contacts/labels/my", json=body, headers=auth)
        assert response.status_code == 409
        assert response.json()["code"] == "409002006"
    bad_type = await client.post(
        "/contacts/labels/my", json=[{"name": "x", "type": "Date"}], headers=auth
    )
    assert bad_type.status_code == 400


async def test_labels_are_per_account(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    await client.post("/contacts/labels/my", json=[{"name": "city", "type": "Text"}], headers=auth)
    assert "city" not in (await client.get("/contacts/labels/my", headers=other)).json()
    response = await client.post(
        "/contacts/my",
        json={"mobile": GREEK, "labels": [{"name": "city", "value": "x"}]},
        headers=other,
    )
    assert response.status_code == 400


async def test_update_keeps_absent_fields_and_checks_mobile(
    client: httpx.AsyncClient, auth: dict[str, str]
):
    made = await create(client, auth, mobile=GREEK, firstName="Maria", email="m@example.com")
    await create(client, auth, mobile=GREEK_2)
    updated = await client.put(
        f"/contacts/my/{made['id']}", json={"lastName": "P", "vip": True}, headers=auth
    )
    assert updated.status_code == 200
    assert (updated.json()["firstName"], updated.json()["lastName"]) == ("Maria", "P")
    assert updated.json()["email"] == "m@example.com"
    assert updated.json()["vip"] is True
    moved = await client.put(f"/contacts/my/{made['id']}", json={"mobile": GERMAN}, headers=auth)
    assert (moved.json()["mobile"], moved.json()["country"]) == (GERMAN, "DE")
    clash = await client.put(f"/contacts/my/{made['id']}", json={"mobile": GREEK_2}, headers=auth)
    assert clash.status_code == 409
    assert clash.json()["code"] == "409002005"
    same = await client.put(f"/contacts/my/{made['id']}", json={"mobile": GERMAN}, headers=auth)
    assert same.status_code == 200


async def test_unknown_or_foreign_contact_is_404002001(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    theirs = await create(client, other, mobile=GREEK, firstName="Secret")
    for method, body in (("GET", None), ("PUT", {"firstName": "Hacked"}), ("DELETE", {})):
        for contact_id in (theirs["id"], "no-such-id"):
            response = await client.request(
                method, f"/contacts/my/{contact_id}", json=body, headers=auth
            )
            assert response.status_code == 404, (method, contact_id)
            assert response.json()["code"] == "404002001"
    intact = await client.get(f"/contacts/my/{theirs['id']}", headers=other)
    assert intact.json()["firstName"] == "Secret"


async def test_delete_one_and_many(client: httpx.AsyncClient, auth: dict[str, str], other):
    a = await create(client, auth, mobile=GREEK)
    b = await create(client, auth, mobile=GREEK_2)
    c = await create(client, auth, mobile=GERMAN)
    theirs = await create(client, other, mobile=GREEK)
    one = await client.request("DELETE", f"/contacts/my/{a['id']}", json={}, headers=auth)
    assert one.status_code == 200
    assert one.content == b""
    foreign = await client.request(
        "DELETE", "/contacts/my", json=[b["id"], theirs["id"]], headers=auth
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "404002001"
    assert (await client.get(f"/contacts/my/{b['id']}", headers=auth)).status_code == 200
    many = await client.request("DELETE", "/contacts/my", json=[b["id"], c["id"]], headers=auth)
    assert many.status_code == 200
    assert (await client.get("/contacts/my", headers=auth)).json()["totalElements"] == 0
    assert (await client.get(f"/contacts/my/{theirs['id']}", headers=other)).status_code == 200


async def test_list_is_a_spring_page(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str], clock: FakeClock
):
    for n in range(5):
        clock.advance(timedelta(seconds=1))
        await create(client, auth, mobile=f"+30691234560{n}")
    await create(client, other, mobile=GERMAN)
    page = (await client.get("/contacts/my?page=1&size=2", headers=auth)).json()
    assert (page["totalElements"], page["totalPages"], page["number"], page["size"]) == (5, 3, 1, 2)
    assert [c["mobile"] for c in page["content"]] == ["+306912345602", "+306912345603"]
    assert page["first"] is False
    assert page["last"] is False


async def test_find_by_mobile_get_and_head(client: httpx.AsyncClient, auth: dict[str, str], other):
    made = await create(client, auth, mobile=GREEK)
    found = await client.get("/contacts/my/mobile", params={"value": GREEK}, headers=auth)
    assert found.json()["id"] == made["id"]
    head = await client.head("/contacts/my/mobile", params={"value": GREEK}, headers=auth)
    assert head.status_code == 200
    assert head.headers["content-length"] == "0"
    assert head.content == b""
    missing = await client.head("/contacts/my/mobile", params={"value": GREEK_2}, headers=auth)
    assert missing.status_code == 404
    assert missing.headers["content-length"] == "0"
    elsewhere = await client.get("/contacts/my/mobile", params={"value": GREEK}, headers=other)
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == "404002001"
    garbage = await client.get("/contacts/my/mobile", params={"value": "abc"}, headers=auth)
    assert garbage.status_code == 404


@pytest.mark.parametrize("shape", ["ids", "objects", "wrapped"])
async def test_blacklist_body_forms(client: httpx.AsyncClient, auth: dict[str, str], shape: str):
    a = await create(client, auth, mobile=GREEK)
    b = await create(client, auth, mobile=GREEK_2)
    ids = [a["id"], b["id"]]
    body: object = {
        "ids": ids,
        "objects": [{"id": i} for i in ids],
        "wrapped": {"contacts": ids},
    }[shape]
    added = await client.post("/contacts/my/blacklist/Sms", json=body, headers=auth)
    assert added.json() == {"updated": 2}
    again = await client.post("/contacts/my/blacklist/Sms", json=body, headers=auth)
    assert again.json() == {"updated": 0}
    listed = (await client.get("/contacts/my/blacklist/Sms", headers=auth)).json()
    assert sorted(c["id"] for c in listed) == sorted(ids)
    assert all(c["blacklistedServices"] == ["Sms"] for c in listed)
    removed = await client.request("DELETE", "/contacts/my/blacklist/Sms", json=body, headers=auth)
    assert removed.json() == {"updated": 2}
    assert (await client.get("/contacts/my/blacklist/Sms", headers=auth)).json() == []


async def test_blacklist_refuses_foreign_ids_and_unknown_service(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    theirs = await create(client, other, mobile=GREEK)
    response = await client.post("/contacts/my/blacklist/Sms", json=[theirs["id"]], headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "404002001"
    assert (await client.get("/contacts/my/blacklist/Sms", headers=other)).json() == []
    assert (await client.get("/contacts/my/blacklist/Sms", headers=auth)).json() == []
    unknown = await client.get("/contacts/my/blacklist/Fax", headers=auth)
    assert unknown.status_code == 400
    malformed = await client.post("/contacts/my/blacklist/Sms", json={"x": 1}, headers=auth)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "400000000"


async def test_needs_contact_scope(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    sms_only = bearer(await get_token(await make_account(), scope="sms"))
    for method, path in (("GET", "/contacts/my"), ("POST", "/contacts/my"),
                         ("GET", "/groups/my"), ("GET", "/contacts/labels/my")):  # fmt: skip
        response = await client.request(method, path, json={}, headers=sms_only)
        assert response.status_code == 403, path


@pytest.mark.parametrize(
    "value", ["1e1000000", "1e400", "1" + "0" * 400 + ".5", "-1e20", "1e-30", "NaN"]
)
async def test_number_labels_out_of_range_are_400_quickly(
    client: httpx.AsyncClient, auth: dict[str, str], value: str
):
    await client.post("/contacts/labels/my", json=[{"name": "n", "type": "Number"}], headers=auth)
    response = await client.post(
        "/contacts/my",
        json={"mobile": GREEK, "labels": [{"name": "n", "value": value}]},
        headers=auth,
    )
    assert response.status_code == 400
    assert "labels.n" in response.json()["properties"]
    raw = b'{"mobile":"' + GREEK.encode() + b'","labels":[{"name":"n","value":1e400}]}'
    as_number = await client.post(
        "/contacts/my", content=raw, headers=auth | {"Content-Type": "application/json"}
    )
    assert as_number.status_code == 400
    assert (await client.get("/contacts/my", headers=auth)).status_code == 200


async def test_labels_cannot_shadow_built_in_fields(client: httpx.AsyncClient, auth):
    for name in ("Mobile", "EMAIL", "first_name", "vip", "Country"):
        response = await client.post(
            "/contacts/labels/my", json=[{"name": name, "type": "Text"}], headers=auth
        )
        assert response.status_code == 409, name
        assert response.json()["code"] == "409002006"


async def test_a_label_value_can_be_cleared(client: httpx.AsyncClient, auth: dict[str, str]):
    await client.post("/contacts/labels/my", json=[{"name": "n", "type": "Number"}], headers=auth)
    made = await create(client, auth, mobile=GREEK, labels=[{"name": "n", "value": 3}])
    assert made["labels"] == [{"name": "n", "type": "Number", "value": 3}]
    cleared = await client.put(
        f"/contacts/my/{made['id']}", json={"labels": [{"name": "n", "value": None}]}, headers=auth
    )
    assert cleared.status_code == 200
    assert cleared.json()["labels"] == []
