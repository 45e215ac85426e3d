"""The Fellegi–Sunter model of master records: comparisons, their levels, m/u weights and scoring.

The comparisons are declared once, as data, so that the batch path (Splink SQL on DuckDB) and the
incremental path (rapidfuzz in-process) evaluate the same levels and share one set of parameters.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from govmesh.services.masters.domain.records import Kind, PreparedRecord

__all__ = [
    "BLOCKING_KEYS",
    "COMPARISONS",
    "ComparisonSpec",
    "FieldOutcome",
    "LevelSpec",
    "LevelTest",
    "LevelWeights",
    "LinkageModel",
    "PairScore",
    "comparison_level",
    "default_model",
]


class LevelTest(StrEnum):
    EXACT = "exact"
    EDIT_DISTANCE_AT_MOST = "damerau_levenshtein"
    JARO_WINKLER_AT_LEAST = "jaro_winkler"


@dataclass(frozen=True, slots=True)
class LevelSpec:
    """One agreement level: a test between the two values (exact, edit distance ≤ t, Jaro–Winkler ≥ t)."""

    label: str
    test: LevelTest
    threshold: float = 0.0

    def holds(self, left: str, right: str) -> bool:
        if self.test is LevelTest.EXACT:
            return left == right
        if self.test is LevelTest.EDIT_DISTANCE_AT_MOST:
            return DamerauLevenshtein.distance(left, right, score_cutoff=int(self.threshold) + 1) <= self.threshold
        return JaroWinkler.similarity(left, right) >= self.threshold


@dataclass(frozen=True, slots=True)
class ComparisonSpec:
    """A compared field and its levels, most specific first; a null level (either side unknown) comes
    before them and an else level after them, as Splink numbers them."""

    field: str
    levels: tuple[LevelSpec, ...]
    term_frequency: bool = False

    @property
    def level_count(self) -> int:
        return len(self.levels) + 2


NULL_LEVEL: Final = 0


def comparison_level(spec: ComparisonSpec, left: PreparedRecord, right: PreparedRecord) -> int:
    """The level index (0 null, 1.. the declared levels, last the else level) of a pair on one comparison."""
    left_value: str | None = getattr(left, spec.field)
    right_value: str | None = getattr(right, spec.field)
    if left_value is None or right_value is None:
        return NULL_LEVEL
    for index, level in enumerate(spec.levels, start=1):
        if level.holds(left_value, right_value):
            return index
    return len(spec.levels) + 1


_EXACT: Final = LevelSpec("exact", LevelTest.EXACT)
_ONE_EDIT: Final = LevelSpec("one edit", LevelTest.EDIT_DISTANCE_AT_MOST, 1)
_TWO_EDITS: Final = LevelSpec("two edits", LevelTest.EDIT_DISTANCE_AT_MOST, 2)
_ADDRESS: Final = ComparisonSpec(
    "address",
    (_EXACT, LevelSpec("jaro-winkler ≥ 0.92", LevelTest.JARO_WINKLER_AT_LEAST, 0.92),
     LevelSpec("jaro-winkler ≥ 0.8", LevelTest.JARO_WINKLER_AT_LEAST, 0.8)),
)  # fmt: skip

COMPARISONS: Final[Mapping[Kind, tuple[ComparisonSpec, ...]]] = {
    Kind.ENTERPRISE: (
        ComparisonSpec(
            "name",
            (_EXACT, _ONE_EDIT, LevelSpec("jaro-winkler ≥ 0.85", LevelTest.JARO_WINKLER_AT_LEAST, 0.85)),
            term_frequency=True,
        ),
        ComparisonSpec("industry", (_EXACT,)),
        _ADDRESS,
        ComparisonSpec("legal_rep", (_EXACT, _ONE_EDIT)),
        ComparisonSpec("district", (_EXACT,)),
        ComparisonSpec("date", (_EXACT, _ONE_EDIT)),
        ComparisonSpec("identifier_text", (_EXACT, _TWO_EDITS)),
    ),
    Kind.PERSON: (
        ComparisonSpec("name", (_EXACT, _ONE_EDIT), term_frequency=True),
        ComparisonSpec("date", (_EXACT, _ONE_EDIT)),
        ComparisonSpec("gender", (_EXACT,)),
        _ADDRESS,
        ComparisonSpec("district", (_EXACT,)),
        ComparisonSpec("identifier_text", (_EXACT, _TWO_EDITS)),
    ),
}

# AND blocking rules: a pair is compared only if it agrees exactly on every field of at least one key.
# Several keys so that a typo in one field (a name, a date) still leaves another way in. Every key
# must split the records into blocks that stay small as the records grow: `legal_rep AND district`
# alone has a fixed number of blocks (common names × districts), so its pairs grow with the square
# of the records; the industry word of the name keeps it selective and survives a trade-name typo.
BLOCKING_KEYS: Final[Mapping[Kind, tuple[tuple[str, ...], ...]]] = {
    Kind.ENTERPRISE: (
        ("name",),
        ("trade_name", "district"),
        ("legal_rep", "district", "industry"),
        ("address",),
        ("identifier_text",),
    ),
    Kind.PERSON: (
        ("name", "date"),
        ("date", "gender", "district"),
        ("name", "address"),
        ("identifier_text",),
    ),
}


@dataclass(frozen=True, slots=True)
class LevelWeights:
    """m: share of true matches at this level; u: share of non-matches."""

    m: float
    u: float

    @property
    def log2_bayes_factor(self) -> float:
        return math.log2(self.m / self.u)


class FieldOutcome(StrEnum):
    AGREED = "agreed"
    DISAGREED = "disagreed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PairScore:
    """The model's verdict on one pair: match probability and what each compared field contributed."""

    probability: float
    match_weight: float
    outcomes: Mapping[str, FieldOutcome]

    def fields(self, outcome: FieldOutcome) -> tuple[str, ...]:
        return tuple(name for name, found in self.outcomes.items() if found is outcome)


