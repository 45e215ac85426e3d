"""Per-principal limits at the gateway: one department over its rate is refused, another carries on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.contracts.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.runtime.mtls import ServiceTLS
from govmesh.runtime.server import MeshServer
from govmesh.services.gateway import main as gateway_main
from tests.integration.helpers import details_of, reason_of
from tests.integration.mesh import Mesh

LIMITS = {
    "default": {"requests_per_second": 1000, "burst": 1000},
    "principals": {
        "department/AIC": {
            "requests_per_second": 5,
            "burst": 5,
            "max_concurrent_streams": 1,
            "max_message_bytes": 2048,
        },
        "department/LTAX": {"default_deadline_seconds": 2, "max_deadline_seconds": 4},
        # Reading the whole catalog with its items is about 0.9 MiB: a budget of a few such reads.
        "maintainer/ops": {"response_bytes_per_second": 100_000, "response_bytes_burst": 3_000_000},
    },
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Limits are the gateway's business alone; one SQLite catalog behind it is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    CertificateAuthority(mesh_settings.certs_dir).issue_client(Principal("admin", "hub"))
    return mesh_settings.model_copy(update={"gateway_limits": json.dumps(LIMITS)})


async def test_a_department_over_its_rate_is_refused_while_another_keeps_being_served(mesh: Mesh) -> None:
    flooding = mesh.catalog_stub("department/AIC")
    steady = mesh.catalog_stub("department/LTAX")
    request = pb.GetItemRequest(name="subjects/102.001/items/102.001.001")

    async def flood() -> list[grpc.aio.AioRpcError | None]:
        async def one() -> grpc.aio.AioRpcError | None:
            try:
                await flooding.GetItem(request, timeout=10)
            except grpc.aio.AioRpcError as error:
                return error
            return None

        return list(await asyncio.gather(*(one() for _ in range(60))))

    async def steady_calls() -> list[str]:
        names = []
        for _ in range(20):
            names.append((await steady.GetItem(request, timeout=10)).item.name)
        return names

    flooded, served = await asyncio.gather(flood(), steady_calls())

    refused = [e for e in flooded if e is not None]
    assert len(flooded) - len(refused) <= 10  # the burst of 5, and what 5/s refills while the flood lasts
    assert len(refused) >= 50
    for error in refused:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(error) == "RATE_LIMITED"
        delay = details_of(error)["RetryInfo"].retry_delay  # type: ignore[attr-defined]
        assert 0 < delay.ToNanoseconds() <= 1_000_000_000
    assert served == [request.name] * 20

    # Asked by an administrator: the department's own GetLimits would count against its spent rate.
    limits = await gateway_pb2_grpc.GatewayServiceStub(mesh.channel("admin/hub")).GetLimits(
        gateway_pb2.GetLimitsRequest(principal="principals/department/AIC")
    )
    assert limits.principal == "principals/department/AIC"
    assert limits.limits.requests_per_second == 5 and limits.limits.burst == 5
    assert limits.usage.rejected_calls == len(refused)


async def test_a_department_may_hold_only_its_limit_of_open_streams(mesh: Mesh) -> None:
    stub = mesh.catalog_stub("department/AIC")
    gateway = gateway_pb2_grpc.GatewayServiceStub(mesh.channel("admin/hub"))
    first = stub.WatchCatalog(pb.WatchCatalogRequest(), timeout=30)
    for _ in range(50):
        usage = (await gateway.GetLimits(gateway_pb2.GetLimitsRequest(principal="principals/department/AIC"))).usage
        if usage.open_streams == 1:
            break
        await asyncio.sleep(0.05)
    assert usage.open_streams == 1

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.WatchCatalog(pb.WatchCatalogRequest(), timeout=5).read()
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(caught.value) == "TOO_MANY_STREAMS"
    assert "RetryInfo" in details_of(caught.value)

    first.cancel()
    for _ in range(50):
        usage = (await gateway.GetLimits(gateway_pb2.GetLimitsRequest(principal="principals/department/AIC"))).usage
        if usage.open_streams == 0:
            break
        await asyncio.sleep(0.05)
    assert usage.open_streams == 0
    other = mesh.catalog_stub("department/LTAX").WatchCatalog(pb.WatchCatalogRequest(), timeout=30)
    again = stub.WatchCatalog(pb.WatchCatalogRequest(), timeout=30)
    await asyncio.sleep(0.2)
    assert not again.done() and not other.done()
    again.cancel()
    other.cancel()


async def test_a_message_over_the_principals_size_limit_is_refused_in_either_call_shape(mesh: Mesh) -> None:
    stub = mesh.catalog_stub("department/AIC")
    big = pb.RecordValues(values={"102.001.002": pb.FieldValue(string_value="企" * 1000)})
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await stub.ValidateRecords(pb.ValidateRecordsRequest(subject="subjects/102.001", records=[big]))
    assert unary.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(unary.value) == "MESSAGE_TOO_LARGE"
    assert "RetryInfo" not in details_of(unary.value)  # waiting does not make a message smaller

    async def records() -> AsyncIterator[pb.ValidateRecordStreamRequest]:
        yield pb.ValidateRecordStreamRequest(subject="subjects/102.001", record=pb.RecordValues())
        yield pb.ValidateRecordStreamRequest(subject="subjects/102.001", record=big)

    with pytest.raises(grpc.aio.AioRpcError) as streamed:
        _ = [r async for r in stub.ValidateRecordStream(records(), timeout=10)]
    assert streamed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(streamed.value) == "MESSAGE_TOO_LARGE"

    # The same message is fine for a department with the default limit.
    reply = await mesh.catalog_stub("department/LTAX").ValidateRecords(
        pb.ValidateRecordsRequest(subject="subjects/102.001", records=[big])
    )
    assert len(reply.verdicts) == 1


async def test_limits_of_another_principal_are_for_hub_administrators_only(mesh: Mesh) -> None:
    asking = gateway_pb2_grpc.GatewayServiceStub(mesh.channel("department/LTAX"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asking.GetLimits(gateway_pb2.GetLimitsRequest(principal="principals/department/AIC"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(caught.value) == "ROLE_REQUIRED"

    admin = gateway_pb2_grpc.GatewayServiceStub(mesh.channel("admin/hub"))
    other = await admin.GetLimits(gateway_pb2.GetLimitsRequest(principal="principals/department/LTAX"))
    assert other.limits.requests_per_second == 1000
    assert other.limits.default_deadline.seconds == 2 and other.limits.max_deadline.seconds == 4
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await admin.GetLimits(gateway_pb2.GetLimitsRequest(principal="department/LTAX"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


class _DeadlineEcho(catalog_pb2_grpc.CatalogServiceServicer):
    """A stand-in catalog that answers GetCatalogStats with the deadline it was given, in milliseconds."""

    async def GetCatalogStats(self, request, context):  # type: ignore[no-untyped-def]
        remaining = context.time_remaining()
        return pb.GetCatalogStatsResponse(revision=-1 if remaining is None else round(remaining * 1000))


async def test_calls_get_the_default_deadline_and_no_more_than_the_maximum(mesh_settings: Settings) -> None:
    upstream = MeshServer(
        "deadline-echo", ["catalog.v1.CatalogService"], interceptors=[], tls=ServiceTLS.of(mesh_settings, "catalog")
    )
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(_DeadlineEcho(), upstream.grpc_server)
    port = await upstream.start("127.0.0.1:0")
    gateway = await gateway_main.build(mesh_settings, {"catalog": [f"127.0.0.1:{port}"]})
    gateway_port = await gateway.start("127.0.0.1:0")
    mesh = Mesh(mesh_settings, upstream, gateway, "", f"127.0.0.1:{gateway_port}", [])
    try:
        stub = mesh.catalog_stub("department/LTAX")
        # gRPC rounds a deadline up when it writes it on the wire, hence the small allowance above each bound.
        without = (await stub.GetCatalogStats(pb.GetCatalogStatsRequest())).revision
        assert 1500 < without <= 2100
        too_long = (await stub.GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=3600)).revision
        assert 3500 < too_long <= 4100
        shorter = (await stub.GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=1)).revision
        assert 500 < shorter <= 1100
    finally:
        for channel in mesh.channels:
            await channel.close()
        await gateway.stop(0.5)
        await upstream.stop(0.5)


async def test_expensive_calls_are_limited_by_their_cost_while_cheap_ones_from_others_pass(mesh: Mesh) -> None:
    expensive = mesh.catalog_stub("maintainer/ops")
    everything = pb.ListSubjectsRequest(page_size=1000, include_items=True)
    refusal: grpc.aio.AioRpcError | None = None
    served = 0
    for _ in range(10):
        try:
            reply = await expensive.ListSubjects(everything, timeout=30)
        except grpc.aio.AioRpcError as error:
            refusal = error
            break
        served += 1
        assert len(reply.subjects) > 0
    assert refusal is not None, "ten whole-catalog reads passed a 3 MB budget"
    assert 1 <= served <= 4
    assert (refusal.code(), reason_of(refusal)) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "COST_LIMITED")
    delay = details_of(refusal)["RetryInfo"].retry_delay.ToTimedelta().total_seconds()  # type: ignore[attr-defined]
    assert 0 < delay <= 10
    # Cheap calls by the same principal wait too (its budget is spent); another's are untouched.
    cheap = pb.GetItemRequest(name="subjects/102.001/items/102.001.001")
    assert (await mesh.catalog_stub("department/LTAX").GetItem(cheap)).item.name == cheap.name
    limits = await gateway_pb2_grpc.GatewayServiceStub(mesh.channel("admin/hub")).GetLimits(
        gateway_pb2.GetLimitsRequest(principal="principals/maintainer/ops")
    )
    assert limits.limits.response_bytes_per_second == 100_000
    assert limits.usage.available_response_bytes < 3_000_000


async def test_a_flood_of_a_methods_first_calls_gets_no_more_than_its_budget(mesh: Mesh) -> None:
    """Before any answer says what a call costs, a burst of it at once must not all pass as cheap."""
    expensive = mesh.catalog_stub("maintainer/ops")
    everything = pb.ListSubjectsRequest(page_size=1000, include_items=True)

    async def one() -> pb.ListSubjectsResponse | grpc.aio.AioRpcError:
        try:
            return await expensive.ListSubjects(everything, timeout=30)
        except grpc.aio.AioRpcError as error:
            return error

    outcomes = await asyncio.gather(*(one() for _ in range(8)))
    served = [o for o in outcomes if isinstance(o, pb.ListSubjectsResponse)]
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    # A 3 MB budget holds three 0.9 MB answers (and one more may take it into debt), not eight.
    assert 1 <= len(served) <= 4, len(served)
    assert {(e.code(), reason_of(e)) for e in refused} == {(grpc.StatusCode.RESOURCE_EXHAUSTED, "COST_LIMITED")}
