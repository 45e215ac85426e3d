"""Unit tests for who is calling (govmesh.runtime.identity.Principal): parsing header and SPIFFE forms, and roles."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.runtime.identity import ANONYMOUS, KIND_ROLES, SPIFFE_PREFIX, Principal, acting_principal

KINDS = sorted(k for k in KIND_ROLES if k != "anonymous")
SEGMENT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
# The reference grammar: a SPIFFE ID path segment, ASCII letters, digits, ".", "-", "_", never "." or "..".
codes = st.text(alphabet=SEGMENT_CHARS, min_size=1, max_size=20).filter(lambda c: c not in {".", ".."})


def is_code(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9._-]+", text) is not None and text not in {".", ".."}


@pytest.mark.parametrize(
    ("text", "kind", "code", "role"),
    [
        ("department/gsj", "department", "gsj", "department"),
        ("maintainer/alice", "maintainer", "alice", "catalog-maintainer"),
        ("admin/ops", "admin", "ops", "hub-administrator"),
        ("auditor/bob", "auditor", "bob", "auditor"),
        ("service/exchange", "service", "exchange", "enforcement-point"),
        ("department/440100-AIC_2.v1", "department", "440100-AIC_2.v1", "department"),
        ("spiffe://govmesh/department/ds", "department", "ds", "department"),
        ("spiffe://govmesh/service/catalog", "service", "catalog", "enforcement-point"),
    ],
)
def test_a_well_formed_identity_parses_into_a_principal_with_its_role(
    text: str, kind: str, code: str, role: str
) -> None:
    principal = Principal.parse(text)
    assert (principal.kind, principal.code) == (kind, code)
    assert principal.has_role(role)
    assert principal.roles == {role}
    assert not principal.is_anonymous


@pytest.mark.parametrize(
    "text",
    [
        "",
        "gsj",
        "department",
        "department/",
        "/gsj",
        "department/gsj/extra",
        "anonymous/x",
        "emperor/qin",
        "Department/gsj",
        "spiffe://govmesh/",
        "spiffe://govmesh/department",
        "spiffe://other/department/gsj",
        "spiffe://govmesh/spiffe://govmesh/department/gsj",
        " department/gsj",
        "department/gsj ",
        "department/g s j",
        "department/gsj\n",
        "department/.",
        "department/..",
        "department/工商局",
        "department/gsj%2Fadmin",
        "department/gsj?x=1",
    ],
)
def test_a_malformed_identity_is_anonymous(text: str) -> None:
    principal = Principal.parse(text)
    assert principal == ANONYMOUS
    assert principal.is_anonymous
    assert principal.roles == frozenset()


def test_the_anonymous_principal_has_no_role() -> None:
    assert not any(ANONYMOUS.has_role(role) for roles in KIND_ROLES.values() for role in roles)


@given(st.sampled_from(KINDS), codes)
def test_the_header_and_spiffe_forms_parse_back_into_the_same_principal(kind: str, code: str) -> None:
    principal = Principal(kind, code)
    assert Principal.parse(principal.header_value()) == principal
    assert Principal.parse(principal.spiffe_id()) == principal
    assert principal.spiffe_id() == SPIFFE_PREFIX + str(principal)


@given(st.text() | st.builds(lambda kind, rest: f"{kind}/{rest}", st.sampled_from(KINDS), st.text()))
def test_parsing_never_raises_and_grants_a_role_only_to_a_known_kind_and_a_well_formed_code(text: str) -> None:
    principal = Principal.parse(text)
    bare = text.removeprefix(SPIFFE_PREFIX)
    kind, _, code = bare.partition("/")
    well_formed = kind in KINDS and is_code(code)
    assert principal.is_anonymous != well_formed
    if well_formed:
        assert (principal.kind, principal.code) == (kind, code)
        assert principal.roles == KIND_ROLES[kind]
    else:
        assert principal == ANONYMOUS
        assert principal.roles == frozenset()


@pytest.mark.parametrize(
    ("peer", "forwarded", "acting"),
    [
        ("service/gateway", "department/AIC", "department/AIC"),
        ("service/gateway", None, "service/gateway"),
        ("service/gateway", "nonsense", "anonymous/-"),
        ("department/AIC", "admin/hub", "department/AIC"),
        ("service/exchange", "admin/hub", "service/exchange"),
        ("admin/hub", "department/AIC", "admin/hub"),
    ],
)
def test_only_the_gateway_may_say_whom_a_call_is_for(peer: str, forwarded: str | None, acting: str) -> None:
    assert acting_principal(Principal.parse(peer), forwarded).header_value() == acting
