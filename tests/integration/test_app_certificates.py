"""An application's certificate of its own: it acts as its department, and is revoked without the department's."""

from __future__ import annotations

from govmesh.apps.warnings.main import WarningsSettings
from govmesh.cli.supervisor import ensure_development_certificates
from govmesh.client import connect
from govmesh.contracts.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from tests.integration.mesh import Mesh
from tests.integration.test_certificates import eventually_refused, who

# Certificates are the gateway's business: the same SQLite-only mesh with quick revocation checks.
from tests.integration.test_gateway_identity import database_url, mesh_settings  # noqa: F401

CERT = WarningsSettings().certificate  # what the application connects with: application-warnings


async def test_the_warnings_application_signs_in_as_info_with_its_own_certificate_revocable_alone(mesh: Mesh) -> None:
    ensure_development_certificates(mesh.settings, ["INFO"])
    authority = CertificateAuthority(mesh.settings.certs_dir)
    application, department = authority.key_pair(CERT), authority.key_pair("department-INFO")
    assert application.cert != department.cert and application.key != department.key
    assert await who(mesh, application) == await who(mesh, department) == "department/INFO"
    certs = mesh.settings.certs_dir
    async with connect(mesh.gateway_address, identity="department/INFO", certs_dir=certs, certificate=CERT) as channel:
        seen = await gateway_pb2_grpc.GatewayServiceStub(channel).WhoAmI(gateway_pb2.WhoAmIRequest(), timeout=5)
    assert "application/warnings" in seen.certificate.subject
    assert seen.certificate.spiffe_id == "spiffe://govmesh/department/INFO"
    ensure_development_certificates(mesh.settings, ["INFO"])  # issued once: a second start keeps it
    assert authority.key_pair(CERT) == application
    authority.revoke(CERT)
    await eventually_refused(mesh, application)
    assert await who(mesh, department) == "department/INFO"  # the department's own still signs in
