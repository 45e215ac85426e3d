"""The mesh the demo runs on: catalog, authz, exchange and gateway on loopback port 0, in this process,
on the embedded default (one SQLite file), with a development CA issuing every department's certificate."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from govmesh.cli.supervisor import ensure_development_certificates
from govmesh.client import Stubs, connect
from govmesh.kernel.catalog.files import read_departments
from govmesh.runtime.config import Settings
from govmesh.runtime.server import MeshServer
from govmesh.services.authz import main as authz_main
from govmesh.services.catalog import main as catalog_main
from govmesh.services.catalog.shipped import SEED_DIR
from govmesh.services.exchange import main as exchange_main
from govmesh.services.gateway import main as gateway_main


@dataclass
class Hub:
    settings: Settings
    database_url: str
    gateway_address: str
    servers: list[MeshServer]
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
        for server in reversed(self.servers):
            await server.stop(0.5)


async def start(data_dir: Path) -> Hub:
    """Starts the services in order, each reading the one before it, the gateway last."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # No per-principal rate limit: the simulator plays a whole city's year in minutes.
    limits = json.dumps({"default": {"requests_per_second": 0, "max_concurrent_streams": 0}})
    # The simulator speaks gRPC only: no HTTP door, so a demo runs beside a hub on the default ports.
    settings = Settings(
        data_dir=data_dir, gateway_limits=limits, authz_refresh_seconds=0.1, log_level="WARNING", http_port=-1
    )
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
    return Hub(settings, url, gateway_address, servers)
