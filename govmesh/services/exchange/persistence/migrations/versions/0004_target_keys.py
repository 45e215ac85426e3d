"""Gives each request target the keys it is asked by, for requests routed by master record.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the targets of earlier requests: they are asked by the request's own keys.
    op.add_column("exchange_request_targets", sa.Column("entity_keys", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("exchange_request_targets", "entity_keys")
