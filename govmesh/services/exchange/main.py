"""Builds and runs the exchange service process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from govmesh.contracts.exchange.v1 import exchange_pb2, exchange_pb2_grpc
from govmesh.kernel.policy.snapshot import policy_channel, start_snapshot
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.mtls import ServiceTLS
from govmesh.runtime.periodic import BackgroundTasks
from govmesh.runtime.server import MeshServer
from govmesh.services.exchange import gauges, retention
from govmesh.services.exchange.authz_policy import EXCHANGE_PRINCIPAL, AuthzPolicy
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.masters_directory import MastersDirectory
from govmesh.services.exchange.mirror import CatalogMirror
from govmesh.services.exchange.persistence.ledger import LedgerStore
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.store import NOTIFY_CHANNEL, Store
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.servicer import ExchangeServicer
from govmesh.services.exchange.signals import Signals, listen
from govmesh.services.exchange.usecases import EXCHANGE_DOMAIN, Exchange, Stores

log = logging.getLogger("govmesh.exchange")

SERVICE_NAME = exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"].full_name
MIGRATIONS = str(Path(__file__).resolve().parent / "persistence" / "migrations")
CHAIN_SECONDS = 0.5
PRESENCE_REFRESH_SECONDS = 2.0
MAINTENANCE_SECONDS = 5.0


def address(settings: Settings) -> str:
    return f"{settings.host}:{settings.exchange_port}"


@dataclass
class Assembly:
    """A built exchange process: its server, its application service and its catalog copy."""

    server: MeshServer
    exchange: Exchange
    mirror: CatalogMirror


async def assemble(settings: Settings, database_url: str | None = None) -> Assembly:
    """A ready-to-start exchange: schema migrated, catalog and policy copied, background upkeep running."""
    url = database_url or settings.resolved_database_url()
    engine = make_engine(url)
    await asyncio.to_thread(migrate, engine, MIGRATIONS, "exchange_alembic_version")
    tls = ServiceTLS.of(settings, "exchange")
    mirror = CatalogMirror(settings.catalog_upstreams(), tls, settings.max_message_bytes)
    await mirror.load()
    mirror.start_watching()
    authz = policy_channel(settings.authz_upstreams(), settings.max_message_bytes, tls)
    snapshot = await start_snapshot(authz, EXCHANGE_PRINCIPAL)
    signals = Signals()
    policy = AuthzPolicy(snapshot, asyncio.get_running_loop())
    stores = await asyncio.to_thread(_stores, Store(engine))
    masters = MastersDirectory(settings.masters_upstreams(), tls)
    exchange = Exchange(stores, lambda: mirror.view, policy, signals, masters)
    gauges.watch(stores.ledger, exchange.upkeep)
    server = MeshServer(
        "exchange",
        [SERVICE_NAME],
        max_message_bytes=settings.max_message_bytes,
        error_domain=EXCHANGE_DOMAIN,
        tls=tls,
    )
    exchange_pb2_grpc.add_ExchangeServiceServicer_to_server(
        ExchangeServicer(exchange, policy.settle_denials), server.grpc_server
    )

    background = BackgroundTasks()
    background.every(CHAIN_SECONDS, "ledger chaining", lambda: exchange.ledger.chain_ledger(wait=False), at_once=True)
    background.every(PRESENCE_REFRESH_SECONDS, "presence refresh", exchange.upkeep.keep_alive, at_once=True)
    background.every(MAINTENANCE_SECONDS, "maintenance", exchange.upkeep.maintain, at_once=True)
    background.every(
        settings.exchange_retention_seconds, "retention", lambda: enforce_retention(stores.log, mirror), at_once=True
    )
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        background.start(listen(signals, libpq, NOTIFY_CHANNEL))

    async def stop_upkeep() -> None:
        await background.stop()
        await mirror.close()
        await snapshot.close()
        await authz.close()
        await masters.close()
        # The last exchanges staged before the stop reach the chain now rather than at the next start.
        with contextlib.suppress(Exception):
            await asyncio.to_thread(exchange.ledger.chain_ledger)
        engine.dispose()

    server.on_stop(stop_upkeep)
    return Assembly(server, exchange, mirror)


def _stores(store: Store) -> Stores:
    log = RecordLog(store)
    records = RecordCache()
    ledger = LedgerStore(store)
    return Stores(
        database=store,
        log=log,
        records=records,
        subscriptions=SubscriptionStore(store, log, records),
        requests=RequestStore(store),
        ledger=ledger,
        ledger_key=ledger.digest_key(),
    )


def enforce_retention(log_of_records: RecordLog, mirror: CatalogMirror) -> dict[str, int]:
    """One pass of retention over every subject the catalog gives one (the exchange's upkeep runs it)."""
    return retention.prune_expired(log_of_records, mirror.view.subjects, dt.datetime.now(dt.UTC))


async def build(settings: Settings, database_url: str | None = None) -> MeshServer:
    return (await assemble(settings, database_url)).server
