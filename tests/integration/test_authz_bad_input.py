"""Bad input to authz: NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION and PERMISSION_DENIED — and nothing changes."""

from __future__ import annotations

from collections.abc import Awaitable

import grpc
import pytest

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from tests.integration.authz_support import (
    CONDITIONAL,
    NOT_SHARED,
    SUBJECT,
    application,
    check,
    days_from_now,
)
from tests.integration.helpers import details_of, reason_of, violated_fields
from tests.integration.mesh import Mesh


async def _refused(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def _state(mesh: Mesh) -> tuple[int, list[str]]:
    """What a refusal must not change: the policy revision and the grants."""
    admin = mesh.authz_stub("admin/hub")
    revision = (await check(admin, [], principal="principals/department/LTAX")).policy_revision
    grants = await admin.ListGrants(pb.ListGrantsRequest())
    return revision, [f"{g.name} {pb.GrantState.Name(g.state)}" for g in grants.grants]


async def test_unknown_names_are_not_found_and_malformed_ones_name_the_bad_fields(authz_mesh: Mesh) -> None:
    ltax = authz_mesh.authz_stub("department/LTAX")
    before = await _state(authz_mesh)
    cases = [
        (application(subject="subjects/999.999"), "subject", "subjects/999.999"),
        (application(items=["102.001.999"]), "data item", "subjects/102.001/items/102.001.999"),
        (application(items=["101.001.001"]), "data item", "subjects/102.001/items/101.001.001"),
        (application(consumers=("LTAX", "NOPE")), "department", "departments/NOPE"),
        (application(groups=("tax-bureaus", "astrologers")), "department group", "groups/astrologers"),
    ]
    for grant, resource_type, name in cases:
        error = await _refused(ltax.ApplyGrant(pb.ApplyGrantRequest(grant=grant)))
        assert error.code() == grpc.StatusCode.NOT_FOUND, name
        resource = details_of(error)["ResourceInfo"]
        assert (resource.resource_type, resource.resource_name) == (resource_type, name)  # type: ignore[attr-defined]
        assert details_of(error)["ErrorInfo"].domain == "authz.govmesh"  # type: ignore[attr-defined]
    aic = authz_mesh.authz_stub("department/AIC")
    for call in (
        aic.ApproveGrant(pb.ApproveGrantRequest(name="grants/999")),
        aic.RevokeGrant(pb.RevokeGrantRequest(name="grants/999", reason="x")),
        ltax.GetGrant(pb.GetGrantRequest(name="grants/999")),
        ltax.GetPrincipal(pb.GetPrincipalRequest(name="principals/department/NOPE")),
    ):
        assert (await _refused(call)).code() == grpc.StatusCode.NOT_FOUND
    query = pb.AccessQuery(principal="departments/LTAX", action=pb.Action.ValueType(99), subject="102.001")
    error = await _refused(ltax.Check(pb.CheckRequest(query=query)))
    assert set(violated_fields(error)) == {"query.principal", "query.action", "query.subject"}
    assert violated_fields(await _refused(ltax.GetGrant(pb.GetGrantRequest(name="grants/x")))) == ["name"]
    ahead = await _refused(check(ltax, CONDITIONAL, at_least_revision=10**9))
    assert ahead.code() == grpc.StatusCode.OUT_OF_RANGE
    token = await _refused(ltax.ListGrants(pb.ListGrantsRequest(page_token="forged")))
    assert violated_fields(token) == ["page_token"]
    unknown = await check(ltax, CONDITIONAL, subject="subjects/999.999")
    assert (unknown.decision, unknown.reason) == (pb.DECISION_DENY, pb.REASON_CODE_UNKNOWN_SUBJECT)
    without_grant = await check(authz_mesh.authz_stub("department/PSB"), CONDITIONAL)
    assert without_grant.reason == pb.REASON_CODE_NO_GRANT  # a registered department, but no grant
    assert await _state(authz_mesh) == before


async def test_a_not_shared_item_or_a_period_in_the_past_is_refused_with_the_reason(authz_mesh: Mesh) -> None:
    ltax = authz_mesh.authz_stub("department/LTAX")
    before = await _state(authz_mesh)

    not_shared = await _refused(
        ltax.ApplyGrant(pb.ApplyGrantRequest(grant=application(items=[*CONDITIONAL, NOT_SHARED])))
    )
    assert (not_shared.code(), reason_of(not_shared)) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_SHAREABLE")
    violations = details_of(not_shared)["PreconditionFailure"].violations  # type: ignore[attr-defined]
    assert [v.subject for v in violations] == [f"{SUBJECT}/items/{NOT_SHARED}"]

    past = application()
    past.end_time.CopyFrom(days_from_now(-1))
    expired = await _refused(ltax.ApplyGrant(pb.ApplyGrantRequest(grant=past)))
    assert expired.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(expired) == ["grant.end_time"]

    empty = application()
    empty.start_time.CopyFrom(days_from_now(10))
    empty.end_time.CopyFrom(days_from_now(5))
    assert violated_fields(await _refused(ltax.ApplyGrant(pb.ApplyGrantRequest(grant=empty)))) == ["grant.end_time"]

    muddled = application(consumers=("LTAX", "NTAX"))
    muddled.mode = pb.GRANT_MODE_POINT_TO_POINT
    muddled.purpose = " "
    muddled.row_scope.CopyFrom(pb.RowScope(division_codes=["4401"], entity_keys=["9144"]))
    error = await _refused(ltax.ApplyGrant(pb.ApplyGrantRequest(grant=muddled)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violated_fields(error)) == {
        "grant.mode",
        "grant.purpose",
        "grant.row_scope",
        "grant.row_scope.division_codes[0]",
    }
    unspecified = application()
    unspecified.mode = pb.GRANT_MODE_UNSPECIFIED
    unspecified.subject = "102.001"
    assert set(violated_fields(await _refused(ltax.ApplyGrant(pb.ApplyGrantRequest(grant=unspecified))))) == {
        "grant.subject",
        "grant.mode",
    }
    assert await _state(authz_mesh) == before


async def test_deciding_a_grant_you_do_not_provide_is_permission_denied(authz_mesh: Mesh) -> None:
    ltax = authz_mesh.authz_stub("department/LTAX")
    applied = (await ltax.ApplyGrant(pb.ApplyGrantRequest(grant=application()))).grant
    before = await _state(authz_mesh)
    for identity in ("department/LTAX", "department/NTAX", "admin/hub"):
        error = await _refused(authz_mesh.authz_stub(identity).ApproveGrant(pb.ApproveGrantRequest(name=applied.name)))
        assert (error.code(), reason_of(error)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_PROVIDER"), identity
    rejected = await _refused(ltax.RejectGrant(pb.RejectGrantRequest(name=applied.name, reason="mine")))
    assert reason_of(rejected) == "NOT_PROVIDER"
    for_others = await _refused(
        authz_mesh.authz_stub("department/QTS").ApplyGrant(pb.ApplyGrantRequest(grant=application()))
    )
    assert (for_others.code(), reason_of(for_others)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_OWNER")
    by_auditor = await _refused(
        authz_mesh.authz_stub("auditor/audit").ApplyGrant(pb.ApplyGrantRequest(grant=application()))
    )
    assert reason_of(by_auditor) == "ROLE_REQUIRED"
    about_another = await _refused(check(ltax, CONDITIONAL, principal="principals/department/NTAX"))
    assert (about_another.code(), reason_of(about_another)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_OWNER")
    not_yet = await _refused(
        authz_mesh.authz_stub("department/AIC").RevokeGrant(pb.RevokeGrantRequest(name=applied.name, reason="x"))
    )
    assert not_yet.code() == grpc.StatusCode.FAILED_PRECONDITION
    no_reason = await _refused(
        authz_mesh.authz_stub("department/AIC").RejectGrant(pb.RejectGrantRequest(name=applied.name))
    )
    assert violated_fields(no_reason) == ["reason"]
    assert await _state(authz_mesh) == before
