"""The audit log: entries appended in sequence order and read back a keyset page at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from govmesh.kernel.policy.model import Action, AuditEntry, AuditFilter, AuditKind, Decision, Reason
from govmesh.runtime.clock import as_utc
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.persistence import tables as t


class AuditStore:
    def __init__(self, database: Database):
        self.database = database

    @staticmethod
    def append(conn: Connection, entries: Iterable[AuditEntry]) -> tuple[int, int]:
        """Appends entries in order in the caller's unit of work; returns the first's sequence and how many."""
        rows = [_audit_row(e) for e in entries]
        if not rows:
            return 0, 0
        statement = insert(t.audit_entries).returning(t.audit_entries.c.sequence, sort_by_parameter_order=True)
        sequences = list(conn.execute(statement, rows).scalars())
        return int(sequences[0]), len(sequences)

    def entries(
        self, found: AuditFilter, *, after_sequence: int | None, oldest_first: bool, limit: int
    ) -> list[AuditEntry]:
        """One page of the log in sequence order, continuing after `after_sequence` (keyset paging:
        entries appended meanwhile neither repeat nor shift a page)."""
        a = t.audit_entries
        conditions = _conditions(found)
        if after_sequence is not None:
            conditions.append(a.c.sequence > after_sequence if oldest_first else a.c.sequence < after_sequence)
        order = a.c.sequence.asc() if oldest_first else a.c.sequence.desc()
        query = select(a).where(*conditions).order_by(order).limit(limit)
        with self.database.read() as conn:
            return [_audit_from_row(r) for r in conn.execute(query)]


def _conditions(found: AuditFilter) -> list[Any]:
    a = t.audit_entries.c
    equal: list[tuple[Any, Any]] = [
        (a.principal, found.principal or None),
        (a.decision, found.decision.value if found.decision is not None else None),
        (a.subject, found.subject or None),
        (a.object, found.object or None),
        (a.grant_id, found.grant_id),
        (a.reason, found.reason.value if found.reason is not None else None),
        (a.trace_id, found.trace_id or None),
        (a.kind, found.kind.value if found.kind is not None else None),
    ]
    conditions = [column == value for column, value in equal if value is not None]
    if found.actions:
        conditions.append(a.action.in_(sorted(x.value for x in found.actions)))
    if found.start_time is not None:
        conditions.append(a.create_time >= found.start_time)
    if found.end_time is not None:
        conditions.append(a.create_time < found.end_time)
    return conditions


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "create_time": entry.create_time,
        "kind": entry.kind.value,
        "principal": entry.principal,
        "action": entry.action.value if entry.action else "",
        "object": entry.object[:200],
        "subject": entry.subject,
        "items": list(entry.items),
        "decision": entry.decision.value,
        "reason": entry.reason.value if entry.reason else "",
        "grant_id": entry.grant_id,
        "policy_revision": entry.policy_revision,
        "trace_id": entry.trace_id[:32],
        "recorded_by": entry.recorded_by,
        "message": entry.message,
    }


def _audit_from_row(row: Row) -> AuditEntry:  # type: ignore[type-arg]
    return AuditEntry(
        kind=AuditKind(row.kind),
        principal=row.principal,
        action=Action(row.action) if row.action else None,
        object=row.object,
        decision=Decision(row.decision),
        reason=Reason(row.reason) if row.reason else None,
        create_time=as_utc(row.create_time),
        subject=row.subject,
        items=tuple(row.items),
        grant_id=row.grant_id,
        policy_revision=row.policy_revision,
        trace_id=row.trace_id,
        recorded_by=row.recorded_by,
        message=row.message,
        sequence=row.sequence,
    )
