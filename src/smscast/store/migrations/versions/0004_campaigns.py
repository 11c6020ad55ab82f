"""campaigns, messages and idempotency keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:03:51.228883
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smscast.store.columns

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=True),
        sa.Column("sender", sa.String(length=17), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("flash", sa.Boolean(), nullable=False),
        sa.Column("respect_quiet_hours", sa.Boolean(), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("callback", sa.JSON(), nullable=True),
        sa.Column("campaign_callback", sa.JSON(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cost", smscast.store.columns.Money(precision=20, scale=6), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("total_messages", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unsent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("undelivered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("id", name=op.f("uq_campaigns_id")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_account_id_created_at"),
            ["account_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_campaigns_account_id_name",
            ["account_id", "name"],
            unique=True,
            postgresql_where=sa.text("name IS NOT NULL AND deleted_at IS NULL"),
            sqlite_where=sa.text("name IS NOT NULL AND deleted_at IS NULL"),
        )

    op.create_table(
        "idempotency_keys",
        sa.Column(
            "account_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "campaign_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "mobile",
            sa.String(length=16).with_variant(sa.String(length=16, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column(
            "contact_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("reminder", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("unicode", sa.Boolean(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detailed_status", sa.String(length=32), nullable=True),
        sa.Column("status_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("due_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_messages")),
        sa.UniqueConstraint("id", name=op.f("uq_messages_id")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_campaign_pk_pk"), ["campaign_pk", "pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_campaign_pk_pk"))

    op.drop_table("messages")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_campaigns_account_id_name",
            postgresql_where=sa.text("name IS NOT NULL AND deleted_at IS NULL"),
            sqlite_where=sa.text("name IS NOT NULL AND deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_campaigns_account_id_created_at"))

    op.drop_table("campaigns")
