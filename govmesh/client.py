"""What a department backend imports: a channel to the gateway, authenticated by its certificate."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_client_interceptors, client_interceptor, grpcext

if TYPE_CHECKING:
    from govmesh.contracts.authz.v1 import authz_pb2


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
    from govmesh.contracts.masters.v1 import masters_pb2

    found: dict[str, list[MethodShape]] = {}
    for module in (catalog_pb2, authz_pb2, exchange_pb2, masters_pb2, gateway_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = [
                MethodShape(m.name, m.client_streaming, m.server_streaming) for m in service.methods
            ]
    return found


def credentials(certs_dir: Path, identity: str, certificate: str = "") -> grpc.ChannelCredentials:
    """mTLS credentials of a principal (`department/AIC`) from a directory `govmesh certs` filled.

    The files are `ca.pem` and `<kind>-<code>.pem` / `.key` (or `<certificate>.pem` / `.key`, a
    certificate of the principal's held by one program); this library reads them itself so that a
    department backend needs nothing of the servers' code.
    """
    kind, sep, code = identity.partition("/")
    if not sep or not kind or not code or "/" in code:
        raise ValueError(f"identity {identity!r} is not kind/code, e.g. department/LTAX")
    stem = certificate or f"{kind}-{code}"
    files = {name: certs_dir / name for name in ("ca.pem", f"{stem}.pem", f"{stem}.key")}
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
    certificate: str = "",
) -> grpc.aio.Channel:
    """An asyncio channel to the gateway as `identity`, with retries, deadlines and tracing.

    Each call starts a client span and carries W3C trace context in its metadata, so the caller's
    trace continues through the gateway and the services behind it. `certificate` names the files
    of a certificate of the identity's own to a program (`application-warnings`), if not its usual.
    """
    interceptors = aio_client_interceptors()  # type: ignore[no-untyped-call]
    target = target or default_target()
    if insecure:
        return grpc.aio.insecure_channel(target, options=_options(), interceptors=interceptors)
    creds = credentials(Path(certs_dir) if certs_dir else default_certs_dir(), identity, certificate)
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
        from govmesh.contracts.masters.v1 import masters_pb2_grpc

        self.catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        self.authz = authz_pb2_grpc.AuthzServiceStub(channel)
        self.exchange = exchange_pb2_grpc.ExchangeServiceStub(channel)
        self.masters = masters_pb2_grpc.MastersServiceStub(channel)
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


def error_details(error: grpc.RpcError) -> tuple[str, list[str]]:
    """The ErrorInfo reason of a failed call and its field and precondition violations, as lines to show."""
    reason, lines = "", []
    for detail in _details(error):
        bad, pre, info = (
            error_details_pb2.BadRequest(),
            error_details_pb2.PreconditionFailure(),
            error_details_pb2.ErrorInfo(),
        )
        if detail.Unpack(bad):
            lines += [f"{v.field}: {v.description}" for v in bad.field_violations]
        elif detail.Unpack(pre):
            lines += [f"{v.type} {v.subject}: {v.description}" for v in pre.violations]
        elif detail.Unpack(info):
            reason = str(info.reason)
    return reason, lines


def _details(error: grpc.RpcError) -> list[Any]:
    status = rpc_status.from_call(error)
    return list(status.details) if status is not None else []


def enum_label(enum_type: Any, number: int) -> str:
    """`GRANT_STATE_APPROVED` → `approved`, `SHARING_TYPE_NOT_SHARED` → `not_shared`; unspecified → ``."""
    prefix = enum_type.keys()[0].removesuffix("UNSPECIFIED")
    return "" if number == 0 else str(enum_type.Name(number)).removeprefix(prefix).lower()


AUDIT_COLUMNS = (
    "sequence",
    "time",
    "kind",
    "principal",
    "action",
    "object",
    "subject",
    "items",
    "decision",
    "reason",
    "grant",
    "policy_revision",
    "trace_id",
    "recorded_by",
    "message",
)


def audit_record(entry: authz_pb2.AuditEntry) -> dict[str, Any]:
    """One audit entry as a flat record, the same for CSV and JSON Lines (the CLI's and the console's)."""
    from govmesh.contracts.authz.v1 import authz_pb2 as pb

    return {
        "sequence": entry.sequence,
        "time": entry.create_time.ToDatetime(tzinfo=UTC).isoformat(),
        "kind": enum_label(pb.AuditEntryKind, entry.kind),
        "principal": entry.principal,
        "action": enum_label(pb.Action, entry.action),
        "object": entry.object,
        "subject": entry.subject,
        "items": list(entry.items),
        "decision": enum_label(pb.Decision, entry.decision),
        "reason": enum_label(pb.ReasonCode, entry.reason),
        "grant": entry.grant,
        "policy_revision": entry.policy_revision,
        "trace_id": entry.trace_id,
        "recorded_by": entry.recorded_by,
        "message": entry.message,
    }


def write_audit(entries: list[authz_pb2.AuditEntry], output_format: str, out: TextIO) -> None:
    """Audit entries as CSV (a header, then one row each) or as JSON Lines."""
    if output_format == "jsonl":
        for entry in entries:
            out.write(json.dumps(audit_record(entry), ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=AUDIT_COLUMNS)
    writer.writeheader()
    for entry in entries:
        record = audit_record(entry)
        writer.writerow({**record, "items": " ".join(record["items"])})


def grant_application(
    subject_code: str,
    items: list[str],
    *,
    consumers: list[str],
    groups: list[str],
    purpose: str,
    legal_basis: str,
    end: datetime,
    start: datetime | None = None,
    actions: list[int] | None = None,
    divisions: list[str] | None = None,
    entity_keys: list[str] | None = None,
    requested_only: bool = False,
) -> authz_pb2.Grant:
    """A grant to apply for: one consumer alone is point-to-point, anything more one-to-many."""
    from govmesh.contracts.authz.v1 import authz_pb2 as pb

    one = len(consumers) == 1 and not groups
    grant = pb.Grant(
        subject=f"subjects/{subject_code}",
        items=items,
        mode=pb.GRANT_MODE_POINT_TO_POINT if one else pb.GRANT_MODE_ONE_TO_MANY,
        consumer_departments=consumers,
        consumer_groups=groups,
        actions=actions or [],  # type: ignore[arg-type]
        purpose=purpose,
        legal_basis=legal_basis,
    )
    grant.end_time.FromDatetime(end)
    if start is not None:
        grant.start_time.FromDatetime(start)
    if divisions or entity_keys or requested_only:
        grant.row_scope.CopyFrom(
            pb.RowScope(
                division_codes=divisions or [], entity_keys=entity_keys or [], requested_entities_only=requested_only
            )
        )
    return grant
