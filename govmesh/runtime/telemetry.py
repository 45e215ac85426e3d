"""OpenTelemetry for every process: traces over OTLP or to a span file, metrics, and trace-aware logs."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

from govmesh.runtime import prometheus

# A span file is rotated once it passes this size: the current file and one older one are kept.
SPAN_FILE_MAX_BYTES = 64 * 1024 * 1024

_configured = False
# Whether configure() found somewhere to send spans; None in a process that never called it (tests
# install their own tracer provider and exporters).
_exporting: bool | None = None


def spans_exported() -> bool:
    """False only when this process was configured with no exporter, so every span would be thrown away."""
    return _exporting is not False


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object a line, for `govmesh trace` to read."""

    def __init__(self, path: Path, max_bytes: int = SPAN_FILE_MAX_BYTES):
        self._path = path
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def _rotate_if_full(self) -> None:
        # Every process of the mesh appends to one file; whichever finds it full moves it aside.
        # os.replace is atomic, so a writer still holding the old file only adds its last lines there.
        try:
            if self._path.stat().st_size >= self._max_bytes:
                os.replace(self._path, rotated_path(self._path))
        except FileNotFoundError:
            pass

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            assert ctx is not None  # a finished SDK span always has one
            parent = span.parent
            lines.append(
                json.dumps(
                    {
                        "trace_id": format(ctx.trace_id, "032x"),
                        "span_id": format(ctx.span_id, "016x"),
                        "parent_id": format(parent.span_id, "016x") if parent else None,
                        "name": span.name,
                        "service": span.resource.attributes.get("service.name"),
                        "start_ns": span.start_time,
                        "end_ns": span.end_time,
                        "status": span.status.status_code.name,
                        "attributes": {k: _plain(v) for k, v in (span.attributes or {}).items()},
                    },
                    ensure_ascii=False,
                )
            )
        with self._lock:
            self._rotate_if_full()
            with self._path.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def rotated_path(path: Path) -> Path:
    """Where a full span file goes: `spans.jsonl` → `spans.jsonl.1`."""
    return path.with_name(path.name + ".1")


class SkipHealthChecks(Sampler):
    """Records no span for grpc.health.v1 probes: load balancers and `up` ask many times a second,
    and their spans would drown the calls people trace."""

    def __init__(self, delegate: Sampler):
        self._delegate = delegate

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if "grpc.health.v1.Health/" in name:
            return ALWAYS_OFF.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)
        return self._delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"SkipHealthChecks({self._delegate.get_description()})"


RECORD_ALL = SkipHealthChecks(ParentBased(TraceIdRatioBased(1.0)))


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else str(value)


class TraceContextJsonFormatter(logging.Formatter):
    """Formats a log record as one JSON object carrying the current trace and span ids."""

    def __init__(self, service: str):
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        ctx = trace.get_current_span().get_span_context()
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if ctx.is_valid:
            payload["trace_id"] = format(ctx.trace_id, "032x")
            payload["span_id"] = format(ctx.span_id, "016x")
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class TraceContextTextFormatter(logging.Formatter):
    """Plain text logs for humans, still carrying the trace id."""

    def __init__(self, service: str):
        super().__init__("%(asctime)s %(levelname)s " + service + " %(name)s [trace=%(trace_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else "-"
        return super().format(record)


def configure(
    service: str,
    *,
    trace_file: str = "",
    log_level: str = "INFO",
    log_format: str = "json",
    metrics_port: int = 0,
    metrics_host: str = "127.0.0.1",
    certs_dir: Path | None = None,
) -> None:
    """Sets up tracing, metrics and logging once per process.

    Spans go to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else to `trace_file` when given,
    else nowhere (the tracer still propagates context so other hops stay linked). Metrics go to OTLP
    likewise, and to a Prometheus scrape endpoint on `metrics_host:metrics_port` when the port is set.
    """
    global _configured, _exporting
    if _configured:
        return
    _configured = True
    _exporting = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or trace_file)
    resource = Resource.create({"service.name": f"govmesh-{service}", "service.namespace": "govmesh"})
    # With nowhere to send spans, none is recorded (ALWAYS_OFF), yet each still carries its trace id
    # to logs and to the next hop: context propagation costs little, recording costs a lot.
    provider = TracerProvider(resource=resource, sampler=RECORD_ALL if _exporting else ALWAYS_OFF)
    readers: list[MetricReader] = []
    if metrics_port:
        readers.append(prometheus.start_endpoint(metrics_port, metrics_host))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    if readers:
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
        if certs_dir is not None:
            prometheus.observe_certificates(certs_dir, service)
    if trace_file and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        provider.add_span_processor(
            BatchSpanProcessor(JsonLinesSpanExporter(Path(trace_file)), schedule_delay_millis=500)
        )
    trace.set_tracer_provider(provider)

    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = (
        TraceContextJsonFormatter(service) if log_format == "json" else TraceContextTextFormatter(service)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level.upper())


def shutdown() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
    meter_provider = metrics.get_meter_provider()
    if isinstance(meter_provider, MeterProvider):
        meter_provider.shutdown()
