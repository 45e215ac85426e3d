"""Alembic environment of the warnings application's tables."""

from govmesh.apps.warnings.persistence.tables import metadata
from govmesh.runtime.alembic_env import run

run(metadata)
