"""Applicants, the claims they make as predicates, and eligibility from the verdicts: no values anywhere."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

OPERATORS = ("equals", "less_than", "at_most", "within_range", "absent", "in_set")
CITIZEN_ID = re.compile(r"\d{17}[\dX]")

# A claim's reason code from the verdicts of its checks: OK only when every check matched.
OK = "OK"
NOT_MET = "NOT_MET"
NO_RECORD = "NO_RECORD"
NO_VALUE = "NO_VALUE"
NOT_ALLOWED = "NOT_ALLOWED"
NO_ANSWER = "NO_ANSWER"
_REASON_OF_VERDICT = {"MATCH": OK, "MISMATCH": NOT_MET, "NO_RECORD": NO_RECORD, "NO_VALUE": NO_VALUE}
# When several checks of one claim disagree, the most telling reason is the claim's.
_PRECEDENCE = (NOT_MET, NOT_ALLOWED, NO_ANSWER, NO_RECORD, NO_VALUE, OK)


class ApplicantsError(ValueError):
    """A claims file or applicants file that cannot be used; the message says where."""


@dataclass(frozen=True)
class ClaimSpec:
    id: str
    item: str
    operator: str
    column: str = ""
    values: tuple[str, ...] = ()
    value_type: str = "string"  # string, enum, decimal, integer, date
    household: bool = False

    @property
    def subject(self) -> str:
        return self.item.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Applicant:
    id_number: str
    row: Mapping[str, str]
    members: tuple[str, ...] = ()

    @property
    def household(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.id_number, *self.members)))


@dataclass(frozen=True)
class Check:
    """One predicate on one entity: what is sent to the hub (operands from the applicant's own row)."""

    claim: str
    entity_key: str
    item: str
    operator: str
    operands: tuple[Any, ...]
    value_type: str


@dataclass
class Outcome:
    id_number: str
    eligible: bool
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id_number": self.id_number, "eligible": self.eligible, "claims": dict(self.reasons)}


def parse_claims(text: str, source: str = "claims.yaml") -> list[ClaimSpec]:
    document = yaml.safe_load(text) or {}
    specs = []
    for n, raw in enumerate(document.get("claims", [])):
        where = f"{source}: claims[{n}]"
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("item"):
            raise ApplicantsError(f"{where}: every claim has an `id` and an `item`")
        operator = str(raw.get("operator", ""))
        if operator not in OPERATORS:
            raise ApplicantsError(f"{where}: `operator` must be one of {', '.join(OPERATORS)}")
        column, values = str(raw.get("column", "")), tuple(str(v) for v in raw.get("values", ()))
        if operator != "absent" and not column and not values:
            raise ApplicantsError(f"{where}: {operator} needs a `column` of the applicants file or `values`")
        who = str(raw.get("who", "applicant"))
        if who not in ("applicant", "household"):
            raise ApplicantsError(f"{where}: `who` is applicant or household")
        specs.append(
            ClaimSpec(
                str(raw["id"]),
                str(raw["item"]),
                operator,
                column,
                values,
                str(raw.get("type", "string")),
                who == "household",
            )
        )
    if not specs:
        raise ApplicantsError(f"{source}: no claims")
    return specs


def parse_applicants(text: str, specs: Sequence[ClaimSpec], source: str = "applicants.csv") -> list[Applicant]:
    """Reads `id_number`, the claims' columns and optional `members` (ID numbers separated by `;`)."""
    reader = csv.DictReader(io.StringIO(text))
    needed = {"id_number", *(s.column for s in specs if s.column)}
    missing = needed - set(reader.fieldnames or ())
    if missing:
        raise ApplicantsError(f"{source}:1: missing column(s) {', '.join(sorted(missing))}")
    applicants = []
    for line, row in enumerate(reader, start=2):
        id_number = (row.get("id_number") or "").strip().upper()
        members = tuple(m.strip().upper() for m in (row.get("members") or "").split(";") if m.strip())
        for key in (id_number, *members):
            if not CITIZEN_ID.fullmatch(key):
                raise ApplicantsError(f"{source}:{line}: {key!r} is not an 18-character citizen ID number")
        applicants.append(Applicant(id_number, {k: (v or "").strip() for k, v in row.items() if k}, members))
    return applicants


def checks(applicant: Applicant, specs: Iterable[ClaimSpec]) -> list[Check]:
    found = []
    for spec in specs:
        operands = (applicant.row[spec.column],) if spec.column else spec.values
        for entity in applicant.household if spec.household else (applicant.id_number,):
            found.append(Check(spec.id, entity, spec.item, spec.operator, tuple(operands), spec.value_type))
    return found


def eligibility(
    applicant: Applicant, specs: Sequence[ClaimSpec], verdicts: Mapping[tuple[str, str], str], answered: set[str]
) -> Outcome:
    """Per claim, a reason code from the verdicts `(entity, item) → MATCH|MISMATCH|…`; eligible when all are OK.

    `answered` lists the subjects whose providers answered; a check of another subject is NO_ANSWER.
    """
    outcome = Outcome(applicant.id_number, True)
    for spec in specs:
        reasons = set()
        for check in checks(applicant, [spec]):
            verdict = verdicts.get((check.entity_key, check.item))
            if verdict is None:
                reasons.add(NO_ANSWER if spec.subject not in answered else NO_RECORD)
            else:
                reasons.add(_REASON_OF_VERDICT.get(verdict, NOT_ALLOWED))
        reason = next(r for r in _PRECEDENCE if r in reasons) if reasons else NO_ANSWER
        outcome.reasons[spec.id] = reason
        outcome.eligible = outcome.eligible and reason == OK
    return outcome
