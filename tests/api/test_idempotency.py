"""``Idempotency-Key`` on POST: replay, mismatch, failures, tenancy, expiry, races, pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smscast.api.idempotency import IdempotencyMiddleware, request_hash
from smscast.clock import FakeClock
from smscast.services.idempotency import ABANDONED_AFTER, IdempotencyService
from smscast.services.runtime import Services
from smscast.types import AccountId
from tests.conftest import GetToken, MakeAccount, bearer

GREEK = "+306912345678"
GREEK_2 = "+306912345679"


def keyed(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


async def contact_count(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    listing = await client.get("/contacts/my", headers=auth)
    assert listing.status_code == 200, listing.text
    total: int = listing.json()["totalElements"]
    return total


async def test_same_key_same_body_replays_the_first_answer(
    client: httpx.AsyncClient, auth: dict[str, str]
):
    headers = keyed(auth, "create-maria-1")
    first = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    second = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == "application/json"
    assert second.content == first.content
    assert await contact_count(client, auth) == 1


async def test_a_doubled_slash_is_the_same_request(client: httpx.AsyncClient, auth: dict[str, str]):
    headers = keyed(auth, "group-athens")
    first = await client.post("/groups/my", json={"name": "Athens"}, headers=headers)
    second = await client.post("/groups//my", json={"name": "Athens"}, headers=headers)
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == {"name": "Athens", "size": 0}
    assert (await client.get("/groups/my", headers=auth)).json() == [{"name": "Athens", "size": 0}]


async def test_same_key_different_body_is_400(client: httpx.AsyncClient, auth: dict[str, str]):
    headers = keyed(auth, "k")
    first = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert first.status_code == 200, first.text
    other_body = await client.post("/contacts/my", json={"mobile": GREEK_2}, headers=headers)
    other_path = await client.post("/groups/my", json={"mobile": GREEK}, headers=headers)
    other_query = await client.post("/contacts/my?x=1", json={"mobile": GREEK}, headers=headers)
    for response in (other_body, other_path, other_query):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "400000000"
        assert "different request" in body["developerMessage"]
        assert "Idempotency-Key" in body["properties"]
        assert "idempotent-replayed" not in response.headers
    assert await contact_count(client, auth) == 1
    assert (await client.get("/groups/my", headers=auth)).json() == []


async def test_without_a_key_each_post_runs(client: httpx.AsyncClient, auth: dict[str, str]):
    first = await client.post("/contacts/my", json={"mobile": GREEK}, headers=auth)
    second = await client.post("/contacts/my", json={"mobile": GREEK}, headers=auth)
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "409002005"


async def test_a_failed_request_frees_the_key(client: httpx.AsyncClient, auth: dict[str, str]):
    headers = keyed(auth, "retry-me")
    for _ in range(2):  # a failure is never replayed: the route answers each time
        bad = await client.post("/contacts/my", json={"mobile": "12345"}, headers=headers)
        assert bad.status_code == 400
        assert bad.json()["code"] == "400000000"
        assert "mobile" in bad.json()["properties"]
        assert "idempotent-replayed" not in bad.headers
    fixed = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    again = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == fixed.json()
    assert await contact_count(client, auth) == 1


async def test_keys_are_per_account(
    client: httpx.AsyncClient, auth: dict[str, str], other: dict[str, str]
):
    mine = await client.post("/contacts/my", json={"mobile": GREEK}, headers=keyed(auth, "k1"))
    theirs = await client.post("/contacts/my", json={"mobile": GREEK}, headers=keyed(other, "k1"))
    assert mine.status_code == 200
    assert theirs.status_code == 200, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert await contact_count(client, auth) == 1
    assert await contact_count(client, other) == 1


async def test_a_key_lives_24_hours(
    client: httpx.AsyncClient, clock: FakeClock, make_account: MakeAccount, get_token: GetToken
):
    account = await make_account()
    headers = keyed(bearer(await get_token(account)), "daily")
    first = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert first.status_code == 200, first.text

    clock.advance(timedelta(hours=23, minutes=59))
    headers = keyed(bearer(await get_token(account)), "daily")  # tokens live an hour
    replayed = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == first.content

    clock.advance(timedelta(minutes=1))
    headers = keyed(bearer(await get_token(account)), "daily")
    # Expired: the request runs again (and meets the contact it created a day ago) ...
    rerun = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert rerun.status_code == 409
    assert rerun.json()["code"] == "409002005"
    # ... and the key is free for a different request.
    reused = await client.post("/contacts/my", json={"mobile": GREEK_2}, headers=headers)
    assert reused.status_code == 200, reused.text
    assert "idempotent-replayed" not in reused.headers
    assert await contact_count(client, headers) == 2


@pytest.mark.parametrize(
    "values",
    [
        [b""],
        [b"x" * 256],
        [b"caf\xe9"],
        [b"tab\there"],
        [b"del\x7f"],
        [b"one", b"two"],
    ],
    ids=["empty", "too-long", "non-ascii", "control", "del", "twice"],
)
async def test_a_bad_key_is_400(
    client: httpx.AsyncClient, auth: dict[str, str], values: list[bytes]
):
    headers = [(name.encode(), value.encode()) for name, value in auth.items()]
    headers += [(b"Idempotency-Key", value) for value in values]
    response = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "400000000"
    assert "Idempotency-Key" in response.json()["properties"]
    assert await contact_count(client, auth) == 0


async def test_the_longest_key_is_fine(client: httpx.AsyncClient, auth: dict[str, str]):
    headers = keyed(auth, " ~" + "k" * 253)
    first = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    second = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
    assert first.status_code == 200, first.text
    assert second.headers["idempotent-replayed"] == "true"


async def test_concurrent_identical_requests_create_once(
    client: httpx.AsyncClient, auth: dict[str, str]
):
    headers = keyed(auth, "race")
    answers = await asyncio.gather(
        *(client.post("/contacts/my", json={"mobile": GREEK}, headers=headers) for _ in range(4))
    )
    originals = [
        a for a in answers if a.status_code == 200 and "idempotent-replayed" not in a.headers
    ]
    assert len(originals) == 1, [a.text for a in answers]
    for answer in answers:
        if answer is originals[0]:
            continue
        if answer.status_code == 200:
            assert answer.headers["idempotent-replayed"] == "true"
            assert answer.content == originals[0].content
        else:
            assert answer.status_code == 409
            assert answer.json()["code"] == "409000000"
    assert await contact_count(client, auth) == 1


async def test_a_key_in_flight_is_409(
    client: httpx.AsyncClient,
    services: Services,
    make_account: MakeAccount,
    get_token: GetToken,
):
    account = await make_account()
    body = b'{"mobile": "+306912345678"}'
    scope = {"method": "POST", "path": "/contacts/my", "query_string": b""}
    keys = IdempotencyService(services.db, services.clock)
    await keys.reserve(AccountId(account.account_id), "slow", request_hash(scope, body))
    headers = {
        **keyed(bearer(await get_token(account)), "slow"),
        "Content-Type": "application/json",
    }
    response = await client.post("/contacts/my", content=body, headers=headers)
    assert response.status_code == 409
    assert response.json() == {
        "code": "409000000",
        "developerMessage": "A request with this Idempotency-Key is still being processed",
    }
    assert await contact_count(client, bearer(await get_token(account))) == 0


async def test_a_key_abandoned_by_a_dead_request_is_taken_over_by_a_retry(
    client: httpx.AsyncClient,
    services: Services,
    make_account: MakeAccount,
    get_token: GetToken,
    clock: FakeClock,
):
    """A process that died mid-request leaves its reservation without an answer: after
    ABANDONED_AFTER the same request with the key runs (a different one is still refused)."""
    account = await make_account()
    body = b'{"mobile": "+306912345678"}'
    scope = {"method": "POST", "path": "/contacts/my", "query_string": b""}
    keys = IdempotencyService(services.db, services.clock)
    await keys.reserve(AccountId(account.account_id), "crashed", request_hash(scope, body))
    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))
    headers = {
        **keyed(bearer(await get_token(account)), "crashed"),
        "Content-Type": "application/json",
    }
    other = await client.post("/contacts/my", json={"mobile": "+306912345679"}, headers=headers)
    assert other.status_code == 400
    response = await client.post("/contacts/my", content=body, headers=headers)
    assert response.status_code == 200, response.text
    again = await client.post("/contacts/my", content=body, headers=headers)
    assert again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == response.json()


async def test_without_a_valid_token_the_route_answers_401(client: httpx.AsyncClient):
    for auth in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        for key in ("k", ""):  # a bad key is not looked at before the caller is known
            headers = {**auth, "Idempotency-Key": key}
            response = await client.post("/contacts/my", json={"mobile": GREEK}, headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == "401000000"
            assert "idempotent-replayed" not in response.headers


async def test_the_token_endpoint_ignores_keys(
    client: httpx.AsyncClient, make_account: MakeAccount
):
    account = await make_account()
    tokens = set()
    for _ in range(2):
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(account.application_id, account.secret),
            headers={"Idempotency-Key": "token"},
        )
        assert response.status_code == 200
        assert "idempotent-replayed" not in response.headers
        tokens.add(response.json()["access_token"])
    assert len(tokens) == 2


async def test_gets_and_deletes_ignore_keys(client: httpx.AsyncClient, auth: dict[str, str]):
    made = await client.post("/contacts/my", json={"mobile": GREEK}, headers=auth)
    headers = keyed(auth, "not-for-get")
    first = await client.get(f"/contacts/my/{made.json()['id']}", headers=headers)
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    deleted = await client.request(
        "DELETE", "/contacts/my", json=[made.json()["id"]], headers=headers
    )
    assert deleted.status_code == 200
    gone = await client.get(f"/contacts/my/{made.json()['id']}", headers=headers)
    assert gone.status_code == 404


async def test_a_crashing_handler_frees_the_key(
    services: Services, make_account: MakeAccount, get_token: GetToken
):
    calls: list[bytes] = []

    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        calls.append(message["body"])
        raise RuntimeError("boom")

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        calls.append(message["body"])
        start: Message = {"type": "http.response.start", "status": 200, "headers": []}
        await send(start)
        await send({"type": "http.response.body", "body": b'{"ok": true}'})

    keys = IdempotencyService(services.db, services.clock)
    headers = {**bearer(await get_token(await make_account())), "Idempotency-Key": "crash"}

    async def post(app: ASGIApp) -> httpx.Response:
        middleware = IdempotencyMiddleware(app, auth=services.auth, keys=keys)
        transport = httpx.ASGITransport(app=middleware)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/things", content=b"same", headers=headers)

    with pytest.raises(RuntimeError, match="boom"):
        await post(crash)
    first = await post(answer)
    replayed = await post(crash)
    assert calls == [b"same", b"same"]  # the handler saw the body; the replay ran nothing
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == b'{"ok": true}'


async def test_prune_deletes_keys_older_than_a_day(
    client: httpx.AsyncClient,
    services: Services,
    clock: FakeClock,
    make_account: MakeAccount,
    get_token: GetToken,
):
    account = await make_account()
    keys = IdempotencyService(services.db, services.clock)

    async def post(key: str, mobile: str) -> httpx.Response:
        headers = keyed(bearer(await get_token(account)), key)
        return await client.post("/contacts/my", json={"mobile": mobile}, headers=headers)

    assert (await post("old", GREEK)).status_code == 200
    clock.advance(timedelta(hours=12))
    assert (await post("new", GREEK_2)).status_code == 200
    clock.advance(timedelta(hours=11))
    assert await keys.prune() == 0
    clock.advance(timedelta(hours=1))
    assert await keys.prune() == 1
    assert await keys.prune() == 0
    assert (await post("new", GREEK_2)).headers["idempotent-replayed"] == "true"
    rerun = await post("old", GREEK)  # pruned: runs again
    assert rerun.status_code == 409
    assert rerun.json()["code"] == "409002005"
    assert await keys.prune(older_than=timedelta(0)) == 1
