"""Translation between catalog.v1 messages and the catalog's shared model, for the catalog and every copy of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.kernel.catalog.model import (
    DataItem,
    DataType,
    Department,
    DepartmentLevel,
    FormatStandard,
    Sensitivity,
    SharingType,
    Subject,
    SubjectCategory,
    UpdateCycle,
    Version,
)
from govmesh.kernel.catalog.validation import RecordViolation, TypedValue
from govmesh.runtime import wellknown
from govmesh.runtime.errors import FieldViolation, InvalidArgument, ViolationCollector
from govmesh.runtime.protoenum import EnumMapping

SHARING = EnumMapping(pb.SharingType, SharingType, "SHARING_TYPE")


DATA_TYPE = EnumMapping(pb.DataType, DataType, "DATA_TYPE")


FORMAT = EnumMapping(pb.FormatStandard, FormatStandard, "FORMAT_STANDARD", zero=FormatStandard.NONE)


LEVEL = EnumMapping(pb.DepartmentLevel, DepartmentLevel, "DEPARTMENT_LEVEL")


CATEGORY = EnumMapping(pb.SubjectCategory, SubjectCategory, "SUBJECT_CATEGORY")


CYCLE = EnumMapping(pb.UpdateCycle, UpdateCycle, "UPDATE_CYCLE")


SENSITIVITY = EnumMapping(pb.SensitivityLevel, Sensitivity, "SENSITIVITY_LEVEL")


# The FieldValue oneof field → the kind of value a record carries in the domain.
VALUE_KINDS = {
    "string_value": "string",
    "integer_value": "integer",
    "decimal_value": "decimal",
    "date_value": "date",
    "datetime_value": "datetime",
    "boolean_value": "boolean",
    "bytes_value": "bytes",
    "enum_value": "enum",
}


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def parse_name(name: str, field: str, *collections: str) -> list[str]:
    """Splits `subjects/102.001/items/102.001.003` into its ids, checking the collection words."""
    parts = name.split("/")
    if len(parts) != 2 * len(collections) or any(parts[2 * i] != c for i, c in enumerate(collections)):
        pattern = "/".join(f"{c}/{{{c[:-1]}}}" for c in collections)
        raise InvalidArgument(f"bad resource name {name!r}", [FieldViolation(field, f"must look like {pattern}")])
    ids = parts[1::2]
    if not all(ids):
        raise InvalidArgument(f"bad resource name {name!r}", [FieldViolation(field, "has an empty id")])
    return ids


def subject_code_of(name: str, field: str = "name") -> str:
    return parse_name(name, field, "subjects")[0]


def department_to_proto(d: Department) -> pb.Department:
    return pb.Department(
        name=f"departments/{d.code}",
        code=d.code,
        name_zh=d.name_zh,
        name_en=d.name_en,
        level=LEVEL.to_proto(d.level),  # type: ignore[arg-type]
        division_code=d.division_code,
        groups=list(d.groups),
    )


def item_to_proto(i: DataItem) -> pb.DataItem:
    return pb.DataItem(
        name=f"subjects/{i.subject_code}/items/{i.code}",
        code=i.code,
        subject_code=i.subject_code,
        name_zh=i.name_zh,
        name_en=i.name_en,
        data_type=DATA_TYPE.to_proto(i.data_type),  # type: ignore[arg-type]
        length=i.length,
        scale=i.scale,
        enum_values=list(i.enum_values),
        format_standard=FORMAT.to_proto(i.format_standard),  # type: ignore[arg-type]
        required=i.required,
        sharing_type=SHARING.to_proto(i.sharing_type),  # type: ignore[arg-type]
        sharing_conditions=i.sharing_conditions,
        open_to_public=i.open_to_public,
        sensitivity=SENSITIVITY.to_proto(i.sensitivity),  # type: ignore[arg-type]
        description=i.description,
        deprecated=i.deprecated,
    )


def subject_to_proto(s: Subject, *, with_items: bool = True) -> pb.Subject:
    message = pb.Subject(
        name=f"subjects/{s.code}",
        code=s.code,
        name_zh=s.name_zh,
        name_en=s.name_en,
        provider=s.provider,
        abstract=s.abstract,
        category=CATEGORY.to_proto(s.category),  # type: ignore[arg-type]
        format=s.format,
        update_cycle=CYCLE.to_proto(s.update_cycle),  # type: ignore[arg-type]
        release_date=s.release_date,
        version=str(s.version),
        items=[item_to_proto(i) for i in s.items] if with_items else [],
        deprecated=s.deprecated,
    )
    stamp = timestamp(s.update_time)
    if stamp is not None:
        message.update_time.CopyFrom(stamp)
    if s.retention is not None:
        message.retention.FromTimedelta(s.retention)
    return message


def violation_to_proto(v: RecordViolation) -> pb.Violation:
    return pb.Violation(item_code=v.item_code, reason=v.reason, description=v.description)


def verdict_to_proto(index: int, violations: list[RecordViolation]) -> pb.RecordVerdict:
    return pb.RecordVerdict(index=index, valid=not violations, violations=[violation_to_proto(v) for v in violations])


def record_values(record: pb.RecordValues) -> dict[str, TypedValue]:
    """A record's values as the domain validates them; an unset oneof counts as an empty string."""
    values: dict[str, TypedValue] = {}
    for code, value in record.values.items():
        which = value.WhichOneof("kind")
        if which is None:
            values[code] = ("string", "")
        elif which == "datetime_value":
            values[code] = ("datetime", wellknown.moment(value.datetime_value, f"values[{code}].datetime_value"))
        else:
            values[code] = (VALUE_KINDS[which], getattr(value, which))
    return values


