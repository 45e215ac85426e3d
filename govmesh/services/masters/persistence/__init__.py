"""Where the masters service keeps its state: SQLAlchemy tables, the store, Alembic migrations."""
