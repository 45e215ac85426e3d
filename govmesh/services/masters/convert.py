"""Between the masters contract and the service's domain: names, requests checked field by field, views as messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.masters.v1 import masters_pb2 as pb
from govmesh.runtime import errors
from govmesh.services.masters.domain.masters import LinkedRecord, ReviewItem, ReviewState
from govmesh.services.masters.domain.records import Kind, RecordKey
from govmesh.services.masters.domain.rules import Evidence
from govmesh.services.masters.queries import LifecycleEvent, MasterView, QualityRow
from govmesh.services.masters.usecases import Arrival, Linked

MAX_LOAD = 5000
_KINDS: dict[int, Kind] = {pb.ENTITY_KIND_PERSON: Kind.PERSON, pb.ENTITY_KIND_ENTERPRISE: Kind.ENTERPRISE}
_KIND_NUMBERS = {Kind.PERSON: pb.ENTITY_KIND_PERSON, Kind.ENTERPRISE: pb.ENTITY_KIND_ENTERPRISE}
_STATES: dict[int, ReviewState] = {
    pb.REVIEW_STATE_OPEN: ReviewState.OPEN,
    pb.REVIEW_STATE_CONFIRMED: ReviewState.CONFIRMED,
    pb.REVIEW_STATE_REJECTED: ReviewState.REJECTED,
}
_STATE_NUMBERS = {
    ReviewState.OPEN: pb.REVIEW_STATE_OPEN,
    ReviewState.CONFIRMED: pb.REVIEW_STATE_CONFIRMED,
    ReviewState.REJECTED: pb.REVIEW_STATE_REJECTED,
}


def _invalid(field: str, description: str) -> errors.InvalidArgument:
    return errors.InvalidArgument(f"{field}: {description}", [errors.FieldViolation(field, description)])


def master_id(name: str, field: str = "name") -> str:
    prefix, _, identifier = name.partition("/")
    if prefix != "masters" or not identifier or not identifier.isalnum():
        raise _invalid(field, f"must be masters/{{id}}, got {name!r}")
    return identifier


def review_id(name: str) -> int:
    prefix, _, number = name.partition("/")
    if prefix != "reviewItems" or not number.isascii() or not number.isdigit():
        raise _invalid("name", f"must be reviewItems/{{id}}, got {name!r}")
    return int(number)


def record_keys(refs: Sequence[pb.RecordRef]) -> list[RecordKey]:
    if not refs:
        raise _invalid("records", "name at least one record")
    for index, ref in enumerate(refs):
        if not ref.department or not ref.key:
            raise _invalid(f"records[{index}]", "needs a department and a key")
    return [RecordKey(ref.department, ref.key) for ref in refs]


def lookup_key(request: pb.LookupMasterRecordsRequest) -> RecordKey | None:
    if request.department or request.key:
        if not (request.department and request.key):
            raise _invalid("key" if request.department else "department", "department and key go together")
        return RecordKey(request.department, request.key)
    if not request.query.strip():
        raise _invalid("query", "give a department and key, or a name or identifier")
    return None


def page_size(value: int, default: int, largest: int) -> int:
    if value < 0:
        raise _invalid("page_size", "must not be negative")
    return min(value or default, largest)


def review_state(value: int) -> ReviewState:
    return _STATES.get(value, ReviewState.OPEN)


def arrivals(department: str, records: Sequence[pb.DepartmentRecord]) -> list[Arrival]:
    """The caller's records to load; the whole call is refused at the first malformed one."""
    if len(records) > MAX_LOAD:
        raise _invalid("records", f"at most {MAX_LOAD} records a call, got {len(records)}")
    found: list[Arrival] = []
    for index, record in enumerate(records):
        if not record.key:
            raise _invalid(f"records[{index}].key", "required")
        if record.kind not in _KINDS:
            raise _invalid(f"records[{index}].kind", "must be ENTITY_KIND_PERSON or ENTITY_KIND_ENTERPRISE")
        if not record.name.strip():
            raise _invalid(f"records[{index}].name", "required")
        fields = {
            name: getattr(record, name)
            for name in (
                "name", "uscc", "id_number", "address", "legal_rep", "district", "established", "birth_date", "gender",
            )
            if getattr(record, name)
        }  # fmt: skip
        found.append(Arrival(RecordKey(department, record.key), _KINDS[record.kind], fields))
    return found


def _time(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def evidence(value: Evidence) -> pb.Evidence:
    return pb.Evidence(
        method=value.method, score=value.score, agreed=list(value.agreed), disagreed=list(value.disagreed)
    )


def linked_record(record: LinkedRecord) -> pb.LinkedRecord:
    return pb.LinkedRecord(
        department=record.key.department,
        key=record.key.record_id,
        subject=f"subjects/{record.subject}" if record.subject else "",
        fields=dict(record.fields),
        evidence=evidence(record.evidence),
        invalid_identifier=record.invalid_identifier,
        update_time=_time(record.updated_at),
    )


def master_record(view: MasterView) -> pb.MasterRecord:
    identifier_field = "uscc" if view.kind is Kind.ENTERPRISE else "id_number"
    return pb.MasterRecord(
        name=f"masters/{view.id}",
        kind=_KIND_NUMBERS[view.kind],
        identifier=view.fields.get(identifier_field, ""),
        fields=view.fields,
        name_variants=view.variants,
        departments=view.departments,
        version=view.version,
        linked_records=[linked_record(record) for record in view.linked],
        differences=[
            pb.FieldDifference(field=name, master_value=view.fields.get(name, ""), department_values=values)
            for name, values in sorted(view.differences.items())
        ],
        update_time=_time(view.updated_at),
    )


def review_item(item: ReviewItem) -> pb.ReviewItem:
    return pb.ReviewItem(
        name=f"reviewItems/{item.id}",
        department=item.key.department,
        key=item.key.record_id,
        current_master=f"masters/{item.current_master}",
        proposed_master=f"masters/{item.proposed_master}",
        evidence=evidence(item.evidence),
        state=_STATE_NUMBERS[item.state],
        decided_by=item.decided_by,
        reason=item.reason,
        create_time=_time(item.created_at),
        decide_time=_time(item.decided_at),
    )


def lifecycle_event(event: LifecycleEvent) -> pb.LifecycleEvent:
    return pb.LifecycleEvent(
        event_time=_time(event.when),
        department=event.department,
        subject=f"subjects/{event.subject}" if event.subject else "",
        key=event.key,
        summary=event.summary,
        values=event.values,
    )


def load_result(linked: Linked) -> pb.LoadResult:
    return pb.LoadResult(
        key=linked.key.record_id,
        master=f"masters/{linked.master_id}",
        evidence=evidence(linked.evidence),
        invalid_identifier=linked.invalid_identifier,
    )


def quality_row(row: QualityRow) -> pb.QualityRow:
    return pb.QualityRow(
        department=row.department,
        subject=f"subjects/{row.subject}" if row.subject else "",
        record_count=row.records,
        invalid_identifier_share=row.invalid_identifier_share,
        disagreement_shares=row.disagreement_shares,
        unmatched_count=row.unmatched,
        open_review_count=row.open_reviews,
    )
