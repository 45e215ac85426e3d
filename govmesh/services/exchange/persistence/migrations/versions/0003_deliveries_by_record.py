"""Indexes deliveries by record, so retention finds records nobody still owes an acknowledgement for.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_exchange_deliveries_record_seq", "exchange_deliveries", ["record_seq"])


def downgrade() -> None:
    op.drop_index("ix_exchange_deliveries_record_seq", table_name="exchange_deliveries")
