"""HTTPS with mutual TLS for the HTTP door: client certificates required from the hub's CA, and handed to the app.

The certificate a caller proved at the handshake is the only identity the door believes. It
reaches the application as the ASGI TLS extension (`scope["extensions"]["tls"]["client_cert_chain"]`),
written by the connection itself, so no header a caller sends can stand in for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from govmesh.runtime.certs import CA_NAME, GATEWAY_NAME, CertificateAuthority

log = logging.getLogger("govmesh.gateway")

ASGIApp = Any


def server_context(authority: CertificateAuthority) -> ssl.SSLContext:
    """The gateway's certificate, TLS 1.2 or later, and a client certificate required, verified against the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(authority.path(CA_NAME, "pem")))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(authority.path(GATEWAY_NAME, "pem"), authority.path(GATEWAY_NAME, "key"))
    return context


class ServerTLS:
    """The door's TLS context, following the gateway's certificate and the CA file on disk as the gRPC port does.

    New connections use a renewed certificate within a second of it being written, without a restart.
    """

    def __init__(self, authority: CertificateAuthority):
        self._authority = authority
        self._files = [
            authority.path(GATEWAY_NAME, "pem"),
            authority.path(GATEWAY_NAME, "key"),
            authority.path(CA_NAME, "pem"),
        ]
        self._seen = self._stamps()
        self.context = server_context(authority)

    def _stamps(self) -> tuple[tuple[int, int], ...]:
        return tuple((s.st_mtime_ns, s.st_ino) for s in map(os.stat, self._files))

    def reload_if_changed(self) -> bool:
        try:
            current = self._stamps()
            if current == self._seen:
                return False
            # Loading into the context in use changes what the next handshake presents and trusts.
            self.context.load_cert_chain(self._files[0], self._files[1])
            self.context.load_verify_locations(cafile=str(self._files[2]))
        except (OSError, ssl.SSLError):  # a half-written file must not stop new connections
            log.exception("could not reload the HTTP door's certificate; keeping the one in use")
            return False
        self._seen = current
        log.info("gateway certificate or CA changed on disk; new HTTP connections use the new one")
        return True

    async def follow(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.reload_if_changed()


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
