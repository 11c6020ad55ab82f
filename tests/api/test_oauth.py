"""POST /oauth/token: the client-credentials grant and its failure shapes."""

from __future__ import annotations

from datetime import timedelta

import httpx

from smscast.clock import FakeClock
from tests.conftest import Credentials, MakeAccount, bearer


async def grant(client: httpx.AsyncClient, creds: Credentials, **data: str) -> httpx.Response:
    body = {"grant_type": "client_credentials", **data}
    return await client.post("/oauth/token", data=body, auth=(creds.application_id, creds.secret))


async def test_grant_answers_all_five_keys(client: httpx.AsyncClient, make_account: MakeAccount):
    creds = await make_account()
    response = await grant(client, creds)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "permissions"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "account contact report sms"
    assert body["permissions"] == []
    assert len(body["access_token"]) >= 40


async def test_empty_scope_means_every_scope(client: httpx.AsyncClient, make_account: MakeAccount):
    creds = await make_account()
    response = await grant(client, creds, scope="")
    assert response.json()["scope"] == "account contact report sms"


async def test_scope_subset_space_or_comma(client: httpx.AsyncClient, make_account: MakeAccount):
    creds = await make_account()
    spaced = (await grant(client, creds, scope="sms report")).json()
    comma = (await grant(client, creds, scope="sms,account")).json()
    assert spaced["scope"] == "report sms"
    assert comma["scope"] == "account sms"
    # The token is limited to what it was granted.
    denied = await client.get("/accounts/me/balance", headers=bearer(spaced["access_token"]))
    assert denied.status_code == 403
    assert denied.json()["code"] == "403000000"
    allowed = await client.get("/accounts/me/balance", headers=bearer(comma["access_token"]))
    assert allowed.status_code == 200


async def test_scope_beyond_the_application_is_refused(
    client: httpx.AsyncClient, make_account: MakeAccount
):
    creds = await make_account(scopes=frozenset({"sms"}))
    response = await grant(client, creds, scope="sms account")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "account" in response.json()["error_description"]


async def test_bad_secret_is_spring_401(client: httpx.AsyncClient, make_account: MakeAccount):
    creds = await make_account()
    wrong = Credentials(creds.account_id, creds.application_id, creds.secret + "x")
    response = await grant(client, wrong)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["error"] == "Unauthorized"
    assert body["message"]


async def test_unknown_application_is_401(client: httpx.AsyncClient):
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "nothing")
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401


async def test_missing_or_malformed_basic_auth_is_401(client: httpx.AsyncClient):
    missing = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    garbage = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!not-base64"},
    )
    assert missing.status_code == garbage.status_code == 401
    assert missing.json()["status"] == garbage.json()["status"] == 401


async def test_bad_grant_type_is_oauth_400(client: httpx.AsyncClient, make_account: MakeAccount):
    creds = await make_account()
    response = await client.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(creds.application_id, creds.secret)
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Unsupported grant type: password",
    }
    missing = await client.post("/oauth/token", auth=(creds.application_id, creds.secret))
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


async def test_several_live_tokens_per_application(
    client: httpx.AsyncClient, make_account: MakeAccount
):
    creds = await make_account()
    first = (await grant(client, creds)).json()["access_token"]
    second = (await grant(client, creds)).json()["access_token"]
    assert first != second
    for token in (first, second):
        response = await client.get("/accounts/me/balance", headers=bearer(token))
        assert response.status_code == 200


async def test_token_expires(
    client: httpx.AsyncClient, make_account: MakeAccount, clock: FakeClock
):
    creds = await make_account()
    token = (await grant(client, creds)).json()["access_token"]
    clock.advance(timedelta(seconds=3599))
    assert (await client.get("/accounts/me/balance", headers=bearer(token))).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = await client.get("/accounts/me/balance", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["code"] == "401000000"


async def test_application_token_lifetime_is_used(
    client: httpx.AsyncClient, services, make_account: MakeAccount
):
    creds = await make_account()
    issued = await services.auth.create_application(creds.account_id, token_lifetime_seconds=120)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.application.id, issued.secret),
    )
    assert response.json()["expires_in"] == 120
