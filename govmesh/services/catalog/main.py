"""Builds and runs the catalog service process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from govmesh.contracts.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.mtls import ServiceTLS
from govmesh.runtime.server import MeshServer
from govmesh.runtime.signals import Signals
from govmesh.runtime.unit_of_work import Database
from govmesh.services.catalog.persistence.repository import CatalogRepository
from govmesh.services.catalog.servicer import CATALOG_TOPIC, CatalogServicer
from govmesh.services.catalog.usecases import Catalog

log = logging.getLogger("govmesh.catalog")

SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
MIGRATIONS = str(Path(__file__).resolve().parent / "persistence" / "migrations")


def address(settings: Settings) -> str:
    return f"{settings.host}:{settings.catalog_port}"


async def build(settings: Settings, database_url: str | None = None) -> MeshServer:
    """A ready-to-start catalog server: schema migrated, seed loaded, view built, refresher running."""
    engine = make_engine(database_url or settings.resolved_database_url())
    await asyncio.to_thread(migrate, engine, MIGRATIONS, "catalog_alembic_version")
    database = Database(engine, service="catalog")
    catalog = Catalog(database, CatalogRepository(database))
    await asyncio.to_thread(catalog.start)
    signals = Signals()
    server = MeshServer(
        "catalog", [SERVICE_NAME], max_message_bytes=settings.max_message_bytes, tls=ServiceTLS.of(settings, "catalog")
    )
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(catalog, signals), server.grpc_server)

    async def follow_other_replicas() -> None:
        while True:
            await asyncio.sleep(settings.catalog_refresh_seconds)
            try:
                if await asyncio.to_thread(catalog.refresh):
                    signals.fire(CATALOG_TOPIC)
            except Exception:  # a database restart must not stop the refresher; it retries next tick
                log.warning("catalog refresh failed; retrying", exc_info=True)

    refresher = asyncio.get_running_loop().create_task(follow_other_replicas())

    async def stop_refresher() -> None:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        engine.dispose()

    server.on_stop(stop_refresher)
    return server
