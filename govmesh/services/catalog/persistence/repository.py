"""Reads and writes of the catalog's tables; writes go into the unit of work the use case opened."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from govmesh.kernel.catalog.model import (
    CatalogChange,
    Department,
    DepartmentLevel,
    Subject,
    SubjectChange,
    SubjectVersionEntry,
    Version,
)
from govmesh.runtime.clock import as_utc as _utc
from govmesh.runtime.database import schema_lock
from govmesh.runtime.errors import Aborted, AlreadyExists, FailedPrecondition, PreconditionViolation
from govmesh.runtime.unit_of_work import Database
from govmesh.services.catalog.persistence import tables as t


def _department(row: Row) -> Department:  # type: ignore[type-arg]
    return Department(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        level=DepartmentLevel(row.level),
        division_code=row.division_code,
        groups=tuple(row.groups),
    )


def _change(row: Row) -> CatalogChange:  # type: ignore[type-arg]
    return CatalogChange(
        revision=row.revision,
        created_at=_utc(row.created_at),
        principal=row.principal,
        action=row.action,
        subject_code=row.subject_code,
        reason=row.reason,
        change=SubjectChange.from_document(row.change),
        trace_id=row.trace_id,
    )


class CatalogRepository:
    """The catalog's persistence; callers get plain domain objects back."""

    def __init__(self, database: Database):
        self.database = database

    @staticmethod
    def seed_if_empty(
        conn: Connection,
        departments: Iterable[Department],
        subjects: Iterable[Subject],
        *,
        principal: str,
        trace_id: str,
    ) -> bool:
        """Loads the shipped catalog into an empty database, in the caller's unit of work; returns
        False when it was already there."""
        with schema_lock(conn, "catalog-seed"):
            if conn.execute(select(func.count()).select_from(t.departments)).scalar_one():
                return False
            now = datetime.now(UTC)
            subject_list = list(subjects)
            conn.execute(insert(t.departments), [d.to_document() for d in departments])
            conn.execute(insert(t.subjects), [_subject_row(s, now) for s in subject_list])
            conn.execute(
                insert(t.subject_versions),
                [
                    {
                        "subject_code": s.code,
                        "major": s.version.major,
                        "minor": s.version.minor,
                        "document": s.to_document(),
                        "change": None,
                        "author": principal,
                        "reason": "shipped catalog",
                        "created_at": now,
                    }
                    for s in subject_list
                ],
            )
            conn.execute(
                insert(t.item_codes), [{"code": i.code, "subject_code": s.code} for s in subject_list for i in s.items]
            )
            seeded = [
                CatalogChange(0, now, principal, "load_seed", s.code, "shipped catalog", None, trace_id)
                for s in subject_list
            ]
            conn.execute(insert(t.changes), [_change_row(c) for c in seeded])
            return True

    def departments(self) -> list[Department]:
        with self.database.read() as conn:
            return [_department(r) for r in conn.execute(select(t.departments))]

    def current_subjects(self, codes: Iterable[str] | None = None) -> list[Subject]:
        """The current version of every subject, or of the named ones."""
        query = select(t.subject_versions.c.document, t.subjects.c.updated_at).join(
            t.subjects,
            (t.subjects.c.code == t.subject_versions.c.subject_code)
            & (t.subjects.c.major == t.subject_versions.c.major)
            & (t.subjects.c.minor == t.subject_versions.c.minor),
        )
        if codes is not None:
            query = query.where(t.subjects.c.code.in_(list(codes)))
        with self.database.read() as conn:
            return [Subject.from_document(r.document, _utc(r.updated_at)) for r in conn.execute(query)]

    def subject_at(self, code: str, version: Version) -> Subject | None:
        query = select(t.subject_versions.c.document, t.subject_versions.c.created_at).where(
            t.subject_versions.c.subject_code == code,
            t.subject_versions.c.major == version.major,
            t.subject_versions.c.minor == version.minor,
        )
        with self.database.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else Subject.from_document(row.document, _utc(row.created_at))

    def versions(self, code: str, offset: int, limit: int) -> list[SubjectVersionEntry]:
        v = t.subject_versions
        query = (
            select(v.c.major, v.c.minor, v.c.created_at, v.c.author, v.c.reason, v.c.change)
            .where(v.c.subject_code == code)
            .order_by(v.c.major.desc(), v.c.minor.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.database.read() as conn:
            return [
                SubjectVersionEntry(
                    code,
                    Version(r.major, r.minor),
                    _utc(r.created_at),
                    r.author,
                    r.reason,
                    SubjectChange.from_document(r.change),
                )
                for r in conn.execute(query)
            ]

    def revision(self) -> int:
        with self.database.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(t.changes.c.revision), 0))).scalar_one())

    def changes_after(self, revision: int, limit: int = 500) -> list[CatalogChange]:
        query = select(t.changes).where(t.changes.c.revision > revision).order_by(t.changes.c.revision).limit(limit)
        with self.database.read() as conn:
            return [_change(r) for r in conn.execute(query)]

    def changes(self, subject_code: str | None, offset: int, limit: int) -> list[CatalogChange]:
        query = select(t.changes).order_by(t.changes.c.revision.desc()).offset(offset).limit(limit)
        if subject_code:
            query = query.where(t.changes.c.subject_code == subject_code)
        with self.database.read() as conn:
            return [_change(r) for r in conn.execute(query)]

    @staticmethod
    def save_version(
        conn: Connection,
        subject: Subject,
        change: SubjectChange,
        *,
        previous: Version | None,
        action: str,
        principal: str,
        reason: str,
        trace_id: str,
    ) -> CatalogChange:
        """Writes a new subject version, its item codes and the change entry in the caller's unit of work.

        `previous` is the version the change was computed against; if another writer moved the
        subject on meanwhile, Aborted is raised (and the unit of work writes nothing).
        """
        now = datetime.now(UTC)
        try:
            _point_subject_at(conn, subject, previous, now)
            conn.execute(
                insert(t.subject_versions).values(
                    subject_code=subject.code,
                    major=subject.version.major,
                    minor=subject.version.minor,
                    document=subject.to_document(),
                    change=change.to_document(),
                    author=principal,
                    reason=reason,
                    created_at=now,
                )
            )
            _sync_item_codes(conn, subject)
        except IntegrityError as error:
            if previous is None:
                raise AlreadyExists("subject", f"subjects/{subject.code}") from error
            raise FailedPrecondition(
                "an item code of this subject already belongs to another subject",
                [PreconditionViolation("ITEM_CODE_TAKEN", f"subjects/{subject.code}", "item codes are unique")],
            ) from error
        entry = CatalogChange(0, now, principal, action, subject.code, reason, change, trace_id)
        return dataclasses.replace(entry, revision=_log_change(conn, entry))


