"""Where the catalog keeps its state: SQLAlchemy tables, the repository, Alembic migrations."""
