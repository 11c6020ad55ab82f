"""GET /sms/quietHours/countries/{language}: every country, named in the language asked for."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import GetToken, MakeAccount, bearer


async def listed(client: httpx.AsyncClient, language: str, headers: dict[str, str]) -> list[dict]:
    response = await client.get(f"/sms/quietHours/countries/{language}", headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict] = response.json()
    return body


async def test_countries_in_greek(client: httpx.AsyncClient, auth: dict[str, str]):
    body = await listed(client, "el", auth)
    assert isinstance(body, list)
    assert all(set(entry) == {"code", "name", "localeName", "supported"} for entry in body)
    by_code = {entry["code"]: entry for entry in body}
    assert len(by_code) == len(body) > 200
    assert by_code["GR"] == {
        "code": "GR",
        "name": "Greece",
        "localeName": "Ελλάδα",
        "supported": True,
    }
    assert by_code["DE"]["localeName"] == "Γερμανία"
    assert "001" not in by_code
    assert body[0]["name"] == "Afghanistan"


@pytest.mark.parametrize(("language", "germany"), [("de-DE", "Deutschland"), ("FR", "Allemagne")])
async def test_language_tags(
    client: httpx.AsyncClient, auth: dict[str, str], language: str, germany: str
):
    body = await listed(client, language, auth)
    assert next(e for e in body if e["code"] == "DE")["localeName"] == germany


async def test_unknown_language_is_english(client: httpx.AsyncClient, auth: dict[str, str]):
    body = await listed(client, "xx", auth)
    assert all(entry["localeName"] == entry["name"] for entry in body)
    assert body == await listed(client, "en", auth)


async def test_needs_a_token(client: httpx.AsyncClient):
    response = await client.get("/sms/quietHours/countries/el")
    assert response.status_code == 401
    assert response.json()["code"] == "401000000"


async def test_needs_the_sms_scope(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account(), scope="account contact")
    response = await client.get("/sms/quietHours/countries/el", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["code"] == "403000000"
    sms_only = await get_token(await make_account(), scope="sms")
    assert len(await listed(client, "el", bearer(sms_only))) > 200
