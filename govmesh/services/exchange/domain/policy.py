"""What a department may receive: the Policy port the exchange asks, and the filtering its answers drive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from govmesh.kernel.catalog.model import SharingType
from govmesh.kernel.catalog.validation import TypedValue
from govmesh.kernel.policy.model import Action as Action
from govmesh.kernel.policy.model import Row as Row
from govmesh.kernel.policy.rows import division_covers
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.domain.records import Record
from govmesh.services.exchange.domain.requests import ItemVerdict, ReplyChunk, Verdict, VerificationResult


@dataclass(frozen=True)
class RowScope:
    """kernel.policy's row scope as the exchange checks it for every record: entity keys in a set.

    The rows it contains are decided by kernel.policy's rules (division_covers), as authz decides them.
    A set of rows: all, or those within divisions, of named entities, or of entities the receiver asked about."""

    all_rows: bool = False
    division_codes: tuple[str, ...] = ()
    entity_keys: frozenset[str] = frozenset()
    requested_entities_only: bool = False

    def contains(self, row: Row) -> bool:
        if self.all_rows:
            return True
        if row.division_code and any(division_covers(code, row.division_code) for code in self.division_codes):
            return True
        if row.entity_key in self.entity_keys:
            return True
        return self.requested_entities_only and row.entity_key_requested

    @property
    def empty(self) -> bool:
        return not (self.all_rows or self.division_codes or self.entity_keys or self.requested_entities_only)

    def union(self, other: RowScope) -> RowScope:
        if self.all_rows or other.all_rows:
            return ALL_ROWS
        return RowScope(
            division_codes=tuple(dict.fromkeys((*self.division_codes, *other.division_codes))),
            entity_keys=self.entity_keys | other.entity_keys,
            requested_entities_only=self.requested_entities_only or other.requested_entities_only,
        )


ALL_ROWS = RowScope(all_rows=True)
NO_ROWS = RowScope()


@dataclass(frozen=True)
class ItemDecision:
    """The decision on one item: allowed with a row scope and grants, or denied with a reason code."""

    subject_code: str
    item_code: str
    allowed: bool
    reason: str
    sharing_type: SharingType | None = None
    row_scope: RowScope = NO_ROWS
    grants: tuple[str, ...] = ()


class Policy(Protocol):
    """The decision point the exchange enforces: per item, allow with a row scope, or deny with why."""

    @property
    def revision(self) -> int:
        """The policy revision decisions are made at; it grows with every change."""

    def decide(self, principal: Principal, action: Action, subject_code: str, items: Sequence[str] = ()) -> Decisions:
        """One decision per requested item, or per item of the subject when none are named."""


@dataclass(frozen=True)
class Decisions:
    """A policy's answer: a decision per item, and until when time alone leaves it standing."""

    items: tuple[ItemDecision, ...]
    # The next instant a grant weighed starts or ends; None when only a new revision can change it.
    valid_until: dt.datetime | None = None


