"""Servers under test, each in its own process: the echo baseline, the catalog and the mTLS gateway."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.runtime.certs import SERVICE_CODES, CertificateAuthority, service_host_name
from govmesh.runtime.identity import GATEWAY_SERVICE, Principal

REPO = Path(__file__).resolve().parent.parent
CLIENT_IDENTITY = Principal("department", "AIC")
CATALOG_SERVICE = "catalog.v1.CatalogService"
AUTHZ_SERVICE = "authz.v1.AuthzService"
# The gateway's per-principal token bucket stays in the path but never refuses the load generator:
# the benchmark measures forwarding, not the default 200 calls/s a department is allowed.
BENCH_RATE = 1_000_000
GATEWAY_LIMITS = json.dumps(
    {
        "principals": {
            f"{CLIENT_IDENTITY.kind}/{CLIENT_IDENTITY.code}": {"requests_per_second": BENCH_RATE, "burst": BENCH_RATE}
        }
    }
)


def free_port() -> int:
    """A loopback port nobody holds right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any GOVMESH_*/OTEL_* setting of the caller's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVMESH_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


@dataclass
class Server:
    """A server process on loopback, its log file, and how to reach it."""

    name: str
    process: subprocess.Popen[bytes]
    address: str
    log_path: Path
    credentials: grpc.ChannelCredentials | None = None
    ready_at: float = 0.0  # time.monotonic() when it first answered SERVING
    # For a service's internal port: the name its certificate must carry (`<code>.service.govmesh`).
    server_name: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def channel(self) -> grpc.aio.Channel:
        if self.credentials is None:
            return grpc.aio.insecure_channel(self.address)
        options = [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []
        return grpc.aio.secure_channel(
            self.address, self.credentials, options=[*options, ("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        )

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def wait_healthy(self, service: str = "", timeout: float = 180.0) -> None:
        """Polls grpc.health.v1 until SERVING; fails early, with the log's end, if the process died."""
        deadline = time.monotonic() + timeout
        async with self.channel() as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        self.ready_at = time.monotonic()
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not healthy within {timeout:.0f}s:\n{self.tail()}")


def _spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # our own interpreter and modules, no outside input
            [sys.executable, *args],
            env=env,
            cwd=REPO,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C at the bench reaches the bench, which stops its children
        )
    return process, log_path


async def start_echo(log_dir: Path) -> Server:
    port = free_port()
    process, log_path = _spawn("echo", ["-m", "bench.echo", "--port", str(port)], child_environment({}), log_dir)
    server = Server("echo", process, f"127.0.0.1:{port}", log_path)
    await server.wait_healthy(timeout=30)
    return server


def prepare_certificates(data_dir: Path) -> CertificateAuthority:
    """The throwaway CA of one run: the gateway's, each service's and the load generator's certificates."""
    authority = CertificateAuthority(data_dir / "certs")
    authority.init()
    authority.issue_server()
    for code in SERVICE_CODES:
        authority.issue_service(code)
    authority.issue_client(CLIENT_IDENTITY)
    return authority


def internal_server(
    name: str, process: subprocess.Popen[bytes], address: str, log_path: Path, authority: CertificateAuthority
) -> Server:
    """A service's internal port, reached over mutual TLS as the gateway (whose forwarded principal it believes)."""
    pair = authority.key_pair(f"{GATEWAY_SERVICE.kind}-{GATEWAY_SERVICE.code}")
    credentials = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
    return Server(name, process, address, log_path, credentials, server_name=service_host_name(name))


@dataclass
class Mesh:
    """Catalog, authz and the gateway in front of them, each its own process as `govmesh serve` runs them.

    Authz is there because the gateway's coarse check reads its policy: the gateway is measured with
    that check on, as it runs in production.
    """

    catalog: Server
    authz: Server
    gateway: Server

    def stop(self) -> None:
        self.gateway.stop()
        self.authz.stop()
        self.catalog.stop()


async def start_mesh(data_dir: Path, database_url: str, limits: str = GATEWAY_LIMITS) -> Mesh:
    """Certificates, then `govmesh serve catalog` (seeds the database), `serve authz`, then `serve gateway`."""
    authority = prepare_certificates(data_dir)
    catalog_port, authz_port, gateway_port = free_port(), free_port(), free_port()
    env = child_environment(
        {
            "GOVMESH_DATA_DIR": str(data_dir),
            "GOVMESH_DATABASE_URL": database_url,
            "GOVMESH_CATALOG_PORT": str(catalog_port),
            "GOVMESH_AUTHZ_PORT": str(authz_port),
            "GOVMESH_GATEWAY_PORT": str(gateway_port),
            "GOVMESH_SHUTDOWN_GRACE_SECONDS": "1",
            "GOVMESH_GATEWAY_LIMITS": limits,
        }
    )
    log_dir = data_dir / "logs"
    process, log_path = _spawn("catalog", ["-m", "govmesh.cli", "serve", "catalog"], env, log_dir)
    catalog = internal_server("catalog", process, f"127.0.0.1:{catalog_port}", log_path, authority)
    servers: list[Server] = [catalog]
    try:
        await catalog.wait_healthy(CATALOG_SERVICE)
        process, log_path = _spawn("authz", ["-m", "govmesh.cli", "serve", "authz"], env, log_dir)
        authz = internal_server("authz", process, f"127.0.0.1:{authz_port}", log_path, authority)
        servers.append(authz)
        await authz.wait_healthy(AUTHZ_SERVICE, timeout=60)
        process, log_path = _spawn("gateway", ["-m", "govmesh.cli", "serve", "gateway"], env, log_dir)
        pair = authority.key_pair(f"{CLIENT_IDENTITY.kind}-{CLIENT_IDENTITY.code}")
        credentials = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
        gateway = Server("gateway", process, f"127.0.0.1:{gateway_port}", log_path, credentials)
        servers.append(gateway)
        await gateway.wait_healthy(CATALOG_SERVICE, timeout=60)
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return Mesh(catalog, authz, gateway)
