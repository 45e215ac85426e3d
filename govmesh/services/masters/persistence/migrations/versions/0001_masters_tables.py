"""Creates the masters service's tables.

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
_SERIAL_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "masters_records",
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("master_id", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("agreed", sa.JSON(), nullable=False),
        sa.Column("disagreed", sa.JSON(), nullable=False),
        sa.Column("invalid_identifier", sa.Text(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("department", "record_key", name="pk_masters_records"),
    )
    op.create_index("ix_masters_records_master_id", "masters_records", ["master_id"])
    op.create_table(
        "masters_masters",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("published_version", sa.BigInteger(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_masters_masters"),
    )
    op.create_index("ix_masters_masters_unpublished", "masters_masters", ["published_version", "version"])
    op.create_table(
        "masters_reviews",
        sa.Column("id", _SERIAL_ID, autoincrement=True, nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("current_master", sa.String(32), nullable=False),
        sa.Column("proposed_master", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("agreed", sa.JSON(), nullable=False),
        sa.Column("disagreed", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_masters_reviews"),
    )
    op.create_index("ix_masters_reviews_state", "masters_reviews", ["state"])
    op.create_table(
        "masters_events",
        sa.Column("id", _SERIAL_ID, autoincrement=True, nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("event_time", _WHEN, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_masters_events"),
    )
    op.create_index("ix_masters_events_record", "masters_events", ["department", "record_key"])
    op.create_table(
        "masters_audit",
        sa.Column("id", _SERIAL_ID, autoincrement=True, nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("master_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_masters_audit"),
    )


def downgrade() -> None:
    for table in ("masters_audit", "masters_events", "masters_reviews", "masters_masters", "masters_records"):
        op.drop_table(table)
