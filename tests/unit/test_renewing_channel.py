"""A service's outgoing channel follows its certificate files, and never a half-written renewal."""

from __future__ import annotations

import shutil
from pathlib import Path

from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.channels import RenewingChannel
from govmesh.runtime.identity import Principal
from govmesh.runtime.mtls import ServiceTLS


async def test_a_renewed_certificate_gets_a_new_channel_once_its_key_and_certificate_match(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "certs")
    authority.init()
    authority.issue_service("authz")
    tls = ServiceTLS(authority, Principal("service", "authz"), revocation_check_seconds=0.0)
    channel = tls.channel(["127.0.0.1:1"], "catalog")
    assert isinstance(channel, RenewingChannel)
    first = channel.current()
    assert channel.current() is first  # nothing changed on disk

    # A renewal writes the key, then the certificate: between the two they do not match.
    old_cert = authority.path("service-authz", "pem").read_bytes()
    authority.issue_service("authz")
    renewed_cert = authority.path("service-authz", "pem")
    shutil.copy(renewed_cert, tmp_path / "renewed.pem")
    renewed_cert.write_bytes(old_cert)
    assert channel.current() is first

    shutil.copy(tmp_path / "renewed.pem", renewed_cert)
    second = channel.current()
    assert second is not first and channel.generation == 1
    assert channel.current() is second
    await channel.close()
