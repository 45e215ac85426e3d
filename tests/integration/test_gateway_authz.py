"""The gateway's coarse check from its authz policy copy: unknown principals and missing roles stop at the door."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.identity import Principal
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh


async def test_a_certificate_for_a_department_the_hub_does_not_know_is_refused_at_the_gateway(
    authz_mesh: Mesh,
) -> None:
    CertificateAuthority(authz_mesh.settings.certs_dir).issue_client(Principal("department", "NOPE"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authz_mesh.catalog_stub("department/NOPE").GetCatalogStats(pb.GetCatalogStatsRequest())
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(caught.value) == "UNKNOWN_PRINCIPAL"


async def test_a_department_asking_for_a_catalog_write_is_refused_at_the_gateway_with_the_role_named(
    authz_mesh: Mesh,
) -> None:
    before = (await authz_mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())).revision
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authz_mesh.catalog_stub("department/AIC").DeprecateItem(
            pb.DeprecateItemRequest(name="subjects/102.001/items/102.001.003", reason="try")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(caught.value) == "ROLE_REQUIRED"
    assert (await authz_mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())).revision == before


async def test_who_am_i_shows_the_groups_and_revision_of_the_gateways_policy_copy(authz_mesh: Mesh) -> None:
    who = await gateway_pb2_grpc.GatewayServiceStub(authz_mesh.channel("department/LTAX")).WhoAmI(
        gateway_pb2.WhoAmIRequest()
    )
    assert "tax-bureaus" in who.principal.groups
    assert who.policy_revision > 0


async def test_a_maintainer_still_changes_the_catalog_through_the_checked_gateway(authz_mesh: Mesh) -> None:
    reply = await authz_mesh.catalog_stub("maintainer/ops").DeprecateItem(
        pb.DeprecateItemRequest(name="subjects/102.001/items/102.001.003", reason="renamed upstream")
    )
    assert reply.item.deprecated
