"""Translation between the authz.v1 messages (and the catalog.v1 ones authz reads) and authz's domain model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.kernel.policy.convert import (
    ACTION,
    AUDIT_KIND,
    DECISION,
    MODE,
    REASON,
    SHARING,
    STATE,
    quiet_collector,
    row_from_proto,
    row_scope_from_proto,
    time_of,
)
from govmesh.kernel.policy.grants import Application
from govmesh.kernel.policy.model import (
    AccessQuery,
    AuditEntry,
    AuditFilter,
    AuditKind,
    GrantFilter,
    ItemPolicy,
    PrincipalEntry,
)
from govmesh.kernel.policy.principals import department_principal, parse_principal_name
from govmesh.runtime.errors import FieldViolation, InvalidArgument, ViolationCollector

MAX_ITEMS_PER_QUERY = 5000


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


# -- proto → domain: requests ------------------------------------------------------------------


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
        # No action: a method the caller may not call at all, named in `object` (the gateway's refusals).
        action=ACTION.optional(m.action, f"{path}.action", found),
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


# -- catalog.v1 → domain: what authz learns from the catalog -----------------------------------


def item_policies_of(subject: catalog_pb2.Subject) -> list[ItemPolicy]:
    """The decision-relevant facts of a subject's items; a deprecated subject deprecates its items."""
    found = quiet_collector()
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
