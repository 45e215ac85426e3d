"""The masters service's tables: linked department records, master records, the review queue, events and audit."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Float, Index, String, Table, Text

from govmesh.runtime.database import SerialId, service_metadata

metadata = service_metadata()

# One row per department record: what it said (the linking fields, and the items as delivered),
# where it is linked and the evidence of that link.
records = Table(
    "masters_records",
    metadata,
    Column("department", String(32), primary_key=True),
    Column("record_key", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("subject", String(16), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("items", JSON, nullable=False),
    Column("master_id", String(32), nullable=False, index=True),
    Column("method", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("agreed", JSON, nullable=False),
    Column("disagreed", JSON, nullable=False),
    Column("invalid_identifier", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per master record; `published_version` trails `version` until the exchange has it, so
# a change is published at least once even across a crash between commit and publish.
masters = Table(
    "masters_masters",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("published_version", BigInteger, nullable=False),
    Column("retired", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The master that absorbed this one in a merge: published with the retired id so the id leads there.
    Column("merged_into", String(32), nullable=True),
    Index("ix_masters_masters_unpublished", "published_version", "version"),
)

reviews = Table(
    "masters_reviews",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("department", String(32), nullable=False),
    Column("record_key", String(128), nullable=False),
    Column("current_master", String(32), nullable=False),
    Column("proposed_master", String(32), nullable=False),
    Column("method", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("agreed", JSON, nullable=False),
    Column("disagreed", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
)

# Every version of every department record as it arrived: the lifecycle view reads these.
events = Table(
    "masters_events",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("department", String(32), nullable=False),
    Column("record_key", String(128), nullable=False),
    Column("subject", String(16), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("items", JSON, nullable=False),
    Index("ix_masters_events_record", "department", "record_key"),
)

# Who decided what about which master records: review decisions, splits and merges.
audit = Table(
    "masters_audit",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("master_ids", JSON, nullable=False),
    Column("detail", Text, nullable=False),
)
