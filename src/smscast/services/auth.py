"""OAuth2 client credentials: applications, token grants and bearer authentication."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.domain.campaigns import Callback, valid_callback_url
from smscast.errors import Forbidden, NotFoundInStore, OAuthError, Unauthenticated, ValidationFailed
from smscast.services.secrets import SecretHasher, new_secret, new_token, token_digest
from smscast.store import accounts as account_queries
from smscast.store import auth as q
from smscast.store.auth import ApplicationRow
from smscast.store.db import Database
from smscast.types import ALL_SCOPES, AccountId, ApplicationId, Scope

TRANSCODE_POLICIES = ("auto", "always", "never")
_SCOPE_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class IssuedApplication:
    """An application with its secret in plain text: shown once, never stored."""

    application: ApplicationRow
    secret: str


@dataclass(frozen=True, slots=True)
class GrantedToken:
    access_token: str
    expires_in: int
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the account and application behind a bearer token."""

    account_id: AccountId
    application_id: ApplicationId
    scopes: frozenset[str]

    def require(self, scope: Scope) -> None:
        if scope.value not in self.scopes:
            raise Forbidden(f"this token lacks the '{scope.value}' scope")


def _looks_like_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def parse_scopes(raw: str | None) -> frozenset[str]:
    """Scopes from a space- or comma-separated string; empty means none were asked for."""
    if not raw:
        return frozenset()
    return frozenset(s for s in _SCOPE_SPLIT.split(raw.strip().lower()) if s)


def validate_scopes(scopes: frozenset[str] | None) -> frozenset[str]:
    if not scopes:
        return frozenset(s.value for s in ALL_SCOPES)
    unknown = scopes - {s.value for s in ALL_SCOPES}
    if unknown:
        raise ValidationFailed(
            f"unknown scope(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(sorted(s.value for s in ALL_SCOPES))}"
        )
    return scopes


class AuthService:
    def __init__(
        self, db: Database, clock: Clock, hasher: SecretHasher, default_lifetime: int
    ) -> None:
        self._db = db
        self._clock = clock
        self._hasher = hasher
        self._default_lifetime = default_lifetime

    async def prepare_secret(self) -> tuple[str, str]:
        """(hash, plain) for a new application secret."""
        plain = new_secret()
        return await self._hasher.hash(plain), plain

    async def insert_application(
        self,
        conn: AsyncConnection,
        account_id: AccountId,
        *,
        name: str,
        secret_hash: str,
        scopes: frozenset[str] | None = None,
        token_lifetime_seconds: int | None = None,
        transcode: str = "auto",
    ) -> ApplicationRow:
        if transcode not in TRANSCODE_POLICIES:
            raise ValidationFailed(f"transcode must be one of {', '.join(TRANSCODE_POLICIES)}")
        lifetime = token_lifetime_seconds or self._default_lifetime
        if not 60 <= lifetime <= 31_536_000:
            raise ValidationFailed("token lifetime must be 60 s to 1 year")
        app = ApplicationRow(
            id=ApplicationId(str(uuid.uuid4())),
            account_id=account_id,
            name=name,
            secret_hash=secret_hash,
            scopes=validate_scopes(scopes),
            token_lifetime_seconds=lifetime,
            callback_secret=new_secret(),
            transcode=transcode,
            created_at=self._clock.now(),
        )
        await q.insert_application(conn, app)
        return app

    async def create_application(
        self,
        account: str,
        *,
        name: str | None = None,
        scopes: frozenset[str] | None = None,
        token_lifetime_seconds: int | None = None,
        transcode: str = "auto",
    ) -> IssuedApplication:
        secret_hash, plain = await self.prepare_secret()
        try:
            async with self._db.write() as conn:
                row = await account_queries.find_account(conn, account)
                if row is None:
                    raise NotFoundInStore(f"no account {account!r}")
                if name is None:
                    taken = await q.application_names(conn, row.id)
                    name = next(
                        f"app-{n}" for n in range(1, len(taken) + 2) if f"app-{n}" not in taken
                    )
                app = await self.insert_application(
                    conn,
                    row.id,
                    name=name,
                    secret_hash=secret_hash,
                    scopes=scopes,
                    token_lifetime_seconds=token_lifetime_seconds,
                    transcode=transcode,
                )
        except IntegrityError as exc:
            raise ValidationFailed(
                f"the account already has an application named {name!r}"
            ) from exc
        return IssuedApplication(app, plain)

    async def update_application(
        self,
        application_id: str,
        *,
        callback: Callback | None = None,
        campaign_callback: Callback | None = None,
        clear_callback: bool = False,
        clear_campaign_callback: bool = False,
        rotate_callback_secret: bool = False,
    ) -> ApplicationRow:
        """Set or clear the application's default callbacks, or give it a new callback
        secret (callbacks already waiting keep the key they were written with)."""
        values: dict[str, object] = {}
        for field, given, clear in (
            ("callback", callback, clear_callback),
            ("campaign_callback", campaign_callback, clear_campaign_callback),
        ):
            if given is not None and clear:
                raise ValidationFailed(f"{field}: set it or clear it, not both")
            if given is not None:
                if not valid_callback_url(given.url):
                    raise ValidationFailed(f"{field}: the URL must be http(s) with a host")
                values[field] = {"url": given.url, "strategy": given.strategy.value}
            elif clear:
                values[field] = None
        if rotate_callback_secret:
            values["callback_secret"] = new_secret()
        async with self._db.write() as conn:
            row = await q.update_application(conn, application_id, values)
        if row is None:
            raise NotFoundInStore(f"no application {application_id!r}")
        return row

    async def list_applications(self, account: str) -> list[ApplicationRow]:
        async with self._db.read() as conn:
            row = await account_queries.find_account(conn, account)
            if row is None:
                raise NotFoundInStore(f"no account {account!r}")
            return await q.list_applications(conn, row.id)

    async def grant(
        self, client_id: str, client_secret: str, grant_type: str | None, scope: str | None
    ) -> GrantedToken:
        """The client-credentials grant. Bad credentials are 401; a bad request is 400."""
        app = None
        if _looks_like_id(client_id):
            async with self._db.read() as conn:
                app = await q.get_application(conn, client_id)
        verified = await self._hasher.verify(app.secret_hash if app else None, client_secret)
        if app is None or not verified:
            raise OAuthError(401, "Unauthorized", "Bad credentials")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing grant type")
        if grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
        asked = parse_scopes(scope)
        if asked - app.scopes:
            raise OAuthError(
                400, "invalid_scope", f"Invalid scope: {' '.join(sorted(asked - app.scopes))}"
            )
        scopes = asked or app.scopes
        token = new_token()
        now = self._clock.now()
        async with self._db.write() as conn:
            await q.delete_expired_tokens(conn, app.id, now)
            await q.insert_token(
                conn,
                token_hash=token_digest(token),
                application_id=app.id,
                account_id=app.account_id,
                scopes=scopes,
                created_at=now,
                expires_at=now + timedelta(seconds=app.token_lifetime_seconds),
            )
        return GrantedToken(token, app.token_lifetime_seconds, scopes)

    async def authenticate(self, bearer: str | None) -> Principal:
        if not bearer:
            raise Unauthenticated()
        async with self._db.read_latest() as conn:
            row = await q.find_live_token(conn, token_digest(bearer), self._clock.now())
        if row is None:
            raise Unauthenticated("Invalid or expired access token")
        return Principal(row.account_id, row.application_id, row.scopes)
