"""Normalisation of enterprise names, person names and addresses, each step a pure function."""

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import opencc

from govmesh.kernel.catalog.divisions import GUANGDONG_PREFECTURES, GUANGZHOU_DISTRICTS, PROVINCES

__all__ = [
    "EnterpriseName",
    "chinese_numerals_to_digits",
    "collapse_whitespace",
    "company_forms_compatible",
    "normalise_address",
    "normalise_enterprise_name",
    "normalise_person_name",
    "split_branch",
    "split_company_form",
    "split_industry",
    "strip_parenthesised_regions",
    "strip_region_prefix",
    "to_half_width",
    "to_simplified",
    "unify_brackets",
]

# --- Single steps ------------------------------------------------------------------------------


def to_half_width(text: str) -> str:
    """NFKC: full-width letters, digits and punctuation become their half-width forms."""
    return unicodedata.normalize("NFKC", text)


# The OpenCC wheel for 1.1 accepted 't2s' and 't2s.json'; 1.2+ accept both too, so the bare name is used.
_T2S: Final = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters to simplified ones with OpenCC's t2s dictionaries (廣州 → 广州)."""
    return str(_T2S.convert(text))


_CJK: Final = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_RUN: Final = re.compile(r"\s+")
_SPACE_NEXT_TO_CJK: Final = re.compile(rf"(?<=[{_CJK}()]) | (?=[{_CJK}()])")


def collapse_whitespace(text: str) -> str:
    """Whitespace runs become one space, and none is kept beside a Chinese character or a bracket.

    Chinese writes no spaces between words, so a space there is an artefact of data entry;
    between Latin words (an English trade name) a single space is meaningful and kept.
    """
    single = _SPACE_RUN.sub(" ", text).strip()
    return _SPACE_NEXT_TO_CJK.sub("", single)


_BRACKETS: Final = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")",
                                  "[": "(", "]": ")", "［": "(", "］": ")", "｛": "(", "｝": ")",
                                  "{": "(", "}": ")", "〈": "(", "〉": ")", "《": "(", "》": ")"})  # fmt: skip


def unify_brackets(text: str) -> str:
    """Every bracket form (（）【】〔〕[] …) becomes ASCII round brackets."""
    return text.translate(_BRACKETS)


# --- Administrative divisions ------------------------------------------------------------------

_DIVISION_SUFFIX: Final = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市|区)$")


def _short_name(full: str) -> str:
    return _DIVISION_SUFFIX.sub("", full)


def _division_aliases(full_names: list[str], *, with_short: bool) -> dict[str, str]:
    aliases = {name: name for name in full_names}
    if with_short:
        # A one-character short name (e.g. none today, but 京 for 北京) is too ambiguous to strip.
        aliases.update({_short_name(name): name for name in full_names if len(_short_name(name)) >= 2})
    return aliases


# Districts are stripped only in their full form: a short district name ("天河") is often a trade name.
_PREFIX_ALIASES: Final = {
    **_division_aliases(list(PROVINCES.values()), with_short=True),
    **_division_aliases(list(GUANGDONG_PREFECTURES.values()), with_short=True),
    **_division_aliases([name for name in GUANGZHOU_DISTRICTS.values() if name.endswith("区")], with_short=False),
    **_division_aliases([name for name in GUANGZHOU_DISTRICTS.values() if name.endswith("市")], with_short=True),
}
_PREFIX_PATTERN: Final = re.compile("|".join(sorted(map(re.escape, _PREFIX_ALIASES), key=len, reverse=True)))
_BRACKETED_REGION: Final = re.compile(
    r"\((" + "|".join(sorted(map(re.escape, {*_PREFIX_ALIASES, "中国", "国际"}), key=len, reverse=True)) + r")\)"
)
# Leave at least this much of a name: "广州市广州" is the trade name 广州, not an empty name.
_MIN_CORE_LENGTH: Final = 2


def strip_region_prefix(text: str) -> tuple[str, str | None]:
    """Remove leading division names (广东省广州市, 广州市, 广州, 天河区); the rest and the full names removed."""
    removed: list[str] = []
    rest = text
    while (match := _PREFIX_PATTERN.match(rest)) is not None and len(rest) - match.end() >= _MIN_CORE_LENGTH:
        removed.append(_PREFIX_ALIASES[match.group()])
        rest = rest[match.end() :]
    return rest, ("".join(removed) or None)


