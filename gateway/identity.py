"""The caller's identity, read only from the client certificate the TLS handshake verified."""

from __future__ import annotations

import grpc

from govmesh.identity import ANONYMOUS, SPIFFE_PREFIX, Principal


def principal_from_tls(context: grpc.aio.ServicerContext) -> Principal:
    """The principal named by the verified certificate's `spiffe://govmesh/<kind>/<code>` URI SAN."""
    auth = context.auth_context()
    for key in ("peer_spiffe_id", "x509_subject_alternative_name"):
        for value in auth.get(key, ()):
            text = value.decode() if isinstance(value, bytes) else value
            if text.startswith(SPIFFE_PREFIX):
                return Principal.parse(text)
    return ANONYMOUS


def anonymous(_context: grpc.aio.ServicerContext) -> Principal:
    """Plaintext development mode: no certificate, so nobody is anybody."""
    return ANONYMOUS
