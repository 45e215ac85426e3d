"""The catalog's tables; subject versions are immutable JSON documents, the rest points at them."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text

from govmesh.runtime.database import SerialId, service_metadata

metadata = service_metadata()

RevisionId = SerialId

departments = Table(
    "catalog_departments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("level", String(16), nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("groups", JSON, nullable=False),
)

subjects = Table(
    "catalog_subjects",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("provider", String(32), ForeignKey("catalog_departments.code"), nullable=False, index=True),
    Column("major", Integer, nullable=False),
    Column("minor", Integer, nullable=False),
    Column("deprecated", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

subject_versions = Table(
    "catalog_subject_versions",
    metadata,
    Column("subject_code", String(16), ForeignKey("catalog_subjects.code"), primary_key=True),
    Column("major", Integer, primary_key=True),
    Column("minor", Integer, primary_key=True),
    Column("document", JSON, nullable=False),
    Column("change", JSON, nullable=True),
    Column("author", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Makes an item code unique across the whole catalog, whichever replica writes it.
item_codes = Table(
    "catalog_item_codes",
    metadata,
    Column("code", String(24), primary_key=True),
    Column("subject_code", String(16), ForeignKey("catalog_subjects.code"), nullable=False, index=True),
)

changes = Table(
    "catalog_changes",
    metadata,
    Column("revision", RevisionId, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("principal", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject_code", String(16), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("change", JSON, nullable=True),
    Column("trace_id", String(32), nullable=False),
)
