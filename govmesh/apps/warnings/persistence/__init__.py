"""The warnings application's own tables, migrated with its own Alembic version table."""
