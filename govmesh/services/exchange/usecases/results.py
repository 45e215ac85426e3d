"""What the exchange's use cases answer, for the servicer to translate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from govmesh.kernel.catalog.validation import RecordViolation
from govmesh.runtime.paging import Page
from govmesh.services.exchange.domain.ledger import StatsRow
from govmesh.services.exchange.domain.requests import Claim, DataRequest, ReplyChunk, RequestKind, Target


@dataclass(frozen=True)
class RecordResult:
    """What became of one record sent to the hub (RecordStatus names)."""

    index: int
    status: str
    record_id: str = ""
    digest: str = ""
    violations: tuple[RecordViolation, ...] = ()
    subject_version: str = ""


@dataclass
class PublishOutcome:
    results: list[RecordResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class RequestDraft:
    """A request as the requester asks it, before targets are resolved."""

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
    time_to_live: dt.timedelta | None = None
    idempotency_key: str = ""


@dataclass(frozen=True)
class GatheredRequest:
    """A request with the reply chunks gathered so far (none in the BASIC view)."""

    request: DataRequest
    replies: tuple[ReplyChunk, ...] = ()
    omitted: bool = False


@dataclass(frozen=True)
class ReplyOutcome:
    accepted: int
    withheld: int
    rejected: tuple[RecordResult, ...]

    def stored(self) -> dict[str, object]:
        """The outcome as kept with the reply, so a retry with the same key answers the same."""
        return {
            "accepted": self.accepted,
            "withheld": self.withheld,
            "rejected": [
                {"index": r.index, "violations": [[v.item_code, v.reason, v.description] for v in r.violations]}
                for r in self.rejected
            ],
        }

    @staticmethod
    def from_stored(stored: Mapping[str, object]) -> ReplyOutcome:
        rejected = tuple(
            RecordResult(
                int(r["index"]),
                "INVALID",
                violations=tuple(RecordViolation(*v) for v in r["violations"]),
            )
            for r in stored.get("rejected", [])  # type: ignore[attr-defined]
        )
        return ReplyOutcome(int(stored["accepted"]), int(stored["withheld"]), rejected)  # type: ignore[call-overload]


@dataclass(frozen=True)
class ReplyWatch:
    replies: tuple[ReplyChunk, ...]
    statuses: tuple[Target, ...]
    complete: bool


@dataclass(frozen=True)
class StatsPage:
    rows: Page[StatsRow]
    total: StatsRow
