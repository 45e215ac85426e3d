"""Point-to-point and scatter-gather requests: targets, their statuses, reply chunks and verdicts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

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


@dataclass(frozen=True)
class Claim:
    """A requester's claimed values for one entity, to be verified without seeing the target's values."""

    entity_key: str
    values: Mapping[str, TypedValue]


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


def verify_claims(
    claims: Sequence[Claim],
    records: Iterable[Record],
    not_found: Iterable[str],
    allowed_items: Callable[[Record], frozenset[str]],
) -> list[VerificationResult]:
    """Compares a target's records with the requester's claims; only verdicts leave, never the values.

    `allowed_items` says which items of a record the requester may have verified.
    """
    by_entity: dict[str, Record] = {}
    for answered in records:
        by_entity.setdefault(answered.entity_key, answered)
    missing = set(not_found)
    results = []
    for claim in claims:
        record = by_entity.get(claim.entity_key)
        if record is None:
            if claim.entity_key not in missing:
                continue
            verdicts = tuple(ItemVerdict(code, Verdict.NO_RECORD) for code in claim.values)
            results.append(VerificationResult(claim.entity_key, "", Verdict.NO_RECORD, verdicts))
            continue
        item_verdicts = []
        allowed = allowed_items(record)
        for code, claimed in claim.values.items():
            if code not in allowed:
                item_verdicts.append(ItemVerdict(code, Verdict.NOT_ALLOWED))
            elif code not in record.values:
                item_verdicts.append(ItemVerdict(code, Verdict.NO_VALUE))
            elif same_value(record.values[code], claimed):
                item_verdicts.append(ItemVerdict(code, Verdict.MATCH))
            else:
                item_verdicts.append(ItemVerdict(code, Verdict.MISMATCH))
        overall = next((v.verdict for v in item_verdicts if v.verdict is not Verdict.MATCH), Verdict.MATCH)
        results.append(VerificationResult(claim.entity_key, record.subject_code, overall, tuple(item_verdicts)))
    return results
