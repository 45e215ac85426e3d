"""What a department backend imports: a channel to the gateway, authenticated by its certificate."""

from __future__ import annotations

import json
from pathlib import Path

import grpc

from govmesh.certs import CertificateAuthority, client_cert_name
from govmesh.identity import Principal

DEFAULT_TARGET = "127.0.0.1:50051"

# Reads are idempotent, so the channel retries them on UNAVAILABLE (a replica going away);
# writes are not retried by the channel: their callers decide.
_IDEMPOTENT_PREFIXES = ("Get", "List", "Search", "Validate")


def service_config(services: dict[str, list[str]]) -> str:
    """A gRPC service config: retries for idempotent methods and a default deadline for every call."""
    configs = []
    for service, methods in services.items():
        idempotent = [{"service": service, "method": m} for m in methods if m.startswith(_IDEMPOTENT_PREFIXES)]
        if idempotent:
            configs.append(
                {
                    "name": idempotent,
                    "timeout": "10s",
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            )
    return json.dumps({"methodConfig": configs})


def _public_services() -> dict[str, list[str]]:
    from catalog.v1 import catalog_pb2

    found: dict[str, list[str]] = {}
    for module in (catalog_pb2,):
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = [m.name for m in service.methods]
    return found


def credentials(certs_dir: Path, identity: str) -> grpc.ChannelCredentials:
    """mTLS credentials of a principal (`department/AIC`) from a directory `govmesh certs` filled."""
    authority = CertificateAuthority(certs_dir)
    pair = authority.key_pair(client_cert_name(Principal.parse(identity)))
    return grpc.ssl_channel_credentials(
        root_certificates=authority.ca_pem(), private_key=pair.key, certificate_chain=pair.cert
    )


def connect(
    target: str = DEFAULT_TARGET,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path = ".govmesh/certs",
    insecure: bool = False,
) -> grpc.aio.Channel:
    """An asyncio channel to the gateway as `identity`, with retries and deadlines configured."""
    options = [("grpc.service_config", service_config(_public_services())), ("grpc.enable_retries", 1)]
    if insecure:
        return grpc.aio.insecure_channel(target, options=options)
    return grpc.aio.secure_channel(target, credentials(Path(certs_dir), identity), options=options)


def connect_blocking(
    target: str = DEFAULT_TARGET,
    *,
    identity: str = "department/AIC",
    certs_dir: str | Path = ".govmesh/certs",
    insecure: bool = False,
) -> grpc.Channel:
    """The same channel for synchronous code (scripts, the CLI)."""
    options = [("grpc.service_config", service_config(_public_services())), ("grpc.enable_retries", 1)]
    if insecure:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, credentials(Path(certs_dir), identity), options=options)
