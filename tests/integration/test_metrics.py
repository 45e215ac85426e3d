"""Prometheus: every process of `govmesh up` serves /metrics, and `up` prints where."""

from __future__ import annotations

import re
import signal
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from tests.integration.ports import free_port
from tests.integration.test_up import _start_up, _stats, _wait_for_line

SERVICES = ("gateway", "catalog", "authz", "exchange")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The endpoints do not depend on the database; the embedded one starts fastest."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return str(reply.read().decode())


def value(text: str, name: str, **labels: str) -> float | None:
    """The first sample of `name` whose labels include `labels`."""
    for line in text.splitlines():
        match = re.match(rf"{re.escape(name)}(\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(2) or "") for k, v in labels.items()):
            return float(match.group(3))
    return None


def eventually(port: int, name: str, timeout: float = 30.0, **labels: str) -> float:
    deadline = time.monotonic() + timeout
    while True:
        found = value(scrape(port), name, **labels)
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{name} {labels} never appeared on :{port}"
        time.sleep(0.3)


def _deny_once(data_dir: Path, gateway_port: int) -> None:
    authority = CertificateAuthority(data_dir / "certs")
    pair = authority.key_pair("department-QTS")
    creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
    query = apb.AccessQuery(action=apb.ACTION_READ, subject="subjects/102.001", items=["102.001.021"])
    with grpc.secure_channel(f"127.0.0.1:{gateway_port}", creds) as channel:
        reply = authz_pb2_grpc.AuthzServiceStub(channel).Check(apb.CheckRequest(query=query), timeout=10)
    assert reply.decision.decision == apb.DECISION_DENY


def _free_block(size: int = 12) -> int:
    """A base port with `size` free ports above it, below Linux's ephemeral range (32768 and up).

    The other ports of the mesh come from bind(0), which hands out ephemeral ports close to each
    other; a metrics base among them would find one of its offsets taken.
    """
    import random
    import socket

    for _ in range(200):
        base = random.randrange(20_000, 30_000)
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no block of free ports below the ephemeral range")


def test_every_process_serves_calls_errors_latency_denials_certificates_and_the_ledger_head(
    tmp_path: Path, database_url: str
) -> None:
    data_dir, gateway_port, base = tmp_path / "mesh", free_port(), _free_block()
    process = _start_up(data_dir, database_url, gateway_port, GOVMESH_METRICS_PORT=str(base), COLUMNS="250")
    try:
        printed = _wait_for_line(process, "Ctrl-C stops every process")
        for offset in range(len(SERVICES)):
            assert f"http://127.0.0.1:{base + offset}/metrics" in printed, printed
        assert _stats(data_dir, gateway_port).subjects == 269
        _deny_once(data_dir, gateway_port)

        gateway, catalog, authz, exchange = (base + offset for offset in range(len(SERVICES)))
        stats_call = "/catalog.v1.CatalogService/GetCatalogStats"
        assert eventually(gateway, "govmesh_rpc_calls_total", rpc_method=stats_call) >= 1
        assert eventually(catalog, "govmesh_rpc_calls_total", rpc_method=stats_call) >= 1
        assert eventually(gateway, "govmesh_rpc_duration_milliseconds_count", rpc_method=stats_call) >= 1
        assert eventually(authz, "govmesh_authz_denials_total", reason="NO_GRANT") >= 1
        assert eventually(exchange, "govmesh_exchange_ledger_head") == 0
        for port in (gateway, catalog, authz, exchange):
            days = eventually(port, "govmesh_certificate_days_to_expiry_days", certificate="ca")
            assert 3640 < days <= 3650
        assert 360 < eventually(gateway, "govmesh_certificate_days_to_expiry_days", certificate="gateway") <= 365
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
