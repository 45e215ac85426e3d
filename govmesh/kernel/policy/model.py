"""The plain model of authorization: principals, item policies, grants, decisions, audit — no gRPC, no database."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

# The catalog's three sharing modes: one enum for the catalog, decisions and every enforcement point.
from govmesh.kernel.catalog.model import SharingType as SharingType

# The kinds and roles are the runtime's: certificates carry them below any policy.
from govmesh.runtime.identity import PrincipalKind as PrincipalKind
from govmesh.runtime.identity import Role as Role


class Action(enum.Enum):
    PUBLISH = "publish"
    SUBSCRIBE = "subscribe"
    REQUEST = "request"
    REPLY = "reply"
    READ = "read"
    VERIFY = "verify"
    CATALOG_READ = "catalog_read"
    CATALOG_WRITE = "catalog_write"
    GRANT_APPLY = "grant_apply"
    GRANT_APPROVE = "grant_approve"
    GRANT_REJECT = "grant_reject"
    GRANT_REVOKE = "grant_revoke"
    GRANT_READ = "grant_read"
    AUDIT_READ = "audit_read"
    LEDGER_READ = "ledger_read"
    POLICY_READ = "policy_read"
    HUB_ADMINISTER = "hub_administer"


# Actions about a subject's items: decided per item from sharing types and grants.
DATA_ACTIONS = frozenset({Action.PUBLISH, Action.SUBSCRIBE, Action.REQUEST, Action.REPLY, Action.READ, Action.VERIFY})
# Actions only the provider of a subject takes.
PROVIDER_ACTIONS = frozenset({Action.PUBLISH, Action.REPLY})
# What a grant may name; an empty list on a grant means all three.
GRANTABLE_ACTIONS = frozenset({Action.SUBSCRIBE, Action.REQUEST, Action.VERIFY})


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


class Reason(enum.Enum):
    """Why a decision came out as it did; deny reasons double as the ErrorInfo reasons of refused calls."""

    UNCONDITIONAL = "unconditional"
    GRANTED = "granted"
    PROVIDER = "provider"
    ROLE = "role"
    NO_GRANT = "no_grant"
    GRANT_EXPIRED = "grant_expired"
    GRANT_REVOKED = "grant_revoked"
    GRANT_NOT_YET_VALID = "grant_not_yet_valid"
    GRANT_PENDING = "grant_pending"
    ACTION_NOT_GRANTED = "action_not_granted"
    NOT_SHAREABLE = "not_shareable"
    NOT_PROVIDER = "not_provider"
    UNKNOWN_PRINCIPAL = "unknown_principal"
    ROLE_REQUIRED = "role_required"
    UNKNOWN_SUBJECT = "unknown_subject"
    UNKNOWN_ITEM = "unknown_item"
    ROW_OUT_OF_SCOPE = "row_out_of_scope"
    NOT_OWNER = "not_owner"
    INVALID_QUERY = "invalid_query"

    @property
    def code(self) -> str:
        """The stable upper-case name machines read, e.g. `NOT_SHAREABLE`."""
        return self.name


class GrantMode(enum.Enum):
    POINT_TO_POINT = "point_to_point"
    ONE_TO_MANY = "one_to_many"


class GrantState(enum.Enum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset({GrantState.REJECTED, GrantState.REVOKED, GrantState.EXPIRED})


class GrantEvent(enum.Enum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"


class AuditKind(enum.Enum):
    DECISION = "decision"
    GRANT_CHANGE = "grant_change"


@dataclass(frozen=True, slots=True)
class PrincipalEntry:
    """A principal as the hub knows it: its kind and code, roles, department and the groups it is in."""

    kind: PrincipalKind
    code: str
    roles: frozenset[Role]
    department: str = ""
    groups: tuple[str, ...] = ()
    display_name: str = ""
    disabled: bool = False

    @property
    def name(self) -> str:
        return f"principals/{self.kind.value}/{self.code}"

    @property
    def spiffe_id(self) -> str:
        return f"spiffe://govmesh/{self.kind.value}/{self.code}"

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class ItemPolicy:
    """The catalog facts about one data item that decisions depend on."""

    subject: str  # subject code, e.g. 102.001
    item: str
    provider: str
    sharing_type: SharingType
    deprecated: bool = False
    # The item left the catalog (a major version removed it): decided as unknown from then on.
    removed: bool = False


@dataclass(frozen=True, slots=True)
class RowScope:
    """A set of rows: all of them, or those within divisions, or of named entities, or of requested entities."""

    all_rows: bool = False
    division_codes: tuple[str, ...] = ()
    entity_keys: tuple[str, ...] = ()
    requested_entities_only: bool = False

    @property
    def empty(self) -> bool:
        return not (self.all_rows or self.division_codes or self.entity_keys or self.requested_entities_only)


ALL_ROWS = RowScope(all_rows=True)
NO_ROWS = RowScope()


@dataclass(frozen=True, slots=True)
class Row:
    """One concrete row a decision is asked about."""

    division_code: str = ""
    entity_key: str = ""
    entity_key_requested: bool = False


@dataclass(frozen=True, slots=True)
class Grant:
    """A provider's consent that named consumers receive named items of one subject, for a purpose and a period."""

    id: int
    subject: str
    provider: str
    items: tuple[str, ...]
    mode: GrantMode
    consumer_departments: tuple[str, ...]
    consumer_groups: tuple[str, ...]
    actions: frozenset[Action]  # empty means every grantable action
    purpose: str
    legal_basis: str
    start_time: datetime | None  # None until approval when the applicant left it open
    end_time: datetime
    row_scope: RowScope
    state: GrantState
    applicant: str  # principals/{kind}/{code}
    decided_by: str = ""
    decision_reason: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    revision: int = 0

    @property
    def name(self) -> str:
        return f"grants/{self.id}"


