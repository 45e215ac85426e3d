"""Reads and writes of the catalog's tables, each write one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, Row, func, insert, select, update
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

    def __init__(self, engine: Engine):
        self.engine = engine

    def seed_if_empty(
        self, departments: Iterable[Department], subjects: Iterable[Subject], *, principal: str, trace_id: str
    ) -> bool:
        """Loads the shipped catalog into an empty database; returns False when it was already there."""
        with self.engine.begin() as conn, schema_lock(conn, "catalog-seed"):
            if conn.execute(select(func.count()).select_from(t.departments)).scalar_one():
                return False
            now = datetime.now(UTC)
            conn.execute(insert(t.departments), [d.to_document() for d in departments])
            subject_list = list(subjects)
            conn.execute(
                insert(t.subjects),
                [
                    {
                        "code": s.code,
                        "provider": s.provider,
                        "major": s.version.major,
                        "minor": s.version.minor,
                        "deprecated": s.deprecated,
                        "updated_at": now,
                    }
                    for s in subject_list
                ],
            )
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
            conn.execute(
                insert(t.changes),
                [
                    {
                        "created_at": now,
                        "principal": principal,
                        "action": "load_seed",
                        "subject_code": s.code,
                        "reason": "shipped catalog",
                        "change": None,
                        "trace_id": trace_id,
                    }
                    for s in subject_list
                ],
            )
            return True

    def departments(self) -> list[Department]:
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
            return [Subject.from_document(r.document, _utc(r.updated_at)) for r in conn.execute(query)]

    def subject_at(self, code: str, version: Version) -> Subject | None:
        query = select(t.subject_versions.c.document, t.subject_versions.c.created_at).where(
            t.subject_versions.c.subject_code == code,
            t.subject_versions.c.major == version.major,
            t.subject_versions.c.minor == version.minor,
        )
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(t.changes.c.revision), 0))).scalar_one())

    def changes_after(self, revision: int, limit: int = 500) -> list[CatalogChange]:
        query = select(t.changes).where(t.changes.c.revision > revision).order_by(t.changes.c.revision).limit(limit)
        with self.engine.connect() as conn:
            return [_change(r) for r in conn.execute(query)]

    def changes(self, subject_code: str | None, offset: int, limit: int) -> list[CatalogChange]:
        query = select(t.changes).order_by(t.changes.c.revision.desc()).offset(offset).limit(limit)
        if subject_code:
            query = query.where(t.changes.c.subject_code == subject_code)
        with self.engine.connect() as conn:
            return [_change(r) for r in conn.execute(query)]

    def save_version(
        self,
        subject: Subject,
        change: SubjectChange,
        *,
        previous: Version | None,
        action: str,
        principal: str,
        reason: str,
        trace_id: str,
    ) -> CatalogChange:
        """Writes a new subject version, its item codes and the audit entry in one transaction.

        `previous` is the version the change was computed against; if another writer moved the
        subject on meanwhile, nothing is written and Aborted is raised.
        """
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                if previous is None:
                    conn.execute(
                        insert(t.subjects).values(
                            code=subject.code,
                            provider=subject.provider,
                            major=subject.version.major,
                            minor=subject.version.minor,
                            deprecated=subject.deprecated,
                            updated_at=now,
                        )
                    )
                else:
                    moved = conn.execute(
                        update(t.subjects)
                        .where(
                            t.subjects.c.code == subject.code,
                            t.subjects.c.major == previous.major,
                            t.subjects.c.minor == previous.minor,
                        )
                        .values(
                            provider=subject.provider,
                            major=subject.version.major,
                            minor=subject.version.minor,
                            deprecated=subject.deprecated,
                            updated_at=now,
                        )
                    )
                    if moved.rowcount != 1:
                        raise Aborted(f"subject {subject.code} changed meanwhile; read it again and retry")
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
                self._sync_item_codes(conn, subject)
                revision = conn.execute(
                    insert(t.changes)
                    .values(
                        created_at=now,
                        principal=principal,
                        action=action,
                        subject_code=subject.code,
                        reason=reason,
                        change=change.to_document(),
                        trace_id=trace_id,
                    )
                    .returning(t.changes.c.revision)
                ).scalar_one()
        except IntegrityError as error:
            if previous is None:
                raise AlreadyExists("subject", f"subjects/{subject.code}") from error
            raise FailedPrecondition(
                "an item code of this subject already belongs to another subject",
                [PreconditionViolation("ITEM_CODE_TAKEN", f"subjects/{subject.code}", "item codes are unique")],
            ) from error
        return CatalogChange(revision, now, principal, action, subject.code, reason, change, trace_id)

    @staticmethod
    def _sync_item_codes(conn, subject: Subject) -> None:  # type: ignore[no-untyped-def]
        existing = set(
            conn.execute(select(t.item_codes.c.code).where(t.item_codes.c.subject_code == subject.code)).scalars()
        )
        # Codes of removed items stay reserved, so a later item cannot take over an old meaning.
        new_codes = [{"code": i.code, "subject_code": subject.code} for i in subject.items if i.code not in existing]
        if new_codes:
            conn.execute(insert(t.item_codes), new_codes)
