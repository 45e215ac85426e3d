"""The exchange's tables: an append-only record log, outstanding deliveries only, requests, the ledger.

Indexes are chosen so that the hot paths cost the same however long the history grows: a
subscription reads the log from its cursor by (subject, sequence); deliveries hold only what is
not acknowledged yet; duplicates are found by (idempotency key, publisher) — the key first, so a
batch's keys are index lookups even before the planner has statistics.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from govmesh.runtime.database import SerialId, service_metadata

metadata = service_metadata()

Sequence = SerialId
Moment = DateTime(timezone=True)

records = Table(
    "exchange_records",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("subject", String(16), nullable=False),
    Column("subject_version", String(16), nullable=False),
    Column("entity_key", String(64), nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("event_time", Moment, nullable=False),
    Column("values", Text, nullable=False),
    Column("publisher", String(32), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("publish_time", Moment, nullable=False),
    Column("trace_id", String(32), nullable=False),
    UniqueConstraint("idempotency_key", "publisher", name="uq_exchange_records_key_publisher"),
    Index("ix_exchange_records_subject_seq", "subject", "seq"),
    Index("ix_exchange_records_entity_key", "entity_key"),
)

subscriptions = Table(
    "exchange_subscriptions",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("subject", String(16), nullable=False, index=True),
    Column("subscriber", String(32), nullable=False, index=True),
    Column("items", Text, nullable=False),
    Column("row_filter", Text, nullable=False),
    Column("start_time", Moment, nullable=True),
    Column("ack_deadline_ms", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("create_time", Moment, nullable=False),
    # The last log position examined for this subscription: everything up to it was delivered or skipped.
    Column("cursor", BigInteger, nullable=False),
    Column("acknowledged_count", BigInteger, nullable=False),
    Column("last_acknowledge_time", Moment, nullable=True),
)

deliveries = Table(
    "exchange_deliveries",
    metadata,
    Column("subscription_key", Integer, primary_key=True),
    Column("record_seq", BigInteger, primary_key=True),
    Column("attempt", Integer, nullable=False),
    Column("state", String(10), nullable=False),
    # In flight: when the ack deadline passes. Waiting: when it may be sent again.
    Column("visible_at", Moment, nullable=False),
    Column("stream_id", String(32), nullable=False),
    Column("first_deliver_time", Moment, nullable=True),
    Column("deliver_time", Moment, nullable=True),
    Column("message", Text, nullable=False),
    Column("dead_reason", String(32), nullable=True),
    Column("dead_time", Moment, nullable=True),
    Index("ix_exchange_deliveries_due", "subscription_key", "state", "visible_at"),
    # Retention asks whether any subscription still owes a record (migration 0003).
    Index("ix_exchange_deliveries_record_seq", "record_seq"),
)

presence = Table(
    "exchange_presence",
    metadata,
    Column("stream_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(64), nullable=False),
    Column("replica", String(32), nullable=False),
    Column("expires_at", Moment, nullable=False),
    Index("ix_exchange_presence_kind", "kind", "key", "expires_at"),
)

requests = Table(
    "exchange_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("requester", String(32), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("subjects", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("entity_keys", Text, nullable=False),
    Column("claims", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("target_departments", Text, nullable=False),
    Column("to_subject_providers", Boolean, nullable=False),
    Column("to_holders_of_entity", Boolean, nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("create_time", Moment, nullable=False),
    Column("expire_time", Moment, nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("reply_count", Integer, nullable=False),
    UniqueConstraint("requester", "idempotency_key", name="uq_exchange_requests_requester_key"),
    Index("ix_exchange_requests_requester_time", "requester", "create_time"),
)

request_targets = Table(
    "exchange_request_targets",
    metadata,
    Column("request_id", String(32), primary_key=True),
    Column("target", String(32), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("subjects", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("denied_items", Text, nullable=False),
    Column("grants", Text, nullable=False),
    Column("denial_reason", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("record_count", Integer, nullable=False),
    Column("final_time", Moment, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("expire_time", Moment, nullable=False),
    # [[own key, asked key], …] when routed by master record; NULL when asked by the request's keys.
    Column("entity_keys", Text, nullable=True),
    Index("ix_exchange_request_targets_inbox", "target", "status", "expire_time"),
)

replies = Table(
    "exchange_replies",
    metadata,
    Column("id", Sequence, primary_key=True, autoincrement=True),
    Column("request_id", String(32), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("target", String(32), nullable=False),
    Column("records", Text, nullable=False),
    Column("verifications", Text, nullable=False),
    Column("not_found", Text, nullable=False),
    Column("final", Boolean, nullable=False),
    Column("failed", Boolean, nullable=False),
    Column("message", Text, nullable=False),
    Column("create_time", Moment, nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("outcome", Text, nullable=False),
    UniqueConstraint("request_id", "sequence", name="uq_exchange_replies_request_sequence"),
    UniqueConstraint("request_id", "target", "idempotency_key", name="uq_exchange_replies_request_key"),
)

holdings = Table(
    "exchange_holdings",
    metadata,
    Column("entity_key", String(64), primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("subject", String(16), primary_key=True),
    Column("update_time", Moment, nullable=False),
)

# Exchanges are staged here in the transaction that makes them, and chained into the ledger
# shortly after by one chainer at a time, so no hot path waits for the chain's head.
ledger_outbox = Table(
    "exchange_ledger_outbox",
    metadata,
    Column("id", Sequence, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("sender", String(32), nullable=False),
    Column("receivers", Text, nullable=False),
    Column("subject", String(24), nullable=False),
    Column("record_count", BigInteger, nullable=False),
    Column("payload_digest", String(64), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("create_time", Moment, nullable=False),
    Column("department", String(32), nullable=False),
    Column("exchanged", BigInteger, nullable=False),
    Column("payload_digest_version", Integer, nullable=False, server_default="1"),
)

ledger = Table(
    "exchange_ledger",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("sender", String(32), nullable=False),
    Column("receivers", Text, nullable=False),
    Column("subject", String(24), nullable=False),
    Column("record_count", BigInteger, nullable=False),
    Column("payload_digest", String(64), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("create_time", Moment, nullable=False),
    Column("department", String(32), nullable=False),
    Column("exchanged", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("payload_digest_version", Integer, nullable=False, server_default="1"),
    Column("previous_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index("ix_exchange_ledger_create_time", "create_time"),
    Index("ix_exchange_ledger_trace_id", "trace_id"),
)

# Secrets the hub keeps for itself, shared by every replica: the key of keyed ledger digests.
secrets = Table(
    "exchange_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", String(128), nullable=False),
)
