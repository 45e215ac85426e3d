"""Unit tests for the rules a subject definition must follow (catalog.domain.rules.check_subject)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.model import DataType, FormatStandard, SharingType, Subject
from govmesh.services.catalog.domain.rules import check_subject
from tests.unit.builders import PROVIDER, changed, item, subject

DEPARTMENTS = frozenset({PROVIDER, "sw"})


def violations(definition: Subject, item_owners: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Field path → descriptions of what is wrong there."""
    found: dict[str, list[str]] = {}
    for v in check_subject(definition, DEPARTMENTS, item_owners or {}).violations:
        found.setdefault(v.field, []).append(v.description)
    return found


def fields(definition: Subject, item_owners: dict[str, str] | None = None) -> set[str]:
    return set(violations(definition, item_owners))


def test_a_well_formed_subject_has_no_violations() -> None:
    definition = subject(
        item(1),
        item(
            2,
            data_type=DataType.DECIMAL,
            length=12,
            scale=2,
            sharing_type=SharingType.CONDITIONAL,
            sharing_conditions="by grant",
        ),
        item(3, data_type=DataType.ENUM, enum_values=("1", "2")),
        item(4, format_standard=FormatStandard.CREDIT_CODE, open_to_public=True),
        item(5, data_type=DataType.DATE, format_standard=FormatStandard.DATE),
        item(6, sharing_type=SharingType.NOT_SHARED, sharing_conditions="personal data"),
    )
    assert violations(definition) == {}


# -- codes --------------------------------------------------------------------------------------


def _near_miss(code: str, mutation: str, position: int) -> str:
    """A well-formed code, or one broken in a single way."""
    at = position % len(code)
    if mutation == "other digit" and code[at] != ".":
        return code[:at] + "٣" + code[at + 1 :]  # ARABIC-INDIC DIGIT THREE
    if mutation == "full-width digit" and code[at] != ".":
        return code[:at] + "３" + code[at + 1 :]
    if mutation == "newline":
        return code + "\n"
    if mutation == "extra digit":
        return code + "1"
    if mutation == "missing digit" and code[at] != ".":
        return code[:at] + code[at + 1 :]
    if mutation == "dash":
        return code.replace(".", "-")
    if mutation == "first digit":
        return "4" + code[1:]
    return code


candidate_codes = st.builds(
    _near_miss,
    st.from_regex(r"[1-3][0-9]{2}\.[0-9]{3}", fullmatch=True),
    st.sampled_from(
        ["none", "other digit", "full-width digit", "newline", "extra digit", "missing digit", "dash", "first digit"]
    ),
    st.integers(min_value=0, max_value=6),
) | st.text(max_size=9)


@given(candidate_codes)
def test_a_subject_code_is_accepted_exactly_when_it_is_a_classification_and_a_sequence(code: str) -> None:
    definition = subject(item(1, subject_code=code), code=code)
    well_formed = re.fullmatch(r"[123][0-9][0-9]\.[0-9][0-9][0-9]", code) is not None
    assert ("subject.code" in fields(definition)) != well_formed


@pytest.mark.parametrize("code", ["102.001\n", "102.01", "402.001", "102-001", "1٠٢.٠٠١", "１０２.００１", ""])
def test_a_malformed_subject_code_is_a_violation(code: str) -> None:
    assert "subject.code" in fields(subject(item(1, subject_code=code), code=code))


@pytest.mark.parametrize(
    "code",
    ["102.001.001\n", "102.001.01", "102.002.001", "102.001", "102.001.٠٠١", "102.001.001.001"],
)
def test_an_item_code_must_be_the_subject_code_and_a_three_digit_sequence(code: str) -> None:
    assert "subject.items[0].code" in fields(subject(item(1, code=code)))


def test_the_same_item_code_twice_is_a_violation_on_the_second() -> None:
    definition = subject(item(1), item(1, name_en="again"))
    assert violations(definition) == {"subject.items[1].code": ["appears twice in the subject"]}


def test_an_item_code_owned_by_another_subject_is_a_violation() -> None:
    found = violations(subject(item(1), item(2)), {"102.001.002": "102.009"})
    assert found == {"subject.items[1].code": ["already belongs to subject 102.009"]}


def test_an_item_code_the_subject_already_owns_is_fine() -> None:
    assert violations(subject(item(1)), {"102.001.001": "102.001"}) == {}


# -- names, provider, dates ---------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
@pytest.mark.parametrize("name", ["name_zh", "name_en"])
def test_a_subject_and_its_items_need_names(name: str, blank: str) -> None:
    assert f"subject.{name}" in fields(subject(**{name: blank}))
    assert f"subject.items[0].{name}" in fields(subject(item(1, **{name: blank})))


def test_the_provider_must_be_a_registered_department() -> None:
    assert violations(subject(provider="nobody")) == {
        "subject.provider": ["must be the code of a registered department"]
    }


