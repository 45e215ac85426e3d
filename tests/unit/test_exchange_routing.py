"""Routing a request by master record: each holder asked by its own key, answers mapped back to the asked key."""

from __future__ import annotations

from govmesh.services.exchange.domain.requests import ReplyStatus, Target
from govmesh.services.exchange.domain.routing import HeldRecord, master_ids, routes

AIC = HeldRecord("AIC", "102.001", "91440106MA5AAAAA1X")
QTS = HeldRecord("QTS", "102.010", "MA5AAAAA-1")
LTAX = HeldRecord("LTAX", "102.020", "440106MA5AAAAA1")


def test_master_ids_are_the_masters_keys_among_the_entity_keys_once_each() -> None:
    assert master_ids(["masters/m1", "91440106MA5AAAAA1X", "masters/m1", "masters/", "masters/a-b", "masters/m2"]) == [
        "m1",
        "m2",
    ]


def test_each_holder_is_asked_by_its_own_key_and_answers_under_the_master_key() -> None:
    found = routes({"masters/m1": [AIC, QTS]}, [], {"102.001": True, "102.010": True})

    assert [(r.department, r.subjects, r.own_keys) for r in found] == [
        ("AIC", ("102.001",), ("91440106MA5AAAAA1X",)),
        ("QTS", ("102.010",), ("MA5AAAAA-1",)),
    ]
    assert found[1].asked_by == {"MA5AAAAA-1": "masters/m1"}


def test_a_holding_the_requester_may_not_know_of_or_did_not_ask_about_is_not_routed_to() -> None:
    knowable = {"102.001": True, "102.010": False, "102.020": True}

    assert [r.department for r in routes({"masters/m1": [AIC, QTS, LTAX]}, [], knowable)] == ["AIC", "LTAX"]
    assert [r.department for r in routes({"masters/m1": [AIC, QTS, LTAX]}, ["102.020"], knowable)] == ["LTAX"]


def test_a_record_without_a_subject_is_not_routed_to() -> None:
    assert routes({"masters/m1": [HeldRecord("AIC", "", "k-1")]}, [], {"": True}) == []


def test_two_masters_held_by_one_department_are_one_route_with_both_keys() -> None:
    other = HeldRecord("AIC", "102.001", "91440106MA5BBBBB2Y")
    (route,) = routes({"masters/m1": [AIC], "masters/m2": [other]}, [], {"102.001": True})

    assert route.asked_by == {"91440106MA5AAAAA1X": "masters/m1", "91440106MA5BBBBB2Y": "masters/m2"}
    assert route.subjects == ("102.001",)


def test_a_routed_target_is_asked_by_its_own_keys_and_its_answers_are_told_under_the_asked_keys() -> None:
    target = Target("QTS", ReplyStatus.PENDING, ("102.010",), keys=(("MA5AAAAA-1", "masters/m1"),))
    plain = Target("AIC", ReplyStatus.PENDING, ("102.001",))

    assert target.entity_keys(["masters/m1"]) == ("MA5AAAAA-1",)
    assert target.as_asked(["MA5AAAAA-1", "91440106MA5AAAAA1X"]) == ("masters/m1",), "an unasked key is dropped"
    assert plain.entity_keys(["k1"]) == ("k1",) and plain.as_asked(["k1"]) == ("k1",)
