"""Creates the warnings application's tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out rather than taken from tables.py, so this revision stays what it was.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "warnings_facts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("event_day", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("publisher", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.UniqueConstraint("record_id", "kind", name="uq_warnings_facts_record_kind"),
    )
    op.create_index("ix_warnings_facts_kind_entity", "warnings_facts", ["kind", "entity_key", "event_day"])
    op.create_index("ix_warnings_facts_kind_day", "warnings_facts", ["kind", "event_day"])
    op.create_table(
        "warnings_warnings",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("rule", sa.String(63), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("event_day", sa.Integer, nullable=False),
        sa.Column("raised_day", sa.Integer, nullable=False),
        sa.Column("missing", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("closed_day", sa.Integer, nullable=True),
        sa.Column("reminded_day", sa.Integer, nullable=True),
        sa.Column("published_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("rule", "entity_key", name="uq_warnings_warnings_rule_entity"),
    )
    op.create_index("ix_warnings_warnings_state", "warnings_warnings", ["state", "rule"])
    op.create_table(
        "warnings_reminders",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(63), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("created_day", sa.Integer, nullable=False),
        sa.Column("outbox_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("rule", "entity_key", name="uq_warnings_reminders_rule_entity"),
    )
    op.create_table(
        "warnings_outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("claimed_until", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("sent_at", sa.Float, nullable=True),
    )
    op.create_index("ix_warnings_outbox_state_due", "warnings_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    for table in ("warnings_outbox", "warnings_reminders", "warnings_warnings", "warnings_facts"):
        op.drop_table(table)
