"""The deterministic rules of linking: what an identifier decides, and what may never be merged."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from govmesh.kernel.names import company_forms_compatible
from govmesh.services.masters.domain.records import Kind, PreparedRecord

__all__ = [
    "MODEL_NAME",
    "DecisionKind",
    "Evidence",
    "Thresholds",
    "conflict",
    "identifier_rule",
    "identifiers_conflict",
]

MODEL_NAME: Final = "fellegi_sunter"


class DecisionKind(StrEnum):
    LINKED = "linked"
    NEW = "new"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a record was linked, or proposed for linking: the rule or model, its score, the fields it weighed."""

    method: str
    score: float
    agreed: tuple[str, ...] = ()
    disagreed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match probabilities: at or above `link` a model link enters the master; from `review` up it is queued."""

    link: float = 0.99
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.link <= 1.0:
            raise ValueError(f"need 0 < review <= link <= 1, got review={self.review} link={self.link}")


def identifier_rule(kind: Kind) -> str:
    """The name of the rule that links on a kind's identifier, as shown in evidence and batch output."""
    return "exact_credit_code" if kind is Kind.ENTERPRISE else "exact_id_number"


def conflict(left: PreparedRecord, right: PreparedRecord) -> str | None:
    """Why two records can never be one entity, whatever else agrees; None if nothing forbids it.

    Two valid identifiers that differ are two entities. A branch is registered as its own entity
    with its own credit code, so a branch part that differs (one has it, the other not, or two
    different branches) is two entities, as is a legal form that differs (有限公司 vs 股份有限公司).
    """
    if left.kind is not right.kind:
        return "kind differs"
    if left.identifier is not None and right.identifier is not None and left.identifier != right.identifier:
        return "valid identifiers differ"
    if left.branch != right.branch:
        return "branch differs"
    if not company_forms_compatible(left.form, right.form):
        return "company form differs"
    return None


def identifiers_conflict(left: Iterable[str], right: Iterable[str]) -> bool:
    """Whether merging two groups would put two different valid identifiers into one master record."""
    left_set, right_set = frozenset(left), frozenset(right)
    return bool(left_set) and bool(right_set) and left_set != right_set
