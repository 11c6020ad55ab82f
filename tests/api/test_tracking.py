"""Tracking: campaigns sent through the API and the sandbox carrier (workers in burst mode,
the test's fake clock), then every part followed by message, by campaign page and by search."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smscast.carriers import sandbox
from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.workers.runtime import Worker
from tests.conftest import Credentials, GetToken, MakeAccount, bearer

ISO_MILLIS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TWO_PARTS = "A" * 200  # GSM-7: 153 + 47 septets
GR_PRICE = 0.043
DELIVERED_REASON = {
    "detailedStatus": "Delivered",
    "description": "The message was delivered to the handset.",
}


@pytest.fixture
async def creds(make_account: MakeAccount) -> Credentials:
    return await make_account()


@pytest.fixture
async def auth(creds: Credentials, get_token: GetToken) -> dict[str, str]:
    """The account's bearer header, every scope (its credentials stay at hand: a test that
    moves the clock by days needs a fresh token)."""
    return bearer(await get_token(creds))


@pytest.fixture
async def worker(services: Services, clock: FakeClock) -> AsyncIterator[Worker]:
    built = Worker(services, build_carriers(services.settings, clock))
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def run_until_receipts(worker: Worker, clock: FakeClock) -> None:
    """Dispatch, then let the sandbox's receipts (at most 2 s late) come back."""
    await worker.burst()
    for _ in range(2):
        clock.advance(timedelta(seconds=3))
        await worker.burst()


async def send_campaign(
    client: httpx.AsyncClient, auth: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"from": "Shop", "body": "Hello", **fields}
    response = await client.post("/sms/campaign", json=body, headers=auth)
    assert response.status_code == 200, response.text
    campaign: dict[str, Any] = response.json()
    return campaign


async def send_single(
    client: httpx.AsyncClient, auth: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"from": "Shop", "body": "Your code is 1234", **fields}
    response = await client.post("/sms", json=body, headers=auth)
    assert response.status_code == 200, response.text
    sent: dict[str, Any] = response.json()
    return sent


