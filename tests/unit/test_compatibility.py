"""Unit tests for the BACKWARD-mode breaking-change rules in catalog.domain.compatibility."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.model import (
    DataItem,
    DataType,
    FieldChange,
    FormatStandard,
    Sensitivity,
    SharingType,
    SubjectCategory,
    UpdateCycle,
)
from govmesh.services.catalog.domain.compatibility import diff_items, diff_subjects
from tests.unit.builders import changed, item, subject

BASE = item(1, length=20, sharing_type=SharingType.CONDITIONAL, sharing_conditions="by grant")
DECIMAL = item(2, data_type=DataType.DECIMAL, length=12, scale=2)
ENUM = item(3, data_type=DataType.ENUM, enum_values=("1", "2", "9"))


def the_change(changes: list[FieldChange], path: str) -> FieldChange:
    matching = [c for c in changes if c.path == path]
    assert len(matching) == 1, f"expected one change at {path}, got {changes}"
    return matching[0]


def item_change(old: DataItem, new: DataItem, field: str) -> FieldChange:
    return the_change(diff_items(old, new), f"items/{old.code}/{field}")


# -- subjects -----------------------------------------------------------------------------------


def test_an_unchanged_subject_has_no_changes() -> None:
    definition = subject(BASE, DECIMAL, ENUM)
    assert diff_subjects(definition, definition) == []


def test_removing_an_item_is_a_breaking_change() -> None:
    change = the_change(diff_subjects(subject(BASE, DECIMAL), subject(BASE)), f"items/{DECIMAL.code}")
    assert change.kind == "removed"
    assert change.breaking


def test_adding_an_optional_item_is_not_a_breaking_change() -> None:
    change = the_change(diff_subjects(subject(BASE), subject(BASE, DECIMAL)), f"items/{DECIMAL.code}")
    assert change.kind == "added"
    assert not change.breaking


def test_adding_a_new_required_item_is_a_breaking_change() -> None:
    required = changed(DECIMAL, required=True)
    change = the_change(diff_subjects(subject(BASE), subject(BASE, required)), f"items/{DECIMAL.code}")
    assert change.kind == "added"
    assert change.breaking


def test_changing_the_provider_is_a_breaking_change() -> None:
    change = the_change(diff_subjects(subject(BASE), subject(BASE, provider="sw")), "provider")
    assert (change.before, change.after) == ("gsj", "sw")
    assert change.breaking


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_zh", "企业注册信息"),
        ("name_en", "business registration"),
        ("abstract", "every registered enterprise"),
        ("category", SubjectCategory.THEMATIC),
        ("update_cycle", UpdateCycle.REAL_TIME),
        ("release_date", "2025-01-01"),
        ("deprecated", True),
    ],
)
def test_describing_or_deprecating_a_subject_differently_is_not_a_breaking_change(field: str, value: object) -> None:
    change = the_change(diff_subjects(subject(BASE), subject(BASE, **{field: value})), field)
    assert change.kind == "changed"
    assert not change.breaking


def test_a_subject_diff_includes_the_changes_inside_a_kept_item() -> None:
    changes = diff_subjects(subject(BASE), subject(changed(BASE, length=10)))
    assert the_change(changes, f"items/{BASE.code}/length").breaking


# -- items: breaking ----------------------------------------------------------------------------


def test_changing_an_items_type_is_a_breaking_change() -> None:
    change = item_change(BASE, changed(BASE, data_type=DataType.INTEGER), "data_type")
    assert (change.before, change.after) == ("string", "integer")
    assert change.breaking


def test_narrowing_an_items_length_is_a_breaking_change() -> None:
    assert item_change(BASE, changed(BASE, length=19), "length").breaking


def test_bounding_an_unbounded_length_is_a_breaking_change() -> None:
    unbounded = changed(BASE, length=0)
    assert item_change(unbounded, changed(BASE, length=10_000), "length").breaking


def test_narrowing_a_decimals_scale_is_a_breaking_change() -> None:
    assert item_change(DECIMAL, changed(DECIMAL, scale=1), "scale").breaking


def test_removing_an_enum_value_is_a_breaking_change_that_names_the_value() -> None:
    change = item_change(ENUM, changed(ENUM, enum_values=("1", "2")), "enum_values")
    assert change.breaking
    assert "9" in change.breaking_reason


def test_replacing_an_enum_value_is_a_breaking_change() -> None:
    assert item_change(ENUM, changed(ENUM, enum_values=("1", "2", "3")), "enum_values").breaking


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (SharingType.UNCONDITIONAL, SharingType.CONDITIONAL),
        (SharingType.CONDITIONAL, SharingType.NOT_SHARED),
        (SharingType.UNCONDITIONAL, SharingType.NOT_SHARED),
    ],
)
def test_tightening_sharing_is_a_breaking_change(before: SharingType, after: SharingType) -> None:
    assert item_change(changed(BASE, sharing_type=before), changed(BASE, sharing_type=after), "sharing_type").breaking


def test_adding_a_format_standard_is_a_breaking_change() -> None:
    change = item_change(BASE, changed(BASE, format_standard=FormatStandard.CREDIT_CODE), "format_standard")
    assert (change.before, change.after) == ("none", "credit_code")
    assert change.breaking


def test_switching_to_another_format_standard_is_a_breaking_change() -> None:
    citizen = changed(BASE, format_standard=FormatStandard.CITIZEN_ID)
    assert item_change(citizen, changed(BASE, format_standard=FormatStandard.CREDIT_CODE), "format_standard").breaking


def test_making_an_item_required_is_a_breaking_change() -> None:
    assert item_change(BASE, changed(BASE, required=True), "required").breaking


def test_closing_an_item_to_the_public_is_a_breaking_change() -> None:
    public = changed(BASE, open_to_public=True)
    assert item_change(public, BASE, "open_to_public").breaking


# -- items: not breaking ------------------------------------------------------------------------


def test_widening_an_items_length_is_not_a_breaking_change() -> None:
    assert not item_change(BASE, changed(BASE, length=21), "length").breaking


def test_unbounding_a_length_is_not_a_breaking_change() -> None:
    assert not item_change(BASE, changed(BASE, length=0), "length").breaking


def test_widening_a_decimals_scale_is_not_a_breaking_change() -> None:
    assert not item_change(DECIMAL, changed(DECIMAL, scale=4), "scale").breaking


def test_adding_an_enum_value_is_not_a_breaking_change() -> None:
    assert not item_change(ENUM, changed(ENUM, enum_values=("1", "2", "9", "0")), "enum_values").breaking


def test_reordering_enum_values_is_not_a_breaking_change() -> None:
    assert not item_change(ENUM, changed(ENUM, enum_values=("9", "2", "1")), "enum_values").breaking


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (SharingType.NOT_SHARED, SharingType.CONDITIONAL),
        (SharingType.CONDITIONAL, SharingType.UNCONDITIONAL),
        (SharingType.NOT_SHARED, SharingType.UNCONDITIONAL),
    ],
)
def test_loosening_sharing_is_not_a_breaking_change(before: SharingType, after: SharingType) -> None:
    change = item_change(changed(BASE, sharing_type=before), changed(BASE, sharing_type=after), "sharing_type")
    assert not change.breaking


def test_dropping_a_format_standard_is_not_a_breaking_change() -> None:
    citizen = changed(BASE, format_standard=FormatStandard.CITIZEN_ID)
    assert not item_change(citizen, BASE, "format_standard").breaking


def test_making_an_item_optional_is_not_a_breaking_change() -> None:
    assert not item_change(changed(BASE, required=True), BASE, "required").breaking


def test_opening_an_item_to_the_public_is_not_a_breaking_change() -> None:
    assert not item_change(BASE, changed(BASE, open_to_public=True), "open_to_public").breaking


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_zh", "统一社会信用代码"),
        ("name_en", "unified social credit code"),
        ("description", "GB 32100"),
        ("sharing_conditions", "by grant, for tax purposes"),
        ("sensitivity", Sensitivity.SENSITIVE),
        ("deprecated", True),
    ],
)
def test_renaming_describing_or_deprecating_an_item_is_not_a_breaking_change(field: str, value: object) -> None:
    change = item_change(BASE, changed(BASE, **{field: value}), field)
    assert change.kind == "changed"
    assert not change.breaking


def test_a_change_records_the_values_before_and_after() -> None:
    change = item_change(BASE, changed(BASE, length=40), "length")
    assert (change.before, change.after) == ("20", "40")


# -- the rules as one predicate -----------------------------------------------------------------

# Every field diff_items compares, with the reference rule for when changing it breaks consumers.


def _narrower_length(old: DataItem, new: DataItem) -> bool:
    if new.length == 0:
        return False  # unbounded accepts everything
    return old.length == 0 or new.length < old.length


REFERENCE_RULES = {
    "data_type": lambda old, new: True,
    "length": _narrower_length,
    "scale": lambda old, new: new.scale < old.scale,
    "enum_values": lambda old, new: not set(old.enum_values) <= set(new.enum_values),
    "format_standard": lambda old, new: new.format_standard is not FormatStandard.NONE,
    "required": lambda old, new: new.required,
    "sharing_type": lambda old, new: (
        ["unconditional", "conditional", "not_shared"].index(new.sharing_type.value)
        > ["unconditional", "conditional", "not_shared"].index(old.sharing_type.value)
    ),
    "open_to_public": lambda old, new: old.open_to_public,
    "name_zh": lambda old, new: False,
    "name_en": lambda old, new: False,
    "description": lambda old, new: False,
    "sharing_conditions": lambda old, new: False,
    "sensitivity": lambda old, new: False,
    "deprecated": lambda old, new: False,
}

# Small value pools, so random pairs often agree on a field and sometimes differ.
item_definitions = st.builds(
    lambda **fields: item(1, **fields),
    name_zh=st.sampled_from(["企业名称", "名称"]),
    name_en=st.sampled_from(["name", "enterprise name"]),
    data_type=st.sampled_from([DataType.STRING, DataType.DECIMAL, DataType.ENUM]),
    length=st.sampled_from([0, 1, 18, 200]),
    scale=st.sampled_from([0, 2, 4]),
    enum_values=st.lists(st.sampled_from("ABC"), unique=True, max_size=3).map(tuple),
    format_standard=st.sampled_from([FormatStandard.NONE, FormatStandard.CITIZEN_ID, FormatStandard.CREDIT_CODE]),
    required=st.booleans(),
    sharing_type=st.sampled_from(list(SharingType)),
    sharing_conditions=st.sampled_from(["", "by grant"]),
    open_to_public=st.booleans(),
    sensitivity=st.sampled_from([Sensitivity.INTERNAL, Sensitivity.SECRET]),
    description=st.sampled_from(["", "note"]),
    deprecated=st.booleans(),
)


@given(item_definitions, item_definitions)
def test_an_item_change_is_breaking_exactly_when_the_reference_rules_say_so(old: DataItem, new: DataItem) -> None:
    changes = {c.path.rsplit("/", 1)[1]: c for c in diff_items(old, new)}
    differing = {name for name in REFERENCE_RULES if getattr(old, name) != getattr(new, name)}
    assert set(changes) == differing, "every differing field is reported, and only those"
    for name in differing:
        assert changes[name].breaking == REFERENCE_RULES[name](old, new), name
    assert any(c.breaking for c in changes.values()) == any(REFERENCE_RULES[n](old, new) for n in differing)


def test_the_reference_rules_cover_every_compared_item_field() -> None:
    not_compared = {"code", "subject_code"}
    assert set(REFERENCE_RULES) == {f.name for f in dataclasses.fields(DataItem)} - not_compared


@given(item_definitions, item_definitions)
def test_an_item_change_and_its_reversal_touch_the_same_fields(old: DataItem, new: DataItem) -> None:
    forward = {c.path for c in diff_items(old, new)}
    backward = {c.path for c in diff_items(new, old)}
    assert forward == backward
