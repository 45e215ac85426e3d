"""Certificates for a real installation, through a live gateway: CSRs, renewal, CA rotation, unknown principals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.contracts.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from govmesh.runtime import config
from govmesh.runtime.certs import CertificateAuthority, KeyPair, serial_hex
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh

# Certificates are the gateway's business: the same SQLite-only mesh, quick revocation checks and CLI.
from tests.integration.test_gateway_identity import database_url, mesh_settings  # noqa: F401
from tests.unit.test_issuance import csr_for


@pytest.fixture
def govmesh(mesh: Mesh, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(mesh.settings.data_dir))
    monkeypatch.setenv("COLUMNS", "400")  # error panels on one line each, for the assertions
    config.settings.cache_clear()
    yield CliRunner()
    config.settings.cache_clear()


async def _run(runner: CliRunner, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def who(mesh: Mesh, pair: KeyPair) -> str:
    """The principal the gateway sees for this key pair, on a new connection (so a new handshake)."""
    ca = CertificateAuthority(mesh.settings.certs_dir).ca_pem()
    async with grpc.aio.secure_channel(
        mesh.gateway_address, grpc.ssl_channel_credentials(ca, pair.key, pair.cert)
    ) as ch:
        reply = await gateway_pb2_grpc.GatewayServiceStub(ch).WhoAmI(gateway_pb2.WhoAmIRequest(), timeout=5)
    return reply.principal.name.removeprefix("principals/")


async def refused(mesh: Mesh, pair: KeyPair) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await who(mesh, pair)
    return caught.value


async def eventually_refused(mesh: Mesh, pair: KeyPair, timeout: float = 10.0) -> grpc.aio.AioRpcError:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await who(mesh, pair)
        except grpc.aio.AioRpcError as error:
            return error
        assert asyncio.get_running_loop().time() < deadline, "the gateway still accepts the certificate"
        await asyncio.sleep(0.1)


async def test_a_department_signs_in_with_its_own_key_and_renewal_revokes_the_old_one_only_when_asked(
    mesh: Mesh, govmesh: CliRunner, tmp_path: Path
) -> None:
    key, csr = csr_for("department/PSB")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "psb.csr").write_bytes(csr)

    async def sign(number: int, *flags: str) -> tuple[KeyPair, Result]:
        out = tmp_path / f"psb-{number}.pem"
        args = ("certs", "sign", str(tmp_path / "psb.csr"), "--as", "department/PSB", "--out", str(out), "--json")
        result = await _run(govmesh, *args, *flags)
        assert result.exit_code == 0, result.output
        return KeyPair(out.read_bytes(), key_pem), result

    first, _ = await sign(1)
    assert await who(mesh, first) == "department/PSB"

    # Overlap: the second certificate works and so does the first, until it expires.
    second, overlap = await sign(2)
    assert json.loads(overlap.stdout)["previous"] == "valid until it expires"
    assert await who(mesh, second) == await who(mesh, first) == "department/PSB"

    # --revoke-old: the third replaces the second at once.
    third, replaced = await sign(3, "--revoke-old")
    assert json.loads(replaced.stdout)["previous"] == "revoked"
    error = await eventually_refused(mesh, second)
    assert (error.code(), reason_of(error)) == (grpc.StatusCode.UNAUTHENTICATED, "CERTIFICATE_REVOKED")
    assert await who(mesh, third) == "department/PSB"


async def test_the_hub_refuses_certificates_for_unknown_principals_and_mismatched_requests(
    mesh: Mesh, govmesh: CliRunner, tmp_path: Path
) -> None:
    certs = mesh.settings.certs_dir
    unknown = await _run(govmesh, "certs", "issue", "department/NOWHERE")
    assert unknown.exit_code == 2 and "not in the catalog" in unknown.output
    assert not (certs / "department-NOWHERE.pem").exists()
    again = await _run(govmesh, "certs", "issue", "department/AIC")
    assert again.exit_code == 2 and "certs renew department/AIC" in again.output

    _, csr = csr_for("department/AIC")
    (tmp_path / "aic.csr").write_bytes(csr)
    stolen = await _run(govmesh, "certs", "sign", str(tmp_path / "aic.csr"), "--as", "department/PSB")
    assert stolen.exit_code == 2 and "names department/AIC, not department/PSB" in stolen.output
    service = await _run(govmesh, "certs", "sign", str(tmp_path / "aic.csr"), "--as", "service/billing")
    assert service.exit_code == 2 and "is not one of" in service.output
    assert not (certs / "department-PSB.pem").exists()


async def test_during_a_ca_rotation_certificates_of_both_cas_get_in_and_after_it_only_the_new_ones(
    mesh: Mesh, govmesh: CliRunner
) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    old_ltax = authority.key_pair("department-LTAX")
    assert await who(mesh, old_ltax) == "department/LTAX"

    began = await _run(govmesh, "certs", "rotate-ca", "--json")
    assert began.exit_code == 0, began.output
    assert "department-LTAX" in json.loads(began.stdout)["to_renew"]
    issued = await _run(govmesh, "certs", "issue", "department/QTS")
    assert issued.exit_code == 0, issued.output
    assert await who(mesh, authority.key_pair("department-QTS")) == "department/QTS"
    assert await who(mesh, old_ltax) == "department/LTAX"

    early = await _run(govmesh, "certs", "rotate-ca", "--finish")
    assert early.exit_code == 2 and "still signed by the previous CA" in early.output
    # Every certificate the rotation named, the services' own included, as an operator would.
    to_renew = json.loads(began.stdout)["to_renew"]
    for name in to_renew:
        identity = name if name == "gateway" else name.replace("-", "/", 1)
        renewed = await _run(govmesh, "certs", "renew", identity)
        assert renewed.exit_code == 0, renewed.output
    finished = await _run(govmesh, "certs", "rotate-ca", "--finish", "--json")
    assert finished.exit_code == 0, finished.output
    assert json.loads(finished.stdout) == {"state": "finished", "no_longer_trusted": []}

    assert await who(mesh, authority.key_pair("department-LTAX")) == "department/LTAX"
    error = await refused(mesh, old_ltax)
    assert error.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_service_calls_with_its_renewed_certificate_without_a_restart(mesh: Mesh, govmesh: CliRunner) -> None:
    """The gateway's hop to the catalog follows `certs renew service/gateway --revoke-old` within the check period."""
    catalog_stats = mesh.catalog_stub("department/AIC").GetCatalogStats
    assert (await catalog_stats(catalog_pb2.GetCatalogStatsRequest(), timeout=5)).subjects > 0
    renewed = await _run(govmesh, "certs", "renew", "service/gateway", "--revoke-old", "--json")
    assert renewed.exit_code == 0, renewed.output
    old = json.loads(renewed.stdout)["previous_serial_number"]
    # Once the catalog refuses the old certificate, calls through the gateway must come with the new one.
    revocations = mesh.catalog.revocations
    assert revocations is not None
    deadline = asyncio.get_running_loop().time() + 10
    while old not in {serial_hex(serial) for serial in revocations.serials}:
        assert asyncio.get_running_loop().time() < deadline, "the catalog never read the revocation"
        await asyncio.sleep(0.05)
    while True:
        try:
            reply = await catalog_stats(catalog_pb2.GetCatalogStatsRequest(), timeout=5)
        except grpc.aio.AioRpcError as error:  # refused as revoked, or the catalog out of reach with it
            assert asyncio.get_running_loop().time() < deadline, f"the gateway still calls as revoked: {error}"
            await asyncio.sleep(0.05)
            continue
        break
    assert reply.subjects > 0