async def campaign_entries(
    client: httpx.AsyncClient, auth: dict[str, str], tracking_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/sms/tracking/campaign/{tracking_id}", params=params, headers=auth
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def search(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    filters: list[dict[str, Any]] | None = None,
    **params: Any,
) -> httpx.Response:
    return await client.post("/sms/tracking", json=filters or [], params=params, headers=auth)


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- one message ------------------------------------------------------------------------


async def test_a_two_part_message_has_an_entry_per_part(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
):
    campaign = await send_campaign(
        client, auth, body=TWO_PARTS, to=["+306912345600"], campaignName="Spring sale"
    )
    await run_until_receipts(worker, clock)
    page = await campaign_entries(client, auth, campaign["trackingId"])
    message_id = page["content"][0]["messageId"]

    response = await client.get(f"/sms/tracking/single/{message_id}", headers=auth)
    assert response.status_code == 200, response.text
    entries = response.json()
    assert isinstance(entries, list)
    assert [e["part"] for e in entries] == [1, 2]
    assert len({e["smsId"] for e in entries}) == 2
    created = at(campaign["createdAt"])
    for entry in entries:
        assert entry["messageId"] == message_id
        assert entry["campaignTrackingId"] == campaign["trackingId"]
        assert entry["campaignName"] == "Spring sale"
        assert entry["applicationName"] == "default"
        assert (entry["from"], entry["to"], entry["country"]) == ("Shop", "+306912345600", "GR")
        assert entry["operator"] == "M-STAT"
        assert entry["groups"] == []
        assert entry["body"] == TWO_PARTS
        assert (entry["parts"], entry["price"]) == (2, GR_PRICE)
        assert (entry["direction"], entry["originatingService"]) == ("Outbound", "Sms")
        assert "label" not in entry
        status = entry["status"]
        assert status["status"] == "Delivered"
        assert status["reason"] == DELIVERED_REASON
        assert ISO_MILLIS.fullmatch(status["date"])
        # Submitted at once; delivered when the sandbox says (0.2-2 s later), whenever the
        # receipt was taken in: latency is the carrier's delivery time less the submit.
        assert 0.2 <= entry["latency"] <= 2.0
        delivered = created + timedelta(seconds=entry["latency"])
        assert abs(at(status["date"]) - delivered) <= timedelta(milliseconds=1)
    assert entries == page["content"]


async def test_a_message_not_handed_over_has_entries_without_sms_id(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
):
    scheduled = clock.now() + timedelta(hours=1)
    campaign = await send_campaign(
        client,
        auth,
        body=TWO_PARTS,
        to=["+306912345600"],
        scheduledDate=scheduled.isoformat(),
        reminder={"minutesBefore": 10, "to": ["+491701234567"]},
    )
    await worker.burst()  # nothing is due yet
    page = await campaign_entries(client, auth, campaign["trackingId"])
    # The reminder is a message of the campaign too.
    assert [(e["to"], e["part"]) for e in page["content"]] == [
        ("+306912345600", 1),
        ("+306912345600", 2),
        ("+491701234567", 1),
        ("+491701234567", 2),
    ]
    message_id = page["content"][0]["messageId"]
    response = await client.get(f"/sms/tracking/single/{message_id}", headers=auth)
    entries = response.json()
    assert [e["part"] for e in entries] == [1, 2]
    for entry in entries:
        assert "smsId" not in entry
        assert "latency" not in entry
        assert entry["parts"] == 2
        assert entry["status"] == {
            "status": "Queued",
            "date": campaign["createdAt"],
            "reason": {"detailedStatus": "Queued", "description": "Waiting to be sent."},
        }
    assert page["content"][2]["country"] == "DE"
    assert page["content"][2]["price"] == 0.075


async def test_a_single_sms_has_its_label_and_no_campaign(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
):
    sent = await send_single(client, auth, to="+491701234567", label="otp")
    queued = (await client.get(f"/sms/tracking/single/{sent['trackingId']}", headers=auth)).json()
    assert [e["status"]["status"] for e in queued] == ["Queued"]
    await run_until_receipts(worker, clock)
    response = await client.get(f"/sms/tracking/single/{sent['trackingId']}", headers=auth)
    (entry,) = response.json()
    assert entry["messageId"] == sent["trackingId"]
    assert "campaignTrackingId" not in entry
    assert "campaignName" not in entry
    assert (entry["label"], entry["operator"], entry["country"]) == ("otp", "T-Mobile", "DE")
    assert (entry["parts"], entry["part"], entry["body"]) == (1, 1, "Your code is 1234")
    assert entry["status"]["status"] == "Delivered"


async def test_a_part_refused_at_submit_is_failed_with_its_reason(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
):
    campaign = await send_campaign(client, auth, to=[sandbox.FAILS_AT_SUBMIT])
    await run_until_receipts(worker, clock)
    (entry,) = (await campaign_entries(client, auth, campaign["trackingId"]))["content"]
    assert "smsId" in entry
    assert entry["latency"] == 0
    assert entry["status"]["status"] == "Failed"
    assert entry["status"]["reason"]["detailedStatus"] == "Carrier Violation"


async def test_groups_are_the_campaign_groups_the_contact_is_in(
    client: httpx.AsyncClient, auth: dict[str, str]
):
    ids = []
    for mobile in ("+306912345601", "+306912345602"):
        created = await client.post("/contacts/my", json={"mobile": mobile}, headers=auth)
        ids.append(created.json()["id"])
    for name, members in (("vip", ids[:1]), ("all", ids), ("other", ids)):
        await client.post("/groups/my", json={"name": name}, headers=auth)
        await client.post(f"/groups/my/{name}/contacts", json=members, headers=auth)
    campaign = await send_campaign(
        client, auth, to=["+306912345600"], groups=["all", "vip"], contacts=[ids[1]]
    )
    page = await campaign_entries(client, auth, campaign["trackingId"])
    groups = {e["to"]: e["groups"] for e in page["content"]}
    # Only the campaign's groups, in the campaign's order; none for a bare number.
    assert groups == {
        "+306912345600": [],
        "+306912345601": ["all", "vip"],
        "+306912345602": ["all"],
    }


# -- campaign pages ---------------------------------------------------------------------


async def test_campaign_pages_and_sorts(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
):
    numbers = ["+306912345602", "+306912345600", "+306912345601"]
    campaign = await send_campaign(client, auth, body=TWO_PARTS, to=numbers)
    await worker.burst()
    for _ in range(10):  # receipts taken in as they come, 0.2 s apart
        clock.advance(timedelta(milliseconds=200))
        await worker.burst()
    tracking = campaign["trackingId"]

    first = await campaign_entries(client, auth, tracking, size=4)
    assert (first["totalElements"], first["totalPages"], first["size"]) == (6, 2, 4)
    assert (first["first"], first["last"], first["number"], first["numberOfElements"]) == (
        True,
        False,
        0,
        4,
    )
    second = await campaign_entries(client, auth, tracking, size=4, page=1)
    assert (second["numberOfElements"], second["last"], second["number"]) == (2, True, 1)
    everything = first["content"] + second["content"]
    # By message (in the order they were given), then part.
    assert [(e["to"], e["part"]) for e in everything] == [(n, p) for n in numbers for p in (1, 2)]
    assert len({e["smsId"] for e in everything}) == 6

    by_part = (await campaign_entries(client, auth, tracking, sort="part,asc"))["content"]
    assert [(e["to"], e["part"]) for e in by_part] == [(n, p) for p in (1, 2) for n in numbers]
    by_to = (await campaign_entries(client, auth, tracking, sort="to,desc"))["content"]
    assert [(e["to"], e["part"]) for e in by_to] == [
        (n, p) for n in sorted(numbers, reverse=True) for p in (1, 2)
    ]
    by_date = (await campaign_entries(client, auth, tracking, sort="status.date,desc"))["content"]
    dates = [e["status"]["date"] for e in by_date]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) > 1  # receipts came back at different times
    ignored = await campaign_entries(client, auth, tracking, sort=["createdAt,desc", "bogus"])
    assert ignored["content"] == everything

    past = await campaign_entries(client, auth, tracking, size=4, page=5)
    assert (past["content"], past["totalElements"], past["last"]) == ([], 6, True)