def item_from_proto(m: pb.DataItem, subject_code: str, path: str, found: ViolationCollector) -> DataItem:
    return DataItem(
        code=m.code,
        subject_code=subject_code,
        name_zh=m.name_zh,
        name_en=m.name_en,
        data_type=DATA_TYPE.to_domain(m.data_type, f"{path}.data_type", found),
        length=m.length,
        scale=m.scale,
        enum_values=tuple(m.enum_values),
        format_standard=FORMAT.to_domain(m.format_standard, f"{path}.format_standard", found),
        required=m.required,
        sharing_type=SHARING.to_domain(m.sharing_type, f"{path}.sharing_type", found),
        sharing_conditions=m.sharing_conditions,
        open_to_public=m.open_to_public,
        sensitivity=SENSITIVITY.to_domain(m.sensitivity, f"{path}.sensitivity", found),
        description=m.description,
        deprecated=m.deprecated,
    )


def subject_from_proto(m: pb.Subject, path: str = "subject") -> Subject:
    """A whole subject definition, as CreateSubject takes it; every bad field is reported."""
    found = ViolationCollector()
    code = m.code or (m.name.split("/", 1)[1] if m.name.startswith("subjects/") else "")
    subject = Subject(
        code=code,
        name_zh=m.name_zh,
        name_en=m.name_en,
        provider=m.provider,
        abstract=m.abstract,
        category=CATEGORY.to_domain(m.category, f"{path}.category", found),
        format=m.format or "structured",
        update_cycle=CYCLE.to_domain(m.update_cycle, f"{path}.update_cycle", found),
        release_date=m.release_date,
        version=_version(m.version, f"{path}.version", found),
        items=tuple(item_from_proto(i, code, f"{path}.items[{n}]", found) for n, i in enumerate(m.items)),
        deprecated=m.deprecated,
        retention=retention_from_proto(m, f"{path}.retention", found),
    )
    found.raise_if_any()
    return subject


def retention_from_proto(m: pb.Subject, field: str, found: ViolationCollector) -> timedelta | None:
    """The subject's retention; None when unset (records are kept for good)."""
    if not m.HasField("retention"):
        return None
    value = m.retention.ToTimedelta()
    if value.total_seconds() < 1:
        found.add(field, "must be at least one second, or unset to keep records for good")
        return None
    return value


def _version(text: str, field: str, found: ViolationCollector) -> Version:
    if not text:
        return Version(1, 0)
    try:
        return Version.parse(text)
    except ValueError:
        found.add(field, "must be major.minor")
        return Version(1, 0)


def department_from_proto(m: pb.Department) -> Department:
    found = ViolationCollector()
    department = Department(
        code=m.code,
        name_zh=m.name_zh,
        name_en=m.name_en,
        level=LEVEL.to_domain(m.level, "department.level", found),
        division_code=m.division_code,
        groups=tuple(m.groups),
    )
    found.raise_if_any()
    return department
