"""Whom the HTTP door believes, and what it counts: the gRPC port's identity, limits, traces and metrics."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.services.gateway.metrics import CallMetrics
from tests.integration.http_support import StreamEnd, call, client, error_of, stream, tls_context
from tests.integration.mesh import Mesh, start_mesh

STATS = "catalog.v1.CatalogService/GetCatalogStats"
GET_ITEM = "catalog.v1.CatalogService/GetItem"
LIMITS_OF = "gateway.v1.GatewayService/GetLimits"
# QTS may make one call and then waits 100 s for the next; PSB may hold one stream at a time.
LIMITS = {
    "principals": {
        "department/QTS": {"requests_per_second": 0.01, "burst": 1},
        "department/PSB": {"max_concurrent_streams": 1},
        # Reading the whole catalog with its items is about 0.9 MiB: a budget of a few such reads.
        "maintainer/ops": {"response_bytes_per_second": 100_000, "response_bytes_burst": 3_000_000},
    }
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Identity and limits are the gateway's business alone; one SQLite catalog behind it is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture
async def mesh(mesh_settings: Settings, database_url: str, span_exporter: InMemorySpanExporter) -> AsyncIterator[Mesh]:
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for principal in ("department/QTS", "department/PSB", "admin/hub"):
        authority.issue_client(Principal.parse(principal))
    settings = mesh_settings.model_copy(
        update={"http_port": 0, "gateway_revocation_check_seconds": 0.1, "gateway_limits": json.dumps(LIMITS)}
    )
    running = await start_mesh(settings, database_url)
    try:
        yield running
    finally:
        await running.stop()


async def test_a_caller_without_a_certificate_from_the_hub_ca_is_refused_at_the_handshake(
    mesh: Mesh, tmp_path: Path
) -> None:
    stranger = CertificateAuthority(tmp_path / "other-ca")
    stranger.init()
    stranger.issue_client(Principal.parse("department/LTAX"))  # the right name, from the wrong CA
    hub_ca = mesh.settings.certs_dir / "ca.pem"
    for identity, certs_dir in ((None, mesh.settings.certs_dir), ("department/LTAX", stranger.directory)):
        async with (
            client(mesh, identity)
            if certs_dir == mesh.settings.certs_dir
            else _client_from(mesh, certs_dir, hub_ca) as http
        ):
            with pytest.raises(httpx.TransportError):
                await call(http, STATS)


def _client_from(mesh: Mesh, certs_dir: Path, ca_pem: Path) -> httpx.AsyncClient:
    from tests.integration.http_support import door_url, tls_context

    return httpx.AsyncClient(base_url=door_url(mesh), verify=tls_context(certs_dir, "department/LTAX", ca_pem=ca_pem))


async def test_identity_headers_a_caller_sends_are_not_believed(mesh: Mesh) -> None:
    spoofed = {
        "x-govmesh-principal": "admin/hub",
        "x-forwarded-client-cert": "URI=spiffe://govmesh/admin/hub",
        "ssl-client-cert": "spiffe://govmesh/admin/hub",
    }
    async with client(mesh, "department/LTAX") as http:
        who = await http.post("/gateway.v1.GatewayService/WhoAmI", json={}, headers=spoofed)
        upstreams = await http.post("/gateway.v1.GatewayService/ListUpstreams", json={}, headers=spoofed)
    assert who.json()["principal"]["name"] == "principals/department/LTAX"
    assert error_of(upstreams).reason == "ROLE_REQUIRED"


async def test_a_revoked_certificate_is_refused_on_its_open_connection(mesh: Mesh) -> None:
    async with client(mesh, "department/LTAX") as http:
        assert (await call(http, STATS)).status_code == 200
        CertificateAuthority(mesh.settings.certs_dir).revoke("department/LTAX")
        deadline = asyncio.get_running_loop().time() + 10
        while (response := await call(http, STATS)).status_code == 200:
            assert asyncio.get_running_loop().time() < deadline, "the revoked certificate was still served after 10 s"
            await asyncio.sleep(0.1)
    refusal = error_of(response)
    assert (refusal.http_status, refusal.code, refusal.reason) == (401, "unauthenticated", "CERTIFICATE_REVOKED")
    async with client(mesh, "department/AIC") as http:
        assert (await call(http, STATS)).status_code == 200  # everyone else is still served


async def test_revoking_a_certificate_ends_its_open_stream_at_the_http_door(mesh: Mesh) -> None:
    async with client(mesh, "department/LTAX") as http, asyncio.timeout(30):
        messages = stream(http, "catalog.v1.CatalogService/WatchCatalog", {}, timeout_ms=20_000)
        opened = asyncio.ensure_future(anext(messages))
        await _until_open_streams(http, 1)  # the stream is admitted and open, idle
        CertificateAuthority(mesh.settings.certs_dir).revoke("department/LTAX")
        end = await opened
        assert isinstance(end, StreamEnd), end  # nothing was published: its first message is its end
    assert end.error is not None
    assert (end.error.code, end.error.reason) == ("unauthenticated", "CERTIFICATE_REVOKED")


async def test_both_doors_draw_on_one_allowance_per_principal(mesh: Mesh) -> None:
    stats = catalog_pb2_grpc.CatalogServiceStub(mesh.channel("department/QTS"))
    await stats.GetCatalogStats(pb.GetCatalogStatsRequest())  # QTS's one call, over gRPC
    async with client(mesh, "department/QTS") as http:
        refused = error_of(await call(http, STATS))
        # Refused before its body is read: a caller over its rate costs the door no parsing.
        unparsed = error_of(
            await http.post(f"/{STATS}", content=b"{not json", headers={"content-type": "application/json"})
        )
    assert (refused.http_status, refused.code, refused.reason) == (429, "resource_exhausted", "RATE_LIMITED")
    assert refused.details["RetryInfo"].retry_delay.seconds > 1
    assert unparsed.reason == "RATE_LIMITED"


async def test_calls_over_http_are_charged_what_their_answers_cost(mesh: Mesh) -> None:
    everything = {"pageSize": 1000, "includeItems": True}
    served = 0
    async with client(mesh, "maintainer/ops") as http:
        for _ in range(10):
            response = await call(http, "catalog.v1.CatalogService/ListSubjects", everything)
            if response.status_code != 200:
                break
            served += 1
    # Three 0.9 MiB answers fit a 3 MB budget (one more may take it into debt); not ten.
    assert 1 <= served <= 4, served
    refusal = error_of(response)
    assert (refusal.http_status, refusal.reason) == (429, "COST_LIMITED")


async def test_a_principal_at_its_stream_limit_is_refused_another_over_http(mesh: Mesh) -> None:
    watch = catalog_pb2_grpc.CatalogServiceStub(mesh.channel("department/PSB")).WatchCatalog(pb.WatchCatalogRequest())
    try:
        async with client(mesh, "department/PSB") as http:
            await _until_open_streams(http, 1)  # PSB's one stream, over gRPC
            messages = stream(http, "catalog.v1.CatalogService/WatchCatalog", {}, timeout_ms=10_000)
            ends = [m async for m in messages if isinstance(m, StreamEnd)]
    finally:
        watch.cancel()
    assert ends[0].error is not None and ends[0].error.reason == "TOO_MANY_STREAMS"
    async with client(mesh, "department/PSB") as http:
        await _until_open_streams(http, 0)  # the gRPC stream closed
        messages = stream(http, "catalog.v1.CatalogService/WatchCatalog", {}, timeout_ms=300)
        ends = [m async for m in messages if isinstance(m, StreamEnd)]
        assert ends[0].error is not None and ends[0].error.code == "deadline_exceeded"  # admitted, then timed out
        await _until_open_streams(http, 0)  # and its slot given back


async def _until_open_streams(http: httpx.AsyncClient, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (await call(http, LIMITS_OF)).json()["usage"].get("openStreams", 0) != count:
        assert asyncio.get_running_loop().time() < deadline, f"open streams never came to {count}"
        await asyncio.sleep(0.05)


async def test_the_callers_trace_continues_through_the_door_and_calls_are_counted(
    mesh: Mesh, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[tuple[str, str, str]] = []
    original = CallMetrics.record

    def spy(self: CallMetrics, method: str, principal: str, seconds: float, code: str = "OK") -> None:
        recorded.append((method, principal, code))
        original(self, method, principal, seconds, code)

    monkeypatch.setattr(CallMetrics, "record", spy)
    span_exporter.clear()
    carrier: dict[str, Any] = {}
    with trace.get_tracer("department-backend").start_as_current_span("department lookup") as root:
        TraceContextTextMapPropagator().inject(carrier)
        async with client(mesh, "department/LTAX") as http:
            found = await http.post(
                f"/{GET_ITEM}", json={"name": "subjects/102.001/items/102.001.001"}, headers=carrier
            )
            missing = await call(http, GET_ITEM, {"name": "subjects/102.001/items/999.999.999"})
            misspelt = await call(http, GET_ITEM, {"nmae": "subjects/102.001/items/102.001.001"})
    assert found.status_code == 200 and missing.status_code == 404
    trace_id = root.get_span_context().trace_id
    spans = {s.name: s for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id}
    door, catalog = spans[f"gateway /{GET_ITEM}"], spans[f"/{GET_ITEM}"]
    assert door.parent is not None and door.parent.span_id == root.get_span_context().span_id
    assert catalog.parent is not None and catalog.parent.span_id == door.context.span_id
    assert (f"/{GET_ITEM}", "department/LTAX", "OK") in recorded
    assert (f"/{GET_ITEM}", "department/LTAX", "NOT_FOUND") in recorded
    assert misspelt.status_code == 400 and (f"/{GET_ITEM}", "department/LTAX", "INVALID_ARGUMENT") in recorded


async def test_a_renewed_gateway_certificate_is_presented_to_new_connections_without_a_restart(mesh: Mesh) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)

    def presented() -> bytes:
        context = tls_context(mesh.settings.certs_dir, "department/LTAX")
        port = mesh.gateway.http.port  # type: ignore[attr-defined]
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            return tls.getpeercert(binary_form=True) or b""

    before = await asyncio.to_thread(presented)
    authority.issue_server()
    renewed = ssl.PEM_cert_to_DER_cert(authority.path("gateway", "pem").read_text())
    deadline = asyncio.get_running_loop().time() + 10
    while (now := await asyncio.to_thread(presented)) != renewed:
        assert now == before and asyncio.get_running_loop().time() < deadline, "the renewed certificate was not used"
        await asyncio.sleep(0.1)
    async with client(mesh, "department/LTAX") as http:
        assert (await call(http, STATS)).status_code == 200
