"""Department records of persons and enterprises, and their prepared (normalised) form for comparison."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple

from govmesh.kernel.identifiers import (
    check_citizen_id,
    check_credit_code,
    citizen_id_birth_date,
    citizen_id_gender,
    clean_identifier,
    normalise_citizen_id,
    normalise_credit_code,
)
from govmesh.kernel.names import normalise_address, normalise_enterprise_name, normalise_person_name

__all__ = [
    "DepartmentRecord",
    "Kind",
    "PreparedRecord",
    "RecordKey",
    "birth_facts",
    "canonical_district",
    "enterprise_name_fields",
    "identifier_fields",
    "normalise_date",
    "normalise_gender",
    "prepare",
    "prepare_address",
    "prepare_person_name",
]


class Kind(StrEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"


class RecordKey(NamedTuple):
    """A department's own key for one of its records."""

    department: str
    record_id: str


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    """One department's record of a person or an enterprise, as the department wrote it."""

    kind: Kind
    department: str
    record_id: str
    name: str
    uscc: str = ""
    id_number: str = ""
    address: str = ""
    legal_rep: str = ""
    district: str = ""
    established: str = ""
    birth_date: str = ""
    gender: str = ""

    @property
    def key(self) -> RecordKey:
        return RecordKey(self.department, self.record_id)


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """A record in the normalised form that rules and the model compare; None where a field is unknown.

    `identifier` is set only when the record's identifier is valid; `identifier_text` keeps the
    cleaned identifier even when invalid, because a mistyped number is still evidence.
    """

    key: RecordKey
    kind: Kind
    identifier: str | None
    identifier_text: str | None
    identifier_problem: str | None
    name: str | None
    trade_name: str | None
    industry: str | None
    form: str | None
    branch: str | None
    address: str | None
    legal_rep: str | None
    district: str | None
    date: str | None
    gender: str | None


# Records keep the district code they were written under; these merged districts compare as their successor.
_DISTRICT_SUCCESSORS: Final = {
    "440102": "440104",  # 东山区 → 越秀区 (2005)
    "440107": "440103",  # 芳村区 → 荔湾区 (2005)
    "440116": "440112",  # 萝岗区 → 黄埔区 (2014)
    "440183": "440118",  # 增城市 → 增城区 (2014)
    "440184": "440117",  # 从化市 → 从化区 (2014)
}
_DATE_DIGITS: Final = re.compile(r"([0-9]{4})\D?([0-9]{1,2})\D?([0-9]{1,2})\D?")
_GENDERS: Final = {"M": "M", "男": "M", "1": "M", "MALE": "M", "F": "F", "女": "F", "2": "F", "FEMALE": "F"}


def canonical_district(code: str) -> str | None:
    """A GB/T 2260 code as its current successor, so that records written before a merger compare equal."""
    cleaned = clean_identifier(code)
    if not cleaned:
        return None
    return _DISTRICT_SUCCESSORS.get(cleaned, cleaned)


def normalise_date(text: str) -> str | None:
    """A date written 2008-03-05, 2008/3/5, 20080305 or 2008年3月5日 as ISO YYYY-MM-DD; None if empty or not a date.

    An impossible date (2008-02-30) is kept as written digits: it still agrees with the same typo elsewhere.
    """
    match = _DATE_DIGITS.fullmatch(clean_identifier(text))
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _none_if_empty(text: str) -> str | None:
    return text or None


def identifier_fields(kind: Kind, written: str) -> tuple[str | None, str | None, str | None]:
    """A written identifier of a kind as (valid canonical form, cleaned text, problem); Nones when empty."""
    cleaned = clean_identifier(written)
    if not cleaned:
        return None, None, None
    if kind is Kind.ENTERPRISE:
        valid = normalise_credit_code(cleaned)
        problem = None if valid else check_credit_code(cleaned)
    else:
        valid = normalise_citizen_id(cleaned)
        problem = None if valid else (check_citizen_id(cleaned) if len(cleaned) != 15 else "invalid 15-digit number")
    return valid, (valid or cleaned), problem


def normalise_gender(text: str) -> str | None:
    """'M', 'F', or None when the written gender is empty or not one of the known spellings."""
    return _GENDERS.get(clean_identifier(text))


def prepare_address(text: str) -> str | None:
    """The normalised address, None when nothing is written."""
    return _none_if_empty(normalise_address(text)) if text else None


def prepare_person_name(text: str) -> str | None:
    """The normalised person name, None when nothing is left of it."""
    return _none_if_empty(normalise_person_name(text))


def enterprise_name_fields(text: str) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """An enterprise name as the compared fields (name, trade_name, industry, form, branch)."""
    name = normalise_enterprise_name(text)
    return _none_if_empty(name.core), _none_if_empty(name.trade_name), name.industry, name.form, name.branch


def birth_facts(identifier: str | None) -> tuple[str | None, str | None]:
    """The birth date (ISO) and gender a valid citizen ID states, to fill in what a department left out."""
    if identifier is None:
        return None, None
    return citizen_id_birth_date(identifier).isoformat(), citizen_id_gender(identifier)


def _prepare_person(record: DepartmentRecord, identifier: str | None) -> tuple[str | None, str | None]:
    stated_date, stated_gender = birth_facts(identifier)
    return normalise_date(record.birth_date) or stated_date, normalise_gender(record.gender) or stated_gender


def prepare(record: DepartmentRecord) -> PreparedRecord:
    """Normalise a department record for comparison: identifiers checked, names, address and codes canonical."""
    written = record.uscc if record.kind is Kind.ENTERPRISE else record.id_number
    identifier, identifier_text, problem = identifier_fields(record.kind, written)
    address = prepare_address(record.address)
    district = canonical_district(record.district)
    if record.kind is Kind.ENTERPRISE:
        name, trade_name, industry, form, branch = enterprise_name_fields(record.name)
        return PreparedRecord(
            key=record.key, kind=record.kind, identifier=identifier, identifier_text=identifier_text,
            identifier_problem=problem, name=name, trade_name=trade_name, industry=industry, form=form,
            branch=branch, address=address, legal_rep=prepare_person_name(record.legal_rep), district=district,
            date=normalise_date(record.established), gender=None,
        )  # fmt: skip
    date, gender = _prepare_person(record, identifier)
    return PreparedRecord(
        key=record.key, kind=record.kind, identifier=identifier, identifier_text=identifier_text,
        identifier_problem=problem, name=prepare_person_name(record.name), trade_name=None,
        industry=None, form=None, branch=None, address=address, legal_rep=None, district=district,
        date=date, gender=gender,
    )  # fmt: skip
