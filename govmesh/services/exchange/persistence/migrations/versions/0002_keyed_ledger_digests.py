"""Keyed ledger digests: each entry says how its payload digest was taken, and the hub keeps the key.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries written before this revision took plain SHA-256 digests: version 1.
    for table in ("exchange_ledger_outbox", "exchange_ledger"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("payload_digest_version", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "exchange_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("secret", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exchange_secrets")
    for table in ("exchange_ledger", "exchange_ledger_outbox"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("payload_digest_version")
