"""Row scopes, actions that are not about items, and the policy kept as changes arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govmesh.kernel.policy import convert as policy_convert
from govmesh.kernel.policy.model import (
    ALL_ROWS,
    AccessQuery,
    Action,
    Grant,
    GrantMode,
    GrantState,
    ItemPolicy,
    PolicyChange,
    Reason,
    Row,
    RowScope,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.policy import ENDED_GRANT_RETENTION, Policy
from govmesh.kernel.policy.principals import department_principal, parse_principal_name
from govmesh.kernel.policy.rows import contains, division_covers, union

NOW = datetime(2009, 6, 1, 12, 0, tzinfo=UTC)


def a_grant(grant_id: int = 1, **fields: object) -> Grant:
    values: dict[str, object] = {
        "id": grant_id,
        "subject": "102.001",
        "provider": "AIC",
        "items": ("102.001.021",),
        "mode": GrantMode.POINT_TO_POINT,
        "consumer_departments": ("LTAX",),
        "consumer_groups": (),
        "actions": frozenset(),
        "purpose": "tax",
        "legal_basis": "law",
        "start_time": NOW - timedelta(days=1),
        "end_time": NOW + timedelta(days=30),
        "row_scope": ALL_ROWS,
        "state": GrantState.APPROVED,
        "applicant": "principals/department/LTAX",
    }
    values.update(fields)
    return Grant(**values)  # type: ignore[arg-type]


def a_policy(*grants: Grant) -> Policy:
    return Policy.from_contents(
        SnapshotContents(
            10,
            4,
            [
                ItemPolicy("102.001", "102.001.001", "AIC", SharingType.UNCONDITIONAL),
                ItemPolicy("102.001", "102.001.021", "AIC", SharingType.CONDITIONAL),
            ],
            [department_principal("AIC", "工商局", []), department_principal("LTAX", "地税局", ["tax-bureaus"])],
            list(grants),
        )
    )


@pytest.mark.parametrize(
    ("scope", "row", "inside"),
    [
        ("440000", "440106", True),
        ("440100", "440106", True),
        ("440100", "440300", False),
        ("440106", "440106", True),
        ("440106", "440103", False),
        ("440106", "440100", False),
    ],
)
def test_a_division_covers_the_divisions_inside_it(scope: str, row: str, inside: bool) -> None:
    assert division_covers(scope, row) is inside


def test_a_row_is_in_a_scope_when_any_condition_holds() -> None:
    scope = RowScope(division_codes=("440106",), entity_keys=("K1",), requested_entities_only=True)
    assert contains(scope, Row(division_code="440106"))
    assert contains(scope, Row(division_code="440103", entity_key="K1"))
    assert contains(scope, Row(entity_key="K2", entity_key_requested=True))
    assert not contains(scope, Row(division_code="440103", entity_key="K2"))
    assert not contains(RowScope(), Row(division_code="440106"))
    assert contains(ALL_ROWS, Row())


def test_scopes_of_several_grants_combine_by_union_naming_outermost_divisions() -> None:
    combined = union([RowScope(division_codes=("440106",)), RowScope(division_codes=("440100",), entity_keys=("K",))])
    assert combined == RowScope(division_codes=("440100",), entity_keys=("K",))
    assert union([RowScope(entity_keys=("K",)), ALL_ROWS]) == ALL_ROWS


def test_a_requested_entities_only_grant_serves_requests_but_not_subscriptions() -> None:
    policy = a_policy(a_grant(row_scope=RowScope(requested_entities_only=True)))
    asked = AccessQuery("department", "LTAX", Action.REQUEST, "102.001", ("102.001.021",))
    assert policy.decide(asked, NOW).reason is Reason.GRANTED
    subscribed = AccessQuery("department", "LTAX", Action.SUBSCRIBE, "102.001", ("102.001.021",))
    assert policy.decide(subscribed, NOW).reason is Reason.ACTION_NOT_GRANTED


@pytest.mark.parametrize(
    ("kind", "action", "reason"),
    [
        ("maintainer", Action.CATALOG_WRITE, Reason.ROLE),
        ("department", Action.CATALOG_WRITE, Reason.ROLE_REQUIRED),
        ("auditor", Action.AUDIT_READ, Reason.ROLE),
        ("admin", Action.AUDIT_READ, Reason.ROLE),
        ("department", Action.AUDIT_READ, Reason.ROLE_REQUIRED),
        ("service", Action.POLICY_READ, Reason.ROLE),
        ("admin", Action.POLICY_READ, Reason.ROLE_REQUIRED),
        ("admin", Action.HUB_ADMINISTER, Reason.ROLE),
        ("department", Action.CATALOG_READ, Reason.ROLE),
        ("anonymous", Action.CATALOG_READ, Reason.UNKNOWN_PRINCIPAL),
    ],
)
def test_actions_not_about_items_are_decided_by_role(kind: str, action: Action, reason: Reason) -> None:
    code = "AIC" if kind == "department" else "someone"
    assert a_policy().decide(AccessQuery(kind, code, action), NOW).reason is reason


def test_grant_decisions_belong_to_the_provider_and_revocation_also_to_administrators() -> None:
    policy = a_policy(a_grant())
    approve = AccessQuery("department", "AIC", Action.GRANT_APPROVE, resource="grants/1")
    assert policy.decide(approve, NOW).reason is Reason.PROVIDER
    by_consumer = AccessQuery("department", "LTAX", Action.GRANT_APPROVE, resource="grants/1")
    assert policy.decide(by_consumer, NOW).reason is Reason.NOT_PROVIDER
    assert policy.decide(AccessQuery("admin", "hub", Action.GRANT_REVOKE, "102.001"), NOW).reason is Reason.ROLE
    assert (
        policy.decide(AccessQuery("admin", "hub", Action.GRANT_APPROVE, "102.001"), NOW).reason is Reason.NOT_PROVIDER
    )
    read = AccessQuery("department", "LTAX", Action.GRANT_READ, resource="grants/1")
    assert policy.decide(read, NOW).allowed
    stranger = AccessQuery("department", "AIC", Action.GRANT_APPLY, resource="grants/1")
    assert policy.decide(stranger, NOW).reason is Reason.NOT_OWNER


def test_a_rejected_grant_leaves_the_policy_and_an_old_ended_one_leaves_the_snapshot() -> None:
    policy = a_policy(a_grant())
    policy.apply(PolicyChange(11, NOW, grant=a_grant(state=GrantState.REJECTED)))
    assert policy.grants == {} and policy.revision == 11
    policy.apply(PolicyChange(11, NOW, grant=a_grant(2)))  # an old revision is ignored
    assert policy.grants == {}
    long_ago = NOW - ENDED_GRANT_RETENTION - timedelta(days=1)
    policy.apply(PolicyChange(12, NOW, grant=a_grant(3, state=GrantState.REVOKED, end_time=long_ago)))
    policy.apply(PolicyChange(13, NOW, grant=a_grant(4, state=GrantState.REVOKED)))
    assert [g.id for g in policy.contents(NOW).grants] == [4]


def test_a_removed_item_is_unknown_and_leaves_the_subjects_item_list() -> None:
    policy = a_policy()
    policy.apply(
        PolicyChange(11, NOW, item=ItemPolicy("102.001", "102.001.021", "AIC", SharingType.CONDITIONAL, removed=True))
    )
    assert policy.subject_items("102.001") == ("102.001.001",)
    query = AccessQuery("department", "AIC", Action.PUBLISH, "102.001", ("102.001.021",))
    assert policy.decide(query, NOW).reason is Reason.UNKNOWN_ITEM


def test_principal_names_read_both_spellings_of_the_administrator_kind() -> None:
    assert parse_principal_name("principals/admin/hub") == ("admin", "hub")
    assert parse_principal_name("principals/administrator/hub") == ("admin", "hub")
    assert parse_principal_name("principals/department/..") is None
    assert parse_principal_name("departments/AIC") is None


def test_a_grant_survives_the_trip_through_its_message() -> None:
    grant = a_grant(
        7,
        actions=frozenset({Action.VERIFY}),
        row_scope=RowScope(division_codes=("440106",)),
        consumer_groups=("tax-bureaus",),
        mode=GrantMode.ONE_TO_MANY,
        create_time=NOW,
        update_time=NOW,
        revision=12,
    )
    assert policy_convert.grant_from_proto(policy_convert.grant_to_proto(grant)) == grant
    change = PolicyChange(12, NOW, grant=grant)
    assert policy_convert.change_from_proto(policy_convert.change_to_proto(change)) == change


def test_a_decision_says_until_when_time_alone_leaves_it_standing() -> None:
    starts = NOW + timedelta(hours=2)
    ends = NOW + timedelta(hours=5)
    policy = a_policy(a_grant(1, end_time=ends), a_grant(2, start_time=starts, end_time=NOW + timedelta(days=9)))
    query = AccessQuery("department", "LTAX", Action.SUBSCRIBE, "102.001", ("102.001.021",))
    assert policy.decide(query, NOW).valid_until == starts
    assert policy.decide(query, starts).valid_until == ends
    assert policy.decide(query, ends).reason is Reason.GRANTED  # the later grant holds on
    unconditional = AccessQuery("department", "LTAX", Action.SUBSCRIBE, "102.001", ("102.001.001",))
    assert policy.decide(unconditional, NOW).valid_until is None
