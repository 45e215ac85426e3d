"""Unit tests for record validation against a compiled subject (catalog.domain.validation.RecordSchema)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.model import DataType, FormatStandard, Version
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.kernel.catalog.validation import RecordSchema, RecordViolation, TypedValue
from tests.unit.builders import item, subject

NAME = "102.001.001"
CAPITAL = "102.001.002"
FOUNDED = "102.001.003"
STATUS = "102.001.004"
LICENCE = "102.001.005"
REGISTERED_AT = "102.001.006"
EMPLOYEES = "102.001.007"
LISTED = "102.001.008"
SEAL = "102.001.009"
LEGAL_PERSON_ID = "102.001.010"
CREDIT_CODE = "102.001.011"
DIVISION = "102.001.012"
OLD_FIELD = "102.001.013"

ENTERPRISE = subject(
    item(1, name_en="name", length=10, required=True),
    item(2, name_en="capital", data_type=DataType.DECIMAL, length=6, scale=2),
    item(3, name_en="founded", data_type=DataType.DATE),
    item(4, name_en="status", data_type=DataType.ENUM, enum_values=("active", "revoked")),
    item(5, name_en="licence", data_type=DataType.STRING),
    item(6, name_en="registered at", data_type=DataType.DATETIME),
    item(7, name_en="employees", data_type=DataType.INTEGER, length=4),
    item(8, name_en="listed", data_type=DataType.BOOLEAN),
    item(9, name_en="seal", data_type=DataType.BYTES, length=4),
    item(10, name_en="legal person id", format_standard=FormatStandard.CITIZEN_ID),
    item(11, name_en="credit code", format_standard=FormatStandard.CREDIT_CODE),
    item(12, name_en="division", format_standard=FormatStandard.DIVISION_CODE),
    item(13, name_en="old field", required=True, deprecated=True),
    version=Version(2, 3),
)
SCHEMA = RecordSchema(ENTERPRISE)

VALID_CITIZEN_ID = make_citizen_id("440106", dt.date(1980, 5, 17), 123)
VALID_CREDIT_CODE = make_credit_code("440101", 4242)

VALID: dict[str, TypedValue] = {
    NAME: ("string", "广州市某某公司"),
    CAPITAL: ("decimal", "1234.50"),
    FOUNDED: ("date", "2008-03-14"),
    STATUS: ("enum", "active"),
    LICENCE: ("string", "any length at all, since the item is unbounded"),
    REGISTERED_AT: ("datetime", dt.datetime(2008, 3, 14, 9, 30, tzinfo=dt.UTC)),
    EMPLOYEES: ("integer", 1200),
    LISTED: ("boolean", False),
    SEAL: ("bytes", b"\x00\x01\x02\x03"),
    LEGAL_PERSON_ID: ("string", VALID_CITIZEN_ID),
    CREDIT_CODE: ("string", VALID_CREDIT_CODE),
    DIVISION: ("string", "440106"),
}


def violations_with(**overrides: TypedValue) -> list[RecordViolation]:
    """Validates the valid record with some items replaced, keyed by constant name (e.g. CAPITAL=...)."""
    record = dict(VALID)
    for name, value in overrides.items():
        record[globals()[name]] = value
    return SCHEMA.validate(record)


def reasons(violations: list[RecordViolation]) -> dict[str, str]:
    assert len({v.item_code for v in violations}) == len(violations), "one violation per item"
    return {v.item_code: v.reason for v in violations}


def test_a_schema_remembers_which_subject_version_it_was_compiled_from() -> None:
    assert (SCHEMA.subject_code, SCHEMA.version) == ("102.001", Version(2, 3))


def test_a_record_meeting_every_rule_has_no_violations() -> None:
    assert SCHEMA.validate(VALID) == []


def test_a_record_with_only_the_required_items_is_valid() -> None:
    assert SCHEMA.validate({NAME: VALID[NAME]}) == []


def test_a_missing_required_item_is_a_violation() -> None:
    record = {code: value for code, value in VALID.items() if code != NAME}
    assert SCHEMA.validate(record) == [RecordViolation(NAME, "REQUIRED", "a required item is missing")]


def test_a_deprecated_required_item_is_no_longer_required() -> None:
    assert OLD_FIELD not in reasons(SCHEMA.validate(VALID))


def test_an_item_the_subject_does_not_have_is_a_violation() -> None:
    violations = SCHEMA.validate({**VALID, "102.001.999": ("string", "x")})
    assert reasons(violations) == {"102.001.999": "UNKNOWN_ITEM"}
    assert "102.001" in violations[0].description


@pytest.mark.parametrize(
    ("code", "kind", "value"),
    [
        (NAME, "integer", 5),
        (CAPITAL, "string", "12.5"),
        (FOUNDED, "datetime", dt.datetime(2008, 3, 14, tzinfo=dt.UTC)),
        (STATUS, "integer", 1),
        (REGISTERED_AT, "string", "2008-03-14T09:30:00Z"),
        (EMPLOYEES, "decimal", "12"),
        (LISTED, "string", "false"),
        (SEAL, "string", "abcd"),
    ],
)
def test_a_value_of_the_wrong_kind_is_a_type_violation(code: str, kind: str, value: object) -> None:
    violations = SCHEMA.validate({**VALID, code: (kind, value)})
    assert reasons(violations) == {code: "TYPE"}
    assert kind in violations[0].description


@pytest.mark.parametrize(
    ("code", "kind", "value"),
    [
        (CAPITAL, "integer", 1234),  # an integer is a decimal with no fraction
        (FOUNDED, "string", "2008-03-14"),  # a date may travel as text
        (STATUS, "string", "revoked"),  # an enum value may travel as text
    ],
)
def test_some_items_accept_a_compatible_kind(code: str, kind: str, value: object) -> None:
    assert SCHEMA.validate({**VALID, code: (kind, value)}) == []


def test_a_datetime_kind_must_carry_a_timestamp() -> None:
    violations = SCHEMA.validate({**VALID, REGISTERED_AT: ("datetime", "2008-03-14")})
    assert reasons(violations) == {REGISTERED_AT: "TYPE"}


# -- lengths, digits, scale ---------------------------------------------------------------------


def test_a_string_at_its_length_is_valid_and_one_character_more_is_not() -> None:
    assert violations_with(NAME=("string", "广" * 10)) == []
    assert reasons(violations_with(NAME=("string", "广" * 11))) == {NAME: "LENGTH"}


@given(st.text(max_size=30))
def test_a_string_fits_exactly_when_it_has_at_most_length_characters(value: str) -> None:
    too_long = len(value) > 10
    assert reasons(violations_with(NAME=("string", value))) == ({NAME: "LENGTH"} if too_long else {})


@given(st.binary(max_size=10))
def test_bytes_fit_exactly_when_there_are_at_most_length_of_them(value: bytes) -> None:
    too_long = len(value) > 4
    assert reasons(violations_with(SEAL=("bytes", value))) == ({SEAL: "LENGTH"} if too_long else {})


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_an_integer_fits_exactly_when_it_has_at_most_length_digits(value: int) -> None:
    too_long = abs(value) >= 10_000
    assert reasons(violations_with(EMPLOYEES=("integer", value))) == ({EMPLOYEES: "LENGTH"} if too_long else {})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1234.56", None),
        ("-1234.56", None),
        ("0.5", None),
        ("1234.567", "SCALE"),
        ("0.001", "SCALE"),
        ("12345.6", None),  # six digits in all: exactly the length
        ("123456.7", "LENGTH"),
        ("1E+6", "LENGTH"),  # a million has 7 digits however it is written
        ("abc", "TYPE"),
        ("NaN", "TYPE"),
        ("Infinity", "TYPE"),
    ],
)
def test_a_decimal_is_held_to_its_scale_and_digits(value: str, reason: str | None) -> None:
    assert reasons(violations_with(CAPITAL=("decimal", value))) == ({CAPITAL: reason} if reason else {})


# Decimals built from digits and an exponent, so that both 1.5E+3 and 0.0015 style values appear.
decimals = st.builds(
    lambda sign, digits, exponent: Decimal(f"{sign}{digits}E{exponent}"),
    st.sampled_from(["", "-"]),
    st.integers(min_value=0, max_value=10**8),
    st.integers(min_value=-8, max_value=8),
)


@given(decimals)
def test_a_decimals_verdict_does_not_depend_on_how_it_is_written(number: Decimal) -> None:
    plain = format(number, "f")
    assert reasons(violations_with(CAPITAL=("decimal", str(number)))) == reasons(
        violations_with(CAPITAL=("decimal", plain))
    )


@given(st.integers(min_value=-9999, max_value=9999), st.integers(min_value=0, max_value=99))
def test_a_decimal_with_at_most_four_integer_digits_and_two_places_fits(units: int, cents: int) -> None:
    value = f"{units}.{cents:02d}"
    assert violations_with(CAPITAL=("decimal", value)) == []


# -- enums, dates and standards -----------------------------------------------------------------


def test_a_value_outside_the_enum_is_a_violation() -> None:
    assert reasons(violations_with(STATUS=("enum", "dissolved"))) == {STATUS: "ENUM"}


def test_enum_membership_is_exact() -> None:
    assert reasons(violations_with(STATUS=("enum", "Active"))) == {STATUS: "ENUM"}


@pytest.mark.parametrize("value", ["2008-02-30", "2008/03/14", "20080314", "14-03-2008", ""])
def test_a_date_must_be_a_real_date_written_year_month_day(value: str) -> None:
    assert reasons(violations_with(FOUNDED=("date", value))) == {FOUNDED: "FORMAT"}


@given(st.dates())
def test_every_real_date_written_year_month_day_is_valid(day: dt.date) -> None:
    assert violations_with(FOUNDED=("date", day.isoformat())) == []


@given(
    division=st.sampled_from(["440103", "440104", "440106", "110101", "310104"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_every_generated_citizen_id_is_valid(division: str, birth: dt.date, sequence: int) -> None:
    assert violations_with(LEGAL_PERSON_ID=("string", make_citizen_id(division, birth, sequence))) == []


@given(sequence=st.integers(min_value=0, max_value=31**8 - 1))
def test_every_generated_credit_code_is_valid(sequence: int) -> None:
    assert violations_with(CREDIT_CODE=("string", make_credit_code("440101", sequence))) == []


def _with_other_last_character(code: str, alphabet: str) -> str:
    return code[:-1] + next(c for c in alphabet if c != code[-1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEGAL_PERSON_ID", _with_other_last_character(VALID_CITIZEN_ID, "0123456789X")),
        ("LEGAL_PERSON_ID", VALID_CITIZEN_ID[:17]),
        ("LEGAL_PERSON_ID", VALID_CITIZEN_ID[:-1] + "x"),
        ("CREDIT_CODE", _with_other_last_character(VALID_CREDIT_CODE, "0123456789ABCDEFGHJKLMNPQRTUWXY")),
        ("CREDIT_CODE", VALID_CREDIT_CODE.lower()),
        ("DIVISION", "449901"),  # not a Guangdong prefecture
        ("DIVISION", "44010"),
    ],
)
def test_a_value_breaking_its_format_standard_is_a_format_violation(name: str, value: str) -> None:
    assert reasons(violations_with(**{name: ("string", value)})) == {globals()[name]: "FORMAT"}


# -- every problem, and never the value ---------------------------------------------------------


def test_an_item_reports_one_problem_the_cheapest_to_find() -> None:
    bounded_id = subject(item(1, length=18, format_standard=FormatStandard.CITIZEN_ID))
    violations = RecordSchema(bounded_id).validate({"102.001.001": ("string", "not a citizen id, and far too long")})
    assert [(v.item_code, v.reason) for v in violations] == [("102.001.001", "LENGTH")]


def test_every_bad_item_of_a_record_is_reported_not_just_the_first() -> None:
    record: dict[str, TypedValue] = {
        CAPITAL: ("decimal", "1.234"),
        FOUNDED: ("date", "2008-13-01"),
        STATUS: ("enum", "dissolved"),
        EMPLOYEES: ("integer", 123456),
        LISTED: ("string", "yes"),
        SEAL: ("bytes", b"12345"),
        LEGAL_PERSON_ID: ("string", "not an id"),
        "102.001.999": ("string", "?"),
    }
    assert reasons(SCHEMA.validate(record)) == {
        NAME: "REQUIRED",
        CAPITAL: "SCALE",
        FOUNDED: "FORMAT",
        STATUS: "ENUM",
        EMPLOYEES: "LENGTH",
        LISTED: "TYPE",
        SEAL: "LENGTH",
        LEGAL_PERSON_ID: "FORMAT",
        "102.001.999": "UNKNOWN_ITEM",
    }


def test_a_bad_citizen_id_is_described_without_its_birth_date() -> None:
    birth_digits = "19801345"  # month 13: the check says so, and must not quote the digits
    value = f"440106{birth_digits}1234"
    [violation] = violations_with(LEGAL_PERSON_ID=("string", value))
    assert violation.reason == "FORMAT"
    assert birth_digits not in violation.description


STRING_VALUED_ITEMS = [NAME, FOUNDED, STATUS, LEGAL_PERSON_ID, CREDIT_CODE, DIVISION]

# A marker no description contains, so that finding the value in one can only mean it was quoted;
# at 11 characters or more, every value breaks some rule of every item below.
secret_values = st.text(min_size=9, max_size=40).map(lambda text: f"秘{text}密")


@given(code=st.sampled_from(STRING_VALUED_ITEMS), value=secret_values)
def test_a_violation_never_quotes_the_offending_value(code: str, value: str) -> None:
    violations = SCHEMA.validate({code: ("string", value), NAME: ("string", value)})
    assert violations, "the marker makes every one of these values invalid"
    for violation in violations:
        assert value not in violation.description
        assert repr(value)[1:-1] not in violation.description
        assert "秘" not in violation.description


@given(value=st.text(alphabet="0123456789X-/ ", min_size=6, max_size=20))
def test_a_violation_never_quotes_a_nearly_valid_value(value: str) -> None:
    for code in (FOUNDED, LEGAL_PERSON_ID, CREDIT_CODE, DIVISION):
        for violation in SCHEMA.validate({NAME: VALID[NAME], code: ("string", value)}):
            assert value not in violation.description


STANDARD_ITEMS = [
    item(n, format_standard=standard)
    for n, standard in enumerate(FormatStandard, start=1)
    if standard is not FormatStandard.NONE
]
EVERY_STANDARD = RecordSchema(subject(*STANDARD_ITEMS))


# Values close to what the standards accept; 11 characters or more, longer than any run of these
# characters in a description (such as "11643-1999"), so a value found there was quoted.
@given(value=st.text(alphabet="0123456789@.-X", min_size=11, max_size=24))
def test_no_format_standard_quotes_the_value_it_rejects(value: str) -> None:
    violations = EVERY_STANDARD.validate({i.code: ("string", value) for i in STANDARD_ITEMS})
    for violation in violations:
        assert violation.reason == "FORMAT"
        assert value not in violation.description
