"""Schemathesis against the app's own OpenAPI document: bad input at scale.

Every operation of ``/openapi.json`` gets generated requests, valid and invalid (schemathesis'
examples, coverage and fuzzing phases), authenticated with a real bearer token from
``POST /oauth/token`` (that endpoint itself gets the application's Basic credentials).
Properties:

- no answer is a 5xx;
- every 4xx is in Routee's error shape: a JSON object with a 9-digit string ``code`` that
  starts with the HTTP status, and a string ``developerMessage``; except that
  ``POST /oauth/token`` answers in its own documented OAuth shapes, and a ``HEAD`` answer has
  no body.

The run is bounded (``MAX_EXAMPLES`` fuzzed cases per operation, plus schemathesis' coverage
cases, which are deterministic) and derandomized, so CI sends the same requests every time.
One app and one account serve every operation of a backend, so what one operation creates
(contacts, groups, campaigns) is there for the next ones; and the account starts with a
contact, a group, campaigns and an SMS that about half of the fuzzed path parameters name, so
handlers also run past their look-ups. Two more tests: every operation refuses a request
without a token in the right shape, and the requests that fuzzing found to fail stay fixed.

The app runs on schemathesis' event loop (its ASGI transport sends every request through one
shared loop), so its database connections must be closed there: the app's lifespan, which
schemathesis ends after each test, disposes of them.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python import asgi

from smscast.api.app import create_app
from smscast.clock import FakeClock
from smscast.services.runtime import build_services
from tests.conftest import _reset_postgres, make_settings

MAX_EXAMPLES = 10
TOKEN_PATH = "/oauth/token"
NO_AUTH_PATHS = frozenset({"/health"})
_CODE = re.compile(r"\d{9}")


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document. It depends on the routes only: this app never serves a
    request, and its database is never connected to."""
    unused = build_services(make_settings("sqlite+aiosqlite:///:memory:"), FakeClock())
    document: dict[str, Any] = create_app(unused).openapi()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document())
# Every other method on every path answers the same 405: two of them are enough.
schema.config.phases.coverage.unexpected_methods = {"patch", "trace"}

