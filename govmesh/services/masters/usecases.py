"""What changes master records: linking records as they arrive, and people's review, split and merge decisions.

Linking runs under one lock in one process: the candidate index lives in memory, rebuilt from the
tables at start and after every decision that moves records between master records. Each change
bumps the master record's version in the same transaction; a background loop publishes versions
the exchange does not have yet (`published_version`), so a change reaches subscribers even if the
process stops between commit and publish.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from govmesh.runtime import errors
from govmesh.runtime.identity import Principal, Role
from govmesh.services.masters.domain.comparisons import LinkageModel
from govmesh.services.masters.domain.linker import IncrementalLinker, InMemoryCandidateIndex
from govmesh.services.masters.domain.masters import (
    LinkedRecord,
    ReviewClosed,
    ReviewItem,
    ReviewState,
    department_record,
)
from govmesh.services.masters.domain.records import DepartmentRecord, Kind, PreparedRecord, RecordKey, prepare
from govmesh.services.masters.domain.rules import DecisionKind, Evidence, conflict, identifiers_conflict
from govmesh.services.masters.persistence.store import Store, Unit
from govmesh.services.masters.trained import load_models

ERROR_DOMAIN = "masters.govmesh"
ADMINISTRATOR = Role.HUB_ADMINISTRATOR
MANUAL: Evidence = Evidence("manual", 1.0)


def _now() -> datetime:
    return datetime.now(UTC)


def new_master_id() -> str:
    return "M" + uuid.uuid4().hex[:15].upper()


@dataclass(frozen=True, slots=True)
class Arrival:
    """A department's record as it arrives: from the exchange (with its subject and items) or a loaded file."""

    key: RecordKey
    kind: Kind
    fields: dict[str, str]
    subject: str = ""
    items: dict[str, str] = field(default_factory=dict)
    event_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Unpublished:
    """A master record's version to publish: its records, or for one merged away, the survivor's and its id."""

    master_id: str
    kind: Kind
    version: int
    linked: list[LinkedRecord]
    merged_into: str = ""


@dataclass(frozen=True, slots=True)
class Linked:
    """Where an arriving record went."""

    key: RecordKey
    master_id: str
    evidence: Evidence
    invalid_identifier: str