async def test_unknown_campaign_or_message_is_404(client: httpx.AsyncClient, auth: dict[str, str]):
    unknown = "0190a5c4-0000-7000-8000-000000000000"
    sent = await send_single(client, auth, to="+491701234567")
    error(await client.get(f"/sms/tracking/campaign/{unknown}", headers=auth), 404, "404005000")
    # A single SMS is not a campaign.
    response = await client.get(f"/sms/tracking/campaign/{sent['trackingId']}", headers=auth)
    error(response, 404, "404005000")
    error(await client.get(f"/sms/tracking/single/{unknown}", headers=auth), 404, "404005000")


async def test_a_deleted_campaign_is_not_tracked(client: httpx.AsyncClient, auth: dict[str, str]):
    campaign = await send_campaign(client, auth, to=["+306912345600"], scheduledDate="2026-02-01")
    message_id = (await campaign_entries(client, auth, campaign["trackingId"]))["content"][0][
        "messageId"
    ]
    assert (await client.delete(f"/sms/{campaign['trackingId']}", headers=auth)).status_code == 200
    response = await client.get(f"/sms/tracking/campaign/{campaign['trackingId']}", headers=auth)
    error(response, 404, "404005000")
    error(await client.get(f"/sms/tracking/single/{message_id}", headers=auth), 404, "404005000")


# -- search -----------------------------------------------------------------------------


@pytest.fixture
async def searchable(
    client: httpx.AsyncClient, auth: dict[str, str], worker: Worker, clock: FakeClock
) -> dict[str, Any]:
    """A campaign "Spring sale" (a delivered number, one refused at submit, a group member)
    and a single SMS with a label, all sent and their receipts in."""
    contact = await client.post("/contacts/my", json={"mobile": "+306912345601"}, headers=auth)
    await client.post("/groups/my", json={"name": "vip"}, headers=auth)
    await client.post("/groups/my/vip/contacts", json=[contact.json()["id"]], headers=auth)
    campaign = await send_campaign(
        client,
        auth,
        to=["+306912345600", sandbox.FAILS_AT_SUBMIT],
        groups=["vip"],
        campaignName="Spring sale",
    )
    single = await send_single(client, auth, to="+491701234567", label="otp_50%")
    await run_until_receipts(worker, clock)
    entries = (await campaign_entries(client, auth, campaign["trackingId"]))["content"]
    by_to = {e["to"]: e for e in entries}
    assert by_to["+306912345601"]["groups"] == ["vip"]
    return {
        "campaign": campaign["trackingId"],
        "single": single["trackingId"],
        "sms_id": by_to["+306912345600"]["smsId"],
    }


ALL = {"+306912345600", sandbox.FAILS_AT_SUBMIT, "+306912345601", "+491701234567"}
SALE = {"+306912345600", sandbox.FAILS_AT_SUBMIT, "+306912345601"}


