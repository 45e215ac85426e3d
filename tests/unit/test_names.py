"""Unit tests for the name and address normalisation steps in govmesh.kernel.names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.names import (
    chinese_numerals_to_digits,
    collapse_whitespace,
    company_forms_compatible,
    normalise_address,
    normalise_enterprise_name,
    normalise_person_name,
    split_branch,
    split_company_form,
    split_industry,
    strip_parenthesised_regions,
    strip_region_prefix,
    to_half_width,
    to_simplified,
    unify_brackets,
)

# Characters that are neither division names, company forms nor industry words, for trade names.
TRADE_CHARS = "美华新宏达盛兴隆泰丰源恒利顺昌嘉瑞福星光明"
TRADITIONAL_PAIRS = {"广": "廣", "东": "東", "华": "華", "兴": "興", "达": "達", "丰": "豐", "顺": "順", "门": "門"}
ASCII_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))
MIXED_TEXT = st.text(alphabet=ASCII_PRINTABLE + " \u3000（）【】〔〕·" + TRADE_CHARS + "廣東華興達豐順門", max_size=30)

trade_names = st.text(alphabet=TRADE_CHARS, min_size=2, max_size=4)
industries = st.sampled_from(["科技", "贸易", "实业", "餐饮管理", "电子", "物流", "科技发展"])
region_prefixes = st.sampled_from(["", "广州市", "广州", "广东省广州市", "广东省", "广东广州", "广州市天河区"])
forms = st.sampled_from(["有限公司", "有限责任公司"])


def to_full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def to_traditional(text: str) -> str:
    return "".join(TRADITIONAL_PAIRS.get(char, char) for char in text)


def chinese_number(value: int) -> str:
    """An independent rendering of 0..99999 in Chinese numerals, the way people write them."""
    digits = "零一二三四五六七八九"
    if value == 0:
        return "零"
    parts: list[str] = []
    pending_zero = False
    for unit_value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit_value % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(("" if unit == "十" and not parts and digit == 1 else digits[digit]) + unit)
    return "".join(parts)


# --- Single steps: idempotent, and doing what they say ------------------------------------------


@given(st.text(alphabet=ASCII_PRINTABLE, max_size=30))
def test_full_width_ascii_becomes_half_width(text: str) -> None:
    assert to_half_width(to_full_width(text)) == text


@given(MIXED_TEXT)
def test_half_width_is_idempotent(text: str) -> None:
    assert to_half_width(to_half_width(text)) == to_half_width(text)


@given(MIXED_TEXT)
def test_collapsing_whitespace_is_idempotent_and_leaves_no_runs_or_ends(text: str) -> None:
    once = collapse_whitespace(to_half_width(text))
    assert collapse_whitespace(once) == once
    assert "  " not in once
    assert once == once.strip()


def test_no_space_is_kept_between_chinese_characters_but_one_between_latin_words() -> None:
    assert collapse_whitespace("美 华  科技 ABC   Tech") == "美华科技ABC Tech"


@given(MIXED_TEXT)
def test_unified_brackets_are_all_ascii_round_ones_and_idempotent(text: str) -> None:
    once = unify_brackets(text)
    assert unify_brackets(once) == once
    assert not set(once) & set("（）【】〔〕[]［］")


@given(st.text(alphabet=TRADE_CHARS + "".join(TRADITIONAL_PAIRS.values()), max_size=20))
def test_simplified_conversion_is_idempotent(text: str) -> None:
    once = to_simplified(text)
    assert to_simplified(once) == once
    assert not set(once) & set(TRADITIONAL_PAIRS.values())


def test_traditional_names_become_simplified() -> None:
    assert to_simplified("廣州市東圃鎮") == "广州市东圃镇"


@given(region_prefixes, trade_names, industries)
def test_region_prefixes_are_stripped_once_and_for_all(prefix: str, trade: str, industry: str) -> None:
    rest, region = strip_region_prefix(prefix + trade + industry)
    assert rest == trade + industry
    assert (region is None) == (prefix == "")
    assert strip_region_prefix(rest) == (rest, None)


def test_a_region_prefix_is_not_stripped_when_nothing_would_be_left() -> None:
    assert strip_region_prefix("广州市广州") == ("广州", "广州市")
    assert strip_region_prefix("广州") == ("广州", None)


def test_a_short_district_name_is_not_taken_for_a_prefix() -> None:
    # 天河城 is a trade name; only the full district name 天河区 is an administrative prefix.
    assert strip_region_prefix("天河城百货") == ("天河城百货", None)
    assert strip_region_prefix("天河区美华百货") == ("美华百货", "天河区")


@given(trade_names, st.sampled_from(["广州", "广州市", "中国", "深圳"]), industries)
def test_a_bracketed_region_inside_a_name_is_removed(trade: str, region: str, industry: str) -> None:
    rest, found = strip_parenthesised_regions(f"{trade}({region}){industry}")
    assert rest == trade + industry
    assert found


@given(trade_names, industries, st.sampled_from(["有限公司", "有限责任公司", "股份有限公司", "公司"]))
def test_the_company_form_is_split_off_and_canonicalised(trade: str, industry: str, form: str) -> None:
    rest, canonical = split_company_form(trade + industry + form)
    assert rest == trade + industry
    assert canonical == {"有限责任公司": "有限公司"}.get(form, form)
    assert split_company_form(rest) == (rest, None)


def test_limited_and_limited_liability_are_one_form_but_joint_stock_is_another() -> None:
    assert normalise_enterprise_name("美华科技有限公司").form == normalise_enterprise_name("美华科技有限责任公司").form
    assert normalise_enterprise_name("美华科技有限公司").form != normalise_enterprise_name("美华科技股份有限公司").form
    assert not company_forms_compatible("有限公司", "股份有限公司")
    assert company_forms_compatible("公司", "有限公司")
    assert company_forms_compatible(None, "股份有限公司")


@given(trade_names, industries, forms, st.sampled_from(["天河分公司", "北京路营业部", "第一分公司", "广州分行"]))
def test_a_branch_is_split_off_and_is_never_its_parent(trade: str, industry: str, form: str, branch: str) -> None:
    parent_name = trade + industry + form
    parent, found = split_branch(parent_name + branch)
    assert (parent, found) == (parent_name, branch)
    assert normalise_enterprise_name(parent_name + branch) != normalise_enterprise_name(parent_name)
    assert normalise_enterprise_name(parent_name + branch).is_branch


def test_a_branch_without_a_company_form_is_cut_after_the_industry_word() -> None:
    assert split_branch("美华酒家北京路分店") == ("美华酒家", "北京路分店")


def test_two_branches_in_different_cities_stay_different() -> None:
    assert normalise_enterprise_name("美华银行广州分行") != normalise_enterprise_name("美华银行深圳分行")


@given(trade_names, industries)
def test_the_industry_is_split_from_the_trade_name(trade: str, industry: str) -> None:
    assert split_industry(trade + industry) == (trade, industry)


# --- Composed: the seed's variants all meet ------------------------------------------------------


@given(region_prefixes, trade_names, industries, forms, st.data())
def test_every_written_variant_of_one_enterprise_normalises_alike(
    prefix: str, trade: str, industry: str, form: str, data: st.DataObject
) -> None:
    reference = normalise_enterprise_name(f"{trade}{industry}有限公司")
    variant = prefix + trade + industry + form
    if data.draw(st.booleans(), label="traditional"):
        variant = to_traditional(variant)
    if data.draw(st.booleans(), label="full width"):
        variant = to_full_width(variant)
    if data.draw(st.booleans(), label="spaces"):
        variant = " ".join(variant)
    found = normalise_enterprise_name(variant)
    assert (found.core, found.form, found.branch) == (reference.core, reference.form, reference.branch)


def test_the_seeds_two_names_for_one_enterprise_normalise_alike() -> None:
    assert normalise_enterprise_name("广州市美华公司").canonical == normalise_enterprise_name("广州美华公司").canonical
    assert normalise_enterprise_name("美华（广州）科技有限公司").canonical == "美华科技有限公司"


@given(MIXED_TEXT)
def test_enterprise_normalisation_is_idempotent_on_its_canonical_form(text: str) -> None:
    once = normalise_enterprise_name(text)
    twice = normalise_enterprise_name(once.canonical)
    assert twice.canonical == once.canonical


@given(MIXED_TEXT)
def test_person_name_normalisation_is_idempotent_and_drops_spaces_and_dots(text: str) -> None:
    once = normalise_person_name(text)
    assert normalise_person_name(once) == once
    assert not set(once) & set(" ·・\u3000")


def test_person_names_lose_middle_dots_width_and_traditional_forms() -> None:
    assert normalise_person_name("買買提·艾力") == normalise_person_name("买买提艾力") == "买买提艾力"
    assert normalise_person_name("張 偉") == "张伟"


@given(st.integers(min_value=0, max_value=99999))
def test_chinese_numerals_become_their_value(value: int) -> None:
    assert chinese_numerals_to_digits(chinese_number(value) + "号") == f"{value}号"


@pytest.mark.parametrize(("written", "digits"), [("二〇〇八室", "2008室"), ("十三号", "13号"), ("两百弄", "200弄")])
def test_chinese_numerals_written_digit_by_digit_or_with_units(written: str, digits: str) -> None:
    assert chinese_numerals_to_digits(written) == digits


@given(MIXED_TEXT)
def test_address_normalisation_is_idempotent(text: str) -> None:
    once = normalise_address(text)
    assert normalise_address(once) == once


def test_address_variants_of_one_place_normalise_alike() -> None:
    expected = "体育西路123号B座18楼"
    assert normalise_address("廣東省廣州市天河區體育西路一百二十三號 B座 十八楼") == expected
    assert normalise_address("广州天河区体育西路123号Ｂ座18楼") == expected