def strip_parenthesised_regions(text: str) -> tuple[str, str | None]:
    """Remove division names written in brackets inside a name: 某某(广州)科技 → 某某科技."""
    found = [_PREFIX_ALIASES.get(match, match) for match in _BRACKETED_REGION.findall(text)]
    return _BRACKETED_REGION.sub("", text), ("".join(found) or None)


# --- Company form, branch and industry ----------------------------------------------------------

# Longest first, so that 股份有限公司 is never read as 有限公司. 有限责任公司 is the same legal form as
# 有限公司 (Company Law art. 7 allows either wording); 股份有限公司 is a different form.
_COMPANY_FORMS: Final = (
    ("合伙企业(有限合伙)", "有限合伙"),
    ("合伙企业(普通合伙)", "普通合伙"),
    ("股份合作公司", "股份合作公司"),
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限公司"),
    ("个人独资企业", "个人独资企业"),
    ("(有限合伙)", "有限合伙"),
    ("(普通合伙)", "普通合伙"),
    ("有限公司", "有限公司"),
    ("合伙企业", "合伙企业"),
    ("公司", "公司"),
)
_FORM_PATTERN: Final = re.compile("|".join(re.escape(written) for written, _ in _COMPANY_FORMS))
_CANONICAL_FORM: Final = dict(_COMPANY_FORMS)
_BRANCH_WORDS: Final = re.compile(r"(分公司|分店|营业部|分部|办事处|分厂|分行|支行|分所|经营部|门市部|分中心)$")
# Without a company form to split at, a branch is named by a place of this many characters before its word.
_BRANCH_PLACE_LENGTH: Final = 2


def split_company_form(text: str) -> tuple[str, str | None]:
    """Split a trailing company form off a name, canonicalised: (rest, form), form None if there is none."""
    for written, canonical in _COMPANY_FORMS:
        if text.endswith(written) and len(text) > len(written):
            return text[: -len(written)], canonical
    return text, None


def split_branch(text: str) -> tuple[str, str | None]:
    """Split a branch designation (…天河分公司, …北京路分店) off a name: (parent name, branch part).

    The branch part is what follows the parent's company form; with no form in the name, what
    follows the parent's industry word (某某酒家|北京路分店), else the branch word and the two
    characters naming its place.
    """
    word = _BRANCH_WORDS.search(text)
    if word is None:
        return text, None
    cut = _parent_end(text, word.start())
    if cut < _MIN_CORE_LENGTH:
        return text, None
    # The branch keeps its place name whole: 广州分行 and 深圳分行 are two branches, never one.
    return text[:cut], text[cut:]


def _parent_end(text: str, branch_word_start: int) -> int:
    forms = list(_FORM_PATTERN.finditer(text, 0, branch_word_start))
    if forms:
        return forms[-1].end()
    industries = [match for match in _INDUSTRY_WORD.finditer(text, 0, branch_word_start) if match.start() > 0]
    if industries:
        return industries[-1].end()
    return max(branch_word_start - _BRANCH_PLACE_LENGTH, 0)


def company_forms_compatible(left: str | None, right: str | None) -> bool:
    """Whether two canonical forms can describe one enterprise: equal, unknown, or a bare 公司 beside a *公司."""
    if left is None or right is None or left == right:
        return True
    if left == "公司":
        return right.endswith("公司")
    if right == "公司":
        return left.endswith("公司")
    return False


# The industry (行业) part of a name under the enterprise-name rules: 区划 + 字号 + 行业 + 组织形式.
# Two names differing only here ("某某科技" / "某某贸易") are two enterprises, so it is kept apart.
_INDUSTRY_WORDS: Final = (
    "房地产开发", "信息技术", "文化传播", "物业管理", "餐饮管理", "货运代理", "企业管理", "投资管理",
    "科技", "贸易", "商贸", "实业", "投资", "电子", "建筑", "工程", "餐饮", "物流", "咨询", "服装",
    "食品", "医药", "房地产", "置业", "装饰", "印刷", "化工", "汽车", "机械", "网络", "广告", "教育",
    "酒店", "环保", "能源", "电器", "家具", "五金", "纺织", "塑料", "美容", "旅游", "运输", "设计",
    "生物", "新材料", "传媒", "软件", "农业", "药业", "酒家", "酒楼", "药房", "超市",
)  # fmt: skip
_INDUSTRY_WORD: Final = re.compile("|".join(sorted(map(re.escape, _INDUSTRY_WORDS), key=len, reverse=True)))
_INDUSTRY_SUFFIXES: Final = ("发展", "服务", "集团", "有限")
_INDUSTRY_PATTERN: Final = re.compile(
    "(" + "|".join(sorted(map(re.escape, _INDUSTRY_WORDS), key=len, reverse=True)) + ")"
    "(" + "|".join(_INDUSTRY_SUFFIXES) + ")*$"
)


