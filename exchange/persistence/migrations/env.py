"""Alembic environment of the exchange's tables."""

from exchange.persistence.tables import metadata
from govmesh.alembic_env import run

run(metadata)
