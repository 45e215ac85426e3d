"""An enforcement point's local snapshot: built from a full read, kept current by the watch, rebuilt after a break."""

from __future__ import annotations

import time

import grpc
import pytest
from google.protobuf import field_mask_pb2

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.contracts.catalog.v1 import catalog_pb2 as catalog_pb
from govmesh.kernel.policy.model import AccessQuery, Action, Decision, Reason
from govmesh.kernel.policy.snapshot import PolicySnapshot
from govmesh.runtime.identity import PRINCIPAL_HEADER
from govmesh.services.authz import main as authz_main
from tests.integration.authz_support import CONDITIONAL, UNCONDITIONAL, application, approved_grant
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh

READ_CONDITIONAL = AccessQuery("department", "LTAX", Action.READ, "102.001", tuple(CONDITIONAL))


async def test_a_revocation_reaches_a_snapshot_within_one_second(authz_mesh: Mesh) -> None:
    # The exchange's view of the policy, reached through the gateway with its own certificate.
    snapshot = PolicySnapshot(authz_mesh.channel("service/exchange"))
    await snapshot.start()
    try:
        assert snapshot.check(READ_CONDITIONAL).reason is Reason.NO_GRANT
        grant = await approved_grant(authz_mesh.authz_stub, application())
        assert await snapshot.wait_for_revision(grant.revision, timeout=1.0)
        allowed = snapshot.check(READ_CONDITIONAL)
        assert allowed.decision is Decision.ALLOW and allowed.items[0].grants == (int(grant.name.split("/")[1]),)

        aic = authz_mesh.authz_stub("department/AIC")
        started = time.monotonic()
        revoked = (await aic.RevokeGrant(pb.RevokeGrantRequest(name=grant.name, reason="inquiry"))).grant
        # Waits on the snapshot applying the revocation's revision, not on the clock.
        assert await snapshot.wait_for_revision(revoked.revision, timeout=1.0)
        elapsed = time.monotonic() - started
        denied = snapshot.check(READ_CONDITIONAL)
        assert denied.decision is Decision.DENY and denied.reason is Reason.GRANT_REVOKED
        assert elapsed < 1.0
        assert snapshot.rebuilds == 1  # followed by the watch, never rebuilt
    finally:
        await snapshot.close()


async def test_a_catalog_change_reaches_a_snapshot_as_a_policy_revision(authz_mesh: Mesh) -> None:
    snapshot = PolicySnapshot(authz_mesh.channel("service/exchange"), audit_denials=False)
    await snapshot.start()
    try:
        read_unconditional = AccessQuery("department", "LTAX", Action.READ, "102.001", (UNCONDITIONAL,))
        assert snapshot.check(read_unconditional).reason is Reason.UNCONDITIONAL
        tightened = catalog_pb.DataItem(
            name=f"subjects/102.001/items/{UNCONDITIONAL}",
            sharing_type=catalog_pb.SHARING_TYPE_NOT_SHARED,
            sharing_conditions="敏感",
            open_to_public=False,
        )
        await authz_mesh.catalog_stub("maintainer/ops").UpdateItem(
            catalog_pb.UpdateItemRequest(
                item=tightened,
                update_mask=field_mask_pb2.FieldMask(paths=["sharing_type", "sharing_conditions", "open_to_public"]),
                reason="收紧",
                major=True,
            )
        )
        # Authz hears of it on the catalog's watch, writes a policy revision, and the snapshot applies it.
        while snapshot.check(read_unconditional).reason is not Reason.NOT_SHAREABLE:
            assert await snapshot.wait_for_revision(snapshot.revision + 1, timeout=5.0)
        assert snapshot.check(AccessQuery("department", "AIC", Action.PUBLISH, "102.001", (UNCONDITIONAL,))).allowed
    finally:
        await snapshot.close()