def _point_subject_at(conn: Connection, subject: Subject, previous: Version | None, now: datetime) -> None:
    """Makes `subject` the current version: a new row, or the row still at `previous` moved on."""
    values = _subject_row(subject, now)
    if previous is None:
        conn.execute(insert(t.subjects).values(values))
        return
    del values["code"]
    moved = conn.execute(
        update(t.subjects)
        .where(
            t.subjects.c.code == subject.code,
            t.subjects.c.major == previous.major,
            t.subjects.c.minor == previous.minor,
        )
        .values(values)
    )
    if moved.rowcount != 1:
        raise Aborted(f"subject {subject.code} changed meanwhile; read it again and retry")


def _log_change(conn: Connection, entry: CatalogChange) -> int:
    """Appends a change to the catalog's log; returns the revision it made."""
    return int(conn.execute(insert(t.changes).values(_change_row(entry)).returning(t.changes.c.revision)).scalar_one())


def _change_row(entry: CatalogChange) -> dict[str, Any]:
    return {
        "created_at": entry.created_at,
        "principal": entry.principal,
        "action": entry.action,
        "subject_code": entry.subject_code,
        "reason": entry.reason,
        "change": entry.change.to_document() if entry.change is not None else None,
        "trace_id": entry.trace_id,
    }


def _subject_row(subject: Subject, now: datetime) -> dict[str, Any]:
    """A subject's row in the table of current versions."""
    return {
        "code": subject.code,
        "provider": subject.provider,
        "major": subject.version.major,
        "minor": subject.version.minor,
        "deprecated": subject.deprecated,
        "updated_at": now,
    }


def _sync_item_codes(conn: Connection, subject: Subject) -> None:
    existing = set(
        conn.execute(select(t.item_codes.c.code).where(t.item_codes.c.subject_code == subject.code)).scalars()
    )
    # Codes of removed items stay reserved, so a later item cannot take over an old meaning.
    new_codes = [{"code": i.code, "subject_code": subject.code} for i in subject.items if i.code not in existing]
    if new_codes:
        conn.execute(insert(t.item_codes), new_codes)
