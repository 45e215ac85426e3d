"""Bad requests to the masters service get a clear status and change nothing."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from govmesh.contracts.masters.v1 import masters_pb2 as pb
from tests.integration.mesh import Mesh

pytestmark = pytest.mark.timeout(180)


def _violations(error: grpc.aio.AioRpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: list[str] = []
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found += [violation.field for violation in bad.field_violations]
    return found


async def test_malformed_names_and_unknown_master_records_are_refused(masters_mesh: Mesh) -> None:
    masters = masters_mesh.masters_stub("department/LTAX")
    with pytest.raises(grpc.aio.AioRpcError) as malformed:
        await masters.GetMasterRecord(pb.GetMasterRecordRequest(name="subjects/102.090"))
    assert malformed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(malformed.value) == ["name"] and "name" in (malformed.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await masters.GetMasterRecord(pb.GetMasterRecordRequest(name="masters/M000"))
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await masters.LookupMasterRecords(pb.LookupMasterRecordsRequest())
    assert empty.value.code() is grpc.StatusCode.INVALID_ARGUMENT and _violations(empty.value) == ["query"]


async def test_a_load_with_one_bad_record_loads_nothing(masters_mesh: Mesh) -> None:
    aic = masters_mesh.masters_stub("department/AIC")
    records = [
        pb.DepartmentRecord(key="A1", kind=pb.ENTITY_KIND_ENTERPRISE, name="广州市恒达贸易有限公司"),
        pb.DepartmentRecord(key="A2", kind=pb.ENTITY_KIND_ENTERPRISE, name=" "),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await aic.LoadRecords(pb.LoadRecordsRequest(records=records))
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(refused.value) == ["records[1].name"]
    assert (await aic.GetQualityReport(pb.GetQualityReportRequest())).rows == []
    with pytest.raises(grpc.aio.AioRpcError) as not_a_department:
        await masters_mesh.masters_stub("admin/hub").LoadRecords(pb.LoadRecordsRequest(records=records[:1]))
    assert not_a_department.value.code() is grpc.StatusCode.PERMISSION_DENIED
