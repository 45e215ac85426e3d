"""Incremental linking: one arriving record against the blocked candidates already indexed."""

import itertools
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from govmesh.services.masters.domain.comparisons import BLOCKING_KEYS, FieldOutcome, LinkageModel, default_model
from govmesh.services.masters.domain.records import DepartmentRecord, Kind, PreparedRecord, RecordKey, prepare
from govmesh.services.masters.domain.rules import (
    MODEL_NAME,
    DecisionKind,
    Evidence,
    Thresholds,
    conflict,
    identifier_rule,
    identifiers_conflict,
)

__all__ = [
    "CandidateIndex",
    "InMemoryCandidateIndex",
    "IncrementalLinker",
    "LinkDecision",
    "blocking_values",
]


def blocking_values(record: PreparedRecord) -> Iterator[tuple[str, ...]]:
    """The blocking keys a record falls under: one per AND rule whose fields it all has, tagged with the rule."""
    for rule_index, fields in enumerate(BLOCKING_KEYS[record.kind]):
        values = [getattr(record, name) for name in fields]
        if all(value is not None for value in values):
            yield (record.kind.value, str(rule_index), *values)


class CandidateIndex(Protocol):
    """Where the linker finds what it compares a new record with; the service backs it with its database."""

    def add(self, record: PreparedRecord, master_id: str) -> None:
        """Index a record as belonging to a master record (replacing any earlier version of the same key)."""

    def master_of_identifier(self, kind: Kind, identifier: str) -> str | None:
        """The master record holding a valid identifier, if any."""

    def identifiers_of_master(self, master_id: str) -> frozenset[str]:
        """The valid identifiers of a master record's linked records (at most one, by the rules)."""

    def candidates(self, record: PreparedRecord) -> list[tuple[PreparedRecord, str]]:
        """The indexed records sharing a blocking key with `record`, each with its master id."""

    def name_frequency(self, kind: Kind, name: str) -> float | None:
        """The share of indexed records of a kind bearing a name, or None while too few are indexed to tell."""


# A block of a very common key (a frequent name on a common birth date) is cut to its latest entries,
# so that one arriving record never compares with thousands: latency stays bounded, recall pays a little.
_MAX_BLOCK_SIZE: Final = 64
_MIN_POPULATION_FOR_FREQUENCIES: Final = 1000


class InMemoryCandidateIndex:
    """A CandidateIndex in dictionaries: for tests, the benchmark and a single-process deployment."""

    def __init__(self, max_block_size: int = _MAX_BLOCK_SIZE) -> None:
        self._max_block_size = max_block_size
        self._records: dict[RecordKey, tuple[PreparedRecord, str]] = {}
        self._blocks: defaultdict[tuple[str, ...], deque[RecordKey]] = defaultdict(
            lambda: deque(maxlen=self._max_block_size)
        )
        self._identifier_masters: dict[tuple[Kind, str], str] = {}
        self._master_identifiers: defaultdict[str, set[str]] = defaultdict(set)
        self._name_counts: defaultdict[tuple[Kind, str], int] = defaultdict(int)
        self._kind_counts: defaultdict[Kind, int] = defaultdict(int)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: PreparedRecord, master_id: str) -> None:
        if record.key not in self._records:
            self._kind_counts[record.kind] += 1
            if record.name is not None:
                self._name_counts[(record.kind, record.name)] += 1
            for key in blocking_values(record):
                self._blocks[key].append(record.key)
        self._records[record.key] = (record, master_id)
        if record.identifier is not None:
            self._identifier_masters.setdefault((record.kind, record.identifier), master_id)
            self._master_identifiers[master_id].add(record.identifier)

    def master_of_identifier(self, kind: Kind, identifier: str) -> str | None:
        return self._identifier_masters.get((kind, identifier))

    def identifiers_of_master(self, master_id: str) -> frozenset[str]:
        return frozenset(self._master_identifiers.get(master_id, ()))

    def master_of(self, key: RecordKey) -> str | None:
        entry = self._records.get(key)
        return entry[1] if entry else None

    def candidates(self, record: PreparedRecord) -> list[tuple[PreparedRecord, str]]:
        seen: set[RecordKey] = {record.key}
        found: list[tuple[PreparedRecord, str]] = []
        for key in blocking_values(record):
            for candidate_key in self._blocks.get(key, ()):
                if candidate_key not in seen:
                    seen.add(candidate_key)
                    found.append(self._records[candidate_key])
        return found

    def name_frequency(self, kind: Kind, name: str) -> float | None:
        population = self._kind_counts[kind]
        if population < _MIN_POPULATION_FOR_FREQUENCIES:
            return None
        return self._name_counts.get((kind, name), 0) / population


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """What became of one arriving record.

    LINKED: it joined `master_id` (evidence says by which rule or model). NEW: it starts `master_id`.
    REVIEW: it starts `master_id` for now, and a person should decide whether it belongs to
    `proposed_master_id` instead (the evidence is the model's case for it).
    """

    key: RecordKey
    kind: DecisionKind
    master_id: str
    evidence: Evidence | None
    proposed_master_id: str | None = None
    identifier_problem: str | None = None


