"""The policy at one revision, indexed for decisions, and the decision function: default deny.

The same class answers in the authz service and in every enforcement point's local snapshot, so a
decision reads the same wherever it was made. Per item of a data action:

- the subject's provider may do anything with its own items (PROVIDER);
- a NOT_SHARED item is denied to everyone else (NOT_SHAREABLE), whatever grants say;
- an UNCONDITIONAL item is allowed to every registered department, for every row (UNCONDITIONAL);
- a CONDITIONAL item is allowed only under an active grant that names the consumer (directly or
  through one of its groups), the item and the action (GRANTED), for the union of those grants'
  row scopes. Otherwise the most specific reason wins: ROW_OUT_OF_SCOPE (an active grant covers
  item and action, only not the row asked about), then GRANT_REVOKED, GRANT_EXPIRED,
  GRANT_NOT_YET_VALID, GRANT_PENDING, ACTION_NOT_GRANTED and finally NO_GRANT.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from govmesh.kernel.policy.grants import Standing, standing_at
from govmesh.kernel.policy.model import (
    ALL_ROWS,
    DATA_ACTIONS,
    GRANTABLE_ACTIONS,
    NO_ROWS,
    PROVIDER_ACTIONS,
    AccessDecision,
    AccessQuery,
    Action,
    AuditEntry,
    AuditKind,
    Decision,
    Grant,
    GrantState,
    ItemDecision,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    PrincipalKind,
    Reason,
    Role,
    Row,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.principals import hub_principal, kind_of, principal_name
from govmesh.kernel.policy.rows import allows_bulk_delivery, contains, union

# Revoked and expired grants stay in the policy this long after their end time, so that denials
# can still name them ("your grant was revoked") instead of a bare NO_GRANT.
ENDED_GRANT_RETENTION = timedelta(days=30)

# For a conditional item without an allowing grant, the reason found first in this order is given.
# Ranked by position, so the hot path compares small integers instead of hashing enum members.
_DENIAL_PRECEDENCE = (
    Reason.GRANT_REVOKED,
    Reason.GRANT_EXPIRED,
    Reason.GRANT_NOT_YET_VALID,
    Reason.GRANT_PENDING,
    Reason.ACTION_NOT_GRANTED,
)
_RANK_OF_STANDING = {
    Standing.REVOKED: 0,
    Standing.EXPIRED: 1,
    Standing.NOT_YET_VALID: 2,
    Standing.PENDING: 3,
}
_ACTION_NOT_GRANTED_RANK = 4
_ACTIVE, _IGNORED = -1, -2
# Tuples, not sets: membership by identity, without hashing an enum member on every decision.
_DATA_ACTIONS = tuple(DATA_ACTIONS)
_PROVIDER_ACTIONS = tuple(PROVIDER_ACTIONS)
# The data actions a grant can reach (PUBLISH and REPLY are the provider's alone).
_RECEIVE_ACTIONS = (Action.SUBSCRIBE, Action.REQUEST, Action.READ, Action.VERIFY)
_DEPARTMENT_KIND = PrincipalKind.DEPARTMENT.value
# Hub principals are made from their kind on first sight and kept, up to this many.
_MAX_CACHED_HUB_PRINCIPALS = 10_000
_MAX_CACHED_GRANT_DECISIONS = 100_000

# Roles that admit a principal to an action that is not about a subject's items.
_ROLE_ACTIONS: dict[Action, frozenset[Role]] = {
    Action.CATALOG_WRITE: frozenset({Role.CATALOG_MAINTAINER}),
    Action.AUDIT_READ: frozenset({Role.AUDITOR, Role.HUB_ADMINISTRATOR}),
    Action.POLICY_READ: frozenset({Role.ENFORCEMENT_POINT}),
    Action.HUB_ADMINISTER: frozenset({Role.HUB_ADMINISTRATOR}),
    Action.LEDGER_READ: frozenset({Role.DEPARTMENT, Role.AUDITOR, Role.HUB_ADMINISTRATOR}),
    Action.GRANT_APPLY: frozenset({Role.DEPARTMENT, Role.HUB_ADMINISTRATOR}),
}


# A grant naming the consumer, the items it names, and its rank: _ACTIVE when it allows the action,
# else its place in _DENIAL_PRECEDENCE.
_GrantView = tuple[Grant, frozenset[str], int]
# An item's facts and the decisions they alone make: for its provider, for everyone else when the
# sharing type decides (None for CONDITIONAL), and NO_GRANT for a conditional item no grant names.
_Fixed = tuple[ItemPolicy, ItemDecision, ItemDecision | None, ItemDecision]


def retained(grant: Grant, now: datetime) -> bool:
    """Whether a grant belongs in the decision-relevant policy at `now`."""
    if grant.state in (GrantState.APPLIED, GrantState.APPROVED):
        return True
    if grant.state is GrantState.REJECTED:
        return False
    return grant.end_time > now - ENDED_GRANT_RETENTION


def action_covered(grant: Grant, action: Action) -> bool:
    """Whether a grant's actions reach `action`: READ where SUBSCRIBE or REQUEST is, VERIFY where
    VERIFY or REQUEST is; and never SUBSCRIBE under a scope of requested entities only."""
    allowed = grant.actions or GRANTABLE_ACTIONS
    if action is Action.REQUEST:
        return Action.REQUEST in allowed
    if action is Action.VERIFY:
        return Action.VERIFY in allowed or Action.REQUEST in allowed
    bulk = Action.SUBSCRIBE in allowed and allows_bulk_delivery(grant.row_scope)
    if action is Action.SUBSCRIBE:
        return bulk
    if action is Action.READ:
        return bulk or Action.REQUEST in allowed
    return False


def next_change(grants: Iterable[_GrantView], now: datetime) -> datetime | None:
    """The first instant after `now` at which one of these grants starts or ends (its standing may change)."""
    moments = [
        moment
        for grant, _items, _rank in grants
        for moment in (grant.start_time, grant.end_time)
        if moment is not None and moment > now
    ]
    return min(moments, default=None)


def _department_key(code: str) -> str:
    return f"department:{code}"


def _group_key(group: str) -> str:
    return f"group:{group}"


class Policy:
    """Items, principals and grants at one revision, with the indexes that make a decision a few lookups.

    Not thread-safe by itself: the service guards it with a lock, an enforcement point keeps it on
    its event loop.
    """

    def __init__(self, revision: int = 0, catalog_revision: int = 0):
        self.revision = revision
        self.catalog_revision = catalog_revision
        self.items: dict[str, ItemPolicy] = {}
        self.departments: dict[str, PrincipalEntry] = {}
        self.grants: dict[int, Grant] = {}
        self._providers: dict[str, str] = {}
        self._members: dict[str, set[str]] = {}
        self._subject_items: dict[str, tuple[str, ...]] = {}
        self._grant_items: dict[int, frozenset[str]] = {}
        # The data actions each grant reaches, as a tuple: tested by identity on the decision path.
        self._grant_covers: dict[int, tuple[Action, ...]] = {}
        self._by_consumer: dict[tuple[str, str], set[int]] = {}
        self._consumer_keys: dict[str, tuple[str, ...]] = {}
        self._hub_principals: dict[tuple[str, str], PrincipalEntry] = {}
        # Per item: its facts, the decision for its provider, and the decision for everyone else
        # when the sharing type alone decides (unconditional, not shareable). Built on first use.
        self._fixed: dict[str, _Fixed] = {}
        # Decisions made from grants, by item, reason and the grants behind it; cleared on every change.
        self._by_grants: dict[tuple[str, Reason, tuple[int, ...]], ItemDecision] = {}

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_contents(cls, contents: SnapshotContents) -> Policy:
        policy = cls(contents.revision, contents.catalog_revision)
        for item in contents.items:
            policy._put_item(item, reindex=False)
        policy._reindex_subjects()
        for principal in contents.principals:
            policy._put_principal(principal)
        for grant in contents.grants:
            policy._put_grant(grant)
        return policy

    def contents(self, now: datetime) -> SnapshotContents:
        """Everything a snapshot carries, in a stable order."""
        return SnapshotContents(
            revision=self.revision,
            catalog_revision=self.catalog_revision,
            items=[self.items[code] for code in sorted(self.items)],
            principals=[self.departments[code] for code in sorted(self.departments)],
            grants=[g for _id, g in sorted(self.grants.items()) if retained(g, now)],
        )

    def apply(self, change: PolicyChange) -> None:
        """Applies one change; changes must arrive in revision order (older ones are ignored)."""
        self.apply_all((change,))

    def apply_all(self, changes: Iterable[PolicyChange]) -> None:
        """Applies changes in revision order; item lists are rebuilt once per batch, not per change."""
        touched: set[str] = set()
        for change in changes:
            if change.revision <= self.revision:
                continue
            if change.grant is not None:
                self._put_grant(change.grant)
            if change.item is not None:
                previous = self.items.get(change.item.item)
                if previous is not None:
                    touched.add(previous.subject)
                touched.add(change.item.subject)
                self._put_item(change.item, reindex=False)
            if change.principal is not None:
                self._put_principal(change.principal)
            self.revision = change.revision
        for subject in touched:
            self._reindex_subject(subject)

    def _put_item(self, item: ItemPolicy, *, reindex: bool = True) -> None:
        previous = self.items.get(item.item)
        self.items[item.item] = item
        self._fixed.clear()
        self._by_grants.clear()
        if previous is not None and previous.subject != item.subject:
            self._members[previous.subject].discard(item.item)
            if reindex:
                self._reindex_subject(previous.subject)
        self._members.setdefault(item.subject, set()).add(item.item)
        self._providers[item.subject] = item.provider
        if reindex:
            self._reindex_subject(item.subject)

    def _reindex_subjects(self) -> None:
        for subject in self._members:
            self._reindex_subject(subject)

    def _reindex_subject(self, subject: str) -> None:
        """The subject's live items in code order: what a query naming no items is about."""
        self._subject_items[subject] = tuple(sorted(c for c in self._members[subject] if not self.items[c].removed))

    def _put_principal(self, principal: PrincipalEntry) -> None:
        if principal.kind is not PrincipalKind.DEPARTMENT:
            return  # hub principals are known by their kind; nothing to keep
        self.departments[principal.code] = principal
        self._consumer_keys[principal.code] = (
            _department_key(principal.code),
            *(_group_key(g) for g in principal.groups),
        )

    def _put_grant(self, grant: Grant) -> None:
        self._by_grants.clear()
        old = self.grants.pop(grant.id, None)
        if old is not None:
            for key in self._keys_of(old):
                ids = self._by_consumer.get(key)
                if ids is not None:
                    ids.discard(old.id)
                    if not ids:
                        del self._by_consumer[key]
            self._grant_items.pop(old.id, None)
            self._grant_covers.pop(old.id, None)
        if grant.state is GrantState.REJECTED:
            return  # a rejected grant never allowed anything and names nothing worth a denial
        self.grants[grant.id] = grant
        self._grant_items[grant.id] = frozenset(grant.items)
        self._grant_covers[grant.id] = tuple(a for a in _RECEIVE_ACTIONS if action_covered(grant, a))
        for key in self._keys_of(grant):
            self._by_consumer.setdefault(key, set()).add(grant.id)

    @staticmethod
    def _keys_of(grant: Grant) -> list[tuple[str, str]]:
        return [(grant.subject, _department_key(d)) for d in grant.consumer_departments] + [
            (grant.subject, _group_key(g)) for g in grant.consumer_groups
        ]

    # -- lookups -------------------------------------------------------------------------------

    def principal(self, kind: str, code: str) -> PrincipalEntry | None:
        """The registered, enabled principal of that kind and code; None for anyone else."""
        if kind == _DEPARTMENT_KIND:
            entry = self.departments.get(code)
            return None if entry is None or entry.disabled else entry
        known = self._hub_principals.get((kind, code))
        if known is None:
            parsed = kind_of(kind)
            if parsed is None or parsed is PrincipalKind.DEPARTMENT or not code:
                return None
            known = hub_principal(parsed, code)
            # Callers name principals freely; the cache must not grow with whatever they send.
            if len(self._hub_principals) < _MAX_CACHED_HUB_PRINCIPALS:
                self._hub_principals[(kind, code)] = known
        return known

    def provider_of(self, subject: str) -> str | None:
        return self._providers.get(subject)

    def subjects(self) -> list[str]:
        return sorted(self._providers)

    def subject_items(self, subject: str) -> tuple[str, ...]:
        return self._subject_items.get(subject, ())

    # -- decisions -----------------------------------------------------------------------------

    def decide(self, query: AccessQuery, now: datetime) -> AccessDecision:
        action = query.action
        if action is None:
            return self._whole(query, Reason.INVALID_QUERY, (), "the query names no action")
        principal = self.principal(query.principal_kind, query.principal_code)
        if action in _DATA_ACTIONS:
            return self._decide_data(query, action, principal, now)
        if principal is None:
            return self._whole(query, Reason.UNKNOWN_PRINCIPAL, (), "the principal is not registered with the hub")
        return self._decide_role(query, action, principal)

    def _decide_data(
        self, query: AccessQuery, action: Action, principal: PrincipalEntry | None, now: datetime
    ) -> AccessDecision:
        subject = query.subject
        if not subject:
            return self._whole(query, Reason.INVALID_QUERY, (), f"{action.name} is about a subject; name one")
        provider = self._providers.get(subject)
        codes = query.items or self._subject_items.get(subject, ())
        if provider is None:
            return self._whole(query, Reason.UNKNOWN_SUBJECT, codes, f"subjects/{subject} is not in the catalog")
        if principal is None:
            return self._whole(query, Reason.UNKNOWN_PRINCIPAL, codes, "the principal is not registered with the hub")
        if Role.DEPARTMENT not in principal.roles:
            return self._whole(query, Reason.ROLE_REQUIRED, codes, f"{action.name} needs the department role")
        is_provider = principal.department == provider
        if action in _PROVIDER_ACTIONS and not is_provider:
            return self._whole(query, Reason.NOT_PROVIDER, codes, f"only {provider} may {action.value} this subject")
        row = query.row
        decisions: list[ItemDecision] = []
        grants: list[_GrantView] | None = None
        denied: ItemDecision | None = None
        granted = False
        for code in codes:
            fixed = self._fixed.get(code) or self._fix(code)
            if fixed is None or fixed[0].subject != subject:
                decision = ItemDecision(subject, code, Decision.DENY, Reason.UNKNOWN_ITEM, None, NO_ROWS)
            elif is_provider:
                decision = fixed[1]
            elif fixed[2] is not None:
                decision = fixed[2]
            else:
                if grants is None:
                    grants = self._grant_views(subject, principal, action, now)
                decision = self._decide_by_grants(subject, code, grants, row, fixed[3]) if grants else fixed[3]
                granted = granted or decision.reason is Reason.GRANTED
            if denied is None and decision.decision is Decision.DENY:
                denied = decision
            decisions.append(decision)
        until = next_change(grants, now) if grants else None
        if denied is not None:
            return AccessDecision(Decision.DENY, denied.reason, tuple(decisions), self.revision, valid_until=until)
        if granted:
            reason = Reason.GRANTED
        elif decisions:
            reason = decisions[0].reason
        else:
            reason = Reason.PROVIDER if is_provider else Reason.UNCONDITIONAL
        return AccessDecision(Decision.ALLOW, reason, tuple(decisions), self.revision, valid_until=until)

    def _fix(self, code: str) -> _Fixed | None:
        """The decisions an item's facts alone make; None for an item that is not (or no longer) there."""
        item = self.items.get(code)
        if item is None or item.removed:
            return None
        sharing = item.sharing_type
        provider = ItemDecision(item.subject, code, Decision.ALLOW, Reason.PROVIDER, sharing, ALL_ROWS)
        others: ItemDecision | None = None
        no_grant = ItemDecision(item.subject, code, Decision.DENY, Reason.NO_GRANT, sharing, NO_ROWS)
        if sharing is SharingType.UNCONDITIONAL:
            others = ItemDecision(item.subject, code, Decision.ALLOW, Reason.UNCONDITIONAL, sharing, ALL_ROWS)
        elif sharing is SharingType.NOT_SHARED:
            others = ItemDecision(item.subject, code, Decision.DENY, Reason.NOT_SHAREABLE, sharing, NO_ROWS)
        fixed = (item, provider, others, no_grant)
        self._fixed[code] = fixed
        return fixed

    def _grant_views(self, subject: str, principal: PrincipalEntry, action: Action, now: datetime) -> list[_GrantView]:
        """The grants on a subject naming a consumer, each with its standing for this action, once per query.

        Ordered by grant id, each once (a grant may name a department directly and through a group),
        so the per-item pass below needs neither sorting nor de-duplication.
        """
        found: set[int] = set()
        for key in self._consumer_keys.get(principal.department, ()):
            ids = self._by_consumer.get((subject, key))
            if ids:
                found |= ids
        views: list[_GrantView] = []
        for grant_id in sorted(found):
            grant = self.grants[grant_id]
            standing = standing_at(grant, now)
            if standing is Standing.ACTIVE:
                rank = _ACTIVE if action in self._grant_covers[grant_id] else _ACTION_NOT_GRANTED_RANK
            else:
                rank = _RANK_OF_STANDING.get(standing, _IGNORED)
            if rank != _IGNORED:
                views.append((grant, self._grant_items[grant_id], rank))
        return views

    def _decide_by_grants(
        self, subject: str, code: str, grants: list[_GrantView], row: Row | None, no_grant: ItemDecision
    ) -> ItemDecision:
        allowing: list[int] = []
        outside_row: list[int] = []
        best_rank = len(_DENIAL_PRECEDENCE)
        named: list[int] = []
        for grant, items, rank in grants:
            if code not in items:
                continue
            if rank == _ACTIVE:
                if row is not None and not contains(grant.row_scope, row):
                    outside_row.append(grant.id)
                else:
                    allowing.append(grant.id)
            elif rank < best_rank:
                best_rank, named = rank, [grant.id]
            elif rank == best_rank:
                named.append(grant.id)
        if allowing:
            reason, ids = Reason.GRANTED, tuple(allowing)
        elif outside_row:
            reason, ids = Reason.ROW_OUT_OF_SCOPE, tuple(outside_row)
        elif named:
            reason, ids = _DENIAL_PRECEDENCE[best_rank], tuple(named)
        else:
            return no_grant
        # The same grants decide the same item alike until a grant or item changes: shared, like _fixed.
        key = (code, reason, ids)
        decided = self._by_grants.get(key)
        if decided is None:
            decided = self._item_by_grants(subject, code, reason, ids)
            if len(self._by_grants) >= _MAX_CACHED_GRANT_DECISIONS:
                self._by_grants.clear()
            self._by_grants[key] = decided
        return decided

    def _item_by_grants(self, subject: str, code: str, reason: Reason, ids: tuple[int, ...]) -> ItemDecision:
        sharing = SharingType.CONDITIONAL
        if reason is not Reason.GRANTED:
            return ItemDecision(subject, code, Decision.DENY, reason, sharing, NO_ROWS, ids)
        scope = union(self.grants[i].row_scope for i in ids)
        return ItemDecision(subject, code, Decision.ALLOW, reason, sharing, scope, ids)

    def _whole(self, query: AccessQuery, reason: Reason, codes: Iterable[str], detail: str) -> AccessDecision:
        """A denial of the whole query, repeated on each item so enforcement points need no special case."""
        items = tuple(
            ItemDecision(
                query.subject,
                code,
                Decision.DENY,
                reason,
                item.sharing_type
                if (item := self.items.get(code)) is not None and item.subject == query.subject
                else None,
                NO_ROWS,
            )
            for code in codes
        )
        return AccessDecision(Decision.DENY, reason, items, self.revision, detail)

    def _decide_role(self, query: AccessQuery, action: Action, principal: PrincipalEntry) -> AccessDecision:
        """Actions that are not about items: a role admits, or ownership of the grant or subject does."""
        if action is Action.CATALOG_READ:
            return self._allow(Reason.ROLE)
        if action in (Action.GRANT_APPROVE, Action.GRANT_REJECT, Action.GRANT_REVOKE, Action.GRANT_READ):
            return self._decide_grant_action(query, action, principal)
        roles = _ROLE_ACTIONS[action]
        if not principal.roles & roles:
            wanted = " or ".join(sorted(r.value for r in roles))
            return self._whole(query, Reason.ROLE_REQUIRED, (), f"{action.name} needs the role {wanted}")
        if action is Action.GRANT_APPLY and principal.has(Role.DEPARTMENT):
            grant = self._grant_of(query.resource)
            if grant is not None and not self._is_consumer(grant, principal):
                return self._whole(query, Reason.NOT_OWNER, (), f"{principal.department} is not a consumer of it")
        return self._allow(Reason.ROLE)

    def _decide_grant_action(self, query: AccessQuery, action: Action, principal: PrincipalEntry) -> AccessDecision:
        grant = self._grant_of(query.resource)
        subject = grant.subject if grant is not None else query.subject
        if action is Action.GRANT_READ:
            if principal.roles & {Role.HUB_ADMINISTRATOR, Role.AUDITOR}:
                return self._allow(Reason.ROLE)
            if grant is None:
                if query.resource:
                    return self._whole(query, Reason.INVALID_QUERY, (), f"{query.resource} is not in the policy")
                # Without a grant named, reading means listing: everyone sees the grants that concern them.
                return self._allow(Reason.ROLE)
            if principal.department and principal.department == grant.provider:
                return self._allow(Reason.PROVIDER)
            if self._is_consumer(grant, principal) or grant.applicant == principal.name:
                return self._allow(Reason.ROLE)
            return self._whole(query, Reason.NOT_OWNER, (), f"{principal.name} is not a party to {grant.name}")
        if action is Action.GRANT_REVOKE and principal.has(Role.HUB_ADMINISTRATOR):
            return self._allow(Reason.ROLE)
        if not subject:
            return self._whole(query, Reason.INVALID_QUERY, (), f"{action.name} needs a grant or a subject")
        provider = self._providers.get(subject)
        if provider is None:
            return self._whole(query, Reason.UNKNOWN_SUBJECT, (), f"subjects/{subject} is not in the catalog")
        if principal.has(Role.DEPARTMENT) and principal.department == provider:
            return self._allow(Reason.PROVIDER)
        return self._whole(query, Reason.NOT_PROVIDER, (), f"only {provider}, the provider, may do this")

    def _grant_of(self, resource: str) -> Grant | None:
        prefix, _, number = resource.partition("/")
        if prefix != "grants" or not number.isdigit():
            return None
        return self.grants.get(int(number))

    def _is_consumer(self, grant: Grant, principal: PrincipalEntry) -> bool:
        if not principal.department:
            return False
        return principal.department in grant.consumer_departments or any(
            g in principal.groups for g in grant.consumer_groups
        )

    def _allow(self, reason: Reason) -> AccessDecision:
        return AccessDecision(Decision.ALLOW, reason, (), self.revision)

    def list_allowed(
        self, principal_kind: str, principal_code: str, action: Action, subject: str | None, now: datetime
    ) -> list[ItemDecision]:
        """Per item of one subject, or of every subject when `subject` is None, by subject then item code."""
        subjects = self.subjects() if subject is None else [subject]
        found: list[ItemDecision] = []
        for code in subjects:
            decision = self.decide(AccessQuery(principal_kind, principal_code, action, code), now)
            found.extend(decision.items)
        return found


def denial_entry(
    query: AccessQuery, decision: AccessDecision, *, when: datetime, trace_id: str, recorded_by: str, asked_by: str = ""
) -> AuditEntry:
    """The audit entry of a denial: who was denied what, why, under which grant, at which revision.

    Built off the decision path (when the queued denials are written), since the message costs more
    than the decision.
    """
    denied = decision.denied_items
    grants = sorted({g for i in denied for g in i.grants})
    about = principal_name(query.principal_kind, query.principal_code)
    message = decision.message if not asked_by or asked_by == about else f"asked by {asked_by}: {decision.message}"
    return AuditEntry(
        kind=AuditKind.DECISION,
        principal=about,
        action=query.action,
        object=query.resource or (f"subjects/{query.subject}" if query.subject else ""),
        decision=Decision.DENY,
        reason=decision.reason,
        create_time=when,
        subject=query.subject,
        items=tuple(i.item for i in denied),
        grant_id=grants[0] if grants else None,
        policy_revision=decision.policy_revision,
        trace_id=trace_id,
        recorded_by=recorded_by,
        message=message,
    )
