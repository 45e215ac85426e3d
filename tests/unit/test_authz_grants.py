"""The life of a grant: what an application must say, which transitions the state machine allows, and when."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from govmesh.kernel.policy.grants import (
    TRANSITIONS,
    Application,
    Standing,
    check_application,
    new_grant,
    standing_at,
    transition,
)
from govmesh.kernel.policy.model import ALL_ROWS, Action, Grant, GrantEvent, GrantMode, GrantState, RowScope
from govmesh.runtime.errors import FailedPrecondition, ViolationCollector

NOW = datetime(2009, 6, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=90)
PROVIDER = "principals/department/AIC"


def application(**fields: object) -> Application:
    values: dict[str, object] = {
        "subject": "102.001",
        "items": ("102.001.021",),
        "mode": GrantMode.POINT_TO_POINT,
        "consumer_departments": ("LTAX",),
        "consumer_groups": (),
        "actions": frozenset(),
        "purpose": "tax registration of new enterprises",
        "legal_basis": "穗府办〔2008〕1号",
        "start_time": None,
        "end_time": LATER,
        "row_scope": None,
    }
    values.update(fields)
    return Application(**values)  # type: ignore[arg-type]


def problems(app: Application) -> list[str]:
    found = ViolationCollector()
    check_application(app, NOW, found)
    return [v.field for v in found.violations]


def grant(state: GrantState = GrantState.APPLIED, **fields: object) -> Grant:
    made = dataclasses.replace(
        new_grant(application(), provider="AIC", applicant="principals/department/LTAX", now=NOW), id=7
    )
    return dataclasses.replace(made, state=state, **fields)  # type: ignore[arg-type]


def test_a_complete_application_has_no_problems_and_becomes_an_applied_grant_for_every_row() -> None:
    assert problems(application()) == []
    made = new_grant(application(purpose="  tax  "), provider="AIC", applicant="principals/department/LTAX", now=NOW)
    assert (made.state, made.provider, made.row_scope, made.purpose) == (GrantState.APPLIED, "AIC", ALL_ROWS, "tax")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"items": ()}, "grant.items"),
        ({"items": ("102.001.021", "102.001.021")}, "grant.items"),
        ({"consumer_departments": ("LTAX", "NTAX")}, "grant.mode"),
        ({"consumer_groups": ("tax-bureaus",)}, "grant.mode"),
        ({"mode": GrantMode.ONE_TO_MANY}, "grant.mode"),
        ({"consumer_departments": ("LTAX", "LTAX"), "mode": GrantMode.ONE_TO_MANY}, "grant.consumer_departments"),
        ({"actions": frozenset({Action.PUBLISH})}, "grant.actions"),
        ({"purpose": "  "}, "grant.purpose"),
        ({"legal_basis": ""}, "grant.legal_basis"),
        ({"end_time": None}, "grant.end_time"),
        ({"end_time": NOW - timedelta(seconds=1)}, "grant.end_time"),
        ({"start_time": LATER, "end_time": LATER}, "grant.end_time"),
        ({"row_scope": RowScope(division_codes=("4401",))}, "grant.row_scope.division_codes[0]"),
        ({"row_scope": RowScope(division_codes=("440106",), entity_keys=("k",))}, "grant.row_scope"),
        ({"row_scope": RowScope(all_rows=True, requested_entities_only=True)}, "grant.row_scope"),
    ],
)
def test_an_application_that_does_not_say_what_it_must_names_the_field(fields: dict[str, object], field: str) -> None:
    assert field in problems(application(**fields))


def test_a_one_to_many_application_names_several_departments_or_a_group() -> None:
    assert problems(application(mode=GrantMode.ONE_TO_MANY, consumer_departments=("LTAX", "NTAX"))) == []
    groups_only = application(mode=GrantMode.ONE_TO_MANY, consumer_departments=(), consumer_groups=("tax-bureaus",))
    assert problems(groups_only) == []


def test_the_provider_approves_an_applied_grant_which_opens_at_approval_when_no_start_was_asked() -> None:
    approved = transition(grant(), GrantEvent.APPROVED, by=PROVIDER, reason="批准", now=NOW)
    assert (approved.state, approved.start_time, approved.decided_by, approved.decision_reason) == (
        GrantState.APPROVED,
        NOW,
        PROVIDER,
        "批准",
    )
    later_start = grant(start_time=NOW + timedelta(days=3))
    assert (
        transition(later_start, GrantEvent.APPROVED, by=PROVIDER, reason="", now=NOW).start_time
        == later_start.start_time
    )


ALLOWED = {(state, event) for event, (sources, _) in TRANSITIONS.items() for state in sources}


@pytest.mark.parametrize("state", list(GrantState))
@pytest.mark.parametrize("event", [GrantEvent.APPROVED, GrantEvent.REJECTED, GrantEvent.REVOKED])
def test_a_decision_is_taken_only_from_the_state_the_machine_allows(state: GrantState, event: GrantEvent) -> None:
    if (state, event) in ALLOWED:
        assert transition(grant(state), event, by=PROVIDER, reason="r", now=NOW).state is TRANSITIONS[event][1]
        return
    with pytest.raises(FailedPrecondition) as refused:
        transition(grant(state), event, by=PROVIDER, reason="r", now=NOW)
    assert refused.value.violations[0].type == "GRANT_STATE"
    if state is GrantState.REVOKED:
        assert refused.value.reason == "GRANT_REVOKED"


def test_the_machine_has_no_way_out_of_a_final_state() -> None:
    for state in GrantState:
        leaving = [event for event, (sources, _) in TRANSITIONS.items() if state in sources]
        assert (leaving == []) == state.final


def test_a_grant_past_its_end_cannot_be_approved_rejected_or_revoked_only_expire() -> None:
    ended = NOW + timedelta(days=91)
    for state, event in ((GrantState.APPLIED, GrantEvent.APPROVED), (GrantState.APPROVED, GrantEvent.REVOKED)):
        with pytest.raises(FailedPrecondition) as refused:
            transition(grant(state), event, by=PROVIDER, reason="r", now=ended)
        assert refused.value.reason == "GRANT_EXPIRED"
    expired = transition(
        grant(GrantState.APPROVED), GrantEvent.EXPIRED, by="principals/service/authz", reason="", now=ended
    )
    assert expired.state is GrantState.EXPIRED and expired.decided_by == ""
    with pytest.raises(FailedPrecondition):
        transition(grant(GrantState.APPROVED), GrantEvent.EXPIRED, by="principals/service/authz", reason="", now=NOW)


def test_a_grant_stands_by_its_state_and_the_clock() -> None:
    start, end = NOW + timedelta(days=1), NOW + timedelta(days=2)
    approved = grant(GrantState.APPROVED, start_time=start, end_time=end)
    assert standing_at(approved, NOW) is Standing.NOT_YET_VALID
    assert standing_at(approved, start) is Standing.ACTIVE
    assert standing_at(approved, end) is Standing.EXPIRED
    assert standing_at(grant(GrantState.APPLIED, end_time=end), NOW) is Standing.PENDING
    assert standing_at(grant(GrantState.APPLIED, end_time=end), end) is Standing.EXPIRED
    assert standing_at(grant(GrantState.REVOKED), NOW) is Standing.REVOKED
    assert standing_at(grant(GrantState.REJECTED), NOW) is Standing.REJECTED
