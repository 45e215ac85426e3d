"""The life of a grant: what an application must say, the state machine, and a grant's standing at a time."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from govmesh.kernel.policy.model import (
    GRANTABLE_ACTIONS,
    Action,
    Grant,
    GrantEvent,
    GrantMode,
    GrantState,
    Reason,
    RowScope,
)
from govmesh.kernel.policy.rows import check_grant_scope, normalized
from govmesh.runtime.errors import FailedPrecondition, PreconditionViolation, ViolationCollector

MAX_ITEMS_PER_GRANT = 1000
MAX_CONSUMERS_PER_GRANT = 200
MAX_TEXT = 2000


class Standing(enum.Enum):
    """Where a grant stands at one moment, which is what decisions need (its state alone is not enough:
    an approved grant stops allowing at its end time whether or not the expiry sweep has run)."""

    PENDING = "pending"
    NOT_YET_VALID = "not_yet_valid"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REJECTED = "rejected"


def standing_at(grant: Grant, now: datetime) -> Standing:
    state = grant.state
    if state is GrantState.APPROVED:
        if now >= grant.end_time:
            return Standing.EXPIRED
        if grant.start_time is not None and now < grant.start_time:
            return Standing.NOT_YET_VALID
        return Standing.ACTIVE
    if state is GrantState.APPLIED:
        return Standing.EXPIRED if now >= grant.end_time else Standing.PENDING
    if state is GrantState.REVOKED:
        return Standing.REVOKED
    if state is GrantState.EXPIRED:
        return Standing.EXPIRED
    return Standing.REJECTED


def covers_consumer(grant: Grant, department: str, groups: Collection[str]) -> bool:
    """Whether a department is among a grant's consumers, by name or through one of its groups."""
    return department in grant.consumer_departments or any(g in groups for g in grant.consumer_groups)


@dataclass(frozen=True)
class Application:
    """What a consumer applies for; checked here for shape, against the catalog by the use case."""

    subject: str
    items: tuple[str, ...]
    mode: GrantMode | None
    consumer_departments: tuple[str, ...]
    consumer_groups: tuple[str, ...]
    actions: frozenset[Action]
    purpose: str
    legal_basis: str
    start_time: datetime | None
    end_time: datetime | None
    row_scope: RowScope | None


def check_application(application: Application, now: datetime, found: ViolationCollector, path: str = "grant") -> None:
    """Collects every shape problem of an application: the caller sees them all at once."""
    a = application
    if not a.items:
        found.add(f"{path}.items", "name at least one item")
    elif len(a.items) > MAX_ITEMS_PER_GRANT:
        found.add(f"{path}.items", f"at most {MAX_ITEMS_PER_GRANT} items")
    elif len(set(a.items)) != len(a.items):
        found.add(f"{path}.items", "each item once")
    consumers = len(a.consumer_departments) + len(a.consumer_groups)
    if consumers > MAX_CONSUMERS_PER_GRANT:
        found.add(f"{path}.consumer_departments", f"at most {MAX_CONSUMERS_PER_GRANT} consumers and groups")
    if len(set(a.consumer_departments)) != len(a.consumer_departments):
        found.add(f"{path}.consumer_departments", "each department once")
    if len(set(a.consumer_groups)) != len(a.consumer_groups):
        found.add(f"{path}.consumer_groups", "each group once")
    if a.mode is GrantMode.POINT_TO_POINT and (len(a.consumer_departments) != 1 or a.consumer_groups):
        found.add(f"{path}.mode", "a point-to-point grant names exactly one consumer department and no group")
    elif a.mode is GrantMode.ONE_TO_MANY and len(a.consumer_departments) < 2 and not a.consumer_groups:
        found.add(f"{path}.mode", "a one-to-many grant names several consumer departments or at least one group")
    if not a.actions <= GRANTABLE_ACTIONS:
        found.add(f"{path}.actions", "a grant allows only SUBSCRIBE, REQUEST and VERIFY")
    for name, text in (("purpose", a.purpose), ("legal_basis", a.legal_basis)):
        if not text.strip():
            found.add(f"{path}.{name}", "must not be empty")
        elif len(text) > MAX_TEXT:
            found.add(f"{path}.{name}", f"at most {MAX_TEXT} characters")
    if a.end_time is None:
        found.add(f"{path}.end_time", "a grant needs an end time")
    else:
        if a.end_time <= now:
            found.add(f"{path}.end_time", "the validity period is already over")
        if a.start_time is not None and a.end_time <= a.start_time:
            found.add(f"{path}.end_time", "must be after the start time: the validity period is empty")
    if a.row_scope is not None:
        check_grant_scope(a.row_scope, f"{path}.row_scope", found)


