"""Master records as the service keeps them: linked records, the calibrated values, differences, review items."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from govmesh.kernel.identifiers import clean_identifier
from govmesh.kernel.names import normalise_address, normalise_enterprise_name, normalise_person_name
from govmesh.services.masters.domain.records import (
    DepartmentRecord,
    Kind,
    RecordKey,
    canonical_district,
    normalise_date,
)
from govmesh.services.masters.domain.rules import Evidence

__all__ = [
    "LINK_FIELDS",
    "LinkedRecord",
    "ReviewItem",
    "ReviewState",
    "calibrate",
    "comparable",
    "department_record",
    "differences",
]

# The fields linking compares, in the order of a department record (and of the batch file's columns).
LINK_FIELDS: Final = (
    "name", "uscc", "id_number", "address", "legal_rep", "district", "established", "birth_date", "gender",
)  # fmt: skip
_GENDERS: Final = {"M": "M", "男": "M", "1": "M", "MALE": "M", "F": "F", "女": "F", "2": "F", "FEMALE": "F"}


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """A department's record as the service holds it: what it said, where it is linked, and why."""

    key: RecordKey
    kind: Kind
    subject: str  # subject code it arrived as; empty for loaded files
    fields: Mapping[str, str]
    master_id: str
    evidence: Evidence
    invalid_identifier: str = ""
    updated_at: datetime | None = None
    items: Mapping[str, str] = field(default_factory=dict)  # item code → value, as delivered

    def as_department_record(self) -> DepartmentRecord:
        return department_record(self.kind, self.key, self.fields)


def department_record(kind: Kind, key: RecordKey, fields: Mapping[str, str]) -> DepartmentRecord:
    known = {name: fields.get(name, "") for name in LINK_FIELDS}
    return DepartmentRecord(kind=kind, department=key.department, record_id=key.record_id, **known)


def comparable(kind: Kind, name: str, value: str) -> str:
    """A field's value in the form two departments' values are compared in: the same rules as linking."""
    if not value:
        return ""
    if name == "name":
        return normalise_enterprise_name(value).canonical if kind is Kind.ENTERPRISE else normalise_person_name(value)
    if name == "legal_rep":
        return normalise_person_name(value)
    if name == "address":
        return normalise_address(value)
    if name == "district":
        return canonical_district(value) or ""
    if name in ("established", "birth_date"):
        return normalise_date(value) or clean_identifier(value)
    if name == "gender":
        return _GENDERS.get(clean_identifier(value), clean_identifier(value))
    return clean_identifier(value)


def calibrate(kind: Kind, records: Sequence[LinkedRecord]) -> dict[str, str]:
    """The master record's value of each field: the form most departments agree on, the latest on a tie.

    A record whose identifier is invalid does not vote on the identifier: a mistyped number must
    never become the master's.
    """
    latest_first = sorted(records, key=lambda r: (r.updated_at or datetime.min, r.key), reverse=True)
    chosen: dict[str, str] = {}
    for name in LINK_FIELDS:
        votes: Counter[str] = Counter()
        written: dict[str, str] = {}
        for record in latest_first:
            if name in ("uscc", "id_number") and record.invalid_identifier:
                continue
            value = record.fields.get(name, "")
            form = comparable(kind, name, value)
            if form:
                votes[form] += 1
                written.setdefault(form, value)
        if votes:
            best = max(votes.values())
            form = next(f for f in written if votes[f] == best)
            chosen[name] = written[form]
    return chosen


def differences(
    kind: Kind, master: Mapping[str, str], records: Iterable[LinkedRecord]
) -> dict[str, dict[RecordKey, str]]:
    """Field → the records (by key) whose value differs from the master's; a missing value is no difference."""
    found: dict[str, dict[RecordKey, str]] = {}
    for record in records:
        for name in LINK_FIELDS:
            value = record.fields.get(name, "")
            if value and comparable(kind, name, value) != comparable(kind, name, master.get(name, "")):
                found.setdefault(name, {})[record.key] = value
    return found


def name_variants(records: Iterable[LinkedRecord]) -> list[str]:
    return sorted({record.fields["name"] for record in records if record.fields.get("name")})


class ReviewState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ReviewClosed(ValueError):
    """A decision on a review item that is already decided."""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A link the model proposed below the link threshold, waiting for (or with) a person's decision."""

    id: int
    key: RecordKey
    current_master: str
    proposed_master: str
    evidence: Evidence
    state: ReviewState
    created_at: datetime
    decided_by: str = ""
    reason: str = ""
    decided_at: datetime | None = None

    def decide(self, state: ReviewState, by: str, reason: str, now: datetime) -> "ReviewItem":
        if self.state is not ReviewState.OPEN:
            raise ReviewClosed(f"reviewItems/{self.id} is already {self.state.value}")
        return replace(self, state=state, decided_by=by, reason=reason, decided_at=now)
