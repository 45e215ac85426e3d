"""The mesh the demo runs on: catalog, authz and exchange in one process, the gateway in another, the
simulator in a third (so the work spreads over the cores), on loopback port 0, on the embedded default."""

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
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)  # the gateway's first
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    def channel(self, identity: str, certificate: str = "") -> grpc.aio.Channel:
        """One channel per principal, each with its own certificate (or the one named, an application's)."""
        key = f"{identity} {certificate}"
        if key not in self.channels:
            self.channels[key] = connect(
                self.gateway_address, identity=identity, certs_dir=self.settings.certs_dir, certificate=certificate
            )
        return self.channels[key]

    def stubs(self, identity: str) -> Stubs:
        return Stubs(self.channel(identity))

    @property
    def stub_of(self) -> Callable[[str], Any]:
        return self.stubs

    async def stop(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        for process in self.processes:
            if process.returncode is not None:
                continue
            assert process.stdin is not None
            process.stdin.close()  # a hub's process stops its servers when its input ends
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def serve_services(settings: Settings) -> tuple[list[MeshServer], dict[str, list[str]]]:
    """Starts catalog, authz and exchange in order, each reading the one before it; returns their addresses."""
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
    return servers, {"catalog": [catalog_address], "authz": [authz_address], "exchange": [exchange_address]}


async def serve_gateway(settings: Settings, upstreams: dict[str, list[str]]) -> tuple[list[MeshServer], str]:
    gateway = await gateway_main.build(settings, upstreams)
    return [gateway], f"127.0.0.1:{await gateway.start('127.0.0.1:0')}"


async def _spawn(data_dir: Path, part: str, *args: str) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """Starts one of the hub's processes and reads what it started from the first line of its output."""
    log_path = data_dir / "logs" / f"{part}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "govmesh.cli.demo.hub",
            str(data_dir),
            part,
            *args,
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
        raise RuntimeError(f"the demo's {part} did not start; the end of {log_path}:\n{tail(log_path)}")
    started: dict[str, Any] = json.loads(line)
    return process, started


async def start(data_dir: Path) -> Hub:
    """Starts the services' process, then the gateway's in front of them (the two cores share the work)."""
    settings = demo_settings(data_dir)
    services, started = await _spawn(data_dir, "services")
    try:
        gateway, front = await _spawn(data_dir, "gateway", json.dumps(started["upstreams"]))
    except Exception:
        await Hub(settings, "", "", [services]).stop()
        raise
    return Hub(settings, settings.resolved_database_url(), front["gateway"], [gateway, services])


async def _serve_until_input_ends(data_dir: Path, part: str, args: list[str]) -> None:
    settings = demo_settings(data_dir)
    if part == "gateway":
        servers, address = await serve_gateway(settings, json.loads(args[0]))
        print(json.dumps({"gateway": address}), flush=True)
    else:
        servers, upstreams = await serve_services(settings)
        print(json.dumps({"upstreams": upstreams}), flush=True)
    with contextlib.suppress(Exception):
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for server in reversed(servers):
        await server.stop(0.5)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve_until_input_ends(Path(sys.argv[1]), sys.argv[2], sys.argv[3:]))