# Path parameter values that name something that exists, per parameter name: filled by the
# ``api`` fixture for its backend. Random ids only ever reach the 404 branch.
EXISTING: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(_: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half of the generated requests aim at resources that exist (campaigns, messages,
    contacts, groups), so their handlers run past the look-up on fuzzed input."""
    known = {name: EXISTING[name] for name in path_parameters or () if EXISTING.get(name)}
    if not path_parameters or not known:
        return st.just(path_parameters)
    existing = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in known.items()}
    )
    return st.one_of(st.just(path_parameters), existing.map(lambda v: {**path_parameters, **v}))


@dataclass(frozen=True)
class Api:
    app: FastAPI
    bearer: dict[str, str]
    basic: tuple[str, str]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Api]:
    """The app on a fresh database of each backend, with one account and its bearer token."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("schemathesis") / "smscast.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        asyncio.run(_reset_postgres(url))
    # The fake clock never moves on its own: the token (1 h of fake time) cannot expire.
    services = build_services(make_settings(url), FakeClock())

    async def make_account() -> tuple[str, str]:
        try:
            created = await services.accounts.create("schemathesis", balance=Decimal(100))
        finally:
            await services.close()  # its connections belong to this loop: drop them
        return created.application.application.id, created.application.secret

    basic = asyncio.run(make_account())
    app = create_app(services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Schemathesis ends the lifespan after each test: the connections opened on its loop
        # are closed there, and the next test opens new ones.
        try:
            yield
        finally:
            await services.close()

    app.router.lifespan_context = lifespan
    try:
        with asgi.get_client(app) as client:
            assert client.get("/openapi.json").json() == schema.raw_schema
            response = client.post(
                TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=basic
            )
            assert response.status_code == 200, response.text
            bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
            EXISTING.clear()
            EXISTING.update(_seed(client, bearer))
        yield Api(app, bearer, basic)
    finally:
        EXISTING.clear()
        asgi.shutdown_lifespans()


def _seed(client: Any, bearer: dict[str, str]) -> dict[str, list[str]]:
    """A contact in a group, a scheduled and a sent campaign and a single SMS; their ids."""

    def post(path: str, body: Any) -> Any:
        response = client.post(path, json=body, headers=bearer)
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

    contact = post("/contacts/my", {"mobile": "+306912345670", "firstName": "Ann"})["id"]
    post("/groups/my", {"name": "fuzz"})
    post("/groups/my/fuzz/contacts", [contact])
    campaign = {"from": "Shop", "body": "Hi [~firstName]", "to": ["+306912345671"]}
    scheduled = post(
        "/sms/campaign",
        {**campaign, "groups": ["fuzz"], "scheduledDate": "2030-01-01T00:00:00Z"},
    )["trackingId"]
    sent = post("/sms/campaign", campaign)["trackingId"]
    single = post("/sms", {"from": "Shop", "body": "Hi", "to": "+306912345672"})["trackingId"]
    return {
        "tracking_id": [scheduled, sent],
        "message_id": [single],
        "contact_id": [contact],
        "name": ["fuzz"],
        "service": ["Sms"],
        "language": ["en", "el"],
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_routee_shaped_client_errors(case: Any, api: Api) -> None:
    if case.operation.path == TOKEN_PATH:
        response = case.call(app=api.app, auth=api.basic)
    else:
        response = case.call(app=api.app, headers=api.bearer)
    check_answer(case.method, case.operation.path, response, f"{case.method} {case.formatted_path}")


def test_every_operation_needs_a_token(api: Api) -> None:
    """Without credentials each operation is a Routee 401 (the token endpoint: OAuth's 401)."""
    operations = [
        (method.upper(), path)
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
        if path not in NO_AUTH_PATHS
    ]
    assert len(operations) > 30
    with asgi.get_client(api.app) as client:
        for method, path in operations:
            url = re.sub(r"\{[^}]+\}", "x", path)
            response = client.request(method, url, json=None if method in ("GET", "HEAD") else {})
            assert response.status_code == 401, f"{method} {url}: {response.text}"
            check_answer(method, path, response, f"{method} {url}")


# Requests that answered a 500 or the wrong error shape before they were fixed (the first and
# the fourth kind were found by the run above), kept as explicit regressions.
FOUND = [
    # A truthy non-array ``labels`` was iterated as labels: TypeError, 500.
    ("POST", "/contacts/my", {"json": {"mobile": "+306912345678", "labels": True}}),
    ("POST", "/contacts/my", {"json": {"mobile": "+306912345678", "labels": 5}}),
    ("PUT", "/contacts/my/{id}", {"json": {"labels": 1.5}}),
    # A form the token endpoint cannot parse, or text it cannot store, was answered in
    # Routee's shape instead of OAuth's.
    ("POST", TOKEN_PATH, {"headers": {"Content-Type": "multipart/form-data"}, "data": "x"}),
    ("POST", TOKEN_PATH + "?scope=%00", {"data": {"grant_type": "client_credentials"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), FOUND)
def test_found_by_fuzzing(api: Api, method: str, path: str, kwargs: dict[str, Any]) -> None:
    with asgi.get_client(api.app) as client:
        url = path
        if "{id}" in path:
            made = client.post("/contacts/my", json={"mobile": "+306987654321"}, headers=api.bearer)
            assert made.status_code in (200, 409), made.text
            found = client.get("/contacts/my/mobile?value=%2B306987654321", headers=api.bearer)
            url = path.replace("{id}", found.json()["id"])
        if path.startswith(TOKEN_PATH):
            response = client.request(method, url, auth=api.basic, **kwargs)
        else:
            response = client.request(method, url, headers=api.bearer, **kwargs)
    assert response.status_code == 400, response.text
    check_answer(method, path.split("?")[0], response, f"{method} {url}")


def check_answer(method: str, path: str, response: Any, request: str) -> None:
    """The properties every answer must have (``path`` is the operation's path template)."""
    status = response.status_code
    where = f"{request} -> {status}: {response.text[:500]!r}"
    assert status < 500, where
    if not 400 <= status < 500:
        return
    if method.upper() == "HEAD":
        assert response.content == b"", where
        return
    try:
        body = response.json()
    except ValueError:
        pytest.fail(f"4xx body is not JSON: {where}")
    assert isinstance(body, dict), where
    if path == TOKEN_PATH and method.upper() == "POST":
        assert _oauth_shaped(body, status), where
        return
    code = body.get("code")
    assert isinstance(code, str), where
    assert _CODE.fullmatch(code), where
    assert code[:3] == str(status), where
    assert isinstance(body.get("developerMessage"), str), where


def _oauth_shaped(body: dict[str, Any], status: int) -> bool:
    """``/oauth/token``'s own shapes (API.md): Spring's 401, else RFC 6749's error."""
    if status == 401:
        return (
            body.get("status") == 401
            and isinstance(body.get("error"), str)
            and isinstance(body.get("message"), str)
        )
    return isinstance(body.get("error"), str) and isinstance(body.get("error_description"), str)