@dataclass(frozen=True, slots=True)
class GrantHistoryEntry:
    grant_id: int
    event: GrantEvent
    state: GrantState
    principal: str
    reason: str
    create_time: datetime
    revision: int
    trace_id: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the append-only audit log: a decision (every denial) or a grant change."""

    kind: AuditKind
    principal: str
    action: Action | None
    object: str
    decision: Decision
    reason: Reason | None
    create_time: datetime
    subject: str = ""  # subject code
    items: tuple[str, ...] = ()
    grant_id: int | None = None
    policy_revision: int = 0
    trace_id: str = ""
    recorded_by: str = ""
    message: str = ""
    sequence: int = 0  # set by the log when the entry is appended


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What ListAuditEntries narrows the log to; every field that is set must match."""

    principal: str = ""
    actions: frozenset[Action] = frozenset()
    decision: Decision | None = None
    subject: str = ""
    object: str = ""
    grant_id: int | None = None
    reason: Reason | None = None
    trace_id: str = ""
    kind: AuditKind | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class GrantFilter:
    """What ListGrants narrows the grants to; every field that is set must match."""

    subject: str = ""
    provider: str = ""
    consumer: str = ""
    states: frozenset[GrantState] = frozenset()
    item: str = ""
    active_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One change of the policy at one revision: the new state of a grant, an item or a principal."""

    revision: int
    create_time: datetime
    grant: Grant | None = None
    item: ItemPolicy | None = None
    principal: PrincipalEntry | None = None


@dataclass(frozen=True, slots=True)
class AccessQuery:
    """May `principal` (kind, code) take `action` on `items` of `subject` (and on `row`, if given)?"""

    principal_kind: str
    principal_code: str
    action: Action | None
    subject: str = ""  # subject code; empty for actions that are not about a subject
    items: tuple[str, ...] = ()  # empty means every item of the subject
    resource: str = ""
    row: Row | None = None


@dataclass(frozen=True, slots=True)
class ItemDecision:
    subject: str
    item: str
    decision: Decision
    reason: Reason
    sharing_type: SharingType | None
    row_scope: RowScope
    grants: tuple[int, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@dataclass(frozen=True, slots=True)
class AccessDecision:
    decision: Decision
    reason: Reason
    items: tuple[ItemDecision, ...]
    policy_revision: int
    detail: str = ""  # what the reason alone does not say, e.g. which role was missing
    # The first instant after the decision at which a grant it weighed starts or ends: the same
    # question may be answered differently from then on, at the same revision. None: never by time.
    valid_until: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @property
    def denied_items(self) -> tuple[ItemDecision, ...]:
        return tuple(i for i in self.items if i.decision is Decision.DENY)

    @property
    def message(self) -> str:
        """A sentence for logs and error messages, built only when someone reads it."""
        verdict = "allowed" if self.allowed else "denied"
        text = f"{verdict} ({self.reason.code}) at policy revision {self.policy_revision}"
        if self.detail:
            text += f": {self.detail}"
        denied = self.denied_items
        if denied and self.items:
            shown = ", ".join(f"{i.item} {i.reason.code}" for i in denied[:5])
            more = f" and {len(denied) - 5} more" if len(denied) > 5 else ""
            text += f"; {len(denied)} of {len(self.items)} items denied: {shown}{more}"
        return text


@dataclass(frozen=True)
class SnapshotContents:
    """The whole decision-relevant policy at one revision, as ReadPolicySnapshot streams it."""

    revision: int
    catalog_revision: int
    items: list[ItemPolicy] = field(default_factory=list)
    principals: list[PrincipalEntry] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
