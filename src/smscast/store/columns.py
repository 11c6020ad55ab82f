"""Column types that behave the same on SQLite and PostgreSQL: exact money, UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Numeric, String
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator, TypeEngine

_SAFE_OPERATORS: Final = frozenset(
    {operators.add, operators.sub, operators.eq, operators.ne, operators.lt, operators.le,
     operators.gt, operators.ge}
)  # fmt: skip
MONEY_PLACES = 6
_MICROS = Decimal(10) ** MONEY_PLACES
_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)


class Money(TypeDecorator[Decimal]):
    """An exact amount with 6 decimal places.

    PostgreSQL stores ``NUMERIC(20, 6)``. SQLite has no exact decimal type (its NUMERIC is a
    float), so there the amount is an integer count of millionths: sums and comparisons in SQL
    stay exact on both databases.
    """

    impl = Numeric(20, MONEY_PLACES, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(20, MONEY_PLACES, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        exact = amount.quantize(_QUANTUM)
        if exact != amount:
            raise ValueError(f"money amount {amount} has more than {MONEY_PLACES} places")
        if dialect.name == "sqlite":
            return int(exact * _MICROS)
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _MICROS).quantize(_QUANTUM)
        return Decimal(value).quantize(_QUANTUM)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        # Literals next to a Money column are bound as Money (millionths on SQLite), which is
        # right for +, - and comparisons and wrong for * and /: do those in Python.
        if op not in _SAFE_OPERATORS:
            raise TypeError(f"Money supports only +, - and comparisons in SQL, not {op}")
        return self


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime in and out; naive UTC on SQLite, timestamptz elsewhere."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("UtcDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from an aggregate
            value = datetime.fromisoformat(value)
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def BigId() -> TypeEngine[int]:  # noqa: N802 - reads like a type in table definitions
    """A 64-bit autoincrement key (SQLite only autoincrements INTEGER PRIMARY KEY)."""
    return BigInteger().with_variant(Integer(), "sqlite")


def Key(length: int) -> TypeEngine[str]:  # noqa: N802 - reads like a type in table definitions
    """Text compared byte by byte: identifiers and E.164 numbers, never prose.

    PostgreSQL compares text in the database's collation (strcoll) unless told otherwise;
    for keys that order has no meaning and costs, measured on a million-contact import, about
    1.5 us a row under C.UTF-8 (more under a language locale). SQLite's default is already
    binary.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")
