"""address book for bulk writes: no per-row foreign keys, byte-compared keys

PostgreSQL checks a foreign key with a trigger per inserted row; on a million-contact import
those checks cost more than the inserts. The store now deletes memberships and blacklist
entries with their contacts and groups. Contact keys (id, account, mobile) compare as bytes
on PostgreSQL ("C" collation) rather than in the database's locale.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:45:51.208073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (("id", 36), ("account_id", 36), ("mobile", 16))


def upgrade() -> None:
    with op.batch_alter_table("blacklist", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_blacklist_contact_pk_contacts"), type_="foreignkey")

    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_group_members_group_id_groups"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_group_members_contact_pk_contacts"), type_="foreignkey"
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contacts_account_id_accounts"), type_="foreignkey")

    if op.get_bind().dialect.name == "postgresql":
        for column, length in _KEYS:
            op.alter_column("contacts", column, type_=sa.String(length, collation="C"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, length in _KEYS:
            op.alter_column("contacts", column, type_=sa.String(length))

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_contacts_account_id_accounts"), "accounts", ["account_id"], ["id"]
        )

    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_group_members_contact_pk_contacts"),
            "contacts",
            ["contact_pk"],
            ["pk"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_group_members_group_id_groups"),
            "groups",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("blacklist", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_blacklist_contact_pk_contacts"),
            "contacts",
            ["contact_pk"],
            ["pk"],
            ondelete="CASCADE",
        )
