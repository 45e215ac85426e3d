"""The `console` process: the web console on uvicorn, started by `govmesh up` or `govmesh serve console`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import uvicorn

from govmesh.console.app import build_app
from govmesh.console.identity import issue_login_token, load_secret
from govmesh.console.web import ConsoleConfig
from govmesh.runtime.config import Settings
from govmesh.runtime.server import wait_for_stop_signal


def address(settings: Settings) -> str:
    return f"{settings.console_host}:{settings.console_port}"


def public_url(settings: Settings) -> str:
    return f"http://{address(settings)}"


def console_config(settings: Settings, *, gateway: str = "", url: str = "") -> ConsoleConfig:
    """Where this hub's console finds the gateway, the certificates and the spans, from the mesh's settings."""
    trace = Path(settings.trace_file) if settings.trace_file else settings.data_dir / "spans.jsonl"
    return ConsoleConfig(
        data_dir=settings.data_dir,
        certs_dir=settings.certs_dir,
        gateway=gateway or f"{settings.gateway_host}:{settings.gateway_port}",
        trace_files=(trace,),
        public_url=url or public_url(settings),
        login_seconds=settings.console_login_minutes * 60,
        session_seconds=settings.console_session_minutes * 60,
    )


def login_link(config: ConsoleConfig, principal: str) -> str:
    """A one-time link that signs a browser in as `principal` (`govmesh console login --as …`)."""
    return f"{config.public_url}/login?token={issue_login_token(load_secret(config.data_dir), principal)}"


class ConsoleServer:
    """uvicorn serving the console, with the start/serve/stop shape of the mesh's gRPC servers."""

    def __init__(self, config: ConsoleConfig):
        self.config = config
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, bind: str) -> int:
        """Listens on `host:port` (port 0 picks a free one) and returns the port."""
        host, _, port = bind.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, int(port)))
        config = uvicorn.Config(build_app(self.config), log_config=None, access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        # serve_until_signalled handles SIGTERM like every mesh process; uvicorn must not take the signals.
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
            await asyncio.sleep(0.02)
        bound: int = sock.getsockname()[1]
        return bound

    async def stop(self, grace: float = 5.0) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(self._task, timeout=grace + 1)
        except TimeoutError:
            self._server.force_exit = True
            await self._task

    async def serve_until_signalled(self, grace: float) -> None:
        await wait_for_stop_signal()
        await self.stop(grace)


async def build(settings: Settings) -> ConsoleServer:
    return ConsoleServer(console_config(settings))
