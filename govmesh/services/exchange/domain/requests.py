"""Point-to-point and scatter-gather requests: targets, their statuses, reply chunks and verdicts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from govmesh.kernel.catalog.validation import TypedValue
from govmesh.services.exchange.domain.records import Record, same_value

DEFAULT_TIME_TO_LIVE = dt.timedelta(hours=24)
MAX_TIME_TO_LIVE = dt.timedelta(days=30)
MAX_ENTITY_KEYS = 10_000
DEFAULT_INBOX_IN_FLIGHT = 100


class RequestKind(enum.Enum):
    READ = "read"
    VERIFY = "verify"


class WaitMode(enum.Enum):
    WAIT = "wait"
    ASYNC = "async"


class ReplyStatus(enum.Enum):
    PENDING = "pending"
    ANSWERED = "answered"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    DENIED = "denied"

    @property
    def final(self) -> bool:
        return self is not ReplyStatus.PENDING


class Verdict(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NO_RECORD = "no_record"
    NO_VALUE = "no_value"
    NOT_ALLOWED = "not_allowed"


class Operator(enum.Enum):
    EQUALS = "equals"
    LESS_THAN = "less_than"
    AT_MOST = "at_most"
    WITHIN_RANGE = "within_range"
    ABSENT = "absent"
    IN_SET = "in_set"


# How many operands each operator takes: exactly (low == high), or from low up (high None).
OPERANDS: dict[Operator, tuple[int, int | None]] = {
    Operator.EQUALS: (1, 1),
    Operator.LESS_THAN: (1, 1),
    Operator.AT_MOST: (1, 1),
    Operator.WITHIN_RANGE: (2, 2),
    Operator.ABSENT: (0, 0),
    Operator.IN_SET: (1, None),
}


@dataclass(frozen=True)
class Predicate:
    item_code: str
    operator: Operator
    operands: tuple[TypedValue, ...] = ()


@dataclass(frozen=True)
class Claim:
    """A requester's claims about one entity, to be verified without seeing the target's values."""

    entity_key: str
    values: Mapping[str, TypedValue]
    predicates: tuple[Predicate, ...] = ()

    def conditions(self) -> list[Predicate]:
        """Every claim as a predicate: each claimed value is an EQUALS."""
        equal = [Predicate(code, Operator.EQUALS, (value,)) for code, value in self.values.items()]
        return [*equal, *self.predicates]


@dataclass(frozen=True)
class ItemVerdict:
    item_code: str
    verdict: Verdict


@dataclass(frozen=True)
class VerificationResult:
    entity_key: str
    subject_code: str
    verdict: Verdict
    items: tuple[ItemVerdict, ...]


@dataclass(frozen=True)
class Target:
    """One department a request went to, and where its answer stands."""

    department: str
    status: ReplyStatus
    subjects: tuple[str, ...]
    items: tuple[str, ...] = ()
    denied_items: tuple[str, ...] = ()
    grants: tuple[str, ...] = ()
    denial_reason: str = ""
    message: str = ""
    record_count: int = 0
    final_time: dt.datetime | None = None
    attempt: int = 0
    # Routed by master record: (the target's own key, the key the requester asked by); empty when the
    # target is asked by the request's own keys.
    keys: tuple[tuple[str, str], ...] = ()

    def entity_keys(self, asked: Sequence[str]) -> tuple[str, ...]:
        """The keys this target is asked about: its own when routed by master record, else the request's."""
        return tuple(own for own, _ in self.keys) if self.keys else tuple(asked)

    def as_asked(self, own_keys: Sequence[str]) -> tuple[str, ...]:
        """The target's keys under the keys the requester asked by; a key it was not asked about is dropped."""
        if not self.keys:
            return tuple(own_keys)
        mapping = dict(self.keys)
        return tuple(dict.fromkeys(mapping[k] for k in own_keys if k in mapping))

    def as_of(self, now: dt.datetime, expire_time: dt.datetime) -> Target:
        """A pending target of an expired request has timed out, whether or not that was written yet."""
        if self.status is ReplyStatus.PENDING and now >= expire_time:
            return Target(
                self.department,
                ReplyStatus.TIMED_OUT,
                self.subjects,
                self.items,
                self.denied_items,
                self.grants,
                self.denial_reason,
                "the request expired before the target answered",
                self.record_count,
                expire_time,
                self.attempt,
                self.keys,
            )
        return self


@dataclass(frozen=True)
class ReplyChunk:
    """One chunk of a target's answer, as the requester receives it (already filtered)."""

    request_id: str
    target: str
    sequence: int
    records: tuple[Record, ...] = ()
    verifications: tuple[VerificationResult, ...] = ()
    not_found_entity_keys: tuple[str, ...] = ()
    final: bool = True
    failed: bool = False
    message: str = ""
    create_time: dt.datetime | None = None
    trace_id: str = ""

    @property
    def name(self) -> str:
        return f"requests/{self.request_id}/replies/{self.sequence}"