def split_industry(core: str) -> tuple[str, str | None]:
    """Split the industry off a core name: 某某科技发展 → (某某, 科技发展); (core, None) if no known industry."""
    match = _INDUSTRY_PATTERN.search(core)
    if match is None or match.start() == 0:
        return core, None
    return core[: match.start()], match.group()


# --- Composed normalisations --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnterpriseName:
    """An enterprise name taken apart: what identifies it (core), its legal form, its branch part, its region."""

    core: str
    form: str | None
    branch: str | None
    region: str | None
    trade_name: str
    industry: str | None

    @property
    def is_branch(self) -> bool:
        return self.branch is not None

    @property
    def canonical(self) -> str:
        """The name without its region, with the canonical form: what two departments should agree on."""
        return f"{self.core}{self.form or ''}{self.branch or ''}"


def _clean_text(text: str) -> str:
    return collapse_whitespace(unify_brackets(to_simplified(to_half_width(text))))


def _drop_brackets(text: str) -> str:
    return text.replace("(", "").replace(")", "")


@functools.lru_cache(maxsize=1 << 16)
def normalise_enterprise_name(raw: str) -> EnterpriseName:
    """Normalise an enterprise name: width, brackets, traditional characters, region, form and branch.

    Cached: departments send the same names again and again, and the result is immutable.
    """
    text = _clean_text(raw)
    text, bracketed_region = strip_parenthesised_regions(text)
    parent, branch = split_branch(text)
    parent, form = split_company_form(parent)
    core, prefix_region = strip_region_prefix(_drop_brackets(parent))
    core = core or _drop_brackets(parent)
    trade_name, industry = split_industry(core)
    region = "".join(part for part in (prefix_region, bracketed_region) if part) or None
    return EnterpriseName(
        core=core,
        form=form,
        branch=_drop_brackets(branch) if branch else None,
        region=region,
        trade_name=trade_name,
        industry=industry,
    )


_NAME_DOTS: Final = re.compile(r"[\s·・•‧･.．\-]")


@functools.lru_cache(maxsize=1 << 16)
def normalise_person_name(raw: str) -> str:
    """Normalise a person's name: half-width, simplified, no spaces or middle dots (买买提·艾力 → 买买提艾力)."""
    return _NAME_DOTS.sub("", to_simplified(to_half_width(raw))).upper()


_NUMERAL_DIGITS: Final = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_NUMERAL_UNITS: Final = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL_RUN: Final = re.compile("[零〇一二两三四五六七八九十百千万]+")


def _numeral_value(run: str) -> str:
    if not any(char in _NUMERAL_UNITS for char in run):
        # Written digit by digit, like a year or a room: 二〇〇八 → 2008.
        return "".join(str(_NUMERAL_DIGITS[char]) for char in run)
    total, section, digit = 0, 0, 0
    for char in run:
        if char in _NUMERAL_DIGITS:
            digit = _NUMERAL_DIGITS[char]
            continue
        unit = _NUMERAL_UNITS[char]
        if unit == 10000:
            total += (section + digit) * unit
            section = 0
        else:
            # A bare unit stands for one of it: 十三 is 13, not 3.
            section += (digit or 1) * unit
        digit = 0
    return str(total + section + digit)


def chinese_numerals_to_digits(text: str) -> str:
    """Chinese numerals in a text become Arabic digits: 一百二十三号 → 123号, 二〇〇八 → 2008."""
    return _NUMERAL_RUN.sub(lambda match: _numeral_value(match.group()), text)


@functools.lru_cache(maxsize=1 << 16)
def normalise_address(raw: str) -> str:
    """Normalise an address: width, simplified characters, no spaces or brackets, no province or city
    prefix, Chinese numerals as digits. Units such as 号, 弄, 栋 and 室 are kept: they tell numbers apart.
    """
    text = _drop_brackets(_clean_text(raw)).replace(" ", "")
    text, _ = strip_region_prefix(text)
    return chinese_numerals_to_digits(text)
