"""A plain HTTP client of the gateway's HTTP/JSON door: httpx with a client certificate, Connect framing by hand."""

from __future__ import annotations

import base64
import json
import ssl
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from google.rpc import error_details_pb2

from govmesh.runtime.certs import CertificateAuthority
from tests.integration.mesh import Mesh

_END_STREAM = 0x02
_DETAIL_TYPES = {
    f"google.rpc.{t.DESCRIPTOR.name}": t
    for t in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.BadRequest,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.ResourceInfo,
        error_details_pb2.RetryInfo,
    )
}


def tls_context(certs_dir: Path, identity: str | None, *, ca_pem: Path | None = None) -> ssl.SSLContext:
    """Trusts the hub's CA (or `ca_pem`) and presents `identity`'s certificate (none when None)."""
    authority = CertificateAuthority(certs_dir)
    context = ssl.create_default_context(cafile=str(ca_pem or authority.path("ca", "pem")))
    if identity is not None:
        name = identity.replace("/", "-")
        context.load_cert_chain(authority.path(name, "pem"), authority.path(name, "key"))
    return context


def door_url(mesh: Mesh) -> str:
    http = mesh.gateway.http  # type: ignore[attr-defined]
    return f"https://127.0.0.1:{http.port}"


def client(mesh: Mesh, identity: str | None = "department/LTAX", **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=door_url(mesh), verify=tls_context(mesh.settings.certs_dir, identity, **kw), timeout=30
    )


@dataclass
class ConnectError:
    """A Connect error read off the wire: code, message, and its google.rpc details decoded from their bytes."""

    http_status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    debug: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        info = self.details.get("ErrorInfo")
        return info.reason if info else ""

    @property
    def fields(self) -> list[str]:
        bad = self.details.get("BadRequest")
        return [v.field for v in bad.field_violations] if bad else []

    @classmethod
    def of(cls, document: dict[str, Any], http_status: int) -> ConnectError:
        details: dict[str, Any] = {}
        debug: dict[str, Any] = {}
        for detail in document.get("details", []):
            kind = _DETAIL_TYPES.get(detail["type"])
            if kind is not None:
                details[kind.DESCRIPTOR.name] = kind.FromString(base64.b64decode(detail["value"] + "=="))
                debug[kind.DESCRIPTOR.name] = detail.get("debug")
        return cls(http_status, document.get("code", ""), document.get("message", ""), details, debug)


async def call(http: httpx.AsyncClient, method: str, body: dict[str, Any] | None = None) -> httpx.Response:
    """A unary Connect call: POST /package.Service/Method with a JSON body."""
    return await http.post(f"/{method}", json=body or {})


def error_of(response: httpx.Response) -> ConnectError:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return ConnectError.of(response.json(), response.status_code)


def envelope(message: dict[str, Any], flags: int = 0) -> bytes:
    data = json.dumps(message).encode()
    return struct.pack(">BI", flags, len(data)) + data


@dataclass
class StreamEnd:
    error: ConnectError | None


async def stream(
    http: httpx.AsyncClient, method: str, *requests: dict[str, Any], timeout_ms: int | None = None
) -> AsyncIterator[dict[str, Any] | StreamEnd]:
    """A Connect streaming call: yields each response message as JSON, then its end (with the error, if any)."""
    headers = {"content-type": "application/connect+json"}
    if timeout_ms is not None:
        headers["connect-timeout-ms"] = str(timeout_ms)
    body = b"".join(envelope(r) for r in requests)
    async with http.stream("POST", f"/{method}", content=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        buffer = b""
        async for chunk in response.aiter_bytes():
            buffer += chunk
            while len(buffer) >= 5:
                flags, size = struct.unpack(">BI", buffer[:5])
                if len(buffer) < 5 + size:
                    break
                message, buffer = json.loads(buffer[5 : 5 + size] or b"{}"), buffer[5 + size :]
                if flags & _END_STREAM:
                    error = message.get("error")
                    yield StreamEnd(ConnectError.of(error, 200) if error else None)
                    return
                yield message
