"""Unit tests for catalog search over an in-memory catalog view (catalog.domain.view.CatalogView)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.model import DepartmentLevel, SharingType, Version
from govmesh.kernel.catalog.view import CatalogView, MatchKind, ResourceKind, SearchHit
from tests.unit.builders import department, item, subject

MARKET = department("gsj", name_zh="市场监督管理局", name_en="Market Regulation Bureau")
TAX = department("ds", name_zh="地方税务局", name_en="Local Taxation Bureau")
YUEXIU = department("yx", name_zh="越秀区政府", name_en="Yuexiu District", level=DepartmentLevel.DISTRICT)

REGISTRATION = subject(
    item(1, name_zh="企业名称", name_en="Enterprise Name"),
    item(2, name_zh="统一社会信用代码", name_en="Unified Social Credit Code"),
    item(
        3,
        name_zh="法定代表人身份证号",
        name_en="Legal Representative ID",
        sharing_type=SharingType.NOT_SHARED,
        sharing_conditions="personal data",
    ),
    item(4, name_zh="IC卡号", name_en="Smart Card Number"),
    item(5, name_zh="企业名称变更日期", name_en="Enterprise Name Change Date"),
    code="102.001",
    name_zh="企业登记信息",
    name_en="Enterprise Registration",
    provider="gsj",
)
TAX_REGISTRATION = subject(
    item(
        1,
        "103.001",
        name_zh="纳税人名称",
        name_en="Taxpayer Name",
        sharing_type=SharingType.CONDITIONAL,
        sharing_conditions="by grant",
    ),
    item(
        2,
        "103.001",
        name_zh="年度纳税总额",
        name_en="Annual Tax Total",
        sharing_type=SharingType.CONDITIONAL,
        sharing_conditions="by grant",
    ),
    code="103.001",
    name_zh="纳税登记",
    name_en="Tax Registration",
    provider="ds",
)
VIEW = CatalogView([YUEXIU, TAX, MARKET], [TAX_REGISTRATION, REGISTRATION], revision=7)

ALL_NAMES = [
    name
    for entry in (MARKET, TAX, YUEXIU, REGISTRATION, TAX_REGISTRATION, *REGISTRATION.items, *TAX_REGISTRATION.items)
    for name in (entry.name_zh, entry.name_en)
]


def codes(hits: list[SearchHit]) -> list[str]:
    return [h.code for h in hits]


def first(query: str, **filters: object) -> SearchHit:
    hits = VIEW.search(query, **filters)  # type: ignore[arg-type]
    assert hits, f"nothing found for {query!r}"
    return hits[0]


# -- what ranks first ---------------------------------------------------------------------------


def test_an_empty_query_finds_nothing() -> None:
    assert list(VIEW.search("")) == []
    assert list(VIEW.search("   ")) == []


def test_an_exact_code_ranks_before_the_codes_it_prefixes() -> None:
    hits = VIEW.search("102.001")
    assert (hits[0].code, hits[0].kind, hits[0].match) == ("102.001", ResourceKind.SUBJECT, MatchKind.EXACT_CODE)
    assert set(codes(hits[1:6])) == {"102.001.001", "102.001.002", "102.001.003", "102.001.004", "102.001.005"}
    assert all(h.match == MatchKind.PREFIX for h in hits[1:6])


def test_an_exact_item_code_finds_that_item_first() -> None:
    hit = first("103.001.002")
    assert (hit.code, hit.kind, hit.match) == ("103.001.002", ResourceKind.ITEM, MatchKind.EXACT_CODE)
    assert (hit.name_zh, hit.department, hit.sharing_type) == ("年度纳税总额", "ds", SharingType.CONDITIONAL)


def test_a_department_code_matches_whatever_its_case() -> None:
    hit = first("GSJ")
    assert (hit.code, hit.kind, hit.match) == ("gsj", ResourceKind.DEPARTMENT, MatchKind.EXACT_CODE)


def test_an_exact_chinese_name_is_an_exact_name_match() -> None:
    hit = first("统一社会信用代码")
    assert (hit.code, hit.match) == ("102.001.002", MatchKind.EXACT_NAME)


def test_an_exact_english_name_matches_whatever_its_case_and_surrounding_space() -> None:
    hit = first("  tax REGISTRATION ")
    assert (hit.code, hit.match) == ("103.001", MatchKind.EXACT_NAME)


def test_a_chinese_name_holding_latin_letters_is_found_by_its_exact_name() -> None:
    for query in ("IC卡号", "ic卡号"):
        hit = first(query)
        assert (hit.code, hit.match) == ("102.001.004", MatchKind.EXACT_NAME)
    assert first("IC卡").match == MatchKind.PREFIX


@pytest.mark.parametrize("query", ["企业名称", "enterprise name"])
def test_an_exact_name_ranks_before_names_it_is_the_start_of(query: str) -> None:
    hits = VIEW.search(query)
    assert [(h.code, h.match) for h in hits[:2]] == [
        ("102.001.001", MatchKind.EXACT_NAME),
        ("102.001.005", MatchKind.PREFIX),
    ]


def test_prefixes_rank_before_substrings() -> None:
    hits = VIEW.search("tax")
    kinds = {h.code: h.match for h in hits}
    assert kinds["103.001"] == MatchKind.PREFIX  # Tax Registration
    assert kinds["103.001.001"] == MatchKind.PREFIX  # Taxpayer Name
    assert kinds["103.001.002"] == MatchKind.SUBSTRING  # Annual Tax Total
    assert kinds["ds"] == MatchKind.SUBSTRING  # Local Taxation Bureau
    assert codes(hits).index("103.001.002") > codes(hits).index("103.001.001")


def test_a_chinese_prefix_is_a_prefix_match() -> None:
    hits = VIEW.search("企业")
    assert {h.code for h in hits if h.match == MatchKind.PREFIX} == {"102.001", "102.001.001", "102.001.005"}


def test_a_near_miss_is_found_as_a_fuzzy_match() -> None:
    hits = VIEW.search("enterprize name")
    assert "102.001.001" in codes(hits)
    assert {h.match for h in hits} == {MatchKind.FUZZY}


def test_fuzzy_matches_rank_after_every_literal_match() -> None:
    hits = VIEW.search("tax registratio")  # a prefix of one name, and close to others
    matches = [h.match for h in hits]
    assert MatchKind.FUZZY in matches
    assert matches.index(MatchKind.FUZZY) > max(i for i, m in enumerate(matches) if m != MatchKind.FUZZY)


def test_an_unrelated_query_finds_nothing() -> None:
    assert list(VIEW.search("qqqzzzxxx")) == []


@given(st.sampled_from(ALL_NAMES), st.data())
def test_any_part_of_a_name_finds_it_and_hits_are_ranked_by_how_they_matched(name: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    end = data.draw(st.integers(min_value=start + 1, max_value=len(name)))
    query = name[start:end]
    if not query.strip():
        return
    hits = VIEW.search(query)
    assert any(name in (h.name_zh, h.name_en) for h in hits)
    assert [h.match for h in hits] == sorted(h.match for h in hits)
    assert len(codes(hits)) == len({(h.kind, h.code) for h in hits}), "each resource at most once"


# -- filters ------------------------------------------------------------------------------------


def test_a_kind_filter_keeps_only_that_kind() -> None:
    hits = VIEW.search("enterprise", kinds=frozenset({ResourceKind.ITEM}))
    assert codes(hits) == ["102.001.001", "102.001.005"]


def test_a_department_filter_keeps_only_that_departments_resources() -> None:
    hits = VIEW.search("registration", department="ds")
    assert codes(hits) == ["103.001"]


def test_a_sharing_filter_keeps_only_items_shared_that_way() -> None:
    hits = VIEW.search("102.001", sharing_type=SharingType.NOT_SHARED)
    assert codes(hits) == ["102.001.003"]


def test_filters_also_apply_to_fuzzy_matches() -> None:
    assert "102.001.001" in codes(VIEW.search("enterprize name", department="gsj"))
    assert "102.001.001" not in codes(VIEW.search("enterprize name", department="ds"))
    assert "102.001.001" not in codes(VIEW.search("enterprize name", kinds=frozenset({ResourceKind.SUBJECT})))


@given(
    query=st.sampled_from(["102", "103.001", "name", "tax", "registration", "企业", "纳税", "enterprize", "bureau"]),
    kinds=st.frozensets(st.sampled_from([ResourceKind.DEPARTMENT, ResourceKind.SUBJECT, ResourceKind.ITEM])),
    department_code=st.sampled_from(["", "gsj", "ds", "yx"]),
    sharing=st.sampled_from([None, *SharingType]),
)
def test_every_hit_passes_every_filter(
    query: str, kinds: frozenset[str], department_code: str, sharing: SharingType | None
) -> None:
    for hit in VIEW.search(query, kinds=kinds, department=department_code, sharing_type=sharing):
        assert not kinds or hit.kind in kinds
        assert not department_code or hit.department == department_code
        assert sharing is None or hit.sharing_type is sharing


# -- the rest of the view -----------------------------------------------------------------------


def test_departments_list_city_ones_before_district_ones_then_by_code() -> None:
    assert [d.code for d in VIEW.departments] == ["ds", "gsj", "yx"]


def test_item_owners_map_each_item_code_to_its_subject() -> None:
    owners = VIEW.item_owners()
    assert owners["102.001.003"] == "102.001"
    assert owners["103.001.002"] == "103.001"
    assert len(owners) == 7


def test_a_subject_versions_record_schema_is_compiled_once() -> None:
    assert VIEW.schema(REGISTRATION) is VIEW.schema(REGISTRATION)
    newer = subject(*REGISTRATION.items, code="102.001", version=Version(1, 1))
    assert VIEW.schema(newer) is not VIEW.schema(REGISTRATION)
    assert VIEW.schema(newer).version == Version(1, 1)
