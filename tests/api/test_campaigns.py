"""POST /sms/campaign: the bodies real clients send, recipients, personalization, every error
code, and the campaign object. Every accepted campaign is checked against its stored rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.store.tables import campaigns, ledger, messages
from tests.api.conftest import PostCampaign

GR, DE, IN = Decimal("0.0430"), Decimal("0.0750"), Decimal("0.0055")
ALL_STATUSES = ["Queued", "Sent", "Unsent", "Failed", "Delivered", "Undelivered"]


async def make_contact(
    client: httpx.AsyncClient, auth: dict[str, str], mobile: str, **fields: Any
) -> str:
    response = await client.post("/contacts/my", json={"mobile": mobile, **fields}, headers=auth)
    assert response.status_code == 200, response.text
    contact_id: str = response.json()["id"]
    return contact_id


async def make_group(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, ids: list[str]
) -> None:
    assert (await client.post("/groups/my", json={"name": name}, headers=auth)).status_code == 200
    if ids:
        added = await client.post(f"/groups/my/{name}/contacts", json=ids, headers=auth)
        assert added.status_code == 200, added.text


async def texts(services: Services, tracking_id: str) -> dict[str, str | None]:
    """number -> the text its message sends (None: the campaign's text)."""
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.mobile, messages.c.text)
            .join(campaigns, campaigns.c.pk == messages.c.campaign_pk)
            .where(campaigns.c.id == tracking_id, messages.c.reminder.is_(False))
        )
        return {str(mobile): text for mobile, text in rows.all()}


async def balance(client: httpx.AsyncClient, auth: dict[str, str]) -> Decimal:
    body = (await client.get("/accounts/me/balance", headers=auth)).json()
    return Decimal(str(body["balance"]))


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# -- the bodies real clients send ------------------------------------------------------------


