"""SREs follow one call across hops: W3C trace context through the gateway, trace ids in logs."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.runtime.telemetry import TraceContextJsonFormatter
from tests.integration.mesh import Mesh


async def test_one_trace_links_the_caller_the_gateway_and_the_catalog(
    mesh: Mesh, span_exporter: InMemorySpanExporter
) -> None:
    span_exporter.clear()
    tracer = trace.get_tracer("department-backend")
    with tracer.start_as_current_span("department call") as root:
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        await mesh.catalog_stub().GetItem(
            pb.GetItemRequest(name="subjects/102.001/items/102.001.001"), metadata=tuple(carrier.items())
        )
    trace_id = root.get_span_context().trace_id
    spans = [s for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in spans}
    gateway = next(s for s in spans if s.name.startswith("gateway /catalog.v1.CatalogService/GetItem"))
    catalog = next(s for s in spans if s.name == "/catalog.v1.CatalogService/GetItem")
    assert gateway.parent is not None and gateway.parent.span_id == root.get_span_context().span_id
    assert catalog.parent is not None and by_id[catalog.parent.span_id] is gateway


async def test_log_lines_carry_the_trace_id_of_the_call_they_belong_to(span_exporter: InMemorySpanExporter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TraceContextJsonFormatter("catalog"))
    logger = logging.getLogger("govmesh.test.tracing")
    logger.addHandler(handler)
    logger.propagate = False
    with trace.get_tracer("t").start_as_current_span("work") as span:
        logger.warning("something happened")
    line = json.loads(stream.getvalue())
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["service"] == "catalog" and line["message"] == "something happened"
