"""Builds and runs the gateway process: the one public port in front of every service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from govmesh.contracts.authz.v1 import authz_pb2
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.contracts.exchange.v1 import exchange_pb2
from govmesh.contracts.gateway.v1 import gateway_pb2
from govmesh.contracts.masters.v1 import masters_pb2
from govmesh.kernel.policy.snapshot import PolicySnapshot, policy_channel, start_snapshot
from govmesh.runtime import telemetry
from govmesh.runtime.certs import GATEWAY_NAME, CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.mtls import ServiceTLS, server_credentials
from govmesh.runtime.server import MeshServer
from govmesh.services.gateway.admission import Gate
from govmesh.services.gateway.authz_policy import GATEWAY_PRINCIPAL, SnapshotCallPolicy
from govmesh.services.gateway.domain.limits import Limiter, load_limits
from govmesh.services.gateway.domain.policy import AdmitEveryVerifiedPrincipal, CallPolicy
from govmesh.services.gateway.doors import GatewayServer
from govmesh.services.gateway.httpface.door import build_door
from govmesh.services.gateway.identity import CertificateIdentities, RevocationList, anonymous
from govmesh.services.gateway.local import ProbeGuard, own_service
from govmesh.services.gateway.metrics import CallMetrics
from govmesh.services.gateway.proxy import ForwardingHandler
from govmesh.services.gateway.servicer import GatewayServicer
from govmesh.services.gateway.upstreams import Upstream, Upstreams
from govmesh.services.gateway.usecases import GatewayQueries

log = logging.getLogger("govmesh.gateway")

CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
AUTHZ = authz_pb2.DESCRIPTOR.services_by_name["AuthzService"]
EXCHANGE = exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"]
MASTERS = masters_pb2.DESCRIPTOR.services_by_name["MastersService"]
GATEWAY = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"]
_PROBE_INTERVAL_SECONDS = 1.0


def address(settings: Settings) -> str:
    return f"{settings.gateway_host}:{settings.gateway_port}"


def tls_credentials(authority: CertificateAuthority) -> grpc.ServerCredentials:
    """Mutual TLS on the public port: the gateway's certificate, client certificates required from the hub's CA."""
    return server_credentials(authority, GATEWAY_NAME)


async def build(
    settings: Settings,
    upstreams: Mapping[str, Sequence[str]] | None = None,
    server_credentials: grpc.ServerCredentials | None = None,
    policy: CallPolicy | None = None,
) -> MeshServer:
    """A gateway forwarding each public service to its replicas (TLS per settings unless credentials are given).

    `policy` is the coarse check asked before every forwarded call. Without one, the gateway builds
    it from an authz policy snapshot when authz is among the upstreams, and otherwise lets every
    verified principal call (identity, revocation and limits are enforced either way).
    """
    authority = CertificateAuthority(settings.certs_dir)
    if server_credentials is None and settings.gateway_tls:
        server_credentials = tls_credentials(authority)
    revocations = _revocations(authority) if server_credentials is not None else None
    # The gateway's own certificate for its hops to the services: the one whose forwarded principal they believe.
    tls = ServiceTLS.of(settings, "gateway")
    limiter = Limiter(load_limits(settings.gateway_limits, max_message_bytes=settings.max_message_bytes))
    targets = _targets(settings, upstreams)
    snapshot: PolicySnapshot | None = None
    authz_link: grpc.aio.Channel | None = None
    if policy is None and "authz" in targets:
        # Where authz runs, the coarse check comes from its policy; the gateway opens only once
        # it holds a copy, so no call is ever let through on a missing policy.
        authz_link = policy_channel(targets["authz"], settings.max_message_bytes, tls)
        snapshot = await start_snapshot(authz_link, GATEWAY_PRINCIPAL)
        policy = SnapshotCallPolicy(snapshot)
    gate = Gate(
        CertificateIdentities() if server_credentials is not None else anonymous,
        policy or AdmitEveryVerifiedPrincipal(),
        limiter,
        revocations,
    )
    pool = Upstreams(tls)
    server = _serve_services(settings, gate, limiter, pool, targets, server_credentials)
    tasks = _start_background(settings, server, pool, revocations)

    async def close() -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await pool.close()
        if snapshot is not None:
            await snapshot.close()
        if authz_link is not None:
            await authz_link.close()

    server.on_stop(close)
    return server


def _revocations(authority: CertificateAuthority) -> RevocationList:
    """The hub's revocation list, read once now and followed while the gateway runs."""
    revocations = RevocationList(authority)
    revocations.reload_if_changed()
    return revocations


def _targets(settings: Settings, upstreams: Mapping[str, Sequence[str]] | None) -> dict[str, Sequence[str]]:
    """Each public service's replica addresses: the ones given, or else those of the settings."""
    return dict(
        upstreams
        or {
            "catalog": settings.catalog_upstreams(),
            "authz": settings.authz_upstreams(),
            "exchange": settings.exchange_upstreams(),
            "masters": settings.masters_upstreams(),
        }
    )


def _serve_services(
    settings: Settings,
    gate: Gate,
    limiter: Limiter,
    pool: Upstreams,
    targets: Mapping[str, Sequence[str]],
    server_credentials: grpc.ServerCredentials | None,
) -> GatewayServer:
    """The gateway's server: each targeted service forwarded through the gate, its own service, the HTTP door."""
    metrics = CallMetrics()
    forwarding = ForwardingHandler(gate, metrics, traced=telemetry.spans_exported())
    services = {"catalog": CATALOG, "authz": AUTHZ, "exchange": EXCHANGE, "masters": MASTERS}
    for key, descriptor in services.items():
        if key in targets:
            upstream = pool.add(descriptor.full_name, key, targets[key], settings.max_message_bytes)
            forwarding.add_service(descriptor, upstream)
    server = GatewayServer(
        "gateway",
        [*pool.by_service, GATEWAY.full_name],
        max_message_bytes=settings.max_message_bytes,
        interceptors=[ProbeGuard(gate)],
        credentials=server_credentials,
    )
    servicer = GatewayServicer(GatewayQueries(gate.policy, limiter, pool))
    server.grpc_server.add_generic_rpc_handlers((forwarding, own_service(servicer, GATEWAY, gate, metrics)))
    forwarded = {d: pool.by_service[d.full_name] for d in services.values() if d.full_name in pool.by_service}
    server.http = build_door(settings, gate, metrics, forwarded, (GATEWAY, servicer), traced=telemetry.spans_exported())
    return server


def _start_background(
    settings: Settings, server: MeshServer, pool: Upstreams, revocations: RevocationList | None
) -> list[asyncio.Task[None]]:
    """The gateway's background work: mirroring its upstreams' health and following revocations."""

    async def mirror_health(upstream: Upstream) -> None:
        """The gateway reports a public service SERVING only while one of its replicas is."""
        serving = (
            health_pb2.HealthCheckResponse.SERVING if upstream.serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await server.health.set(upstream.service, serving)

    background: list[Coroutine[Any, Any, None]] = [pool.follow(_PROBE_INTERVAL_SECONDS, mirror_health)]
    if revocations is not None:
        background.append(revocations.follow(settings.gateway_revocation_check_seconds))
    loop = asyncio.get_running_loop()
    return [loop.create_task(work) for work in background]
