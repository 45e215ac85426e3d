"""Builds and runs the authz service process: the policy decision point, following the catalog and its own log."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from govmesh.contracts.authz.v1 import authz_pb2, authz_pb2_grpc
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.mtls import ServiceTLS
from govmesh.runtime.periodic import BackgroundTasks
from govmesh.runtime.server import MeshServer
from govmesh.runtime.signals import Signals
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.catalog_feed import CatalogFeed, catalog_channel
from govmesh.services.authz.servicer import POLICY_TOPIC, AuthzServicer
from govmesh.services.authz.usecases import ERROR_DOMAIN, Authz

log = logging.getLogger("govmesh.authz")

SERVICE_NAME = authz_pb2.DESCRIPTOR.services_by_name["AuthzService"].full_name
MIGRATIONS = str(Path(__file__).resolve().parent / "persistence" / "migrations")
# How long a first start waits for the catalog; with a stored copy of it, authz starts without.
CATALOG_WAIT_SECONDS = 60.0
# Denials are written in batches this often, off the decision path.
AUDIT_FLUSH_SECONDS = 0.2


def address(settings: Settings) -> str:
    return f"{settings.host}:{settings.authz_port}"


async def build(settings: Settings, database_url: str | None = None) -> MeshServer:
    """A ready-to-start authz server: schema migrated, policy loaded, catalog read, followers running."""
    engine = make_engine(database_url or settings.resolved_database_url())
    await asyncio.to_thread(migrate, engine, MIGRATIONS, "authz_alembic_version")
    signals = Signals(asyncio.get_running_loop())
    authz = Authz(Database(engine, service="authz"), on_change=lambda: signals.fire_from_thread(POLICY_TOPIC))
    await asyncio.to_thread(authz.start)
    tls = ServiceTLS.of(settings, "authz")
    channel = catalog_channel(settings.catalog_upstreams(), tls)
    feed = CatalogFeed(authz, channel)
    catalog_revision = await _first_catalog_read(feed, authz, settings)
    server = MeshServer(
        "authz", [SERVICE_NAME], max_message_bytes=settings.max_message_bytes, error_domain=ERROR_DOMAIN, tls=tls
    )
    authz_pb2_grpc.add_AuthzServiceServicer_to_server(AuthzServicer(authz, signals), server.grpc_server)
    background = BackgroundTasks()
    background.start(feed.follow(catalog_revision))
    # Other replicas' grant changes; this replica's own are applied as they commit.
    background.every(settings.authz_refresh_seconds, "policy refresh", authz.policy.refresh)
    background.every(settings.authz_expiry_sweep_seconds, "expiry sweep", authz.grants.expire_due)
    background.every(AUDIT_FLUSH_SECONDS, "audit write", authz.audit_queue.flush)

    async def stop_background_work() -> None:
        await background.stop()
        try:
            await asyncio.to_thread(authz.audit_queue.flush)
        except Exception:
            log.exception("the last audit entries could not be written")
        await channel.close()
        engine.dispose()

    server.on_stop(stop_background_work)
    # The policy, the modules and everything else loaded so far live as long as the process: frozen,
    # the cyclic collector stops walking them, so its full collections cost milliseconds instead of
    # tens of milliseconds on the decision path (objects are still freed by reference counting).
    gc.collect()
    gc.freeze()
    return server


async def _first_catalog_read(feed: CatalogFeed, authz: Authz, settings: Settings) -> int:
    try:
        return await asyncio.wait_for(feed.load_until_done(), timeout=CATALOG_WAIT_SECONDS)
    except TimeoutError:
        if not authz.policy.snapshot().items:
            raise RuntimeError(
                f"the catalog at {', '.join(settings.catalog_upstreams())} did not answer within "
                f"{CATALOG_WAIT_SECONDS:.0f}s, and authz has no stored copy of it to decide from"
            ) from None
        log.warning(
            "catalog unreachable; deciding from the stored copy at catalog revision %d", authz.policy.catalog_revision
        )
        return authz.policy.catalog_revision