async def test_java_client_body_scheduled_with_reminder(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    body = {
        "body": "Hi [~firstName] test",
        "from": "919600951898",
        "reminder": {"minutesAfter": "5", "minutesBefore": "5", "to": ["+919787136232"]},
        "callback": {"strategy": "OnChange", "url": "http://localhost/cb"},
        "flash": False,
        "smsCallback": {"strategy": "OnChange", "url": "http://localhost/cb"},
        "scheduledDate": 1798471623,
        "campaignName": "API-1",
        "to": ["+919787136232"],
        "fallbackValues": {"firstName": "Gokul"},
    }
    before = await balance(client, auth)
    campaign = await post_campaign(body, auth)
    assert campaign["state"] == "Scheduled"
    assert campaign["scheduledDate"] == "2026-12-28T15:27:03.000Z"
    assert campaign["campaignName"] == "API-1"
    assert campaign["from"] == "919600951898"
    assert campaign["type"] == "Sms"
    assert campaign["callback"] == {"url": "http://localhost/cb", "strategy": "OnChange"}
    assert "smsCallback" not in campaign
    assert campaign["reminder"] == {"minutesBefore": 5, "minutesAfter": 5, "to": ["+919787136232"]}
    assert campaign["fallbackValues"] == {"firstName": "Gokul"}
    assert list(campaign["statuses"]) == ALL_STATUSES
    assert campaign["statuses"]["Queued"] == 1
    assert campaign["totalMessages"] == 1
    # The campaign's message plus two reminders (before and after), one part each.
    assert Decimal(str(campaign["cost"])) == 3 * IN
    assert await balance(client, auth) == before - 3 * IN
    analysis = campaign["smsAnalysis"]
    assert analysis["recipientCountries"] == {"+919787136232": "IN"}
    assert analysis["recipientsPerCountry"] == {"IN": 1}
    assert analysis["contacts"] == {}
    assert analysis["bodyAnalysis"]["parts"] == 1


async def test_node_client_body_to_a_group_personalized(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    ids = [
        await make_contact(client, auth, "+306912345600", firstName="Μαρία"),
        await make_contact(client, auth, "+306912345601", firstName="Nikos"),
        await make_contact(client, auth, "+306912345602"),
    ]
    await make_group(client, auth, "customers", ids)
    campaign = await post_campaign(
        {
            "body": "Hi [~firstName]",
            "groups": ["customers"],
            "from": "amdTelecom",
            "campaignCallback": {"strategy": "OnCompletion", "url": "http://x/campaign"},
        },
        auth,
    )
    assert campaign["campaignCallback"] == {"url": "http://x/campaign", "strategy": "OnCompletion"}
    assert campaign["groups"] == ["customers"]
    assert campaign["smsAnalysis"]["recipientsPerGroup"] == {"customers": 3}
    assert campaign["smsAnalysis"]["totalInGroups"] == 3
    assert campaign["smsAnalysis"]["numberOfRecipients"] == 3
    sent = await texts(services, campaign["trackingId"])
    # Greek small letters are not GSM: that message is UCS-2 (auto policy: transcoding to
    # capitals would save nothing for a one-part message, so the text stays as written).
    assert sent == {
        "+306912345600": "Hi Μαρία",
        "+306912345601": "Hi Nikos",
        "+306912345602": "Hi ",
    }


# -- recipients ------------------------------------------------------------------------------


async def test_union_deduplicated_blacklist_dropped(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    a = await make_contact(client, auth, "+306912345600")
    b = await make_contact(client, auth, "+306912345601")
    c = await make_contact(client, auth, "+4915112345678")
    d = await make_contact(client, auth, "+306912345603")
    await make_group(client, auth, "G1", [a, b, c])
    await make_group(client, auth, "G2", [c, d])
    await client.post("/contacts/my/blacklist/Sms", json=[d], headers=auth)
    campaign = await post_campaign(
        {
            "from": "Shop",
            "body": "Sale",
            "to": ["+306912345600", "+30 691 234 5699", "+306912345600"],
            "contacts": [b, d],
            "groups": ["G1", "G2"],
        },
        auth,
    )
    analysis = campaign["smsAnalysis"]
    # to: 2 distinct numbers; contacts: b (d blacklisted); groups add only c.
    assert analysis["numberOfRecipients"] == 4
    assert analysis["totalInGroups"] == 1
    assert analysis["recipientsPerGroup"] == {"G1": 3, "G2": 1}
    assert analysis["recipientsPerCountry"] == {"GR": 3, "DE": 1}
    assert analysis["recipientCountries"] == {"+306912345600": "GR", "+30 691 234 5699": "GR"}
    assert analysis["contacts"] == {
        b: {"recipient": "+306912345601", "recipientCountry": "GR", "blacklisted": False},
        d: {"recipient": "+306912345603", "recipientCountry": "GR", "blacklisted": True},
    }
    assert Decimal(str(campaign["cost"])) == 3 * GR + DE


async def test_invalid_numbers_refused_then_dropped_on_request(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600", "12345", "+302101234567"]}
    refused = error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400005000")
    assert refused["errors"][0]["property"] == ["12345", "+302101234567"]  # landline too
    assert refused["errors"][0]["code"] == "400005000"
    campaign = await post_campaign({**body, "allowInvalid": True}, auth)
    assert campaign["smsAnalysis"]["numberOfRecipients"] == 1
    assert campaign["smsAnalysis"]["errors"][0]["property"] == ["12345", "+302101234567"]


@pytest.mark.parametrize(
    "body",
    [
        {"from": "Shop", "body": "Hi"},
        {"from": "Shop", "body": "Hi", "to": [], "contacts": [], "groups": []},
    ],
)
async def test_no_recipients_given(client: httpx.AsyncClient, auth: dict[str, str], body: dict):
    error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400005000")


@pytest.mark.parametrize("sender", ["", "ThisIsTooLong", "bad!", "12345678901234567", "   "])
async def test_invalid_sender(client: httpx.AsyncClient, auth: dict[str, str], sender: str):
    body = {"from": sender, "body": "Hi", "to": ["+306912345600"]}
    response = await client.post("/sms/campaign", json=body, headers=auth)
    expected = "400000000" if sender == "" else "400005000"  # missing vs invalid
    error(response, 400, expected)


async def test_unknown_or_foreign_contact_is_404(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    theirs = await make_contact(client, other, "+306912345600")
    for contact in (theirs, "00000000-0000-0000-0000-000000000000"):
        body = {"from": "Shop", "body": "Hi", "contacts": [contact]}
        error(await client.post("/sms/campaign", json=body, headers=auth), 404, "404002001")


async def test_foreign_group_is_404(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    await make_group(client, other, "Theirs", [await make_contact(client, other, "+306912345600")])
    body = {"from": "Shop", "body": "Hi", "groups": ["Theirs"]}
    error(await client.post("/sms/campaign", json=body, headers=auth), 404, "404002002")


async def test_nothing_left_after_groups_and_blacklist(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services
):
    await make_group(client, auth, "Empty", [])
    body = {"from": "Shop", "body": "Hi", "groups": ["Empty"]}
    error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400009004")
    a = await make_contact(client, auth, "+306912345600")
    await make_group(client, auth, "Black", [a])
    await client.post("/contacts/my/blacklist/Sms", json=[a], headers=auth)
    for body in (
        {"from": "Shop", "body": "Hi", "groups": ["Black"]},
        {"from": "Shop", "body": "Hi", "contacts": [a]},
    ):
        error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400009004")
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar() == 0
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar() == 0


async def test_insufficient_balance_writes_nothing(
    client: httpx.AsyncClient, make_account: Any, get_token: Any, services: Services
):
    from tests.conftest import bearer

    poor = bearer(await get_token(await make_account(balance=Decimal("0.05"))))
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600", "+306912345601"]}
    error(await client.post("/sms/campaign", json=body, headers=poor), 400, "400001009")
    assert await balance(client, poor) == Decimal("0.05")
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar() == 0
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar() == 0


async def test_duplicate_name_is_409_per_account(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    other: dict[str, str],
    post_campaign: PostCampaign,
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"], "campaignName": "Spring Sale"}
    await post_campaign(body, auth)
    error(await client.post("/sms/campaign", json=body, headers=auth), 409, "409009003")
    await post_campaign(body, other)  # another account may use the name


# -- personalization and encoding ----------------------------------------------------------


async def test_each_message_priced_on_its_own_text(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    long_name = "A" * 150
    a = await make_contact(client, auth, "+306912345600", firstName=long_name)
    b = await make_contact(client, auth, "+306912345601", firstName="Bo")
    c = await make_contact(client, auth, "+306912345602", firstName="Zoë")
    campaign = await post_campaign(
        {"from": "Shop", "body": "Dear [~firstName]!", "contacts": [a, b, c], "transcode": False},
        auth,
    )
    # 157 septets -> 1 part; "Bo" -> 1 part; "ë" is not GSM and transcoding is refused -> UCS-2.
    assert Decimal(str(campaign["cost"])) == 3 * GR
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.mobile, messages.c.parts, messages.c.unicode).order_by(
                messages.c.mobile
            )
        )
        assert [tuple(r) for r in rows] == [
            ("+306912345600", 1, False),
            ("+306912345601", 1, False),
            ("+306912345602", 1, True),
        ]
    longer = await make_contact(client, auth, "+306912345603", firstName="B" * 160)
    two = await post_campaign(
        {"from": "Shop", "body": "Dear [~firstName]!", "contacts": [longer]}, auth
    )
    assert Decimal(str(two["cost"])) == 2 * GR


async def test_custom_labels_fallbacks_and_list_form(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    await client.post(
        "/contacts/labels/my", json=[{"name": "points", "type": "Number"}], headers=auth
    )
    a = await make_contact(client, auth, "+306912345600", labels=[{"name": "points", "value": 42}])
    b = await make_contact(client, auth, "+306912345601")
    await make_group(client, auth, "G", [a, b])
    campaign = await post_campaign(
        {
            "from": "Shop",
            "body": "You have [~points] points, [~firstName]",
            "groups": ["G"],
            "to": ["+306912345699"],
            "fallbackValues": [
                {"name": "points", "value": "no"},
                {"name": "firstName", "value": "friend"},
            ],
        },
        auth,
    )
    assert campaign["fallbackValues"] == {"points": "no", "firstName": "friend"}
    assert await texts(services, campaign["trackingId"]) == {
        "+306912345600": "You have 42 points, friend",
        "+306912345601": "You have no points, friend",
        "+306912345699": "You have no points, friend",
    }


async def test_transcoding_follows_the_request(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    body = {"from": "Shop", "body": "Καλημέρα “φίλε”", "to": ["+306912345600"]}
    plain = await post_campaign({**body, "transcode": False}, auth)
    async with services.db.read() as conn:
        row = (
            await conn.execute(
                select(campaigns.c.text).where(campaigns.c.id == plain["trackingId"])
            )
        ).scalar_one()
    assert row == "Καλημέρα “φίλε”"
    transcoded = await post_campaign({**body, "transcode": True}, auth)
    async with services.db.read() as conn:
        row = (
            await conn.execute(
                select(campaigns.c.text).where(campaigns.c.id == transcoded["trackingId"])
            )
        ).scalar_one()
    assert row == transcoded["smsAnalysis"]["bodyAnalysis"]["transcode"]["message"]
    assert '"' in row
    assert "“" not in row


# -- request forms and field rules ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduled", "state"),
    [
        ("2026-06-01T10:00:00Z", "Scheduled"),
        ("2026-06-01T12:00:00+02:00", "Scheduled"),
        ("2026-06-01T10:00:00.250Z", "Scheduled"),
        ("2026-06-01T10:00", "Scheduled"),
        ("1780308000", "Scheduled"),
        (1780308000, "Scheduled"),
        ("0001-01-01T00:00:00", "Queued"),
        ("2025-01-01T00:00:00Z", "Queued"),
        (None, "Queued"),
    ],
)
async def test_scheduled_date_forms(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    post_campaign: PostCampaign,
    scheduled: object,
    state: str,
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"], "scheduledDate": scheduled}
    campaign = await post_campaign(body, auth)
    assert campaign["state"] == state
    assert ("scheduledDate" in campaign) == (state == "Scheduled")


async def test_lenient_forms(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    campaign = await post_campaign(
        {
            "from": 306912345678,
            "body": "Hi",
            "to": ["+306912345600"],
            "ttl": "60",
            "flash": "true",
            "respectQuietHours": "false",
            "scheduledDate": "2026-02-01T00:00:00Z",
            "reminder": {"minutesBefore": "10", "recipients": ["+306912345601"]},
            "someFutureField": {"ignored": True},
        },
        auth,
    )
    assert (campaign["from"], campaign["ttl"], campaign["flash"]) == ("306912345678", 60, True)
    assert campaign["respectQuietHours"] is False
    assert campaign["reminder"] == {"minutesBefore": 10, "to": ["+306912345601"]}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"body": None}, "body"),
        ({"body": "x" * 1601}, "body"),
        ({"body": 5}, "body"),
        ({"campaignName": "A"}, "campaignName"),
        ({"campaignName": "Ünicode name"}, "campaignName"),
        ({"campaignName": "x" * 31}, "campaignName"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": 4321}, "ttl"),
        ({"ttl": "soon"}, "ttl"),
        ({"callback": {"url": "ftp://x/cb"}}, "callback.url"),
        ({"callback": {"url": "http://x/cb", "strategy": "Sometimes"}}, "callback.strategy"),
        ({"campaignCallback": "http://x"}, "campaignCallback"),
        ({"to": "+306912345600" + "x", "flash": "maybe"}, "flash"),
        ({"to": [5.5]}, "to[0]"),
        ({"to": ["+306912345600"] * 30_001}, "to"),
        ({"scheduledDate": "next tuesday"}, "scheduledDate"),
        ({"fallbackValues": "firstName=Bob"}, "fallbackValues"),
        ({"reminder": {"minutesBefore": 5}}, "reminder.to"),
        ({"reminder": {"to": ["+306912345600"]}}, "reminder"),
        ({"contacts": [""]}, "contacts[0]"),
    ],
)
async def test_field_rules(
    client: httpx.AsyncClient, auth: dict[str, str], patch: dict[str, Any], field: str
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"], **patch}
    found = error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400000000")
    assert field in found["properties"], found


async def test_bad_json_and_non_object(client: httpx.AsyncClient, auth: dict[str, str]):
    bad = await client.post(
        "/sms/campaign", content=b"{nope", headers={**auth, "Content-Type": "application/json"}
    )
    error(bad, 400, "400000000")
    error(await client.post("/sms/campaign", json=["x"], headers=auth), 400, "400000000")


async def test_needs_auth_and_scope(client: httpx.AsyncClient, make_account: Any, get_token: Any):
    from tests.conftest import bearer

    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"]}
    error(await client.post("/sms/campaign", json=body), 401, "401000000")
    contacts_only = bearer(await get_token(await make_account(), scope="contact"))
    error(await client.post("/sms/campaign", json=body, headers=contacts_only), 403, "403000000")


# -- around the campaign -------------------------------------------------------------------


async def test_get_by_tracking_id_and_tenancy(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    other: dict[str, str],
    post_campaign: PostCampaign,
):
    campaign = await post_campaign({"from": "Shop", "body": "Hi", "to": ["+306912345600"]}, auth)
    for path in (f"/campaigns/{campaign['trackingId']}", f"/sms/campaign/{campaign['trackingId']}"):
        assert (await client.get(path, headers=auth)).json() == campaign
        error(await client.get(path, headers=other), 404, "404009001")
    error(await client.get("/campaigns/nope", headers=auth), 404, "404009001")


async def test_update_while_scheduled_reprices(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    other: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "campaignName": "Launch",
        "scheduledDate": "2026-03-01T09:00:00Z",
    }
    start = await balance(client, auth)
    campaign = await post_campaign(body, auth)
    tracking = campaign["trackingId"]
    # The update resends the campaign's own name (not a duplicate), adds a German number and
    # an ISO date without millis, as clients send it.
    bigger = {
        **body,
        "to": ["+306912345600", "+4915112345678"],
        "scheduledDate": "2026-03-02T09:00:00",
    }
    error(await client.put(f"/sms/{tracking}", json=bigger, headers=other), 404, "404009001")
    updated = await client.put(f"/sms/{tracking}", json=bigger, headers=auth)
    assert updated.status_code == 200, updated.text
    result = updated.json()
    await check_campaign(services, result)
    assert result["trackingId"] == tracking
    assert result["scheduledDate"] == "2026-03-02T09:00:00.000Z"
    assert Decimal(str(result["cost"])) == GR + DE
    assert await balance(client, auth) == start - GR - DE
    smaller = {**body, "to": ["+4915112345678"]}
    result = (await client.put(f"/sms/{tracking}", json=smaller, headers=auth)).json()
    await check_campaign(services, result)
    assert await balance(client, auth) == start - DE
    # No scheduledDate: send now; then it is no longer Scheduled and cannot change.
    now = (
        await client.put(f"/sms/{tracking}", json={**smaller, "scheduledDate": None}, headers=auth)
    ).json()
    await check_campaign(services, now)
    assert now["state"] == "Queued"
    error(await client.put(f"/sms/{tracking}", json=smaller, headers=auth), 400, "400009002")
    error(await client.delete(f"/sms/{tracking}", headers=auth), 400, "400009002")
    kinds = await ledger_kinds(services, tracking)
    assert kinds == ["Charge", "Charge", "Refund"]


async def check_campaign(services: Services, campaign: dict[str, Any]) -> None:
    from tests.api.conftest import check_stored

    await check_stored(services, campaign)


async def ledger_kinds(services: Services, tracking: str) -> list[str]:
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(ledger.c.kind).where(ledger.c.campaign_id == tracking).order_by(ledger.c.id)
        )
        return [r[0] for r in rows]


async def test_update_rejects_a_name_taken_by_another_campaign(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "scheduledDate": "2026-03-01T09:00:00Z",
    }
    await post_campaign({**body, "campaignName": "First"}, auth)
    second = await post_campaign({**body, "campaignName": "Second"}, auth)
    renamed = await client.put(
        f"/sms/{second['trackingId']}", json={**body, "campaignName": "First"}, headers=auth
    )
    error(renamed, 409, "409009003")


async def test_delete_while_scheduled_refunds_and_hides(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    other: dict[str, str],
    services: Services,
    post_campaign: PostCampaign,
):
    start = await balance(client, auth)
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600", "+306912345601"],
        "campaignName": "Gone",
        "scheduledDate": "2026-03-01T09:00:00Z",
        "reminder": {"minutesBefore": 30, "to": ["+306912345602"]},
    }
    campaign = await post_campaign(body, auth)
    tracking = campaign["trackingId"]
    error(await client.delete(f"/sms/{tracking}", headers=other), 404, "404009001")
    deleted = await client.request("DELETE", f"/sms/{tracking}", json={}, headers=auth)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert await balance(client, auth) == start
    error(await client.get(f"/campaigns/{tracking}", headers=auth), 404, "404009001")
    error(await client.delete(f"/sms/{tracking}", headers=auth), 404, "404009001")
    async with services.db.read() as conn:
        statuses = (
            await conn.execute(
                select(messages.c.status, func.count())
                .join(campaigns, campaigns.c.pk == messages.c.campaign_pk)
                .where(campaigns.c.id == tracking)
                .group_by(messages.c.status)
            )
        ).all()
    assert [tuple(s) for s in statuses] == [("Unsent", 3)]  # rows kept, all final
    assert await ledger_kinds(services, tracking) == ["Charge", "Refund"]
    await post_campaign(body, auth)  # the name is free again


async def test_delete_of_a_queued_campaign_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    campaign = await post_campaign({"from": "Shop", "body": "Hi", "to": ["+306912345600"]}, auth)
    error(await client.delete(f"/sms/{campaign['trackingId']}", headers=auth), 400, "400009002")


async def test_a_past_scheduled_date_means_now(
    client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock, post_campaign: PostCampaign
):
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "scheduledDate": "2026-01-01T12:10:00Z",
    }
    campaign = await post_campaign(body, auth)
    assert campaign["state"] == "Scheduled"
    clock.advance(timedelta(minutes=20))
    # The same date is now past: a new campaign with it is sent at once.
    again = await post_campaign(body, auth)
    assert again["state"] == "Queued"


async def test_analyze_campaign_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services
):
    a = await make_contact(client, auth, "+306912345600", firstName="Maria")
    start = await balance(client, auth)
    response = await client.post(
        "/sms/analyze/campaign",
        json={"from": "Shop", "body": "Hi [~firstName]", "to": ["+4915112345678"], "contacts": [a]},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["numberOfRecipients"] == 2
    assert result["recipientsPerCountry"] == {"DE": 1, "GR": 1}
    assert result["bodyAnalysis"]["parts"] == 1
    assert Decimal(str(result["cost"])) == GR + DE
    assert await balance(client, auth) == start
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar() == 0
    bad = {"from": "Shop", "body": "Hi", "to": ["nope"]}
    error(await client.post("/sms/analyze/campaign", json=bad, headers=auth), 400, "400005000")


async def test_single_sms(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str], services: Services
):
    start = await balance(client, auth)
    response = await client.post(
        "/sms",
        json={
            "from": "Shop",
            "body": "Your code is 1234",
            "to": "+306912345600",
            "label": "otp",
            "callback": {"url": "https://example.com/cb", "strategy": "OnCompletion"},
            "ttl": 5,
        },
        headers=auth,
    )
    assert response.status_code == 200, response.text
    sms = response.json()
    assert sms["status"] == "Queued"
    assert (sms["to"], sms["label"], sms["ttl"], sms["flash"]) == ("+306912345600", "otp", 5, False)
    assert sms["bodyAnalysis"] == {
        "characters": 17,
        "parts": 1,
        "unicode": False,
        "unsupportedGSMCharacters": [],
    }
    assert await balance(client, auth) == start - GR
    async with services.db.read() as conn:
        ids = (await conn.execute(select(messages.c.id))).scalars().all()
        charged = (
            (await conn.execute(select(ledger.c.message_id).where(ledger.c.kind == "Charge")))
            .scalars()
            .all()
        )
    assert ids == [sms["trackingId"]] == charged
    # A single SMS is not a campaign.
    error(await client.get(f"/campaigns/{sms['trackingId']}", headers=auth), 404, "404009001")
    for body, code in (
        ({"from": "Shop", "body": "Hi"}, "400005000"),
        ({"from": "Shop", "body": "Hi", "to": "+3021"}, "400005000"),
        ({"from": "Bad!", "body": "Hi", "to": "+306912345600"}, "400005000"),
        ({"from": "Shop", "to": "+306912345600"}, "400000000"),
        ({"from": "Shop", "body": "Hi", "to": {"n": 1}}, "400000000"),
    ):
        error(await client.post("/sms", json=body, headers=auth), 400, code)


async def test_idempotency_key_accepts_a_campaign_once(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"]}
    headers = {**auth, "Idempotency-Key": "order-42"}
    start = await balance(client, auth)
    first = await client.post("/sms/campaign", json=body, headers=headers)
    again = await client.post("/sms/campaign", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    await check_campaign(services, first.json())
    assert await balance(client, auth) == start - GR
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(campaigns))).scalar() == 1
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar() == 1


def _campaign_json(fields: str) -> str:
    """Raw JSON of a campaign to one number with ``fields`` (JSON text) added."""
    return '{"from":"Shop","to":["+306912345678"],' + fields + "}"


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/sms/campaign", _campaign_json('"body":"a\\ud800"')),
        ("/sms/campaign", _campaign_json('"body":"Hi","campaignName":"a\\u0000b"')),
        ("/sms/campaign", _campaign_json('"body":"[~x]","fallbackValues":{"x":"\\udc00"}')),
        ("/sms/campaign", _campaign_json('"body":"Hi","scheduledDate":1e300')),
        ("/sms/campaign", _campaign_json('"body":"Hi","ttl":1e300')),
        (
            "/sms/campaign",
            _campaign_json(
                '"body":"Hi","reminder":{"minutesAfter":99999999999999999999,"to":["+306912345678"]}'
            ),
        ),
        ("/sms", '{"from":"Shop","body":"Hi","to":"+30\\ud800"}'),
        ("/sms/analyze/campaign", '{"from":"Shop","body":"Hi","groups":[null]}'),
    ],
)
async def test_hostile_bodies_are_clean_400s(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services, path: str, payload: str
):
    headers = auth | {"Content-Type": "application/json"}
    response = await client.post(path, content=payload.encode(), headers=headers)
    error(response, 400, "400000000")
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar() == 0


# -- limits found in review ----------------------------------------------------------------


async def test_longest_numeric_sender_is_stored(
    client: httpx.AsyncClient, auth: dict[str, str], post_campaign: PostCampaign
):
    sender = "+1234567890123456"  # 16 digits and a "+": 17 characters
    campaign = await post_campaign({"from": sender, "body": "Hi", "to": ["+306912345600"]}, auth)
    assert campaign["from"] == sender
    sms = await client.post(
        "/sms", json={"from": sender, "body": "Hi", "to": "+306912345600"}, headers=auth
    )
    assert sms.status_code == 200, sms.text


@pytest.mark.parametrize(
    "scheduled", ["9999-12-31T23:00:00Z", 253402300799, "2040-01-01T00:00:00Z"]
)
async def test_scheduled_date_too_far_ahead(
    client: httpx.AsyncClient, auth: dict[str, str], scheduled: object
):
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "scheduledDate": scheduled,
        "reminder": {"minutesAfter": 60, "to": ["+306912345601"]},
    }
    for path in ("/sms/campaign", "/sms/analyze/campaign"):
        found = error(await client.post(path, json=body, headers=auth), 400, "400000000")
        assert "scheduledDate" in found["properties"]


