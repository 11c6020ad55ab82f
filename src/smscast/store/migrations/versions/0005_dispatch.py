"""dispatch: message leases and sending state, SMS parts, delivery receipts, quiet hours

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:20:35.389894
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smscast.store.columns

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column(
            "carrier_message_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detailed_status", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("done_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_receipts")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_next_try_at"), ["next_try_at"], unique=False)

    op.create_table(
        "sms_parts",
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
            "message_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column(
            "carrier_message_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detailed_status", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_sms_parts")),
        sa.UniqueConstraint(
            "carrier", "carrier_message_id", name=op.f("uq_sms_parts_carrier_carrier_message_id")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_sms_parts_id")),
    )
    with op.batch_alter_table("sms_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_parts_message_pk"), ["message_pk"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_hours", sa.String(length=200), nullable=True))

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quiet_hours", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("started_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "finished_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaigns_scheduled",
            ["scheduled_at"],
            unique=False,
            postgresql_where=sa.text("state = 'Scheduled'"),
            sqlite_where=sa.text("state = 'Scheduled'"),
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "claimed_until", smscast.store.columns.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("carrier", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "submitted_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "finished_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            "ix_messages_waiting_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'Queued'"),
            sqlite_where=sa.text("status = 'Queued'"),
        )
        batch_op.create_index(
            "ix_messages_awaiting_receipt",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'Sent'"),
            sqlite_where=sa.text("status = 'Sent'"),
        )
        batch_op.create_index(
            "ix_messages_queue",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'Queued'"),
            sqlite_where=sa.text("status = 'Queued'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_campaigns_scheduled",
            postgresql_where=sa.text("state = 'Scheduled'"),
            sqlite_where=sa.text("state = 'Scheduled'"),
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_messages_queue",
            postgresql_where=sa.text("status = 'Queued'"),
            sqlite_where=sa.text("status = 'Queued'"),
        )
        batch_op.drop_index(
            "ix_messages_awaiting_receipt",
            postgresql_where=sa.text("status = 'Sent'"),
            sqlite_where=sa.text("status = 'Sent'"),
        )
        batch_op.drop_index(
            "ix_messages_waiting_expiry",
            postgresql_where=sa.text("status = 'Queued'"),
            sqlite_where=sa.text("status = 'Queued'"),
        )
        batch_op.drop_column("finished_at")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("carrier")
        batch_op.drop_column("held")
        batch_op.drop_column("attempts")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("quiet_hours")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("quiet_hours")

    with op.batch_alter_table("sms_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_parts_message_pk"))

    op.drop_table("sms_parts")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_next_try_at"))

    op.drop_table("receipts")
