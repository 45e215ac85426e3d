"""Translation between the catalog.v1 messages and the catalog's domain model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.kernel.catalog.convert import (
    CATEGORY,
    CYCLE,
    DATA_TYPE,
    FORMAT,
    SENSITIVITY,
    SHARING,
    item_from_proto,
    retention_from_proto,
    subject_code_of,
    timestamp,
)
from govmesh.kernel.catalog.model import (
    CatalogChange,
    SubjectChange,
    SubjectVersionEntry,
)
from govmesh.kernel.catalog.view import ResourceKind, SearchHit
from govmesh.runtime.errors import ViolationCollector

RESOURCE_KINDS = {
    pb.RESOURCE_KIND_DEPARTMENT: ResourceKind.DEPARTMENT,
    pb.RESOURCE_KIND_SUBJECT: ResourceKind.SUBJECT,
    pb.RESOURCE_KIND_ITEM: ResourceKind.ITEM,
}
_RESOURCE_KIND_NUMBERS = {v: k for k, v in RESOURCE_KINDS.items()}


# -- names -------------------------------------------------------------------------------------


# -- domain → proto ----------------------------------------------------------------------------


def change_to_proto(c: SubjectChange | None) -> pb.SubjectChange | None:
    if c is None:
        return None
    return pb.SubjectChange(
        subject=f"subjects/{c.subject_code}",
        from_version=c.from_version,
        to_version=c.to_version,
        breaking=c.breaking,
        changes=[
            pb.FieldChange(
                path=f.path,
                kind=f.kind,
                before=f.before,
                after=f.after,
                breaking=f.breaking,
                breaking_reason=f.breaking_reason,
            )
            for f in c.changes
        ],
    )


def version_to_proto(v: SubjectVersionEntry) -> pb.SubjectVersion:
    return pb.SubjectVersion(
        subject=f"subjects/{v.subject_code}",
        version=str(v.version),
        create_time=timestamp(v.created_at),
        author=v.author,
        reason=v.reason,
        change=change_to_proto(v.change),
    )


def catalog_change_to_proto(c: CatalogChange) -> pb.CatalogChange:
    return pb.CatalogChange(
        revision=c.revision,
        create_time=timestamp(c.created_at),
        principal=c.principal,
        action=c.action,
        subject=f"subjects/{c.subject_code}",
        reason=c.reason,
        change=change_to_proto(c.change),
        trace_id=c.trace_id,
    )


def hit_to_proto(h: SearchHit) -> pb.SearchResult:
    if h.kind == ResourceKind.DEPARTMENT:
        name = f"departments/{h.code}"
    elif h.kind == ResourceKind.SUBJECT:
        name = f"subjects/{h.code}"
    else:
        name = f"subjects/{h.code.rsplit('.', 1)[0]}/items/{h.code}"
    return pb.SearchResult(
        kind=_RESOURCE_KIND_NUMBERS[h.kind],
        name=name,
        code=h.code,
        name_zh=h.name_zh,
        name_en=h.name_en,
        department=h.department,
        sharing_type=SHARING.to_proto(h.sharing_type) if h.sharing_type else 0,  # type: ignore[arg-type]
        match=h.match,  # type: ignore[arg-type]
        score=h.score,
    )


# -- proto → domain ----------------------------------------------------------------------------


def subject_fields(m: pb.Subject, paths: Iterable[str]) -> dict[str, Any]:
    """The masked fields of an UpdateSubject request, converted; every bad field is reported."""
    found = ViolationCollector()
    code = subject_code_of(m.name, "subject.name")
    converters: dict[str, Any] = {
        "category": lambda: CATEGORY.to_domain(m.category, "subject.category", found),
        "update_cycle": lambda: CYCLE.to_domain(m.update_cycle, "subject.update_cycle", found),
        "items": lambda: tuple(item_from_proto(i, code, f"subject.items[{n}]", found) for n, i in enumerate(m.items)),
        "retention": lambda: retention_from_proto(m, "subject.retention", found),
    }
    fields = {path: converters[path]() if path in converters else getattr(m, path, None) for path in paths}
    found.raise_if_any()
    return fields


def item_fields(m: pb.DataItem, paths: Iterable[str]) -> dict[str, Any]:
    """The masked fields of an UpdateItem request, converted; every bad field is reported."""
    found = ViolationCollector()
    converters: dict[str, Any] = {
        "data_type": lambda: DATA_TYPE.to_domain(m.data_type, "item.data_type", found),
        "format_standard": lambda: FORMAT.to_domain(m.format_standard, "item.format_standard", found),
        "sharing_type": lambda: SHARING.to_domain(m.sharing_type, "item.sharing_type", found),
        "sensitivity": lambda: SENSITIVITY.to_domain(m.sensitivity, "item.sensitivity", found),
        "enum_values": lambda: tuple(m.enum_values),
    }
    fields = {path: converters[path]() if path in converters else getattr(m, path, None) for path in paths}
    found.raise_if_any()
    return fields
