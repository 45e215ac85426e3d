"""The audit log: denials queued off the decision path and written in batches, read by auditors, appended to by PEPs."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from opentelemetry import metrics

from govmesh.kernel.policy.model import AccessDecision, AccessQuery, Action, AuditEntry, AuditFilter, Decision
from govmesh.kernel.policy.policy import denial_entry
from govmesh.kernel.policy.principals import AUTHZ_SERVICE, principal_name
from govmesh.runtime.errors import FieldViolation, InvalidArgument
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import read_token, token
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.persistence.audit import AuditStore
from govmesh.services.authz.usecases.common import MAX_AUDIT_ENTRIES_PER_APPEND

log = logging.getLogger("govmesh.authz")
_DENIALS = metrics.get_meter("govmesh.authz").create_counter(
    "govmesh.authz.denials", description="denials written to the audit log, by reason"
)

# Denials waiting for the background writer; beyond this the oldest are dropped (and counted) rather
# than let a database outage exhaust the process's memory.
MAX_PENDING_AUDIT = 100_000

# A denial decided on the hot path: who asked, the question, the answer, its trace id and time.
QueuedDenial = tuple[Principal, AccessQuery, AccessDecision, str, datetime]


class AuditQueue:
    """Entries decided in memory, waiting to be written in one unit of work."""

    def __init__(self, database: Database, store: AuditStore):
        self.database = database
        self.store = store
        self._lock = threading.Lock()
        # One flush at a time, held to commit: a reader's flush waits for the background writer's, so
        # what was decided before the read is in the log when the read runs.
        self._flushing = threading.Lock()
        self._pending: deque[AuditEntry | QueuedDenial] = deque(maxlen=MAX_PENDING_AUDIT)
        self._dropped = 0

    def put(self, entry: AuditEntry | QueuedDenial) -> None:
        with self._lock:
            if len(self._pending) == MAX_PENDING_AUDIT:
                self._dropped += 1
            self._pending.append(entry)

    def flush(self) -> int:
        """Writes the denials decided since the last flush; returns how many."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            pending = list(self._pending)
            self._pending.clear()
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.error("dropped %d audit entries while the database was unreachable", dropped)
        if not pending:
            return 0
        entries = [e if isinstance(e, AuditEntry) else _denial(e) for e in pending]
        try:
            with self.database.unit_of_work() as work:
                self.store.append(work.conn, entries)
        except Exception:
            with self._lock:
                self._pending.extendleft(reversed(pending))
            raise
        for entry in entries:
            if entry.decision == Decision.DENY:
                _DENIALS.add(1, {"reason": entry.reason.name if entry.reason else ""})
        return len(pending)

    def flush_before_a_change(self) -> None:
        """Denials decided before a grant change go into the log before it, so sequence follows time."""
        try:
            self.flush()
        except Exception:  # the change itself will meet the same database and report it
            log.warning("writing pending audit entries failed; they stay queued", exc_info=True)


class Audit:
    """Reading the log, and appending what enforcement points decided locally."""

    def __init__(
        self,
        database: Database,
        store: AuditStore,
        queue: AuditQueue,
        require_role: Callable[[Principal, Action, str], None],
    ):
        self.database = database
        self.store = store
        self.queue = queue
        self._require_role = require_role

    def list_audit(
        self, caller: Principal, filters: AuditFilter, *, page_size: int, page_token: str, oldest_first: bool
    ) -> tuple[list[AuditEntry], str]:
        self._require_role(caller, Action.AUDIT_READ, "audit")
        after = read_token(page_token, "audit", 1)[0] if page_token else None
        # What this replica decided a moment ago is in the log before anyone reads it.
        self.queue.flush()
        entries = self.store.entries(filters, after_sequence=after, oldest_first=oldest_first, limit=page_size + 1)
        more = len(entries) > page_size
        entries = entries[:page_size]
        return entries, token("audit", entries[-1].sequence) if more else ""

    def append_audit(self, caller: Principal, entries: Sequence[AuditEntry]) -> tuple[int, int]:
        """Denials an enforcement point decided locally, recorded as its own."""
        self._require_role(caller, Action.POLICY_READ, "audit")
        if len(entries) > MAX_AUDIT_ENTRIES_PER_APPEND:
            raise InvalidArgument(
                "too many entries", [FieldViolation("entries", f"at most {MAX_AUDIT_ENTRIES_PER_APPEND} a call")]
            )
        recorder = principal_name(caller.kind, caller.code)
        with self.database.unit_of_work() as work:
            return self.store.append(work.conn, [replace(e, recorded_by=recorder, sequence=0) for e in entries])


def _denial(queued: QueuedDenial) -> AuditEntry:
    caller, query, decision, trace, when = queued
    asker = principal_name(caller.kind, caller.code)
    return denial_entry(query, decision, when=when, trace_id=trace, recorded_by=AUTHZ_SERVICE, asked_by=asker)
