"""The policy log: revisions handed out under one lock, the log's rows, and the policy read back from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, or_, select

from govmesh.kernel.policy.model import (
    Grant,
    GrantState,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.policy import ENDED_GRANT_RETENTION
from govmesh.kernel.policy.principals import department_principal
from govmesh.runtime.clock import as_utc
from govmesh.runtime.unit_of_work import Database, UnitOfWork
from govmesh.services.authz.persistence import documents as doc
from govmesh.services.authz.persistence import tables as t
from govmesh.services.authz.persistence.grants import grant_from_row

# Held by every policy write to commit: revisions become visible in the order they were given out.
POLICY_LOCK = "authz-policy-log"
# A page of the log read at once; a reader that gets a full page asks again.
CHANGES_PAGE = 10_000


class PolicyLog:
    """One policy write's view of the log: hands out revisions in its unit of work and writes their rows."""

    def __init__(self, work: UnitOfWork, now: datetime, trace_id: str):
        self.conn: Connection = work.conn
        self.now = now
        self.trace_id = trace_id
        self._last: int | None = None
        self.changes: list[PolicyChange] = []

    def next_revision(self) -> int:
        if self._last is None:
            self._last = _head(self.conn)
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


class PolicyLogStore:
    """Reads of the log and of the policy it describes."""

    def __init__(self, database: Database):
        self.database = database

    def revision(self) -> int:
        with self.database.read() as conn:
            return _head(conn)

    def changes_after(self, revision: int, limit: int = CHANGES_PAGE) -> list[PolicyChange]:
        query = (
            select(t.policy_changes)
            .where(t.policy_changes.c.revision > revision)
            .order_by(t.policy_changes.c.revision)
            .limit(limit)
        )
        with self.database.read() as conn:
            return [_change_from_row(r) for r in conn.execute(query)]

    def load_policy(self, now: datetime) -> SnapshotContents:
        """The decision-relevant policy. The revision is read first: anything newer that the reads
        below already see is applied again, harmlessly, when the caller catches up from it."""
        revision = self.revision()
        cutoff = now - ENDED_GRANT_RETENTION
        with self.database.read() as conn:
            sync = conn.execute(select(t.catalog_sync.c.catalog_revision)).scalar()
            items = [item_from_row(r) for r in conn.execute(select(t.items))]
            principals = [department_from_row(r) for r in conn.execute(select(t.departments))]
            live = t.grants.c.state.in_([GrantState.APPLIED.value, GrantState.APPROVED.value])
            recently_ended = and_(
                t.grants.c.state.in_([GrantState.REVOKED.value, GrantState.EXPIRED.value]), t.grants.c.end_time > cutoff
            )
            grants = [grant_from_row(r) for r in conn.execute(select(t.grants).where(or_(live, recently_ended)))]
        return SnapshotContents(revision, int(sync or 0), items, principals, grants)


def item_from_row(r: Row) -> ItemPolicy:  # type: ignore[type-arg]
    return ItemPolicy(r.subject, r.item, r.provider, SharingType(r.sharing_type), r.deprecated, r.removed)


def department_from_row(r: Row) -> PrincipalEntry:  # type: ignore[type-arg]
    return department_principal(r.code, r.display_name, r.groups, disabled=r.disabled)


def _head(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(t.policy_changes.c.revision), 0))).scalar_one())


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