def _sequential_master_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"M{next(counter):09d}"


class IncrementalLinker:
    """Links one record at a time: identifier rule first, then the model over blocked candidates."""

    def __init__(
        self,
        index: CandidateIndex,
        models: Mapping[Kind, LinkageModel] | None = None,
        thresholds: Thresholds | None = None,
        new_master_id: Callable[[], str] | None = None,
    ) -> None:
        self._index = index
        self._models = dict(models or {kind: default_model(kind) for kind in Kind})
        self._thresholds = thresholds or Thresholds()
        self._new_master_id = new_master_id or _sequential_master_ids()

    def link(self, record: DepartmentRecord) -> LinkDecision:
        """Decide where a record belongs, index it there, and say why."""
        return self.link_prepared(prepare(record))

    def link_prepared(self, prepared: PreparedRecord) -> LinkDecision:
        decision = self._decide(prepared)
        self._index.add(prepared, decision.master_id)
        return decision

    def _decide(self, prepared: PreparedRecord) -> LinkDecision:
        problem = prepared.identifier_problem
        if prepared.identifier is not None:
            master = self._index.master_of_identifier(prepared.kind, prepared.identifier)
            if master is not None:
                evidence = Evidence(identifier_rule(prepared.kind), 1.0, agreed=("identifier",))
                return LinkDecision(prepared.key, DecisionKind.LINKED, master, evidence, identifier_problem=problem)
        best = self._best_candidate(prepared)
        if best is None or best[1].score < self._thresholds.review:
            return LinkDecision(prepared.key, DecisionKind.NEW, self._new_master_id(), None, identifier_problem=problem)
        master, evidence = best
        if evidence.score >= self._thresholds.link:
            return LinkDecision(prepared.key, DecisionKind.LINKED, master, evidence, identifier_problem=problem)
        return LinkDecision(
            prepared.key, DecisionKind.REVIEW, self._new_master_id(), evidence, master, identifier_problem=problem
        )

    def _best_candidate(self, prepared: PreparedRecord) -> tuple[str, Evidence] | None:
        model = self._models[prepared.kind]
        frequency = None
        if prepared.name is not None:
            frequency = model.name_frequency(prepared.name, self._index.name_frequency(prepared.kind, prepared.name))
        own_identifiers = frozenset({prepared.identifier} if prepared.identifier else ())
        best: tuple[str, Evidence] | None = None
        for candidate, master in self._index.candidates(prepared):
            if conflict(prepared, candidate) is not None:
                continue
            if best is not None and master == best[0] and best[1].score >= self._thresholds.link:
                continue
            score = model.score(prepared, candidate, frequency)
            if best is not None and score.probability <= best[1].score:
                continue
            if identifiers_conflict(own_identifiers, self._index.identifiers_of_master(master)):
                continue
            evidence = Evidence(
                MODEL_NAME,
                score.probability,
                agreed=score.fields(FieldOutcome.AGREED),
                disagreed=score.fields(FieldOutcome.DISAGREED),
            )
            best = (master, evidence)
        return best
