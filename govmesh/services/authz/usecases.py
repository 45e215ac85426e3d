"""Authz's use cases: decisions from the in-memory policy, the grant workflow, the policy log and the audit log."""

from __future__ import annotations

import base64
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime

from opentelemetry import metrics, trace

from govmesh.kernel.policy.grants import Application, check_application, covers_consumer, new_grant, transition
from govmesh.kernel.policy.model import (
    AccessDecision,
    AccessQuery,
    Action,
    AuditEntry,
    AuditFilter,
    AuditKind,
    Decision,
    Grant,
    GrantEvent,
    GrantFilter,
    GrantHistoryEntry,
    ItemDecision,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    PrincipalKind,
    Reason,
    Role,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.policy import Policy, denial_entry
from govmesh.kernel.policy.principals import AUTHZ_SERVICE, hub_principal, kind_of, principal_name
from govmesh.runtime.clock import now
from govmesh.runtime.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    PreconditionViolation,
    ViolationCollector,
)
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, paginate, token_for
from govmesh.services.authz.domain.expiry import expiry
from govmesh.services.authz.persistence.repository import AuthzRepository

log = logging.getLogger("govmesh.authz")
_DENIALS = metrics.get_meter("govmesh.authz").create_counter(
    "govmesh.authz.denials", description="denials written to the audit log, by reason"
)

ERROR_DOMAIN = "authz.govmesh"
MAX_QUERIES_PER_BATCH = 1000
MAX_AUDIT_ENTRIES_PER_APPEND = 1000
# Changes kept in memory for watchers; a watcher further behind reads the log from the database.
RECENT_CHANGES = 20_000
# Denials waiting for the background writer; beyond this the oldest are dropped (and counted) rather
# than let a database outage exhaust the process's memory.
MAX_PENDING_AUDIT = 100_000


def trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def _token(kind: str, *numbers: int) -> str:
    return base64.urlsafe_b64encode(":".join([kind, *map(str, numbers)]).encode()).decode()


def _read_token(token: str, kind: str, count: int) -> list[int]:
    try:
        parts = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        numbers = [int(p) for p in parts[1:]]
        if parts[0] != kind or len(numbers) != count or any(n < 0 for n in numbers):
            raise ValueError(token)
        return numbers
    except ValueError:
        raise InvalidArgument(
            "bad page token", [FieldViolation("page_token", "is not a token this method issued")]
        ) from None


