"""The ``Idempotency-Key`` middleware: a POST's first 2xx answer is stored and replayed.

It runs inside ``_Edge`` (paths already have doubled slashes collapsed) and outside the
routes. Requests without the header, token requests and requests without a live bearer
token pass through untouched. Neither keys nor bodies are ever logged.
"""

from __future__ import annotations

import hashlib
import logging

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smscast.api.errors import client_error_response, store_error_response
from smscast.errors import ClientError, StoreError, Unauthenticated, ValidationFailed
from smscast.services.auth import AuthService
from smscast.services.idempotency import (
    HEADER,
    MAX_KEY_LENGTH,
    IdempotencyService,
    Reservation,
    StoredAnswer,
)
from smscast.types import AccountId

REPLAYED_HEADER = "Idempotent-Replayed"
_HEADER_NAME = HEADER.lower().encode()
_TOKEN_PATH = "/oauth/token"

log = logging.getLogger("smscast.api")


def parse_key(values: list[bytes]) -> str:
    """The key from the header's values: exactly one, 1-255 printable ASCII characters."""
    if len(values) != 1:
        raise ValidationFailed(
            f"Send one {HEADER} header", properties={HEADER: "sent more than once"}
        )
    raw = values[0]
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or any(not 0x20 <= b <= 0x7E for b in raw):
        raise ValidationFailed(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters",
            properties={HEADER: f"must be 1-{MAX_KEY_LENGTH} printable ASCII characters"},
        )
    return raw.decode("ascii")


def request_hash(scope: Scope, body: bytes) -> str:
    """SHA-256 over method, path, query string and the raw body."""
    digest = hashlib.sha256()
    digest.update(scope["method"].encode())
    digest.update(b" ")
    digest.update(scope["path"].encode())
    query: bytes = scope.get("query_string", b"")
    if query:
        digest.update(b"?" + query)
    # The separator keeps a path and a body from running into each other.
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyMiddleware:
    """Stores each keyed POST's 2xx answer and replays it for the same key and request."""

    def __init__(self, app: ASGIApp, *, auth: AuthService, keys: IdempotencyService) -> None:
        self.app = app
        self._auth = auth
        self._keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].rstrip("/") == _TOKEN_PATH
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self._keyed(scope, receive, send)
        except StoreError as error:  # before or after the route: the database is away
            await store_error_response(error)(scope, receive, send)

    async def _keyed(self, scope: Scope, receive: Receive, send: Send) -> None:
        values = [value for name, value in scope["headers"] if name.lower() == _HEADER_NAME]
        account_id = await self._account(scope) if values else None
        if account_id is None:
            # No key, or no caller to hold it for: the route answers (401 for a bad token).
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(values)
        except ClientError as error:
            await client_error_response(error)(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its body
        try:
            outcome = await self._keys.reserve(account_id, key, request_hash(scope, body))
        except ClientError as error:
            await client_error_response(error)(scope, receive, send)
            return
        if isinstance(outcome, StoredAnswer):
            log.info("action=idempotent_replay account=%s status=%d", account_id, outcome.status)
            await _replay(outcome)(scope, receive, send)
            return
        await self._run(outcome, scope, _body_then(body, receive), send)

    async def _account(self, scope: Scope) -> AccountId | None:
        kind, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            return None
        try:
            principal = await self._auth.authenticate(token.strip())
        except Unauthenticated:
            return None
        return principal.account_id

    async def _run(
        self, reservation: Reservation, scope: Scope, receive: Receive, send: Send
    ) -> None:
        answer = _Buffer()
        try:
            await self.app(scope, receive, answer.send)
        except BaseException:
            # Cancelled or crashed: free the key (shielded, so a cancellation cannot skip it)
            # and let the error go on as it would have without the key.
            with anyio.CancelScope(shield=True):
                await self._settle(reservation, None)
            raise
        await self._settle(reservation, answer.storable())
        for message in answer.messages:
            await send(message)

    async def _settle(self, reservation: Reservation, answer: StoredAnswer | None) -> None:
        """Store a 2xx answer or release the key; a failure here never hides the answer.

        If storing fails the key stays in flight until it expires: retries get 409 rather
        than a second resource.
        """
        try:
            if answer is None:
                await self._keys.release(reservation)
            else:
                await self._keys.complete(reservation, answer.status, answer.body)
        except Exception:
            log.exception(
                "action=idempotency_settle_failed account=%s stored=%s",
                reservation.account_id,
                answer is not None,
            )


class _Buffer:
    """The app's response messages, held back until the key is settled."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    def storable(self) -> StoredAnswer | None:
        """The answer to store: a complete 2xx with a UTF-8 body; None releases the key."""
        if not self.messages or self.messages[0]["type"] != "http.response.start":
            return None
        status: int = self.messages[0]["status"]
        rest = self.messages[1:]
        if not 200 <= status < 300 or any(m["type"] != "http.response.body" for m in rest):
            return None
        if rest and rest[-1].get("more_body", False):
            return None
        try:
            body = b"".join(m.get("body", b"") for m in rest).decode("utf-8")
        except UnicodeDecodeError:
            return None
        return StoredAnswer(status, body)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _body_then(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then listens as before."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _replay(answer: StoredAnswer) -> Response:
    return Response(
        answer.body.encode("utf-8"),
        status_code=answer.status,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )
