"""What authz's use cases share: the error domain, call limits, and the trace id audit entries carry."""

from __future__ import annotations

from opentelemetry import trace

ERROR_DOMAIN = "authz.govmesh"
MAX_QUERIES_PER_BATCH = 1000
MAX_AUDIT_ENTRIES_PER_APPEND = 1000


def trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""
