"""What master records answer: views, lookup, lifecycle, holders, data quality — each as the caller may see it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from govmesh.runtime import errors
from govmesh.runtime.identity import Principal, Role
from govmesh.runtime.paging import Page, PageRequest, page_of
from govmesh.services.masters.domain.masters import (
    LINK_FIELDS,
    LinkedRecord,
    ReviewItem,
    ReviewState,
    calibrate,
    differences,
    name_variants,
)
from govmesh.services.masters.domain.records import Kind, RecordKey
from govmesh.services.masters.domain.subjects import MASTER_ITEMS, MASTER_SUBJECTS, SubjectFields
from govmesh.services.masters.persistence.store import Store
from govmesh.services.masters.usecases import ERROR_DOMAIN

# Hub roles that read every master record whole; departments read what their grants allow.
_SEES_EVERYTHING = (Role.HUB_ADMINISTRATOR, Role.AUDITOR, Role.ENFORCEMENT_POINT)


class Visibility(Protocol):
    """Which items of a subject a department may read, from the authz policy."""

    def readable_items(self, department: str, subject: str) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class MasterView:
    id: str
    kind: Kind
    version: int
    updated_at: datetime | None
    fields: dict[str, str]
    variants: list[str]
    departments: list[str]
    linked: list[LinkedRecord] = field(default_factory=list)
    differences: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    when: datetime
    department: str
    subject: str
    key: str
    summary: str
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class QualityRow:
    department: str
    subject: str
    records: int
    invalid_identifier_share: float
    disagreement_shares: dict[str, float]
    unmatched: int
    open_reviews: int


class Reader:
    """Shapes what a caller sees: a department sees its own records whole and others' as its grants allow."""

    def __init__(self, principal: Principal, visibility: Visibility, subjects: Mapping[str, SubjectFields]):
        self.principal = principal
        self.visibility = visibility
        self.subjects = subjects
        self._cache: dict[str, frozenset[str]] = {}

    @property
    def sees_everything(self) -> bool:
        return any(self.principal.has_role(role) for role in _SEES_EVERYTHING)

    def items(self, subject: str) -> frozenset[str]:
        if subject not in self._cache:
            allowed: frozenset[str] = frozenset()
            if self.principal.kind == "department" and subject:
                allowed = self.visibility.readable_items(self.principal.code, subject)
            self._cache[subject] = allowed
        return self._cache[subject]

    def owns(self, department: str) -> bool:
        return self.sees_everything or (self.principal.kind == "department" and self.principal.code == department)

    def record_fields(self, record: LinkedRecord) -> dict[str, str]:
        if self.owns(record.key.department):
            return dict(record.fields)
        mapping = self.subjects.get(record.subject)
        if mapping is None:
            return {}
        allowed = self.items(record.subject)
        return {name: value for name, value in record.fields.items() if mapping.item_of_field.get(name) in allowed}

    def item_values(self, department: str, subject: str, values: Mapping[str, str]) -> dict[str, str]:
        if self.owns(department):
            return dict(values)
        allowed = self.items(subject)
        return {item: value for item, value in values.items() if item in allowed}

    def master_fields(self, kind: Kind, fields: Mapping[str, str]) -> dict[str, str]:
        if self.sees_everything:
            return dict(fields)
        allowed = self.items(MASTER_SUBJECTS[kind])
        return {name: value for name, value in fields.items() if MASTER_ITEMS[kind].get(name) in allowed}


