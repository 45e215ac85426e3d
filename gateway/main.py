"""Builds and runs the gateway process: the one public port in front of every service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from catalog.v1 import catalog_pb2
from gateway.identity import anonymous, principal_from_tls
from gateway.proxy import ForwardingHandler, upstream_channel
from govmesh.certs import GATEWAY_NAME, CertificateAuthority
from govmesh.config import Settings
from govmesh.server import MeshServer

log = logging.getLogger("govmesh.gateway")

CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]


def address(settings: Settings) -> str:
    return f"{settings.gateway_host}:{settings.gateway_port}"


def tls_credentials(settings: Settings) -> grpc.ServerCredentials:
    """Mutual TLS: the gateway's certificate, and client certificates required from the hub's CA."""
    authority = CertificateAuthority(settings.certs_dir)
    pair = authority.key_pair(GATEWAY_NAME)
    return grpc.ssl_server_credentials(
        [(pair.key, pair.cert)], root_certificates=authority.ca_pem(), require_client_auth=True
    )


async def build(
    settings: Settings,
    upstreams: Mapping[str, Sequence[str]] | None = None,
    server_credentials: grpc.ServerCredentials | None = None,
) -> MeshServer:
    """A gateway forwarding each public service to its replicas (TLS per settings unless credentials are given)."""
    if server_credentials is None and settings.gateway_tls:
        server_credentials = tls_credentials(settings)
    targets = dict(upstreams or {"catalog": settings.catalog_upstreams()})
    services = {"catalog": CATALOG}
    principal_of = principal_from_tls if server_credentials is not None else anonymous
    forwarding = ForwardingHandler(principal_of)
    channels: dict[str, grpc.aio.Channel] = {}
    for key, descriptor in services.items():
        if key in targets:
            channels[key] = upstream_channel(targets[key], settings.max_message_bytes)
            forwarding.add_service(descriptor, channels[key])
    public_names = [services[k].full_name for k in channels]
    server = MeshServer(
        "gateway",
        public_names,
        max_message_bytes=settings.max_message_bytes,
        interceptors=[],
        credentials=server_credentials,
    )
    server.grpc_server.add_generic_rpc_handlers((forwarding,))
    watcher = asyncio.get_running_loop().create_task(_mirror_upstream_health(server, services, channels))

    async def close() -> None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        for channel in channels.values():
            await channel.close()

    server.on_stop(close)
    return server


async def _mirror_upstream_health(
    server: MeshServer, services: Mapping[str, object], channels: Mapping[str, grpc.aio.Channel]
) -> None:
    """Reports each public service SERVING at the gateway only while an upstream replica is."""
    stubs = {key: health_pb2_grpc.HealthStub(channel) for key, channel in channels.items()}
    while True:
        for key, stub in stubs.items():
            name = services[key].full_name  # type: ignore[attr-defined]
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=1.0)
                status = reply.status
            except grpc.aio.AioRpcError:
                status = health_pb2.HealthCheckResponse.NOT_SERVING
            await server.health.set(name, status)
        await asyncio.sleep(2.0)
