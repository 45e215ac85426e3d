"""PostgreSQL stops and starts in the middle of a run: the services reconnect by themselves and nothing is lost.

The outage happens on a PostgreSQL cluster of the test's own (`pg_createcluster` on a free port,
trust authentication on loopback, dropped afterwards), so the machine's own server and every other
test using it are never disturbed, and the test runs beside them.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import psycopg
import pytest

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from tests.integration.exchange_support import enterprise, subscribe
from tests.integration.mesh import Mesh, start_mesh
from tests.integration.ports import free_port

pytestmark = pytest.mark.postgres_outage

RECORDS = 4_000
BATCH = 200
OUTAGE_SECONDS = 1.0


@dataclass(frozen=True)
class PrivateCluster:
    """A PostgreSQL cluster this test alone uses, managed with Debian's postgresql-common tools."""

    version: str
    name: str
    port: int

    def control(self, action: str, *, check: bool = True) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            check=check,
            capture_output=True,
        )

    def ready(self) -> bool:
        probe = ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"]
        return subprocess.run(probe, check=False).returncode == 0

    def start_and_wait(self) -> None:
        if not self.ready():
            self.control("start", check=False)
        deadline = time.monotonic() + 60
        while not self.ready():
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.2)


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if shutil.which("pg_createcluster") is None or not Path("/etc/postgresql").is_dir():
        pytest.skip("needs PostgreSQL's server packages (pg_createcluster) to make a cluster of its own")
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    cluster = PrivateCluster(version, f"outage_{uuid.uuid4().hex[:8]}", free_port())
    subprocess.run(
        ["pg_createcluster", version, cluster.name, "-p", str(cluster.port), "--", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    try:
        cluster.start_and_wait()
        yield cluster
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, cluster.name], check=False, capture_output=True)


@pytest.fixture
async def outage_mesh(mesh_settings: Settings, private_cluster: PrivateCluster) -> AsyncIterator[Mesh]:
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for code in ("QTS", "NTAX"):
        authority.issue_client(Principal("department", code))
    admin = f"postgresql://postgres@127.0.0.1:{private_cluster.port}/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
        connection.execute('CREATE DATABASE "govmesh"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:{private_cluster.port}/govmesh"
    running = await start_mesh(mesh_settings, url, with_exchange=True)
    try:
        yield running
    finally:
        private_cluster.start_and_wait()
        await running.stop()


async def _retrying(call):  # type: ignore[no-untyped-def]
    """What a department backend does while the hub is unavailable: waits a moment and asks again."""
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL), error
            await asyncio.sleep(0.3)


async def _consume(stub: exchange_pb2_grpc.ExchangeServiceStub, name: str, seen: set[str]) -> int:
    breaks = 0
    cursor = ""
    while len(seen) < RECORDS:
        try:
            call = stub.Subscribe(pb.SubscribeRequest(subscription=name, cursor=cursor))
            async for response in call:
                if not response.deliveries:
                    continue
                seen.update(d.record.idempotency_key for d in response.deliveries)
                cursor = max((d.cursor for d in response.deliveries), key=int)
                ids = [d.delivery_id for d in response.deliveries]
                await _retrying(
                    lambda ids=ids: stub.AcknowledgeDeliveries(
                        pb.AcknowledgeDeliveriesRequest(subscription=name, delivery_ids=ids), timeout=10
                    )
                )
                if len(seen) >= RECORDS:
                    call.cancel()
                    break
        except grpc.aio.AioRpcError as error:
            assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL), error
            breaks += 1
            await asyncio.sleep(0.3)
    return breaks


async def test_postgresql_stopping_and_starting_mid_run_loses_nothing_and_the_services_reconnect(
    outage_mesh: Mesh, private_cluster: PrivateCluster
) -> None:
    subscribers = {code: outage_mesh.exchange_stub(f"department/{code}") for code in ("QTS", "NTAX")}
    for code, stub in subscribers.items():
        await subscribe(stub, f"{code.lower()}-outage", ack_deadline={"seconds": 10})
    seen: dict[str, set[str]] = {code: set() for code in subscribers}
    consumers = [
        asyncio.ensure_future(_consume(stub, f"subscriptions/{code.lower()}-outage", seen[code]))
        for code, stub in subscribers.items()
    ]
    publisher = outage_mesh.exchange_stub("department/AIC")
    records = [enterprise(n) for n in range(RECORDS)]
    published = 0

    async def publish_all() -> None:
        nonlocal published
        for start in range(0, RECORDS, BATCH):
            batch = pb.PublishRequest(records=records[start : start + BATCH])
            await _retrying(lambda batch=batch: publisher.Publish(batch, timeout=30))
            published += BATCH

    publishing = asyncio.ensure_future(publish_all())
    async with asyncio.timeout(60):
        while published < RECORDS // 3:
            await asyncio.sleep(0.05)
    await asyncio.to_thread(private_cluster.control, "stop")
    try:
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        await asyncio.to_thread(private_cluster.start_and_wait)

    async with asyncio.timeout(120):
        await publishing
        breaks = await asyncio.gather(*consumers)
    every_key = {r.idempotency_key for r in records}
    assert seen == {code: every_key for code in subscribers}
    assert any(breaks), "no stream noticed the outage"

    # Every service answers again without a restart: the catalog, authz (through the exchange's
    # decisions) and the exchange with its ledger.
    stats = await outage_mesh.catalog_stub().GetCatalogStats(cpb.GetCatalogStatsRequest())
    assert stats.subjects == 269
    verified = await _retrying(
        lambda: outage_mesh.exchange_stub("auditor/audit").VerifyLedger(pb.VerifyLedgerRequest(), timeout=30)
    )
    assert verified.ok
    ledger = await outage_mesh.exchange_stub("auditor/audit").GetLedgerStats(pb.GetLedgerStatsRequest())
    assert ledger.total.published_records == RECORDS
