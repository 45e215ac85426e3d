"""The gateway believes a certificate only while it is valid: open streams end at revocation, probes ask for one."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.gateway.v1 import gateway_pb2
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from tests.integration.exchange_support import enterprise, subscribe
from tests.integration.helpers import details_of, reason_of
from tests.integration.mesh import Mesh

CHECK_SECONDS = 0.2
# Bytes that are no protobuf message: a length-delimited field 1 that claims 5 bytes and has 2.
NOT_A_MESSAGE = b"\x0a\x05ab"
GATEWAY_METHODS = ("WhoAmI", "GetLimits", "ListUpstreams")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What is checked here is the gateway's; one SQLite database behind it is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    return mesh_settings.model_copy(update={"gateway_revocation_check_seconds": CHECK_SECONDS})


async def _drained(stream: grpc.aio.UnaryStreamCall) -> None:
    """Reads whatever the stream still delivers (what was published before the revocation) until it ends."""
    while await stream.read() != grpc.aio.EOF:
        pass


async def _ends_revoked(waiting: Awaitable[object], seconds: float = 5.0) -> None:
    """The call ends UNAUTHENTICATED / CERTIFICATE_REVOKED within `seconds` (a loaded machine's margin)."""
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        async with asyncio.timeout(seconds):
            await waiting
    assert (ended.value.code(), reason_of(ended.value)) == (grpc.StatusCode.UNAUTHENTICATED, "CERTIFICATE_REVOKED")


async def test_revoking_a_certificate_ends_its_open_streams_within_the_check_period(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-enterprises")
    deliveries = qts.Subscribe(pb.SubscribeRequest(subscription="subscriptions/qts-enterprises"))
    inbox = qts.StreamInbox(pb.StreamInboxRequest())
    stop_sending = asyncio.Event()

    async def publishing() -> AsyncIterator[pb.PublishStreamRequest]:
        yield pb.PublishStreamRequest(records=[enterprise(1)])
        await stop_sending.wait()

    upload = exchange_mesh.exchange_stub("department/AIC").PublishStream(publishing())
    await asyncio.sleep(0.5)  # every stream is open and idle
    authority = CertificateAuthority(exchange_mesh.settings.certs_dir)
    authority.revoke("department/QTS")
    authority.revoke("department/AIC")
    try:
        await _ends_revoked(_drained(deliveries))
        await _ends_revoked(_drained(inbox))
        await _ends_revoked(upload)
    finally:
        stop_sending.set()
        deliveries.cancel()
        inbox.cancel()


async def test_the_gateways_own_methods_refuse_bytes_that_are_no_message_after_identity(exchange_mesh: Mesh) -> None:
    channel = exchange_mesh.channel("department/LTAX")
    for method in GATEWAY_METHODS:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await channel.unary_unary(f"/gateway.v1.GatewayService/{method}")(NOT_A_MESSAGE, timeout=5)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
        violations = details_of(refused.value)["BadRequest"].field_violations  # type: ignore[attr-defined]
        assert [v.field for v in violations] == ["request"]
    # Identity comes first: a revoked certificate learns nothing about its bytes.
    CertificateAuthority(exchange_mesh.settings.certs_dir).revoke("department/LTAX")
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        try:
            await channel.unary_unary("/gateway.v1.GatewayService/WhoAmI")(NOT_A_MESSAGE, timeout=5)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                assert reason_of(error) == "CERTIFICATE_REVOKED"
                break
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert asyncio.get_running_loop().time() < deadline, "the revoked certificate still reached the parser"
        await asyncio.sleep(0.1)
    ok = await exchange_mesh.channel("department/AIC").unary_unary(
        "/gateway.v1.GatewayService/WhoAmI",
        request_serializer=gateway_pb2.WhoAmIRequest.SerializeToString,
        response_deserializer=gateway_pb2.WhoAmIResponse.FromString,
    )(gateway_pb2.WhoAmIRequest())
    assert ok.principal.name == "principals/department/AIC"


def _identityless_certificate(authority: CertificateAuthority) -> str:
    """A client certificate from the hub's CA that names no govmesh identity (no SPIFFE URI)."""
    # A certificate no command would issue, on purpose.
    authority._issue(
        "nobody",
        common_name="nobody",
        sans=[x509.DNSName("nobody.example")],
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        days=1,
        not_before=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    )
    return "nobody"


async def _probe(channel: grpc.aio.Channel) -> grpc.StatusCode:
    try:
        await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for _ in reflection.ServerReflectionInfo(iter([request]), timeout=5):
            pass
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_health_and_reflection_answer_only_a_verified_unrevoked_principal(exchange_mesh: Mesh) -> None:
    authority = CertificateAuthority(exchange_mesh.settings.certs_dir)
    assert await _probe(exchange_mesh.channel("department/PSB")) == grpc.StatusCode.OK
    nobody = _identityless_certificate(authority)
    assert await _probe(exchange_mesh.channel(nobody)) == grpc.StatusCode.UNAUTHENTICATED
    revoked = exchange_mesh.channel("department/PSB")
    authority.revoke("department/PSB")
    deadline = asyncio.get_running_loop().time() + 5
    while (answer := await _probe(revoked)) == grpc.StatusCode.OK:
        assert asyncio.get_running_loop().time() < deadline, "a revoked certificate still reads health"
        await asyncio.sleep(0.1)
    assert answer == grpc.StatusCode.UNAUTHENTICATED


async def test_a_probe_without_a_certificate_uses_the_gateways_plaintext_health_port(
    mesh_settings: Settings, database_url: str
) -> None:
    from tests.integration.mesh import start_mesh

    running = await start_mesh(mesh_settings, database_url)
    try:
        # The gateway's probe port is the per-process one every service has (GOVMESH_HEALTH_PORT + 0).
        port = await running.gateway.serve_health_probe("127.0.0.1:0")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            request = health_pb2.HealthCheckRequest(service="catalog.v1.CatalogService")
            reply = await health_pb2_grpc.HealthStub(channel).Check(request, timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            # Health only: nothing else is served there.
            with pytest.raises(grpc.aio.AioRpcError) as nothing_else:
                await channel.unary_unary("/catalog.v1.CatalogService/GetCatalogStats")(b"", timeout=5)
            assert nothing_else.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await running.stop()
