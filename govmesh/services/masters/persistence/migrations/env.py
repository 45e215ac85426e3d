"""Alembic environment of the masters service's tables."""

from govmesh.runtime.alembic_env import run
from govmesh.services.masters.persistence.tables import metadata

run(metadata)
