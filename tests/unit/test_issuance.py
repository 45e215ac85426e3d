"""Certificates for a real installation: known principals only, CSRs, deliberate renewal, CA rotation."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from govmesh.runtime import issuance
from govmesh.runtime.certs import CertificateAuthority, spiffe_id_of
from govmesh.runtime.identity import Principal

DEPARTMENTS = frozenset({"AIC", "LTAX", "PSB"})


@pytest.fixture
def authority(tmp_path: Path) -> CertificateAuthority:
    ca = CertificateAuthority(tmp_path / "certs")
    ca.init()
    ca.issue_server()
    return ca


def csr_for(identity: str, *, uri: bool = True) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """What a department makes on its own machine: a key that stays there, and a request naming itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)])
    )
    if uri:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"spiffe://govmesh/{identity}")]),
            critical=False,
        )
    return key, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    ("identity", "problem"),
    [
        ("department/NOWHERE", "not in the catalog"),
        ("service/billing", "is not one of"),
        ("robot/AIC", "identity must be kind/code"),
        ("AIC", "identity must be kind/code"),
    ],
)
def test_the_hub_refuses_to_issue_for_a_principal_it_does_not_know(identity: str, problem: str) -> None:
    with pytest.raises(issuance.IssuanceRefused, match=problem):
        issuance.check_known(Principal.parse(identity), DEPARTMENTS)


def test_known_departments_roles_and_services_may_be_issued() -> None:
    for identity in ("department/PSB", "maintainer/ops", "auditor/li.wei", "admin/hub", "service/exchange"):
        issuance.check_known(Principal.parse(identity), DEPARTMENTS)


def test_a_signed_request_certifies_only_the_checked_identity_and_the_hub_never_sees_the_key(
    authority: CertificateAuthority,
) -> None:
    key, csr = csr_for("department/PSB")
    renewal, pem = issuance.sign_request(authority, csr, Principal("department", "PSB"))
    cert = x509.load_pem_x509_certificate(pem)
    assert spiffe_id_of(cert) == "spiffe://govmesh/department/PSB"
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert renewal.previous_serial is None
    assert authority.path("department-PSB", "pem").read_bytes() == pem
    assert not authority.path("department-PSB", "key").exists()
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(authority.ca_pem()))

    # A common name alone names the identity as well.
    _, by_name = csr_for("department/LTAX", uri=False)
    _, named = issuance.sign_request(authority, by_name, Principal("department", "LTAX"))
    assert spiffe_id_of(x509.load_pem_x509_certificate(named)) == "spiffe://govmesh/department/LTAX"


def test_a_request_naming_another_identity_or_none_is_refused_and_nothing_is_written(
    authority: CertificateAuthority,
) -> None:
    _, csr = csr_for("department/AIC")
    with pytest.raises(issuance.IssuanceRefused, match="names department/AIC, not department/PSB"):
        issuance.sign_request(authority, csr, Principal("department", "PSB"))
    with pytest.raises(issuance.IssuanceRefused, match="not a PEM certificate signing request"):
        issuance.sign_request(authority, b"-----BEGIN NONSENSE-----", Principal("department", "PSB"))
    _, anonymous = csr_for("nobody", uri=False)
    with pytest.raises(issuance.IssuanceRefused, match="names no identity"):
        issuance.sign_request(authority, anonymous, Principal("department", "PSB"))
    assert not authority.path("department-PSB", "pem").exists()


def test_renewal_overlaps_by_default_and_revokes_the_old_certificate_only_when_asked(
    authority: CertificateAuthority,
) -> None:
    aic = Principal("department", "AIC")
    authority.issue_client(aic)
    first = authority.certificate("department-AIC").serial_number
    overlapped = issuance.renew_client(authority, aic)
    assert overlapped.previous_serial == first and not overlapped.previous_revoked
    assert first not in authority.revoked_serials()
    assert (authority.directory / "retired" / f"department-AIC-{first:x}.pem").exists()

    revoked = issuance.renew_client(authority, aic, revoke_old=True)
    assert revoked.previous_serial == overlapped.serial and revoked.previous_revoked
    assert authority.revoked_serials() == {overlapped.serial}
    assert authority.certificate("department-AIC").serial_number == revoked.serial


def test_the_gateway_certificate_covers_the_names_given_and_is_reissued_only_for_a_new_one(
    authority: CertificateAuthority,
) -> None:
    issued = issuance.ensure_gateway(authority, ["mesh.gz.gov.cn", "10.20.0.5"])
    assert issued is not None and issued.previous_serial is not None
    cert = authority.certificate("gateway")
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "mesh.gz.gov.cn"} <= set(sans.get_values_for_type(x509.DNSName))
    assert ipaddress.ip_address("10.20.0.5") in sans.get_values_for_type(x509.IPAddress)
    assert issuance.ensure_gateway(authority, ["MESH.gz.gov.cn."]) is None
    again = issuance.ensure_gateway(authority, ["api.gz.gov.cn"])
    assert again is not None
    assert {"mesh.gz.gov.cn", "api.gz.gov.cn", "10.20.0.5"} <= set(issuance.gateway_hosts(authority))


def test_ca_rotation_trusts_both_cas_during_the_overlap_and_only_the_new_one_after(
    authority: CertificateAuthority,
) -> None:
    aic, ltax = Principal("department", "AIC"), Principal("department", "LTAX")
    authority.issue_client(aic)
    authority.issue_client(ltax)
    authority.revoke("department/LTAX")
    old_ca = x509.load_pem_x509_certificate(authority.ca_pem())

    new_ca = issuance.begin_ca_rotation(authority)
    bundle = x509.load_pem_x509_certificates(authority.ca_pem())
    assert [c.subject for c in bundle] == [new_ca.subject, old_ca.subject] and new_ca.subject != old_ca.subject
    # The revocation list is signed by the new CA and keeps its entries.
    assert authority.revoked_serials() == {authority.certificate("department-LTAX").serial_number}
    with pytest.raises(issuance.IssuanceRefused, match="already in progress"):
        issuance.begin_ca_rotation(authority)

    renewed = issuance.renew_client(authority, aic)
    authority.certificate("department-AIC").verify_directly_issued_by(new_ca)
    assert sorted(issuance.signed_by_previous_ca(authority)) == ["department-LTAX", "gateway"]
    with pytest.raises(issuance.IssuanceRefused, match="still signed by the previous CA"):
        issuance.finish_ca_rotation(authority)
    issuance.renew_gateway(authority)
    dropped = issuance.finish_ca_rotation(authority, force=True)
    assert dropped == ["department-LTAX"]
    assert [c.subject for c in x509.load_pem_x509_certificates(authority.ca_pem())] == [new_ca.subject]
    assert authority.certificate("department-AIC").serial_number == renewed.serial
    assert not issuance.rotation_in_progress(authority)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_a_request_made_with_openssl_as_the_runbook_shows_is_signed(
    authority: CertificateAuthority, tmp_path: Path
) -> None:
    made = subprocess.run(
        [
            *["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
            *("-keyout", str(tmp_path / "psb.key"), "-out", str(tmp_path / "psb.csr")),
            *("-subj", "/CN=department\\/PSB", "-addext", "subjectAltName=URI:spiffe://govmesh/department/PSB"),
        ],
        capture_output=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    _, pem = issuance.sign_request(authority, (tmp_path / "psb.csr").read_bytes(), Principal("department", "PSB"))
    assert spiffe_id_of(x509.load_pem_x509_certificate(pem)) == "spiffe://govmesh/department/PSB"
