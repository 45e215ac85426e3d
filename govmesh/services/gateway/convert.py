"""Translation between the gateway's own state and gateway.v1 messages; nothing else."""

from __future__ import annotations

import datetime as dt

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.authz.v1 import authz_pb2
from govmesh.contracts.gateway.v1 import gateway_pb2 as pb
from govmesh.runtime.identity import Principal, Role
from govmesh.services.gateway.domain.limits import Limits, Usage
from govmesh.services.gateway.identity import PeerCertificate
from govmesh.services.gateway.upstreams import Endpoint, Upstream
from govmesh.services.gateway.usecases import PRINCIPAL_PREFIX, Identity, PrincipalLimits

_KINDS = {
    "department": authz_pb2.PRINCIPAL_KIND_DEPARTMENT,
    "maintainer": authz_pb2.PRINCIPAL_KIND_MAINTAINER,
    "admin": authz_pb2.PRINCIPAL_KIND_ADMINISTRATOR,
    "auditor": authz_pb2.PRINCIPAL_KIND_AUDITOR,
    "service": authz_pb2.PRINCIPAL_KIND_SERVICE,
}
_ROLES = {
    Role.DEPARTMENT.value: authz_pb2.ROLE_DEPARTMENT,
    Role.CATALOG_MAINTAINER.value: authz_pb2.ROLE_CATALOG_MAINTAINER,
    Role.HUB_ADMINISTRATOR.value: authz_pb2.ROLE_HUB_ADMINISTRATOR,
    Role.AUDITOR.value: authz_pb2.ROLE_AUDITOR,
    Role.ENFORCEMENT_POINT.value: authz_pb2.ROLE_ENFORCEMENT_POINT,
}
_HEALTH = {
    "unspecified": pb.HEALTH_STATUS_UNSPECIFIED,
    "serving": pb.HEALTH_STATUS_SERVING,
    "not_serving": pb.HEALTH_STATUS_NOT_SERVING,
    "service_unknown": pb.HEALTH_STATUS_SERVICE_UNKNOWN,
    "unreachable": pb.HEALTH_STATUS_UNREACHABLE,
}
_STATES = {
    "idle": pb.CONNECTIVITY_STATE_IDLE,
    "connecting": pb.CONNECTIVITY_STATE_CONNECTING,
    "ready": pb.CONNECTIVITY_STATE_READY,
    "transient_failure": pb.CONNECTIVITY_STATE_TRANSIENT_FAILURE,
    "shutdown": pb.CONNECTIVITY_STATE_SHUTDOWN,
}


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def duration(seconds: float) -> Duration:
    value = Duration()
    value.FromNanoseconds(round(seconds * 1e9))
    return value


def principal_name(principal: Principal) -> str:
    return f"{PRINCIPAL_PREFIX}{principal.header_value()}"


def certificate(value: PeerCertificate) -> pb.Certificate:
    return pb.Certificate(
        serial_number=value.serial_hex,
        spiffe_id=value.spiffe_id,
        subject=value.subject,
        issuer=value.issuer,
        not_before=timestamp(value.not_before),
        not_after=timestamp(value.not_after),
        sha256_fingerprint=value.sha256_fingerprint,
    )


def who_am_i(identity: Identity, peer_address: str, trace_id: str) -> pb.WhoAmIResponse:
    principal = identity.caller.principal
    profile = identity.profile
    message = pb.WhoAmIResponse(
        principal=authz_pb2.Principal(
            name=principal_name(principal),
            kind=_KINDS.get(principal.kind, authz_pb2.PRINCIPAL_KIND_UNSPECIFIED),
            code="" if principal.is_anonymous else principal.code,
            spiffe_id="" if principal.is_anonymous else principal.spiffe_id(),
            roles=sorted(_ROLES[r] for r in profile.roles if r in _ROLES),
            department=profile.department,
            groups=list(profile.groups),
            display_name=profile.display_name,
            disabled=profile.disabled,
        ),
        peer_address=peer_address,
        policy_revision=identity.policy_revision,
        trace_id=trace_id,
    )
    if identity.caller.certificate is not None:
        message.certificate.CopyFrom(certificate(identity.caller.certificate))
    return message


def limits(value: Limits) -> pb.Limits:
    return pb.Limits(
        requests_per_second=value.requests_per_second,
        burst=value.burst,
        max_concurrent_streams=value.max_concurrent_streams,
        max_message_bytes=value.max_message_bytes,
        default_deadline=duration(value.default_deadline_seconds),
        max_deadline=duration(value.max_deadline_seconds),
        response_bytes_per_second=value.response_bytes_per_second,
        response_bytes_burst=value.response_bytes_burst,
    )


def usage(value: Usage) -> pb.LimitUsage:
    return pb.LimitUsage(
        available_tokens=value.available_tokens,
        available_response_bytes=value.available_response_bytes,
        open_streams=value.open_streams,
        admitted_calls=value.admitted_calls,
        rejected_calls=value.rejected_calls,
        since=timestamp(value.since),
    )


def principal_limits(value: PrincipalLimits) -> pb.GetLimitsResponse:
    return pb.GetLimitsResponse(
        principal=principal_name(value.principal), limits=limits(value.limits), usage=usage(value.usage)
    )


def endpoint(value: Endpoint, upstream: Upstream) -> pb.UpstreamEndpoint:
    message = pb.UpstreamEndpoint(
        address=value.address,
        health=_HEALTH.get(value.health, pb.HEALTH_STATUS_UNSPECIFIED),
        state=_STATES.get(value.state, pb.CONNECTIVITY_STATE_UNSPECIFIED),
        check_time=timestamp(value.check_time),
        change_time=timestamp(value.change_time),
        last_error=value.last_error,
    )
    # The balancer does not say which replica served a call; with one replica the counts are its own.
    if len(upstream.endpoints) == 1:
        message.active_calls = upstream.active_calls
        message.forwarded_calls = upstream.forwarded_calls
        message.failed_calls = upstream.failed_calls
    return message


def upstream(value: Upstream) -> pb.Upstream:
    return pb.Upstream(
        service=value.service,
        endpoints=[endpoint(e, value) for e in value.endpoints],
        load_balancing_policy=value.load_balancing_policy,
        healthy_endpoints=value.healthy_endpoints,
    )
