"""The caller's identity, read only from the client certificate the TLS handshake verified, and revocation."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from govmesh.runtime.certs import CertificateAuthority, read_revocation_list, serial_hex, spiffe_id_of
from govmesh.runtime.identity import ANONYMOUS, Principal

log = logging.getLogger("govmesh.gateway")

# Certificates parsed once and remembered by their PEM bytes: a department reuses one connection
# and one certificate for many calls, and parsing X.509 on every call would cost more than forwarding.
_REMEMBERED_CERTIFICATES = 4096


@dataclass(frozen=True)
class PeerCertificate:
    """The client certificate a caller presented, as WhoAmI reports it."""

    serial: int
    spiffe_id: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256_fingerprint: str

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the verified principal and, over TLS, the certificate that proved it."""

    principal: Principal
    certificate: PeerCertificate | None
    header: str  # the principal in the form the services read from PRINCIPAL_HEADER


ANONYMOUS_CALLER = Caller(ANONYMOUS, None, ANONYMOUS.header_value())


def peer_certificate(pem: bytes) -> PeerCertificate:
    cert = x509.load_pem_x509_certificate(pem)
    return PeerCertificate(
        serial=cert.serial_number,
        spiffe_id=spiffe_id_of(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


class CertificateIdentities:
    """Names the caller of each call from the certificate the TLS handshake verified (`spiffe://govmesh/…`).

    Nothing the caller sends in metadata counts: only the certificate, which gRPC has already
    checked against the hub's CA and its validity period.
    """

    def __init__(self, remembered: int = _REMEMBERED_CERTIFICATES):
        self._known: dict[bytes, Caller] = {}
        self._remembered = remembered

    def __call__(self, context: grpc.aio.ServicerContext) -> Caller:
        pems = context.auth_context().get("x509_pem_cert")
        if not pems:
            return ANONYMOUS_CALLER
        pem = pems[0]
        caller = self._known.get(pem)
        if caller is None:
            caller = self._caller(pem)
            if len(self._known) >= self._remembered:
                self._known.clear()
            self._known[pem] = caller
        return caller

    @staticmethod
    def _caller(pem: bytes) -> Caller:
        certificate = peer_certificate(pem)
        principal = Principal.parse(certificate.spiffe_id) if certificate.spiffe_id else ANONYMOUS
        return Caller(principal, certificate, principal.header_value())


def anonymous(_context: grpc.aio.ServicerContext) -> Caller:
    """Plaintext development mode: no certificate, so nobody is anybody."""
    return ANONYMOUS_CALLER


class RevocationList:
    """The serials `govmesh certs revoke` listed in the CA-signed `crl.pem`, reread whenever the file changes.

    A revoked certificate may still hold an open connection (TLS checked it once, at the
    handshake), so the gateway checks every call's certificate serial against this set.
    """

    def __init__(self, authority: CertificateAuthority):
        self._authority = authority
        self.serials: frozenset[int] = frozenset()
        self._seen: tuple[int, int, int] | None = None

    def reload_if_changed(self) -> bool:
        """Rereads the list if its file changed; a list that fails to verify is logged and not used."""
        path = self._authority.crl_path
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            changed = self._seen is not None
            self._seen, self.serials = None, frozenset()
            return changed
        # The inode catches a replacement within the file system's timestamp granularity.
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if seen == self._seen:
            return False
        try:
            serials = read_revocation_list(path.read_bytes(), self._authority.ca_pem())
        except (OSError, ValueError):
            log.exception("the revocation list %s is unreadable or not signed by the hub's CA; keeping the last", path)
            return False
        self._seen, self.serials = seen, serials
        log.info("revocation list loaded: %d revoked certificate(s)", len(serials))
        return True

    async def follow(self, interval: float) -> None:
        """Rereads the list every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            self.reload_if_changed()
