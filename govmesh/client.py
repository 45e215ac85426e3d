"""What a department backend imports: a channel to the gateway, authenticated by its certificate."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_client_interceptors, client_interceptor, grpcext


def default_target() -> str:
    """The gateway `govmesh up` runs: GOVMESH_GATEWAY_HOST and GOVMESH_GATEWAY_PORT, as the mesh reads them."""
    host = os.environ.get("GOVMESH_GATEWAY_HOST", "127.0.0.1")
    return f"{host}:{os.environ.get('GOVMESH_GATEWAY_PORT', '50051')}"


def default_certs_dir() -> Path:
    """`<GOVMESH_DATA_DIR>/certs`, the directory `govmesh up` and `govmesh certs` fill (`.govmesh/certs`)."""
    return Path(os.environ.get("GOVMESH_DATA_DIR", ".govmesh")) / "certs"


class MissingCertificate(FileNotFoundError):
    """A principal's certificate, key or the hub's CA is not where the client looked."""


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
    from govmesh.contracts.authz.v1 import authz_pb2
    from govmesh.contracts.catalog.v1 import catalog_pb2
    from govmesh.contracts.exchange.v1 import exchange_pb2
    from govmesh.contracts.gateway.v1 import gateway_pb2

    found: dict[str, list[MethodShape]] = {}
    for module in (catalog_pb2, authz_pb2, exchange_pb2, gateway_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = [
                MethodShape(m.name, m.client_streaming, m.server_streaming) for m in service.methods
            ]
    return found


def credentials(certs_dir: Path, identity: str) -> grpc.ChannelCredentials:
    """mTLS credentials of a principal (`department/AIC`) from a directory `govmesh certs` filled.

    The files are `ca.pem` and `<kind>-<code>.pem` / `.key`; this library reads them itself so that
    a department backend needs nothing of the servers' code.
    """
    kind, sep, code = identity.partition("/")
    if not sep or not kind or not code or "/" in code:
        raise ValueError(f"identity {identity!r} is not kind/code, e.g. department/LTAX")
    files = {name: certs_dir / name for name in ("ca.pem", f"{kind}-{code}.pem", f"{kind}-{code}.key")}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise MissingCertificate(
            f"no certificate for {identity}: {', '.join(missing)} not found "
            f"(start the mesh with `govmesh up`, or issue one with `govmesh certs issue {identity}`)"
        )
    ca, cert, key = (path.read_bytes() for path in files.values())
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)


def _options() -> list[tuple[str, Any]]:
    return [("grpc.service_config", service_config(public_services())), ("grpc.enable_retries", 1)]


def connect(
    target: str | None = None,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path | None = None,
    insecure: bool = False,
) -> grpc.aio.Channel:
    """An asyncio channel to the gateway as `identity`, with retries, deadlines and tracing.

    Each call starts a client span and carries W3C trace context in its metadata, so the caller's
    trace continues through the gateway and the services behind it.
    """
    interceptors = aio_client_interceptors()  # type: ignore[no-untyped-call]
    target = target or default_target()
    if insecure:
        return grpc.aio.insecure_channel(target, options=_options(), interceptors=interceptors)
    creds = credentials(Path(certs_dir) if certs_dir else default_certs_dir(), identity)
    return grpc.aio.secure_channel(target, creds, options=_options(), interceptors=interceptors)


def connect_blocking(
    target: str | None = None,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path | None = None,
    insecure: bool = False,
) -> grpc.Channel:
    """The same channel for synchronous code (scripts, the CLI)."""
    target = target or default_target()
    if insecure:
        channel = grpc.insecure_channel(target, options=_options())
    else:
        creds = credentials(Path(certs_dir) if certs_dir else default_certs_dir(), identity)
        channel = grpc.secure_channel(target, creds, options=_options())
    # OpenTelemetry's synchronous interceptor has its own interface, applied by its own helper.
    traced: grpc.Channel = grpcext.intercept_channel(channel, client_interceptor())  # type: ignore[no-untyped-call]
    return traced


class Stubs:
    """One stub per public service on a channel: `Stubs(channel).catalog.GetSubject(…)`."""

    def __init__(self, channel: grpc.aio.Channel | grpc.Channel):
        from govmesh.contracts.authz.v1 import authz_pb2_grpc
        from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
        from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
        from govmesh.contracts.gateway.v1 import gateway_pb2_grpc

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