async def test_a_snapshot_decides_like_the_service_audits_its_denials_and_serves_only_enforcement_points(
    authz_mesh: Mesh,
) -> None:
    snapshot = PolicySnapshot(authz_mesh.channel("service/exchange"))
    await snapshot.start()
    try:
        queries = [
            READ_CONDITIONAL,
            AccessQuery("department", "LTAX", Action.READ, "102.001", (UNCONDITIONAL,)),
            AccessQuery("department", "NOBODY", Action.READ, "102.001", (UNCONDITIONAL,)),
            AccessQuery("department", "LTAX", Action.PUBLISH, "102.001"),
            AccessQuery("department", "AIC", Action.PUBLISH, "102.001"),
        ]
        gateway = authz_mesh.authz_stub("service/exchange")
        for query in queries:
            local = snapshot.check(query)
            remote = await gateway.Check(
                pb.CheckRequest(
                    query=pb.AccessQuery(
                        principal=f"principals/{query.principal_kind}/{query.principal_code}",
                        action=pb.Action.Value(f"ACTION_{query.action.name}"),  # type: ignore[union-attr]
                        subject=f"subjects/{query.subject}",
                        items=list(query.items),
                    )
                )
            )
            assert remote.decision.decision == pb.Decision.Value(f"DECISION_{local.decision.name}")
            assert remote.decision.reason == pb.ReasonCode.Value(f"REASON_CODE_{local.reason.name}")
            assert [i.item for i in remote.decision.items] == [i.item for i in local.items]
        assert await snapshot.flush_denials() == 3
        auditor = authz_mesh.authz_stub("auditor/audit")
        recorded = await auditor.ListAuditEntries(
            pb.ListAuditEntriesRequest(decision=pb.DECISION_DENY, oldest_first=True)
        )
        by_exchange = [e for e in recorded.entries if e.recorded_by == "principals/service/exchange"]
        assert [e.reason for e in by_exchange] == [
            pb.REASON_CODE_NO_GRANT,
            pb.REASON_CODE_UNKNOWN_PRINCIPAL,
            pb.REASON_CODE_NOT_PROVIDER,
        ]
        assert by_exchange[0].principal == "principals/department/LTAX"
    finally:
        await snapshot.close()
    departments_may_not = PolicySnapshot(authz_mesh.channel("department/LTAX"), audit_denials=False)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await departments_may_not.start()
    assert (refused.value.code(), reason_of(refused.value)) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")


async def test_a_snapshot_rebuilds_from_a_full_read_after_authz_restarts(authz_mesh: Mesh, database_url: str) -> None:
    assert authz_mesh.authz is not None
    # Straight to authz's internal port, as the gateway embeds it, so that restarting authz breaks the watch.
    channel = authz_mesh.internal_channel(authz_mesh.authz_address, "authz", "service/gateway")
    snapshot = PolicySnapshot(channel, reconnect_seconds=0.05)
    await snapshot.start()
    try:
        grant = await approved_grant(authz_mesh.authz_stub, application())
        assert await snapshot.wait_for_revision(grant.revision, timeout=1.0)
        await authz_mesh.authz.stop(0)
        settings = authz_mesh.settings.model_copy(update={"catalog_targets": authz_mesh.catalog_address})
        authz_mesh.authz = await authz_main.build(settings, database_url)
        await authz_mesh.authz.start(authz_mesh.authz_address)
        direct = authz_pb2_grpc.AuthzServiceStub(channel)
        revoked = (
            await direct.RevokeGrant(
                pb.RevokeGrantRequest(name=grant.name, reason="inquiry"),
                metadata=[(PRINCIPAL_HEADER, "department/AIC")],
                wait_for_ready=True,
            )
        ).grant
        assert await snapshot.wait_for_revision(revoked.revision, timeout=10.0)
        assert snapshot.rebuilds >= 2
        assert snapshot.check(READ_CONDITIONAL).reason is Reason.GRANT_REVOKED
    finally:
        await snapshot.close()
