"""Queries on accounts, their balance and their ledger. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache

from sqlalchemy import Insert, Row, Update, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.domain.money import MAX_BALANCE
from smscast.store.tables import accounts, ledger
from smscast.types import AccountId, LedgerKind


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: AccountId
    name: str
    currency: str
    balance: Decimal
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    account_id: AccountId
    kind: LedgerKind
    amount: Decimal
    balance_before: Decimal
    balance_after: Decimal
    description: str
    campaign_id: str | None
    message_id: str | None
    created_at: datetime


def _account(row: Row[tuple[object, ...]]) -> AccountRow:
    m = row._mapping
    return AccountRow(
        id=AccountId(m["id"]),
        name=m["name"],
        currency=m["currency"],
        balance=m["balance"],
        created_at=m["created_at"],
    )


def _entry(row: Row[tuple[object, ...]]) -> LedgerEntry:
    m = row._mapping
    return LedgerEntry(
        id=m["id"],
        account_id=AccountId(m["account_id"]),
        kind=LedgerKind(m["kind"]),
        amount=m["amount"],
        balance_before=m["balance_before"],
        balance_after=m["balance_after"],
        description=m["description"],
        campaign_id=m["campaign_id"],
        message_id=m["message_id"],
        created_at=m["created_at"],
    )


async def insert_account(
    conn: AsyncConnection, *, id: AccountId, name: str, currency: str, created_at: datetime
) -> AccountRow:
    await conn.execute(
        accounts.insert().values(
            id=id, name=name, currency=currency, balance=Decimal(0), created_at=created_at
        )
    )
    return AccountRow(
        id=id, name=name, currency=currency, balance=Decimal(0), created_at=created_at
    )


# Statements on every request's path are built once, with parameters: building one and
# computing its cache key costs SQLAlchemy more than running it (about 0.2 ms against 0.08).
_ACCOUNT = select(accounts).where(accounts.c.id == bindparam("account"))


async def get_account(conn: AsyncConnection, account_id: AccountId) -> AccountRow | None:
    row = (await conn.execute(_ACCOUNT, {"account": account_id})).first()
    return _account(row) if row else None


async def find_account(conn: AsyncConnection, id_or_name: str) -> AccountRow | None:
    """An account by its id or, failing that, its name (for the CLI)."""
    row = (
        await conn.execute(
            select(accounts)
            .where(or_(accounts.c.id == id_or_name, accounts.c.name == id_or_name))
            .order_by((accounts.c.id == id_or_name).desc())
            .limit(1)
        )
    ).first()
    return _account(row) if row else None


async def list_accounts(conn: AsyncConnection) -> list[AccountRow]:
    rows = await conn.execute(select(accounts).order_by(accounts.c.created_at, accounts.c.name))
    return [_account(r) for r in rows]


async def move_balance(
    conn: AsyncConnection, account_id: AccountId, delta: Decimal, *, allow_negative: bool = False
) -> tuple[Decimal, Decimal] | None:
    """Add ``delta`` (negative to take) atomically; (before, after), or None when refused.

    The check and the change are one statement, so concurrent charges serialise on the row
    and the balance can never be driven below zero.
    """
    after = (
        await conn.execute(
            _balance_update(_limit(delta, allow_negative)), {"account": account_id, "delta": delta}
        )
    ).scalar_one_or_none()
    if after is None:
        return None
    return after - delta, after


class _Limit(Enum):
    """Which bound a balance move is checked against."""

    FLOOR = "floor"  # taking money: not below zero
    CEILING = "ceiling"  # giving money: not over MAX_BALANCE
    NONE = "none"


def _limit(delta: Decimal, allow_negative: bool) -> _Limit:
    if delta < 0 and not allow_negative:
        return _Limit.FLOOR
    return _Limit.CEILING if delta > 0 else _Limit.NONE


_DELTA = bindparam("delta", type_=accounts.c.balance.type)


@cache
def _balance_update(limit: _Limit) -> Update:
    """UPDATE … RETURNING the new balance, changing nothing when refused; parameters
    ``account`` and ``delta``."""
    after = accounts.c.balance + _DELTA
    stmt = (
        accounts.update()
        .where(accounts.c.id == bindparam("account"))
        .values(balance=after)
        .returning(accounts.c.balance)
    )
    if limit is _Limit.FLOOR:
        stmt = stmt.where(after >= 0)
    elif limit is _Limit.CEILING:
        stmt = stmt.where(after <= MAX_BALANCE)
    return stmt


@cache
def _move_money(limit: _Limit) -> Insert:
    """The balance UPDATE in a CTE feeding the ledger's INSERT (PostgreSQL); parameters
    ``account``, ``delta``, ``kind``, ``description``, ``campaign``, ``message``, ``at``."""
    cte = _balance_update(limit).cte("moved")
    source = select(
        bindparam("account", type_=ledger.c.account_id.type),
        bindparam("kind", type_=ledger.c.kind.type),
        _DELTA,
        cte.c.balance - _DELTA,
        cte.c.balance,
        bindparam("description", type_=ledger.c.description.type),
        bindparam("campaign", type_=ledger.c.campaign_id.type),
        bindparam("message", type_=ledger.c.message_id.type),
        bindparam("at", type_=ledger.c.created_at.type),
    )
    names = ["account_id", "kind", "amount", "balance_before", "balance_after",
             "description", "campaign_id", "message_id", "created_at"]  # fmt: skip
    return ledger.insert().from_select(names, source).returning(ledger)


async def insert_ledger_entry(
    conn: AsyncConnection,
    *,
    account_id: AccountId,
    kind: LedgerKind,
    amount: Decimal,
    balance_before: Decimal,
    balance_after: Decimal,
    created_at: datetime,
    description: str = "",
    campaign_id: str | None = None,
    message_id: str | None = None,
) -> LedgerEntry:
    row = (
        await conn.execute(
            ledger.insert()
            .values(
                account_id=account_id,
                kind=kind.value,
                amount=amount,
                balance_before=balance_before,
                balance_after=balance_after,
                description=description,
                campaign_id=campaign_id,
                message_id=message_id,
                created_at=created_at,
            )
            .returning(ledger)
        )
    ).one()
    return _entry(row)


async def move_money(
    conn: AsyncConnection,
    account_id: AccountId,
    amount: Decimal,
    *,
    kind: LedgerKind,
    created_at: datetime,
    description: str = "",
    campaign_id: str | None = None,
    message_id: str | None = None,
    allow_negative: bool = False,
) -> LedgerEntry | None:
    """Add ``amount`` to the balance (negative to take) and write its ledger entry, in the
    caller's transaction; None when refused (below zero, or over the maximum). The one way
    money moves: balance = sum of the ledger depends on it."""
    if conn.dialect.name == "postgresql":
        # One statement (the UPDATE in a CTE feeding the ledger's INSERT): the account's row
        # is locked until commit, and every request of the account waits on it, so each
        # round trip spent holding it counts.
        params = {
            "account": account_id,
            "delta": amount,
            "kind": kind.value,
            "description": description,
            "campaign": campaign_id,
            "message": message_id,
            "at": created_at,
        }
        stmt = _move_money(_limit(amount, allow_negative))
        row = (await conn.execute(stmt, params)).first()
        return _entry(row) if row else None
    moved = await move_balance(conn, account_id, amount, allow_negative=allow_negative)
    if moved is None:
        return None
    before, after = moved
    return await insert_ledger_entry(
        conn,
        account_id=account_id,
        kind=kind,
        amount=amount,
        balance_before=before,
        balance_after=after,
        created_at=created_at,
        description=description,
        campaign_id=campaign_id,
        message_id=message_id,
    )


async def ledger_page(
    conn: AsyncConnection,
    account_id: AccountId,
    *,
    since: datetime | None,
    until: datetime | None,
    offset: int,
    limit: int,
) -> tuple[list[LedgerEntry], int]:
    """Newest first; the total counts every entry the filters match."""
    where = [ledger.c.account_id == account_id]
    if since is not None:
        where.append(ledger.c.created_at >= since)
    if until is not None:
        where.append(ledger.c.created_at <= until)
    total = (
        await conn.execute(select(func.count()).select_from(ledger).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        select(ledger)
        .where(*where)
        .order_by(ledger.c.created_at.desc(), ledger.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_entry(r) for r in rows], total


async def ledger_sum(conn: AsyncConnection, account_id: AccountId) -> Decimal:
    total = (
        await conn.execute(
            select(func.sum(ledger.c.amount)).where(ledger.c.account_id == account_id)
        )
    ).scalar_one()
    return total if total is not None else Decimal(0)


async def get_quiet_hours(conn: AsyncConnection, account_id: AccountId) -> str | None:
    query = select(accounts.c.quiet_hours).where(accounts.c.id == account_id)
    found: str | None = (await conn.execute(query)).scalar_one_or_none()
    return found


async def set_quiet_hours(
    conn: AsyncConnection, account_id: AccountId, windows: str | None
) -> None:
    await conn.execute(
        accounts.update().where(accounts.c.id == account_id).values(quiet_hours=windows)
    )
