"""Pages for auditors and SREs: the audit log with filters and CSV export, the ledger's verification, a trace tree."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from govmesh.client import enum_label, write_audit
from govmesh.console.web import PAGE_SIZE, BadInput, ConsoleConfig, Page, page, parse_day, stamp
from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.contracts.exchange.v1 import exchange_pb2 as epb
from govmesh.runtime import spans

_FILTERS = ("principal", "decision", "subject", "grant", "reason", "trace", "since", "until")
# One page of an export; the export goes on page by page until the log ends.
_EXPORT_PAGE = 1000


def _audit_request(current: Page) -> pb.ListAuditEntriesRequest:
    """The filters of the audit page as a request; a value the log does not know is refused before any call."""
    principal, subject, grant = current.query("principal"), current.query("subject"), current.query("grant")
    request = pb.ListAuditEntriesRequest(
        principal=principal if not principal or principal.startswith("principals/") else f"principals/{principal}",
        subject=subject if not subject or subject.startswith("subjects/") else f"subjects/{subject}",
        grant=grant if not grant or grant.startswith("grants/") else f"grants/{grant}",
        trace_id=current.query("trace"),
    )
    for field, enum_type in (("decision", pb.Decision), ("reason", pb.ReasonCode)):
        text = current.query(field)
        if text:
            choices = {enum_label(enum_type, v): v for v in enum_type.values() if v}
            if text not in choices:
                raise BadInput(f"{field} {text!r} is not one of {', '.join(choices)}")
            setattr(request, field, choices[text])
    since, until = parse_day(current.query("since")), parse_day(current.query("until"))
    if since:
        request.start_time.CopyFrom(stamp(since))
    if until:
        request.end_time.CopyFrom(stamp(until))
    return request


async def audit(request: Request) -> Response:
    current = page(request)
    query = _audit_request(current)
    query.page_size = PAGE_SIZE
    query.page_token = current.query("page_token")
    reply = await current.stubs.authz.ListAuditEntries(query)
    filters = {name: current.query(name) for name in _FILTERS}
    export = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return current.render(
        "audit.html",
        entries=reply,
        filters=filters,
        export=export,
        decisions=[enum_label(pb.Decision, v) for v in pb.Decision.values() if v],
        pb=pb,
    )


async def audit_csv(request: Request) -> Response:
    """Every entry the filters select, as CSV (the columns of `govmesh audit --format csv`)."""
    current = page(request)
    query = _audit_request(current)
    stub = current.stubs.authz
    # The first page is read before answering, so a refused call shows as an error page, not a broken file.
    query.page_size = _EXPORT_PAGE
    first = await stub.ListAuditEntries(query)
    return StreamingResponse(
        _csv_pages(stub, query, first),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"},
    )


async def _csv_pages(
    stub: authz_pb2_grpc.AuthzServiceStub, query: pb.ListAuditEntriesRequest, reply: pb.ListAuditEntriesResponse
) -> AsyncIterator[bytes]:
    header = True
    while True:
        out = io.StringIO()
        write_audit(list(reply.entries), "csv", out)
        text = out.getvalue()
        # write_audit starts each chunk with the header; the file keeps only the first.
        yield (text if header else text.split("\n", 1)[1]).encode("utf-8")
        header = False
        if not reply.next_page_token:
            return
        query.page_token = reply.next_page_token
        reply = await stub.ListAuditEntries(query)


async def ledger(request: Request) -> Response:
    """The ledger's totals, and its hash chain verified when asked (it reads every entry, so only on demand)."""
    current = page(request)
    verified = None
    if current.query("verify"):
        verified = await current.stubs.exchange.VerifyLedger(epb.VerifyLedgerRequest(), timeout=300)
    stats = await current.stubs.exchange.GetLedgerStats(epb.GetLedgerStatsRequest())
    entries = await current.stubs.exchange.ListLedgerEntries(
        epb.ListLedgerEntriesRequest(page_size=PAGE_SIZE, page_token=current.query("page_token"))
    )
    return current.render("ledger.html", verified=verified, stats=stats, entries=entries, epb=epb)


async def trace(request: Request) -> Response:
    """One trace as a tree of spans, read from the span files the mesh writes."""
    current = page(request)
    trace_id = current.query("id").lower()
    roots: list[spans.SpanRecord] = []
    if trace_id:
        if len(trace_id) != 32 or any(c not in "0123456789abcdef" for c in trace_id):
            raise BadInput(f"{trace_id!r} is not a trace id (32 hexadecimal digits)")
        config: ConsoleConfig = request.app.state.config
        roots = spans.build_tree(spans.read_trace(config.trace_files, trace_id))
    start = min((r.start_ns for r in roots), default=0)
    return current.render("trace.html", trace_id=trace_id, roots=roots, start=start)


routes = [
    Route("/audit", audit),
    Route("/audit.csv", audit_csv),
    Route("/ledger", ledger),
    Route("/trace", trace),
]
