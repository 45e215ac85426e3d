"""The in-memory policy decisions come from: loaded at start, following the log, and written through policy writes."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from govmesh.kernel.policy.model import AccessDecision, AccessQuery, PolicyChange, PrincipalEntry, SnapshotContents
from govmesh.kernel.policy.policy import Policy
from govmesh.runtime.errors import OutOfRange
from govmesh.runtime.identity import Principal
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.persistence.policy_log import CHANGES_PAGE, POLICY_LOCK, PolicyLog, PolicyLogStore

log = logging.getLogger("govmesh.authz")

T = TypeVar("T")

# Changes kept in memory for watchers; a watcher further behind reads the log from the database.
RECENT_CHANGES = 20_000
# A write that lost a race for a revision number (another process on the same SQLite file) or for
# an application's request id tries again from the start; both rereads make the retry correct.
WRITE_ATTEMPTS = 4


class PolicyState:
    """The policy this replica decides from, guarded by one lock held only for in-memory work.

    This replica's own writes are applied as they commit, other replicas' by `refresh`, which the
    server calls every few hundred milliseconds.
    """

    def __init__(
        self,
        database: Database,
        changes: PolicyLogStore,
        clock: Callable[[], datetime],
        on_change: Callable[[], None],
    ):
        self.database = database
        self.changes = changes
        self.clock = clock
        # Called (from whichever thread applied them) whenever the in-memory policy moved on.
        self._on_change = on_change
        self.lock = threading.RLock()
        self.policy = Policy()
        self._recent: deque[PolicyChange] = deque(maxlen=RECENT_CHANGES)

    def start(self) -> None:
        """Loads the stored policy into memory; decisions can be made from here on."""
        contents = self.changes.load_policy(self.clock())
        with self.lock:
            self.policy = Policy.from_contents(contents)
        self.refresh()
        log.info(
            "policy loaded at revision %d: %d items, %d departments, %d grants",
            contents.revision,
            len(contents.items),
            len(contents.principals),
            len(contents.grants),
        )

    def refresh(self) -> list[PolicyChange]:
        """Applies every change in the log this replica has not seen yet; returns them."""
        applied: list[PolicyChange] = []
        while True:
            changes = self.changes.changes_after(self.revision)
            with self.lock:
                fresh = [c for c in changes if c.revision > self.policy.revision]
                self.policy.apply_all(fresh)
                self._recent.extend(fresh)
            applied.extend(fresh)
            if fresh:
                self._on_change()
            if len(changes) < CHANGES_PAGE:
                return applied

    @property
    def revision(self) -> int:
        return self.policy.revision

    @property
    def catalog_revision(self) -> int:
        return self.policy.catalog_revision

    def catch_up_to(self, revision: int) -> None:
        """Makes sure decisions are at least as fresh as `revision`, a revision some replica made."""
        if revision <= self.revision:
            return
        self.refresh()
        if revision > self.revision:
            raise OutOfRange(
                f"policy revision {revision} does not exist yet (the newest is {self.revision})",
                metadata={"revision": str(self.revision)},
            )

    def changes_after(self, revision: int) -> list[PolicyChange]:
        """The changes after `revision`, from memory when recent enough, else from the log."""
        with self.lock:
            current = self.policy.revision
            if revision >= current:
                return []
            if self._recent and self._recent[0].revision <= revision + 1:
                return [c for c in self._recent if c.revision > revision]
        return [c for c in self.changes.changes_after(revision) if c.revision <= current]

    def snapshot(self) -> SnapshotContents:
        with self.lock:
            return self.policy.contents(self.clock())

    def decide(self, query: AccessQuery) -> AccessDecision:
        with self.lock:
            return self.policy.decide(query, self.clock())

    def principal(self, caller: Principal) -> PrincipalEntry | None:
        with self.lock:
            return self.policy.principal(caller.kind, caller.code)

    def write(self, now: datetime, trace: str, body: Callable[[PolicyLog], T]) -> T:
        """One policy write: a unit of work holding the policy lock to commit, in which `body` writes
        under revisions the log hands out; the log's rows are written last. Applied here at once."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.database.unit_of_work() as work:
                    # Held to commit: revisions become visible in the order they were given out.
                    work.lock(POLICY_LOCK)
                    policy_log = PolicyLog(work, now, trace)
                    result = body(policy_log)
                    policy_log.flush()
                break
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        self.refresh()
        return result