class Queries:
    """Reads of the master records."""

    def __init__(
        self, store: Store, visibility: Visibility, subjects: Callable[[], Mapping[str, SubjectFields]]
    ) -> None:
        self.store = store
        self.visibility = visibility
        self.subjects = subjects

    def reader(self, principal: Principal) -> Reader:
        return Reader(principal, self.visibility, self.subjects())

    def view(self, principal: Principal, master_id: str, *, full: bool = True) -> MasterView:
        with self.store.unit() as unit:
            row = unit.master(master_id)
            linked = unit.records_of([master_id])
        if row is not None and row.merged_into:
            # Gone, but not unknown: the caller who kept the old id learns where its records went.
            raise errors.NotFound(
                "master record",
                f"masters/{master_id}",
                reason="MERGED",
                domain=ERROR_DOMAIN,
                metadata={"merged_into": f"masters/{row.merged_into}"},
            )
        if row is None or row.retired or not linked:
            raise errors.NotFound("master record", f"masters/{master_id}")
        return _shape(self.reader(principal), master_id, Kind(row.kind), row.version, row.updated_at, linked, full)

    def lookup(
        self, principal: Principal, key: RecordKey | None, query: str, find: Callable[[str], set[str]], limit: int
    ) -> list[MasterView]:
        """By a department's key, or by a name (any variant, normalised) or a valid identifier (`find`)."""
        found: list[str] = []
        if key is not None:
            with self.store.unit() as unit:
                record = unit.record(key)
            found = [record.master_id] if record else []
        else:
            found = sorted(find(query))
        views = []
        for master_id in found[:limit]:
            try:
                views.append(self.view(principal, master_id, full=False))
            except errors.NotFound:
                continue
        return views

    def reviews(self, state: ReviewState | None, page: PageRequest) -> Page[ReviewItem]:
        with self.store.unit() as unit:
            return page_of(unit.reviews(state, page.offset, page.size + 1), page)

    def lifecycle(self, principal: Principal, master_id: str) -> tuple[list[LifecycleEvent], int]:
        """Every arrival of a linked record and every decision about the master, oldest first; hidden ones counted."""
        with self.store.unit() as unit:
            linked = unit.records_of([master_id])
            if not linked:
                raise errors.NotFound("master record", f"masters/{master_id}")
            arrivals = unit.events_of([record.key for record in linked])
            decisions = unit.audit_of(master_id)
        reader = self.reader(principal)
        events: list[LifecycleEvent] = []
        hidden = 0
        for row in arrivals:
            values = reader.item_values(row.department, row.subject, row.items)
            if row.items and not values:
                hidden += 1
                continue
            summary = f"{row.department} recorded {row.subject or 'a loaded record'}"
            events.append(LifecycleEvent(row.event_time, row.department, row.subject, row.record_key, summary, values))
        for row in decisions:
            summary = f"{row.action} by {row.principal}" + (f": {row.detail}" if row.detail else "")
            events.append(LifecycleEvent(row.at, "INFO", "", "", summary, {}))
        events.sort(key=lambda event: event.when)
        return events, hidden

    def holders(self, principal: Principal, master_id: str) -> list[tuple[str, str, str]]:
        """(department, subject, key) of every record linked to a master that the caller may ask about."""
        with self.store.unit() as unit:
            linked = unit.records_of([master_id])
        if not linked:
            raise errors.NotFound("master record", f"masters/{master_id}")
        reader = self.reader(principal)
        return [
            (record.key.department, record.subject, record.key.record_id)
            for record in linked
            if reader.owns(record.key.department) or (record.subject and reader.items(record.subject))
        ]

    def quality(self) -> tuple[list[QualityRow], int]:
        with self.store.unit() as unit:
            held = unit.all_records()
            open_items = unit.reviews(ReviewState.OPEN, 0, 1_000_000)
            master_count = unit.master_count()
        return quality_rows(held, open_items), master_count


def _shape(
    reader: Reader,
    master_id: str,
    kind: Kind,
    version: int,
    updated_at: datetime | None,
    linked: Sequence[LinkedRecord],
    full: bool,
) -> MasterView:
    fields = calibrate(kind, linked)
    shown_fields = reader.master_fields(kind, fields)
    view = MasterView(
        id=master_id,
        kind=kind,
        version=version,
        updated_at=updated_at,
        fields=shown_fields,
        variants=name_variants(linked) if "name" in shown_fields else [],
        departments=sorted({record.key.department for record in linked}),
    )
    if not full:
        return view
    shown = [replace(record, fields=reader.record_fields(record), items={}) for record in linked]
    visible = {record.key: record for record in shown}
    differing: dict[str, dict[str, str]] = {}
    for name, by_key in differences(kind, fields, linked).items():
        if name not in view.fields:
            continue
        for key, value in by_key.items():
            if name in visible[key].fields:
                differing.setdefault(name, {})[key.department] = value
    return replace(view, linked=shown, differences=differing)


def quality_rows(held: Sequence[LinkedRecord], open_items: Sequence[ReviewItem]) -> list[QualityRow]:
    """Per department and subject: invalid identifiers, disagreement per field, unmatched records, open reviews."""
    by_master: defaultdict[str, list[LinkedRecord]] = defaultdict(list)
    for record in held:
        by_master[record.master_id].append(record)
    calibrated = {master: calibrate(group[0].kind, group) for master, group in by_master.items()}
    groups: defaultdict[tuple[str, str], list[LinkedRecord]] = defaultdict(list)
    for record in held:
        groups[(record.key.department, record.subject)].append(record)
    open_keys: defaultdict[RecordKey, int] = defaultdict(int)
    for item in open_items:
        open_keys[item.key] += 1
    rows = []
    for (department, subject), records in sorted(groups.items()):
        disagreeing: defaultdict[str, int] = defaultdict(int)
        for record in records:
            for name in differences(record.kind, calibrated[record.master_id], [record]):
                disagreeing[name] += 1
        total = len(records)
        rows.append(
            QualityRow(
                department=department,
                subject=subject,
                records=total,
                invalid_identifier_share=sum(1 for r in records if r.invalid_identifier) / total,
                disagreement_shares={name: disagreeing[name] / total for name in LINK_FIELDS if disagreeing[name]},
                unmatched=sum(1 for r in records if {o.key.department for o in by_master[r.master_id]} == {department}),
                open_reviews=sum(open_keys[r.key] for r in records),
            )
        )
    return rows
