"""JSON documents of grants, item policies and principals, as the policy log stores their state at a revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from govmesh.kernel.policy.model import (
    Action,
    Grant,
    GrantMode,
    GrantState,
    ItemPolicy,
    PrincipalEntry,
    PrincipalKind,
    Role,
    RowScope,
    SharingType,
)
from govmesh.runtime.clock import as_utc


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else as_utc(datetime.fromisoformat(text))


def scope_document(scope: RowScope) -> dict[str, Any]:
    return {
        "all_rows": scope.all_rows,
        "division_codes": list(scope.division_codes),
        "entity_keys": list(scope.entity_keys),
        "requested_entities_only": scope.requested_entities_only,
    }


def scope_from_document(doc: dict[str, Any]) -> RowScope:
    return RowScope(
        bool(doc.get("all_rows", False)),
        tuple(doc.get("division_codes", ())),
        tuple(doc.get("entity_keys", ())),
        bool(doc.get("requested_entities_only", False)),
    )


def grant_document(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "subject": grant.subject,
        "provider": grant.provider,
        "items": list(grant.items),
        "mode": grant.mode.value,
        "consumer_departments": list(grant.consumer_departments),
        "consumer_groups": list(grant.consumer_groups),
        "actions": sorted(a.value for a in grant.actions),
        "purpose": grant.purpose,
        "legal_basis": grant.legal_basis,
        "start_time": _time(grant.start_time),
        "end_time": _time(grant.end_time),
        "row_scope": scope_document(grant.row_scope),
        "state": grant.state.value,
        "applicant": grant.applicant,
        "decided_by": grant.decided_by,
        "decision_reason": grant.decision_reason,
        "create_time": _time(grant.create_time),
        "update_time": _time(grant.update_time),
        "revision": grant.revision,
    }


def grant_from_document(doc: dict[str, Any]) -> Grant:
    end_time = _parse_time(doc["end_time"])
    assert end_time is not None
    return Grant(
        id=int(doc["id"]),
        subject=doc["subject"],
        provider=doc["provider"],
        items=tuple(doc["items"]),
        mode=GrantMode(doc["mode"]),
        consumer_departments=tuple(doc["consumer_departments"]),
        consumer_groups=tuple(doc["consumer_groups"]),
        actions=frozenset(Action(a) for a in doc["actions"]),
        purpose=doc["purpose"],
        legal_basis=doc["legal_basis"],
        start_time=_parse_time(doc["start_time"]),
        end_time=end_time,
        row_scope=scope_from_document(doc["row_scope"]),
        state=GrantState(doc["state"]),
        applicant=doc["applicant"],
        decided_by=doc.get("decided_by", ""),
        decision_reason=doc.get("decision_reason", ""),
        create_time=_parse_time(doc.get("create_time")),
        update_time=_parse_time(doc.get("update_time")),
        revision=int(doc.get("revision", 0)),
    )


def item_document(item: ItemPolicy) -> dict[str, Any]:
    return {
        "subject": item.subject,
        "item": item.item,
        "provider": item.provider,
        "sharing_type": item.sharing_type.value,
        "deprecated": item.deprecated,
        "removed": item.removed,
    }


def item_from_document(doc: dict[str, Any]) -> ItemPolicy:
    return ItemPolicy(
        doc["subject"],
        doc["item"],
        doc["provider"],
        SharingType(doc["sharing_type"]),
        bool(doc.get("deprecated", False)),
        bool(doc.get("removed", False)),
    )


def principal_document(principal: PrincipalEntry) -> dict[str, Any]:
    return {
        "kind": principal.kind.value,
        "code": principal.code,
        "roles": sorted(r.value for r in principal.roles),
        "department": principal.department,
        "groups": list(principal.groups),
        "display_name": principal.display_name,
        "disabled": principal.disabled,
    }


def principal_from_document(doc: dict[str, Any]) -> PrincipalEntry:
    return PrincipalEntry(
        kind=PrincipalKind(doc["kind"]),
        code=doc["code"],
        roles=frozenset(Role(r) for r in doc["roles"]),
        department=doc.get("department", ""),
        groups=tuple(doc.get("groups", ())),
        display_name=doc.get("display_name", ""),
        disabled=bool(doc.get("disabled", False)),
    )