async def test_a_personalized_text_over_the_limit_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services
):
    body = {
        "from": "Shop",
        "body": "Hi [~x]",
        "to": ["+306912345600"],
        "fallbackValues": {"x": "y" * 1600},
    }
    for path in ("/sms/campaign", "/sms/analyze/campaign"):
        found = error(await client.post(path, json=body, headers=auth), 400, "400000000")
        assert "1603 characters" in found["properties"]["body"]
    async with services.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar() == 0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"contacts": ["x"] * 30_001}, "contacts"),
        ({"groups": [f"g{n}" for n in range(101)]}, "groups"),
        ({"reminder": {"minutesAfter": 5, "to": ["+306912345600"] * 101}}, "reminder.to"),
        (
            {"reminder": {"minutesAfter": 7 * 24 * 60 + 1, "to": ["+306912345600"]}},
            "reminder.minutesAfter",
        ),
    ],
)
async def test_list_limits(
    client: httpx.AsyncClient, auth: dict[str, str], patch: dict[str, Any], field: str
):
    body = {"from": "Shop", "body": "Hi", "to": ["+306912345600"], **patch}
    found = error(await client.post("/sms/campaign", json=body, headers=auth), 400, "400000000")
    assert field in found["properties"]


async def test_update_the_balance_cannot_pay_leaves_the_campaign_as_it_was(
    client: httpx.AsyncClient, make_account: Any, get_token: Any, services: Services
):
    from tests.conftest import bearer

    auth = bearer(await get_token(await make_account(balance=Decimal("0.10"))))
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "scheduledDate": "2026-03-01T09:00:00Z",
    }
    created = await client.post("/sms/campaign", json=body, headers=auth)
    assert created.status_code == 200
    campaign = created.json()
    three = {**body, "to": ["+306912345600", "+306912345601", "+306912345602"]}
    error(
        await client.put(f"/sms/{campaign['trackingId']}", json=three, headers=auth),
        400,
        "400001009",
    )
    bad = {**body, "to": ["nope"]}
    error(
        await client.put(f"/sms/{campaign['trackingId']}", json=bad, headers=auth), 400, "400005000"
    )
    assert (
        await client.get(f"/campaigns/{campaign['trackingId']}", headers=auth)
    ).json() == campaign
    await check_campaign(services, campaign)
    assert await balance(client, auth) == Decimal("0.10") - GR


