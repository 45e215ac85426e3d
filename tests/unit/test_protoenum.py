"""Unit tests for the proto ↔ domain enum mapping (govmesh.protoenum) against the generated catalog.v1 enums."""

from __future__ import annotations

import enum

import pytest

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.kernel.catalog.model import (
    DataType,
    DepartmentLevel,
    FormatStandard,
    Sensitivity,
    SharingType,
    SubjectCategory,
    UpdateCycle,
)
from govmesh.runtime.errors import ViolationCollector
from govmesh.runtime.protoenum import EnumMapping

MAPPINGS = [
    (pb.SharingType, SharingType, "SHARING_TYPE", None),
    (pb.DataType, DataType, "DATA_TYPE", None),
    (pb.FormatStandard, FormatStandard, "FORMAT_STANDARD", FormatStandard.NONE),
    (pb.DepartmentLevel, DepartmentLevel, "DEPARTMENT_LEVEL", None),
    (pb.SubjectCategory, SubjectCategory, "SUBJECT_CATEGORY", None),
    (pb.UpdateCycle, UpdateCycle, "UPDATE_CYCLE", None),
    (pb.SensitivityLevel, Sensitivity, "SENSITIVITY_LEVEL", None),
]
IDS = [prefix for _proto, _domain, prefix, _zero in MAPPINGS]

SHARING = EnumMapping(pb.SharingType, SharingType, "SHARING_TYPE")
FORMAT = EnumMapping(pb.FormatStandard, FormatStandard, "FORMAT_STANDARD", zero=FormatStandard.NONE)


@pytest.mark.parametrize(("proto", "domain", "prefix", "zero"), MAPPINGS, ids=IDS)
def test_every_domain_member_round_trips_through_its_proto_number(
    proto: object, domain: type[enum.Enum], prefix: str, zero: enum.Enum | None
) -> None:
    mapping = EnumMapping(proto, domain, prefix, zero=zero)
    found = ViolationCollector()
    for member in domain:
        assert mapping.to_domain(mapping.to_proto(member), "field", found) is member
    assert found.violations == []


@pytest.mark.parametrize(("proto", "domain", "prefix", "zero"), MAPPINGS, ids=IDS)
def test_every_proto_value_but_unspecified_has_a_domain_member(
    proto: object, domain: type[enum.Enum], prefix: str, zero: enum.Enum | None
) -> None:
    mapping = EnumMapping(proto, domain, prefix, zero=zero)
    numbers = {mapping.to_proto(member) for member in domain}
    expected = set(proto.values())  # type: ignore[attr-defined]
    if zero is None:
        expected.discard(0)
    assert numbers == expected


def test_members_map_to_the_proto_value_of_the_same_name() -> None:
    assert SHARING.to_proto(SharingType.UNCONDITIONAL) == pb.SHARING_TYPE_UNCONDITIONAL
    assert SHARING.to_proto(SharingType.NOT_SHARED) == pb.SHARING_TYPE_NOT_SHARED
    assert FORMAT.to_proto(FormatStandard.CREDIT_CODE) == pb.FORMAT_STANDARD_CREDIT_CODE


def test_unspecified_is_a_violation_that_lists_the_allowed_values() -> None:
    found = ViolationCollector()
    SHARING.to_domain(pb.SHARING_TYPE_UNSPECIFIED, "subject.items[0].sharing_type", found)
    assert [(v.field, v.description) for v in found.violations] == [
        (
            "subject.items[0].sharing_type",
            "must be one of SHARING_TYPE_UNCONDITIONAL, SHARING_TYPE_CONDITIONAL, SHARING_TYPE_NOT_SHARED",
        )
    ]


def test_an_unknown_number_is_a_violation() -> None:
    found = ViolationCollector()
    SHARING.to_domain(99, "sharing_type", found)
    assert [v.field for v in found.violations] == ["sharing_type"]


def test_unspecified_stands_for_the_zero_member_where_not_set_is_meaningful() -> None:
    found = ViolationCollector()
    assert FORMAT.to_domain(pb.FORMAT_STANDARD_UNSPECIFIED, "format_standard", found) is FormatStandard.NONE
    assert FORMAT.to_proto(FormatStandard.NONE) == 0
    assert found.violations == []


def test_the_zero_member_is_not_offered_as_an_allowed_name() -> None:
    found = ViolationCollector()
    FORMAT.to_domain(42, "format_standard", found)
    assert "NONE" not in found.violations[0].description
    assert "FORMAT_STANDARD_EMAIL" in found.violations[0].description


def test_an_optional_filter_treats_unspecified_as_no_filter() -> None:
    found = ViolationCollector()
    assert SHARING.optional(0, "filter.sharing_type", found) is None
    assert SHARING.optional(pb.SHARING_TYPE_CONDITIONAL, "filter.sharing_type", found) is SharingType.CONDITIONAL
    assert found.violations == []
    SHARING.optional(7, "filter.sharing_type", found)
    assert [v.field for v in found.violations] == ["filter.sharing_type"]


def test_a_domain_enum_without_a_matching_proto_name_fails_at_construction() -> None:
    class Colour(enum.Enum):
        RED = "red"

    with pytest.raises(ValueError, match="SHARING_TYPE_RED"):
        EnumMapping(pb.SharingType, Colour, "SHARING_TYPE")
