"""Builds and runs the masters service process: linking what the exchange delivers, publishing master records."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import grpc

from govmesh.contracts.masters.v1 import masters_pb2, masters_pb2_grpc
from govmesh.kernel.policy.model import AccessQuery, Action
from govmesh.kernel.policy.snapshot import PolicySnapshot, policy_channel, start_snapshot
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.identity import Principal
from govmesh.runtime.mtls import ServiceTLS
from govmesh.runtime.server import MeshServer
from govmesh.runtime.unit_of_work import Database
from govmesh.services.masters.domain.subjects import SubjectFields
from govmesh.services.masters.feed import ExchangeFeed, follow_all, read_subjects, subject_filter
from govmesh.services.masters.persistence.store import Store
from govmesh.services.masters.queries import Queries
from govmesh.services.masters.servicer import MastersServicer
from govmesh.services.masters.trained import load_models
from govmesh.services.masters.usecases import ERROR_DOMAIN, Masters

log = logging.getLogger("govmesh.masters")

SERVICE_NAME = masters_pb2.DESCRIPTOR.services_by_name["MastersService"].full_name
MIGRATIONS = str(Path(__file__).resolve().parent / "persistence" / "migrations")
MASTERS_PRINCIPAL = Principal("service", "masters")
CATALOG_WAIT_SECONDS = 60.0
PUBLISH_SECONDS = 1.0


def address(settings: Settings) -> str:
    return f"{settings.host}:{settings.masters_port}"


def _channel(tls: ServiceTLS, service: str, addresses: list[str], max_message_bytes: int) -> grpc.aio.Channel:
    config: dict[str, object] = {"loadBalancingConfig": [{"round_robin": {}}]}
    return tls.channel(
        addresses,
        service,
        [
            ("grpc.service_config", json.dumps(config)),
            ("grpc.max_receive_message_length", max(max_message_bytes, 64 * 1024 * 1024)),
        ],
    )


def _as_department(tls: ServiceTLS, code: str) -> ServiceTLS:
    """The certificate of the department the service acts for in the exchange: its identity there."""
    acting = ServiceTLS(tls.authority, Principal("department", code), tls.revocation_check_seconds)
    if not acting.authority.has(acting.name):
        raise RuntimeError(
            f"masters acts for department/{code} in the exchange and needs its certificate "
            f"{acting.authority.path(acting.name, 'pem')}: `govmesh up` issues one per department, or run "
            f"`govmesh certs issue department/{code}`"
        )
    return acting


class PolicyVisibility:
    """Which items a department may read, from the authz policy copy the service keeps."""

    def __init__(self, snapshot: PolicySnapshot):
        self.snapshot = snapshot

    def readable_items(self, department: str, subject: str) -> frozenset[str]:
        decision = self.snapshot.check(AccessQuery("department", department, Action.READ, subject))
        return frozenset(item.item for item in decision.items if item.allowed)


@dataclass
class Assembly:
    """A built masters process: its server and its application services."""

    server: MeshServer
    masters: Masters
    feed: ExchangeFeed


async def _subjects(channel: grpc.aio.Channel, settings: Settings) -> dict[str, SubjectFields]:
    wanted = subject_filter(settings.masters_subjects.split(","))
    deadline = asyncio.get_running_loop().time() + CATALOG_WAIT_SECONDS
    while True:
        try:
            return await read_subjects(channel, wanted)
        except grpc.aio.AioRpcError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def assemble(settings: Settings, database_url: str | None = None) -> Assembly:
    """A ready-to-start masters service: schema migrated, index loaded, catalog read, exchange followed."""
    engine = make_engine(database_url or settings.resolved_database_url())
    await asyncio.to_thread(migrate, engine, MIGRATIONS, "masters_alembic_version")
    store = Store(Database(engine, service="masters"))
    trained = load_models(Path(settings.masters_model) if settings.masters_model else None)
    log.info("linking with model version %d (%s)", trained.version, trained.trained_on)
    masters = await asyncio.to_thread(Masters, store, models=trained.models)
    tls = ServiceTLS.of(settings, "masters")
    catalog = _channel(tls, "catalog", settings.catalog_upstreams(), settings.max_message_bytes)
    subjects = await _subjects(catalog, settings)
    authz = policy_channel(settings.authz_upstreams(), settings.max_message_bytes, tls)
    snapshot = await start_snapshot(authz, MASTERS_PRINCIPAL)
    # In the exchange the service is the department it acts for, by that department's certificate.
    acting = _as_department(tls, settings.masters_department)
    exchange = _channel(acting, "exchange", settings.exchange_upstreams(), settings.max_message_bytes)
    feed = ExchangeFeed(masters, exchange, settings.masters_department)
    queries = Queries(store, PolicyVisibility(snapshot), lambda: subjects)
    server = MeshServer(
        "masters", [SERVICE_NAME], max_message_bytes=settings.max_message_bytes, error_domain=ERROR_DOMAIN, tls=tls
    )
    masters_pb2_grpc.add_MastersServiceServicer_to_server(
        MastersServicer(masters, queries, feed.changed.set), server.grpc_server
    )
    tasks = [*follow_all(feed, subjects), asyncio.get_running_loop().create_task(feed.publish_changes(PUBLISH_SECONDS))]

    async def stop_background_work() -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await snapshot.close()
        for channel in (catalog, authz, exchange):
            await channel.close()
        engine.dispose()

    server.on_stop(stop_background_work)
    return Assembly(server, masters, feed)


async def build(settings: Settings, database_url: str | None = None) -> MeshServer:
    return (await assemble(settings, database_url)).server
