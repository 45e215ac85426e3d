"""Unit tests for the data-standard validators and generators in catalog.domain.standards."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.divisions import DIVISIONS, GUANGZHOU_DISTRICTS, PROVINCES
from govmesh.kernel.catalog.standards import (
    FORMAT_CHECKS,
    check_citizen_id,
    check_credit_code,
    check_date,
    check_division_code,
    check_email,
    check_phone,
    check_postal_code,
    division_name,
    make_citizen_id,
    make_credit_code,
)

ID_BODY_CHARS = "0123456789"
ID_CHECK_CHARS = "0123456789X"
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TODAY = dt.date(2024, 6, 1)

divisions_with_known_province = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
any_six_digits = st.text(alphabet="0123456789", min_size=6, max_size=6)
credit_sequences = st.integers(min_value=0, max_value=31**8 - 1)
authorities = st.sampled_from("123456789ANY")
entity_types = st.sampled_from("123456789")


def replace_at(value: str, position: int, char: str) -> str:
    return value[:position] + char + value[position + 1 :]


# --- Citizen identity numbers --------------------------------------------------------------


def test_the_gb_11643_standard_example_is_a_valid_citizen_id() -> None:
    assert check_citizen_id("11010519491231002X") is None


def test_the_standards_1880_example_has_a_right_check_digit_but_is_too_old() -> None:
    reason = check_citizen_id("440524188001010014")
    assert reason == "birth year 1880 is before 1900"


def test_a_generated_guangzhou_citizen_id_matches_its_hand_computed_form() -> None:
    assert make_citizen_id("440106", dt.date(1990, 5, 17), 123) == "440106199005171236"
    assert check_citizen_id("440106199005171236") is None


@given(divisions_with_known_province, birth_dates, sequences)
def test_a_generated_citizen_id_always_passes(division: str, birth: dt.date, sequence: int) -> None:
    citizen_id = make_citizen_id(division, birth, sequence)
    assert len(citizen_id) == 18
    assert check_citizen_id(citizen_id, today=TODAY) is None


@given(divisions_with_known_province, birth_dates, sequences, st.data())
def test_a_single_changed_character_breaks_a_citizen_id(
    division: str, birth: dt.date, sequence: int, data: st.DataObject
) -> None:
    citizen_id = make_citizen_id(division, birth, sequence)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    allowed = ID_CHECK_CHARS if position == 17 else ID_BODY_CHARS
    replacement = data.draw(
        st.sampled_from([char for char in allowed if char != citizen_id[position]]),
        label="replacement",
    )
    assert check_citizen_id(replace_at(citizen_id, position, replacement), today=TODAY) is not None


def test_a_lowercase_x_check_character_is_rejected_with_a_reason_saying_so() -> None:
    reason = check_citizen_id("11010519491231002x")
    assert reason is not None
    assert "uppercase" in reason
    assert "lowercase 'x'" in reason


@pytest.mark.parametrize("value", ["", "11010519491231002", "11010519491231002XX", "110105194912310"])
def test_a_citizen_id_of_the_wrong_length_is_rejected(value: str) -> None:
    assert check_citizen_id(value) == f"must be 18 characters, got {len(value)}"


def test_a_citizen_id_with_a_letter_in_its_body_is_rejected() -> None:
    assert check_citizen_id("1101051949123100AX") == "the first 17 characters must be digits"


def test_a_citizen_id_with_full_width_digits_is_rejected() -> None:
    assert check_citizen_id("１１0105194912310021") == "the first 17 characters must be digits"


def test_a_citizen_id_with_a_check_character_other_than_a_digit_or_x_is_rejected() -> None:
    assert check_citizen_id("11010519491231002Y") == "check character must be a digit or 'X', got 'Y'"


def test_a_citizen_id_born_in_the_future_is_rejected() -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    reason = check_citizen_id(make_citizen_id("440106", tomorrow, 1), today=TODAY)
    assert reason == "birth date 20240602 is in the future"


def test_a_citizen_id_born_today_is_accepted() -> None:
    assert check_citizen_id(make_citizen_id("440106", TODAY, 1), today=TODAY) is None


def test_a_citizen_id_born_years_from_now_is_rejected_against_the_real_clock() -> None:
    # Two years ahead so that the host's and China's dates differing around New Year cannot matter.
    year = dt.date.today().year + 2
    reason = check_citizen_id(make_citizen_id("440106", dt.date(year, 1, 1), 1))
    assert reason == f"birth date {year}0101 is in the future"


def test_a_citizen_id_born_on_february_30_is_rejected() -> None:
    body = "44010619900230123"
    reason = check_citizen_id(body + "0")
    assert reason == "birth date 19900230 is not a real calendar date"


def test_a_citizen_id_born_on_february_29_of_a_non_leap_year_is_rejected() -> None:
    reason = check_citizen_id("440106190002291230")
    assert reason == "birth date 19000229 is not a real calendar date"


def test_a_citizen_id_born_before_1900_is_rejected() -> None:
    reason = check_citizen_id(make_citizen_id("440106", dt.date(1899, 12, 31), 1))
    assert reason == "birth year 1899 is before 1900"


@pytest.mark.parametrize("province", ["00", "10", "20", "47", "66", "72", "83", "99"])
def test_a_citizen_id_from_an_unknown_province_is_rejected(province: str) -> None:
    citizen_id = make_citizen_id(province + "0106", dt.date(1990, 5, 17), 123)
    assert check_citizen_id(citizen_id) == f"unknown province code {province}"


def test_a_citizen_id_keeps_an_abolished_county_code_it_was_issued_under() -> None:
    # 440126 was 番禺县 before 1992; people born there still carry it.
    assert check_citizen_id(make_citizen_id("440126", dt.date(1985, 3, 2), 7)) is None


def test_a_citizen_id_with_a_wrong_check_digit_names_the_expected_one() -> None:
    assert check_citizen_id("110105194912310021") == "check digit mismatch: expected X"


def test_the_citizen_id_generator_rejects_out_of_range_arguments() -> None:
    with pytest.raises(ValueError):
        make_citizen_id("4401", dt.date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_citizen_id("440106", dt.date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_citizen_id("440106", dt.date(1990, 1, 1), -1)


# --- Unified social credit codes -----------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # a widely cited example; all three checked by hand
        "914403001922038216",
        "91330100799655058B",
    ],
)
def test_hand_checked_credit_codes_are_valid(code: str) -> None:
    assert check_credit_code(code) is None


def test_generated_credit_codes_match_their_hand_computed_form() -> None:
    assert make_credit_code("440106", 0) == "91440106000000000T"
    assert make_credit_code("440106", 12345678) == "91440106000DBCMM5L"
    assert make_credit_code("440106", 31**8 - 1) == "91440106YYYYYYYY7L"


@given(any_six_digits, credit_sequences, authorities, entity_types)
def test_a_generated_credit_code_always_passes(division: str, sequence: int, authority: str, entity_type: str) -> None:
    code = make_credit_code(division, sequence, authority, entity_type)
    assert len(code) == 18
    assert set(code) <= set(CREDIT_CHARSET)
    assert check_credit_code(code) is None


@given(any_six_digits, credit_sequences, authorities, entity_types, st.data())
def test_a_single_changed_character_breaks_a_credit_code(
    division: str, sequence: int, authority: str, entity_type: str, data: st.DataObject
) -> None:
    code = make_credit_code(division, sequence, authority, entity_type)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(
        st.sampled_from([char for char in CREDIT_CHARSET if char != code[position]]),
        label="replacement",
    )
    assert check_credit_code(replace_at(code, position, replacement)) is not None


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433"])
def test_a_credit_code_of_the_wrong_length_is_rejected(code: str) -> None:
    assert check_credit_code(code) == f"must be 18 characters, got {len(code)}"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_a_credit_code_with_a_letter_outside_the_charset_is_rejected(
    letter: str,
) -> None:
    reason = check_credit_code(replace_at("91350100M000100Y43", 8, letter))
    assert reason is not None
    assert "position 9 is not allowed" in reason


def test_a_lowercase_credit_code_is_rejected_with_a_reason_saying_so() -> None:
    reason = check_credit_code("91350100m000100y43")
    assert reason == "character 'm' at position 9 must be uppercase"


@pytest.mark.parametrize("authority", ["B", "C", "0"])
def test_a_credit_code_from_an_unknown_registration_authority_is_rejected(
    authority: str,
) -> None:
    reason = check_credit_code(replace_at("91350100M000100Y43", 0, authority))
    assert reason == f"unknown registration authority code {authority!r}"


def test_a_credit_code_with_a_letter_in_its_division_is_rejected() -> None:
    reason = check_credit_code(replace_at("91350100M000100Y43", 4, "A"))
    assert reason == "positions 3-8 must be a 6-digit division code, got '35A100'"


def test_a_credit_code_with_entity_type_zero_is_rejected() -> None:
    assert check_credit_code("90350100M000100Y43") == "entity type must be a digit 1-9, got '0'"


def test_a_credit_code_with_a_wrong_check_character_names_the_expected_one() -> None:
    assert check_credit_code("91350100M000100Y40") == "check character mismatch: expected 3"


def test_the_credit_code_generator_rejects_out_of_range_arguments() -> None:
    with pytest.raises(ValueError):
        make_credit_code("44010", 1)
    with pytest.raises(ValueError):
        make_credit_code("440106", 31**8)
    with pytest.raises(ValueError):
        make_credit_code("440106", 1, authority="B")
    with pytest.raises(ValueError):
        make_credit_code("440106", 1, entity_type="0")


# --- Division codes ------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(DIVISIONS))
def test_every_division_in_the_shipped_table_is_valid_and_named(code: str) -> None:
    assert check_division_code(code) is None
    assert division_name(code)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("440106", "天河区"),
        ("440102", "东山区"),
        ("440107", "芳村区"),
        ("440183", "增城市"),
        ("440118", "增城区"),
        ("440100", "广州市"),
        ("440300", "深圳市"),
        ("445300", "云浮市"),
        ("440000", "广东省"),
        ("810000", "香港特别行政区"),
    ],
)
def test_known_divisions_carry_their_chinese_names(code: str, name: str) -> None:
    assert division_name(code) == name


def test_a_division_outside_the_table_has_no_name() -> None:
    assert division_name("110105") is None


def test_guangzhou_keeps_seventeen_current_and_historic_codes() -> None:
    assert len(GUANGZHOU_DISTRICTS) == 17


@pytest.mark.parametrize("code", ["110105", "310115", "650102", "441900", "442000", "440304"])
def test_divisions_elsewhere_are_checked_for_structure_only(code: str) -> None:
    assert check_division_code(code) is None


@pytest.mark.parametrize("code", ["440199", "440101", "440108", "440181", "440126"])
def test_an_unknown_guangzhou_district_is_rejected(code: str) -> None:
    assert check_division_code(code) == f"unknown Guangzhou district code {code}"


@pytest.mark.parametrize("code", ["441000", "441100", "442100", "445400", "449900"])
def test_an_unknown_guangdong_prefecture_is_rejected(code: str) -> None:
    assert check_division_code(code) == f"unknown Guangdong prefecture code {code[:4]}"


def test_a_county_code_directly_under_the_province_is_rejected() -> None:
    assert check_division_code("440001") == "unknown Guangdong prefecture code 4400"


@pytest.mark.parametrize("code", ["000000", "100000", "470000", "990101"])
def test_a_division_in_an_unknown_province_is_rejected(code: str) -> None:
    assert check_division_code(code) == f"unknown province code {code[:2]}"


@pytest.mark.parametrize("code", ["", "44010", "4401060", "44O106", "４４0106", " 440106"])
def test_a_division_code_that_is_not_six_ascii_digits_is_rejected(code: str) -> None:
    assert check_division_code(code) == f"must be 6 digits, got {code!r}"


# --- Phones, postal codes, e-mail addresses and dates --------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",
        "19912345678",
        "020-87654321",
        "02087654321",
        "0755-8765432",
        "0763-3456789",
        "010-62345678-1234",
        "020-83331234-8",
    ],
)
def test_mainland_mobile_and_fixed_line_numbers_are_valid(phone: str) -> None:
    assert check_phone(phone) is None


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12800138000",
        "1380013800",
        "138001380000",
        "+8613800138000",
        "138 0013 8000",
        "020-876543",
        "020-876543210",
        "020-07654321",
        "20-87654321",
        "020-87654321-12345",
        "020-87654321-",
        "020--87654321",
        "１3800138000",
    ],
)
def test_malformed_phone_numbers_are_rejected(phone: str) -> None:
    assert check_phone(phone) is not None


def test_a_phone_reason_points_at_the_kind_of_number_attempted() -> None:
    assert "mobile" in (check_phone("12800138000") or "")
    assert "fixed-line" in (check_phone("020-123") or "")


@pytest.mark.parametrize("code", ["510000", "510640", "100080", "010010"])
def test_six_digit_postal_codes_are_valid(code: str) -> None:
    assert check_postal_code(code) is None


@pytest.mark.parametrize("code", ["", "51000", "5100000", "51000A", "５10000", "510 000"])
def test_postal_codes_that_are_not_six_digits_are_rejected(code: str) -> None:
    assert check_postal_code(code) == f"must be 6 digits, got {code!r}"


@pytest.mark.parametrize(
    "email",
    [
        "zhang.san@gz.gov.cn",
        "data-center+alerts@example.com",
        "a@b.co",
        "o'brien@mail.example.org",
        "user@example.xn--fiqs8s",
    ],
)
def test_practical_email_addresses_are_valid(email: str) -> None:
    assert check_email(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plainaddress",
        "@gz.gov.cn",
        "zhang@",
        "zhang@gz",
        "zhang..san@gz.gov.cn",
        ".zhang@gz.gov.cn",
        "zhang@-gz.gov.cn",
        "zhang@gz.gov.c",
        "zhang san@gz.gov.cn",
        "zhang@san@gz.gov.cn",
        "张三@gz.gov.cn",
    ],
)
def test_malformed_email_addresses_are_rejected(email: str) -> None:
    assert check_email(email) is not None


def test_an_email_with_an_overlong_local_part_is_rejected() -> None:
    assert check_email("a" * 65 + "@gz.gov.cn") is not None
    assert check_email("a" * 64 + "@gz.gov.cn") is None


def test_an_overlong_email_is_rejected() -> None:
    assert check_email("a@" + "b" * 60 + ("." + "c" * 60) * 4 + ".cn") is not None


@pytest.mark.parametrize("date", ["2024-02-29", "2000-02-29", "1900-01-01", "2024-12-31"])
def test_real_iso_dates_are_valid(date: str) -> None:
    assert check_date(date) is None


@pytest.mark.parametrize(
    "date",
    [
        "2024-02-30",
        "2023-02-29",
        "1900-02-29",
        "2024-13-01",
        "2024-00-10",
        "0000-01-01",
    ],
)
def test_impossible_calendar_dates_are_rejected(date: str) -> None:
    assert check_date(date) == f"{date} is not a real calendar date"


@pytest.mark.parametrize(
    "date",
    [
        "",
        "20240229",
        "2024-2-29",
        "2024/02/29",
        "2024-W05-3",
        "2024-02-29T00:00",
        "２024-02-29",
    ],
)
def test_dates_not_written_yyyy_mm_dd_are_rejected(date: str) -> None:
    assert check_date(date) == f"must be a date written YYYY-MM-DD, got {date!r}"


@given(st.dates())
def test_every_calendar_date_written_in_iso_form_passes(date: dt.date) -> None:
    assert check_date(f"{date.year:04d}-{date.month:02d}-{date.day:02d}") is None


# --- The format registry -------------------------------------------------------------------


def test_format_checks_are_registered_under_their_lowercase_names() -> None:
    assert {
        "citizen_id": check_citizen_id,
        "credit_code": check_credit_code,
        "division_code": check_division_code,
        "phone": check_phone,
        "date": check_date,
        "postal_code": check_postal_code,
        "email": check_email,
    } == FORMAT_CHECKS


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("citizen_id", "11010519491231002X"),
        ("credit_code", "91350100M000100Y43"),
        ("division_code", "440106"),
        ("phone", "020-87654321"),
        ("date", "2024-06-01"),
        ("postal_code", "510000"),
        ("email", "zhang.san@gz.gov.cn"),
    ],
)
def test_each_registered_format_check_accepts_a_valid_value_and_rejects_garbage(name: str, valid: str) -> None:
    check = FORMAT_CHECKS[name]
    assert check(valid) is None
    reason = check("not a valid value")
    assert isinstance(reason, str)
    assert reason
