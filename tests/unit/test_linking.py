"""Unit tests for the masters linking rules and the incremental linker (govmesh.services.masters.domain)."""

import datetime as dt

import pytest

from govmesh.kernel.identifiers import make_citizen_id, make_credit_code
from govmesh.services.masters.domain.comparisons import LinkageModel, default_model
from govmesh.services.masters.domain.linker import IncrementalLinker, InMemoryCandidateIndex, LinkDecision
from govmesh.services.masters.domain.records import DepartmentRecord, Kind, prepare
from govmesh.services.masters.domain.rules import DecisionKind, Thresholds, conflict

ADDRESS = "广州市天河区体育西路123号1201室"
CODE_A = make_credit_code("440106", 1001)
CODE_B = make_credit_code("440106", 1002)


def enterprise(record_id: str, name: str, department: str = "AIC", **fields: str) -> DepartmentRecord:
    defaults = {"address": ADDRESS, "legal_rep": "张伟", "district": "440106", "established": "2008-03-05"}
    return DepartmentRecord(
        kind=Kind.ENTERPRISE, department=department, record_id=record_id, name=name, **(defaults | fields)
    )


def person(record_id: str, name: str, department: str = "PSB", **fields: str) -> DepartmentRecord:
    defaults = {"address": ADDRESS, "district": "440106", "birth_date": "1975-10-03", "gender": "女"}
    return DepartmentRecord(
        kind=Kind.PERSON, department=department, record_id=record_id, name=name, **(defaults | fields)
    )


@pytest.fixture
def linker() -> IncrementalLinker:
    return IncrementalLinker(InMemoryCandidateIndex())


def test_the_seeds_two_names_of_one_enterprise_link_to_one_master(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "广州市美华科技有限公司"))
    second = linker.link(enterprise("9", "广州美华科技有限责任公司", department="LTB"))
    assert first.kind is DecisionKind.NEW
    assert second.kind is DecisionKind.LINKED
    assert second.master_id == first.master_id
    assert second.evidence is not None
    assert second.evidence.method == "fellegi_sunter"
    assert second.evidence.score >= Thresholds().link
    assert {"name", "address", "legal_rep"} <= set(second.evidence.agreed)


def test_a_valid_credit_code_decides_even_when_every_other_field_differs(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "美华科技有限公司", uscc=CODE_A))
    renamed = linker.link(
        enterprise("2", "宏达贸易有限公司", uscc=CODE_A.lower(), address="番禺区市桥街1号", legal_rep="李四")
    )
    assert renamed.kind is DecisionKind.LINKED
    assert renamed.master_id == first.master_id
    assert renamed.evidence is not None
    assert (renamed.evidence.method, renamed.evidence.score) == ("exact_credit_code", 1.0)


def test_conflicting_valid_credit_codes_are_never_merged_however_alike(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "广州市美华科技有限公司", uscc=CODE_A))
    second = linker.link(enterprise("2", "广州市美华科技有限公司", uscc=CODE_B, department="LTB"))
    assert second.kind is DecisionKind.NEW
    assert second.master_id != first.master_id


def test_a_record_without_a_code_never_joins_a_master_holding_another_code(linker: IncrementalLinker) -> None:
    holder_a = linker.link(enterprise("1", "美华科技有限公司", uscc=CODE_A))
    linker.link(enterprise("2", "美华科技有限公司", department="LTB"))  # joins A by the model
    newcomer = linker.link(enterprise("3", "美华科技有限公司", uscc=CODE_B, department="QTS"))
    assert newcomer.master_id != holder_a.master_id


def test_a_branch_is_never_merged_with_its_parent(linker: IncrementalLinker) -> None:
    parent = linker.link(enterprise("1", "广州市美华科技有限公司"))
    branch = linker.link(enterprise("2", "广州市美华科技有限公司天河分公司", department="LTB"))
    assert branch.master_id != parent.master_id
    assert branch.kind is DecisionKind.NEW


def test_a_joint_stock_company_is_not_the_limited_company_of_the_same_words(linker: IncrementalLinker) -> None:
    limited = linker.link(enterprise("1", "美华科技有限公司"))
    joint_stock = linker.link(enterprise("2", "美华科技股份有限公司", department="LTB"))
    assert joint_stock.master_id != limited.master_id