@dataclass(frozen=True)
class Entitlement:
    """The items of one subject a receiver may get, each with its row scope, at one policy revision."""

    subject_code: str
    decisions: tuple[ItemDecision, ...]
    revision: int
    allowed: Mapping[str, RowScope] = field(default_factory=dict)
    # Decisions made before this instant stand until it (a grant starts or ends then); decide again after.
    valid_until: dt.datetime | None = None
    # The allowed items when each holds on every row (the common case), so no row needs checking.
    every_row: frozenset[str] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        if all(scope.all_rows for scope in self.allowed.values()):
            object.__setattr__(self, "every_row", frozenset(self.allowed))

    @classmethod
    def of(
        cls,
        subject_code: str,
        decisions: Iterable[ItemDecision],
        revision: int,
        valid_until: dt.datetime | None = None,
    ) -> Entitlement:
        decided = tuple(decisions)
        allowed = {d.item_code: d.row_scope for d in decided if d.allowed and not d.row_scope.empty}
        return cls(subject_code, decided, revision, allowed, valid_until)

    def stands_at(self, moment: dt.datetime) -> bool:
        """Whether these decisions still hold at `moment` (no grant weighed has started or ended since)."""
        return self.valid_until is None or moment < self.valid_until

    @property
    def any_allowed(self) -> bool:
        return bool(self.allowed)

    @property
    def denied(self) -> list[ItemDecision]:
        return [d for d in self.decisions if not d.allowed]

    def narrowed_to(self, items: Iterable[str]) -> Entitlement:
        """Only the named items (a subscription or a request that asks for fewer)."""
        wanted = set(items)
        if not wanted:
            return self
        return Entitlement(
            self.subject_code,
            tuple(d for d in self.decisions if d.item_code in wanted),
            self.revision,
            {code: scope for code, scope in self.allowed.items() if code in wanted},
            self.valid_until,
        )

    def visible_items(self, row: Row) -> frozenset[str]:
        """The allowed items whose row scope holds this row."""
        if self.every_row is not None:
            return self.every_row
        scopes: dict[RowScope, bool] = {}
        visible = []
        for code, scope in self.allowed.items():
            inside = scopes.get(scope)
            if inside is None:
                inside = scopes[scope] = scope.contains(row)
            if inside:
                visible.append(code)
        return frozenset(visible)

    def grants_for(self, items: Iterable[str]) -> tuple[str, ...]:
        chosen = set(items)
        names: dict[str, None] = {}
        for decision in self.decisions:
            if decision.item_code in chosen:
                names.update(dict.fromkeys(decision.grants))
        return tuple(names)

    def scope_for(self, items: Iterable[str]) -> RowScope:
        scope = NO_ROWS
        for code in items:
            scope = scope.union(self.allowed.get(code, NO_ROWS))
        return scope


@dataclass(frozen=True)
class Filtered:
    """A record as one receiver gets it, or None when the row is outside everything it may see."""

    record: Record | None
    items: frozenset[str]
    narrowed: bool


def filter_record(record: Record, entitlement: Entitlement, *, requested: bool = False) -> Filtered:
    """Keeps only the values the receiver may see on this row; an item it may not see is absent, not empty.

    A row for which no allowed item's scope holds is not sent at all.
    """
    visible = entitlement.visible_items(Row(record.division_code, record.entity_key, requested))
    return narrow(record, visible)


def narrow(record: Record, visible: frozenset[str]) -> Filtered:
    """The record carrying only the visible items (the same record when it carries no other)."""
    if not visible:
        return Filtered(None, frozenset(), True)
    values: dict[str, TypedValue] = {code: value for code, value in record.values.items() if code in visible}
    if len(values) == len(record.values):
        return Filtered(record, visible, False)
    return Filtered(record.with_values(values), visible, True)


def reply_as_allowed(
    chunk: ReplyChunk, entitlements: Mapping[str, Entitlement], requested: Collection[str]
) -> ReplyChunk:
    """A stored reply chunk narrowed to what the requester may receive now.

    A reply is filtered when it is stored; a grant revoked or ended since then takes its items
    out of what is read later, as it does for deliveries.
    """
    records = []
    for record in chunk.records:
        entitlement = entitlements.get(record.subject_code)
        seen = filter_record(record, entitlement, requested=record.entity_key in requested) if entitlement else None
        if seen is not None and seen.record is not None:
            records.append(seen.record)
    verifications = tuple(_verification_as_allowed(v, entitlements) for v in chunk.verifications)
    return replace(chunk, records=tuple(records), verifications=verifications)


def _verification_as_allowed(result: VerificationResult, entitlements: Mapping[str, Entitlement]) -> VerificationResult:
    if not result.subject_code:
        return result  # NO_RECORD says nothing about any item's value
    entitlement = entitlements.get(result.subject_code)
    allowed = entitlement.allowed if entitlement is not None else {}
    items = tuple(
        v
        if v.item_code in allowed or v.verdict is Verdict.NOT_ALLOWED
        else ItemVerdict(v.item_code, Verdict.NOT_ALLOWED)
        for v in result.items
    )
    overall = next((v.verdict for v in items if v.verdict is not Verdict.MATCH), Verdict.MATCH)
    return replace(result, verdict=overall, items=items)
