"""The mesh the demo runs on: catalog, authz, exchange and gateway on loopback port 0 in a process of their
own (the simulator and the applications have the other core), on the embedded default (one SQLite file),
with a development CA issuing every department's certificate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from govmesh.cli.supervisor import ensure_development_certificates, tail
from govmesh.client import Stubs, connect
from govmesh.kernel.catalog.files import read_departments
from govmesh.runtime.config import Settings
from govmesh.runtime.server import MeshServer
from govmesh.services.authz import main as authz_main
from govmesh.services.catalog import main as catalog_main
from govmesh.services.catalog.shipped import SEED_DIR
from govmesh.services.exchange import main as exchange_main
from govmesh.services.gateway import main as gateway_main

START_SECONDS = 120.0


def demo_settings(data_dir: Path) -> Settings:
    # No per-principal rate or cost limit: the simulator plays a whole city's year in minutes.
    unlimited = {"requests_per_second": 0, "max_concurrent_streams": 0, "response_bytes_per_second": 0}
    limits = json.dumps({"default": unlimited})
    # Nothing on fixed ports (the HTTP door closed): a demo runs beside a `govmesh up` or another demo.
    return Settings(
        data_dir=data_dir,
        gateway_limits=limits,
        authz_refresh_seconds=0.1,
        log_level="WARNING",
        http_port=-1,
        metrics_port=0,
    )


@dataclass
class Hub:
    settings: Settings
    database_url: str
    gateway_address: str
    process: asyncio.subprocess.Process | None = None
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    def channel(self, identity: str) -> grpc.aio.Channel:
        """One channel per principal, each with its own certificate."""
        if identity not in self.channels:
            self.channels[identity] = connect(
                self.gateway_address, identity=identity, certs_dir=self.settings.certs_dir
            )
        return self.channels[identity]

    def stubs(self, identity: str) -> Stubs:
        return Stubs(self.channel(identity))

    @property
    def stub_of(self) -> Callable[[str], Any]:
        return self.stubs

    async def stop(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        if self.process is None or self.process.returncode is not None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()  # the hub's process stops its servers when its input ends
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def serve(settings: Settings) -> tuple[list[MeshServer], str]:
    """Starts the services in order, each reading the one before it, the gateway last; returns its address."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    departments, _ = read_departments(SEED_DIR / "departments.yaml")
    ensure_development_certificates(settings, [d.code for d in departments])
    url = settings.resolved_database_url()
    servers: list[MeshServer] = []
    catalog = await catalog_main.build(settings, url)
    catalog_address = f"127.0.0.1:{await catalog.start('127.0.0.1:0')}"
    servers.append(catalog)
    authz = await authz_main.build(settings.model_copy(update={"catalog_targets": catalog_address}), url)
    authz_address = f"127.0.0.1:{await authz.start('127.0.0.1:0')}"
    servers.append(authz)
    assembly = await exchange_main.assemble(
        settings.model_copy(update={"catalog_targets": catalog_address, "authz_targets": authz_address}), url
    )
    exchange_address = f"127.0.0.1:{await assembly.server.start('127.0.0.1:0')}"
    servers.append(assembly.server)
    upstreams = {"catalog": [catalog_address], "authz": [authz_address], "exchange": [exchange_address]}
    gateway = await gateway_main.build(settings, upstreams)
    gateway_address = f"127.0.0.1:{await gateway.start('127.0.0.1:0')}"
    servers.append(gateway)
    return servers, gateway_address


async def start(data_dir: Path) -> Hub:
    """Starts the hub's process and waits for the gateway's address on its output."""
    settings = demo_settings(data_dir)
    log_path = data_dir / "logs" / "hub.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "govmesh.cli.demo.hub",
            str(data_dir),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log_file,
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
    except TimeoutError:
        line = b""
    if not line:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise RuntimeError(f"the demo's hub did not start; the end of {log_path}:\n{tail(log_path)}")
    started = json.loads(line)
    return Hub(settings, started["database_url"], started["gateway"], process)


async def _serve_until_input_ends(data_dir: Path) -> None:
    settings = demo_settings(data_dir)
    servers, gateway_address = await serve(settings)
    print(json.dumps({"gateway": gateway_address, "database_url": settings.resolved_database_url()}), flush=True)
    with contextlib.suppress(Exception):
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for server in reversed(servers):
        await server.stop(0.5)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve_until_input_ends(Path(sys.argv[1])))
