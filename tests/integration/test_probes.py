"""Probes: a plaintext health port beside each service's own, and `govmesh health` for container health checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.runtime.certs import CertificateAuthority
from tests.integration.ports import free_port


def _health(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govmesh.cli", "health", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_service_answers_health_on_its_probe_port_in_plaintext_and_govmesh_health_reports_it(
    tmp_path: Path,
) -> None:
    authority = CertificateAuthority(tmp_path / "certs")
    authority.init()
    authority.issue_service("catalog")  # the catalog's internal port is mutual TLS with its own certificate
    health_base, catalog_port = free_port(), free_port()
    env = dict(os.environ)
    env.update(
        GOVMESH_DATA_DIR=str(tmp_path),
        GOVMESH_DATABASE_URL=f"sqlite:///{tmp_path / 'govmesh.db'}",
        GOVMESH_CATALOG_PORT=str(catalog_port),
        GOVMESH_HEALTH_PORT=str(health_base),
        GOVMESH_SERVICE="catalog",
        GOVMESH_SHUTDOWN_GRACE_SECONDS="1",
    )
    # `serve` with no argument serves GOVMESH_SERVICE, as the container image runs it.
    process = subprocess.Popen([sys.executable, "-m", "govmesh.cli", "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        up = _health("--timeout", "60", env=env)
        assert up.returncode == 0, up.stdout + up.stderr
        probe_port = health_base + 1  # the catalog's offset
        assert json.loads(up.stdout) == {"service": "catalog", "address": f"127.0.0.1:{probe_port}", "serving": True}
        with grpc.insecure_channel(f"127.0.0.1:{probe_port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            # Nothing but health is on the probe port.
            with grpc.insecure_channel(f"127.0.0.1:{probe_port}") as other:
                call = other.unary_unary("/catalog.v1.CatalogService/GetCatalogStats")
                try:
                    call(b"", timeout=5)
                    raise AssertionError("the probe port answered a catalog call")
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
        own = _health("--address", f"127.0.0.1:{catalog_port}", env=env)
        assert own.returncode == 0 and json.loads(own.stdout)["serving"] is True

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        down = _health("--timeout", "1", env=env)
        assert down.returncode == 1 and json.loads(down.stdout)["serving"] is False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
