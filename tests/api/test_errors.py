"""Every failure answers in Routee's JSON error shape: never a 500 for bad input."""

from __future__ import annotations

import httpx

from smscast.api.app import create_app
from tests.conftest import GetToken, MakeAccount, bearer


async def test_no_token_is_401(client: httpx.AsyncClient):
    response = await client.get("/accounts/me/balance")
    assert response.status_code == 401
    assert response.json()["code"] == "401000000"
    assert response.json()["developerMessage"]


async def test_bad_token_is_401(client: httpx.AsyncClient):
    response = await client.get("/accounts/me/balance", headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json()["code"] == "401000000"


async def test_basic_instead_of_bearer_is_401(client: httpx.AsyncClient):
    response = await client.get("/accounts/me/balance", auth=("a", "b"))
    assert response.status_code == 401


async def test_missing_scope_is_403(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account(), scope="sms")
    for path in ("/accounts/me/balance", "/accounts/me/transactions", "/system/prices"):
        response = await client.get(path, headers=bearer(token))
        assert response.status_code == 403, path
        assert response.json()["code"] == "403000000"


async def test_unknown_path_is_routee_404(client: httpx.AsyncClient):
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "404000000"


async def test_wrong_method_is_routee_405(client: httpx.AsyncClient):
    response = await client.delete("/accounts/me/balance")
    assert response.status_code == 405
    assert response.json()["code"] == "405000000"


async def test_malformed_json_is_400000000(services):
    """Broken JSON to any JSON endpoint is a clean 400 with Routee's code, never a 500."""
    app = create_app(services)

    @app.post("/test-echo")
    async def echo(body: dict[str, int]) -> dict[str, int]:
        return body

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post("/test-echo", json={"a": 1})
        broken = await client.post(
            "/test-echo", content=b'{"a": 1,', headers={"Content-Type": "application/json"}
        )
        wrong_type = await client.post("/test-echo", json={"a": "many"})
    assert ok.status_code == 200
    assert broken.status_code == 400
    assert broken.json()["code"] == "400000000"
    assert broken.json()["properties"] == {"body": "malformed JSON"}
    assert wrong_type.status_code == 400
    assert wrong_type.json()["code"] == "400000000"
    assert "a" in wrong_type.json()["properties"]


async def test_bad_query_parameter_is_400000000(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account())
    response = await client.get("/accounts/me/transactions?size=0", headers=bearer(token))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "400000000"
    assert "size" in body["properties"]
    huge = await client.get("/accounts/me/transactions?size=2001", headers=bearer(token))
    assert huge.status_code == 400
    bad_date = await client.get("/accounts/me/transactions?from=yesterday", headers=bearer(token))
    assert bad_date.status_code == 400
    assert bad_date.json()["code"] == "400000000"


async def test_double_slash_is_tolerated(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account())
    response = await client.get("/accounts//me//balance", headers=bearer(token))
    assert response.status_code == 200


async def test_get_with_json_content_type_and_no_body(
    client: httpx.AsyncClient, make_account: MakeAccount, get_token: GetToken
):
    token = await get_token(await make_account())
    headers = bearer(token) | {"Content-Type": "application/json"}
    response = await client.get("/accounts/me/balance", headers=headers)
    assert response.status_code == 200


async def test_health_needs_no_token(client: httpx.AsyncClient):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": "UP"}
