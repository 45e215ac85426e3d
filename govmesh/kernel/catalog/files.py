"""Catalog as code: the YAML layout of departments and subjects, read with file and line for every error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

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
    parse_retention,
)

LINE_KEY = "__line__"
KEY_LINES = "__key_lines__"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Loader):  # type: ignore[valid-type,misc]
    """Remembers the line each mapping starts on, so errors can point at it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        mapping[LINE_KEY] = node.start_mark.line + 1
        mapping[KEY_LINES] = {
            key_node.value: key_node.start_mark.line + 1
            for key_node, _value in node.value
            if hasattr(key_node, "value")
        }
        return mapping


class _Int(int):
    """An integer as YAML read it, with the text it was written as (`01` stays "01" where text is wanted)."""

    source: str


class _Float(float):
    """A float as YAML read it, with the text it was written as (`102.010` stays "102.010", not "102.01")."""

    source: str


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = _Int(loader.construct_yaml_int(node))
    value.source = node.value
    return value


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = _Float(loader.construct_yaml_float(node))
    value.source = node.value
    return value


_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _as_text(value: object) -> str:
    """A scalar as the maintainer wrote it."""
    return getattr(value, "source", None) or str(value)


@dataclass(frozen=True)
class FileError:
    """One problem in a catalog file, where a maintainer will look for it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.errors: list[FileError] = []

    def error(self, node: dict[str, Any] | None, message: str, key: str | None = None) -> None:
        """Records an error on the line of `key` in `node`, or where `node` starts."""
        line = 1
        if isinstance(node, dict):
            line = node.get(KEY_LINES, {}).get(key, node.get(LINE_KEY, 1))
        self.errors.append(FileError(self.file, int(line), message))

    def text(self, node: dict[str, Any], key: str, *, required: bool = True, default: str = "") -> str:
        value = node.get(key)
        if value is None:
            if required:
                self.error(node, f"{key}: missing", key)
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(node, f"{key}: must be text", key)
            return default
        return _as_text(value)

    def number(self, node: dict[str, Any], key: str) -> int:
        value = node.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(node, f"{key}: must be a whole number", key)
            return 0
        return int(value)  # a plain int, not the loader's _Int

    def flag(self, node: dict[str, Any], key: str, default: bool = False) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.error(node, f"{key}: must be true or false", key)
            return default
        return value

    def choice(self, node: dict[str, Any], key: str, enum_type: Any, default: Any = None) -> Any:
        raw = node.get(key)
        if raw is None:
            if default is None:
                self.error(node, f"{key}: missing", key)
            return default
        try:
            return enum_type(str(raw))
        except ValueError:
            allowed = ", ".join(e.value for e in enum_type)
            self.error(node, f"{key}: {raw!r} is not one of {allowed}", key)
            return default

    def strings(self, node: dict[str, Any], key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            self.error(node, f"{key}: must be a list of text", key)
            return ()
        return tuple(_as_text(v) for v in value)

    def load(self, path: Path) -> Any:
        try:
            return self.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            self.errors.append(FileError(self.file, 1, str(error)))
        return None

    def parse(self, text: str) -> Any:
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a safe loader
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            self.errors.append(FileError(self.file, (mark.line + 1) if mark else 1, str(error.problem)))
        except yaml.YAMLError as error:
            self.errors.append(FileError(self.file, 1, str(error)))
        return None


def read_departments(path: Path) -> tuple[list[Department], list[FileError]]:
    reader = _Reader(str(path))
    doc = reader.load(path)
    departments: list[Department] = []
    if doc is None:
        return departments, reader.errors or [FileError(str(path), 1, "empty file")]
    nodes = doc.get("departments") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        reader.error(doc if isinstance(doc, dict) else None, "departments: must be a list")
        return departments, reader.errors
    for node in nodes:
        if not isinstance(node, dict):
            reader.error(None, "each department must be a mapping")
            continue
        level = reader.choice(node, "level", DepartmentLevel, DepartmentLevel.CITY)
        departments.append(
            Department(
                code=reader.text(node, "code"),
                name_zh=reader.text(node, "name_zh"),
                name_en=reader.text(node, "name_en"),
                level=level,
                division_code=reader.text(node, "division_code"),
                groups=reader.strings(node, "groups"),
            )
        )
    return departments, reader.errors


def read_subject(path: Path) -> tuple[Subject | None, list[FileError]]:
    """A subject file; its code must match the file name."""
    reader = _Reader(str(path))
    return _subject(reader, reader.load(path), path.name)


def parse_subject(text: str, source: str = "subject.yaml") -> tuple[Subject | None, list[FileError]]:
    """A subject written as YAML text (a maintainer's edit in a form); errors name `source` and the line."""
    reader = _Reader(source)
    return _subject(reader, reader.parse(text), None)


def _subject(reader: _Reader, doc: Any, file_name: str | None) -> tuple[Subject | None, list[FileError]]:
    if not isinstance(doc, dict):
        if not reader.errors:
            reader.error(None, "a subject file must be a mapping")
        return None, reader.errors
    code = reader.text(doc, "code")
    version_text = reader.text(doc, "version", required=False, default="1.0")
    try:
        version = Version.parse(version_text)
    except ValueError as error:
        reader.error(doc, f"version: {error}", "version")
        version = Version(1, 0)
    items: list[DataItem] = []
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        reader.error(doc, "items: must be a list", "items")
        raw_items = []
    for node in raw_items:
        if not isinstance(node, dict):
            reader.error(doc, "each item must be a mapping")
            continue
        items.append(
            DataItem(
                code=reader.text(node, "code"),
                subject_code=code,
                name_zh=reader.text(node, "name_zh"),
                name_en=reader.text(node, "name_en"),
                data_type=reader.choice(node, "data_type", DataType, DataType.STRING),
                length=reader.number(node, "length"),
                scale=reader.number(node, "scale"),
                enum_values=reader.strings(node, "enum_values"),
                format_standard=reader.choice(node, "format_standard", FormatStandard, FormatStandard.NONE),
                required=reader.flag(node, "required"),
                sharing_type=reader.choice(node, "sharing_type", SharingType, SharingType.CONDITIONAL),
                sharing_conditions=reader.text(node, "sharing_conditions", required=False),
                open_to_public=reader.flag(node, "open_to_public"),
                sensitivity=reader.choice(node, "sensitivity", Sensitivity, Sensitivity.INTERNAL),
                description=reader.text(node, "description", required=False),
                deprecated=reader.flag(node, "deprecated"),
            )
        )
    subject = Subject(
        code=code,
        name_zh=reader.text(doc, "name_zh"),
        name_en=reader.text(doc, "name_en"),
        provider=reader.text(doc, "provider"),
        abstract=reader.text(doc, "abstract", required=False),
        category=reader.choice(doc, "category", SubjectCategory, SubjectCategory.DEPARTMENTAL),
        format=reader.text(doc, "format", required=False, default="structured"),
        update_cycle=reader.choice(doc, "update_cycle", UpdateCycle, UpdateCycle.DAILY),
        release_date=reader.text(doc, "release_date", required=False),
        version=version,
        items=tuple(items),
        deprecated=reader.flag(doc, "deprecated"),
        retention=_retention(reader, doc),
    )
    if code and file_name is not None and Path(file_name).stem != code:
        reader.error(doc, f"code: {code} must match the file name {file_name}", "code")
    return subject, reader.errors


def _retention(reader: _Reader, doc: dict[str, Any]) -> timedelta | None:
    text = reader.text(doc, "retention", required=False)
    if not text:
        return None
    try:
        return parse_retention(text)
    except ValueError as error:
        reader.error(doc, f"retention: {error}", "retention")
        return None


def subject_line(path: Path, item_index: int | None = None, key: str | None = None) -> int:
    """The line of a subject file where the subject, or its n-th item, or one of their keys starts."""
    doc = _Reader(str(path)).load(path)
    if not isinstance(doc, dict):
        return 1
    node: dict[str, Any] = doc
    items = doc.get("items")
    if (
        item_index is not None
        and isinstance(items, list)
        and 0 <= item_index < len(items)
        and isinstance(items[item_index], dict)
    ):
        node = items[item_index]
    return int(node.get(KEY_LINES, {}).get(key, node.get(LINE_KEY, 1)))


def read_catalog_dir(directory: Path) -> tuple[list[Department], list[tuple[Path, Subject]], list[FileError]]:
    """Reads `departments.yaml` and `subjects/*.yaml`; returns what parsed and every error found."""
    errors: list[FileError] = []
    departments: list[Department] = []
    dep_file = directory / "departments.yaml"
    if dep_file.exists():
        departments, dep_errors = read_departments(dep_file)
        errors.extend(dep_errors)
    subjects: list[tuple[Path, Subject]] = []
    for path in sorted((directory / "subjects").glob("*.yaml")):
        subject, subject_errors = read_subject(path)
        errors.extend(subject_errors)
        if subject is not None:
            subjects.append((path, subject))
    return departments, subjects, errors


def write_catalog_dir(directory: Path, departments: list[Department], subjects: list[Subject]) -> int:
    """Writes the catalog in the layout `read_catalog_dir` reads; returns the number of files written."""
    (directory / "subjects").mkdir(parents=True, exist_ok=True)
    _dump(directory / "departments.yaml", {"departments": [d.to_document() for d in departments]})
    for subject in subjects:
        (directory / "subjects" / f"{subject.code}.yaml").write_text(subject_text(subject), encoding="utf-8")
    return len(subjects) + 1


def subject_text(subject: Subject) -> str:
    """A subject as the YAML `read_subject` and `parse_subject` read, defaults left out."""
    doc = subject.to_document()
    doc.pop("deprecated") if not doc["deprecated"] else None
    for item in doc["items"]:
        item.pop("subject_code")
        for key, empty in (("scale", 0), ("enum_values", []), ("format_standard", "none"), ("deprecated", False)):
            if item.get(key) == empty:
                item.pop(key)
    return _yaml(doc)


def _dump(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(_yaml(doc), encoding="utf-8")


def _yaml(doc: dict[str, Any]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120))
