"""Alembic environment of the catalog's tables."""

from govmesh.runtime.alembic_env import run
from govmesh.services.catalog.persistence.tables import metadata

run(metadata)
