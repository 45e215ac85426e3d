"""Translation between authz.v1 policy messages and the policy library's model, for every holder of a policy copy."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.kernel.policy.model import (
    AccessDecision,
    Action,
    AuditEntry,
    AuditKind,
    Decision,
    Grant,
    GrantEvent,
    GrantHistoryEntry,
    GrantMode,
    GrantState,
    ItemDecision,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    PrincipalKind,
    Reason,
    Role,
    Row,
    RowScope,
    SharingType,
)
from govmesh.runtime import wellknown
from govmesh.runtime.errors import ViolationCollector
from govmesh.runtime.protoenum import EnumMapping

KIND = EnumMapping(pb.PrincipalKind, PrincipalKind, "PRINCIPAL_KIND")


ROLE = EnumMapping(pb.Role, Role, "ROLE")


ACTION = EnumMapping(pb.Action, Action, "ACTION")


DECISION = EnumMapping(pb.Decision, Decision, "DECISION")


REASON = EnumMapping(pb.ReasonCode, Reason, "REASON_CODE")


MODE = EnumMapping(pb.GrantMode, GrantMode, "GRANT_MODE")


STATE = EnumMapping(pb.GrantState, GrantState, "GRANT_STATE")


EVENT = EnumMapping(pb.GrantEvent, GrantEvent, "GRANT_EVENT")


AUDIT_KIND = EnumMapping(pb.AuditEntryKind, AuditKind, "AUDIT_ENTRY_KIND")


SHARING = EnumMapping(catalog_pb2.SharingType, SharingType, "SHARING_TYPE")


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def principal_to_proto(p: PrincipalEntry) -> pb.Principal:
    return pb.Principal(
        name=p.name,
        kind=KIND.to_proto(p.kind),  # type: ignore[arg-type]
        code=p.code,
        spiffe_id=p.spiffe_id,
        roles=sorted(ROLE.to_proto(r) for r in p.roles),  # type: ignore[misc]
        department=p.department,
        groups=list(p.groups),
        display_name=p.display_name,
        disabled=p.disabled,
    )


def item_policy_to_proto(i: ItemPolicy) -> pb.ItemPolicy:
    return pb.ItemPolicy(
        subject=f"subjects/{i.subject}",
        item=i.item,
        provider=i.provider,
        sharing_type=SHARING.to_proto(i.sharing_type),  # type: ignore[arg-type]
        deprecated=i.deprecated,
        removed=i.removed,
    )


def row_scope_to_proto(s: RowScope) -> pb.RowScope:
    return pb.RowScope(
        all_rows=s.all_rows,
        division_codes=list(s.division_codes),
        entity_keys=list(s.entity_keys),
        requested_entities_only=s.requested_entities_only,
    )


def grant_to_proto(g: Grant) -> pb.Grant:
    return pb.Grant(
        name=g.name if g.id else "",
        subject=f"subjects/{g.subject}",
        provider=g.provider,
        items=list(g.items),
        mode=MODE.to_proto(g.mode),  # type: ignore[arg-type]
        consumer_departments=list(g.consumer_departments),
        consumer_groups=list(g.consumer_groups),
        actions=sorted(ACTION.to_proto(a) for a in g.actions),  # type: ignore[misc]
        purpose=g.purpose,
        legal_basis=g.legal_basis,
        start_time=timestamp(g.start_time),
        end_time=timestamp(g.end_time),
        row_scope=row_scope_to_proto(g.row_scope),
        state=STATE.to_proto(g.state),  # type: ignore[arg-type]
        applicant=g.applicant,
        decided_by=g.decided_by,
        decision_reason=g.decision_reason,
        create_time=timestamp(g.create_time),
        update_time=timestamp(g.update_time),
        revision=g.revision,
    )


def history_to_proto(h: GrantHistoryEntry) -> pb.GrantHistoryEntry:
    return pb.GrantHistoryEntry(
        grant=f"grants/{h.grant_id}",
        event=EVENT.to_proto(h.event),  # type: ignore[arg-type]
        state=STATE.to_proto(h.state),  # type: ignore[arg-type]
        principal=h.principal,
        reason=h.reason,
        create_time=timestamp(h.create_time),
        revision=h.revision,
        trace_id=h.trace_id,
    )


def audit_to_proto(a: AuditEntry) -> pb.AuditEntry:
    return pb.AuditEntry(
        sequence=a.sequence,
        create_time=timestamp(a.create_time),
        kind=AUDIT_KIND.to_proto(a.kind),  # type: ignore[arg-type]
        principal=a.principal,
        action=ACTION.to_proto(a.action) if a.action else 0,  # type: ignore[arg-type]
        object=a.object,
        subject=f"subjects/{a.subject}" if a.subject else "",
        items=list(a.items),
        decision=DECISION.to_proto(a.decision),  # type: ignore[arg-type]
        reason=REASON.to_proto(a.reason) if a.reason else 0,  # type: ignore[arg-type]
        grant=f"grants/{a.grant_id}" if a.grant_id else "",
        policy_revision=a.policy_revision,
        trace_id=a.trace_id,
        recorded_by=a.recorded_by,
        message=a.message,
    )


def item_decision_to_proto(d: ItemDecision) -> pb.ItemDecision:
    return pb.ItemDecision(
        subject=f"subjects/{d.subject}",
        item=d.item,
        decision=DECISION.to_proto(d.decision),  # type: ignore[arg-type]
        reason=REASON.to_proto(d.reason),  # type: ignore[arg-type]
        sharing_type=SHARING.to_proto(d.sharing_type) if d.sharing_type else 0,  # type: ignore[arg-type]
        row_scope=row_scope_to_proto(d.row_scope),
        grants=[f"grants/{g}" for g in d.grants],
    )


_MAX_CACHED_ITEM_MESSAGES = 50_000


def item_decision_message(d: ItemDecision) -> pb.ItemDecision:
    """The message of an item decision; shared for the policy's shared decisions. Do not modify it."""
    if d.grants:  # decided from grants: made for this question only
        return item_decision_to_proto(d)
    cached = _ITEM_MESSAGES.get(id(d))
    if cached is None or cached[0] is not d:
        if len(_ITEM_MESSAGES) >= _MAX_CACHED_ITEM_MESSAGES:
            _ITEM_MESSAGES.clear()
        cached = (d, item_decision_to_proto(d))
        _ITEM_MESSAGES[id(d)] = cached
    return cached[1]


