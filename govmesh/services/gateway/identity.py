"""The caller's identity, read only from the client certificate the TLS handshake verified, and revocation."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from govmesh.runtime.identity import ANONYMOUS, Principal
from govmesh.runtime.mtls import PeerCache, PeerCertificate, RevocationList, peer_certificate

__all__ = ["ANONYMOUS_CALLER", "Caller", "CertificateIdentities", "PeerCertificate", "RevocationList", "anonymous"]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the verified principal and, over TLS, the certificate that proved it."""

    principal: Principal
    certificate: PeerCertificate | None
    header: str  # the principal in the form the services read from PRINCIPAL_HEADER


ANONYMOUS_CALLER = Caller(ANONYMOUS, None, ANONYMOUS.header_value())


class CertificateIdentities:
    """Names the caller of each call from the certificate the TLS handshake verified (`spiffe://govmesh/…`).

    Nothing the caller sends in metadata counts: only the certificate, which gRPC has already
    checked against the hub's CA and its validity period.
    """

    def __init__(self) -> None:
        self._callers = PeerCache(self._caller)

    def __call__(self, context: grpc.aio.ServicerContext) -> Caller:
        return self._callers(context) or ANONYMOUS_CALLER

    @staticmethod
    def _caller(pem: bytes) -> Caller:
        certificate = peer_certificate(pem)
        principal = certificate.principal
        return Caller(principal, certificate, principal.header_value())


def anonymous(_context: grpc.aio.ServicerContext) -> Caller:
    """Plaintext development mode: no certificate, so nobody is anybody."""
    return ANONYMOUS_CALLER
