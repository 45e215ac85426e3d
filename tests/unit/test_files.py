"""Unit tests for the catalog-as-code YAML layout (kernel.catalog.files): errors with file and line, and round trips."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.files import (
    FileError,
    read_catalog_dir,
    read_departments,
    read_subject,
    write_catalog_dir,
)
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
from govmesh.services.catalog.domain.rules import check_subject
from govmesh.services.catalog.shipped import SEED_DIR

VALID_SUBJECT = """\
code: "102.001"
name_zh: 企业登记信息
name_en: enterprise registration
provider: gsj
abstract: every enterprise registered in the city
category: basic
update_cycle: daily
release_date: "2024-01-01"
version: "2.3"
items:
  - code: "102.001.001"
    name_zh: 企业名称
    name_en: enterprise name
    data_type: string
    length: 200
    required: true
    sharing_type: unconditional
  - code: "102.001.002"
    name_zh: 登记状态
    name_en: registration status
    data_type: enum
    enum_values: [active, revoked]
    sharing_type: conditional
    sharing_conditions: by grant
    sensitivity: sensitive
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line containing `fragment`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]


def errors_of(tmp_path: Path, text: str, name: str = "102.001.yaml") -> list[FileError]:
    _subject, errors = read_subject(write(tmp_path, name, text))
    return errors


def only_error(tmp_path: Path, text: str, name: str = "102.001.yaml") -> FileError:
    errors = errors_of(tmp_path, text, name)
    assert len(errors) == 1, errors
    return errors[0]


# -- a good file --------------------------------------------------------------------------------


def test_a_valid_subject_file_reads_into_the_subject_it_describes(tmp_path: Path) -> None:
    subject, errors = read_subject(write(tmp_path, "102.001.yaml", VALID_SUBJECT))
    assert errors == []
    assert subject is not None
    assert (subject.code, subject.provider, subject.version) == ("102.001", "gsj", Version(2, 3))
    assert (subject.category, subject.update_cycle) == (SubjectCategory.BASIC, UpdateCycle.DAILY)
    name, status = subject.items
    assert name == DataItem(
        code="102.001.001",
        subject_code="102.001",
        name_zh="企业名称",
        name_en="enterprise name",
        data_type=DataType.STRING,
        length=200,
        required=True,
        sharing_type=SharingType.UNCONDITIONAL,
    )
    assert status.enum_values == ("active", "revoked")
    assert (status.sharing_type, status.sensitivity) == (SharingType.CONDITIONAL, Sensitivity.SENSITIVE)


def test_an_error_reads_as_file_line_and_message() -> None:
    assert str(FileError("subjects/102.001.yaml", 12, "length: must be a whole number")) == (
        "subjects/102.001.yaml:12: length: must be a whole number"
    )


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("code: 102.010", "102.010"),  # YAML reads it as the float 102.01
        ("version: 1.10", "1.10"),  # and this as 1.1
    ],
)
def test_a_value_yaml_reads_as_a_number_keeps_the_text_it_was_written_as(
    tmp_path: Path, written: str, read: str
) -> None:
    text = VALID_SUBJECT.replace('code: "102.001"', 'code: "102.010"').replace('"102.001.', '"102.010.')
    key = written.split(":")[0]
    text = "\n".join(written if line.startswith(f"{key}:") else line for line in text.splitlines())
    subject, errors = read_subject(write(tmp_path, "102.010.yaml", text))
    assert errors == []
    assert subject is not None
    assert {"code": subject.code, "version": str(subject.version)}[key] == read


