"""Where authz keeps its state: SQLAlchemy tables, the repository, Alembic migrations."""