class Masters:
    """The master records' writes: link, review, split, merge."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime] = _now, models: Mapping[Kind, LinkageModel] | None = None
    ):
        self.store = store
        self.clock = clock
        # The shipped trained parameters unless told otherwise: the batch path links with the same ones.
        self.models = dict(models) if models is not None else dict(load_models().models)
        self._lock = threading.Lock()
        self._index = InMemoryCandidateIndex()
        self._linker = IncrementalLinker(self._index, self.models, new_master_id=new_master_id)
        self.names: dict[str, set[str]] = {}
        self.rebuild()

    def rebuild(self) -> None:
        """The candidate index and the name directory, from the tables."""
        with self.store.unit() as unit:
            held = unit.all_records()
        index = InMemoryCandidateIndex()
        names: defaultdict[str, set[str]] = defaultdict(set)
        for record in sorted(held, key=lambda r: (r.updated_at or datetime.min.replace(tzinfo=UTC), r.key)):
            prepared = prepare(record.as_department_record())
            index.add(prepared, record.master_id)
            if prepared.name:
                names[prepared.name].add(record.master_id)
        self._index = index
        self._linker = IncrementalLinker(index, self.models, new_master_id=new_master_id)
        self.names = dict(names)

    def find(self, query: str) -> set[str]:
        """Master ids whose records bear a name (in any written form) or a valid identifier."""
        found: set[str] = set()
        with self._lock:
            for kind in Kind:
                identifier = {"uscc": query} if kind is Kind.ENTERPRISE else {"id_number": query}
                prepared = prepare(DepartmentRecord(kind=kind, department="", record_id="", name=query, **identifier))
                if prepared.name:
                    found |= self.names.get(prepared.name, set())
                if prepared.identifier:
                    master = self._index.master_of_identifier(kind, prepared.identifier)
                    found |= {master} if master else set()
        return found

    # --- linking ----------------------------------------------------------------------------

    def ingest(self, arrivals: Sequence[Arrival]) -> list[Linked]:
        """Links every arriving record, incrementally; a record seen before keeps its master and updates it."""
        with self._lock:
            try:
                with self.store.unit() as unit:
                    return [self._ingest_one(unit, arrival) for arrival in arrivals]
            except BaseException:
                # The index may hold links the rolled-back transaction never stored.
                self.rebuild()
                raise

    def _ingest_one(self, unit: Unit, arrival: Arrival) -> Linked:
        now = self.clock()
        existing = unit.record(arrival.key)
        fields = {**(existing.fields if existing else {}), **arrival.fields}
        prepared = prepare(department_record(arrival.kind, arrival.key, fields))
        if existing is not None:
            master, evidence = existing.master_id, existing.evidence
            self._index.add(prepared, master)
        else:
            master, evidence = self._link_new(unit, prepared, now)
        if prepared.name:
            self.names.setdefault(prepared.name, set()).add(master)
        problem = prepared.identifier_problem or ""
        record = LinkedRecord(
            key=arrival.key,
            kind=arrival.kind,
            subject=arrival.subject or (existing.subject if existing else ""),
            fields=fields,
            master_id=master,
            evidence=evidence,
            invalid_identifier=problem,
            updated_at=now,
            items={**(existing.items if existing else {}), **arrival.items},
        )
        unit.put_record(record)
        unit.add_event(arrival.key, arrival.subject, arrival.event_time or now, dict(arrival.items))
        unit.touch_master(master, arrival.kind, now)
        return Linked(arrival.key, master, evidence, problem)

    def _link_new(self, unit: Unit, prepared: PreparedRecord, now: datetime) -> tuple[str, Evidence]:
        decision = self._linker.link_prepared(prepared)
        if decision.kind is DecisionKind.NEW or decision.evidence is None:
            return decision.master_id, Evidence("new", 1.0)
        if decision.kind is DecisionKind.REVIEW and decision.proposed_master_id is not None:
            unit.add_review(
                ReviewItem(
                    id=0,
                    key=prepared.key,
                    current_master=decision.master_id,
                    proposed_master=decision.proposed_master_id,
                    evidence=decision.evidence,
                    state=ReviewState.OPEN,
                    created_at=now,
                )
            )
            return decision.master_id, Evidence("review", decision.evidence.score)
        return decision.master_id, decision.evidence

    # --- people's decisions -----------------------------------------------------------------

    def confirm(self, principal: Principal, review_id: int, reason: str) -> ReviewItem:
        return self._decide(principal, review_id, ReviewState.CONFIRMED, reason)

    def reject(self, principal: Principal, review_id: int, reason: str) -> ReviewItem:
        return self._decide(principal, review_id, ReviewState.REJECTED, reason)

    def _decide(self, principal: Principal, review_id: int, state: ReviewState, reason: str) -> ReviewItem:
        _require_administrator(principal)
        with self._lock, self.store.unit() as unit:
            item = unit.review(review_id)
            if item is None:
                raise errors.NotFound("review item", f"reviewItems/{review_id}")
            try:
                decided = item.decide(state, str(principal), reason, self.clock())
            except ReviewClosed as closed:
                raise errors.FailedPrecondition(str(closed), reason="ALREADY_DECIDED", domain=ERROR_DOMAIN) from None
            record = unit.record(item.key)
            if record is None:
                raise errors.NotFound("record", f"{item.key.department}/{item.key.record_id}")
            # Both master records' lifecycles show the decision.
            touched = [record.master_id, item.proposed_master]
            if state is ReviewState.CONFIRMED:
                target = unit.records_of([item.proposed_master])
                if not target:
                    raise errors.FailedPrecondition(
                        f"masters/{item.proposed_master} no longer exists", reason="MASTER_GONE", domain=ERROR_DOMAIN
                    )
                _require_mergeable([record], target)
                self._move(unit, [record], item.proposed_master)
            else:
                # Nothing moves, but the decision is news to subscribers: the master stands as it is.
                unit.touch_master(record.master_id, record.kind, self.clock())
            unit.save_review(decided)
            unit.add_audit(decided.decided_at or self.clock(), str(principal), state.value, touched, reason)
        self.rebuild()
        return decided

    def split(self, principal: Principal, master_id: str, keys: Sequence[RecordKey], reason: str) -> str:
        """Moves `keys` out of a master record into a new one; returns the new master id."""
        _require_administrator(principal)
        with self._lock, self.store.unit() as unit:
            held = unit.records_of([master_id])
            if not held:
                raise errors.NotFound("master record", f"masters/{master_id}")
            leaving = [record for record in held if record.key in set(keys)]
            unknown = set(keys) - {record.key for record in leaving}
            if unknown or not leaving or len(leaving) == len(held):
                first = sorted(unknown)[0] if unknown else None
                violation = errors.FieldViolation(
                    "records",
                    f"{first.department}/{first.record_id} is not a record of masters/{master_id}"
                    if first
                    else "name some but not all of the master record's records",
                )
                raise errors.InvalidArgument("cannot split", [violation])
            created = new_master_id()
            self._move(unit, leaving, created)
            unit.touch_master(master_id, held[0].kind, self.clock())
            unit.add_audit(self.clock(), str(principal), "split", [master_id, created], reason)
        self.rebuild()
        return created

    def merge(self, principal: Principal, keep: str, absorbed: str, reason: str) -> None:
        """Moves every record of `absorbed` into `keep` and ends `absorbed`; refused where the rules forbid it."""
        _require_administrator(principal)
        if keep == absorbed:
            violation = errors.FieldViolation("absorbed", "a master record cannot absorb itself")
            raise errors.InvalidArgument("cannot merge", [violation])
        with self._lock, self.store.unit() as unit:
            staying, leaving = unit.records_of([keep]), unit.records_of([absorbed])
            for name, found in ((keep, staying), (absorbed, leaving)):
                if not found:
                    raise errors.NotFound("master record", f"masters/{name}")
            _require_mergeable(leaving, staying)
            self._move(unit, leaving, keep)
            unit.add_audit(self.clock(), str(principal), "merge", [keep, absorbed], reason)
        self.rebuild()

    def _move(self, unit: Unit, moving: Sequence[LinkedRecord], target: str) -> None:
        now = self.clock()
        unit.move_records([record.key for record in moving], target, MANUAL)
        unit.touch_master(target, moving[0].kind, now)
        for source in {record.master_id for record in moving}:
            if unit.records_of([source]):
                unit.touch_master(source, moving[0].kind, now)
            else:
                # Emptied into the target: its id must lead subscribers to the target from now on.
                unit.retire_master(source, now, merged_into=target)

    # --- publishing -------------------------------------------------------------------------

    def unpublished(self, limit: int = 100) -> list[Unpublished]:
        """Master records whose latest version the exchange does not have, with their records; a merged-away
        one with its survivor's records, which its last version describes."""
        with self.store.unit() as unit:
            rows = unit.unpublished(limit)
            linked = unit.records_of([row.merged_into or row.id for row in rows])
        by_master: defaultdict[str, list[LinkedRecord]] = defaultdict(list)
        for record in linked:
            by_master[record.master_id].append(record)
        pending = []
        for row in rows:
            survivor = row.merged_into or ""
            pending.append(Unpublished(row.id, Kind(row.kind), row.version, by_master[survivor or row.id], survivor))
        return pending

    def mark_published(self, master_id: str, version: int) -> None:
        with self.store.unit() as unit:
            unit.mark_published(master_id, version)


def _require_administrator(principal: Principal) -> None:
    if not principal.has_role(ADMINISTRATOR):
        raise errors.PermissionDenied(
            f"{principal} may not decide about master records; hub administrators do", reason="ROLE_REQUIRED"
        )


def _require_mergeable(moving: Sequence[LinkedRecord], staying: Sequence[LinkedRecord]) -> None:
    """Conflicting valid identifiers, a branch and its parent, or two company forms are never one master."""
    left = [prepare(record.as_department_record()) for record in moving]
    right = [prepare(record.as_department_record()) for record in staying]
    identifiers = (
        {p.identifier for p in left if p.identifier},
        {p.identifier for p in right if p.identifier},
    )
    problem = "valid identifiers differ" if identifiers_conflict(*identifiers) else None
    for a in left:
        for b in right:
            problem = problem or conflict(a, b)
    if problem is not None:
        raise errors.FailedPrecondition(
            f"these records cannot be one master record: {problem}", reason="CANNOT_MERGE", domain=ERROR_DOMAIN
        )
