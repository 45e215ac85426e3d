"""Two catalog replicas on one database behind one gateway: calls spread over both, and survive losing one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from govmesh.client import Stubs, connect
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.gateway.v1 import gateway_pb2
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.runtime.server import MeshServer, standard_interceptors
from govmesh.services.catalog import main as catalog_main
from govmesh.services.gateway import main as gateway_main

CATALOG_PREFIX = "/catalog.v1.CatalogService/"


class CallCounter(grpc.aio.ServerInterceptor):
    """Counts the catalog calls one replica receives."""

    def __init__(self) -> None:
        self.calls = 0

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]], details: grpc.HandlerCallDetails
    ) -> Any:
        if details.method.startswith(CATALOG_PREFIX):
            self.calls += 1
        return await continuation(details)


async def _replica(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[MeshServer, str, CallCounter]:
    counter = CallCounter()

    def counted_server(name: str, service_names: list[str], **options: Any) -> MeshServer:
        return MeshServer(name, service_names, interceptors=[*standard_interceptors(name), counter], **options)

    monkeypatch.setattr(catalog_main, "MeshServer", counted_server)
    server = await catalog_main.build(settings, database_url)
    port = await server.start("127.0.0.1:0")
    return server, f"127.0.0.1:{port}", counter


async def _upstream(stubs: Stubs, healthy: int) -> gateway_pb2.Upstream:
    """The catalog upstream once the gateway's probes see `healthy` replicas (or after 10 s)."""
    for _ in range(100):
        reply = await stubs.gateway.ListUpstreams(gateway_pb2.ListUpstreamsRequest(service="catalog.v1.CatalogService"))
        if reply.upstreams[0].healthy_endpoints == healthy:
            break
        await asyncio.sleep(0.1)
    return reply.upstreams[0]


async def test_calls_spread_over_two_replicas_and_continue_when_one_stops(
    mesh_settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    CertificateAuthority(mesh_settings.certs_dir).issue_client(Principal("admin", "hub"))
    first, first_address, first_calls = await _replica(mesh_settings, database_url, monkeypatch)
    second, second_address, second_calls = await _replica(mesh_settings, database_url, monkeypatch)
    gateway = await gateway_main.build(mesh_settings, {"catalog": [first_address, second_address]})
    gateway_address = f"127.0.0.1:{await gateway.start('127.0.0.1:0')}"
    department = connect(gateway_address, identity="department/AIC", certs_dir=mesh_settings.certs_dir)
    admin = connect(gateway_address, identity="admin/hub", certs_dir=mesh_settings.certs_dir)
    try:
        catalog = Stubs(department).catalog
        upstream = await _upstream(Stubs(admin), healthy=2)
        assert [e.address for e in upstream.endpoints] == [first_address, second_address]
        assert upstream.load_balancing_policy == "round_robin"

        request = pb.GetItemRequest(name="subjects/102.001/items/102.001.001")
        for _ in range(60):
            assert (await catalog.GetItem(request)).item.name == request.name
        assert first_calls.calls >= 15 and second_calls.calls >= 15
        assert first_calls.calls + second_calls.calls == 60

        async def keep_calling() -> int:
            succeeded = 0
            for _ in range(150):
                await catalog.GetItem(request)  # an UNAVAILABLE here would fail the test: retries must absorb it
                succeeded += 1
                await asyncio.sleep(0.005)
            return succeeded

        calling = asyncio.create_task(keep_calling())
        await asyncio.sleep(0.2)
        await second.stop(0.5)
        assert await calling == 150

        before = (first_calls.calls, second_calls.calls)
        for _ in range(20):
            await catalog.GetItem(request)
        assert (first_calls.calls, second_calls.calls) == (before[0] + 20, before[1])

        upstream = await _upstream(Stubs(admin), healthy=1)
        health = {e.address: e.health for e in upstream.endpoints}
        assert health[first_address] == gateway_pb2.HEALTH_STATUS_SERVING
        assert health[second_address] in {gateway_pb2.HEALTH_STATUS_UNREACHABLE, gateway_pb2.HEALTH_STATUS_NOT_SERVING}
    finally:
        await department.close()
        await admin.close()
        await gateway.stop(0.5)
        await first.stop(0.5)
        await second.stop(0.5)
