"""Assembles the HTTP door from the gateway's own parts: its gate, metrics, upstream channels and servicer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor

from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.services.gateway.admission import Gate
from govmesh.services.gateway.httpface import openapi
from govmesh.services.gateway.httpface.routes import Doorkeeper, Endpoints
from govmesh.services.gateway.httpface.server import DoorApplication, HttpDoor, MeshApplication
from govmesh.services.gateway.httpface.transport import ServerTLS
from govmesh.services.gateway.metrics import CallMetrics
from govmesh.services.gateway.upstreams import Upstream


def build_door(
    settings: Settings,
    gate: Gate,
    metrics: CallMetrics,
    forwarded: Mapping[ServiceDescriptor, Upstream],
    own: tuple[ServiceDescriptor, Any],
    *,
    traced: bool,
) -> HttpDoor | None:
    """The door on GOVMESH_HTTP_PORT (None when it is negative), sharing the gRPC port's gate and limits.

    With TLS on (the default), it serves HTTPS and requires a client certificate from the hub's CA,
    as the gRPC port does; with GOVMESH_GATEWAY_TLS=false, plaintext where every caller is anonymous.
    """
    if settings.http_port < 0:
        return None
    keeper = Doorkeeper(gate, metrics, traced=traced)
    endpoints: Endpoints = {}
    for service, upstream in forwarded.items():
        endpoints.update(keeper.forwarding(service, upstream))
    own_service, servicer = own
    endpoints.update(keeper.answering(own_service, servicer))
    tls = ServerTLS(CertificateAuthority(settings.certs_dir)) if settings.gateway_tls else None
    schema = openapi.document([*forwarded, own_service])
    app = DoorApplication(MeshApplication(endpoints, settings.max_message_bytes, keeper.admittance), schema)
    return HttpDoor(app, settings.gateway_host, settings.http_port, tls, settings.shutdown_grace_seconds)
