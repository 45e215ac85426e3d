"""Creates the catalog's tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from catalog.persistence.tables import changes, departments, item_codes, subject_versions, subjects

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [departments, subjects, subject_versions, item_codes, changes]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind)
