"""Unit tests for revocation: the CA-signed revocation list, and the gateway's copy that follows the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govmesh.runtime.certs import CertificateAuthority, parse_serial, read_revocation_list, serial_hex
from govmesh.runtime.identity import Principal
from govmesh.services.gateway.identity import RevocationList


@pytest.fixture
def authority(tmp_path: Path) -> CertificateAuthority:
    authority = CertificateAuthority(tmp_path / "certs")
    authority.init()
    authority.issue_client(Principal("department", "AIC"))
    authority.issue_client(Principal("department", "LTAX"))
    return authority


def test_revoking_by_identity_file_name_or_serial_lists_the_serial_once(authority: CertificateAuthority) -> None:
    aic = authority.certificate("department-AIC").serial_number
    ltax = authority.certificate("department-LTAX").serial_number
    assert authority.revoke("department/AIC") == aic
    assert authority.revoke("department-AIC") == aic
    assert authority.revoke(serial_hex(ltax).upper()) == ltax
    assert authority.revoked_serials() == {aic, ltax}
    statuses = {c.name: c.status(dt.datetime.now(dt.UTC)) for c in authority.issued()}
    assert statuses == {"department-AIC": "revoked", "department-LTAX": "revoked"}


def test_a_name_that_is_neither_a_certificate_nor_a_serial_is_a_lookup_error(authority: CertificateAuthority) -> None:
    with pytest.raises(LookupError):
        authority.revoke("department/NOBODY")
    with pytest.raises(ValueError, match="cannot revoke itself"):
        authority.revoke(serial_hex(authority.certificate("ca").serial_number))


def test_a_list_signed_by_another_ca_does_not_verify(authority: CertificateAuthority, tmp_path: Path) -> None:
    stranger = CertificateAuthority(tmp_path / "stranger")
    stranger.init()
    stranger.issue_client(Principal("department", "AIC"))
    stranger.revoke("department/AIC")
    with pytest.raises(ValueError):
        read_revocation_list(stranger.crl_path.read_bytes(), authority.ca_pem())


def test_the_gateways_copy_follows_the_file_and_keeps_the_last_good_list(authority: CertificateAuthority) -> None:
    copy = RevocationList(authority)
    assert not copy.reload_if_changed() and copy.serials == frozenset()
    serial = authority.revoke("department/AIC")
    assert copy.reload_if_changed() and copy.serials == {serial}
    assert not copy.reload_if_changed()
    authority.crl_path.write_bytes(b"-----BEGIN X509 CRL-----\nnot a list\n-----END X509 CRL-----\n")
    assert not copy.reload_if_changed() and copy.serials == {serial}
    authority.crl_path.unlink()
    assert copy.reload_if_changed() and copy.serials == frozenset()


@pytest.mark.parametrize(
    ("text", "serial"),
    [("3f9a", 0x3F9A), ("0x3F9A", 0x3F9A), ("3f:9a", 0x3F9A), ("department/AIC", None), ("", None)],
)
def test_serials_read_in_the_forms_people_copy_them(text: str, serial: int | None) -> None:
    assert parse_serial(text) == serial
