"""Grants past their end: the EXPIRED transition and the audit entry that records it, decided without a database."""

from __future__ import annotations

from datetime import datetime

from govmesh.kernel.policy.grants import transition
from govmesh.kernel.policy.model import AuditEntry, AuditKind, Decision, Grant, GrantEvent, Reason
from govmesh.kernel.policy.principals import AUTHZ_SERVICE


def expiry(grant: Grant, now: datetime, trace_id: str) -> tuple[Grant, AuditEntry]:
    """The grant as EXPIRED at `now`, and the audit entry of authz's own change."""
    expired = transition(grant, GrantEvent.EXPIRED, by=AUTHZ_SERVICE, reason="", now=now)
    audit = AuditEntry(
        kind=AuditKind.GRANT_CHANGE,
        principal=AUTHZ_SERVICE,
        action=None,
        object=grant.name,
        decision=Decision.ALLOW,
        reason=Reason.GRANT_EXPIRED,
        create_time=now,
        subject=grant.subject,
        items=grant.items,
        grant_id=grant.id,
        trace_id=trace_id,
        recorded_by=AUTHZ_SERVICE,
        message=f"the validity period ended at {grant.end_time.isoformat()}",
    )
    return expired, audit