# Below this many indexed records a name's observed frequency says little, so the model's own u is used.
_MIN_POPULATION_FOR_FREQUENCIES: Final = 1000
_FREQUENCY_FLOOR: Final = 1e-9


@dataclass(frozen=True, slots=True)
class LinkageModel:
    """Fellegi–Sunter parameters for one kind: prior, and m/u per non-null level of every comparison."""

    kind: Kind
    probability_two_random_records_match: float
    weights: Mapping[str, tuple[LevelWeights, ...]]
    name_frequencies: Mapping[str, float] = field(default_factory=dict)

    @property
    def comparisons(self) -> tuple[ComparisonSpec, ...]:
        return COMPARISONS[self.kind]

    def prior_weight(self) -> float:
        prior = self.probability_two_random_records_match
        return math.log2(prior / (1 - prior))

    def name_frequency(self, name: str, observed: float | None) -> float | None:
        """The frequency of a name for term-frequency adjustment: the index's count once it is large enough."""
        if observed is not None:
            return max(observed, _FREQUENCY_FLOOR)
        return self.name_frequencies.get(name)

    def score(self, left: PreparedRecord, right: PreparedRecord, name_frequency: float | None = None) -> PairScore:
        """Score a pair; `name_frequency` (the share of records bearing the shared name) adjusts an exact name match."""
        total = self.prior_weight()
        outcomes: dict[str, FieldOutcome] = {}
        for spec in self.comparisons:
            level = comparison_level(spec, left, right)
            if level == NULL_LEVEL:
                outcomes[spec.field] = FieldOutcome.UNKNOWN
                continue
            weights = self.weights[spec.field][level - 1]
            weight = weights.log2_bayes_factor
            if spec.term_frequency and level == 1 and name_frequency is not None:
                # Splink's adjustment: an exact match on a rare value counts for more than on a common one.
                weight = math.log2(weights.m / max(name_frequency, _FREQUENCY_FLOOR))
            total += weight
            outcomes[spec.field] = FieldOutcome.AGREED if weight > 0 else FieldOutcome.DISAGREED
        probability = 1.0 / (1.0 + 2.0 ** (-total)) if total > -1000 else 0.0
        return PairScore(probability=probability, match_weight=total, outcomes=outcomes)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form, for storing a trained model beside the service's data."""
        return {
            "kind": self.kind.value,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "weights": {name: [[level.m, level.u] for level in levels] for name, levels in self.weights.items()},
            "name_frequencies": dict(self.name_frequencies),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> "LinkageModel":
        weights = data["weights"]
        frequencies = data.get("name_frequencies", {})
        assert isinstance(weights, dict) and isinstance(frequencies, dict)
        prior = data["probability_two_random_records_match"]
        assert isinstance(prior, int | float)
        return cls(
            kind=Kind(str(data["kind"])),
            probability_two_random_records_match=float(prior),
            weights={name: tuple(LevelWeights(m, u) for m, u in levels) for name, levels in weights.items()},
            name_frequencies={str(name): float(value) for name, value in frequencies.items()},
        )


# Starting values before any data is seen: plausible for department records, replaced by Splink's EM
# estimates once trained. Each row lists the declared levels then the else level.
_DEFAULT_WEIGHTS: Final[Mapping[Kind, Mapping[str, tuple[tuple[float, float], ...]]]] = {
    Kind.ENTERPRISE: {
        "name": ((0.80, 1e-5), (0.12, 1e-4), (0.05, 0.01), (0.03, 0.989)),
        "industry": ((0.97, 0.15), (0.03, 0.85)),
        "address": ((0.60, 1e-4), (0.20, 1e-3), (0.10, 0.02), (0.10, 0.979)),
        "legal_rep": ((0.85, 1e-3), (0.08, 2e-3), (0.07, 0.995)),
        "district": ((0.92, 0.09), (0.08, 0.91)),
        "date": ((0.85, 1e-3), (0.08, 5e-3), (0.07, 0.994)),
        "identifier_text": ((0.85, 1e-7), (0.13, 1e-6), (0.02, 0.999999)),
    },
    Kind.PERSON: {
        "name": ((0.88, 1e-3), (0.10, 3e-3), (0.02, 0.996)),
        "date": ((0.88, 5e-5), (0.10, 5e-4), (0.02, 0.99945)),
        "gender": ((0.98, 0.5), (0.02, 0.5)),
        "address": ((0.60, 1e-4), (0.20, 1e-3), (0.10, 0.02), (0.10, 0.979)),
        "district": ((0.90, 0.09), (0.10, 0.91)),
        "identifier_text": ((0.85, 1e-7), (0.13, 1e-6), (0.02, 0.999999)),
    },
}


def default_model(kind: Kind) -> LinkageModel:
    """The untrained model for a kind, good enough to link before the first EM estimation."""
    return LinkageModel(
        kind=kind,
        probability_two_random_records_match=1e-5,
        weights={name: tuple(LevelWeights(m, u) for m, u in levels) for name, levels in _DEFAULT_WEIGHTS[kind].items()},
    )
