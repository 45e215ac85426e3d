"""The grant workflow: applications checked and stored, decisions on them, expiry, and reading them."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from govmesh.kernel.policy.grants import Application, check_application, covers_consumer, new_grant, transition
from govmesh.kernel.policy.model import (
    AccessQuery,
    Action,
    AuditEntry,
    AuditKind,
    Decision,
    Grant,
    GrantEvent,
    GrantFilter,
    GrantHistoryEntry,
    ItemPolicy,
    PrincipalEntry,
    Reason,
    Role,
    SharingType,
)
from govmesh.kernel.policy.principals import AUTHZ_SERVICE, principal_name
from govmesh.runtime.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
)
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, page_of
from govmesh.services.authz.domain.expiry import expiry
from govmesh.services.authz.persistence.audit import AuditStore
from govmesh.services.authz.persistence.grants import GrantChange, GrantStore
from govmesh.services.authz.persistence.policy_log import PolicyLog
from govmesh.services.authz.usecases.callers import Callers, is_party
from govmesh.services.authz.usecases.common import ERROR_DOMAIN, trace_id
from govmesh.services.authz.usecases.policy import PolicyState

log = logging.getLogger("govmesh.authz")

# A grant change: the grant as read, as it becomes, the event, and the audit entry that records it.
Move = tuple[Grant, Grant, GrantEvent, AuditEntry]


class Grants:
    def __init__(self, state: PolicyState, callers: Callers, grants: GrantStore):
        self.state = state
        self.callers = callers
        self.store = grants

    # -- applying ------------------------------------------------------------------------------

    def apply_grant(
        self, caller: Principal, application: Application, *, validate_only: bool, request_id: str
    ) -> Grant:
        """Stores an application in state APPLIED, or refuses it and stores nothing."""
        now = self.state.clock()
        applicant = self._applicant(caller)
        found = ViolationCollector()
        check_application(application, now, found)
        if len(request_id) > 100:
            found.add("request_id", "at most 100 characters")
        found.raise_if_any("the application has invalid fields")
        provider, items = self._resolve(application)
        self._check_parties(caller, applicant, application, provider)
        self._refuse_not_shared(caller, application.subject, items)
        grant = new_grant(application, provider=provider, applicant=applicant.name, now=now)
        if validate_only:
            return grant
        if request_id:
            earlier = self.store.grant_by_request(applicant.name, request_id)
            if earlier is not None:
                return earlier
        self.callers.audit.flush_before_a_change()
        audit = _change_audit(applicant.name, Action.GRANT_APPLY, grant, Reason.ROLE, f"applied: {grant.purpose}", now)

        def write(policy_log: PolicyLog) -> Grant:
            if request_id:
                # Another call with the same request id may have committed since the look above.
                existing = self.store.grant_by_request(applicant.name, request_id, policy_log.conn)
                if existing is not None:
                    return existing
            stored = self.store.insert(policy_log, grant, request_id)
            _record(policy_log, stored, replace(audit, object=stored.grant.name, grant_id=stored.grant.id))
            return stored.grant

        return self.state.write(now, audit.trace_id, write)

    def _applicant(self, caller: Principal) -> PrincipalEntry:
        applicant = self.callers.principal(caller)
        if applicant is None or not applicant.roles & {Role.DEPARTMENT, Role.HUB_ADMINISTRATOR}:
            reason = Reason.UNKNOWN_PRINCIPAL if applicant is None else Reason.ROLE_REQUIRED
            self.callers.refuse(
                caller, Action.GRANT_APPLY, "grants", reason, "only departments and hub administrators apply"
            )
        assert applicant is not None
        return applicant

    def _resolve(self, application: Application) -> tuple[str, list[ItemPolicy]]:
        """The subject's provider and the applied-for items, all known to the policy (else NOT_FOUND)."""
        subject = application.subject
        with self.state.lock:
            policy = self.state.policy
            provider = policy.provider_of(subject)
            if provider is None:
                raise NotFound("subject", f"subjects/{subject}", domain=ERROR_DOMAIN)
            items = []
            for code in application.items:
                item = policy.items.get(code)
                if item is None or item.subject != subject or item.removed:
                    raise NotFound("data item", f"subjects/{subject}/items/{code}", domain=ERROR_DOMAIN)
                items.append(item)
            for code in application.consumer_departments:
                department = policy.departments.get(code)
                if department is None or department.disabled:
                    raise NotFound("department", f"departments/{code}", domain=ERROR_DOMAIN)
            known_groups = {g for d in policy.departments.values() if not d.disabled for g in d.groups}
        for group in application.consumer_groups:
            if group not in known_groups:
                raise NotFound("department group", f"groups/{group}", domain=ERROR_DOMAIN)
        return provider, items

    def _check_parties(
        self, caller: Principal, applicant: PrincipalEntry, application: Application, provider: str
    ) -> None:
        """The provider is no consumer; a department applies only for consumers it is among."""
        subject = application.subject
        if provider in application.consumer_departments:
            raise InvalidArgument(
                "the provider needs no grant for its own subject",
                [FieldViolation("grant.consumer_departments", f"{provider} provides subjects/{subject}")],
            )
        among_consumers = applicant.department in application.consumer_departments or any(
            g in applicant.groups for g in application.consumer_groups
        )
        if applicant.has(Role.DEPARTMENT) and not among_consumers:
            self.callers.refuse(
                caller,
                Action.GRANT_APPLY,
                f"subjects/{subject}",
                Reason.NOT_OWNER,
                f"{applicant.department} is not among the consumers it applies for",
                subject=subject,
            )

    def _refuse_not_shared(self, caller: Principal, subject: str, items: list[ItemPolicy]) -> None:
        not_shared = [i.item for i in items if i.sharing_type is SharingType.NOT_SHARED]
        if not not_shared:
            return
        self.callers.audit_refusal(
            caller,
            Action.GRANT_APPLY,
            f"subjects/{subject}",
            Reason.NOT_SHAREABLE,
            "NOT_SHARED items never leave their provider",
            subject=subject,
            items=tuple(not_shared),
        )
        raise FailedPrecondition(
            f"{len(not_shared)} item(s) are NOT_SHARED and can be in no grant",
            [PreconditionViolation("NOT_SHAREABLE", f"subjects/{subject}/items/{c}", "NOT_SHARED") for c in not_shared],
            reason=Reason.NOT_SHAREABLE.code,
            domain=ERROR_DOMAIN,
        )

    # -- deciding ------------------------------------------------------------------------------

    def approve_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide(caller, grant_id, GrantEvent.APPROVED, Action.GRANT_APPROVE, reason, needs_reason=False)

    def reject_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide(caller, grant_id, GrantEvent.REJECTED, Action.GRANT_REJECT, reason, needs_reason=True)

    def revoke_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide(caller, grant_id, GrantEvent.REVOKED, Action.GRANT_REVOKE, reason, needs_reason=True)

    def _decide(
        self, caller: Principal, grant_id: int, event: GrantEvent, action: Action, reason: str, *, needs_reason: bool
    ) -> Grant:
        if needs_reason and not reason.strip():
            raise InvalidArgument("say why", [FieldViolation("reason", "the applicant sees the reason; give one")])
        if len(reason) > 2000:
            raise InvalidArgument("reason too long", [FieldViolation("reason", "at most 2000 characters")])
        grant = self._stored_grant(grant_id)
        decision = self.state.decide(AccessQuery(caller.kind, caller.code, action, grant.subject, resource=grant.name))
        if not decision.allowed:
            self.callers.refuse(
                caller, action, grant.name, decision.reason, decision.detail, subject=grant.subject, grant=grant
            )
        now = self.state.clock()
        actor = principal_name(caller.kind, caller.code)
        after = transition(grant, event, by=actor, reason=reason.strip(), now=now)
        self.callers.audit.flush_before_a_change()
        audit = _change_audit(actor, action, grant, decision.reason, reason.strip(), now)

        def write(policy_log: PolicyLog) -> Grant:
            stored = _move(self.store, policy_log, (grant, after, event, audit))
            if stored is None:
                raise Aborted(f"{grant.name} changed meanwhile; read it again and retry")
            return stored.grant

        return self.state.write(now, audit.trace_id, write)

    def expire_due(self) -> list[Grant]:
        """Marks grants past their end time EXPIRED (decisions already treat them so), each with its
        own revision, history and audit; a grant another replica's sweep moved first is skipped."""
        now, trace = self.state.clock(), trace_id()
        moves: list[Move] = []
        for grant in self.store.due_for_expiry(now):
            expired, audit = expiry(grant, now, trace)
            moves.append((grant, expired, GrantEvent.EXPIRED, audit))
        if not moves:
            return []

        def write(policy_log: PolicyLog) -> list[GrantChange]:
            done = (_move(self.store, policy_log, move) for move in moves)
            return [change for change in done if change is not None]

        changes = self.state.write(now, trace, write)
        if changes:
            log.info("expired %d grant(s): %s", len(changes), ", ".join(c.grant.name for c in changes))
        return [c.grant for c in changes]

    # -- reading -------------------------------------------------------------------------------

    def get_grant(self, caller: Principal, grant_id: int) -> tuple[Grant, list[GrantHistoryEntry]]:
        grant = self._stored_grant(grant_id)
        self.callers.may_read(caller, grant)
        return grant, self.store.history(grant_id, 0, 10_000)

    def grant_history(self, caller: Principal, grant_id: int, page: PageRequest) -> Page[GrantHistoryEntry]:
        grant = self._stored_grant(grant_id)
        self.callers.may_read(caller, grant)
        return page_of(self.store.history(grant_id, page.offset, page.size + 1), page)

    def list_grants(self, caller: Principal, filters: GrantFilter, page: PageRequest) -> Page[Grant]:
        """The grants the caller may see that match every filter, newest first."""
        entry = self.callers.require_registered(caller, "grants")
        consumer_groups: tuple[str, ...] = ()
        if filters.consumer:
            with self.state.lock:
                consumer = self.state.policy.departments.get(filters.consumer)
            if consumer is None:
                raise NotFound("department", f"departments/{filters.consumer}", domain=ERROR_DOMAIN)
            consumer_groups = consumer.groups
        sees_all = bool(entry.roles & {Role.HUB_ADMINISTRATOR, Role.AUDITOR})

        def keep(grant: Grant) -> bool:
            if not sees_all and not is_party(entry, grant):
                return False
            if filters.consumer and not covers_consumer(grant, filters.consumer, consumer_groups):
                return False
            return not filters.item or filters.item in grant.items

        grants, total = self.store.list_grants(
            subject=filters.subject,
            provider=filters.provider,
            states=filters.states,
            active_at=filters.active_at,
            keep=keep,
            offset=page.offset,
            limit=page.size,
        )
        return page_of(grants, page, total)

    def _stored_grant(self, grant_id: int) -> Grant:
        grant = self.store.grant(grant_id)
        if grant is None:
            raise NotFound("grant", f"grants/{grant_id}", domain=ERROR_DOMAIN)
        return grant


