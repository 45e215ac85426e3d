"""Alembic environment of authz's tables."""

from govmesh.runtime.alembic_env import run
from govmesh.services.authz.persistence.tables import metadata

run(metadata)
