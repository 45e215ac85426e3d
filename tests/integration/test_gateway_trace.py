"""SREs' view of the gateway: `govmesh trace` on a span file from a real call, and metrics per RPC and principal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from typer.testing import CliRunner

from govmesh.cli.app import app
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.runtime import config, telemetry
from govmesh.runtime.config import Settings
from govmesh.runtime.telemetry import JsonLinesSpanExporter
from tests.integration.mesh import Mesh, start_mesh

GET_ITEM = "/catalog.v1.CatalogService/GetItem"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Tracing and metrics do not depend on the database; one SQLite catalog is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture(scope="session")
def metric_reader() -> InMemoryMetricReader:
    """Every metric the in-process servers record, read on demand."""
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return reader


def _traced_metadata(span: trace.Span) -> tuple[tuple[str, str], ...]:
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier, context=trace.set_span_in_context(span))
    return tuple(carrier.items())


async def test_the_trace_command_prints_the_tree_of_a_real_call(
    mesh: Mesh, span_exporter: InMemorySpanExporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    span_exporter.clear()
    with trace.get_tracer("department-backend").start_as_current_span("department lookup") as root:
        await mesh.catalog_stub().GetItem(
            pb.GetItemRequest(name="subjects/102.001/items/102.001.001"), metadata=_traced_metadata(root)
        )
    trace_id = format(root.get_span_context().trace_id, "032x")
    spans = [s for s in span_exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    span_file = tmp_path / "spans.jsonl"
    JsonLinesSpanExporter(span_file).export(spans)

    monkeypatch.setenv("GOVMESH_DATA_DIR", str(tmp_path))
    config.settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, app, ["trace", trace_id], terminal_width=200)
        missing = await asyncio.to_thread(CliRunner().invoke, app, ["trace", "0" * 32])
    finally:
        config.settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert trace_id in lines[0] and f"{len(spans)} spans" in lines[0]
    labels = [line.lstrip(" │├└─") for line in lines]

    def line_of(start: str) -> int:
        return next(n for n, label in enumerate(labels) if label.startswith(start))

    def depth(n: int) -> int:
        return len(lines[n]) - len(labels[n])

    root_line, gateway_line = line_of("department lookup"), line_of(f"gateway {GET_ITEM}")
    catalog_line = line_of(f"{GET_ITEM} ")

    assert root_line < gateway_line < catalog_line
    assert depth(root_line) < depth(gateway_line) < depth(catalog_line)
    assert " ms" in lines[catalog_line]
    assert missing.exit_code == 1 and "no spans" in missing.output


async def test_without_a_span_exporter_the_gateway_passes_the_callers_trace_on_unchanged(
    mesh_settings: Settings, database_url: str, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "_exporting", False)
    running = await start_mesh(mesh_settings, database_url)
    try:
        span_exporter.clear()
        with trace.get_tracer("department-backend").start_as_current_span("department lookup") as root:
            await running.catalog_stub().GetItem(
                pb.GetItemRequest(name="subjects/102.001/items/102.001.001"), metadata=_traced_metadata(root)
            )
        trace_id = root.get_span_context().trace_id
        spans = [s for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id]
        assert not [s for s in spans if s.name.startswith("gateway ")]
        catalog = next(s for s in spans if s.name == GET_ITEM)
        assert catalog.parent is not None and catalog.parent.span_id == root.get_span_context().span_id
    finally:
        for channel in running.channels:
            await channel.close()
        await running.gateway.stop(0.5)
        await running.catalog.stop(0.5)


def _points(reader: InMemoryMetricReader, name: str) -> list[tuple[dict[str, object], object]]:
    data = reader.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            if scope.scope.name != "govmesh.gateway":
                continue
            for metric in scope.metrics:
                if metric.name == name:
                    found.extend((dict(p.attributes or {}), p) for p in metric.data.data_points)
    return found


async def test_the_gateway_counts_calls_errors_and_latency_per_rpc_and_per_principal(
    metric_reader: InMemoryMetricReader, mesh: Mesh
) -> None:
    aic, ltax = mesh.catalog_stub("department/AIC"), mesh.catalog_stub("department/LTAX")
    for _ in range(3):
        await aic.GetItem(pb.GetItemRequest(name="subjects/102.001/items/102.001.001"))
    await ltax.GetItem(pb.GetItemRequest(name="subjects/102.001/items/102.001.001"))
    with pytest.raises(grpc.aio.AioRpcError):
        await ltax.GetItem(pb.GetItemRequest(name="subjects/102.001/items/999.999.999"))

    def by_principal(name: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for attributes, point in _points(metric_reader, name):
            if attributes["rpc.method"] == GET_ITEM:
                key = str(attributes["govmesh.principal"])
                counts[key] = counts.get(key, 0) + int(getattr(point, "value", 0) or getattr(point, "count", 0))
        return counts

    calls, errors, durations = (
        by_principal("govmesh.rpc.calls"),
        by_principal("govmesh.rpc.errors"),
        by_principal("govmesh.rpc.duration"),
    )
    assert calls["department/AIC"] >= 3 and calls["department/LTAX"] >= 2
    assert errors.get("department/LTAX", 0) >= 1
    assert durations["department/AIC"] == calls["department/AIC"]
    error_codes = {a.get("rpc.grpc.status_code") for a, _ in _points(metric_reader, "govmesh.rpc.errors")}
    assert "NOT_FOUND" in error_codes


@pytest.fixture(autouse=True)
def _settings_cache() -> Iterator[None]:
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()
