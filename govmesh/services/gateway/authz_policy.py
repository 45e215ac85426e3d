"""The coarse check backed by authz: a local policy snapshot says whether a principal may make a call at all.

The gateway embeds authz's decision library (a PolicySnapshot kept current by WatchPolicy), so the
check runs in memory on every call. It turns away only calls that can never succeed — a principal
the hub does not know or has disabled, or one lacking the role a method needs — and leaves the
per-item, per-row decisions to the services, which ask the same policy. Each such refusal is a
denial like any other: it is written to authz's audit log before the caller hears of it.
"""

from __future__ import annotations

from govmesh.kernel.policy.model import (
    AccessDecision,
    AccessQuery,
    Decision,
    PrincipalEntry,
    PrincipalKind,
    Reason,
    Role,
)
from govmesh.kernel.policy.principals import kind_of
from govmesh.kernel.policy.snapshot import PolicySnapshot
from govmesh.runtime import errors
from govmesh.runtime.identity import Principal
from govmesh.services.gateway.domain.policy import PrincipalProfile, profile_from_certificate

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
# The audit log's reason for each refusal; authz's own policy, too, denies a disabled principal
# as one the hub does not know (the entry's message says which it was).
_AUDIT_REASONS = {
    "UNKNOWN_PRINCIPAL": Reason.UNKNOWN_PRINCIPAL,
    "PRINCIPAL_DISABLED": Reason.UNKNOWN_PRINCIPAL,
    "ROLE_REQUIRED": Reason.ROLE_REQUIRED,
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

    async def audit_refusal(
        self, principal: Principal, method: str, refusal: errors.DomainError, trace_id: str
    ) -> None:
        """Writes the refusal to the audit log as a denial of the method itself: no action, the method as its object.

        A caller the log cannot name (no principal kind, as in plaintext development) is left out:
        authz would refuse the entry, and with it every denial queued beside it.
        """
        reason = _AUDIT_REASONS.get(refusal.reason)
        if reason is None or kind_of(principal.kind) is None:
            return
        query = AccessQuery(principal.kind, principal.code, None, resource=method)
        decision = AccessDecision(Decision.DENY, reason, (), self.snapshot.revision, refusal.message)
        self.snapshot.record_denial(query, decision, trace_id)
        await self.snapshot.settle_denials()

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
