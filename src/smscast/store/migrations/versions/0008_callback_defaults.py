"""callback defaults and announced campaign state

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:06:19.275827
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("campaign_callback", sa.JSON(), nullable=True))

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_state", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("callback_counts", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("callback_completed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("callback_completed")
        batch_op.drop_column("callback_counts")
        batch_op.drop_column("callback_state")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("campaign_callback")
        batch_op.drop_column("callback")
