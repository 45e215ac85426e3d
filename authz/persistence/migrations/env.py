"""Alembic environment of authz's tables."""

from authz.persistence.tables import metadata
from govmesh.alembic_env import run

run(metadata)
