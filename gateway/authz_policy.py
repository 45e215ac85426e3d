"""The coarse check backed by authz: a local policy snapshot says whether a principal may make a call at all.

The gateway embeds authz's decision library (a PolicySnapshot kept current by WatchPolicy), so the
check runs in memory on every call. It turns away only calls that can never succeed — a principal
the hub does not know or has disabled, or one lacking the role a method needs — and leaves the
per-item, per-row decisions to the services, which ask the same policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import grpc

from authz.domain.model import PrincipalEntry, PrincipalKind, Role
from authz.snapshot import PolicySnapshot
from gateway.policy import PrincipalProfile, profile_from_certificate
from govmesh import errors
from govmesh.identity import PRINCIPAL_HEADER, Principal

log = logging.getLogger("govmesh.gateway.authz")

# The principal the gateway reads the policy as: an enforcement point.
GATEWAY_PRINCIPAL = Principal("service", "gateway")

_CATALOG = "/catalog.v1.CatalogService/"
_EXCHANGE = "/exchange.v1.ExchangeService/"
# Methods and the roles of which the caller needs one; a method not listed is open to every
# registered principal (the service decides the rest).
METHOD_ROLES: dict[str, frozenset[Role]] = {
    **{
        f"{_CATALOG}{m}": frozenset({Role.CATALOG_MAINTAINER})
        for m in ("CreateSubject", "UpdateSubject", "DeprecateSubject", "CreateItem", "UpdateItem", "DeprecateItem")
    },
    **{
        f"{_EXCHANGE}{m}": frozenset({Role.DEPARTMENT})
        for m in (
            "Publish",
            "PublishStream",
            "CreateSubscription",
            "Subscribe",
            "AcknowledgeDeliveries",
            "SendRequest",
            "StreamInbox",
            "Reply",
            "RegisterHoldings",
            "UnregisterHoldings",
        )
    },
    f"{_EXCHANGE}VerifyLedger": frozenset({Role.AUDITOR, Role.HUB_ADMINISTRATOR}),
}


class SnapshotCallPolicy:
    """CallPolicy answered from an authz PolicySnapshot."""

    def __init__(self, snapshot: PolicySnapshot):
        self.snapshot = snapshot

    @property
    def revision(self) -> int:
        return self.snapshot.revision

    def _entry(self, principal: Principal) -> PrincipalEntry | None:
        try:
            kind = PrincipalKind(principal.kind)
        except ValueError:
            return None
        return self.snapshot.principal(kind.value, principal.code)

    def refusal(self, principal: Principal, method: str) -> errors.DomainError | None:
        entry = self._entry(principal)
        if entry is None:
            return errors.PermissionDenied(f"{principal} is not registered with the hub", reason="UNKNOWN_PRINCIPAL")
        if entry.disabled:
            return errors.PermissionDenied(f"{principal} is disabled", reason="PRINCIPAL_DISABLED")
        needed = METHOD_ROLES.get(method)
        if needed and not (needed & entry.roles):
            roles = ", ".join(sorted(r.value for r in needed))
            return errors.PermissionDenied(
                f"{method.rsplit('/', 1)[-1]} needs the role {roles}",
                reason="ROLE_REQUIRED",
                metadata={"role": roles},
            )
        return None

    def profile(self, principal: Principal) -> PrincipalProfile:
        entry = self._entry(principal)
        if entry is None:
            return profile_from_certificate(principal)
        return PrincipalProfile(
            roles=frozenset(r.value for r in entry.roles),
            department=entry.department,
            groups=tuple(entry.groups),
            display_name=entry.display_name,
            disabled=entry.disabled,
        )


def authz_channel(targets: Sequence[str], max_message_bytes: int) -> grpc.aio.Channel:
    target = targets[0] if len(targets) == 1 else "ipv4:" + ",".join(targets)
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.service_config", '{"loadBalancingConfig": [{"round_robin": {}}]}'),
        ],
    )


async def start_snapshot(channel: grpc.aio.Channel, timeout: float = 60.0) -> PolicySnapshot:
    """A snapshot read as the gateway's own principal, retried while authz is still starting."""
    snapshot = PolicySnapshot(channel, metadata=((PRINCIPAL_HEADER, GATEWAY_PRINCIPAL.header_value()),))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.2
    while True:
        try:
            await snapshot.start(timeout=max(1.0, deadline - loop.time()))
            return snapshot
        except (grpc.aio.AioRpcError, TimeoutError) as error:
            if loop.time() + delay > deadline:
                raise RuntimeError(f"authz did not answer within {timeout:.0f}s") from error
            log.info("waiting for authz before opening the gateway")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
