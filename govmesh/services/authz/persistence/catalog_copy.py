"""Authz's copy of the catalog: items and departments as stored, and the changes a policy write makes to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from govmesh.kernel.policy.model import ItemPolicy, PrincipalEntry
from govmesh.services.authz.domain.catalog_copy import ItemChanges
from govmesh.services.authz.persistence import documents as doc
from govmesh.services.authz.persistence import tables as t
from govmesh.services.authz.persistence.policy_log import PolicyLog, department_from_row, item_from_row


def stored_items(conn: Connection, subjects: set[str] | None, incoming: Sequence[ItemPolicy]) -> dict[str, ItemPolicy]:
    """The stored items the comparison covers: of `subjects` (every item for None), plus incoming
    items stored under another subject (an item may have moved here from outside the comparison)."""
    query = select(t.items)
    if subjects is not None:
        query = query.where(t.items.c.subject.in_(sorted(subjects)))
    stored = {r.item: item_from_row(r) for r in conn.execute(query)}
    if subjects is not None:
        outside = [i.item for i in incoming if i.item not in stored]
        if outside:
            for r in conn.execute(select(t.items).where(t.items.c.item.in_(outside))):
                stored[r.item] = item_from_row(r)
    return stored


def stored_departments(conn: Connection) -> dict[str, PrincipalEntry]:
    return {r.code: department_from_row(r) for r in conn.execute(select(t.departments))}


def write_items(log: PolicyLog, changes: ItemChanges) -> None:
    """Writes decided item changes, one policy revision each."""
    conn, now = log.conn, log.now
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


def write_departments(
    log: PolicyLog,
    stored: dict[str, PrincipalEntry],
    written: Sequence[PrincipalEntry],
    disabled: Sequence[PrincipalEntry],
) -> None:
    """Writes decided department changes, one policy revision each."""
    conn = log.conn
    for principal in written:
        log.record(log.next_revision(), principal=principal)
        values = {
            "display_name": principal.display_name,
            "groups": list(principal.groups),
            "disabled": principal.disabled,
            "updated_at": log.now,
        }
        if principal.code not in stored:
            conn.execute(insert(t.departments).values(code=principal.code, **values))
        else:
            conn.execute(update(t.departments).where(t.departments.c.code == principal.code).values(values))
    for gone in disabled:
        log.record(log.next_revision(), principal=gone)
        conn.execute(update(t.departments).where(t.departments.c.code == gone.code).values(disabled=True))


def mark_synced(conn: Connection, catalog_revision: int, now: datetime) -> None:
    """Remembers the newest catalog revision the copy has taken."""
    current = conn.execute(select(t.catalog_sync.c.catalog_revision)).scalar()
    if current is None:
        conn.execute(insert(t.catalog_sync).values(id=1, catalog_revision=catalog_revision, synced_at=now))
    elif catalog_revision > current:
        conn.execute(update(t.catalog_sync).values(catalog_revision=catalog_revision, synced_at=now))
