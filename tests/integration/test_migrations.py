"""Each service's Alembic migrations build exactly the tables its code declares, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from govmesh.runtime.database import make_engine, migrate
from govmesh.services.authz.persistence.tables import metadata as authz_metadata
from govmesh.services.catalog.persistence.tables import metadata as catalog_metadata
from govmesh.services.exchange.persistence.tables import metadata as exchange_metadata
from govmesh.services.masters.persistence.tables import metadata as masters_metadata

ROOT = Path(__file__).resolve().parents[2] / "govmesh" / "services"

# (migrations directory, declared tables, the service's own version table)
SERVICES = [
    (ROOT / "catalog" / "persistence" / "migrations", catalog_metadata, "catalog_alembic_version"),
    (ROOT / "exchange" / "persistence" / "migrations", exchange_metadata, "exchange_alembic_version"),
    (ROOT / "authz" / "persistence" / "migrations", authz_metadata, "authz_alembic_version"),
    (ROOT / "masters" / "persistence" / "migrations", masters_metadata, "masters_alembic_version"),
]


@pytest.mark.parametrize(("migrations", "metadata", "version_table"), SERVICES)
def test_migrations_build_the_declared_tables(
    database_url: str, migrations: Path, metadata: MetaData, version_table: str
) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, str(migrations), version_table)
        migrate(engine, str(migrations), version_table)  # a second start finds nothing to do
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": version_table})
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        engine.dispose()
