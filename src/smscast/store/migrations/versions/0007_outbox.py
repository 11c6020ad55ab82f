"""outbox: callbacks waiting to be delivered

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:37:50.791263
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smscast.store.columns

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "application_id",
            sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_failed",
            ["pk"],
            unique=False,
            postgresql_where=sa.text("state = 'failed'"),
            sqlite_where=sa.text("state = 'failed'"),
        )
        batch_op.create_index(
            "ix_outbox_queue",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_queue",
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )
        batch_op.drop_index(
            "ix_outbox_failed",
            postgresql_where=sa.text("state = 'failed'"),
            sqlite_where=sa.text("state = 'failed'"),
        )

    op.drop_table("outbox")