@dataclass(frozen=True)
class DataRequest:
    """A request as its requester sent it, with the targets it resolved to."""

    id: str
    requester: str
    kind: RequestKind
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    entity_keys: tuple[str, ...]
    claims: tuple[Claim, ...] = ()
    question: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    purpose: str = ""
    target_departments: tuple[str, ...] = ()
    to_subject_providers: bool = False
    to_holders_of_entity: bool = False
    targets: tuple[Target, ...] = ()
    create_time: dt.datetime | None = None
    expire_time: dt.datetime | None = None
    trace_id: str = ""
    idempotency_key: str = ""

    @property
    def name(self) -> str:
        return f"requests/{self.id}"

    def as_of(self, now: dt.datetime) -> DataRequest:
        if self.expire_time is None:
            return self
        expire = self.expire_time
        return replace(self, targets=tuple(t.as_of(now, expire) for t in self.targets))

    @property
    def complete(self) -> bool:
        return all(t.status.final for t in self.targets)


@dataclass(frozen=True)
class IncomingRequest:
    """A request as one target sees it in its inbox: only what it is asked and may answer."""

    request: DataRequest
    target: Target
    traceparent: str = ""


def subject_of_item(item_code: str) -> str:
    return item_code.rsplit(".", 1)[0]


def _number(value: TypedValue) -> Decimal | str:
    kind, raw = value
    if kind in ("integer", "decimal"):
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            return str(raw)
    if kind == "datetime" and isinstance(raw, dt.datetime):
        return raw.isoformat()
    return str(raw)  # dates are ISO text, which orders as the dates do


def _less(left: TypedValue, right: TypedValue, *, or_equal: bool) -> bool:
    a, b = _number(left), _number(right)
    if type(a) is not type(b):
        return False  # a number and a text do not compare: the claim does not hold
    return bool(a <= b if or_equal else a < b)  # type: ignore[operator]


def satisfies(value: TypedValue, predicate: Predicate) -> bool:
    """Whether one value of the target satisfies a predicate (ABSENT is decided by the caller)."""
    operands = predicate.operands
    match predicate.operator:
        case Operator.EQUALS:
            return same_value(value, operands[0])
        case Operator.IN_SET:
            return any(same_value(value, o) for o in operands)
        case Operator.LESS_THAN:
            return _less(value, operands[0], or_equal=False)
        case Operator.AT_MOST:
            return _less(value, operands[0], or_equal=True)
        case Operator.WITHIN_RANGE:
            return _less(operands[0], value, or_equal=True) and _less(value, operands[1], or_equal=True)
    return False


def _item_verdict(predicate: Predicate, held: Sequence[Record], allowed: Callable[[Record], frozenset[str]]) -> Verdict:
    if any(predicate.item_code not in allowed(r) for r in held):
        return Verdict.NOT_ALLOWED
    values = [r.values[predicate.item_code] for r in held if predicate.item_code in r.values]
    if predicate.operator is Operator.ABSENT:
        return Verdict.MATCH if not values else Verdict.MISMATCH
    if not values:
        return Verdict.NO_VALUE
    return Verdict.MATCH if all(satisfies(v, predicate) for v in values) else Verdict.MISMATCH


def verify_claims(
    claims: Sequence[Claim],
    records: Iterable[Record],
    not_found: Iterable[str],
    allowed_items: Callable[[Record], frozenset[str]],
    subjects: Sequence[str] | None = None,
) -> list[VerificationResult]:
    """Compares a target's records with the requester's claims; only verdicts leave, never the values.

    Every record of an entity is compared, one result per subject, each predicate against the
    records of its item's subject; a claim about a subject not in `subjects` (those asked of this
    target) is left to the targets providing it. `allowed_items` says which items of a record the
    requester may have verified.
    """
    by_entity: dict[str, list[Record]] = {}
    for answered in records:
        by_entity.setdefault(answered.entity_key, []).append(answered)
    missing = set(not_found)
    asked = set(subjects) if subjects is not None else None
    results = []
    for claim in claims:
        held_all = by_entity.get(claim.entity_key, [])
        if not held_all and claim.entity_key not in missing:
            continue  # not answered in this chunk
        by_subject: dict[str, list[Predicate]] = {}
        for predicate in claim.conditions():
            subject = subject_of_item(predicate.item_code)
            if asked is None or subject in asked:
                by_subject.setdefault(subject, []).append(predicate)
        for subject, predicates in by_subject.items():
            held = [r for r in held_all if r.subject_code == subject]
            if held:
                verdicts = tuple(ItemVerdict(p.item_code, _item_verdict(p, held, allowed_items)) for p in predicates)
            else:
                verdicts = tuple(
                    ItemVerdict(p.item_code, Verdict.MATCH if p.operator is Operator.ABSENT else Verdict.NO_RECORD)
                    for p in predicates
                )
            overall = next((v.verdict for v in verdicts if v.verdict is not Verdict.MATCH), Verdict.MATCH)
            results.append(VerificationResult(claim.entity_key, subject, overall, verdicts))
    return results
