"""Unit tests for the GB 11643 and GB 32100 identifiers in govmesh.kernel.identifiers.

The checks and generators themselves are tested through the catalog's standards, which delegate
here (tests/unit/test_standards.py); this file tests what only this module does.
"""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from govmesh.kernel.catalog.divisions import PROVINCES
from govmesh.kernel.identifiers import (
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
