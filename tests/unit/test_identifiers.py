"""Unit tests for the GB 11643 and GB 32100 identifiers in govmesh.kernel.identifiers.

The first two sections hold the same expectations as tests/unit/test_standards.py, so that the
catalog's validators can delegate to this module without any change of behaviour.
"""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from govmesh.kernel.catalog.divisions import PROVINCES
from govmesh.kernel.identifiers import (
    check_citizen_id,
    check_credit_code,
    check_organisation_code,
    citizen_id_birth_date,
    citizen_id_gender,
    make_citizen_id,
    make_credit_code,
    normalise_citizen_id,
    normalise_credit_code,
    upgrade_citizen_id,
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


# --- Normalisation and the 15-digit form -----------------------------------------------------


def test_a_15_digit_number_is_upgraded_with_the_century_and_a_check_character() -> None:
    # 440106 900517 123 -> born 1990-05-17: the same person as the hand-computed 18-digit example.
    assert upgrade_citizen_id("440106900517123") == "440106199005171236"


@given(
    divisions_with_known_province, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), sequences
)
def test_upgrading_the_15_digit_form_of_any_1900s_number_gives_the_number_back(
    division: str, birth: dt.date, sequence: int
) -> None:
    citizen_id = make_citizen_id(division, birth, sequence)
    old_form = citizen_id[:6] + citizen_id[8:17]
    assert upgrade_citizen_id(old_form) == citizen_id
    assert normalise_citizen_id(old_form, today=TODAY) == citizen_id


@pytest.mark.parametrize("value", ["44010690051712", "4401069005171234", "44010690051712X"])
def test_only_a_15_digit_number_can_be_upgraded(value: str) -> None:
    with pytest.raises(ValueError):
        upgrade_citizen_id(value)


@pytest.mark.parametrize(
    "typed",
    ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ", "110105-19491231-002X"],
)
def test_normalising_undoes_case_width_and_separators(typed: str) -> None:
    assert normalise_citizen_id(typed) == "11010519491231002X"


@pytest.mark.parametrize("value", ["", "110105194912310021", "440106900230123", "abc"])
def test_normalising_an_invalid_citizen_id_gives_none(value: str) -> None:
    assert normalise_citizen_id(value) is None


@given(divisions_with_known_province, birth_dates, sequences)
def test_normalising_a_valid_citizen_id_is_idempotent(division: str, birth: dt.date, sequence: int) -> None:
    citizen_id = make_citizen_id(division, birth, sequence)
    once = normalise_citizen_id(citizen_id.lower(), today=TODAY)
    assert once == citizen_id
    assert normalise_citizen_id(once, today=TODAY) == once


def test_birth_date_and_gender_are_read_from_the_number() -> None:
    assert citizen_id_birth_date("440106199005171236") == dt.date(1990, 5, 17)
    assert citizen_id_gender("440106199005171236") == "M"  # sequence 123: odd
    assert citizen_id_gender(make_citizen_id("440106", dt.date(1990, 5, 17), 124)) == "F"


def test_credit_codes_are_normalised_from_lowercase_full_width_and_spaces() -> None:
    assert normalise_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert normalise_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    assert normalise_credit_code("91350100M000100Y40") is None


def test_the_organisation_code_inside_a_credit_code_is_checked_on_request() -> None:
    # Same GB 32100 check character, but the GB 11714 organisation code's own check character is wrong.
    first17 = "91440106" + "00000000" + "1"
    code = first17 + uscc.calc_check_digit(first17 + "0")
    assert check_credit_code(code) is None
    assert check_credit_code(code, strict_organisation_code=True) == (
        "organisation code check character mismatch: expected 0"
    )


@given(any_six_digits, credit_sequences)
def test_generated_credit_codes_carry_a_valid_organisation_code(division: str, sequence: int) -> None:
    code = make_credit_code(division, sequence)
    assert check_organisation_code(code[8:17]) is None
    assert check_credit_code(code, strict_organisation_code=True) is None


@pytest.mark.parametrize("code", ["M000100Y4", "192203821", "799655058"])
def test_the_organisation_codes_of_the_hand_checked_credit_codes_are_valid(code: str) -> None:
    assert check_organisation_code(code) is None
