"""Authz's tables: the catalog facts it decides on, grants and their history, the policy log and the audit log."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from govmesh.runtime.database import SerialId, service_metadata

metadata = service_metadata()


# Authz's own copy of the catalog facts decisions depend on, kept by following the catalog: it lets
# authz decide while the catalog is away, and makes every item change a policy revision.
items = Table(
    "authz_items",
    metadata,
    Column("item", String(24), primary_key=True),
    Column("subject", String(16), nullable=False, index=True),
    Column("provider", String(32), nullable=False),
    Column("sharing_type", String(16), nullable=False),
    Column("deprecated", Boolean, nullable=False),
    Column("removed", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

departments = Table(
    "authz_departments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("groups", JSON, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row: the catalog revision the copy above reflects.
catalog_sync = Table(
    "authz_catalog_sync",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("catalog_revision", BigInteger, nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

grants = Table(
    "authz_grants",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("subject", String(16), nullable=False, index=True),
    Column("provider", String(32), nullable=False, index=True),
    Column("items", JSON, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("consumer_departments", JSON, nullable=False),
    Column("consumer_groups", JSON, nullable=False),
    Column("actions", JSON, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=True),
    Column("end_time", DateTime(timezone=True), nullable=False),
    Column("row_scope", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("applicant", String(100), nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decision_reason", Text, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Column("revision", BigInteger, nullable=False),
    # The caller's id for an application: a retry with the same id finds the first grant.
    Column("request_id", String(100), nullable=True),
    UniqueConstraint("applicant", "request_id", name="uq_authz_grants_applicant_request_id"),
)

grant_history = Table(
    "authz_grant_history",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("grant_id", SerialId, ForeignKey("authz_grants.id"), nullable=False, index=True),
    Column("event", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("principal", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("trace_id", String(32), nullable=False),
)

# The policy log: one row per revision, holding the new state of what changed. Revisions are given
# out under a lock as max + 1, so they commit in order and a watcher never skips one.
policy_changes = Table(
    "authz_policy_changes",
    metadata,
    Column("revision", BigInteger, primary_key=True, autoincrement=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(100), nullable=False),
    Column("document", JSON, nullable=False),
    Column("trace_id", String(32), nullable=False),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE on both backends.
audit_entries = Table(
    "authz_audit_entries",
    metadata,
    Column("sequence", SerialId, primary_key=True, autoincrement=True),
    Column("create_time", DateTime(timezone=True), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("principal", String(100), nullable=False, index=True),
    Column("action", String(24), nullable=False),
    Column("object", String(200), nullable=False),
    Column("subject", String(16), nullable=False, index=True),
    Column("items", JSON, nullable=False),
    Column("decision", String(8), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("grant_id", BigInteger, nullable=True, index=True),
    Column("policy_revision", BigInteger, nullable=False),
    Column("trace_id", String(32), nullable=False, index=True),
    Column("recorded_by", String(100), nullable=False),
    Column("message", Text, nullable=False),
)

Index("ix_authz_grants_end_time_state", grants.c.end_time, grants.c.state)