def test_a_subject_without_items_is_a_violation() -> None:
    assert fields(subject(items=())) == {"subject.items"}


@pytest.mark.parametrize("date", ["2024-13-01", "2023-02-29", "2024/01/01", "24-01-01", "2024-01-01\n"])
def test_a_release_date_must_be_a_real_date_written_year_month_day(date: str) -> None:
    assert fields(subject(release_date=date)) == {"subject.release_date"}


def test_a_release_date_may_be_left_empty() -> None:
    assert violations(subject(release_date="")) == {}


# -- item shape ---------------------------------------------------------------------------------


def test_a_negative_length_is_a_violation() -> None:
    assert fields(subject(item(1, length=-1))) == {"subject.items[0].length"}


@pytest.mark.parametrize(
    ("data_type", "scale"),
    [(DataType.INTEGER, 2), (DataType.STRING, 1), (DataType.DECIMAL, -1)],
)
def test_only_decimals_have_a_scale_and_it_is_not_negative(data_type: DataType, scale: int) -> None:
    assert fields(subject(item(1, data_type=data_type, scale=scale))) == {"subject.items[0].scale"}


def test_an_enum_needs_its_values() -> None:
    assert violations(subject(item(1, data_type=DataType.ENUM))) == {
        "subject.items[0].enum_values": ["an enum needs its values"]
    }


def test_only_enums_have_values() -> None:
    assert violations(subject(item(1, enum_values=("1", "2")))) == {
        "subject.items[0].enum_values": ["only enums have values"]
    }


def test_enum_values_must_be_unique() -> None:
    assert violations(subject(item(1, data_type=DataType.ENUM, enum_values=("1", "2", "1")))) == {
        "subject.items[0].enum_values": ["values must be unique"]
    }


@given(st.sampled_from(list(FormatStandard)), st.sampled_from(list(DataType)))
def test_a_format_standard_applies_only_to_the_type_of_value_it_describes(
    standard: FormatStandard, data_type: DataType
) -> None:
    enum_values = ("1",) if data_type is DataType.ENUM else ()
    definition = subject(item(1, data_type=data_type, format_standard=standard, enum_values=enum_values))
    if standard is FormatStandard.NONE:
        fits = True
    elif standard is FormatStandard.DATE:
        fits = data_type in (DataType.DATE, DataType.STRING)
    else:
        fits = data_type is DataType.STRING
    assert ("subject.items[0].format_standard" not in fields(definition)) == fits


def test_a_misplaced_format_standard_names_the_type_it_applies_to() -> None:
    found = violations(subject(item(1, data_type=DataType.INTEGER, format_standard=FormatStandard.CITIZEN_ID)))
    assert found == {"subject.items[0].format_standard": ["citizen_id applies to string values"]}


# -- sharing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sharing", [SharingType.CONDITIONAL, SharingType.NOT_SHARED])
@pytest.mark.parametrize("conditions", ["", "  "])
def test_an_item_shared_with_conditions_or_not_at_all_must_say_why(sharing: SharingType, conditions: str) -> None:
    definition = subject(item(1, sharing_type=sharing, sharing_conditions=conditions))
    assert fields(definition) == {"subject.items[0].sharing_conditions"}


def test_an_unconditionally_shared_item_needs_no_conditions() -> None:
    assert violations(subject(item(1, sharing_type=SharingType.UNCONDITIONAL, sharing_conditions=""))) == {}


def test_a_not_shared_item_cannot_be_open_to_the_public() -> None:
    secret = item(1, sharing_type=SharingType.NOT_SHARED, sharing_conditions="personal data", open_to_public=True)
    assert violations(subject(secret)) == {
        "subject.items[0].open_to_public": ["a not-shared item cannot be open to the public"]
    }


@pytest.mark.parametrize("sharing", [SharingType.UNCONDITIONAL, SharingType.CONDITIONAL])
def test_a_shared_item_may_be_open_to_the_public(sharing: SharingType) -> None:
    assert violations(subject(item(1, sharing_type=sharing, sharing_conditions="x", open_to_public=True))) == {}


# -- all at once --------------------------------------------------------------------------------


def test_every_violation_of_a_definition_is_collected_with_its_own_path() -> None:
    definition = subject(
        item(1, name_zh=""),
        changed(item(2, data_type=DataType.ENUM), sharing_type=SharingType.NOT_SHARED, open_to_public=True),
        code="102.001",
        provider="nobody",
        name_en=" ",
    )
    assert fields(definition) == {
        "subject.provider",
        "subject.name_en",
        "subject.items[0].name_zh",
        "subject.items[1].enum_values",
        "subject.items[1].sharing_conditions",
        "subject.items[1].open_to_public",
    }


def test_the_path_prefix_is_the_callers_choice() -> None:
    found = check_subject(subject(provider="nobody"), DEPARTMENTS, {}, prefix="subjects[3]").violations
    assert [v.field for v in found] == ["subjects[3].provider"]
