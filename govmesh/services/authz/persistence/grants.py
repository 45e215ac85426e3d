"""Grants and their history: rows read back as domain objects, written in a policy write's unit of work."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from govmesh.kernel.policy.model import (
    Action,
    Grant,
    GrantEvent,
    GrantHistoryEntry,
    GrantMode,
    GrantState,
    PolicyChange,
)
from govmesh.runtime.clock import as_utc
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.persistence import documents as doc
from govmesh.services.authz.persistence import tables as t

if TYPE_CHECKING:
    from govmesh.services.authz.persistence.policy_log import PolicyLog


@dataclasses.dataclass(frozen=True)
class GrantChange:
    """A grant after one event, and the revision the event made."""

    grant: Grant
    change: PolicyChange


class GrantStore:
    """Grants: read on their own, written inside the caller's policy write."""

    def __init__(self, database: Database):
        self.database = database

    def grant(self, grant_id: int) -> Grant | None:
        with self.database.read() as conn:
            row = conn.execute(select(t.grants).where(t.grants.c.id == grant_id)).first()
        return None if row is None else grant_from_row(row)

    def grant_by_request(self, applicant: str, request_id: str, conn: Connection | None = None) -> Grant | None:
        """The grant an applicant's request id made; in `conn` when given (a write rereads its own view)."""
        query = select(t.grants).where(t.grants.c.applicant == applicant, t.grants.c.request_id == request_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.database.read() as reading:
                row = reading.execute(query).first()
        return None if row is None else grant_from_row(row)

    def insert(self, log: PolicyLog, grant: Grant, request_id: str) -> GrantChange:
        """Stores a new grant under the next revision, with its first history entry."""
        revision = log.next_revision()
        values = grant_values(dataclasses.replace(grant, revision=revision))
        grant_id = log.conn.execute(
            insert(t.grants).values(**values, request_id=request_id or None).returning(t.grants.c.id)
        ).scalar_one()
        stored = dataclasses.replace(grant, id=grant_id, revision=revision)
        change = log.record(revision, grant=stored)
        self._write_history(log, stored, GrantEvent.APPLIED, grant.applicant, "")
        return GrantChange(stored, change)

    def move(
        self, log: PolicyLog, before: Grant, after: Grant, event: GrantEvent, principal: str, reason: str
    ) -> GrantChange | None:
        """Moves a grant from the state it was read in; None when another writer moved it meanwhile."""
        revision = log.next_revision()
        stored = dataclasses.replace(after, revision=revision)
        moved = log.conn.execute(
            update(t.grants)
            .where(t.grants.c.id == before.id, t.grants.c.state == before.state.value)
            .values(
                state=stored.state.value,
                start_time=stored.start_time,
                decided_by=stored.decided_by,
                decision_reason=stored.decision_reason,
                update_time=stored.update_time,
                revision=revision,
            )
        )
        if moved.rowcount != 1:
            log.give_back(revision)
            return None
        change = log.record(revision, grant=stored)
        self._write_history(log, stored, event, principal, reason)
        return GrantChange(stored, change)

    @staticmethod
    def _write_history(log: PolicyLog, grant: Grant, event: GrantEvent, principal: str, reason: str) -> None:
        log.conn.execute(
            insert(t.grant_history).values(
                grant_id=grant.id,
                event=event.value,
                state=grant.state.value,
                principal=principal,
                reason=reason,
                create_time=log.now,
                revision=grant.revision,
                trace_id=log.trace_id,
            )
        )

    def due_for_expiry(self, now: datetime, limit: int = 500) -> list[Grant]:
        """Applied and approved grants past their end time, the longest ended first."""
        due_query = (
            select(t.grants)
            .where(
                t.grants.c.state.in_([GrantState.APPLIED.value, GrantState.APPROVED.value]),
                t.grants.c.end_time <= now,
            )
            .order_by(t.grants.c.end_time, t.grants.c.id)
            .limit(limit)
        )
        with self.database.read() as conn:
            return [grant_from_row(r) for r in conn.execute(due_query)]

    def list_grants(
        self,
        *,
        subject: str,
        provider: str,
        states: frozenset[GrantState],
        active_at: datetime | None,
        keep: Callable[[Grant], bool],
        offset: int,
        limit: int,
    ) -> tuple[list[Grant], int]:
        """Grants newest first: filtered in SQL where the columns allow, then by `keep`; and the total."""
        query = select(t.grants).order_by(t.grants.c.id.desc())
        if subject:
            query = query.where(t.grants.c.subject == subject)
        if provider:
            query = query.where(t.grants.c.provider == provider)
        if states:
            query = query.where(t.grants.c.state.in_(sorted(s.value for s in states)))
        if active_at is not None:
            query = query.where(
                t.grants.c.state == GrantState.APPROVED.value,
                t.grants.c.end_time > active_at,
                or_(t.grants.c.start_time.is_(None), t.grants.c.start_time <= active_at),
            )
        with self.database.read() as conn:
            matching = [g for g in (grant_from_row(r) for r in conn.execute(query)) if keep(g)]
        return matching[offset : offset + limit], len(matching)

    def history(self, grant_id: int, offset: int, limit: int) -> list[GrantHistoryEntry]:
        query = (
            select(t.grant_history)
            .where(t.grant_history.c.grant_id == grant_id)
            .order_by(t.grant_history.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self.database.read() as conn:
            return [_history_from_row(r) for r in conn.execute(query)]


def grant_from_row(row: Row) -> Grant:  # type: ignore[type-arg]
    return Grant(
        id=row.id,
        subject=row.subject,
        provider=row.provider,
        items=tuple(row.items),
        mode=GrantMode(row.mode),
        consumer_departments=tuple(row.consumer_departments),
        consumer_groups=tuple(row.consumer_groups),
        actions=frozenset(Action(a) for a in row.actions),
        purpose=row.purpose,
        legal_basis=row.legal_basis,
        start_time=as_utc(row.start_time) if row.start_time is not None else None,
        end_time=as_utc(row.end_time),
        row_scope=doc.scope_from_document(row.row_scope),
        state=GrantState(row.state),
        applicant=row.applicant,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        create_time=as_utc(row.create_time),
        update_time=as_utc(row.update_time),
        revision=row.revision,
    )


def grant_values(grant: Grant) -> dict[str, Any]:
    return {
        "subject": grant.subject,
        "provider": grant.provider,
        "items": list(grant.items),
        "mode": grant.mode.value,
        "consumer_departments": list(grant.consumer_departments),
        "consumer_groups": list(grant.consumer_groups),
        "actions": sorted(a.value for a in grant.actions),
        "purpose": grant.purpose,
        "legal_basis": grant.legal_basis,
        "start_time": grant.start_time,
        "end_time": grant.end_time,
        "row_scope": doc.scope_document(grant.row_scope),
        "state": grant.state.value,
        "applicant": grant.applicant,
        "decided_by": grant.decided_by,
        "decision_reason": grant.decision_reason,
        "create_time": grant.create_time,
        "update_time": grant.update_time,
        "revision": grant.revision,
    }


def _history_from_row(row: Row) -> GrantHistoryEntry:  # type: ignore[type-arg]
    return GrantHistoryEntry(
        grant_id=row.grant_id,
        event=GrantEvent(row.event),
        state=GrantState(row.state),
        principal=row.principal,
        reason=row.reason,
        create_time=as_utc(row.create_time),
        revision=row.revision,
        trace_id=row.trace_id,
    )
