"""The gateway as the one public door: mutual TLS, forwarding of every call shape, health and reflection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.identity import Principal
from tests.integration.mesh import Mesh

CATALOG_SERVICE = "catalog.v1.CatalogService"


async def test_a_caller_without_a_client_certificate_is_refused(mesh: Mesh) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    creds = grpc.ssl_channel_credentials(root_certificates=authority.ca_pem())
    async with grpc.aio.secure_channel(mesh.gateway_address, creds) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await catalog_pb2_grpc.CatalogServiceStub(channel).GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_certificate_from_another_authority_is_refused(mesh: Mesh, tmp_path: Path) -> None:
    stranger = CertificateAuthority(tmp_path / "other-ca")
    stranger.init()
    stranger.issue_client(Principal("department", "AIC"))
    pair = stranger.key_pair("department-AIC")
    ours = CertificateAuthority(mesh.settings.certs_dir)
    creds = grpc.ssl_channel_credentials(ours.ca_pem(), pair.key, pair.cert)
    async with grpc.aio.secure_channel(mesh.gateway_address, creds) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await catalog_pb2_grpc.CatalogServiceStub(channel).GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_gateway_answers_health_and_reflection_for_the_public_services(mesh: Mesh) -> None:
    channel = mesh.channel()
    for _ in range(50):
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=CATALOG_SERVICE))
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            break
        await asyncio.sleep(0.1)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = [s.name async for r in responses for s in r.list_services_response.service]
    assert CATALOG_SERVICE in names


async def test_a_bidirectional_stream_is_forwarded_message_by_message(mesh: Mesh) -> None:
    stub = mesh.catalog_stub()
    subject = (await stub.GetSubject(pb.GetSubjectRequest(name="subjects/102.001"))).subject
    required = [i.code for i in subject.items if i.required]

    async def records():  # type: ignore[no-untyped-def]
        for n in range(5):
            values = {} if n % 2 else {"unknown.item": pb.FieldValue(string_value="x")}
            yield pb.ValidateRecordStreamRequest(subject="subjects/102.001", record=pb.RecordValues(values=values))

    verdicts = [r.verdict async for r in stub.ValidateRecordStream(records())]
    assert [v.index for v in verdicts] == [0, 1, 2, 3, 4]
    assert all(not v.valid for v in verdicts)
    assert {v.item_code for v in verdicts[1].violations} == set(required)
    assert "UNKNOWN_ITEM" in {v.reason for v in verdicts[0].violations}


async def test_a_server_stream_delivers_catalog_changes_as_they_happen(mesh: Mesh) -> None:
    reader = mesh.catalog_stub()
    start = (await reader.GetCatalogStats(pb.GetCatalogStatsRequest())).revision
    watch = reader.WatchCatalog(pb.WatchCatalogRequest(after_revision=start), timeout=20)
    await mesh.catalog_stub("maintainer/ops").DeprecateItem(
        pb.DeprecateItemRequest(name="subjects/102.001/items/102.001.002", reason="改用新代码")
    )
    first = await watch.read()
    watch.cancel()
    assert first.change.revision == start + 1
    assert first.change.action == "deprecate_item" and first.change.principal == "maintainer/ops"


async def test_the_callers_deadline_reaches_the_service(mesh: Mesh) -> None:
    stub = mesh.catalog_stub()
    watch = stub.WatchCatalog(pb.WatchCatalogRequest(), timeout=0.5)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await watch.read()
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_a_message_over_the_size_limit_is_refused_and_changes_nothing(mesh: Mesh) -> None:
    stub = mesh.catalog_stub("maintainer/ops")
    before = (await stub.GetCatalogStats(pb.GetCatalogStatsRequest())).revision
    huge = pb.DataItem(code="102.001.950", name_zh="x", name_en="x", description="x" * (5 * 1024 * 1024))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateItem(pb.CreateItemRequest(parent="subjects/102.001", item=huge, reason="big"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await stub.GetCatalogStats(pb.GetCatalogStatsRequest())).revision == before
