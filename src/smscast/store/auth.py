"""Queries on applications and their access tokens. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.store.tables import applications, tokens
from smscast.types import AccountId, ApplicationId


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    id: ApplicationId
    account_id: AccountId
    name: str
    secret_hash: str
    scopes: frozenset[str]
    token_lifetime_seconds: int
    callback_secret: str
    transcode: str
    created_at: datetime
    # Defaults for campaigns that name no callback of their own: {url, strategy}.
    callback: Mapping[str, Any] | None = None
    campaign_callback: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TokenRow:
    application_id: ApplicationId
    account_id: AccountId
    scopes: frozenset[str]
    expires_at: datetime


def _scopes(raw: str) -> frozenset[str]:
    return frozenset(raw.split())


def _application(row: Row[tuple[object, ...]]) -> ApplicationRow:
    m = row._mapping
    return ApplicationRow(
        id=ApplicationId(m["id"]),
        account_id=AccountId(m["account_id"]),
        name=m["name"],
        secret_hash=m["secret_hash"],
        scopes=_scopes(m["scopes"]),
        token_lifetime_seconds=m["token_lifetime_seconds"],
        callback_secret=m["callback_secret"],
        transcode=m["transcode"],
        created_at=m["created_at"],
        callback=m["callback"] if isinstance(m["callback"], dict) else None,
        campaign_callback=(
            m["campaign_callback"] if isinstance(m["campaign_callback"], dict) else None
        ),
    )


async def insert_application(conn: AsyncConnection, app: ApplicationRow) -> None:
    await conn.execute(
        applications.insert().values(
            id=app.id,
            account_id=app.account_id,
            name=app.name,
            secret_hash=app.secret_hash,
            scopes=" ".join(sorted(app.scopes)),
            token_lifetime_seconds=app.token_lifetime_seconds,
            callback_secret=app.callback_secret,
            transcode=app.transcode,
            created_at=app.created_at,
        )
    )


async def get_application(conn: AsyncConnection, app_id: str) -> ApplicationRow | None:
    row = (await conn.execute(select(applications).where(applications.c.id == app_id))).first()
    return _application(row) if row else None


async def update_application(
    conn: AsyncConnection, app_id: str, values: Mapping[str, Any]
) -> ApplicationRow | None:
    """Change the application's settings; the row as it is now (None: no such application).
    A None is stored as SQL NULL, not as a JSON null."""
    if values:
        stored = {key: null() if value is None else value for key, value in values.items()}
        await conn.execute(update(applications).where(applications.c.id == app_id).values(**stored))
    return await get_application(conn, app_id)


async def application_names(conn: AsyncConnection, account_id: AccountId) -> set[str]:
    rows = await conn.execute(
        select(applications.c.name).where(applications.c.account_id == account_id)
    )
    return {r[0] for r in rows}


async def list_applications(conn: AsyncConnection, account_id: AccountId) -> list[ApplicationRow]:
    rows = await conn.execute(
        select(applications)
        .where(applications.c.account_id == account_id)
        .order_by(applications.c.created_at)
    )
    return [_application(r) for r in rows]


async def insert_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    application_id: ApplicationId,
    account_id: AccountId,
    scopes: frozenset[str],
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        tokens.insert().values(
            token_hash=token_hash,
            application_id=application_id,
            account_id=account_id,
            scopes=" ".join(sorted(scopes)),
            created_at=created_at,
            expires_at=expires_at,
        )
    )


# Built once, with parameters: on every request's path (see store.accounts).
_LIVE_TOKEN = select(tokens).where(
    tokens.c.token_hash == bindparam("token_hash"), tokens.c.expires_at > bindparam("now")
)


async def find_live_token(conn: AsyncConnection, token_hash: str, now: datetime) -> TokenRow | None:
    row = (await conn.execute(_LIVE_TOKEN, {"token_hash": token_hash, "now": now})).first()
    if row is None:
        return None
    m = row._mapping
    return TokenRow(
        application_id=ApplicationId(m["application_id"]),
        account_id=AccountId(m["account_id"]),
        scopes=_scopes(m["scopes"]),
        expires_at=m["expires_at"],
    )


async def delete_expired_tokens(
    conn: AsyncConnection, application_id: ApplicationId, now: datetime
) -> int:
    result = await conn.execute(
        delete(tokens).where(tokens.c.application_id == application_id, tokens.c.expires_at <= now)
    )
    return result.rowcount or 0
