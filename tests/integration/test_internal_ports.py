"""Attacks on the services' internal ports: whoever reaches them is who their hub certificate says, and nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.contracts.authz.v1 import authz_pb2, authz_pb2_grpc
from govmesh.contracts.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from govmesh.contracts.exchange.v1 import exchange_pb2, exchange_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority, service_host_name
from govmesh.runtime.identity import PRINCIPAL_HEADER
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh

AS_ADMIN = ((PRINCIPAL_HEADER, "admin/hub"),)
AS_MAINTAINER = ((PRINCIPAL_HEADER, "maintainer/ops"),)


def _ports(mesh: Mesh) -> list[tuple[str, str]]:
    return [("catalog", mesh.catalog_address), ("authz", mesh.authz_address), ("exchange", mesh.exchange_address)]


def _new_item() -> catalog_pb2.DataItem:
    return catalog_pb2.DataItem(
        code="102.001.950",
        name_zh="伪造数据项",
        name_en="Forged item",
        data_type=catalog_pb2.DATA_TYPE_STRING,
        length=10,
        sharing_type=catalog_pb2.SHARING_TYPE_UNCONDITIONAL,
        sensitivity=catalog_pb2.SENSITIVITY_LEVEL_INTERNAL,
    )


async def _health(channel: grpc.aio.Channel) -> grpc.StatusCode:
    try:
        await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_an_internal_port_refuses_a_peer_without_a_hub_certificate(exchange_mesh: Mesh, tmp_path: Path) -> None:
    authority = CertificateAuthority(exchange_mesh.settings.certs_dir)
    stranger = CertificateAuthority(tmp_path / "another-ca")
    stranger.init()
    stranger.issue_service("gateway")
    forged = stranger.key_pair("service-gateway")
    for service, address in _ports(exchange_mesh):
        override = (("grpc.ssl_target_name_override", service_host_name(service)),)
        attempts = {
            "plaintext": grpc.aio.insecure_channel(address),
            "TLS without a client certificate": grpc.aio.secure_channel(
                address, grpc.ssl_channel_credentials(authority.ca_pem()), options=override
            ),
            "another CA's service/gateway": grpc.aio.secure_channel(
                address, grpc.ssl_channel_credentials(authority.ca_pem(), forged.key, forged.cert), options=override
            ),
        }
        for what, channel in attempts.items():
            async with channel:
                assert await _health(channel) == grpc.StatusCode.UNAVAILABLE, f"{service} answered {what}"
        # The same port answers a peer with a hub certificate.
        assert await _health(exchange_mesh.internal_channel(address, service, "department/AIC")) == grpc.StatusCode.OK


async def test_a_department_certificate_naming_the_administrator_is_still_the_department(exchange_mesh: Mesh) -> None:
    m = exchange_mesh
    catalog = catalog_pb2_grpc.CatalogServiceStub(m.internal_channel(m.catalog_address, "catalog", "department/AIC"))
    authz = authz_pb2_grpc.AuthzServiceStub(m.internal_channel(m.authz_address, "authz", "department/AIC"))
    exchange = exchange_pb2_grpc.ExchangeServiceStub(
        m.internal_channel(m.exchange_address, "exchange", "department/AIC")
    )
    forged_calls = [
        catalog.CreateItem(
            catalog_pb2.CreateItemRequest(parent="subjects/102.001", item=_new_item(), reason="forged"),
            metadata=AS_MAINTAINER,
        ),
        authz.ListAuditEntries(authz_pb2.ListAuditEntriesRequest(page_size=5), metadata=AS_ADMIN),
        exchange.VerifyLedger(exchange_pb2.VerifyLedgerRequest(), metadata=AS_ADMIN),
    ]
    for call in forged_calls:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # What the department may do itself, it may do here too: it is itself.
    subject = await catalog.GetSubject(catalog_pb2.GetSubjectRequest(name="subjects/102.001"), metadata=AS_ADMIN)
    assert all(item.code != "102.001.950" for item in subject.subject.items)


async def test_only_the_gateways_certificate_may_say_whom_a_call_is_for(exchange_mesh: Mesh) -> None:
    m = exchange_mesh
    as_gateway = authz_pb2_grpc.AuthzServiceStub(m.internal_channel(m.authz_address, "authz", "service/gateway"))
    entries = await as_gateway.ListAuditEntries(authz_pb2.ListAuditEntriesRequest(page_size=5), metadata=AS_ADMIN)
    assert entries is not None
    ledger = exchange_pb2_grpc.ExchangeServiceStub(
        m.internal_channel(m.exchange_address, "exchange", "service/gateway")
    )
    assert (await ledger.VerifyLedger(exchange_pb2.VerifyLedgerRequest(), metadata=AS_ADMIN)).ok
    # Another service's certificate acts as that service, whatever it claims.
    as_exchange = authz_pb2_grpc.AuthzServiceStub(m.internal_channel(m.authz_address, "authz", "service/exchange"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await as_exchange.ListAuditEntries(authz_pb2.ListAuditEntriesRequest(page_size=5), metadata=AS_ADMIN)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    catalog = catalog_pb2_grpc.CatalogServiceStub(m.internal_channel(m.catalog_address, "catalog", "service/authz"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await catalog.CreateItem(
            catalog_pb2.CreateItemRequest(parent="subjects/102.001", item=_new_item(), reason="forged"),
            metadata=AS_MAINTAINER,
        )
    assert (refused.value.code(), reason_of(refused.value)) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    # ...and may do what that service does: read the policy, as the exchange's enforcement point.
    chunks = as_exchange.ReadPolicySnapshot(authz_pb2.ReadPolicySnapshotRequest())
    assert [chunk async for chunk in chunks]


async def test_a_revoked_certificate_is_refused_on_an_internal_port_within_the_check_period(
    exchange_mesh: Mesh,
) -> None:
    m = exchange_mesh
    catalog = catalog_pb2_grpc.CatalogServiceStub(m.internal_channel(m.catalog_address, "catalog", "department/LTAX"))
    request = catalog_pb2.GetCatalogStatsRequest()
    assert (await catalog.GetCatalogStats(request)).subjects == 269
    CertificateAuthority(m.settings.certs_dir).revoke("department/LTAX")
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        try:
            await catalog.GetCatalogStats(request)
        except grpc.aio.AioRpcError as error:
            assert (error.code(), reason_of(error)) == (grpc.StatusCode.UNAUTHENTICATED, "CERTIFICATE_REVOKED")
            break
        assert asyncio.get_running_loop().time() < deadline, "the revoked certificate still calls the catalog"
        await asyncio.sleep(0.1)


async def test_revoking_a_certificate_ends_its_open_stream_on_an_internal_port(exchange_mesh: Mesh) -> None:
    m = exchange_mesh
    catalog = catalog_pb2_grpc.CatalogServiceStub(m.internal_channel(m.catalog_address, "catalog", "department/PSB"))
    changes = catalog.WatchCatalog(catalog_pb2.WatchCatalogRequest())
    await asyncio.sleep(0.5)  # the stream is open and idle
    CertificateAuthority(m.settings.certs_dir).revoke("department/PSB")
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        async with asyncio.timeout(10):
            while await changes.read() != grpc.aio.EOF:
                pass
    assert (ended.value.code(), reason_of(ended.value)) == (grpc.StatusCode.UNAUTHENTICATED, "CERTIFICATE_REVOKED")
