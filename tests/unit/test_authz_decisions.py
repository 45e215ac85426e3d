"""The decision function against a plain reference model, over random catalogs, grants and questions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.policy.model import (
    GRANTABLE_ACTIONS,
    AccessQuery,
    Action,
    Decision,
    Grant,
    GrantMode,
    GrantState,
    ItemDecision,
    ItemPolicy,
    PolicyChange,
    PrincipalEntry,
    Reason,
    Row,
    RowScope,
    SharingType,
    SnapshotContents,
)
from govmesh.kernel.policy.policy import Policy
from govmesh.kernel.policy.principals import department_principal
from govmesh.kernel.policy.rows import contains

NOW = datetime(2009, 6, 1, 12, 0, tzinfo=UTC)
DEPARTMENT_CODES = ["AIC", "QTS", "LTAX", "NTAX", "PSB"]
GROUPS = ["tax-bureaus", "district-governments", "market-regulators"]
SUBJECT_CODES = ["101.001", "102.001", "201.003"]
DIVISIONS = ["440000", "440100", "440103", "440106", "440300"]
KEYS = ["91440101A", "91440101B", "440103198001010011"]
RECEIVE_ACTIONS = [Action.SUBSCRIBE, Action.REQUEST, Action.READ, Action.VERIFY]
DATA_ACTIONS = [*RECEIVE_ACTIONS, Action.PUBLISH, Action.REPLY]


@dataclass(frozen=True)
class World:
    departments: list[PrincipalEntry]
    items: list[ItemPolicy]
    grants: list[Grant]

    def contents(self) -> SnapshotContents:
        return SnapshotContents(7, 3, list(self.items), list(self.departments), list(self.grants))


# -- generating worlds ---------------------------------------------------------------------------


@st.composite
def departments(draw: st.DrawFn) -> list[PrincipalEntry]:
    codes = draw(st.lists(st.sampled_from(DEPARTMENT_CODES), min_size=2, max_size=5, unique=True))
    return [department_principal(c, c, draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))) for c in codes]


@st.composite
def catalogs(draw: st.DrawFn, providers: list[str]) -> list[ItemPolicy]:
    items = []
    for subject in draw(st.lists(st.sampled_from(SUBJECT_CODES), min_size=1, max_size=3, unique=True)):
        provider = draw(st.sampled_from(providers))
        for n in range(1, draw(st.integers(1, 4)) + 1):
            sharing = draw(st.sampled_from(list(SharingType)))
            # Now and then an item the catalog dropped (never the first, so every subject keeps one).
            removed = n > 1 and draw(st.integers(0, 9)) == 0
            items.append(ItemPolicy(subject, f"{subject}.{n:03d}", provider, sharing, removed=removed))
    return items


row_scopes = st.one_of(
    st.just(RowScope(all_rows=True)),
    st.lists(st.sampled_from(DIVISIONS), min_size=1, max_size=2, unique=True).map(
        lambda codes: RowScope(division_codes=tuple(codes))
    ),
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True).map(
        lambda keys: RowScope(entity_keys=tuple(keys))
    ),
    st.just(RowScope(requested_entities_only=True)),
)
offsets = st.sampled_from([-400, -30, -1, 1, 30, 400]).map(lambda days: NOW + timedelta(days=days))


@st.composite
def grants(draw: st.DrawFn, items: list[ItemPolicy], codes: list[str]) -> list[Grant]:
    found = []
    for grant_id in range(1, draw(st.integers(0, 6)) + 1):
        subject = draw(st.sampled_from(sorted({i.subject for i in items})))
        of_subject = [i.item for i in items if i.subject == subject]
        start = draw(st.one_of(st.none(), offsets))
        end = draw(offsets)
        found.append(
            Grant(
                id=grant_id,
                subject=subject,
                provider=next(i.provider for i in items if i.subject == subject),
                # Grants here may name NOT_SHARED items too: applying refuses them, but the decision
                # function must deny them even if one got in.
                items=tuple(draw(st.lists(st.sampled_from(of_subject), min_size=1, unique=True))),
                mode=GrantMode.ONE_TO_MANY,
                consumer_departments=tuple(draw(st.lists(st.sampled_from(codes), max_size=2, unique=True))),
                consumer_groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=1, unique=True))),
                actions=frozenset(draw(st.lists(st.sampled_from(sorted(GRANTABLE_ACTIONS, key=str)), max_size=2))),
                purpose="p",
                legal_basis="l",
                start_time=start,
                end_time=end,
                row_scope=draw(row_scopes),
                state=draw(st.sampled_from(list(GrantState))),
                applicant="principals/department/LTAX",
            )
        )
    return found


@st.composite
def worlds(draw: st.DrawFn) -> World:
    registered = draw(departments())
    codes = [d.code for d in registered]
    items = draw(catalogs(codes))
    return World(registered, items, draw(grants(items, codes)))


@st.composite
def questions(draw: st.DrawFn, world: World) -> AccessQuery:
    kind, code = draw(
        st.one_of(
            st.sampled_from([("department", d.code) for d in world.departments]),
            st.sampled_from([("department", "NOBODY"), ("department", "TAX"), ("anonymous", "-")]),
            st.sampled_from([("admin", "hub"), ("auditor", "audit"), ("service", "exchange"), ("maintainer", "ops")]),
        )
    )
    subject = draw(st.sampled_from([*sorted({i.subject for i in world.items}), "999.999"]))
    every_code = [i.item for i in world.items] + ["999.999.001"]
    items = tuple(draw(st.lists(st.sampled_from(every_code), max_size=4, unique=True)))
    row = draw(
        st.one_of(
            st.none(),
            st.builds(
                Row,
                st.sampled_from([*DIVISIONS, "440104", ""]),
                st.sampled_from([*KEYS, ""]),
                st.booleans(),
            ),
        )
    )
    return AccessQuery(kind, code, draw(st.sampled_from(DATA_ACTIONS)), subject, items, row=row)


# -- the reference model -------------------------------------------------------------------------


def covers(grant: Grant, action: Action) -> bool:
    granted = grant.actions or GRANTABLE_ACTIONS
    requested_only = grant.row_scope == RowScope(requested_entities_only=True)
    if action is Action.SUBSCRIBE:
        return Action.SUBSCRIBE in granted and not requested_only
    if action is Action.REQUEST:
        return Action.REQUEST in granted
    if action is Action.VERIFY:
        return Action.VERIFY in granted or Action.REQUEST in granted
    return Action.REQUEST in granted or (Action.SUBSCRIBE in granted and not requested_only)


def reference(world: World, query: AccessQuery) -> tuple[Reason | None, list[tuple[str, Reason]]]:
    """The reason for the whole question when one applies, and per item the reason the rules give,
    written as plainly as possible."""
    department = next((d for d in world.departments if d.code == query.principal_code), None)
    of_subject = [i for i in world.items if i.subject == query.subject]
    codes = list(query.items) or sorted(i.item for i in of_subject if not i.removed)

    def whole(reason: Reason) -> tuple[Reason, list[tuple[str, Reason]]]:
        return reason, [(c, reason) for c in codes]

    if not of_subject:
        return whole(Reason.UNKNOWN_SUBJECT)
    if query.principal_kind == "anonymous" or (query.principal_kind == "department" and department is None):
        return whole(Reason.UNKNOWN_PRINCIPAL)
    if query.principal_kind != "department":
        return whole(Reason.ROLE_REQUIRED)
    assert department is not None
    provider = of_subject[0].provider
    if query.action in (Action.PUBLISH, Action.REPLY) and department.code != provider:
        return whole(Reason.NOT_PROVIDER)
    answers = []
    for code in codes:
        item = next((i for i in of_subject if i.item == code and not i.removed), None)
        if item is None:
            answers.append((code, Reason.UNKNOWN_ITEM))
        elif department.code == provider:
            answers.append((code, Reason.PROVIDER))
        elif item.sharing_type is SharingType.NOT_SHARED:
            answers.append((code, Reason.NOT_SHAREABLE))
        elif item.sharing_type is SharingType.UNCONDITIONAL:
            answers.append((code, Reason.UNCONDITIONAL))
        else:
            answers.append((code, conditional_reason(world, department, query, code)))
    return None, answers


def naming(world: World, department: PrincipalEntry, subject: str, code: str) -> list[Grant]:
    return [
        g
        for g in world.grants
        if g.subject == subject
        and code in g.items
        and g.state is not GrantState.REJECTED
        and (department.code in g.consumer_departments or set(department.groups) & set(g.consumer_groups))
    ]


def active(grant: Grant) -> bool:
    started = grant.start_time is None or grant.start_time <= NOW
    return grant.state is GrantState.APPROVED and started and grant.end_time > NOW


def conditional_reason(world: World, department: PrincipalEntry, query: AccessQuery, code: str) -> Reason:
    named = naming(world, department, query.subject, code)
    assert query.action is not None
    usable = [g for g in named if active(g) and covers(g, query.action)]
    if usable and (query.row is None or any(contains(g.row_scope, query.row) for g in usable)):
        return Reason.GRANTED
    if usable:
        return Reason.ROW_OUT_OF_SCOPE
    found = set()
    for g in named:
        if g.state is GrantState.REVOKED:
            found.add(Reason.GRANT_REVOKED)
        elif g.state is GrantState.EXPIRED or g.end_time <= NOW:
            found.add(Reason.GRANT_EXPIRED)
        elif g.state is GrantState.APPROVED and g.start_time is not None and g.start_time > NOW:
            found.add(Reason.GRANT_NOT_YET_VALID)
        elif g.state is GrantState.APPLIED:
            found.add(Reason.GRANT_PENDING)
        else:
            found.add(Reason.ACTION_NOT_GRANTED)
    for reason in (
        Reason.GRANT_REVOKED,
        Reason.GRANT_EXPIRED,
        Reason.GRANT_NOT_YET_VALID,
        Reason.GRANT_PENDING,
        Reason.ACTION_NOT_GRANTED,
    ):
        if reason in found:
            return reason
    return Reason.NO_GRANT


# -- the properties ------------------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, list[AccessQuery]]:
    world = draw(worlds())
    return world, draw(st.lists(questions(world), min_size=1, max_size=8))


@given(cases())
def test_decisions_agree_with_the_reference_model_and_keep_every_sharing_rule(
    case: tuple[World, list[AccessQuery]],
) -> None:
    world, queries = case
    policy = Policy.from_contents(world.contents())
    for query in queries:
        decision = policy.decide(query, NOW)
        whole, expected = reference(world, query)
        assert [(i.item, i.reason) for i in decision.items] == expected, query
        allowed = whole is None and all(
            r in (Reason.PROVIDER, Reason.UNCONDITIONAL, Reason.GRANTED) for _, r in expected
        )
        assert decision.allowed == allowed
        if whole is not None:
            assert decision.reason is whole
        assert decision.policy_revision == 7
        a_not_shared_item_is_never_allowed_but_to_its_provider(world, query, decision.items)
        a_conditional_item_is_allowed_only_under_an_active_grant_naming_consumer_and_item(world, query, decision.items)
        the_row_scope_of_an_allowing_grant_is_always_returned(world, decision.items)
        an_unknown_principal_is_always_denied(policy, world, query)


def a_not_shared_item_is_never_allowed_but_to_its_provider(
    world: World, query: AccessQuery, decided: tuple[ItemDecision, ...]
) -> None:
    sharing = {i.item: i for i in world.items}
    for item in decided:
        known = sharing.get(item.item)
        if item.allowed and known is not None and known.sharing_type is SharingType.NOT_SHARED:
            assert query.principal_code == known.provider


def a_conditional_item_is_allowed_only_under_an_active_grant_naming_consumer_and_item(
    world: World, query: AccessQuery, decided: tuple[ItemDecision, ...]
) -> None:
    for item in decided:
        if item.reason is not Reason.GRANTED:
            continue
        assert item.sharing_type is SharingType.CONDITIONAL
        department = next(d for d in world.departments if d.code == query.principal_code)
        allowing = [g for g in world.grants if g.id in item.grants]
        assert allowing
        for grant in allowing:
            assert active(grant) and item.item in grant.items and grant.subject == query.subject
            assert grant in naming(world, department, query.subject, item.item)


PROBES = [Row(d, k, r) for d in [*DIVISIONS, "440104"] for k in KEYS for r in (False, True)]


def the_row_scope_of_an_allowing_grant_is_always_returned(world: World, decided: tuple[ItemDecision, ...]) -> None:
    for item in decided:
        if not item.allowed:
            assert item.row_scope.empty and not item.row_scope.all_rows
            continue
        assert not item.row_scope.empty
        if item.reason is not Reason.GRANTED:
            assert item.row_scope.all_rows
            continue
        allowing = [g for g in world.grants if g.id in item.grants]
        for probe in PROBES:
            # The returned scope holds exactly the rows some allowing grant holds.
            assert contains(item.row_scope, probe) == any(contains(g.row_scope, probe) for g in allowing)


def an_unknown_principal_is_always_denied(policy: Policy, world: World, query: AccessQuery) -> None:
    assert "NOBODY" not in {d.code for d in world.departments}
    stranger = dataclasses.replace(query, principal_kind="department", principal_code="NOBODY")
    decision = policy.decide(stranger, NOW)
    assert decision.decision is Decision.DENY
    assert all(i.decision is Decision.DENY for i in decision.items)
    if query.subject in {i.subject for i in world.items}:
        assert decision.reason is Reason.UNKNOWN_PRINCIPAL


@given(worlds())
def test_unconditional_items_are_allowed_to_every_registered_department(world: World) -> None:
    policy = Policy.from_contents(world.contents())
    for item in world.items:
        if item.sharing_type is not SharingType.UNCONDITIONAL or item.removed:
            continue
        for department in world.departments:
            for action in RECEIVE_ACTIONS:
                query = AccessQuery("department", department.code, action, item.subject, (item.item,))
                decision = policy.decide(query, NOW)
                assert decision.allowed and decision.items[0].row_scope.all_rows


@given(cases())
def test_a_copy_kept_by_changes_decides_like_a_copy_read_whole(case: tuple[World, list[AccessQuery]]) -> None:
    world, queries = case
    whole = Policy.from_contents(world.contents())
    followed = Policy()
    changes: list[PolicyChange] = []
    for principal in world.departments:
        changes.append(PolicyChange(len(changes) + 1, NOW, principal=principal))
    for item in world.items:
        changes.append(PolicyChange(len(changes) + 1, NOW, item=item))
    for grant in world.grants:
        # Each grant arrives first as applied, then in its final state, as the watch delivers it.
        changes.append(PolicyChange(len(changes) + 1, NOW, grant=dataclasses.replace(grant, state=GrantState.APPLIED)))
        changes.append(PolicyChange(len(changes) + 1, NOW, grant=grant))
    followed.apply_all(changes[: len(changes) // 2])
    for change in changes[len(changes) // 2 :]:
        followed.apply(change)
    for query in queries:
        assert followed.decide(query, NOW).items == whole.decide(query, NOW).items
