"""Alembic environment of the catalog's tables."""

from catalog.persistence.tables import metadata
from govmesh.alembic_env import run

run(metadata)