def fill_decision(target: pb.AccessDecision, d: AccessDecision) -> None:
    """Writes a decision into a message in place (a response's field), without an extra copy."""
    target.decision = DECISION.to_proto(d.decision)  # type: ignore[assignment]
    target.reason = REASON.to_proto(d.reason)  # type: ignore[assignment]
    target.policy_revision = d.policy_revision
    target.message = d.message
    target.items.extend([item_decision_message(i) for i in d.items])


def decision_to_proto(d: AccessDecision) -> pb.AccessDecision:
    message = pb.AccessDecision()
    fill_decision(message, d)
    return message


def change_to_proto(c: PolicyChange) -> pb.PolicyChange:
    message = pb.PolicyChange(revision=c.revision, create_time=timestamp(c.create_time))
    if c.grant is not None:
        message.grant.CopyFrom(grant_to_proto(c.grant))
    elif c.item is not None:
        message.item.CopyFrom(item_policy_to_proto(c.item))
    elif c.principal is not None:
        message.principal.CopyFrom(principal_to_proto(c.principal))
    return message


def row_from_proto(m: pb.Row) -> Row:
    return Row(m.division_code, m.entity_key, m.entity_key_requested)


def row_scope_from_proto(m: pb.RowScope) -> RowScope:
    return RowScope(m.all_rows, tuple(m.division_codes), tuple(m.entity_keys), m.requested_entities_only)


def quiet_collector() -> ViolationCollector:
    # Policy messages come from authz itself; an unknown enum number there is a newer server, and
    # the snapshot falls back to the first member rather than refusing the whole policy.
    return ViolationCollector()


def principal_from_proto(m: pb.Principal) -> PrincipalEntry:
    found = quiet_collector()
    return PrincipalEntry(
        kind=KIND.to_domain(m.kind, "kind", found),
        code=m.code,
        roles=frozenset(ROLE.to_domain(r, "roles", found) for r in m.roles),
        department=m.department,
        groups=tuple(m.groups),
        display_name=m.display_name,
        disabled=m.disabled,
    )


def item_policy_from_proto(m: pb.ItemPolicy) -> ItemPolicy:
    return ItemPolicy(
        m.subject.removeprefix("subjects/"),
        m.item,
        m.provider,
        SHARING.to_domain(m.sharing_type, "sharing_type", quiet_collector()),
        m.deprecated,
        m.removed,
    )


def grant_from_proto(m: pb.Grant) -> Grant:
    found = quiet_collector()
    end_time = time_of(m, "end_time")
    return Grant(
        id=int(m.name.removeprefix("grants/") or 0),
        subject=m.subject.removeprefix("subjects/"),
        provider=m.provider,
        items=tuple(m.items),
        mode=MODE.to_domain(m.mode, "mode", found),
        consumer_departments=tuple(m.consumer_departments),
        consumer_groups=tuple(m.consumer_groups),
        actions=frozenset(ACTION.to_domain(a, "actions", found) for a in m.actions),
        purpose=m.purpose,
        legal_basis=m.legal_basis,
        start_time=time_of(m, "start_time"),
        end_time=end_time or datetime.min.replace(tzinfo=UTC),
        row_scope=row_scope_from_proto(m.row_scope),
        state=STATE.to_domain(m.state, "state", found),
        applicant=m.applicant,
        decided_by=m.decided_by,
        decision_reason=m.decision_reason,
        create_time=time_of(m, "create_time"),
        update_time=time_of(m, "update_time"),
        revision=m.revision,
    )


def change_from_proto(m: pb.PolicyChange) -> PolicyChange:
    created = time_of(m, "create_time") or datetime.now(UTC)
    which = m.WhichOneof("change")
    if which == "grant":
        return PolicyChange(m.revision, created, grant=grant_from_proto(m.grant))
    if which == "item":
        return PolicyChange(m.revision, created, item=item_policy_from_proto(m.item))
    if which == "principal":
        return PolicyChange(m.revision, created, principal=principal_from_proto(m.principal))
    return PolicyChange(m.revision, created)


def time_of(message: object, field: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime (INVALID_ARGUMENT out of range); None when the field is unset."""
    return wellknown.optional_moment(message, field)


# Most item decisions are objects the policy shares (provider, unconditional, not shareable, no
# grant): their messages are built once and copied, several times cheaper than building them anew.
# Keyed by identity, holding the object so that its id cannot be reused while cached.
_ITEM_MESSAGES: dict[int, tuple[ItemDecision, pb.ItemDecision]] = {}