def _cases(sms_id: str) -> list[tuple[str, str, str | None, set[str]]]:
    """(fieldName, searchTerm, searchOperator, numbers of the entries found)."""
    return [
        ("smsId", sms_id, "is", {"+306912345600"}),
        ("smsId", sms_id.upper(), None, {"+306912345600"}),
        ("smsId", sms_id, "is_not", ALL - {"+306912345600"}),
        ("smsId", sms_id[-12:-2], "contains", {"+306912345600"}),
        ("smsId", sms_id[:-1], "starts_with", {"+306912345600"}),
        ("smsId", sms_id[-12:], "ends_with", {"+306912345600"}),
        ("to", "+306912345600", "is", {"+306912345600"}),
        ("to", "+306912345600", "is_not", ALL - {"+306912345600"}),
        ("to", "69123456", "contains", {"+306912345600", "+306912345601"}),
        ("to", "+49", "starts_with", {"+491701234567"}),
        ("to", "0002", "ends_with", {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "Delivered", "is", ALL - {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "delivered", "IS", ALL - {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "Delivered", "is_not", {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "fail", "contains", {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "Deliv", "starts_with", ALL - {sandbox.FAILS_AT_SUBMIT}),
        ("status.status", "ed", "ends_with", ALL),
        ("direction", "Outbound", "is", ALL),
        ("direction", "Outbound", "is_not", set()),
        ("direction", "bound", "contains", ALL),
        ("direction", "In", "starts_with", set()),
        ("direction", "bound", "ends_with", ALL),
        ("label", "otp_50%", "is", {"+491701234567"}),
        ("label", "otp_50%", "is_not", SALE),
        ("label", "_50%", "contains", {"+491701234567"}),
        ("label", "otp", "starts_with", {"+491701234567"}),
        ("label", "0%", "ends_with", {"+491701234567"}),
        ("label", "otp%", "is", set()),  # no wildcards in "is"
        ("campaign", "Spring sale", "is", SALE),
        ("campaign", "spring SALE", "is", SALE),
        ("campaign", "Spring sale", "is_not", {"+491701234567"}),
        ("campaign", "ring", "contains", SALE),
        ("campaign", "_", "contains", set()),  # "_" is a character here, not a wildcard
        ("campaign", "%", "contains", set()),
        ("campaign", "Spr", "starts_with", SALE),
        ("campaign", "sale", "ends_with", SALE),
    ]


async def test_search_by_every_field_and_operator(
    client: httpx.AsyncClient, auth: dict[str, str], searchable: dict[str, Any]
):
    for field, term, operator, expected in _cases(searchable["sms_id"]):
        condition: dict[str, Any] = {"fieldName": field, "searchTerm": term}
        if operator is not None:
            condition["searchOperator"] = operator
        response = await search(client, auth, [condition])
        assert response.status_code == 200, (condition, response.text)
        page = response.json()
        found = {e["to"] for e in page["content"]}
        assert found == expected, condition
        assert page["totalElements"] == len(expected), condition


async def test_search_filters_combine_and_narrow(
    client: httpx.AsyncClient, auth: dict[str, str], searchable: dict[str, Any]
):
    async def numbers(filters: list[dict[str, Any]] | None = None, **params: Any) -> set[str]:
        response = await search(client, auth, filters, **params)
        assert response.status_code == 200, response.text
        return {e["to"] for e in response.json()["content"]}

    assert await numbers() == ALL
    both = [
        {"fieldName": "to", "searchTerm": "+30", "searchOperator": "starts_with"},
        {"fieldName": "status.status", "searchTerm": "Delivered"},
    ]
    assert await numbers(both) == {"+306912345600", "+306912345601"}
    assert await numbers(trackingId=searchable["campaign"]) == SALE
    assert await numbers(trackingId=searchable["single"]) == {"+491701234567"}
    assert await numbers(campaign="Spring sale") == SALE
    assert await numbers(campaign="Spring sale", trackingId=searchable["single"]) == set()
    # A lone filter object, and numbers given as numbers.
    lone = {"fieldName": "to", "searchTerm": 491701234567, "searchOperator": "ends_with"}
    response = await client.post("/sms/tracking", json=lone, headers=auth)
    assert {e["to"] for e in response.json()["content"]} == {"+491701234567"}

    paged = (await search(client, auth, size=3, page=1)).json()
    assert (paged["totalElements"], paged["numberOfElements"], paged["last"]) == (4, 1, True)
    by_to = (await search(client, auth, sort="to,asc")).json()["content"]
    assert [e["to"] for e in by_to] == sorted(ALL)


async def test_search_date_range(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    searchable: dict[str, Any],
    clock: FakeClock,
    creds: Credentials,
    get_token: GetToken,
):
    created = datetime(2026, 1, 1, 12, tzinfo=UTC)  # when the fixture sent everything

    async def count(**params: Any) -> int:
        response = await search(client, auth, **params)
        assert response.status_code == 200, response.text
        total: int = response.json()["totalElements"]
        return total

    assert await count(dateStart="2026-01-01T11:59:00Z", dateEnd="2026-01-01T12:01:00Z") == 4
    assert await count(dateStart="2026-01-01T12:00:01Z") == 0
    assert await count(dateEnd="2026-01-01T11:59:59+00:00") == 0
    assert await count(dateStart=int(created.timestamp()) - 60) == 4  # epoch seconds
    assert await count(dateEnd=int(created.timestamp()) + 60) == 4
    # The default range is the last 7 days.
    clock.advance(timedelta(days=7, seconds=1))
    auth = bearer(await get_token(creds))  # the first token has expired meanwhile
    assert await count() == 0
    assert await count(dateStart="2026-01-01T00:00:00Z") == 4

    too_long = await search(
        client, auth, dateStart="2026-01-01T00:00:00Z", dateEnd="2026-01-08T00:00:01Z"
    )
    assert "dateEnd" in error(too_long, 400, "400000000")["properties"]
    backwards = await search(client, auth, dateStart="2026-01-02", dateEnd="2026-01-01")
    assert "dateStart" in error(backwards, 400, "400000000")["properties"]
    garbage = await search(client, auth, dateStart="next tuesday")
    assert "dateStart" in error(garbage, 400, "400000000")["properties"]


@pytest.mark.parametrize(
    ("body", "property"),
    [
        ([{"fieldName": "body", "searchTerm": "x"}], "[0].fieldName"),
        ([{"searchTerm": "x"}], "[0].fieldName"),
        ([{"fieldName": "to", "searchTerm": "x", "searchOperator": "like"}], "[0].searchOperator"),
        ([{"fieldName": "to"}], "[0].searchTerm"),
        ([{"fieldName": "to", "searchTerm": ["x"]}], "[0].searchTerm"),
        (["to"], "[0]"),
        ("to", "body"),
    ],
)
async def test_search_refuses_bad_filters(
    client: httpx.AsyncClient, auth: dict[str, str], body: Any, property: str
):
    response = await client.post("/sms/tracking", json=body, headers=auth)
    assert property in error(response, 400, "400000000")["properties"]


# -- tenancy and scope ------------------------------------------------------------------


async def test_another_account_sees_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    campaign = await send_campaign(client, auth, to=["+306912345600"], campaignName="Mine")
    sent = await send_single(client, auth, to="+491701234567")
    message_id = (await campaign_entries(client, auth, campaign["trackingId"]))["content"][0][
        "messageId"
    ]
    for path in (
        f"/sms/tracking/single/{message_id}",
        f"/sms/tracking/single/{sent['trackingId']}",
        f"/sms/tracking/campaign/{campaign['trackingId']}",
    ):
        error(await client.get(path, headers=other), 404, "404005000")
    for params in ({"trackingId": campaign["trackingId"]}, {"trackingId": sent["trackingId"]}):
        error(await search(client, other, **params), 404, "404005000")
    error(await search(client, other, campaign="Mine"), 404, "404005000")
    everything = (await search(client, other)).json()
    assert (everything["content"], everything["totalElements"]) == ([], 0)
    assert (await search(client, auth)).json()["totalElements"] == 2


async def test_tracking_needs_the_report_scope(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    creds = await make_account()
    sms_only = bearer(await get_token(creds, scope="sms"))
    campaign = await send_campaign(client, sms_only, to=["+306912345600"])
    for response in (
        await client.get(f"/sms/tracking/campaign/{campaign['trackingId']}", headers=sms_only),
        await client.get(f"/sms/tracking/single/{campaign['trackingId']}", headers=sms_only),
        await client.post("/sms/tracking", json=[], headers=sms_only),
    ):
        error(response, 403, "403000000")
    report = bearer(await get_token(creds, scope="report"))
    page = await campaign_entries(client, report, campaign["trackingId"])
    assert page["totalElements"] == 1
    error(await client.get("/sms/tracking/campaign/x"), 401, "401000000")
