"""Accounts and money: create, top up, read balance and ledger. Every movement is a ledger entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smscast.clock import Clock
from smscast.domain.money import MAX_BALANCE, parse_amount
from smscast.domain.quiet_hours import format_windows, parse_windows
from smscast.errors import NotFoundInStore, ValidationFailed
from smscast.services.auth import AuthService, IssuedApplication
from smscast.store import accounts as q
from smscast.store.accounts import AccountRow, LedgerEntry
from smscast.store.db import Database
from smscast.types import AccountId, LedgerKind


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: AccountRow
    application: IssuedApplication


@dataclass(frozen=True, slots=True)
class LedgerPage:
    entries: list[LedgerEntry]
    total: int


class AccountService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        auth: AuthService,
        exchange_rates: dict[str, Decimal],
        default_quiet_hours: str = "23:00-08:00,14:00-17:00",
    ) -> None:
        self._db = db
        self._clock = clock
        self._auth = auth
        self._rates = exchange_rates
        self._default_quiet_hours = default_quiet_hours

    async def create(
        self,
        name: str,
        *,
        balance: Decimal | str = Decimal(0),
        currency: str = "EUR",
        scopes: frozenset[str] | None = None,
    ) -> NewAccount:
        """A new account with its first application and, if given, an opening top-up."""
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed("account name must be 1-100 characters")
        currency = currency.strip().upper()
        if currency not in self._rates:
            raise ValidationFailed(
                f"no exchange rate for {currency}: prices are in EUR, so set "
                f"exchange_rates.{currency} (units per EUR) in the settings first"
            )
        opening = parse_amount(balance, field="balance", positive=False)
        secret_hash, plain_secret = await self._auth.prepare_secret()
        now = self._clock.now()
        account_id = AccountId(str(uuid.uuid4()))
        try:
            async with self._db.write() as conn:
                account = await q.insert_account(
                    conn, id=account_id, name=name, currency=currency, created_at=now
                )
                app = await self._auth.insert_application(
                    conn, account_id, name="default", scopes=scopes, secret_hash=secret_hash
                )
                if opening > 0:
                    await self._move(conn, account_id, opening, LedgerKind.TOPUP, "opening balance")
                    account = AccountRow(
                        id=account.id,
                        name=account.name,
                        currency=account.currency,
                        balance=opening,
                        created_at=account.created_at,
                    )
        except IntegrityError as exc:
            raise ValidationFailed(f"an account named {name!r} already exists") from exc
        return NewAccount(account, IssuedApplication(app, plain_secret))

    async def find(self, id_or_name: str) -> AccountRow:
        async with self._db.read() as conn:
            account = await q.find_account(conn, id_or_name)
        if account is None:
            raise NotFoundInStore(f"no account {id_or_name!r}")
        return account

    async def get(self, account_id: AccountId) -> AccountRow:
        async with self._db.read() as conn:
            account = await q.get_account(conn, account_id)
        if account is None:
            raise NotFoundInStore(f"no account {account_id!r}")
        return account

    async def list(self) -> list[AccountRow]:
        async with self._db.read() as conn:
            return await q.list_accounts(conn)

    async def top_up(
        self, id_or_name: str, amount: Decimal | str, description: str = "top-up"
    ) -> LedgerEntry:
        value = parse_amount(amount, field="amount")
        async with self._db.write() as conn:
            account = await q.find_account(conn, id_or_name)
            if account is None:
                raise NotFoundInStore(f"no account {id_or_name!r}")
            return await self._move(conn, account.id, value, LedgerKind.TOPUP, description)

    async def quiet_hours(self, id_or_name: str) -> str:
        """The account's quiet-hour windows as its campaigns use them."""
        account = await self.find(id_or_name)
        async with self._db.read() as conn:
            own = await q.get_quiet_hours(conn, account.id)
        return own if own is not None else self._default_quiet_hours

    async def set_quiet_hours(self, id_or_name: str, windows: str | None) -> str:
        """Set the account's windows (None: the installation's default); what now applies."""
        if windows is not None:
            try:
                windows = format_windows(parse_windows(windows))
            except ValueError as exc:
                raise ValidationFailed(str(exc)) from None
        async with self._db.write() as conn:
            account = await q.find_account(conn, id_or_name)
            if account is None:
                raise NotFoundInStore(f"no account {id_or_name!r}")
            await q.set_quiet_hours(conn, account.id, windows)
        return windows if windows is not None else self._default_quiet_hours

    async def transactions(
        self,
        account_id: AccountId,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 0,
        size: int = 20,
    ) -> LedgerPage:
        async with self._db.read() as conn:
            entries, total = await q.ledger_page(
                conn, account_id, since=since, until=until, offset=page * size, limit=size
            )
        return LedgerPage(entries, total)

    async def ledger_balance(self, account_id: AccountId) -> tuple[Decimal, Decimal]:
        """(stored balance, sum of ledger): equal for every account, always."""
        async with self._db.read() as conn:
            account = await q.get_account(conn, account_id)
            total = await q.ledger_sum(conn, account_id)
        if account is None:
            raise NotFoundInStore(f"no account {account_id!r}")
        return account.balance, total

    async def _move(
        self,
        conn: AsyncConnection,
        account_id: AccountId,
        amount: Decimal,
        kind: LedgerKind,
        description: str,
    ) -> LedgerEntry:
        entry = await q.move_money(
            conn,
            account_id,
            amount,
            kind=kind,
            created_at=self._clock.now(),
            description=description,
        )
        if entry is None:
            if amount > 0:
                raise ValidationFailed(f"a balance cannot exceed {MAX_BALANCE}")
            raise ValidationFailed("the balance cannot go below zero")
        return entry
