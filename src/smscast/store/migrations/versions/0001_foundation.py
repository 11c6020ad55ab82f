"""accounts, applications, tokens, prices, ledger

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 17:33:58.666811
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smscast.store.columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", smscast.store.columns.Money(precision=20, scale=6), nullable=False),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "prices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("mcc", sa.String(length=3), nullable=False),
        sa.Column("mnc", sa.String(length=3), server_default="", nullable=False),
        sa.Column("network", sa.String(length=100), server_default="", nullable=False),
        sa.Column("country_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("price", smscast.store.columns.Money(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
        sa.UniqueConstraint("scope", "country", "mnc", name=op.f("uq_prices_scope_country_mnc")),
    )
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prices_scope_mcc"), ["scope", "mcc"], unique=False)

    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("token_lifetime_seconds", sa.Integer(), nullable=False),
        sa.Column("callback_secret", sa.String(length=64), nullable=False),
        sa.Column("transcode", sa.String(length=8), server_default="auto", nullable=False),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_applications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_applications_account_id_name")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", smscast.store.columns.Money(precision=20, scale=6), nullable=False),
        sa.Column(
            "balance_before", smscast.store.columns.Money(precision=20, scale=6), nullable=False
        ),
        sa.Column(
            "balance_after", smscast.store.columns.Money(precision=20, scale=6), nullable=False
        ),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_ledger_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
    )
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_account_id_created_at_id"),
            ["account_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tokens_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_tokens_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_tokens")),
    )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tokens_application_id_expires_at"),
            ["application_id", "expires_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_application_id_expires_at"))

    op.drop_table("tokens")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_account_id_created_at_id"))

    op.drop_table("ledger")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_account_id"))

    op.drop_table("applications")
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prices_scope_mcc"))

    op.drop_table("prices")
    op.drop_table("accounts")
