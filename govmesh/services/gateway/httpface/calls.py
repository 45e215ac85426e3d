"""One HTTP call as the gate sees a gRPC call: the verified certificate, the caller's headers, its address."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from connectrpc.request import RequestContext

# Only these request headers mean anything past the door: the caller's position in a trace.
TRACE_HEADERS = frozenset({"traceparent", "tracestate", "baggage"})


@dataclass(frozen=True)
class Peer:
    """What the connection proved: the client certificate (PEM) and the client's address."""

    certificate_pem: bytes | None
    address: str


NO_PEER = Peer(None, "")
current_peer: contextvars.ContextVar[Peer] = contextvars.ContextVar("current_peer", default=NO_PEER)


def peer_of(scope: dict[str, Any]) -> Peer:
    """The certificate the TLS extension carries (written by the connection, never by a header)."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    client = scope.get("client")
    address = ""
    if client:
        host = f"[{client[0]}]" if ":" in client[0] else client[0]
        address = f"{host}:{client[1]}"
    return Peer(chain[0].encode() if chain else None, address)


class HttpCall:
    """Stands in for `grpc.aio.ServicerContext` where the gate and the gateway's own servicer read one.

    `auth_context` answers from the certificate the TLS handshake verified, as gRPC's does;
    `invocation_metadata` carries only trace headers, so nothing else a caller sends reaches the gate.
    """

    def __init__(self, peer: Peer, ctx: RequestContext[Any, Any]):
        self._peer = peer
        self._trace = tuple((k, v) for k, v in ctx.request_headers.allitems() if k.lower() in TRACE_HEADERS)
        self._ctx = ctx

    def auth_context(self) -> dict[str, list[bytes]]:
        return {"x509_pem_cert": [self._peer.certificate_pem]} if self._peer.certificate_pem else {}

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trace

    def peer(self) -> str:
        address = self._peer.address
        return f"ipv6:{address}" if address.startswith("[") else f"ipv4:{address}"

    def time_remaining(self) -> float | None:
        remaining = self._ctx.timeout_ms
        return None if remaining is None else max(remaining / 1000.0, 0.0)
