"""The HTTP door's server: uvicorn inside the gateway's event loop, the Connect app and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Mapping
from typing import Any

import uvicorn
from connectrpc.server import ConnectASGIApplication

from govmesh.services.gateway.httpface.calls import current_peer, peer_of
from govmesh.services.gateway.httpface.codecs import codecs
from govmesh.services.gateway.httpface.transport import CertificateH11Protocol, ServerTLS

log = logging.getLogger("govmesh.gateway")

OPENAPI_PATH = "/openapi.json"
# How often the door looks for a renewed gateway certificate, as the gRPC port does before each handshake.
_RELOAD_SECONDS = 1.0


class MeshApplication(ConnectASGIApplication[Mapping[str, Any]]):
    """One Connect application for every service the door serves, routed by `/package.Service/Method`."""

    def __init__(self, endpoints: Mapping[str, Any], read_max_bytes: int, admittance: Any):
        super().__init__(
            service=endpoints,
            endpoints=lambda served: served,
            interceptors=[admittance],
            read_max_bytes=read_max_bytes,
            codecs=codecs(),
        )

    @property
    def path(self) -> str:
        return "/"


class DoorApplication:
    """The ASGI app of the door: the OpenAPI document, and every other path to the Connect application.

    The client certificate the connection proved (the ASGI TLS extension) is put where the gate
    reads it for the length of the call.
    """

    def __init__(self, connect: MeshApplication, schema: dict[str, Any]):
        self._connect = connect
        self._schema = json.dumps(schema, ensure_ascii=False).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._connect(scope, receive, send)
            return
        if scope["path"] == OPENAPI_PATH and scope["method"] in ("GET", "HEAD"):
            await self._send_schema(send)
            return
        token = current_peer.set(peer_of(scope))
        try:
            await self._connect(scope, receive, send)
        finally:
            current_peer.reset(token)

    async def _send_schema(self, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self._schema)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self._schema})


class HttpDoor:
    """Serves an ASGI app on `host:port` (0 picks a free port) inside the running event loop, HTTPS when given TLS."""

    def __init__(self, app: Any, host: str, port: int, tls: ServerTLS | None, grace_seconds: float = 5.0):
        self._host = host
        self._requested_port = port
        self._config = uvicorn.Config(
            app,
            http=CertificateH11Protocol,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=max(int(grace_seconds), 1),
        )
        self._tls = tls
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._reload_task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def scheme(self) -> str:
        return "https" if self._tls is not None else "http"

    async def start(self) -> int:
        self._config.load()
        # uvicorn's Config takes TLS as files; the context is made here, so the door can use it as is.
        self._config.ssl = self._tls.context if self._tls is not None else None
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        self._socket = socket.create_server((self._host, self._requested_port), family=family)
        self.port = int(self._socket.getsockname()[1])
        server = uvicorn.Server(self._config)
        server.lifespan = self._config.lifespan_class(self._config)
        await server.startup(sockets=[self._socket])
        self._server = server
        loop = asyncio.get_running_loop()
        self._loop_task = loop.create_task(server.main_loop())
        if self._tls is not None:
            self._reload_task = loop.create_task(self._tls.follow(_RELOAD_SECONDS))
        log.info("HTTP door listening on %s://%s:%d", self.scheme, self._host, self.port)
        return self.port

    async def stop(self) -> None:
        server, task = self._server, self._loop_task
        if server is None or task is None:
            return
        if self._reload_task is not None:
            self._reload_task.cancel()
        server.should_exit = True
        await task
        await server.shutdown(sockets=[self._socket] if self._socket else None)
        self._server = None
