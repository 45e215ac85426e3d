"""HTTPS with mutual TLS for the HTTP door: client certificates required from the hub's CA, and handed to the app.

The certificate a caller proved at the handshake is the only identity the door believes. It
reaches the application as the ASGI TLS extension (`scope["extensions"]["tls"]["client_cert_chain"]`),
written by the connection itself, so no header a caller sends can stand in for it.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from govmesh.runtime.certs import CA_NAME, GATEWAY_NAME, CertificateAuthority

ASGIApp = Any


def server_context(authority: CertificateAuthority) -> ssl.SSLContext:
    """The gateway's certificate, TLS 1.2 or later, and a client certificate required, verified against the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(authority.path(CA_NAME, "pem")))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(authority.path(GATEWAY_NAME, "pem"), authority.path(GATEWAY_NAME, "key"))
    return context


def client_certificate_pem(transport: asyncio.BaseTransport) -> str | None:
    """The verified client certificate of a TLS connection, as PEM; None over plaintext."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return ssl.DER_cert_to_PEM_cert(der) if der else None


def _with_certificate(app: ASGIApp, pem: str) -> ASGIApp:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            extensions = dict(scope.get("extensions") or {})
            extensions["tls"] = {"client_cert_chain": [pem], "server_cert": None}
            scope = {**scope, "extensions": extensions}
        await app(scope, receive, send)

    return asgi


class CertificateH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 connection, which also tells the app the client certificate of its TLS session.

    asyncio calls `connection_made` once the handshake is complete, so the certificate is known
    (and verified) before the first request on the connection is read.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        pem = client_certificate_pem(transport)
        if pem is not None:
            self.app = _with_certificate(self.app, pem)
