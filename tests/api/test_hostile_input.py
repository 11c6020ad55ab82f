"""Inputs that once reached a 500: each must be a clean Routee 400 or 401 now."""

from __future__ import annotations

import base64

import httpx
import pytest


def raw_json(auth: dict[str, str]) -> dict[str, str]:
    return auth | {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "payload",
    [
        b'{"from":"Shop","body":"a\\ud800","to":"+306912345678"}',
        b'{"from":"Shop","body":"Hi","to":"+30\\udc00"}',
        b'{"from":"Shop","body":"a\\u0000b","to":"+306912345678"}',
        b'{"from":"Shop\\ud83d","body":"Hi","to":"+306912345678"}',
    ],
)
async def test_unstorable_text_in_json_is_400(
    client: httpx.AsyncClient, auth: dict[str, str], payload: bytes
):
    response = await client.post("/sms/analyze", content=payload, headers=raw_json(auth))
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"


async def test_a_proper_surrogate_pair_is_fine(client: httpx.AsyncClient, auth: dict[str, str]):
    payload = b'{"from":"Shop","body":"Hi \\ud83d\\ude00","to":"+306912345678"}'
    response = await client.post("/sms/analyze", content=payload, headers=raw_json(auth))
    assert response.status_code == 200
    assert response.json()["bodyAnalysis"]["unsupportedGSMCharacters"] == ["😀"]


async def test_nul_in_contact_fields_path_and_query(client: httpx.AsyncClient, auth):
    made = await client.post(
        "/contacts/my",
        content=b'{"mobile":"+306912345678","firstName":"a\\u0000"}',
        headers=raw_json(auth),
    )
    assert made.status_code == 400
    in_path = await client.get("/contacts/my/abc%00def", headers=auth)
    assert in_path.status_code == 400
    in_query = await client.get("/contacts/my/mobile?value=%2B30%00", headers=auth)
    assert in_query.status_code == 400
    assert (await client.get("/contacts/my", headers=auth)).json()["totalElements"] == 0


@pytest.mark.parametrize(
    "query",
    ["from=1e20", "from=inf", "from=-1e20", "to=9999-12-31T23:59:59-01:00", "from=nan"],
)
async def test_out_of_range_dates_are_400(
    client: httpx.AsyncClient, auth: dict[str, str], query: str
):
    response = await client.get(f"/accounts/me/transactions?{query}", headers=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"


@pytest.mark.parametrize("client_id", ["a\x00b", "not-a-uuid", "", "💥"])
async def test_odd_client_ids_are_401(client: httpx.AsyncClient, client_id: str):
    credentials = base64.b64encode(f"{client_id}:secret".encode()).decode()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401
