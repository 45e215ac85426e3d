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
    "canonical_district",
    "normalise_date",
    "prepare",
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


def _identifier_fields(record: DepartmentRecord) -> tuple[str | None, str | None, str | None]:
    written = record.uscc if record.kind is Kind.ENTERPRISE else record.id_number
    cleaned = clean_identifier(written)
    if not cleaned:
        return None, None, None
    if record.kind is Kind.ENTERPRISE:
        valid = normalise_credit_code(cleaned)
        problem = None if valid else check_credit_code(cleaned)
    else:
        valid = normalise_citizen_id(cleaned)
        problem = None if valid else (check_citizen_id(cleaned) if len(cleaned) != 15 else "invalid 15-digit number")
    return valid, (valid or cleaned), problem


def _prepare_person(record: DepartmentRecord, identifier: str | None) -> tuple[str | None, str | None]:
    date = normalise_date(record.birth_date)
    gender = _GENDERS.get(clean_identifier(record.gender))
    # The citizen ID states birth date and gender; use them where the department left them out.
    if identifier is not None:
        date = date or citizen_id_birth_date(identifier).isoformat()
        gender = gender or citizen_id_gender(identifier)
    return date, gender


def prepare(record: DepartmentRecord) -> PreparedRecord:
    """Normalise a department record for comparison: identifiers checked, names, address and codes canonical."""
    identifier, identifier_text, problem = _identifier_fields(record)
    address = _none_if_empty(normalise_address(record.address)) if record.address else None
    district = canonical_district(record.district)
    if record.kind is Kind.ENTERPRISE:
        name = normalise_enterprise_name(record.name)
        return PreparedRecord(
            key=record.key, kind=record.kind, identifier=identifier, identifier_text=identifier_text,
            identifier_problem=problem, name=_none_if_empty(name.core), trade_name=_none_if_empty(name.trade_name),
            industry=name.industry, form=name.form, branch=name.branch, address=address,
            legal_rep=_none_if_empty(normalise_person_name(record.legal_rep)), district=district,
            date=normalise_date(record.established), gender=None,
        )  # fmt: skip
    date, gender = _prepare_person(record, identifier)
    return PreparedRecord(
        key=record.key, kind=record.kind, identifier=identifier, identifier_text=identifier_text,
        identifier_problem=problem, name=_none_if_empty(normalise_person_name(record.name)), trade_name=None,
        industry=None, form=None, branch=None, address=address, legal_rep=None, district=district,
        date=date, gender=gender,
    )  # fmt: skip
