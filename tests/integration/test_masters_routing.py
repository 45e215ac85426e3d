"""The exchange learns a master record's holders from the masters service, each holder with its own key."""

from __future__ import annotations

import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.masters.v1 import masters_pb2 as mpb
from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.runtime.errors import NotFound
from govmesh.runtime.mtls import ServiceTLS
from govmesh.services.exchange.domain.routing import HeldRecord, routes
from govmesh.services.exchange.masters_directory import MastersDirectory
from tests.integration.mesh import Mesh
from tests.integration.test_masters import eventually, organisation, registration

pytestmark = pytest.mark.timeout(180)


async def test_the_exchange_resolves_a_master_to_each_holder_by_its_own_key(masters_mesh: Mesh) -> None:
    code = make_credit_code("440106", 601)
    org_code = f"{code[8:16]}-{code[16]}"
    await masters_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[registration(601, "广州市瑞丰贸易有限公司")])
    )
    await masters_mesh.exchange_stub("department/QTS").Publish(
        pb.PublishRequest(records=[organisation(code, "广州瑞丰贸易有限公司", with_credit_code=False, key="qts-601")])
    )
    masters = masters_mesh.masters_stub("department/AIC")

    async def linked() -> str | None:
        found = await masters.LookupMasterRecords(mpb.LookupMasterRecordsRequest(department="AIC", key=code))
        if found.master_records and sorted(found.master_records[0].departments) == ["AIC", "QTS"]:
            return found.master_records[0].name
        return None

    master = await eventually(linked)
    directory = MastersDirectory([masters_mesh.masters_address], ServiceTLS.of(masters_mesh.settings, "exchange"))
    try:
        holders = await directory.holders([master.removeprefix("masters/")])
        with pytest.raises(NotFound):
            await directory.holders(["nosuchmaster0"])
    finally:
        await directory.close()

    assert sorted(holders[master]) == [HeldRecord("AIC", "102.001", code), HeldRecord("QTS", "102.010", org_code)]
    planned = routes(holders, [], {"102.001": True, "102.010": True})
    assert [(r.department, r.own_keys) for r in planned] == [("AIC", (code,)), ("QTS", (org_code,))]
