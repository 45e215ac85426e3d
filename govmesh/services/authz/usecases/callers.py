"""Who may do what, checked once for every room: refusals are audited, then answered PERMISSION_DENIED."""

from __future__ import annotations

from govmesh.kernel.policy.grants import covers_consumer
from govmesh.kernel.policy.model import (
    AccessDecision,
    AccessQuery,
    Action,
    AuditEntry,
    AuditKind,
    Decision,
    Grant,
    PrincipalEntry,
    Reason,
    Role,
)
from govmesh.kernel.policy.principals import AUTHZ_SERVICE, principal_name
from govmesh.runtime.errors import PermissionDenied
from govmesh.runtime.identity import Principal
from govmesh.services.authz.usecases.audit import AuditQueue
from govmesh.services.authz.usecases.common import ERROR_DOMAIN, trace_id
from govmesh.services.authz.usecases.policy import PolicyState


class Callers:
    def __init__(self, state: PolicyState, audit: AuditQueue):
        self.state = state
        self.audit = audit

    def principal(self, caller: Principal) -> PrincipalEntry | None:
        return self.state.principal(caller)

    def audit_denial(self, caller: Principal, query: AccessQuery, decision: AccessDecision) -> None:
        """Queues a denial with what is at hand; its entry is built by the writer, off the decision path."""
        self.audit.put((caller, query, decision, trace_id(), self.state.clock()))

    def audit_refusal(
        self,
        caller: Principal,
        action: Action | None,
        obj: str,
        reason: Reason,
        message: str,
        *,
        subject: str = "",
        items: tuple[str, ...] = (),
        grant: Grant | None = None,
    ) -> None:
        self.audit.put(
            AuditEntry(
                kind=AuditKind.DECISION,
                principal=principal_name(caller.kind, caller.code),
                action=action,
                object=obj,
                decision=Decision.DENY,
                reason=reason,
                create_time=self.state.clock(),
                subject=subject,
                items=items or (grant.items if grant else ()),
                grant_id=grant.id if grant else None,
                policy_revision=self.state.revision,
                trace_id=trace_id(),
                recorded_by=AUTHZ_SERVICE,
                message=message,
            )
        )

    def refuse(
        self,
        caller: Principal,
        action: Action | None,
        obj: str,
        reason: Reason,
        message: str,
        *,
        subject: str = "",
        grant: Grant | None = None,
    ) -> None:
        """Audits a refused call, then refuses it: PERMISSION_DENIED with the reason code."""
        self.audit_refusal(caller, action, obj, reason, message, subject=subject, grant=grant)
        raise PermissionDenied(
            f"{caller}: {message or reason.code}", reason=reason.code, domain=ERROR_DOMAIN, metadata={"object": obj}
        )

    def require_registered(self, caller: Principal, obj: str) -> PrincipalEntry:
        entry = self.principal(caller)
        if entry is None:
            self.refuse(caller, None, obj, Reason.UNKNOWN_PRINCIPAL, "the caller is not registered with the hub")
        assert entry is not None
        return entry

    def require_role(self, caller: Principal, action: Action, obj: str) -> None:
        decision = self.state.decide(AccessQuery(caller.kind, caller.code, action))
        if not decision.allowed:
            self.refuse(caller, action, obj, decision.reason, decision.detail)

    def may_ask_about(self, caller: Principal, query: AccessQuery) -> None:
        """A department (or anyone else) asks about itself; enforcement points and administrators
        about anyone."""
        if (query.principal_kind, query.principal_code) == (caller.kind, caller.code):
            return
        entry = self.principal(caller)
        if entry is not None and entry.roles & {Role.ENFORCEMENT_POINT, Role.HUB_ADMINISTRATOR}:
            return
        self.refuse(
            caller,
            query.action,
            principal_name(query.principal_kind, query.principal_code),
            Reason.NOT_OWNER,
            f"{caller} may only ask about itself",
            subject=query.subject,
        )

    def may_read(self, caller: Principal, grant: Grant) -> None:
        entry = self.require_registered(caller, grant.name)
        if entry.roles & {Role.HUB_ADMINISTRATOR, Role.AUDITOR} or is_party(entry, grant):
            return
        self.refuse(
            caller, Action.GRANT_READ, grant.name, Reason.NOT_OWNER, "not a party to the grant", subject=grant.subject
        )


def is_party(entry: PrincipalEntry, grant: Grant) -> bool:
    """Provider, consumer (directly or through a group) or applicant of a grant."""
    if entry.name == grant.applicant:
        return True
    if not entry.department:
        return False
    return entry.department == grant.provider or covers_consumer(grant, entry.department, entry.groups)
