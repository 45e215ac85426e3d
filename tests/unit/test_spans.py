"""Unit tests for `govmesh trace`: reading span files and linking spans into a tree."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from govmesh.runtime.spans import build_tree, read_trace, render_tree

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _span(span_id: str, parent: str | None, name: str, start: int, end: int, trace: str = TRACE) -> str:
    return json.dumps(
        {
            "trace_id": trace,
            "span_id": span_id,
            "parent_id": parent,
            "name": name,
            "service": "govmesh-gateway",
            "start_ns": start,
            "end_ns": end,
            "status": "ERROR" if "fail" in name else "UNSET",
            "attributes": {},
        }
    )


def test_spans_from_several_files_form_one_tree_ordered_by_start(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        "\n".join([_span("01", "ff", "gateway call", 0, 5_000_000), _span("03", "01", "second", 3_000_000, 4_000_000)])
        + "\n{half a line",
        encoding="utf-8",
    )
    (tmp_path / "b.jsonl").write_text(
        "\n".join([_span("02", "01", "first fail", 1_000_000, 2_500_000), _span("09", None, "other", 0, 1, "f" * 32)])
        + "\n",
        encoding="utf-8",
    )
    spans = read_trace([tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "missing.jsonl"], TRACE.upper())
    roots = build_tree(spans)
    assert [r.name for r in roots] == ["gateway call"]
    assert [c.name for c in roots[0].children] == ["first fail", "second"]
    assert roots[0].duration_ms == 5.0

    console = Console(width=200, record=True, color_system=None)
    console.print(render_tree(TRACE, roots))
    text = console.export_text()
    assert f"trace {TRACE} — 3 spans" in text
    assert "first fail govmesh-gateway 1.50 ms (+1.00 ms) ERROR" in text


def test_health_checks_are_not_recorded_while_other_calls_are() -> None:
    from opentelemetry.sdk.trace.sampling import Decision

    from govmesh.runtime.telemetry import RECORD_ALL

    health = RECORD_ALL.should_sample(None, 1, "/grpc.health.v1.Health/Check")
    gateway_health = RECORD_ALL.should_sample(None, 2, "gateway /grpc.health.v1.Health/Watch")
    call = RECORD_ALL.should_sample(None, 3, "/catalog.v1.CatalogService/GetItem")
    assert health.decision == gateway_health.decision == Decision.DROP
    assert call.decision == Decision.RECORD_AND_SAMPLE


def test_a_full_span_file_is_moved_aside_and_a_new_one_started(tmp_path: Path) -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from govmesh.runtime.telemetry import JsonLinesSpanExporter, rotated_path

    path = tmp_path / "spans.jsonl"
    provider = TracerProvider(resource=Resource.create({"service.name": "govmesh-test"}))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path, max_bytes=2_000)))
    tracer = provider.get_tracer("test")
    for n in range(40):
        with tracer.start_as_current_span(f"call {n}"):
            pass
    assert rotated_path(path).exists()
    assert path.stat().st_size < 2_000 + 1_000  # one span past the cap at most
    names = [json.loads(line)["name"] for f in (rotated_path(path), path) for line in f.read_text().splitlines()]
    assert names[-1] == "call 39"
    provider.shutdown()
