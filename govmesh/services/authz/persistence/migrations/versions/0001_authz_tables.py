"""Creates authz's tables, and the triggers that keep the audit log append-only.

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

_POSTGRESQL_APPEND_ONLY = """
CREATE FUNCTION authz_audit_entries_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER authz_audit_entries_no_update BEFORE UPDATE OR DELETE ON authz_audit_entries
  FOR EACH ROW EXECUTE FUNCTION authz_audit_entries_append_only();
"""

_SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER authz_audit_entries_no_update BEFORE UPDATE ON authz_audit_entries
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER authz_audit_entries_no_delete BEFORE DELETE ON authz_audit_entries
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]


def upgrade() -> None:
    op.create_table(
        "authz_items",
        sa.Column("item", sa.String(24), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("sharing_type", sa.String(16), nullable=False),
        sa.Column("deprecated", sa.Boolean, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item", name="pk_authz_items"),
    )
    op.create_index("ix_authz_items_subject", "authz_items", ["subject"])
    op.create_table(
        "authz_departments",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("groups", sa.JSON, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_authz_departments"),
    )
    op.create_table(
        "authz_catalog_sync",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("catalog_revision", sa.BigInteger, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_authz_catalog_sync"),
    )
    op.create_table(
        "authz_grants",
        sa.Column("id", _SERIAL_ID, nullable=False, autoincrement=True),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("consumer_departments", sa.JSON, nullable=False),
        sa.Column("consumer_groups", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_scope", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("applicant", sa.String(100), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decision_reason", sa.Text, nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_authz_grants"),
        sa.UniqueConstraint("applicant", "request_id", name="uq_authz_grants_applicant_request_id"),
    )
    op.create_index("ix_authz_grants_subject", "authz_grants", ["subject"])
    op.create_index("ix_authz_grants_provider", "authz_grants", ["provider"])
    op.create_index("ix_authz_grants_state", "authz_grants", ["state"])
    op.create_index("ix_authz_grants_end_time_state", "authz_grants", ["end_time", "state"])
    op.create_table(
        "authz_grant_history",
        sa.Column("id", _SERIAL_ID, nullable=False, autoincrement=True),
        sa.Column("grant_id", _SERIAL_ID, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_authz_grant_history"),
        sa.ForeignKeyConstraint(["grant_id"], ["authz_grants.id"], name="fk_authz_grant_history_grant_id_authz_grants"),
    )
    op.create_index("ix_authz_grant_history_grant_id", "authz_grant_history", ["grant_id"])
    op.create_table(
        "authz_policy_changes",
        sa.Column("revision", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("revision", name="pk_authz_policy_changes"),
    )
    op.create_table(
        "authz_audit_entries",
        sa.Column("sequence", _SERIAL_ID, nullable=False, autoincrement=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("object", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("grant_id", sa.BigInteger, nullable=True),
        sa.Column("policy_revision", sa.BigInteger, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_authz_audit_entries"),
    )
    for column in ("create_time", "principal", "subject", "grant_id", "trace_id"):
        op.create_index(f"ix_authz_audit_entries_{column}", "authz_audit_entries", [column])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER authz_audit_entries_no_update ON authz_audit_entries")
        op.execute("DROP FUNCTION authz_audit_entries_append_only()")
    for table in (
        "authz_audit_entries",
        "authz_policy_changes",
        "authz_grant_history",
        "authz_grants",
        "authz_catalog_sync",
        "authz_departments",
        "authz_items",
    ):
        op.drop_table(table)