async def test_an_update_keeps_a_reminder_already_sent_and_delete_refunds_only_the_rest(
    client: httpx.AsyncClient, auth: dict[str, str], services: Services, post_campaign: PostCampaign
):
    start = await balance(client, auth)
    body = {
        "from": "Shop",
        "body": "Hi",
        "to": ["+306912345600"],
        "scheduledDate": "2026-03-01T09:00:00Z",
        "reminder": {"minutesBefore": 30, "to": ["+4915112345678"]},
    }
    campaign = await post_campaign(body, auth)
    tracking = campaign["trackingId"]
    # The "before" reminder went out (as the dispatcher will record it).
    async with services.db.write() as conn:
        await conn.execute(
            messages.update().where(messages.c.reminder.is_(True)).values(status="Sent")
        )
    updated = await client.put(
        f"/sms/{tracking}", json={**body, "to": ["+306912345601", "+306912345602"]}, headers=auth
    )
    assert updated.status_code == 200, updated.text
    async with services.db.read() as conn:
        rows = (
            await conn.execute(
                select(messages.c.reminder, messages.c.status, messages.c.mobile).order_by(
                    messages.c.mobile
                )
            )
        ).all()
    # The sent reminder stays and is not planned again; the campaign's messages are new.
    assert [tuple(r) for r in rows] == [
        (False, "Queued", "+306912345601"),
        (False, "Queued", "+306912345602"),
        (True, "Sent", "+4915112345678"),
    ]
    assert Decimal(str(updated.json()["cost"])) == 2 * GR + DE
    assert await balance(client, auth) == start - 2 * GR - DE
    deleted = await client.delete(f"/sms/{tracking}", headers=auth)
    assert deleted.status_code == 200
    # Only what never went out comes back: the sent reminder stays paid for.
    assert await balance(client, auth) == start - DE
    for account in await services.accounts.list():
        stored, ledger_total = await services.accounts.ledger_balance(account.id)
        assert stored == ledger_total


async def test_the_applications_transcode_policy_applies(
    client: httpx.AsyncClient,
    make_account: Any,
    get_token: Any,
    services: Services,
    post_campaign: PostCampaign,
):
    from tests.conftest import Credentials, bearer

    creds = await make_account()
    issued = await services.auth.create_application(
        creds.account_id, name="always", transcode="always"
    )
    always = Credentials(creds.account_id, issued.application.id, issued.secret)
    auth = bearer(await get_token(always))
    # Transcoding saves nothing here (one part either way): only "always" sends it.
    campaign = await post_campaign(
        {"from": "Shop", "body": "Καλημέρα", "to": ["+306912345600"]}, auth
    )
    async with services.db.read() as conn:
        text = (
            await conn.execute(
                select(campaigns.c.text).where(campaigns.c.id == campaign["trackingId"])
            )
        ).scalar_one()
    assert text == "KAΛHMEPA"
