"""Between catalog subjects and linking fields: items read as fields, a master written as 101.090/102.090."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from govmesh.services.masters.domain.records import Kind, normalise_date

__all__ = [
    "MASTER_ITEMS",
    "MASTER_SUBJECTS",
    "MERGED_INTO_ITEMS",
    "MasterValues",
    "SubjectFields",
    "kind_of_subject",
    "master_values",
    "subject_fields",
]

PERSON_PREFIX: Final = "101."
ENTERPRISE_PREFIX: Final = "102."
MASTER_SUBJECTS: Final[Mapping[Kind, str]] = {Kind.PERSON: "101.090", Kind.ENTERPRISE: "102.090"}
# The master subject's item carrying each linking field: what a caller must be allowed to read to see it.
MASTER_ITEMS: Final[Mapping[Kind, Mapping[str, str]]] = {
    Kind.ENTERPRISE: {
        "name": "102.090.005", "uscc": "102.090.002", "legal_rep": "102.090.008", "address": "102.090.010",
        "district": "102.090.011", "established": "102.090.013",
    },
    Kind.PERSON: {
        "name": "101.090.003", "id_number": "101.090.002", "gender": "101.090.004", "birth_date": "101.090.006",
        "district": "101.090.007", "address": "101.090.008",
    },
}  # fmt: skip

# Since 101.090 1.1 and 102.090 1.1: the id of the master record that absorbed this one.
MERGED_INTO_ITEMS: Final[Mapping[Kind, str]] = {Kind.PERSON: "101.090.023", Kind.ENTERPRISE: "102.090.021"}

# Which item (by its English name in the catalog) carries which linking field, best first: subjects
# name the same fact the same way, so a new subject is read without configuration.
_FIELD_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "name": ("enterprise name", "organization name", "taxpayer name", "entity name", "name"),
    "uscc": ("unified social credit code",),
    "id_number": ("citizen identity number",),
    "address": ("domicile address", "address", "registered household address", "current residential address"),
    "legal_rep": ("legal representative name",),
    "district": ("jurisdiction division code", "household registration division code"),
    "established": ("establishment date",),
    "birth_date": ("date of birth",),
    "gender": ("sex",),
    # Not compared when linking, but a master record of a person says whether the person is alive.
    "death_date": ("date of death",),
}


def kind_of_subject(code: str) -> Kind | None:
    """Persons are the 101 subjects, enterprises the 102 ones; the master subjects themselves are not learned from."""
    if code in MASTER_SUBJECTS.values():
        return None
    if code.startswith(PERSON_PREFIX):
        return Kind.PERSON
    if code.startswith(ENTERPRISE_PREFIX):
        return Kind.ENTERPRISE
    return None


@dataclass(frozen=True, slots=True)
class SubjectFields:
    """How one subject's items map to linking fields."""

    subject: str
    kind: Kind
    item_of_field: Mapping[str, str]

    def read(self, values: Mapping[str, str]) -> dict[str, str]:
        """The linking fields of a record's values (item code → text); absent items give no field."""
        return {name: values[item] for name, item in self.item_of_field.items() if values.get(item)}


def subject_fields(subject: str, items: Sequence[tuple[str, str]]) -> SubjectFields | None:
    """The mapping for a subject from its (item code, English name) pairs; None if it names no entity."""
    kind = kind_of_subject(subject)
    if kind is None:
        return None
    by_name: dict[str, str] = {}
    for code, name in items:
        by_name.setdefault(name.strip().lower(), code)
    mapping: dict[str, str] = {}
    for field_name, candidates in _FIELD_NAMES.items():
        for candidate in candidates:
            if candidate in by_name:
                mapping[field_name] = by_name[candidate]
                break
    if "name" not in mapping:
        return None
    return SubjectFields(subject, kind, mapping)


@dataclass(frozen=True, slots=True)
class MasterValues:
    """A master record as a record of its master subject: entity key, division and typed values."""

    subject: str
    entity_key: str
    division_code: str
    strings: Mapping[str, str]
    dates: Mapping[str, str]
    integers: Mapping[str, int]
    enums: Mapping[str, str]


_CITY: Final = "440100"
_GENDER_NAMES: Final = {
    "M": "男",
    "MALE": "男",
    "1": "男",
    "男": "男",
    "F": "女",
    "FEMALE": "女",
    "2": "女",
    "女": "女",
}


def master_values(
    kind: Kind,
    master_id: str,
    fields: Mapping[str, str],
    variants: Sequence[str],
    departments: Sequence[str],
    version: int,
    today: date,
    death_date: str = "",
    merged_into: str = "",
) -> MasterValues | None:
    """The master record as 101.090 or 102.090 values; None while it lacks a valid identifier the subject requires.

    A master merged into another is published once more under its own id, with the survivor's values
    and the survivor's id as "merged into", so that whoever knows the old id finds the new one.
    """
    identifier = fields.get("uscc" if kind is Kind.ENTERPRISE else "id_number", "")
    if not identifier or not fields.get("name"):
        return None
    division = fields.get("district") or _CITY
    subject = MASTER_SUBJECTS[kind]
    sources = ";".join(sorted(departments))[:200]
    if kind is Kind.ENTERPRISE:
        strings = {
            "102.090.001": master_id, "102.090.002": identifier, "102.090.005": fields["name"],
            "102.090.006": ";".join(variants)[:1000], "102.090.011": division, "102.090.018": sources,
        }  # fmt: skip
        if merged_into:
            strings[MERGED_INTO_ITEMS[kind]] = merged_into
        if fields.get("legal_rep"):
            strings["102.090.008"] = fields["legal_rep"]
        if fields.get("address"):
            strings["102.090.010"] = fields["address"]
        dates = {"102.090.019": today.isoformat()}
        established = normalise_date(fields.get("established", ""))
        if established:
            dates["102.090.013"] = established
        integers = {"102.090.020": version}
        return MasterValues(subject, identifier, division, strings, dates, integers, {"102.090.007": "企业法人"})
    strings = {
        "101.090.001": master_id, "101.090.002": identifier, "101.090.003": fields["name"],
        "101.090.007": division, "101.090.019": sources,
    }  # fmt: skip
    if merged_into:
        strings[MERGED_INTO_ITEMS[kind]] = merged_into
    enums = {"101.090.011": "死亡" if death_date else "不明"}
    gender = _GENDER_NAMES.get(fields.get("gender", "").strip().upper(), "")
    if gender:
        enums["101.090.004"] = gender
    dates = {"101.090.020": today.isoformat()}
    died = normalise_date(death_date)
    if died:
        dates["101.090.012"] = died
    born = normalise_date(fields.get("birth_date", ""))
    if born:
        dates["101.090.006"] = born
    return MasterValues(subject, identifier, division, strings, dates, {"101.090.022": version}, enums)