def test_rules_name_why_two_records_can_never_be_one() -> None:
    parent = prepare(enterprise("1", "美华科技有限公司"))
    assert conflict(parent, prepare(enterprise("2", "美华科技有限公司天河分公司"))) == "branch differs"
    assert conflict(parent, prepare(enterprise("3", "美华科技股份有限公司"))) == "company form differs"
    with_a = prepare(enterprise("4", "美华科技有限公司", uscc=CODE_A))
    assert conflict(with_a, prepare(enterprise("5", "美华科技有限公司", uscc=CODE_B))) == "valid identifiers differ"
    assert conflict(parent, prepare(enterprise("6", "广州美华科技有限责任公司"))) is None


def test_traditional_full_width_and_typed_variants_link(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "广州市美华科技有限公司"))
    for number, variant in enumerate(["廣州美華科技有限公司", "美华（广州）科技有限公司", "美華科技有限公司"], start=2):
        decision = linker.link(enterprise(str(number), variant, department="QTS", established=""))
        assert decision.master_id == first.master_id, variant


def test_an_invalid_identifier_is_reported_and_the_record_still_links_by_its_fields(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "美华科技有限公司", uscc=CODE_A))
    mistyped = CODE_A[:5] + ("1" if CODE_A[5] != "1" else "2") + CODE_A[6:]
    second = linker.link(enterprise("2", "广州美华科技有限公司", uscc=mistyped, department="LTB"))
    assert second.identifier_problem is not None
    assert "check character" in second.identifier_problem
    assert second.master_id == first.master_id
    assert second.evidence is not None and "identifier_text" in second.evidence.agreed


def test_a_15_digit_id_number_links_to_its_18_digit_form_by_the_rule(linker: IncrementalLinker) -> None:
    citizen_id = make_citizen_id("440112", dt.date(1975, 10, 3), 64)
    first = linker.link(person("1", "胡丽娟", id_number=citizen_id))
    old = linker.link(person("2", "胡丽娟", department="SSB", id_number=citizen_id[:6] + citizen_id[8:17]))
    assert old.master_id == first.master_id
    assert old.evidence is not None and old.evidence.method == "exact_id_number"


def test_two_people_with_a_common_name_and_different_birth_dates_stay_apart(linker: IncrementalLinker) -> None:
    first = linker.link(person("1", "张伟", birth_date="1975-10-03"))
    second = linker.link(person("2", "张伟", birth_date="1982-04-17", address="海珠区江南大道9号", district="440105"))
    assert second.master_id != first.master_id


def test_a_swapped_character_in_a_person_name_links_on_birth_date_and_address(linker: IncrementalLinker) -> None:
    first = linker.link(person("1", "徐子涵"))
    second = linker.link(person("2", "徐涵子", department="SSB"))
    assert second.master_id == first.master_id


def test_a_probable_but_uncertain_link_goes_to_review_not_into_the_master() -> None:
    linker = IncrementalLinker(InMemoryCandidateIndex(), thresholds=Thresholds(link=0.999999, review=0.5))
    first = linker.link(enterprise("1", "美华科技有限公司", legal_rep="", established=""))
    second = linker.link(enterprise("2", "美华科技有限公司", department="LTB", legal_rep="", established=""))
    assert second.kind is DecisionKind.REVIEW
    assert second.master_id != first.master_id
    assert second.proposed_master_id == first.master_id
    assert second.evidence is not None
    assert Thresholds().review <= second.evidence.score < 0.999999


def test_an_unlike_record_starts_its_own_master(linker: IncrementalLinker) -> None:
    first = linker.link(enterprise("1", "美华科技有限公司"))
    other = linker.link(
        enterprise("2", "宏达贸易有限公司", address="番禺区市桥街1号", legal_rep="李四", established="2019-01-01")
    )
    assert isinstance(other, LinkDecision)
    assert (other.kind, other.evidence) == (DecisionKind.NEW, None)
    assert other.master_id != first.master_id


def test_the_same_name_in_another_district_with_another_address_is_another_enterprise(
    linker: IncrementalLinker,
) -> None:
    first = linker.link(enterprise("1", "美华科技有限公司", legal_rep="王芳"))
    other = linker.link(
        enterprise("2", "美华科技有限公司", district="440113", address="番禺区市桥街1号", legal_rep="陈静",
                   established="2015-06-01")
    )  # fmt: skip
    assert other.master_id != first.master_id


def test_a_model_survives_its_json_form() -> None:
    model = default_model(Kind.PERSON)
    assert LinkageModel.from_dict(model.to_dict()) == model


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        Thresholds(link=0.5, review=0.9)
