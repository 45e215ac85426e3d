"""Alembic environment of the exchange's tables."""

from govmesh.runtime.alembic_env import run
from govmesh.services.exchange.persistence.tables import metadata

run(metadata)
