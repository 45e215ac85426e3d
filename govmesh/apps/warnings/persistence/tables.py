"""The warnings application's tables: facts it received, warnings, reminders and the outbox.

Facts carry an integer day (days since 1970-01-01), so a rule's "within N days" is the same integer
comparison on SQLite and PostgreSQL, and every rule is one query over these tables.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from govmesh.apps.notifier.outbox import outbox_table
from govmesh.runtime.database import SerialId, service_metadata

metadata = service_metadata()
VERSION_TABLE = "warnings_alembic_version"

facts = Table(
    "warnings_facts",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("entity_key", String(64), nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("event_day", Integer, nullable=False),
    Column("subject", String(16), nullable=False),
    Column("publisher", String(32), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("phone", String(20), nullable=False),
    UniqueConstraint("record_id", "kind", name="uq_warnings_facts_record_kind"),
    Index("ix_warnings_facts_kind_entity", "kind", "entity_key", "event_day"),
    Index("ix_warnings_facts_kind_day", "kind", "event_day"),
)

warnings = Table(
    "warnings_warnings",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("number", String(30), nullable=False),
    Column("rule", String(63), nullable=False),
    Column("entity_key", String(64), nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("name", String(200), nullable=False),
    Column("event_day", Integer, nullable=False),
    Column("raised_day", Integer, nullable=False),
    Column("missing", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("state", String(8), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("note", Text, nullable=False),
    Column("closed_by", String(64), nullable=False),
    Column("closed_day", Integer, nullable=True),
    Column("reminded_day", Integer, nullable=True),
    Column("published_version", Integer, nullable=False),
    UniqueConstraint("rule", "entity_key", name="uq_warnings_warnings_rule_entity"),
    Index("ix_warnings_warnings_state", "state", "rule"),
)

reminders = Table(
    "warnings_reminders",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("rule", String(63), nullable=False),
    Column("entity_key", String(64), nullable=False),
    Column("created_day", Integer, nullable=False),
    Column("outbox_id", Integer, nullable=True),
    UniqueConstraint("rule", "entity_key", name="uq_warnings_reminders_rule_entity"),
)

outbox = outbox_table(metadata, "warnings_outbox")
