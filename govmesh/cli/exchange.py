"""`govmesh ledger …`: the auditors' tools — verify the hash chain, and count what was exchanged."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import AbstractContextManager
from typing import Annotated

import typer
from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.cli.common import (
    AsJson,
    Identity,
    Insecure,
    Target,
    console,
    fitting_table,
    gateway_stub,
    print_json,
)
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc

app = typer.Typer(help="The exchange ledger: verify its hash chain, count what was exchanged.", no_args_is_help=True)


_DIMENSIONS = {
    "department": pb.LEDGER_STATS_DIMENSION_DEPARTMENT,
    "subject": pb.LEDGER_STATS_DIMENSION_SUBJECT,
    "day": pb.LEDGER_STATS_DIMENSION_DAY,
}
_COUNTS = (
    "published_records",
    "delivered_records",
    "acknowledged_records",
    "requests",
    "replied_records",
    "dead_lettered_records",
    "exchanged_records",
    "entries",
)


def _stub(target: str, identity: str, insecure: bool) -> AbstractContextManager[exchange_pb2_grpc.ExchangeServiceStub]:
    return gateway_stub(exchange_pb2_grpc.ExchangeServiceStub, target, identity, insecure)


def _timestamp(day: str) -> Timestamp | None:
    if not day:
        return None
    try:
        moment = dt.datetime.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not a date (YYYY-MM-DD) or time (ISO 8601)") from None
    stamp = Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    return stamp


@app.command()
def verify(
    start: Annotated[int, typer.Option(help="First sequence to verify (1 when 0).")] = 0,
    end: Annotated[int, typer.Option(help="Last sequence to verify (the head when 0).")] = 0,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "auditor/audit",
    insecure: Insecure = False,
) -> None:
    """Verify the ledger's hash chain; exit 1 naming the first bad entry when it does not hold."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.VerifyLedger(pb.VerifyLedgerRequest(start_sequence=start, end_sequence=end), timeout=300)
    problem = pb.LedgerProblem.Name(reply.problem).removeprefix("LEDGER_PROBLEM_") if not reply.ok else ""
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": reply.ok,
                    "entries_checked": reply.entries_checked,
                    "first_bad_sequence": reply.first_bad_sequence,
                    "problem": problem,
                    "description": reply.description,
                    "last_sequence": reply.last_sequence,
                    "last_hash": reply.last_hash,
                }
            )
        )
    elif reply.ok:
        console.print(
            f"[green]ledger verified[/green]: {reply.entries_checked:,} entries, "
            f"head {reply.last_sequence} hash {reply.last_hash}"
        )
    else:
        console.print(f"[red]ledger broken at entry {reply.first_bad_sequence}[/red] ({problem}): {reply.description}")
        console.print(f"entries before it verified: {reply.entries_checked:,} (last good {reply.last_sequence})")
    if not reply.ok:
        raise typer.Exit(1)


@app.command()
def stats(
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Group by department, subject and/or day (repeatable, in order).")
    ] = None,
    department: Annotated[str, typer.Option(help="Only this department's exchanges.")] = "",
    subject: Annotated[str, typer.Option(help="Only this subject, e.g. 102.001.")] = "",
    since: Annotated[str, typer.Option(help="Only exchanges from this date or time on.")] = "",
    until: Annotated[str, typer.Option(help="Only exchanges before this date or time.")] = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "auditor/audit",
    insecure: Insecure = False,
) -> None:
    """Count what was exchanged, from the ledger, grouped by department, subject and day."""
    dimensions = []
    for name in by or []:
        if name not in _DIMENSIONS:
            raise typer.BadParameter(f"--by takes {', '.join(_DIMENSIONS)}, not {name!r}")
        dimensions.append(_DIMENSIONS[name])
    request = pb.GetLedgerStatsRequest(
        group_by=dimensions,
        department=department,
        subject=f"subjects/{subject}" if subject and not subject.startswith("subjects/") else subject,
        start_time=_timestamp(since),
        end_time=_timestamp(until),
    )
    rows: list[pb.LedgerStatsRow] = []
    with _stub(target, identity, insecure) as stub:
        while True:
            reply = stub.GetLedgerStats(request, timeout=60)
            rows += reply.rows
            if not reply.next_page_token:
                break
            request.page_token = reply.next_page_token
    labels = [name for name in by or []]
    if as_json:
        payload = {
            "rows": [{**{k: getattr(r, k) for k in labels}, **{c: getattr(r, c) for c in _COUNTS}} for r in rows],
            "total": {c: getattr(reply.total, c) for c in _COUNTS},
        }
        print_json(payload)
        return
    table = fitting_table("exchanged, from the ledger", *labels, key_columns=len(labels))
    for column in ("published", "delivered", "acked", "requests", "replied", "dead", "exchanged"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in [*rows, reply.total]:
        is_total = row is reply.total
        cells = [
            "total" if is_total and n == 0 else ("" if is_total else getattr(row, k)) for n, k in enumerate(labels)
        ]
        table.add_row(*cells, *(f"{getattr(row, c):,}" for c in _COUNTS[:-1]))
    console.print(table)
