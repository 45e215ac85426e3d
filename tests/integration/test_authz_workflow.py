"""The grant workflow through the gateway: apply, approve, reject, revoke, list, show, and the decisions it changes."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.runtime import config
from tests.integration.authz_support import (
    ANOTHER_CONDITIONAL,
    CONDITIONAL,
    NOT_SHARED,
    SUBJECT,
    UNCONDITIONAL,
    application,
    approved_grant,
    check,
    reasons,
)
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh


async def test_a_consumer_applies_the_provider_approves_and_the_items_are_granted(authz_mesh: Mesh) -> None:
    ltax, aic = authz_mesh.authz_stub("department/LTAX"), authz_mesh.authz_stub("department/AIC")
    items = [*CONDITIONAL, UNCONDITIONAL, NOT_SHARED]
    before = await check(ltax, items)
    assert before.decision == pb.DECISION_DENY
    assert reasons(before) == {
        CONDITIONAL[0]: "NO_GRANT",
        CONDITIONAL[1]: "NO_GRANT",
        UNCONDITIONAL: "UNCONDITIONAL",
        NOT_SHARED: "NOT_SHAREABLE",
    }

    scope = pb.RowScope(division_codes=["440106"])
    applied = (await ltax.ApplyGrant(pb.ApplyGrantRequest(grant=application(row_scope=scope)))).grant
    assert applied.state == pb.GRANT_STATE_APPLIED
    assert (applied.provider, applied.applicant) == ("AIC", "principals/department/LTAX")
    assert applied.revision > before.policy_revision
    pending = await check(ltax, CONDITIONAL)
    assert set(reasons(pending).values()) == {"GRANT_PENDING"}
    assert list(pending.items[0].grants) == [applied.name]

    approved = (await aic.ApproveGrant(pb.ApproveGrantRequest(name=applied.name, reason="批准 2009-17"))).grant
    assert approved.state == pb.GRANT_STATE_APPROVED
    assert approved.decided_by == "principals/department/AIC"
    assert approved.start_time.seconds > 0  # opened at approval, as the applicant left it open

    after = await check(ltax, items, at_least_revision=approved.revision)
    assert after.policy_revision >= approved.revision
    assert reasons(after) == {
        CONDITIONAL[0]: "GRANTED",
        CONDITIONAL[1]: "GRANTED",
        UNCONDITIONAL: "UNCONDITIONAL",
        NOT_SHARED: "NOT_SHAREABLE",
    }
    granted = after.items[0]
    assert list(granted.grants) == [approved.name]
    assert list(granted.row_scope.division_codes) == ["440106"] and not granted.row_scope.all_rows
    assert after.items[2].row_scope.all_rows
    in_scope = await check(ltax, CONDITIONAL, row=pb.Row(division_code="440106", entity_key="914401"))
    outside = await check(ltax, CONDITIONAL, row=pb.Row(division_code="440103", entity_key="914401"))
    assert in_scope.decision == pb.DECISION_ALLOW
    assert set(reasons(outside).values()) == {"ROW_OUT_OF_SCOPE"}

    shown = await ltax.GetGrant(pb.GetGrantRequest(name=applied.name))
    assert [(h.event, h.principal) for h in shown.history] == [
        (pb.GRANT_EVENT_APPLIED, "principals/department/LTAX"),
        (pb.GRANT_EVENT_APPROVED, "principals/department/AIC"),
    ]
    assert [h.revision for h in shown.history] == [applied.revision, approved.revision]
    assert all(len(h.trace_id) == 32 for h in shown.history)


async def test_a_group_grant_reaches_every_member_and_a_verify_only_grant_gives_no_values(authz_mesh: Mesh) -> None:
    grant = await approved_grant(authz_mesh.authz_stub, application(consumers=(), groups=("tax-bureaus",)))
    assert grant.mode == pb.GRANT_MODE_ONE_TO_MANY
    for member in ("LTAX", "NTAX"):
        decision = await check(authz_mesh.authz_stub(f"department/{member}"), CONDITIONAL)
        assert decision.decision == pb.DECISION_ALLOW, member
    outsider = await check(authz_mesh.authz_stub("department/QTS"), CONDITIONAL)
    assert set(reasons(outsider).values()) == {"NO_GRANT"}

    await approved_grant(authz_mesh.authz_stub, application(items=[ANOTHER_CONDITIONAL], actions=[pb.ACTION_VERIFY]))
    ltax = authz_mesh.authz_stub("department/LTAX")
    verify = await check(ltax, [ANOTHER_CONDITIONAL], action=pb.ACTION_VERIFY)
    assert verify.decision == pb.DECISION_ALLOW
    read = await check(ltax, [ANOTHER_CONDITIONAL], action=pb.ACTION_READ)
    assert set(reasons(read).values()) == {"ACTION_NOT_GRANTED"}


async def test_rejection_and_revocation_end_a_grant_with_the_reason_in_its_history(authz_mesh: Mesh) -> None:
    ltax, aic = authz_mesh.authz_stub("department/LTAX"), authz_mesh.authz_stub("department/AIC")
    applied = (await ltax.ApplyGrant(pb.ApplyGrantRequest(grant=application(items=[ANOTHER_CONDITIONAL])))).grant
    rejected = (await aic.RejectGrant(pb.RejectGrantRequest(name=applied.name, reason="用途不明"))).grant
    assert (rejected.state, rejected.decision_reason) == (pb.GRANT_STATE_REJECTED, "用途不明")

    grant = await approved_grant(authz_mesh.authz_stub, application())
    admin = authz_mesh.authz_stub("admin/hub")
    revoked = (await admin.RevokeGrant(pb.RevokeGrantRequest(name=grant.name, reason="data breach inquiry"))).grant
    assert revoked.state == pb.GRANT_STATE_REVOKED and revoked.decided_by == "principals/admin/hub"
    decision = await check(ltax, CONDITIONAL, at_least_revision=revoked.revision)
    assert set(reasons(decision).values()) == {"GRANT_REVOKED"}
    assert list(decision.items[0].grants) == [grant.name]

    history = await ltax.ListGrantHistory(pb.ListGrantHistoryRequest(name=grant.name, page_size=2))
    assert [e.event for e in history.entries] == [pb.GRANT_EVENT_APPLIED, pb.GRANT_EVENT_APPROVED]
    rest = await ltax.ListGrantHistory(
        pb.ListGrantHistoryRequest(name=grant.name, page_size=2, page_token=history.next_page_token)
    )
    assert [(e.event, e.reason) for e in rest.entries] == [(pb.GRANT_EVENT_REVOKED, "data breach inquiry")]
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await admin.RevokeGrant(pb.RevokeGrantRequest(name=grant.name, reason="twice"))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(again.value) == "GRANT_REVOKED"


async def test_each_party_lists_only_the_grants_that_concern_it(authz_mesh: Mesh) -> None:
    for_ltax = await approved_grant(authz_mesh.authz_stub, application())
    for_group = await approved_grant(
        authz_mesh.authz_stub, application(consumers=(), groups=("tax-bureaus",)), applicant="department/NTAX"
    )

    async def listed(identity: str, **filters: object) -> list[str]:
        reply = await authz_mesh.authz_stub(identity).ListGrants(pb.ListGrantsRequest(**filters))  # type: ignore[arg-type]
        return list(g.name for g in reply.grants)

    newest_first = [for_group.name, for_ltax.name]
    assert await listed("department/LTAX") == newest_first
    assert await listed("department/AIC") == newest_first
    assert await listed("department/NTAX") == [for_group.name]
    assert await listed("department/QTS") == []
    assert await listed("auditor/audit") == newest_first
    assert await listed("admin/hub", consumer="LTAX", states=[pb.GRANT_STATE_APPROVED]) == newest_first
    assert await listed("admin/hub", consumer="NTAX") == [for_group.name]
    assert await listed("admin/hub", item=ANOTHER_CONDITIONAL) == []
    assert await listed("admin/hub", states=[pb.GRANT_STATE_APPLIED]) == []
    first = await authz_mesh.authz_stub("admin/hub").ListGrants(pb.ListGrantsRequest(page_size=1))
    assert (len(first.grants), first.total_size) == (1, 2) and first.next_page_token
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await authz_mesh.authz_stub("department/QTS").GetGrant(pb.GetGrantRequest(name=for_ltax.name))
    assert (hidden.value.code(), reason_of(hidden.value)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_OWNER")


async def test_list_allowed_batch_check_and_the_directory_answer_enforcement_points(authz_mesh: Mesh) -> None:
    await approved_grant(authz_mesh.authz_stub, application(row_scope=pb.RowScope(division_codes=["440106"])))
    ltax = authz_mesh.authz_stub("department/LTAX")
    reply = await ltax.ListAllowed(pb.ListAllowedRequest(subject=SUBJECT, action=pb.ACTION_SUBSCRIBE))
    allowed = {i.item: i for i in reply.items}
    assert set(CONDITIONAL) <= set(allowed) and NOT_SHARED not in allowed and ANOTHER_CONDITIONAL not in allowed
    assert list(allowed[CONDITIONAL[0]].row_scope.division_codes) == ["440106"]
    assert allowed[UNCONDITIONAL].row_scope.all_rows
    everything = await ltax.ListAllowed(
        pb.ListAllowedRequest(subject="subjects/-", include_denied=True, page_size=1000)
    )
    assert len(everything.items) == 1000 and everything.next_page_token
    following = await ltax.ListAllowed(
        pb.ListAllowedRequest(
            subject="subjects/-", include_denied=True, page_size=1000, page_token=everything.next_page_token
        )
    )
    assert following.policy_revision == everything.policy_revision
    assert following.items[0].item > everything.items[-1].item or following.items[0].subject > SUBJECT

    exchange = authz_mesh.authz_stub("service/exchange")
    batch = await exchange.BatchCheck(
        pb.BatchCheckRequest(
            queries=[
                pb.AccessQuery(
                    principal=f"principals/department/{consumer}",
                    action=pb.ACTION_SUBSCRIBE,
                    subject=SUBJECT,
                    items=CONDITIONAL,
                )
                for consumer in ("LTAX", "NTAX")
            ]
        )
    )
    assert [d.decision for d in batch.decisions] == [pb.DECISION_ALLOW, pb.DECISION_DENY]
    assert {d.policy_revision for d in batch.decisions} == {batch.policy_revision}

    ltax_principal = (await ltax.GetPrincipal(pb.GetPrincipalRequest(name="principals/department/LTAX"))).principal
    assert (ltax_principal.kind, list(ltax_principal.roles), ltax_principal.display_name) == (
        pb.PRINCIPAL_KIND_DEPARTMENT,
        [pb.ROLE_DEPARTMENT],
        "广州市地方税务局",
    )
    assert "tax-bureaus" in ltax_principal.groups
    auditor = (await ltax.GetPrincipal(pb.GetPrincipalRequest(name="principals/auditor/audit"))).principal
    assert list(auditor.roles) == [pb.ROLE_AUDITOR] and auditor.spiffe_id == "spiffe://govmesh/auditor/audit"
    listed = await ltax.ListPrincipals(pb.ListPrincipalsRequest(kind=pb.PRINCIPAL_KIND_DEPARTMENT, page_size=50))
    assert len(listed.principals) == 46 and not listed.next_page_token


@pytest.fixture
def cli(authz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(authz_mesh.settings.data_dir))
    config.settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str) -> Result:
        # The CLI blocks; the servers run on this test's event loop, so the CLI gets a thread.
        return await asyncio.to_thread(runner.invoke, app, [*args, "--target", authz_mesh.gateway_address])

    yield invoke
    config.settings.cache_clear()


async def test_the_grants_command_applies_approves_lists_shows_and_revokes(cli) -> None:  # type: ignore[no-untyped-def]
    applied = await cli(
        "grants", "apply", "102.001", "-i", CONDITIONAL[0], "-c", "LTAX", "--purpose", "tax registration",
        "--legal-basis", "穗府办〔2008〕1号", "--end", "+90d", "--division", "440106", "--as", "department/LTAX",
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert "grants/1 applied" in applied.output and "divisions 440106" in applied.output
    refused = await cli("grants", "approve", "1", "--as", "department/LTAX")
    assert refused.exit_code == 1 and "PERMISSION_DENIED" in refused.output and "NOT_PROVIDER" in refused.output
    approved = await cli("grants", "approve", "grants/1", "-m", "批准", "--as", "department/AIC")
    assert approved.exit_code == 0 and "grants/1 approved" in approved.output
    listed = await cli("grants", "list", "--state", "approved", "--json")
    assert listed.exit_code == 0, listed.output
    assert '"name": "grants/1"' in listed.output and '"state": "approved"' in listed.output
    revoked = await cli("grants", "revoke", "1", "-m", "no longer needed", "--as", "department/AIC")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    shown = await cli("grants", "show", "1")
    assert shown.exit_code == 0, shown.output
    for event in ("applied", "approved", "revoked", "no longer needed"):
        assert event in shown.output
