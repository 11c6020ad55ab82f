"""workers and carrier bind leases (a cluster shares each carrier's binds)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:01:48.589214
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smscast.store.columns

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carrier_binds",
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("lease_until", smscast.store.columns.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("carrier", "slot", name=op.f("pk_carrier_binds")),
    )
    op.create_table(
        "workers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.String(length=200), nullable=False),
        sa.Column("started_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", smscast.store.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workers")),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_table("carrier_binds")
