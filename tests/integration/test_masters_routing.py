"""The exchange learns a master record's holders from the masters service, each holder with its own key."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.masters.v1 import masters_pb2 as mpb
from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.runtime.errors import NotFound
from govmesh.runtime.mtls import ServiceTLS
from govmesh.services.exchange.domain.routing import HeldRecord, routes
from govmesh.services.exchange.masters_directory import MastersDirectory
from tests.integration.exchange_support import ENTERPRISES, STATEMENTS, read_inbox
from tests.integration.mesh import Mesh
from tests.integration.test_masters import ORGANISATIONS, eventually, organisation, registration

pytestmark = pytest.mark.timeout(180)


async def test_the_exchange_resolves_a_master_to_each_holder_by_its_own_key(masters_mesh: Mesh) -> None:
    master, code, org_code = await _linked_master(masters_mesh, 601, "广州市瑞丰贸易有限公司", "广州瑞丰贸易有限公司")
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


async def _linked_master(mesh: Mesh, n: int, aic_name: str, qts_name: str) -> tuple[str, str, str]:
    """AIC and QTS publish one enterprise under their own keys; returns the master's name and both keys."""
    code = make_credit_code("440106", n)
    await mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[registration(n, aic_name)]))
    await mesh.exchange_stub("department/QTS").Publish(
        pb.PublishRequest(records=[organisation(code, qts_name, with_credit_code=False, key=f"qts-{n}")])
    )
    masters = mesh.masters_stub("department/AIC")

    async def linked() -> str | None:
        found = await masters.LookupMasterRecords(mpb.LookupMasterRecordsRequest(department="AIC", key=code))
        if found.master_records and sorted(found.master_records[0].departments) == ["AIC", "QTS"]:
            return found.master_records[0].name
        return None

    return await eventually(linked), code, f"{code[8:16]}-{code[16]}"


async def test_a_request_by_master_record_reaches_each_holder_by_its_own_key(masters_mesh: Mesh) -> None:
    master, code, org_code = await _linked_master(masters_mesh, 611, "广州市嘉禾贸易有限公司", "广州嘉禾贸易有限公司")
    ltax = masters_mesh.exchange_stub("department/LTAX")

    sent = await ltax.SendRequest(
        pb.SendRequestRequest(
            kind=pb.REQUEST_KIND_READ,
            entity_keys=[master],
            to_holders_of_entity=True,
            wait_mode=pb.WAIT_MODE_ASYNC,
            purpose="税务登记核验",
        )
    )
    assert sorted(r.target for r in sent.request.replies) == ["AIC", "QTS"], sent
    aic_call, (aic_asked,) = await read_inbox(masters_mesh.exchange_stub("department/AIC"))
    qts_call, (qts_asked,) = await read_inbox(masters_mesh.exchange_stub("department/QTS"))
    aic_call.cancel()
    qts_call.cancel()
    # Each holder is asked by its own key, and learns neither the other's key nor the master's.
    assert list(aic_asked.entity_keys) == [code]
    assert list(qts_asked.entity_keys) == [org_code]

    aic_record = registration(611, "广州市嘉禾贸易有限公司")
    assert STATEMENTS in aic_record.values, "AIC answers with its NOT_SHARED item too"
    aic_reply = await masters_mesh.exchange_stub("department/AIC").Reply(
        pb.ReplyRequest(request=aic_asked.request, records=[aic_record])
    )
    assert not aic_reply.rejected, aic_reply
    stranger = organisation(make_credit_code("440106", 612), "广州某某公司", with_credit_code=False, key="x")
    qts_reply = await masters_mesh.exchange_stub("department/QTS").Reply(
        pb.ReplyRequest(
            request=qts_asked.request,
            records=[organisation(code, "广州嘉禾贸易有限公司", with_credit_code=False, key="q"), stranger],
            not_found_entity_keys=[org_code, stranger.entity_key],
        )
    )
    assert [r.index for r in qts_reply.rejected] == [1], "a record of an entity QTS was not asked about is refused"

    answered = await ltax.GetRequest(pb.GetRequestRequest(name=sent.request.name, view=pb.REQUEST_VIEW_FULL))
    assert answered.request.complete
    records = [r for reply in answered.request.replies for r in reply.records]
    assert sorted(r.subject for r in records) == [ENTERPRISES, ORGANISATIONS]
    # The requester hears every answer under the key it asked by; no holder's own key is named as a key.
    assert {r.entity_key for r in records} == {master}
    not_found = [k for reply in answered.request.replies for k in reply.not_found_entity_keys]
    assert set(not_found) <= {master}
    assert all(STATEMENTS not in r.values for r in records), "a NOT_SHARED item reached the requester"


async def test_a_request_by_an_unknown_master_record_is_not_found(masters_mesh: Mesh) -> None:
    ltax = masters_mesh.exchange_stub("department/LTAX")
    asked = pb.SendRequestRequest(
        kind=pb.REQUEST_KIND_READ, entity_keys=["masters/nosuchmaster0"], to_holders_of_entity=True
    )
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await ltax.SendRequest(asked)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    asked.target_departments.append("AIC")
    with pytest.raises(grpc.aio.AioRpcError) as named:
        await ltax.SendRequest(asked)
    assert named.value.code() == grpc.StatusCode.INVALID_ARGUMENT, "a named target cannot answer for a master key"
