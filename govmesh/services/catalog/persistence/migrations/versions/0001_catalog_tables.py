"""Creates the catalog's tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out rather than taken from tables.py, so this revision stays what it was when later
# revisions change the tables.
_REVISION_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "catalog_departments",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("groups", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_catalog_departments"),
    )
    op.create_table(
        "catalog_subjects",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("major", sa.Integer, nullable=False),
        sa.Column("minor", sa.Integer, nullable=False),
        sa.Column("deprecated", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_catalog_subjects"),
        sa.ForeignKeyConstraint(
            ["provider"], ["catalog_departments.code"], name="fk_catalog_subjects_provider_catalog_departments"
        ),
    )
    op.create_index("ix_catalog_subjects_provider", "catalog_subjects", ["provider"])
    op.create_table(
        "catalog_subject_versions",
        sa.Column("subject_code", sa.String(16), nullable=False),
        sa.Column("major", sa.Integer, nullable=False),
        sa.Column("minor", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("change", sa.JSON, nullable=True),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_code", "major", "minor", name="pk_catalog_subject_versions"),
        sa.ForeignKeyConstraint(
            ["subject_code"],
            ["catalog_subjects.code"],
            name="fk_catalog_subject_versions_subject_code_catalog_subjects",
        ),
    )
    op.create_table(
        "catalog_item_codes",
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("subject_code", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_catalog_item_codes"),
        sa.ForeignKeyConstraint(
            ["subject_code"], ["catalog_subjects.code"], name="fk_catalog_item_codes_subject_code_catalog_subjects"
        ),
    )
    op.create_index("ix_catalog_item_codes_subject_code", "catalog_item_codes", ["subject_code"])
    op.create_table(
        "catalog_changes",
        sa.Column("revision", _REVISION_ID, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject_code", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("change", sa.JSON, nullable=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("revision", name="pk_catalog_changes"),
    )
    op.create_index("ix_catalog_changes_subject_code", "catalog_changes", ["subject_code"])


def downgrade() -> None:
    for table in ("catalog_changes", "catalog_item_codes", "catalog_subject_versions", "catalog_subjects"):
        op.drop_table(table)
    op.drop_table("catalog_departments")