def _change_audit(
    principal: str, action: Action, grant: Grant, reason: Reason | None, message: str, now: datetime
) -> AuditEntry:
    """The audit entry of a grant change a caller made (a new grant's name and id are filled in when stored)."""
    return AuditEntry(
        kind=AuditKind.GRANT_CHANGE,
        principal=principal,
        action=action,
        object=grant.name if grant.id else "",
        decision=Decision.ALLOW,
        reason=reason,
        create_time=now,
        subject=grant.subject,
        items=grant.items,
        grant_id=grant.id or None,
        trace_id=trace_id(),
        recorded_by=AUTHZ_SERVICE,
        message=message,
    )


def _record(policy_log: PolicyLog, stored: GrantChange, audit: AuditEntry) -> None:
    """Appends a change's audit entry in the same unit of work, with the revision the change made."""
    AuditStore.append(policy_log.conn, [replace(audit, policy_revision=stored.grant.revision, sequence=0)])


def _move(store: GrantStore, policy_log: PolicyLog, move: Move) -> GrantChange | None:
    """Stores one decided transition with its history and audit; None when the grant moved meanwhile."""
    before, after, event, audit = move
    stored = store.move(policy_log, before, after, event, audit.principal, audit.message)
    if stored is not None:
        _record(policy_log, stored, audit)
    return stored
