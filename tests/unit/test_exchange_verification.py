"""Verification of claims as predicates: every record of an entity compared, each claim only where its subject is."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from govmesh.services.exchange.domain.records import Record
from govmesh.services.exchange.domain.requests import Claim, Operator, Predicate, Verdict, satisfies, verify_claims

EVERYTHING = frozenset({"101.003.001", "101.003.008", "202.002.008", "202.002.014", "203.001.001"})


def held(subject: str, entity: str, **values: tuple[str, object]) -> Record:
    return Record(
        subject,
        entity,
        "440106",
        dt.datetime(2008, 5, 1, tzinfo=dt.UTC),
        {k.replace("_", "."): v for k, v in values.items()},
    )


def verdicts(results: list, subject: str) -> list[tuple[str, Verdict]]:
    (result,) = [r for r in results if r.subject_code == subject]
    return [(i.item_code, i.verdict) for i in result.items]


def test_one_department_providing_two_subjects_has_every_record_compared() -> None:
    # Civil affairs provides marriage registrations (101.003) and low-income families (202.002).
    records = [
        held("101.003", "P1", **{"101_003_001": ("enum", "结婚登记")}),
        held("202.002", "P1", **{"202_002_008": ("decimal", "30000.00"), "202_002_014": ("enum", "有效")}),
    ]
    claim = Claim(
        "P1",
        {"101.003.001": ("enum", "结婚登记")},
        (Predicate("202.002.008", Operator.AT_MOST, (("decimal", "36000"),)),),
    )
    results = verify_claims([claim], records, [], lambda _r: EVERYTHING, ["101.003", "202.002"])
    assert verdicts(results, "101.003") == [("101.003.001", Verdict.MATCH)]
    assert verdicts(results, "202.002") == [("202.002.008", Verdict.MATCH)]


def test_a_claim_about_another_departments_subject_is_left_to_that_department() -> None:
    records = [held("101.003", "P1", **{"101_003_001": ("enum", "结婚登记")})]
    claim = Claim("P1", {"101.003.001": ("enum", "结婚登记")}, (Predicate("203.001.001", Operator.ABSENT),))
    results = verify_claims([claim], records, [], lambda _r: EVERYTHING, ["101.003"])
    assert [r.subject_code for r in results] == ["101.003"]  # no NOT_ALLOWED for the housing claim here
    assert results[0].verdict is Verdict.MATCH


def test_absent_holds_when_the_target_has_no_record_and_fails_when_it_has_one() -> None:
    claim = Claim("P1", {}, (Predicate("203.001.001", Operator.ABSENT),))
    (nothing,) = verify_claims([claim], [], ["P1"], lambda _r: EVERYTHING, ["203.001"])
    assert nothing.verdict is Verdict.MATCH
    owned = [held("203.001", "P1", **{"203_001_001": ("string", "粤房地证字第1号")})]
    (something,) = verify_claims([claim], owned, [], lambda _r: EVERYTHING, ["203.001"])
    assert something.verdict is Verdict.MISMATCH


def test_every_record_must_satisfy_the_claim() -> None:
    records = [
        held("202.002", "P1", **{"202_002_008": ("decimal", "20000")}),
        held("202.002", "P1", **{"202_002_008": ("decimal", "50000")}),
    ]
    claim = Claim("P1", {}, (Predicate("202.002.008", Operator.LESS_THAN, (("decimal", "36000"),)),))
    (result,) = verify_claims([claim], records, [], lambda _r: EVERYTHING, ["202.002"])
    assert result.verdict is Verdict.MISMATCH


def test_an_item_the_requester_may_not_verify_is_not_allowed_and_a_missing_value_says_so() -> None:
    records = [held("202.002", "P1", **{"202_002_014": ("enum", "有效")})]
    claim = Claim(
        "P1",
        {},
        (
            Predicate("202.002.008", Operator.AT_MOST, (("decimal", "1"),)),
            Predicate("202.002.014", Operator.IN_SET, (("enum", "有效"), ("enum", "失效"))),
        ),
    )
    (result,) = verify_claims([claim], records, [], lambda _r: frozenset({"202.002.014"}), ["202.002"])
    assert [(i.item_code, i.verdict) for i in result.items] == [
        ("202.002.008", Verdict.NOT_ALLOWED),
        ("202.002.014", Verdict.MATCH),
    ]
    (result,) = verify_claims([claim], records, [], lambda _r: EVERYTHING, ["202.002"])
    assert result.items[0].verdict is Verdict.NO_VALUE


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_numeric_predicates_agree_with_arithmetic(value: int, low: int, high: int) -> None:
    v = ("integer", value)
    assert satisfies(v, Predicate("x", Operator.LESS_THAN, (("decimal", str(low)),))) is (value < low)
    assert satisfies(v, Predicate("x", Operator.AT_MOST, (("integer", low),))) is (value <= low)
    within = Predicate("x", Operator.WITHIN_RANGE, (("integer", low), ("integer", high)))
    assert satisfies(v, within) is (low <= value <= high)
    assert satisfies(v, Predicate("x", Operator.IN_SET, (("integer", low), ("integer", value)))) is True


@given(st.dates(), st.dates())
def test_dates_compare_as_dates(day: dt.date, limit: dt.date) -> None:
    predicate = Predicate("x", Operator.LESS_THAN, (("date", limit.isoformat()),))
    assert satisfies(("date", day.isoformat()), predicate) is (day < limit)
