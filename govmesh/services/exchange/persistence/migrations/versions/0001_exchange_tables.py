"""Creates the exchange's tables.

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
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchange_records",
        sa.Column("seq", _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_version", sa.String(16), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("event_time", _MOMENT, nullable=False),
        sa.Column("values", sa.Text, nullable=False),
        sa.Column("publisher", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("publish_time", _MOMENT, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_exchange_records"),
        sa.UniqueConstraint("idempotency_key", "publisher", name="uq_exchange_records_key_publisher"),
    )
    op.create_index("ix_exchange_records_subject_seq", "exchange_records", ["subject", "seq"])
    op.create_index("ix_exchange_records_entity_key", "exchange_records", ["entity_key"])

    op.create_table(
        "exchange_subscriptions",
        sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subscriber", sa.String(32), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("row_filter", sa.Text, nullable=False),
        sa.Column("start_time", _MOMENT, nullable=True),
        sa.Column("ack_deadline_ms", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("create_time", _MOMENT, nullable=False),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("acknowledged_count", sa.BigInteger, nullable=False),
        sa.Column("last_acknowledge_time", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_exchange_subscriptions"),
        sa.UniqueConstraint("id", name="uq_exchange_subscriptions_id"),
    )
    op.create_index("ix_exchange_subscriptions_subject", "exchange_subscriptions", ["subject"])
    op.create_index("ix_exchange_subscriptions_subscriber", "exchange_subscriptions", ["subscriber"])

    op.create_table(
        "exchange_deliveries",
        sa.Column("subscription_key", sa.Integer, nullable=False),
        sa.Column("record_seq", sa.BigInteger, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("visible_at", _MOMENT, nullable=False),
        sa.Column("stream_id", sa.String(32), nullable=False),
        sa.Column("first_deliver_time", _MOMENT, nullable=True),
        sa.Column("deliver_time", _MOMENT, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("dead_reason", sa.String(32), nullable=True),
        sa.Column("dead_time", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("subscription_key", "record_seq", name="pk_exchange_deliveries"),
    )
    op.create_index("ix_exchange_deliveries_due", "exchange_deliveries", ["subscription_key", "state", "visible_at"])

    op.create_table(
        "exchange_presence",
        sa.Column("stream_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("replica", sa.String(32), nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name="pk_exchange_presence"),
    )
    op.create_index("ix_exchange_presence_kind", "exchange_presence", ["kind", "key", "expires_at"])

    op.create_table(
        "exchange_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("entity_keys", sa.Text, nullable=False),
        sa.Column("claims", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("target_departments", sa.Text, nullable=False),
        sa.Column("to_subject_providers", sa.Boolean, nullable=False),
        sa.Column("to_holders_of_entity", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("create_time", _MOMENT, nullable=False),
        sa.Column("expire_time", _MOMENT, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("reply_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_requests"),
        sa.UniqueConstraint("requester", "idempotency_key", name="uq_exchange_requests_requester_key"),
    )
    op.create_index("ix_exchange_requests_requester_time", "exchange_requests", ["requester", "create_time"])

    op.create_table(
        "exchange_request_targets",
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("denied_items", sa.Text, nullable=False),
        sa.Column("grants", sa.Text, nullable=False),
        sa.Column("denial_reason", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("final_time", _MOMENT, nullable=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("expire_time", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("request_id", "target", name="pk_exchange_request_targets"),
    )
    op.create_index(
        "ix_exchange_request_targets_inbox", "exchange_request_targets", ["target", "status", "expire_time"]
    )

    op.create_table(
        "exchange_replies",
        sa.Column("id", _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("records", sa.Text, nullable=False),
        sa.Column("verifications", sa.Text, nullable=False),
        sa.Column("not_found", sa.Text, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("create_time", _MOMENT, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_replies"),
        sa.UniqueConstraint("request_id", "sequence", name="uq_exchange_replies_request_sequence"),
        sa.UniqueConstraint("request_id", "target", "idempotency_key", name="uq_exchange_replies_request_key"),
    )

    op.create_table(
        "exchange_holdings",
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("update_time", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("entity_key", "department", "subject", name="pk_exchange_holdings"),
    )

    def ledger_columns() -> list[sa.Column]:  # type: ignore[type-arg]
        return [
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("sender", sa.String(32), nullable=False),
            sa.Column("receivers", sa.Text, nullable=False),
            sa.Column("subject", sa.String(24), nullable=False),
            sa.Column("record_count", sa.BigInteger, nullable=False),
            sa.Column("payload_digest", sa.String(64), nullable=False),
            sa.Column("reference", sa.String(200), nullable=False),
            sa.Column("trace_id", sa.String(32), nullable=False),
            sa.Column("create_time", _MOMENT, nullable=False),
            sa.Column("department", sa.String(32), nullable=False),
            sa.Column("exchanged", sa.BigInteger, nullable=False),
        ]

    op.create_table(
        "exchange_ledger_outbox",
        sa.Column("id", _SEQUENCE, primary_key=True, autoincrement=True),
        *ledger_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_ledger_outbox"),
    )
    op.create_table(
        "exchange_ledger",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        *ledger_columns(),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_exchange_ledger"),
    )
    op.create_index("ix_exchange_ledger_create_time", "exchange_ledger", ["create_time"])
    op.create_index("ix_exchange_ledger_trace_id", "exchange_ledger", ["trace_id"])


def downgrade() -> None:
    for table in (
        "exchange_ledger",
        "exchange_ledger_outbox",
        "exchange_holdings",
        "exchange_replies",
        "exchange_request_targets",
        "exchange_requests",
        "exchange_presence",
        "exchange_deliveries",
        "exchange_subscriptions",
        "exchange_records",
    ):
        op.drop_table(table)