def test_enum_values_written_as_numbers_keep_their_leading_zeros(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace("[active, revoked]", "[01, 02, 08, 09, 10]")
    subject, errors = read_subject(write(tmp_path, "102.001.yaml", text))
    assert errors == []
    assert subject is not None
    assert subject.items[1].enum_values == ("01", "02", "08", "09", "10")


# -- errors, each on its line -------------------------------------------------------------------


def test_a_bad_enum_value_is_reported_on_its_line_with_the_allowed_values(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace("data_type: enum", "data_type: enumeration")
    error = only_error(tmp_path, text)
    assert error.file.endswith("102.001.yaml")
    assert error.line == line_of(text, "data_type: enumeration")
    assert error.message.startswith("data_type: 'enumeration' is not one of")
    assert "enum" in error.message.split("is not one of", 1)[1]


@pytest.mark.parametrize(
    ("original", "bad", "message"),
    [
        ("sharing_type: unconditional", "sharing_type: always", "sharing_type: 'always' is not one of"),
        ("sensitivity: sensitive", "sensitivity: top", "sensitivity: 'top' is not one of"),
        ("category: basic", "category: misc", "category: 'misc' is not one of"),
        ("update_cycle: daily", "update_cycle: hourly", "update_cycle: 'hourly' is not one of"),
        ("length: 200", "length: two hundred", "length: must be a whole number"),
        ("length: 200", "length: 1.5", "length: must be a whole number"),
        ("length: 200", "length: true", "length: must be a whole number"),
        ("required: true", "required: maybe", "required: must be true or false"),
        ("enum_values: [active, revoked]", "enum_values: active", "enum_values: must be a list of text"),
        ("enum_values: [active, revoked]", "enum_values: [[a], b]", "enum_values: must be a list of text"),
        ("name_en: enterprise name", "name_en: [enterprise, name]", "name_en: must be text"),
        ("provider: gsj", "provider: {code: gsj}", "provider: must be text"),
        ('version: "2.3"', "version: two", "version: version must be major.minor"),
    ],
)
def test_a_value_of_the_wrong_kind_is_reported_on_its_line(
    tmp_path: Path, original: str, bad: str, message: str
) -> None:
    text = VALID_SUBJECT.replace(original, bad, 1)
    error = only_error(tmp_path, text)
    assert error.line == line_of(text, bad)
    assert error.message.startswith(message)


def test_a_missing_item_field_is_reported_where_the_item_starts(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace("    name_en: registration status\n", "")
    error = only_error(tmp_path, text)
    assert error.message == "name_en: missing"
    assert error.line == line_of(text, '- code: "102.001.002"')


def test_a_missing_subject_field_is_reported_where_the_subject_starts(tmp_path: Path) -> None:
    text = "# the business bureau's registrations\n\n" + VALID_SUBJECT.replace("provider: gsj\n", "")
    error = only_error(tmp_path, text)
    assert (error.line, error.message) == (line_of(text, 'code: "102.001"'), "provider: missing")


def test_items_that_are_not_a_list_are_reported(tmp_path: Path) -> None:
    text = VALID_SUBJECT.split("items:")[0] + "items: none\n"
    error = only_error(tmp_path, text)
    assert (error.line, error.message) == (line_of(text, "items: none"), "items: must be a list")


def test_a_code_not_matching_the_file_name_is_reported_on_the_code_line(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace('code: "102.001"\n', "", 1).replace("items:\n", 'code: "102.001"\nitems:\n')
    error = only_error(tmp_path, text, name="102.002.yaml")
    assert error.line == line_of(text, 'code: "102.001"')
    assert error.message == "code: 102.001 must match the file name 102.002.yaml"


def test_malformed_yaml_is_reported_on_the_line_of_the_problem(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace("    length: 200", "    length: [200")
    subject, errors = read_subject(write(tmp_path, "102.001.yaml", text))
    assert subject is None
    assert len(errors) == 1
    assert line_of(text, "length: [200") <= errors[0].line <= line_of(text, "required: true") + 1


def test_a_bad_indentation_is_reported_near_its_line(tmp_path: Path) -> None:
    text = VALID_SUBJECT.replace("    name_en: enterprise name", "   name_en: enterprise name")
    subject, errors = read_subject(write(tmp_path, "102.001.yaml", text))
    assert subject is None
    assert [e.line for e in errors] == [line_of(text, "   name_en: enterprise name")]


def test_a_file_that_is_not_a_mapping_is_reported(tmp_path: Path) -> None:
    subject, errors = read_subject(write(tmp_path, "102.001.yaml", "- just\n- a list\n"))
    assert subject is None
    assert [(e.line, e.message) for e in errors] == [(1, "a subject file must be a mapping")]


def test_every_error_in_a_file_is_reported_each_on_its_own_line(tmp_path: Path) -> None:
    text = (
        VALID_SUBJECT.replace("category: basic", "category: misc")
        .replace("length: 200", "length: lots")
        .replace("sharing_type: conditional", "sharing_type: sometimes")
        .replace("    name_zh: 登记状态\n", "")
    )
    errors = errors_of(tmp_path, text)
    assert sorted((e.line, e.message.split(":")[0]) for e in errors) == sorted(
        [
            (line_of(text, "category: misc"), "category"),
            (line_of(text, "length: lots"), "length"),
            (line_of(text, "sharing_type: sometimes"), "sharing_type"),
            (line_of(text, '- code: "102.001.002"'), "name_zh"),
        ]
    )


# -- departments and whole directories ----------------------------------------------------------

DEPARTMENTS = """\
departments:
  - code: gsj
    name_zh: 市场监督管理局
    name_en: market regulation bureau
    level: city
    division_code: "440100"
    groups: [registration]
  - code: yx
    name_zh: 越秀区
    name_en: Yuexiu district
    level: district
    division_code: "440104"
"""


def test_a_departments_file_reads_into_departments(tmp_path: Path) -> None:
    departments, errors = read_departments(write(tmp_path, "departments.yaml", DEPARTMENTS))
    assert errors == []
    assert departments == [
        Department(
            "gsj", "市场监督管理局", "market regulation bureau", DepartmentLevel.CITY, "440100", ("registration",)
        ),
        Department("yx", "越秀区", "Yuexiu district", DepartmentLevel.DISTRICT, "440104"),
    ]


def test_a_bad_department_level_is_reported_on_its_line(tmp_path: Path) -> None:
    text = DEPARTMENTS.replace("level: district", "level: county")
    _departments, errors = read_departments(write(tmp_path, "departments.yaml", text))
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [(line_of(text, "level: county"), "level")]


def test_a_directory_read_reports_the_errors_of_every_file_with_its_name(tmp_path: Path) -> None:
    write(tmp_path, "departments.yaml", DEPARTMENTS.replace("level: district", "level: county"))
    write(tmp_path, "subjects/102.001.yaml", VALID_SUBJECT)
    write(tmp_path, "subjects/102.002.yaml", VALID_SUBJECT.replace("102.001", "102.002").replace("true", "maybe"))
    write(tmp_path, "subjects/103.001.yaml", "code: [")
    departments, subjects, errors = read_catalog_dir(tmp_path)
    assert [d.code for d in departments] == ["gsj", "yx"]
    assert [s.code for _path, s in subjects] == ["102.001", "102.002"]
    assert sorted(Path(e.file).name for e in errors) == ["102.002.yaml", "103.001.yaml", "departments.yaml"]


def test_a_directory_without_departments_still_reads_its_subjects(tmp_path: Path) -> None:
    write(tmp_path, "subjects/102.001.yaml", VALID_SUBJECT)
    departments, subjects, errors = read_catalog_dir(tmp_path)
    assert (departments, errors) == ([], [])
    assert [s.code for _path, s in subjects] == ["102.001"]


# -- round trips --------------------------------------------------------------------------------

texts = st.text(max_size=30)
names = st.text(min_size=1, max_size=20)


@st.composite
def subjects(draw: st.DrawFn, code: str) -> Subject:
    count = draw(st.integers(min_value=1, max_value=4))
    items = []
    for sequence in range(1, count + 1):
        data_type = draw(st.sampled_from(list(DataType)))
        items.append(
            DataItem(
                code=f"{code}.{sequence:03d}",
                subject_code=code,
                name_zh=draw(names),
                name_en=draw(names),
                data_type=data_type,
                length=draw(st.integers(min_value=0, max_value=10_000)),
                scale=draw(st.integers(min_value=0, max_value=8)),
                enum_values=tuple(draw(st.lists(names, unique=True, max_size=4))),
                format_standard=draw(st.sampled_from(list(FormatStandard))),
                required=draw(st.booleans()),
                sharing_type=draw(st.sampled_from(list(SharingType))),
                sharing_conditions=draw(texts),
                open_to_public=draw(st.booleans()),
                sensitivity=draw(st.sampled_from(list(Sensitivity))),
                description=draw(texts),
                deprecated=draw(st.booleans()),
            )
        )
    return Subject(
        code=code,
        name_zh=draw(names),
        name_en=draw(names),
        provider=draw(st.sampled_from(["gsj", "ds", "0440"])),
        abstract=draw(texts),
        category=draw(st.sampled_from(list(SubjectCategory))),
        format=draw(st.sampled_from(["structured", "document", "1.0"])),
        update_cycle=draw(st.sampled_from(list(UpdateCycle))),
        release_date=draw(st.sampled_from(["", "2024-01-01"])),
        version=Version(draw(st.integers(0, 20)), draw(st.integers(0, 20))),
        items=tuple(items),
        deprecated=draw(st.booleans()),
    )


departments_strategy = st.lists(
    st.builds(
        Department,
        code=st.from_regex(r"[a-z][a-z0-9]{1,5}", fullmatch=True),
        name_zh=names,
        name_en=names,
        level=st.sampled_from(list(DepartmentLevel)),
        division_code=st.sampled_from(["440100", "440104", "000000"]),
        groups=st.lists(names, max_size=3).map(tuple),
    ),
    max_size=3,
)


@given(
    departments=departments_strategy,
    catalog=st.lists(st.sampled_from(["102.001", "102.010", "103.100", "301.002"]), unique=True, max_size=3).flatmap(
        lambda codes: st.tuples(*(subjects(code) for code in codes))
    ),
)
def test_writing_a_catalog_and_reading_it_back_gives_the_same_catalog(
    departments: list[Department], catalog: tuple[Subject, ...]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        written = write_catalog_dir(Path(directory), departments, list(catalog))
        read_departments_, read_subjects, errors = read_catalog_dir(Path(directory))
    assert errors == []
    assert written == len(catalog) + 1
    assert read_departments_ == departments
    assert sorted((s for _path, s in read_subjects), key=lambda s: s.code) == sorted(catalog, key=lambda s: s.code)


# -- the shipped catalog ------------------------------------------------------------------------


def test_the_shipped_catalog_reads_without_errors_and_follows_every_rule() -> None:
    departments, subjects, errors = read_catalog_dir(SEED_DIR)
    assert errors == []
    assert subjects, "the seed ships subjects"
    department_codes = {d.code for d in departments}
    owners: dict[str, str] = {}
    for _path, subject in subjects:
        assert check_subject(subject, department_codes, owners).violations == [], subject.code
        owners.update((item.code, subject.code) for item in subject.items)


def test_the_shipped_catalog_round_trips_through_its_own_layout(tmp_path: Path) -> None:
    departments, subjects, _errors = read_catalog_dir(SEED_DIR)
    write_catalog_dir(tmp_path, departments, [subject for _path, subject in subjects])
    again_departments, again_subjects, errors = read_catalog_dir(tmp_path)
    assert errors == []
    assert again_departments == departments
    assert [s for _path, s in again_subjects] == [s for _path, s in subjects]
