"""Translation between the authz.v1 messages (and the catalog.v1 ones authz reads) and authz's domain model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from authz.domain.grants import Application
from authz.domain.model import (
    AccessDecision,
    AccessQuery,
    Action,
    AuditEntry,
    AuditFilter,
    AuditKind,
    Decision,
    Grant,
    GrantEvent,
    GrantFilter,
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
from authz.domain.principals import department_principal, parse_principal_name
from authz.v1 import authz_pb2 as pb
from catalog.v1 import catalog_pb2
from govmesh.errors import FieldViolation, InvalidArgument, ViolationCollector
from govmesh.protoenum import EnumMapping

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

MAX_ITEMS_PER_QUERY = 5000


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def time_of(message: object, field: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime; None when the field is unset."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


# -- names -------------------------------------------------------------------------------------


def principal_of(name: str, field: str, found: ViolationCollector) -> tuple[str, str] | None:
    parsed = parse_principal_name(name)
    if parsed is None:
        found.add(
            field,
            "must look like principals/{kind}/{code}, kind one of department, maintainer, admin, auditor, service",
        )
    return parsed


def subject_of(name: str, field: str, found: ViolationCollector, *, allow_all: bool = False) -> str:
    """`subjects/102.001` → `102.001`; with `allow_all`, `subjects/-` → `-`."""
    prefix, _, code = name.partition("/")
    if prefix != "subjects" or not code or "/" in code or (code == "-" and not allow_all):
        found.add(field, "must look like subjects/{code}" + (" or subjects/-" if allow_all else ""))
        return ""
    return code


def grant_id_of(name: str, field: str = "name") -> int:
    prefix, _, number = name.partition("/")
    if prefix != "grants" or not number.isdigit() or not 0 < int(number) < 2**63:
        raise InvalidArgument(f"bad grant name {name!r}", [FieldViolation(field, "must look like grants/{id}")])
    return int(number)


def optional_grant_id(name: str, field: str, found: ViolationCollector) -> int | None:
    if not name:
        return None
    try:
        return grant_id_of(name, field)
    except InvalidArgument as error:
        found.violations.extend(error.violations)
        return None


# -- domain → proto ----------------------------------------------------------------------------


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


# Most item decisions are objects the policy shares (provider, unconditional, not shareable, no
# grant): their messages are built once and copied, several times cheaper than building them anew.
# Keyed by identity, holding the object so that its id cannot be reused while cached.
_ITEM_MESSAGES: dict[int, tuple[ItemDecision, pb.ItemDecision]] = {}
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


# -- proto → domain: requests ------------------------------------------------------------------


def row_from_proto(m: pb.Row) -> Row:
    return Row(m.division_code, m.entity_key, m.entity_key_requested)


def row_scope_from_proto(m: pb.RowScope) -> RowScope:
    return RowScope(m.all_rows, tuple(m.division_codes), tuple(m.entity_keys), m.requested_entities_only)


def query_from_proto(m: pb.AccessQuery, caller: tuple[str, str], path: str, found: ViolationCollector) -> AccessQuery:
    """A question as the domain reads it; an empty principal is the caller."""
    kind, code = caller
    if m.principal:
        parsed = principal_of(m.principal, f"{path}.principal", found)
        if parsed is not None:
            kind, code = parsed
    action = ACTION.optional(m.action, f"{path}.action", found)
    subject = subject_of(m.subject, f"{path}.subject", found) if m.subject else ""
    if len(m.items) > MAX_ITEMS_PER_QUERY:
        found.add(f"{path}.items", f"at most {MAX_ITEMS_PER_QUERY} items a query")
    return AccessQuery(
        kind,
        code,
        action,
        subject,
        tuple(m.items),
        m.resource,
        row_from_proto(m.row) if m.HasField("row") else None,
    )


def application_from_proto(m: pb.Grant, found: ViolationCollector, path: str = "grant") -> Application:
    subject = subject_of(m.subject, f"{path}.subject", found)
    mode = MODE.to_domain(m.mode, f"{path}.mode", found) if m.mode else None
    if mode is None:
        found.add(f"{path}.mode", "must be GRANT_MODE_POINT_TO_POINT or GRANT_MODE_ONE_TO_MANY")
    actions = frozenset(ACTION.to_domain(a, f"{path}.actions[{n}]", found) for n, a in enumerate(m.actions))
    return Application(
        subject=subject,
        items=tuple(m.items),
        mode=mode,
        consumer_departments=tuple(m.consumer_departments),
        consumer_groups=tuple(m.consumer_groups),
        actions=actions,
        purpose=m.purpose,
        legal_basis=m.legal_basis,
        start_time=time_of(m, "start_time"),
        end_time=time_of(m, "end_time"),
        row_scope=row_scope_from_proto(m.row_scope) if m.HasField("row_scope") else None,
    )


def grant_filter_from_proto(m: pb.ListGrantsRequest, found: ViolationCollector) -> GrantFilter:
    return GrantFilter(
        subject=subject_of(m.subject, "subject", found) if m.subject else "",
        provider=m.provider,
        consumer=m.consumer,
        states=frozenset(STATE.to_domain(s, f"states[{n}]", found) for n, s in enumerate(m.states)),
        item=m.item,
        active_at=time_of(m, "active_at"),
    )


def audit_filter_from_proto(m: pb.ListAuditEntriesRequest, found: ViolationCollector) -> AuditFilter:
    if m.principal:
        principal_of(m.principal, "principal", found)
    start, end = time_of(m, "start_time"), time_of(m, "end_time")
    if start is not None and end is not None and end <= start:
        found.add("end_time", "must be after start_time")
    return AuditFilter(
        principal=m.principal,
        actions=frozenset(ACTION.to_domain(a, f"actions[{n}]", found) for n, a in enumerate(m.actions)),
        decision=DECISION.optional(m.decision, "decision", found),
        subject=subject_of(m.subject, "subject", found) if m.subject else "",
        object=m.object,
        grant_id=optional_grant_id(m.grant, "grant", found),
        reason=REASON.optional(m.reason, "reason", found),
        trace_id=m.trace_id,
        kind=AUDIT_KIND.optional(m.kind, "kind", found),
        start_time=start,
        end_time=end,
    )


def audit_from_proto(m: pb.AuditEntry, path: str, found: ViolationCollector, now: datetime) -> AuditEntry:
    """An entry an enforcement point appends: a decision it made from its local copy."""
    principal_of(m.principal, f"{path}.principal", found)
    kind = AUDIT_KIND.to_domain(m.kind, f"{path}.kind", found) if m.kind else AuditKind.DECISION
    if kind is not AuditKind.DECISION:
        found.add(f"{path}.kind", "enforcement points append decisions; grant changes are authz's own")
    return AuditEntry(
        kind=kind,
        principal=m.principal,
        action=ACTION.to_domain(m.action, f"{path}.action", found),
        object=m.object,
        decision=DECISION.to_domain(m.decision, f"{path}.decision", found),
        reason=REASON.optional(m.reason, f"{path}.reason", found),
        create_time=time_of(m, "create_time") or now,
        subject=subject_of(m.subject, f"{path}.subject", found) if m.subject else "",
        items=tuple(m.items),
        grant_id=optional_grant_id(m.grant, f"{path}.grant", found),
        policy_revision=m.policy_revision,
        trace_id=m.trace_id[:32],
        message=m.message[:2000],
    )


# -- proto → domain: the policy, for local snapshots -------------------------------------------


def _quiet() -> ViolationCollector:
    # Policy messages come from authz itself; an unknown enum number there is a newer server, and
    # the snapshot falls back to the first member rather than refusing the whole policy.
    return ViolationCollector()


def principal_from_proto(m: pb.Principal) -> PrincipalEntry:
    found = _quiet()
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
        SHARING.to_domain(m.sharing_type, "sharing_type", _quiet()),
        m.deprecated,
        m.removed,
    )


def grant_from_proto(m: pb.Grant) -> Grant:
    found = _quiet()
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


# -- catalog.v1 → domain: what authz learns from the catalog -----------------------------------


def item_policies_of(subject: catalog_pb2.Subject) -> list[ItemPolicy]:
    """The decision-relevant facts of a subject's items; a deprecated subject deprecates its items."""
    found = _quiet()
    return [
        ItemPolicy(
            subject.code,
            item.code,
            subject.provider,
            SHARING.to_domain(item.sharing_type, "sharing_type", found),
            item.deprecated or subject.deprecated,
        )
        for item in subject.items
    ]


def department_principals(departments: Iterable[catalog_pb2.Department]) -> list[PrincipalEntry]:
    return [department_principal(d.code, d.name_zh, d.groups) for d in departments]