def new_grant(application: Application, *, provider: str, applicant: str, now: datetime) -> Grant:
    """The grant an accepted application becomes, before the log gives it an id and a revision."""
    assert application.mode is not None and application.end_time is not None
    return Grant(
        id=0,
        subject=application.subject,
        provider=provider,
        items=application.items,
        mode=application.mode,
        consumer_departments=application.consumer_departments,
        consumer_groups=application.consumer_groups,
        actions=application.actions,
        purpose=application.purpose.strip(),
        legal_basis=application.legal_basis.strip(),
        start_time=application.start_time,
        end_time=application.end_time,
        row_scope=normalized(application.row_scope),
        state=GrantState.APPLIED,
        applicant=applicant,
        create_time=now,
        update_time=now,
    )


# The state machine: each event, the states it may leave from, and the state it leads to.
TRANSITIONS: dict[GrantEvent, tuple[frozenset[GrantState], GrantState]] = {
    GrantEvent.APPROVED: (frozenset({GrantState.APPLIED}), GrantState.APPROVED),
    GrantEvent.REJECTED: (frozenset({GrantState.APPLIED}), GrantState.REJECTED),
    GrantEvent.REVOKED: (frozenset({GrantState.APPROVED}), GrantState.REVOKED),
    GrantEvent.EXPIRED: (frozenset({GrantState.APPLIED, GrantState.APPROVED}), GrantState.EXPIRED),
}

_REASON_OF_STATE = {
    GrantState.REVOKED: Reason.GRANT_REVOKED,
    GrantState.EXPIRED: Reason.GRANT_EXPIRED,
}


def transition(grant: Grant, event: GrantEvent, *, by: str, reason: str, now: datetime) -> Grant:
    """The grant after `event`, or FailedPrecondition when its state (or its end time) does not allow it."""
    sources, target = TRANSITIONS[event]
    past_end = now >= grant.end_time
    if event is GrantEvent.EXPIRED:
        if grant.state not in sources or not past_end:
            raise _refused(grant, event, "only an applied or approved grant past its end time expires")
    elif grant.state not in sources:
        raise _refused(
            grant, event, f"only a grant in state {' or '.join(s.name for s in sources)} can be {event.value}"
        )
    elif past_end:
        # Its end time passed: it has expired in effect even if the sweep has not marked it yet.
        raise FailedPrecondition(
            f"{grant.name} ended at {grant.end_time.isoformat()}; it can no longer be {event.value}",
            [PreconditionViolation("GRANT_STATE", grant.name, "the grant's validity period is over")],
            reason=Reason.GRANT_EXPIRED.code,
        )
    start_time = grant.start_time
    if event is GrantEvent.APPROVED and start_time is None:
        start_time = now
    decided_by, decision_reason = grant.decided_by, grant.decision_reason
    if event is not GrantEvent.EXPIRED:
        decided_by, decision_reason = by, reason
    return dataclasses.replace(
        grant,
        state=target,
        start_time=start_time,
        decided_by=decided_by,
        decision_reason=decision_reason,
        update_time=now,
    )


def _refused(grant: Grant, event: GrantEvent, rule: str) -> FailedPrecondition:
    reason = _REASON_OF_STATE.get(grant.state)
    return FailedPrecondition(
        f"{grant.name} is {grant.state.name}: {rule}",
        [PreconditionViolation("GRANT_STATE", grant.name, f"the grant is {grant.state.name}")],
        reason=reason.code if reason else None,
    )
