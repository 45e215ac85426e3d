"""Who the gateway believes: only a valid, unrevoked certificate from the hub's CA, whatever the metadata says."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from typer.testing import CliRunner

from govmesh.cli.app import app
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.contracts.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from govmesh.runtime import config
from govmesh.runtime.certs import CertificateAuthority, serial_hex
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from tests.integration.helpers import details_of, reason_of
from tests.integration.mesh import Mesh


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Identity is the gateway's business alone; one SQLite catalog behind it is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    return mesh_settings.model_copy(update={"gateway_revocation_check_seconds": 0.1})


@pytest.fixture
def govmesh_cli(mesh: Mesh, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(mesh.settings.data_dir))
    config.settings.cache_clear()
    yield CliRunner()
    config.settings.cache_clear()


def _stats_call(channel: grpc.aio.Channel):  # type: ignore[no-untyped-def]
    return catalog_pb2_grpc.CatalogServiceStub(channel).GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=5)


async def test_an_expired_certificate_from_the_hub_ca_is_refused_at_the_handshake(mesh: Mesh) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    two_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    authority.issue_client(Principal("department", "GSJ"), days=1, not_before=two_days_ago)
    expired = next(c for c in authority.issued() if c.name == "department-GSJ")
    assert expired.status(dt.datetime.now(dt.UTC)) == "expired"

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _stats_call(mesh.channel("department/GSJ"))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert (await _stats_call(mesh.channel("department/AIC"))).subjects == 269


async def test_a_revoked_certificate_is_refused_on_its_open_connection_and_on_new_ones(
    mesh: Mesh, govmesh_cli: CliRunner
) -> None:
    revoked = mesh.channel("department/LTAX")
    assert (await _stats_call(revoked)).subjects == 269
    serial = CertificateAuthority(mesh.settings.certs_dir).certificate("department-LTAX").serial_number

    result = await asyncio.to_thread(govmesh_cli.invoke, app, ["certs", "revoke", "department/LTAX"])
    assert result.exit_code == 0, result.output
    assert serial_hex(serial) in result.output

    refusal = None
    for _ in range(50):  # the gateway rereads the list every 0.1 s in this test
        try:
            await _stats_call(revoked)
        except grpc.aio.AioRpcError as error:
            refusal = error
            break
        await asyncio.sleep(0.1)
    assert refusal is not None, "the revoked certificate was still accepted after 5 s"
    assert refusal.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reason_of(refusal) == "CERTIFICATE_REVOKED"
    assert details_of(refusal)["ErrorInfo"].metadata["serial_number"] == serial_hex(serial)  # type: ignore[attr-defined]

    with pytest.raises(grpc.aio.AioRpcError) as again:
        await _stats_call(mesh.channel("department/LTAX"))
    assert again.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (await _stats_call(mesh.channel("department/AIC"))).subjects == 269

    listed = await asyncio.to_thread(govmesh_cli.invoke, app, ["certs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    status = {c["name"]: c["status"] for c in json.loads(listed.output)}
    assert status["department-LTAX"] == "revoked"
    assert status["department-AIC"] == "valid"


async def test_a_reissued_certificate_works_after_the_old_one_was_revoked(mesh: Mesh, govmesh_cli: CliRunner) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    old_serial = authority.certificate("department-LTAX").serial_number
    result = await asyncio.to_thread(govmesh_cli.invoke, app, ["certs", "revoke", serial_hex(old_serial)])
    assert result.exit_code == 0, result.output
    authority.issue_client(Principal("department", "LTAX"))
    await asyncio.sleep(0.3)
    who = await gateway_pb2_grpc.GatewayServiceStub(mesh.channel("department/LTAX")).WhoAmI(gateway_pb2.WhoAmIRequest())
    assert who.principal.name == "principals/department/LTAX"
    assert who.certificate.serial_number != serial_hex(old_serial)
    assert authority.revoked_serials() == {old_serial}


async def test_revoking_an_unknown_name_fails_and_writes_no_list(mesh: Mesh, govmesh_cli: CliRunner) -> None:
    result = await asyncio.to_thread(govmesh_cli.invoke, app, ["certs", "revoke", "department/NOBODY"])
    assert result.exit_code != 0
    assert not CertificateAuthority(mesh.settings.certs_dir).crl_path.exists()


async def test_a_department_naming_another_principal_in_metadata_is_still_itself(mesh: Mesh) -> None:
    channel = mesh.channel("department/AIC")
    claims = (
        ("x-govmesh-principal", "maintainer/ops"),
        ("x-govmesh-principal", "admin/hub"),
        ("x-govmesh-identity", "spiffe://govmesh/department/LTAX"),
    )
    who = await gateway_pb2_grpc.GatewayServiceStub(channel).WhoAmI(gateway_pb2.WhoAmIRequest(), metadata=claims)
    assert who.principal.name == "principals/department/AIC"
    assert who.principal.spiffe_id == "spiffe://govmesh/department/AIC"
    on_file = CertificateAuthority(mesh.settings.certs_dir).certificate("department-AIC")
    assert who.certificate.serial_number == serial_hex(on_file.serial_number)
    assert who.certificate.issuer.endswith("O=govmesh") and "hub CA" in who.certificate.issuer
    assert who.peer_address.startswith("127.0.0.1:")

    # The catalog, behind the gateway, also sees the department: a maintainer's change is refused.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog_pb2_grpc.CatalogServiceStub(channel).DeprecateItem(
            pb.DeprecateItemRequest(name="subjects/102.001/items/102.001.002", reason="spoofed"), metadata=claims
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(caught.value) == "ROLE_REQUIRED"


async def test_who_am_i_names_the_roles_of_a_hub_role_certificate(mesh: Mesh) -> None:
    from govmesh.contracts.authz.v1 import authz_pb2

    who = await gateway_pb2_grpc.GatewayServiceStub(mesh.channel("maintainer/ops")).WhoAmI(gateway_pb2.WhoAmIRequest())
    assert who.principal.kind == authz_pb2.PRINCIPAL_KIND_MAINTAINER
    assert list(who.principal.roles) == [authz_pb2.ROLE_CATALOG_MAINTAINER]
    assert who.principal.department == ""
