"""POST /sms/analyze: one body to one number → its analysis and cost, or Routee's errors."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from smscast.services.runtime import Services
from tests.conftest import GetToken, MakeAccount, bearer


@pytest.fixture
async def token(make_account: MakeAccount, get_token: GetToken) -> str:
    return await get_token(await make_account())


async def analyze(client: httpx.AsyncClient, token: str, **body: object) -> httpx.Response:
    return await client.post("/sms/analyze", json=body, headers=bearer(token))


async def test_gsm_body_to_greece(client: httpx.AsyncClient, token: str):
    response = await analyze(client, token, **{"from": "Shop", "body": "Hi", "to": "+306912345678"})
    assert response.status_code == 200
    assert response.json() == {
        "bodyAnalysis": {
            "characters": 2,
            "parts": 1,
            "unicode": False,
            "unsupportedGSMCharacters": [],
        },
        "cost": 0.043,
    }


async def test_unicode_body_with_transcode_offer(client: httpx.AsyncClient, token: str):
    body = "Καλημέρα σας " * 10  # 2 parts as UCS-2, 1 part transcoded
    response = await analyze(client, token, **{"from": "Shop", "body": body, "to": "+306912345678"})
    analysis = response.json()["bodyAnalysis"]
    assert analysis["unicode"] is True
    assert analysis["parts"] == 2
    assert analysis["unsupportedGSMCharacters"][:3] == ["Κ", "α", "λ"]
    assert analysis["transcode"]["parts"] == 1
    assert analysis["transcode"]["message"].startswith("KAΛHMEPA ΣAΣ")
    # The application's default (auto) sends the transcoded text because it saves a part.
    assert response.json()["cost"] == 0.043
    as_is = await analyze(
        client, token, **{"from": "Shop", "body": body, "to": "+306912345678", "transcode": False}
    )
    assert as_is.json()["cost"] == 0.086


async def test_multipart_cost_and_other_country(client: httpx.AsyncClient, token: str):
    response = await analyze(
        client, token, **{"from": "+4915112345678", "body": "a" * 161, "to": "+4915112345678"}
    )
    assert response.json()["bodyAnalysis"]["parts"] == 2
    assert response.json()["cost"] == 0.15


async def test_cost_in_the_account_currency(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    usd = await get_token(await make_account(currency="USD"))
    response = await analyze(client, usd, **{"from": "Shop", "body": "Hi", "to": "+306912345678"})
    assert response.json()["cost"] == float(Decimal("0.043") * Decimal("1.08"))


async def test_account_price_override_applies(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken, services: Services
):
    creds = await make_account()
    await services.prices.import_lines(["iso,mcc,price", "GR,202,0.01"], creds.account_id)
    response = await analyze(
        client, await get_token(creds), **{"from": "Shop", "body": "Hi", "to": "+306912345678"}
    )
    assert response.json()["cost"] == 0.01


@pytest.mark.parametrize("sender", ["", "ABCDEFGHIJKL", "Shop!", "+12345678901234567", "Ωmega"])
async def test_bad_sender_is_400005000(client: httpx.AsyncClient, token: str, sender: str):
    response = await analyze(client, token, **{"from": sender, "body": "Hi", "to": "+306912345678"})
    expected = "400000000" if sender == "" else "400005000"
    assert response.status_code == 400
    assert response.json()["code"] == expected
    assert "from" in response.json()["properties"]


async def test_missing_sender_is_400000000(client: httpx.AsyncClient, token: str):
    response = await analyze(client, token, body="Hi", to="+306912345678")
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"


@pytest.mark.parametrize("number", ["306912345678", "+302101234567", "+30abc", "+1", "hello"])
async def test_bad_number_is_400005000_listing_it(
    client: httpx.AsyncClient, token: str, number: str
):
    response = await analyze(client, token, **{"from": "Shop", "body": "Hi", "to": number})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "400005000"
    assert body["errors"][0]["property"] == [number]
    assert body["errors"][0]["code"] == "400005000"


async def test_missing_recipient_is_400005000(client: httpx.AsyncClient, token: str):
    response = await analyze(client, token, **{"from": "Shop", "body": "Hi"})
    assert response.status_code == 400
    assert response.json()["code"] == "400005000"


@pytest.mark.parametrize("body", ["", None, "a" * 1601, "😀" * 1601])
async def test_empty_or_overlong_body_is_400000000(
    client: httpx.AsyncClient, token: str, body: str | None
):
    payload: dict[str, object] = {"from": "Shop", "to": "+306912345678"}
    if body is not None:
        payload["body"] = body
    response = await analyze(client, token, **payload)
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"
    assert "body" in response.json()["properties"]


async def test_1600_characters_is_accepted(client: httpx.AsyncClient, token: str):
    response = await analyze(
        client, token, **{"from": "Shop", "body": "😀" * 1600, "to": "+306912345678"}
    )
    assert response.status_code == 200
    assert response.json()["bodyAnalysis"]["parts"] == 49


async def test_wrong_types_and_broken_json(client: httpx.AsyncClient, token: str):
    wrong = await analyze(client, token, **{"from": "Shop", "body": ["x"], "to": "+306912345678"})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "400000000"
    broken = await client.post(
        "/sms/analyze",
        content=b'{"from": "Shop", "body": ',
        headers=bearer(token) | {"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == "400000000"
    not_object = await client.post("/sms/analyze", json=["x"], headers=bearer(token))
    assert not_object.status_code == 400
    assert not_object.json()["code"] == "400000000"


async def test_lenient_input(client: httpx.AsyncClient, token: str):
    # Unknown fields ignored; escaped slashes and \\u escapes as clients send them.
    raw = b'{"from":"Shop","body":"a\\/b \\u00e9","to":"+306912345678","smsCallback":{"x":1}}'
    response = await client.post(
        "/sms/analyze", content=raw, headers=bearer(token) | {"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["bodyAnalysis"]["characters"] == 5


async def test_needs_sms_scope(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account(), scope="account")
    response = await analyze(client, token, **{"from": "Shop", "body": "Hi", "to": "+306912345678"})
    assert response.status_code == 403
    assert (await client.post("/sms/analyze", json={})).status_code == 401


async def test_application_policy_decides_when_the_request_does_not(
    client: httpx.AsyncClient, make_account: MakeAccount, services: Services
):
    creds = await make_account()
    body = "Καλημέρα σας " * 10  # 2 parts as UCS-2, 1 part transcoded
    costs = {}
    for policy in ("auto", "never", "always"):
        issued = await services.auth.create_application(
            creds.account_id, name=policy, transcode=policy
        )
        token = (
            await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(issued.application.id, issued.secret),
            )
        ).json()["access_token"]
        response = await analyze(
            client, token, **{"from": "Shop", "body": body, "to": "+306912345678"}
        )
        costs[policy] = response.json()["cost"]
    assert costs == {"auto": 0.043, "never": 0.086, "always": 0.043}
