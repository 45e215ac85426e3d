"""Reads and writes of authz's tables; every policy change is one transaction that appends to the policy log."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from govmesh.kernel.policy.model import (
    Action,
    AuditEntry,
    AuditFilter,
    AuditKind,
    Decision,
    Grant,
    GrantEvent,
    GrantHistoryEntry,
    GrantMode,
    GrantState,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    Reason,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.policy import ENDED_GRANT_RETENTION
from govmesh.kernel.policy.principals import department_principal
from govmesh.runtime.clock import as_utc
from govmesh.runtime.database import transaction_lock
from govmesh.runtime.errors import Aborted
from govmesh.services.authz.domain.catalog_copy import department_changes, item_changes
from govmesh.services.authz.persistence import documents as doc
from govmesh.services.authz.persistence import tables as t

T = TypeVar("T")

_POLICY_LOCK = "authz-policy-log"
# A write that lost a race for a revision number (another process on the same SQLite file) or for
# an application's request id tries again from the start; both rereads make the retry correct.
_WRITE_ATTEMPTS = 4


class _PolicyLog:
    """Hands out revisions inside one locked transaction and writes the log rows."""

    def __init__(self, conn: Connection, now: datetime, trace_id: str):
        self.conn = conn
        self.now = now
        self.trace_id = trace_id
        self._last: int | None = None
        self.changes: list[PolicyChange] = []

    def next_revision(self) -> int:
        if self._last is None:
            self._last = int(
                self.conn.execute(select(func.coalesce(func.max(t.policy_changes.c.revision), 0))).scalar_one()
            )
        self._last += 1
        return self._last

    def record(
        self,
        revision: int,
        *,
        grant: Grant | None = None,
        item: ItemPolicy | None = None,
        principal: PrincipalEntry | None = None,
    ) -> PolicyChange:
        change = PolicyChange(revision, self.now, grant=grant, item=item, principal=principal)
        self.changes.append(change)
        return change

    def give_back(self, revision: int) -> None:
        """Returns the last number handed out, when nothing was written under it."""
        assert revision == self._last
        self._last = revision - 1

    def flush(self) -> None:
        """Writes the recorded changes in one statement."""
        if self.changes:
            self.conn.execute(insert(t.policy_changes), [_change_row(c, self.trace_id) for c in self.changes])


def _change_row(change: PolicyChange, trace_id: str) -> dict[str, Any]:
    if change.grant is not None:
        kind, key, document = "grant", change.grant.name, doc.grant_document(change.grant)
    elif change.item is not None:
        kind, key, document = "item", change.item.item, doc.item_document(change.item)
    else:
        assert change.principal is not None
        kind, key, document = "principal", change.principal.name, doc.principal_document(change.principal)
    return {
        "revision": change.revision,
        "create_time": change.create_time,
        "kind": kind,
        "key": key,
        "document": document,
        "trace_id": trace_id,
    }


def _change_from_row(row: Row) -> PolicyChange:  # type: ignore[type-arg]
    created = as_utc(row.create_time)
    if row.kind == "grant":
        return PolicyChange(row.revision, created, grant=doc.grant_from_document(row.document))
    if row.kind == "item":
        return PolicyChange(row.revision, created, item=doc.item_from_document(row.document))
    return PolicyChange(row.revision, created, principal=doc.principal_from_document(row.document))


def _grant_from_row(row: Row) -> Grant:  # type: ignore[type-arg]
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


def _grant_values(grant: Grant) -> dict[str, Any]:
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


_ACTION_OF_EVENT = {
    GrantEvent.APPLIED: Action.GRANT_APPLY,
    GrantEvent.APPROVED: Action.GRANT_APPROVE,
    GrantEvent.REJECTED: Action.GRANT_REJECT,
    GrantEvent.REVOKED: Action.GRANT_REVOKE,
    GrantEvent.EXPIRED: None,
}


@dataclasses.dataclass(frozen=True)
class GrantChange:
    """A grant after one event, and the revision the event made."""

    grant: Grant
    change: PolicyChange


class AuthzRepository:
    """Authz's persistence; callers get plain domain objects back."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # Writers of this process queue here; across processes, the database lock (or a retry) orders them.
        self._writer = threading.Lock()

    # -- the policy log ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _policy_write(self, now: datetime, trace_id: str) -> Iterator[_PolicyLog]:
        with self._writer, self.engine.begin() as conn:
            # Held to commit: revisions become visible in the order they were given out.
            transaction_lock(conn, _POLICY_LOCK)
            log = _PolicyLog(conn, now, trace_id)
            yield log
            log.flush()

    @staticmethod
    def _retrying(write: Callable[[], T]) -> T:
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                return write()
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def revision(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(t.policy_changes.c.revision), 0))).scalar_one())

    def changes_after(self, revision: int, limit: int = 10_000) -> list[PolicyChange]:
        query = (
            select(t.policy_changes)
            .where(t.policy_changes.c.revision > revision)
            .order_by(t.policy_changes.c.revision)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_change_from_row(r) for r in conn.execute(query)]

    def load_policy(self, now: datetime) -> SnapshotContents:
        """The decision-relevant policy. The revision is read first: anything newer that the reads
        below already see is applied again, harmlessly, when the caller catches up from it."""
        revision = self.revision()
        cutoff = now - ENDED_GRANT_RETENTION
        with self.engine.connect() as conn:
            sync = conn.execute(select(t.catalog_sync.c.catalog_revision)).scalar()
            items = [
                ItemPolicy(r.subject, r.item, r.provider, SharingType(r.sharing_type), r.deprecated, r.removed)
                for r in conn.execute(select(t.items))
            ]
            principals = [
                department_principal(r.code, r.display_name, r.groups, disabled=r.disabled)
                for r in conn.execute(select(t.departments))
            ]
            live = t.grants.c.state.in_([GrantState.APPLIED.value, GrantState.APPROVED.value])
            recently_ended = and_(
                t.grants.c.state.in_([GrantState.REVOKED.value, GrantState.EXPIRED.value]), t.grants.c.end_time > cutoff
            )
            grants = [_grant_from_row(r) for r in conn.execute(select(t.grants).where(or_(live, recently_ended)))]
        return SnapshotContents(revision, int(sync or 0), items, principals, grants)

    # -- the catalog copy ----------------------------------------------------------------------

    def sync_catalog(
        self,
        *,
        items: Iterable[ItemPolicy],
        departments: Iterable[PrincipalEntry] | None,
        subjects: set[str] | None,
        catalog_revision: int,
        now: datetime,
        trace_id: str,
    ) -> list[PolicyChange]:
        """Brings the copy of the catalog to what the catalog says, one policy revision per changed fact.

        `subjects` limits the comparison to those subjects (a watched change); None compares every
        item, and items the catalog no longer has are marked removed. Replicas following the same
        catalog write each change once: the comparison runs under the policy lock.
        """
        incoming = list(items)
        incoming_departments = None if departments is None else list(departments)
        return self._retrying(
            lambda: self._sync_catalog(incoming, incoming_departments, subjects, catalog_revision, now, trace_id)
        )

    def _sync_catalog(
        self,
        incoming: list[ItemPolicy],
        departments: list[PrincipalEntry] | None,
        subjects: set[str] | None,
        catalog_revision: int,
        now: datetime,
        trace_id: str,
    ) -> list[PolicyChange]:
        with self._policy_write(now, trace_id) as log:
            conn = log.conn
            stored_query = select(t.items)
            if subjects is not None:
                stored_query = stored_query.where(t.items.c.subject.in_(sorted(subjects)))
            stored = {
                r.item: ItemPolicy(r.subject, r.item, r.provider, SharingType(r.sharing_type), r.deprecated, r.removed)
                for r in conn.execute(stored_query)
            }
            if subjects is not None:
                # An item may have moved here from a subject outside the comparison.
                outside = [i.item for i in incoming if i.item not in stored]
                if outside:
                    for r in conn.execute(select(t.items).where(t.items.c.item.in_(outside))):
                        stored[r.item] = ItemPolicy(
                            r.subject, r.item, r.provider, SharingType(r.sharing_type), r.deprecated, r.removed
                        )
            changes = item_changes(stored, incoming, subjects)
            new_rows: list[dict[str, Any]] = []
            for item in changes.written:
                log.record(log.next_revision(), item=item)
                values = {**doc.item_document(item), "updated_at": now}
                if item.item in changes.new:
                    new_rows.append(values)
                else:
                    conn.execute(update(t.items).where(t.items.c.item == item.item).values(values))
            for gone in changes.removed:
                log.record(log.next_revision(), item=gone)
                conn.execute(update(t.items).where(t.items.c.item == gone.item).values(removed=True, updated_at=now))
            if new_rows:
                conn.execute(insert(t.items), new_rows)
            if departments is not None:
                self._sync_departments(conn, log, departments, now)
            current = conn.execute(select(t.catalog_sync.c.catalog_revision)).scalar()
            if current is None:
                conn.execute(insert(t.catalog_sync).values(id=1, catalog_revision=catalog_revision, synced_at=now))
            elif catalog_revision > current:
                conn.execute(update(t.catalog_sync).values(catalog_revision=catalog_revision, synced_at=now))
            return list(log.changes)

    @staticmethod
    def _sync_departments(conn: Connection, log: _PolicyLog, departments: list[PrincipalEntry], now: datetime) -> None:
        stored = {
            r.code: department_principal(r.code, r.display_name, r.groups, disabled=r.disabled)
            for r in conn.execute(select(t.departments))
        }
        written, disabled = department_changes(stored, departments)
        for principal in written:
            log.record(log.next_revision(), principal=principal)
            values = {
                "display_name": principal.display_name,
                "groups": list(principal.groups),
                "disabled": principal.disabled,
                "updated_at": now,
            }
            if principal.code not in stored:
                conn.execute(insert(t.departments).values(code=principal.code, **values))
            else:
                conn.execute(update(t.departments).where(t.departments.c.code == principal.code).values(values))
        for gone in disabled:
            log.record(log.next_revision(), principal=gone)
            conn.execute(update(t.departments).where(t.departments.c.code == gone.code).values(disabled=True))

    # -- grants --------------------------------------------------------------------------------

    def grant(self, grant_id: int) -> Grant | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.grants).where(t.grants.c.id == grant_id)).first()
        return None if row is None else _grant_from_row(row)

    def grant_by_request(self, applicant: str, request_id: str) -> Grant | None:
        query = select(t.grants).where(t.grants.c.applicant == applicant, t.grants.c.request_id == request_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _grant_from_row(row)

    def create_grant(self, grant: Grant, *, request_id: str, audit: AuditEntry) -> GrantChange:
        """Stores an application: the grant, its first history entry, a policy revision and an audit entry.

        With a request id already used by the same applicant, returns that grant and writes nothing.
        """
        return self._retrying(lambda: self._create_grant(grant, request_id, audit))

    def _create_grant(self, grant: Grant, request_id: str, audit: AuditEntry) -> GrantChange:
        with self._policy_write(audit.create_time, audit.trace_id) as log:
            conn = log.conn
            if request_id:
                row = conn.execute(
                    select(t.grants).where(t.grants.c.applicant == grant.applicant, t.grants.c.request_id == request_id)
                ).first()
                if row is not None:
                    existing = _grant_from_row(row)
                    return GrantChange(existing, PolicyChange(existing.revision, log.now, grant=existing))
            revision = log.next_revision()
            values = _grant_values(dataclasses.replace(grant, revision=revision))
            grant_id = conn.execute(
                insert(t.grants).values(**values, request_id=request_id or None).returning(t.grants.c.id)
            ).scalar_one()
            stored = dataclasses.replace(grant, id=grant_id, revision=revision)
            change = log.record(revision, grant=stored)
            self._write_history(conn, stored, GrantEvent.APPLIED, grant.applicant, "", log)
            conn.execute(
                insert(t.audit_entries).values(
                    _audit_row(
                        dataclasses.replace(
                            audit, object=stored.name, grant_id=grant_id, policy_revision=revision, sequence=0
                        )
                    )
                )
            )
            return GrantChange(stored, change)

    def change_grant(self, before: Grant, after: Grant, event: GrantEvent, *, audit: AuditEntry) -> GrantChange:
        """Moves a grant from the state it was read in to its next one, with history, revision and audit.

        Aborted when another writer changed the grant since it was read.
        """
        return self._retrying(lambda: self._change_grant(before, after, event, audit))

    def _change_grant(self, before: Grant, after: Grant, event: GrantEvent, audit: AuditEntry) -> GrantChange:
        with self._policy_write(audit.create_time, audit.trace_id) as log:
            stored = self._save_transition(log, before, after, event, audit)
            if stored is None:
                raise Aborted(f"{before.name} changed meanwhile; read it again and retry")
            return stored

    def _save_transition(
        self, log: _PolicyLog, before: Grant, after: Grant, event: GrantEvent, audit: AuditEntry
    ) -> GrantChange | None:
        conn = log.conn
        revision = log.next_revision()
        stored = dataclasses.replace(after, revision=revision)
        moved = conn.execute(
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
        self._write_history(conn, stored, event, audit.principal, audit.message, log)
        conn.execute(insert(t.audit_entries).values(_audit_row(dataclasses.replace(audit, policy_revision=revision))))
        return GrantChange(stored, change)

    @staticmethod
    def _write_history(
        conn: Connection, grant: Grant, event: GrantEvent, principal: str, reason: str, log: _PolicyLog
    ) -> None:
        conn.execute(
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
        with self.engine.connect() as conn:
            return [_grant_from_row(r) for r in conn.execute(due_query)]

    def save_transitions(
        self, moves: Sequence[tuple[Grant, Grant, GrantEvent, AuditEntry]], now: datetime, trace_id: str
    ) -> list[GrantChange]:
        """Stores decided transitions in one policy write, each with its own revision, history and audit.

        A grant another writer moved meanwhile is skipped (another replica's sweep got there first).
        """
        return self._retrying(lambda: self._save_transitions(moves, now, trace_id))

    def _save_transitions(
        self, moves: Sequence[tuple[Grant, Grant, GrantEvent, AuditEntry]], now: datetime, trace_id: str
    ) -> list[GrantChange]:
        if not moves:
            return []
        done: list[GrantChange] = []
        with self._policy_write(now, trace_id) as log:
            for before, after, event, audit in moves:
                stored = self._save_transition(log, before, after, event, audit)
                if stored is not None:
                    done.append(stored)
        return done

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
        with self.engine.connect() as conn:
            matching = [g for g in (_grant_from_row(r) for r in conn.execute(query)) if keep(g)]
        return matching[offset : offset + limit], len(matching)

    def history(self, grant_id: int, offset: int, limit: int) -> list[GrantHistoryEntry]:
        query = (
            select(t.grant_history)
            .where(t.grant_history.c.grant_id == grant_id)
            .order_by(t.grant_history.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_history_from_row(r) for r in conn.execute(query)]

    # -- the audit log -------------------------------------------------------------------------

    def append_audit(self, entries: Iterable[AuditEntry]) -> tuple[int, int]:
        """Appends entries in order; returns the sequence of the first and how many were written."""
        rows = [_audit_row(e) for e in entries]
        if not rows:
            return 0, 0
        statement = insert(t.audit_entries).returning(t.audit_entries.c.sequence, sort_by_parameter_order=True)
        with self.engine.begin() as conn:
            sequences = list(conn.execute(statement, rows).scalars())
        return int(sequences[0]), len(sequences)

    def audit_entries(
        self, found: AuditFilter, *, after_sequence: int | None, oldest_first: bool, limit: int
    ) -> list[AuditEntry]:
        """One page of the log in sequence order, continuing after `after_sequence` (keyset paging:
        entries appended meanwhile neither repeat nor shift a page)."""
        a = t.audit_entries
        conditions = []
        if found.principal:
            conditions.append(a.c.principal == found.principal)
        if found.actions:
            conditions.append(a.c.action.in_(sorted(x.value for x in found.actions)))
        if found.decision is not None:
            conditions.append(a.c.decision == found.decision.value)
        if found.subject:
            conditions.append(a.c.subject == found.subject)
        if found.object:
            conditions.append(a.c.object == found.object)
        if found.grant_id is not None:
            conditions.append(a.c.grant_id == found.grant_id)
        if found.reason is not None:
            conditions.append(a.c.reason == found.reason.value)
        if found.trace_id:
            conditions.append(a.c.trace_id == found.trace_id)
        if found.kind is not None:
            conditions.append(a.c.kind == found.kind.value)
        if found.start_time is not None:
            conditions.append(a.c.create_time >= found.start_time)
        if found.end_time is not None:
            conditions.append(a.c.create_time < found.end_time)
        if after_sequence is not None:
            conditions.append(a.c.sequence > after_sequence if oldest_first else a.c.sequence < after_sequence)
        order = a.c.sequence.asc() if oldest_first else a.c.sequence.desc()
        query = select(a).where(*conditions).order_by(order).limit(limit)
        with self.engine.connect() as conn:
            return [_audit_from_row(r) for r in conn.execute(query)]
