"""The catalog's plain model: departments, subjects, data items, versions — no gRPC, no database."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


class SharingType(enum.Enum):
    """The three sharing modes; the order is how tight they are."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NOT_SHARED = "not_shared"

    @property
    def tightness(self) -> int:
        return _TIGHTNESS[self]


_TIGHTNESS = {SharingType.UNCONDITIONAL: 0, SharingType.CONDITIONAL: 1, SharingType.NOT_SHARED: 2}


class DataType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    BYTES = "bytes"
    ENUM = "enum"


class FormatStandard(enum.Enum):
    NONE = "none"
    CITIZEN_ID = "citizen_id"
    CREDIT_CODE = "credit_code"
    DIVISION_CODE = "division_code"
    PHONE = "phone"
    DATE = "date"
    POSTAL_CODE = "postal_code"
    EMAIL = "email"


class DepartmentLevel(enum.Enum):
    CITY = "city"
    DISTRICT = "district"


class SubjectCategory(enum.Enum):
    BASIC = "basic"
    THEMATIC = "thematic"
    DEPARTMENTAL = "departmental"


class UpdateCycle(enum.Enum):
    REAL_TIME = "real_time"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Sensitivity(enum.Enum):
    PUBLIC = "public"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"
    SECRET = "secret"  # noqa: S105 - a sensitivity level, not a credential


@dataclass(frozen=True, order=True)
class Version:
    """`major.minor`, as OpenMetadata versions entities: a major bump marks a breaking change."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @classmethod
    def parse(cls, text: str) -> Version:
        major, dot, minor = text.partition(".")
        if not dot or not major.isdigit() or not minor.isdigit():
            raise ValueError(f"version must be major.minor, got {text!r}")
        return cls(int(major), int(minor))

    def next(self, *, major: bool) -> Version:
        return Version(self.major + 1, 0) if major else Version(self.major, self.minor + 1)


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    level: DepartmentLevel
    division_code: str
    groups: tuple[str, ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level.value,
            "division_code": self.division_code,
            "groups": list(self.groups),
        }


@dataclass(frozen=True)
class DataItem:
    code: str
    subject_code: str
    name_zh: str
    name_en: str
    data_type: DataType
    length: int = 0
    scale: int = 0
    enum_values: tuple[str, ...] = ()
    format_standard: FormatStandard = FormatStandard.NONE
    required: bool = False
    sharing_type: SharingType = SharingType.CONDITIONAL
    sharing_conditions: str = ""
    open_to_public: bool = False
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    description: str = ""
    deprecated: bool = False

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            doc[f.name] = value
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> DataItem:
        return cls(
            code=doc["code"],
            subject_code=doc["subject_code"],
            name_zh=doc["name_zh"],
            name_en=doc["name_en"],
            data_type=DataType(doc["data_type"]),
            length=int(doc.get("length", 0)),
            scale=int(doc.get("scale", 0)),
            enum_values=tuple(doc.get("enum_values", ())),
            format_standard=FormatStandard(doc.get("format_standard", "none")),
            required=bool(doc.get("required", False)),
            sharing_type=SharingType(doc.get("sharing_type", "conditional")),
            sharing_conditions=doc.get("sharing_conditions", ""),
            open_to_public=bool(doc.get("open_to_public", False)),
            sensitivity=Sensitivity(doc.get("sensitivity", "internal")),
            description=doc.get("description", ""),
            deprecated=bool(doc.get("deprecated", False)),
        )


@dataclass(frozen=True)
class Subject:
    code: str
    name_zh: str
    name_en: str
    provider: str
    abstract: str
    category: SubjectCategory
    format: str
    update_cycle: UpdateCycle
    release_date: str
    version: Version
    items: tuple[DataItem, ...] = ()
    deprecated: bool = False
    update_time: datetime | None = field(default=None, compare=False)
    # How long the exchange keeps published records; None keeps them for good.
    retention: timedelta | None = None

    def item(self, code: str) -> DataItem | None:
        for item in self.items:
            if item.code == code:
                return item
        return None

    def to_document(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "provider": self.provider,
            "abstract": self.abstract,
            "category": self.category.value,
            "format": self.format,
            "update_cycle": self.update_cycle.value,
            "release_date": self.release_date,
            "version": str(self.version),
            "deprecated": self.deprecated,
            **({"retention": format_retention(self.retention)} if self.retention else {}),
            "items": [item.to_document() for item in self.items],
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any], update_time: datetime | None = None) -> Subject:
        return cls(
            code=doc["code"],
            name_zh=doc["name_zh"],
            name_en=doc["name_en"],
            provider=doc["provider"],
            abstract=doc.get("abstract", ""),
            category=SubjectCategory(doc["category"]),
            format=doc.get("format", "structured"),
            update_cycle=UpdateCycle(doc["update_cycle"]),
            release_date=doc.get("release_date", ""),
            version=Version.parse(doc.get("version", "1.0")),
            items=tuple(DataItem.from_document({**i, "subject_code": doc["code"]}) for i in doc.get("items", ())),
            deprecated=bool(doc.get("deprecated", False)),
            update_time=update_time,
            retention=parse_retention(doc["retention"]) if doc.get("retention") else None,
        )


_RETENTION_UNITS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_RETENTION = re.compile(r"(\d+)([ydhms])")


def parse_retention(text: str) -> timedelta:
    """`1825d`, `5y` (365 days each), `12h`, `30m`, `90s` → a positive duration; ValueError otherwise."""
    match = _RETENTION.fullmatch(str(text).strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a retention like 1825d, 5y, 12h, 30m or 90s")
    return timedelta(seconds=int(match.group(1)) * _RETENTION_UNITS[match.group(2)])


def format_retention(value: timedelta) -> str:
    """The shortest exact form `parse_retention` reads back: `5y`, `90d`, `12h`…"""
    seconds = int(value.total_seconds())
    for unit, size in _RETENTION_UNITS.items():
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class FieldChange:
    path: str
    kind: str  # added | removed | changed
    before: str = ""
    after: str = ""
    breaking_reason: str = ""

    @property
    def breaking(self) -> bool:
        return bool(self.breaking_reason)


@dataclass(frozen=True)
class SubjectChange:
    subject_code: str
    from_version: str
    to_version: str
    changes: tuple[FieldChange, ...] = ()

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    def to_document(self) -> dict[str, Any]:
        return {
            "subject_code": self.subject_code,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changes": [dataclasses.asdict(c) for c in self.changes],
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> SubjectChange | None:
        if not doc:
            return None
        return cls(
            subject_code=doc["subject_code"],
            from_version=doc["from_version"],
            to_version=doc["to_version"],
            changes=tuple(FieldChange(**c) for c in doc.get("changes", ())),
        )


@dataclass(frozen=True)
class SubjectVersionEntry:
    subject_code: str
    version: Version
    created_at: datetime
    author: str
    reason: str
    change: SubjectChange | None


@dataclass(frozen=True)
class CatalogChange:
    """An audit entry: who changed which subject, when, why, and the change itself."""

    revision: int
    created_at: datetime
    principal: str
    action: str
    subject_code: str
    reason: str
    change: SubjectChange | None
    trace_id: str
