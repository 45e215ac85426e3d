"""Reads and writes of the masters service's tables, one transaction per unit of work."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from govmesh.runtime.unit_of_work import Database
from govmesh.services.masters.domain.masters import LinkedRecord, ReviewItem, ReviewState
from govmesh.services.masters.domain.records import Kind, RecordKey
from govmesh.services.masters.domain.rules import Evidence
from govmesh.services.masters.persistence.tables import audit, events, masters, records, reviews


def _record(row: Row[Any]) -> LinkedRecord:
    return LinkedRecord(
        key=RecordKey(row.department, row.record_key),
        kind=Kind(row.kind),
        subject=row.subject,
        fields=dict(row.fields),
        master_id=row.master_id,
        evidence=Evidence(row.method, row.score, tuple(row.agreed), tuple(row.disagreed)),
        invalid_identifier=row.invalid_identifier,
        updated_at=row.updated_at,
        items=dict(row.items),
    )


def _review(row: Row[Any]) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        key=RecordKey(row.department, row.record_key),
        current_master=row.current_master,
        proposed_master=row.proposed_master,
        evidence=Evidence(row.method, row.score, tuple(row.agreed), tuple(row.disagreed)),
        state=ReviewState(row.state),
        created_at=row.created_at,
        decided_by=row.decided_by,
        reason=row.reason,
        decided_at=row.decided_at,
    )


class Unit:
    """One transaction's reads and writes."""

    def __init__(self, connection: Connection):
        self.connection = connection

    # --- department records ---------------------------------------------------------------

    def record(self, key: RecordKey) -> LinkedRecord | None:
        row = self.connection.execute(
            select(records).where(records.c.department == key.department, records.c.record_key == key.record_id)
        ).first()
        return _record(row) if row else None

    def records_of(self, master_ids: Iterable[str]) -> list[LinkedRecord]:
        wanted = sorted(set(master_ids))
        rows = self.connection.execute(
            select(records).where(records.c.master_id.in_(wanted)).order_by(records.c.department, records.c.record_key)
        )
        return [_record(row) for row in rows]

    def all_records(self) -> list[LinkedRecord]:
        return [_record(row) for row in self.connection.execute(select(records))]

    def put_record(self, record: LinkedRecord) -> None:
        values = {
            "kind": record.kind.value,
            "subject": record.subject,
            "fields": dict(record.fields),
            "items": dict(record.items),
            "master_id": record.master_id,
            "method": record.evidence.method,
            "score": record.evidence.score,
            "agreed": list(record.evidence.agreed),
            "disagreed": list(record.evidence.disagreed),
            "invalid_identifier": record.invalid_identifier,
            "updated_at": record.updated_at,
        }
        key = (records.c.department == record.key.department, records.c.record_key == record.key.record_id)
        if self.connection.execute(update(records).where(*key).values(**values)).rowcount == 0:
            self.connection.execute(
                insert(records).values(department=record.key.department, record_key=record.key.record_id, **values)
            )

    def move_records(self, keys: Sequence[RecordKey], master_id: str, evidence: Evidence) -> None:
        for key in keys:
            self.connection.execute(
                update(records)
                .where(records.c.department == key.department, records.c.record_key == key.record_id)
                .values(
                    master_id=master_id,
                    method=evidence.method,
                    score=evidence.score,
                    agreed=list(evidence.agreed),
                    disagreed=list(evidence.disagreed),
                )
            )

    # --- master records -------------------------------------------------------------------

    def master(self, master_id: str) -> Row[Any] | None:
        return self.connection.execute(select(masters).where(masters.c.id == master_id)).first()

    def touch_master(self, master_id: str, kind: Kind, now: datetime) -> None:
        """A new version of a master record (its first, when it is new)."""
        changed = self.connection.execute(
            update(masters)
            .where(masters.c.id == master_id)
            .values(version=masters.c.version + 1, retired=False, merged_into=None, updated_at=now)
        ).rowcount
        if changed == 0:
            self.connection.execute(
                insert(masters).values(
                    id=master_id, kind=kind.value, version=1, published_version=0, retired=False, updated_at=now
                )
            )

    def retire_master(self, master_id: str, now: datetime, merged_into: str | None = None) -> None:
        """A master left without records; one merged into another gets a last version saying which."""
        values: dict[str, Any] = {"retired": True, "updated_at": now, "merged_into": merged_into}
        if merged_into is not None:
            values["version"] = masters.c.version + 1
            # Masters absorbed earlier by this one now lead to its survivor, in one step.
            self.connection.execute(
                update(masters)
                .where(masters.c.merged_into == master_id)
                .values(merged_into=merged_into, version=masters.c.version + 1, updated_at=now)
            )
        self.connection.execute(update(masters).where(masters.c.id == master_id).values(**values))

    def unpublished(self, limit: int) -> list[Row[Any]]:
        """Live masters with a version to publish, and merged-away ones with their last; merged-away first, so
        that a subscriber reads that a master was absorbed before the survivor's new version."""
        waiting = or_(masters.c.retired.is_(False), masters.c.merged_into.is_not(None))
        query = (
            select(masters)
            .where(masters.c.published_version < masters.c.version, waiting)
            .order_by(masters.c.retired.desc(), masters.c.updated_at, masters.c.id)
            .limit(limit)
        )
        return list(self.connection.execute(query))

    def mark_published(self, master_id: str, version: int) -> None:
        self.connection.execute(
            update(masters)
            .where(masters.c.id == master_id, masters.c.published_version < version)
            .values(published_version=version)
        )

    def master_count(self) -> int:
        return int(
            self.connection.execute(
                select(func.count()).select_from(masters).where(masters.c.retired.is_(False))
            ).scalar_one()
        )

    # --- review queue ---------------------------------------------------------------------

    def add_review(self, item: ReviewItem) -> int:
        return int(
            self.connection.execute(
                insert(reviews)
                .values(
                    department=item.key.department,
                    record_key=item.key.record_id,
                    current_master=item.current_master,
                    proposed_master=item.proposed_master,
                    method=item.evidence.method,
                    score=item.evidence.score,
                    agreed=list(item.evidence.agreed),
                    disagreed=list(item.evidence.disagreed),
                    state=item.state.value,
                    created_at=item.created_at,
                    decided_by="",
                    reason="",
                )
                .returning(reviews.c.id)
            ).scalar_one()
        )

    def review(self, review_id: int) -> ReviewItem | None:
        row = self.connection.execute(select(reviews).where(reviews.c.id == review_id)).first()
        return _review(row) if row else None

    def save_review(self, item: ReviewItem) -> None:
        self.connection.execute(
            update(reviews)
            .where(reviews.c.id == item.id)
            .values(state=item.state.value, decided_by=item.decided_by, reason=item.reason, decided_at=item.decided_at)
        )

    def reviews(self, state: ReviewState | None, offset: int, limit: int) -> list[ReviewItem]:
        query = select(reviews).order_by(reviews.c.id).offset(offset).limit(limit)
        if state is not None:
            query = query.where(reviews.c.state == state.value)
        return [_review(row) for row in self.connection.execute(query)]

    def close_reviews_of(self, key: RecordKey) -> None:
        """A record that arrives again is linked afresh; an open question about its old version goes."""
        self.connection.execute(
            delete(reviews).where(
                reviews.c.department == key.department,
                reviews.c.record_key == key.record_id,
                reviews.c.state == ReviewState.OPEN.value,
            )
        )

    # --- events and audit -----------------------------------------------------------------

    def add_event(self, key: RecordKey, subject: str, when: datetime, items: dict[str, str]) -> None:
        self.connection.execute(
            insert(events).values(
                department=key.department, record_key=key.record_id, subject=subject, event_time=when, items=items
            )
        )

    def events_of(self, keys: Sequence[RecordKey]) -> list[Row[Any]]:
        found: list[Row[Any]] = []
        for key in keys:
            found += self.connection.execute(
                select(events).where(events.c.department == key.department, events.c.record_key == key.record_id)
            )
        return found

    def add_audit(self, when: datetime, principal: str, action: str, master_ids: Sequence[str], detail: str) -> None:
        self.connection.execute(
            insert(audit).values(
                at=when, principal=principal, action=action, master_ids=list(master_ids), detail=detail
            )
        )

    def audit_of(self, master_id: str) -> list[Row[Any]]:
        # Few audit rows exist per hub (people's decisions), so filtering in Python keeps the query portable.
        return [
            row for row in self.connection.execute(select(audit).order_by(audit.c.id)) if master_id in row.master_ids
        ]


class Store:
    """Opens units of work on the runtime's unit of work: one write lock on SQLite, outages as UNAVAILABLE."""

    def __init__(self, database: Database):
        self.database = database

    @contextlib.contextmanager
    def unit(self) -> Iterator[Unit]:
        with self.database.unit_of_work() as work:
            yield Unit(work.conn)
