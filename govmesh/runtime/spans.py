"""Reading the span files the mesh writes (JSON lines) and showing one trace as a tree, for `govmesh trace`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.tree import Tree


@dataclass
class SpanRecord:
    """One finished span as JsonLinesSpanExporter wrote it, and the spans started under it."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any]
    children: list[SpanRecord] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def read_trace(paths: Iterable[Path], trace_id: str) -> list[SpanRecord]:
    """Every span of the trace in the files; lines that do not parse (a line still being written) are skipped."""
    wanted = trace_id.strip().lower()
    found: dict[str, SpanRecord] = {}
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if wanted not in line:
                    continue
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if raw.get("trace_id") != wanted:
                    continue
                found[raw["span_id"]] = SpanRecord(
                    trace_id=raw["trace_id"],
                    span_id=raw["span_id"],
                    parent_id=raw.get("parent_id"),
                    name=raw.get("name", ""),
                    service=raw.get("service") or "",
                    start_ns=int(raw.get("start_ns") or 0),
                    end_ns=int(raw.get("end_ns") or 0),
                    status=raw.get("status", "UNSET"),
                    attributes=raw.get("attributes") or {},
                )
    return list(found.values())


def build_tree(spans: list[SpanRecord]) -> list[SpanRecord]:
    """Links each span under its parent; returns the roots (spans whose parent is not in the files), by start."""
    by_id = {s.span_id: s for s in spans}
    roots = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = by_id.get(span.parent_id) if span.parent_id else None
        if parent is None:
            roots.append(span)
        else:
            parent.children.append(span)
    return roots


def _label(span: SpanRecord, trace_start: int) -> str:
    offset = (span.start_ns - trace_start) / 1e6
    status = " [red]ERROR[/red]" if span.status == "ERROR" else ""
    service = f" [cyan]{escape(span.service)}[/cyan]" if span.service else ""
    timing = f"[green]{span.duration_ms:.2f} ms[/green] (+{offset:.2f} ms)"
    return f"[bold]{escape(span.name)}[/bold]{service} {timing}{status}"


def render_tree(trace_id: str, roots: list[SpanRecord]) -> Tree:
    """A rich tree: each span's name, service, duration, and start offset from the trace's first span."""
    start = min((r.start_ns for r in roots), default=0)
    count = 0
    tree = Tree("")

    def add(branch: Tree, span: SpanRecord) -> None:
        nonlocal count
        count += 1
        node = branch.add(_label(span, start))
        for child in span.children:
            add(node, child)

    for root in roots:
        add(tree, root)
    tree.label = f"trace [bold]{escape(trace_id)}[/bold] — {count} spans"
    return tree
