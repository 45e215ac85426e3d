"""A retired master record remembers the master that absorbed it, so that its id leads to the survivor.

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
    with op.batch_alter_table("masters_masters") as batch:
        batch.add_column(sa.Column("merged_into", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("masters_masters") as batch:
        batch.drop_column("merged_into")