class Authz:
    """The authorization service's application service; every public method is one use case.

    Decisions come from an in-memory Policy that follows the policy log: this replica's own writes
    are applied as they commit, other replicas' by `refresh`, which the server calls every few
    hundred milliseconds. The Policy is guarded by one lock, held only for in-memory work.
    """

    def __init__(
        self,
        repository: AuthzRepository,
        *,
        clock: Callable[[], datetime] = now,
        on_change: Callable[[], None] = lambda: None,
    ):
        self.repository = repository
        self.clock = clock
        # Called (from whichever thread applied them) whenever the in-memory policy moved on.
        self._on_change = on_change
        self._lock = threading.RLock()
        self._policy = Policy()
        self._recent: deque[PolicyChange] = deque(maxlen=RECENT_CHANGES)
        self._audit_lock = threading.Lock()
        self._pending_audit: deque[AuditEntry | _QueuedDenial] = deque(maxlen=MAX_PENDING_AUDIT)
        self._dropped_audit = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Loads the stored policy into memory; decisions can be made from here on."""
        contents = self.repository.load_policy(self.clock())
        with self._lock:
            self._policy = Policy.from_contents(contents)
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
            changes = self.repository.changes_after(self.revision)
            with self._lock:
                fresh = [c for c in changes if c.revision > self._policy.revision]
                self._policy.apply_all(fresh)
                self._recent.extend(fresh)
            applied.extend(fresh)
            if fresh:
                self._on_change()
            if len(changes) < 10_000:
                return applied

    @property
    def revision(self) -> int:
        return self._policy.revision

    @property
    def catalog_revision(self) -> int:
        return self._policy.catalog_revision

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

    # -- the catalog copy ----------------------------------------------------------------------

    def sync_catalog(
        self,
        departments: Sequence[PrincipalEntry],
        items: Sequence[ItemPolicy],
        catalog_revision: int,
    ) -> list[PolicyChange]:
        """Takes the whole catalog as the catalog service reports it; writes what changed."""
        changes = self.repository.sync_catalog(
            items=items,
            departments=departments,
            subjects=None,
            catalog_revision=catalog_revision,
            now=self.clock(),
            trace_id=trace_id(),
        )
        self.refresh()
        with self._lock:
            self._policy.catalog_revision = max(self._policy.catalog_revision, catalog_revision)
        return changes

    def sync_subject(self, subject: str, items: Sequence[ItemPolicy], catalog_revision: int) -> list[PolicyChange]:
        """Takes one subject's items after a catalog change; items it no longer has are removed."""
        changes = self.repository.sync_catalog(
            items=items,
            departments=None,
            subjects={subject},
            catalog_revision=catalog_revision,
            now=self.clock(),
            trace_id=trace_id(),
        )
        self.refresh()
        with self._lock:
            self._policy.catalog_revision = max(self._policy.catalog_revision, catalog_revision)
        return changes

    # -- decisions -----------------------------------------------------------------------------

    def check(self, caller: Principal, query: AccessQuery) -> AccessDecision:
        self._may_ask_about(caller, query)
        with self._lock:
            decision = self._policy.decide(query, self.clock())
        if not decision.allowed:
            self._audit_denial(caller, query, decision)
        return decision

    def batch_check(self, caller: Principal, queries: Sequence[AccessQuery]) -> tuple[list[AccessDecision], int]:
        """Decides every query at one revision: the lock is held across all of them."""
        if len(queries) > MAX_QUERIES_PER_BATCH:
            raise InvalidArgument(
                "too many queries", [FieldViolation("queries", f"at most {MAX_QUERIES_PER_BATCH} a call")]
            )
        for query in queries:
            self._may_ask_about(caller, query)
        now = self.clock()
        with self._lock:
            decisions = [self._policy.decide(q, now) for q in queries]
            revision = self._policy.revision
        for query, decision in zip(queries, decisions, strict=True):
            if not decision.allowed:
                self._audit_denial(caller, query, decision)
        return decisions, revision

    def list_allowed(
        self,
        caller: Principal,
        principal: tuple[str, str],
        action: Action,
        subject: str | None,
        *,
        include_denied: bool,
        page: PageRequest,
        page_token: str,
    ) -> tuple[list[ItemDecision], str, int]:
        """The items (and their rows) a principal may receive; each page at the revision of the first.

        The token carries that revision, so a listing the policy moved under is refused (ABORTED
        would invite a blind retry; OUT_OF_RANGE says to start the listing again).
        """
        self._may_ask_about(caller, AccessQuery(principal[0], principal[1], action))
        offset = 0
        with self._lock:
            revision = self._policy.revision
            if page_token:
                token_revision, offset = _read_token(page_token, "allowed", 2)
                if token_revision != revision:
                    raise OutOfRange(
                        f"the policy moved from revision {token_revision} to {revision} during the listing; "
                        "list again from the first page"
                    )
            if subject is not None and self._policy.provider_of(subject) is None:
                raise NotFound("subject", f"subjects/{subject}", domain=ERROR_DOMAIN)
            decisions = self._policy.list_allowed(principal[0], principal[1], action, subject, self.clock())
        if not include_denied:
            decisions = [d for d in decisions if d.allowed]
        window = decisions[offset : offset + page.size]
        end = offset + page.size
        return window, _token("allowed", revision, end) if end < len(decisions) else "", revision

    def _may_ask_about(self, caller: Principal, query: AccessQuery) -> None:
        """A department (or anyone else) asks about itself; enforcement points and administrators
        about anyone."""
        if (query.principal_kind, query.principal_code) == (caller.kind, caller.code):
            return
        entry = self._principal(caller)
        if entry is not None and entry.roles & {Role.ENFORCEMENT_POINT, Role.HUB_ADMINISTRATOR}:
            return
        subject = query.subject
        self._refuse(
            caller,
            query.action,
            principal_name(query.principal_kind, query.principal_code),
            Reason.NOT_OWNER,
            f"{caller} may only ask about itself",
            subject=subject,
        )

    # -- watch and snapshot --------------------------------------------------------------------

    def require_policy_reader(self, caller: Principal) -> None:
        self._require_role(caller, Action.POLICY_READ, "policies")

    def changes_after(self, revision: int) -> list[PolicyChange]:
        """The changes after `revision`, from memory when recent enough, else from the log."""
        with self._lock:
            current = self._policy.revision
            if revision >= current:
                return []
            if self._recent and self._recent[0].revision <= revision + 1:
                return [c for c in self._recent if c.revision > revision]
        return [c for c in self.repository.changes_after(revision) if c.revision <= current]

    def snapshot(self) -> SnapshotContents:
        with self._lock:
            return self._policy.contents(self.clock())

    # -- principals ----------------------------------------------------------------------------

    def get_principal(self, caller: Principal, kind: str, code: str) -> PrincipalEntry:
        self._require_registered(caller, "principals")
        parsed = kind_of(kind)
        assert parsed is not None, "the servicer parses the name"
        if parsed is not PrincipalKind.DEPARTMENT:
            return hub_principal(parsed, code)
        with self._lock:
            entry = self._policy.departments.get(code)
        if entry is None:
            raise NotFound("principal", principal_name(kind, code), domain=ERROR_DOMAIN)
        return entry

    def list_principals(self, caller: Principal, kind: PrincipalKind | None, page: PageRequest) -> Page[PrincipalEntry]:
        """The registered principals: the catalog's departments. Hub principals (maintainers,
        administrators, auditors, services) are registered by the CA that issues their certificates,
        so authz knows each by its kind when it calls and has no list of them to give."""
        self._require_registered(caller, "principals")
        with self._lock:
            departments = [self._policy.departments[c] for c in sorted(self._policy.departments)]
        chosen = departments if kind in (None, PrincipalKind.DEPARTMENT) else []
        return paginate(chosen, page)

    # -- grants --------------------------------------------------------------------------------

    def apply_grant(
        self, caller: Principal, application: Application, *, validate_only: bool, request_id: str
    ) -> Grant:
        """Stores an application in state APPLIED, or refuses it and stores nothing."""
        now = self.clock()
        applicant = self._principal(caller)
        if applicant is None or not applicant.roles & {Role.DEPARTMENT, Role.HUB_ADMINISTRATOR}:
            reason = Reason.UNKNOWN_PRINCIPAL if applicant is None else Reason.ROLE_REQUIRED
            self._refuse(caller, Action.GRANT_APPLY, "grants", reason, "only departments and hub administrators apply")
        assert applicant is not None
        found = ViolationCollector()
        check_application(application, now, found)
        if len(request_id) > 100:
            found.add("request_id", "at most 100 characters")
        found.raise_if_any("the application has invalid fields")
        subject = application.subject
        with self._lock:
            policy = self._policy
            provider = policy.provider_of(subject)
            if provider is None:
                raise NotFound("subject", f"subjects/{subject}", domain=ERROR_DOMAIN)
            items = []
            for code in application.items:
                item = policy.items.get(code)
                if item is None or item.subject != subject or item.removed:
                    raise NotFound("data item", f"subjects/{subject}/items/{code}", domain=ERROR_DOMAIN)
                items.append(item)
            for code in application.consumer_departments:
                department = policy.departments.get(code)
                if department is None or department.disabled:
                    raise NotFound("department", f"departments/{code}", domain=ERROR_DOMAIN)
            known_groups = {g for d in policy.departments.values() if not d.disabled for g in d.groups}
        for group in application.consumer_groups:
            if group not in known_groups:
                raise NotFound("department group", f"groups/{group}", domain=ERROR_DOMAIN)
        if provider in application.consumer_departments:
            raise InvalidArgument(
                "the provider needs no grant for its own subject",
                [FieldViolation("grant.consumer_departments", f"{provider} provides subjects/{subject}")],
            )
        among_consumers = applicant.department in application.consumer_departments or any(
            g in applicant.groups for g in application.consumer_groups
        )
        if applicant.has(Role.DEPARTMENT) and not among_consumers:
            self._refuse(
                caller,
                Action.GRANT_APPLY,
                f"subjects/{subject}",
                Reason.NOT_OWNER,
                f"{applicant.department} is not among the consumers it applies for",
                subject=subject,
            )
        not_shared = [i.item for i in items if i.sharing_type is SharingType.NOT_SHARED]
        if not_shared:
            self._audit(
                caller,
                Action.GRANT_APPLY,
                f"subjects/{subject}",
                Reason.NOT_SHAREABLE,
                "NOT_SHARED items never leave their provider",
                subject=subject,
                items=tuple(not_shared),
            )
            raise FailedPrecondition(
                f"{len(not_shared)} item(s) are NOT_SHARED and can be in no grant",
                [
                    PreconditionViolation("NOT_SHAREABLE", f"subjects/{subject}/items/{c}", "NOT_SHARED")
                    for c in not_shared
                ],
                reason=Reason.NOT_SHAREABLE.code,
                domain=ERROR_DOMAIN,
            )
        grant = new_grant(application, provider=provider, applicant=applicant.name, now=now)
        if validate_only:
            return grant
        if request_id:
            earlier = self.repository.grant_by_request(applicant.name, request_id)
            if earlier is not None:
                return earlier
        self._flush_audit_before_a_change()
        audit = AuditEntry(
            kind=AuditKind.GRANT_CHANGE,
            principal=applicant.name,
            action=Action.GRANT_APPLY,
            object="",
            decision=Decision.ALLOW,
            reason=Reason.ROLE,
            create_time=now,
            subject=subject,
            items=grant.items,
            trace_id=trace_id(),
            recorded_by=AUTHZ_SERVICE,
            message=f"applied: {grant.purpose}",
        )
        stored = self.repository.create_grant(grant, request_id=request_id, audit=audit)
        self.refresh()
        return stored.grant

    def approve_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide_grant(
            caller, grant_id, GrantEvent.APPROVED, Action.GRANT_APPROVE, reason, needs_reason=False
        )

    def reject_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide_grant(caller, grant_id, GrantEvent.REJECTED, Action.GRANT_REJECT, reason, needs_reason=True)

    def revoke_grant(self, caller: Principal, grant_id: int, reason: str) -> Grant:
        return self._decide_grant(caller, grant_id, GrantEvent.REVOKED, Action.GRANT_REVOKE, reason, needs_reason=True)

    def _decide_grant(
        self, caller: Principal, grant_id: int, event: GrantEvent, action: Action, reason: str, *, needs_reason: bool
    ) -> Grant:
        if needs_reason and not reason.strip():
            raise InvalidArgument("say why", [FieldViolation("reason", "the applicant sees the reason; give one")])
        if len(reason) > 2000:
            raise InvalidArgument("reason too long", [FieldViolation("reason", "at most 2000 characters")])
        grant = self._stored_grant(grant_id)
        query = AccessQuery(caller.kind, caller.code, action, grant.subject, resource=grant.name)
        with self._lock:
            decision = self._policy.decide(query, self.clock())
        if not decision.allowed:
            self._refuse(
                caller, action, grant.name, decision.reason, decision.detail, subject=grant.subject, grant=grant
            )
        now = self.clock()
        actor = principal_name(caller.kind, caller.code)
        after = transition(grant, event, by=actor, reason=reason.strip(), now=now)
        self._flush_audit_before_a_change()
        audit = AuditEntry(
            kind=AuditKind.GRANT_CHANGE,
            principal=actor,
            action=action,
            object=grant.name,
            decision=Decision.ALLOW,
            reason=decision.reason,
            create_time=now,
            subject=grant.subject,
            items=grant.items,
            grant_id=grant.id,
            trace_id=trace_id(),
            recorded_by=AUTHZ_SERVICE,
            message=reason.strip(),
        )
        stored = self.repository.change_grant(grant, after, event, audit=audit)
        self.refresh()
        return stored.grant

    def get_grant(self, caller: Principal, grant_id: int) -> tuple[Grant, list[GrantHistoryEntry]]:
        grant = self._stored_grant(grant_id)
        self._may_read(caller, grant)
        return grant, self.repository.history(grant_id, 0, 10_000)

    def grant_history(self, caller: Principal, grant_id: int, page: PageRequest) -> Page[GrantHistoryEntry]:
        grant = self._stored_grant(grant_id)
        self._may_read(caller, grant)
        entries = self.repository.history(grant_id, page.offset, page.size + 1)
        more = len(entries) > page.size
        return Page(entries[: page.size], token_for(page.offset + page.size) if more else "", -1)

    def list_grants(self, caller: Principal, filters: GrantFilter, page: PageRequest) -> Page[Grant]:
        """The grants the caller may see that match every filter, newest first."""
        entry = self._require_registered(caller, "grants")
        consumer_groups: tuple[str, ...] = ()
        if filters.consumer:
            with self._lock:
                consumer = self._policy.departments.get(filters.consumer)
            if consumer is None:
                raise NotFound("department", f"departments/{filters.consumer}", domain=ERROR_DOMAIN)
            consumer_groups = consumer.groups
        sees_all = bool(entry.roles & {Role.HUB_ADMINISTRATOR, Role.AUDITOR})

        def keep(grant: Grant) -> bool:
            if not sees_all and not _is_party(entry, grant):
                return False
            if filters.consumer and not covers_consumer(grant, filters.consumer, consumer_groups):
                return False
            return not filters.item or filters.item in grant.items

        grants, total = self.repository.list_grants(
            subject=filters.subject,
            provider=filters.provider,
            states=filters.states,
            active_at=filters.active_at,
            keep=keep,
            offset=page.offset,
            limit=page.size,
        )
        end = page.offset + page.size
        return Page(grants, token_for(end) if end < total else "", total)

    def expire_due(self) -> list[Grant]:
        """Marks grants past their end time EXPIRED (decisions already treat them so)."""
        now, trace = self.clock(), trace_id()
        moves = []
        for grant in self.repository.due_for_expiry(now):
            expired, audit = expiry(grant, now, trace)
            moves.append((grant, expired, GrantEvent.EXPIRED, audit))
        changes = self.repository.save_transitions(moves, now, trace)
        if changes:
            self.refresh()
            log.info("expired %d grant(s): %s", len(changes), ", ".join(c.grant.name for c in changes))
        return [c.grant for c in changes]

    def _stored_grant(self, grant_id: int) -> Grant:
        grant = self.repository.grant(grant_id)
        if grant is None:
            raise NotFound("grant", f"grants/{grant_id}", domain=ERROR_DOMAIN)
        return grant

    def _may_read(self, caller: Principal, grant: Grant) -> None:
        entry = self._require_registered(caller, grant.name)
        if entry.roles & {Role.HUB_ADMINISTRATOR, Role.AUDITOR} or _is_party(entry, grant):
            return
        self._refuse(
            caller, Action.GRANT_READ, grant.name, Reason.NOT_OWNER, "not a party to the grant", subject=grant.subject
        )

    # -- audit ---------------------------------------------------------------------------------

    def list_audit(
        self, caller: Principal, filters: AuditFilter, *, page_size: int, page_token: str, oldest_first: bool
    ) -> tuple[list[AuditEntry], str]:
        self._require_role(caller, Action.AUDIT_READ, "audit")
        after = _read_token(page_token, "audit", 1)[0] if page_token else None
        # What this replica decided a moment ago is in the log before anyone reads it.
        self.flush_audit()
        entries = self.repository.audit_entries(
            filters, after_sequence=after, oldest_first=oldest_first, limit=page_size + 1
        )
        more = len(entries) > page_size
        entries = entries[:page_size]
        return entries, _token("audit", entries[-1].sequence) if more else ""

    def append_audit(self, caller: Principal, entries: Sequence[AuditEntry]) -> tuple[int, int]:
        """Denials an enforcement point decided locally, recorded as its own."""
        self._require_role(caller, Action.POLICY_READ, "audit")
        if len(entries) > MAX_AUDIT_ENTRIES_PER_APPEND:
            raise InvalidArgument(
                "too many entries", [FieldViolation("entries", f"at most {MAX_AUDIT_ENTRIES_PER_APPEND} a call")]
            )
        recorder = principal_name(caller.kind, caller.code)
        return self.repository.append_audit(
            AuditEntry(
                kind=e.kind,
                principal=e.principal,
                action=e.action,
                object=e.object,
                decision=e.decision,
                reason=e.reason,
                create_time=e.create_time,
                subject=e.subject,
                items=e.items,
                grant_id=e.grant_id,
                policy_revision=e.policy_revision,
                trace_id=e.trace_id,
                recorded_by=recorder,
                message=e.message,
            )
            for e in entries
        )

    def flush_audit(self) -> int:
        """Writes the denials decided since the last flush; returns how many."""
        with self._audit_lock:
            pending = list(self._pending_audit)
            self._pending_audit.clear()
            dropped, self._dropped_audit = self._dropped_audit, 0
        if dropped:
            log.error("dropped %d audit entries while the database was unreachable", dropped)
        if not pending:
            return 0
        entries = [e if isinstance(e, AuditEntry) else _denial(e) for e in pending]
        try:
            self.repository.append_audit(entries)
        except Exception:
            with self._audit_lock:
                self._pending_audit.extendleft(reversed(pending))
            raise
        for entry in entries:
            if entry.decision == Decision.DENY:
                _DENIALS.add(1, {"reason": entry.reason.name if entry.reason else ""})
        return len(pending)

    def _flush_audit_before_a_change(self) -> None:
        """Denials decided before a grant change go into the log before it, so sequence follows time."""
        try:
            self.flush_audit()
        except Exception:  # the change itself will meet the same database and report it
            log.warning("writing pending audit entries failed; they stay queued", exc_info=True)

    def _audit_denial(self, caller: Principal, query: AccessQuery, decision: AccessDecision) -> None:
        """Queues a denial with what is at hand; its entry is built by the writer, off the decision path."""
        self._queue_audit((caller, query, decision, trace_id(), self.clock()))

    def _audit(
        self,
        caller: Principal,
        action: Action | None,
        obj: str,
        reason: Reason,
        message: str,
        *,
        subject: str = "",
        items: tuple[str, ...] = (),
        grant: Grant | None = None,
    ) -> None:
        self._queue_audit(
            AuditEntry(
                kind=AuditKind.DECISION,
                principal=principal_name(caller.kind, caller.code),
                action=action,
                object=obj,
                decision=Decision.DENY,
                reason=reason,
                create_time=self.clock(),
                subject=subject,
                items=items or (grant.items if grant else ()),
                grant_id=grant.id if grant else None,
                policy_revision=self.revision,
                trace_id=trace_id(),
                recorded_by=AUTHZ_SERVICE,
                message=message,
            )
        )

    def _queue_audit(self, entry: AuditEntry | _QueuedDenial) -> None:
        with self._audit_lock:
            if len(self._pending_audit) == MAX_PENDING_AUDIT:
                self._dropped_audit += 1
            self._pending_audit.append(entry)

    # -- who may do what -----------------------------------------------------------------------

    def _principal(self, caller: Principal) -> PrincipalEntry | None:
        with self._lock:
            return self._policy.principal(caller.kind, caller.code)

    def _refuse(
        self,
        caller: Principal,
        action: Action | None,
        obj: str,
        reason: Reason,
        message: str,
        *,
        subject: str = "",
        grant: Grant | None = None,
    ) -> None:
        """Audits a refused call, then refuses it: PERMISSION_DENIED with the reason code."""
        self._audit(caller, action, obj, reason, message, subject=subject, grant=grant)
        raise PermissionDenied(
            f"{caller}: {message or reason.code}", reason=reason.code, domain=ERROR_DOMAIN, metadata={"object": obj}
        )

    def _require_registered(self, caller: Principal, obj: str) -> PrincipalEntry:
        entry = self._principal(caller)
        if entry is None:
            self._refuse(caller, None, obj, Reason.UNKNOWN_PRINCIPAL, "the caller is not registered with the hub")
        assert entry is not None
        return entry

    def _require_role(self, caller: Principal, action: Action, obj: str) -> None:
        with self._lock:
            decision = self._policy.decide(AccessQuery(caller.kind, caller.code, action), self.clock())
        if not decision.allowed:
            self._refuse(caller, action, obj, decision.reason, decision.detail)


# A denial decided on the hot path: who asked, the question, the answer, its trace id and time.
_QueuedDenial = tuple[Principal, AccessQuery, AccessDecision, str, datetime]


def _denial(queued: _QueuedDenial) -> AuditEntry:
    caller, query, decision, trace, when = queued
    asker = principal_name(caller.kind, caller.code)
    return denial_entry(query, decision, when=when, trace_id=trace, recorded_by=AUTHZ_SERVICE, asked_by=asker)


def _is_party(entry: PrincipalEntry, grant: Grant) -> bool:
    """Provider, consumer (directly or through a group) or applicant of a grant."""
    if entry.name == grant.applicant:
        return True
    if not entry.department:
        return False
    return entry.department == grant.provider or covers_consumer(grant, entry.department, entry.groups)
