"""Authz's use cases, one room per what they serve, over one in-memory policy, audit queue and set of caller checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from govmesh.runtime.clock import now
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.persistence.audit import AuditStore
from govmesh.services.authz.persistence.grants import GrantStore
from govmesh.services.authz.persistence.policy_log import PolicyLogStore
from govmesh.services.authz.usecases.audit import Audit, AuditQueue
from govmesh.services.authz.usecases.callers import Callers
from govmesh.services.authz.usecases.catalog_copy import CatalogCopy
from govmesh.services.authz.usecases.common import ERROR_DOMAIN
from govmesh.services.authz.usecases.decisions import Decisions
from govmesh.services.authz.usecases.grants import Grants
from govmesh.services.authz.usecases.policy import PolicyState
from govmesh.services.authz.usecases.principals import PolicyFeed, Principals


class Authz:
    """The authorization service's application service: its rooms over one policy and one database.

    Decisions come from an in-memory policy that follows the policy log (see PolicyState); every
    write is one unit of work that appends to that log.
    """

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = now,
        on_change: Callable[[], None] = lambda: None,
    ):
        self.clock = clock
        self.policy = PolicyState(database, PolicyLogStore(database), clock, on_change)
        audit_store = AuditStore(database)
        self.audit_queue = AuditQueue(database, audit_store)
        self.callers = Callers(self.policy, self.audit_queue)
        self.decisions = Decisions(self.policy, self.callers)
        self.grants = Grants(self.policy, self.callers, GrantStore(database))
        self.catalog = CatalogCopy(self.policy)
        self.principals = Principals(self.policy, self.callers)
        self.feed = PolicyFeed(self.policy, self.callers)
        self.audit = Audit(database, audit_store, self.audit_queue, self.callers.require_role)

    def start(self) -> None:
        """Loads the stored policy into memory; decisions can be made from here on."""
        self.policy.start()


__all__ = ["ERROR_DOMAIN", "Authz"]
