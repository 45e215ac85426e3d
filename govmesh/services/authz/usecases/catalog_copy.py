"""Authz's copy of the catalog: what the catalog reports is compared with the copy, and what changed is written."""

from __future__ import annotations

from collections.abc import Sequence

from govmesh.kernel.policy.model import ItemPolicy, PolicyChange, PrincipalEntry
from govmesh.services.authz.domain.catalog_copy import department_changes, item_changes
from govmesh.services.authz.persistence import catalog_copy as copy
from govmesh.services.authz.persistence.policy_log import PolicyLog
from govmesh.services.authz.usecases.common import trace_id
from govmesh.services.authz.usecases.policy import PolicyState


class CatalogCopy:
    def __init__(self, state: PolicyState):
        self.state = state

    def sync_catalog(
        self, departments: Sequence[PrincipalEntry], items: Sequence[ItemPolicy], catalog_revision: int
    ) -> list[PolicyChange]:
        """Takes the whole catalog as the catalog service reports it; writes what changed, and marks
        items the catalog no longer has removed."""
        return self._sync(list(items), list(departments), None, catalog_revision)

    def sync_subject(self, subject: str, items: Sequence[ItemPolicy], catalog_revision: int) -> list[PolicyChange]:
        """Takes one subject's items after a catalog change; items it no longer has are removed."""
        return self._sync(list(items), None, {subject}, catalog_revision)

    def _sync(
        self,
        incoming: list[ItemPolicy],
        departments: list[PrincipalEntry] | None,
        subjects: set[str] | None,
        catalog_revision: int,
    ) -> list[PolicyChange]:
        """One policy revision per changed fact. Replicas following the same catalog write each
        change once: the comparison runs under the policy lock."""

        def write(log: PolicyLog) -> list[PolicyChange]:
            stored = copy.stored_items(log.conn, subjects, incoming)
            copy.write_items(log, item_changes(stored, incoming, subjects))
            if departments is not None:
                known = copy.stored_departments(log.conn)
                written, disabled = department_changes(known, departments)
                copy.write_departments(log, known, written, disabled)
            copy.mark_synced(log.conn, catalog_revision, log.now)
            return list(log.changes)

        changes = self.state.write(self.state.clock(), trace_id(), write)
        with self.state.lock:
            self.state.policy.catalog_revision = max(self.state.policy.catalog_revision, catalog_revision)
        return changes
