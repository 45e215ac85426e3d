"""What a department backend imports: a channel to the gateway, authenticated by its certificate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_client_interceptors, client_interceptor, grpcext

from govmesh.certs import CertificateAuthority, client_cert_name
from govmesh.identity import Principal

DEFAULT_TARGET = "127.0.0.1:50051"

# Reads are idempotent, so the channel retries them on UNAVAILABLE (a replica or the gateway going
# away); writes are not retried by the channel: their callers decide.
_IDEMPOTENT_PREFIXES = ("Get", "List", "Search", "Validate", "Check", "BatchCheck", "Locate", "Verify", "WhoAmI")
READ_DEADLINE = "10s"
WRITE_DEADLINE = "30s"
_RETRY_POLICY = {
    "maxAttempts": 4,
    "initialBackoff": "0.1s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


@dataclass(frozen=True)
class MethodShape:
    """What the service config needs to know of a method: its name and whether either side streams."""

    name: str
    client_streaming: bool = False
    server_streaming: bool = False


def service_config(services: dict[str, list[MethodShape]]) -> str:
    """A gRPC service config: retries for idempotent methods and a default deadline for every unary call.

    Streams get no default deadline (a subscription or a watch is meant to stay open); idempotent
    ones are still retried, which gRPC does only until the first response arrives.
    """
    configs: list[dict[str, Any]] = []
    for service, methods in services.items():
        groups: dict[tuple[bool, bool], list[dict[str, str]]] = {}
        for method in methods:
            idempotent = method.name.startswith(_IDEMPOTENT_PREFIXES)
            unary = not method.client_streaming and not method.server_streaming
            groups.setdefault((idempotent, unary), []).append({"service": service, "method": method.name})
        for (idempotent, unary), names in sorted(groups.items()):
            config: dict[str, Any] = {"name": names}
            if unary:
                config["timeout"] = READ_DEADLINE if idempotent else WRITE_DEADLINE
            if idempotent:
                config["retryPolicy"] = _RETRY_POLICY
            if len(config) > 1:
                configs.append(config)
    return json.dumps({"methodConfig": configs})


@cache
def public_services() -> dict[str, list[MethodShape]]:
    """Every service a department reaches through the gateway, with its methods."""
    from authz.v1 import authz_pb2
    from catalog.v1 import catalog_pb2
    from exchange.v1 import exchange_pb2
    from gateway.v1 import gateway_pb2

    found: dict[str, list[MethodShape]] = {}
    for module in (catalog_pb2, authz_pb2, exchange_pb2, gateway_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = [
                MethodShape(m.name, m.client_streaming, m.server_streaming) for m in service.methods
            ]
    return found


def credentials(certs_dir: Path, identity: str) -> grpc.ChannelCredentials:
    """mTLS credentials of a principal (`department/AIC`) from a directory `govmesh certs` filled."""
    authority = CertificateAuthority(certs_dir)
    pair = authority.key_pair(client_cert_name(Principal.parse(identity)))
    return grpc.ssl_channel_credentials(
        root_certificates=authority.ca_pem(), private_key=pair.key, certificate_chain=pair.cert
    )


def _options() -> list[tuple[str, Any]]:
    return [("grpc.service_config", service_config(public_services())), ("grpc.enable_retries", 1)]


def connect(
    target: str = DEFAULT_TARGET,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path = ".govmesh/certs",
    insecure: bool = False,
) -> grpc.aio.Channel:
    """An asyncio channel to the gateway as `identity`, with retries, deadlines and tracing.

    Each call starts a client span and carries W3C trace context in its metadata, so the caller's
    trace continues through the gateway and the services behind it.
    """
    interceptors = aio_client_interceptors()  # type: ignore[no-untyped-call]
    if insecure:
        return grpc.aio.insecure_channel(target, options=_options(), interceptors=interceptors)
    return grpc.aio.secure_channel(
        target, credentials(Path(certs_dir), identity), options=_options(), interceptors=interceptors
    )


def connect_blocking(
    target: str = DEFAULT_TARGET,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path = ".govmesh/certs",
    insecure: bool = False,
) -> grpc.Channel:
    """The same channel for synchronous code (scripts, the CLI)."""
    if insecure:
        channel = grpc.insecure_channel(target, options=_options())
    else:
        channel = grpc.secure_channel(target, credentials(Path(certs_dir), identity), options=_options())
    # OpenTelemetry's synchronous interceptor has its own interface, applied by its own helper.
    traced: grpc.Channel = grpcext.intercept_channel(channel, client_interceptor())  # type: ignore[no-untyped-call]
    return traced


class Stubs:
    """One stub per public service on a channel: `Stubs(channel).catalog.GetSubject(…)`."""

    def __init__(self, channel: grpc.aio.Channel | grpc.Channel):
        from authz.v1 import authz_pb2_grpc
        from catalog.v1 import catalog_pb2_grpc
        from exchange.v1 import exchange_pb2_grpc
        from gateway.v1 import gateway_pb2_grpc

        self.catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        self.authz = authz_pb2_grpc.AuthzServiceStub(channel)
        self.exchange = exchange_pb2_grpc.ExchangeServiceStub(channel)
        self.gateway = gateway_pb2_grpc.GatewayServiceStub(channel)


def error_reason(error: grpc.RpcError) -> str:
    """The ErrorInfo reason of a failed call (`RATE_LIMITED`, `ROLE_REQUIRED`…), or an empty string."""
    for detail in _details(error):
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def retry_delay(error: grpc.RpcError) -> float | None:
    """Seconds the server asked the caller to wait before retrying (RetryInfo), or None if it did not say."""
    for detail in _details(error):
        info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            return float(info.retry_delay.ToNanoseconds()) / 1e9
    return None


def _details(error: grpc.RpcError) -> list[Any]:
    status = rpc_status.from_call(error)
    return list(status.details) if status is not None else []
