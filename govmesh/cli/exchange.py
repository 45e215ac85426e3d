"""`govmesh ledger …`: the auditors' tools — verify the hash chain, and count what was exchanged."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

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


def _all_pages(call: Callable[..., Any], request: Any, field: str) -> tuple[list[Any], Any]:
    """Every item of a paged call, and its last reply (which carries the totals)."""
    items: list[Any] = []
    while True:
        reply = call(request, timeout=60)
        items += getattr(reply, field)
        if not reply.next_page_token:
            return items, reply
        request.page_token = reply.next_page_token


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
    with _stub(target, identity, insecure) as stub:
        rows, reply = _all_pages(stub.GetLedgerStats, request, "rows")
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


@app.command()
def entries(
    start: Annotated[int, typer.Option(help="First sequence to show.")] = 0,
    trace: Annotated[str, typer.Option(help="Only the entries of this trace id.")] = "",
    department: Annotated[str, typer.Option(help="Only entries this department sent or received.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many entries.")] = 20,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "auditor/audit",
    insecure: Insecure = False,
) -> None:
    """List ledger entries with their trace ids: `govmesh trace TRACE_ID` then shows the call behind one."""
    request = pb.ListLedgerEntriesRequest(
        start_sequence=start, trace_id=trace, department=department, page_size=min(max(limit, 1), 10_000)
    )
    with _stub(target, identity, insecure) as stub:
        found = list(stub.ListLedgerEntries(request, timeout=60).entries)[:limit]
    if as_json:
        print_json(
            [
                {
                    "sequence": entry.sequence,
                    "kind": pb.LedgerEntryKind.Name(entry.kind).removeprefix("LEDGER_ENTRY_KIND_"),
                    "sender": entry.sender,
                    "receivers": list(entry.receivers),
                    "subject": entry.subject,
                    "record_count": entry.record_count,
                    "payload_digest": entry.payload_digest,
                    "trace_id": entry.trace_id,
                    "create_time": entry.create_time.ToDatetime(tzinfo=dt.UTC).isoformat(),
                }
                for entry in found
            ]
        )
        return
    table = fitting_table("ledger entries", "seq", "kind", "sender", "receivers", "subject", "records", "trace id")
    for entry in found:
        kind = pb.LedgerEntryKind.Name(entry.kind).removeprefix("LEDGER_ENTRY_KIND_")
        receivers = ", ".join(entry.receivers)
        table.add_row(
            str(entry.sequence), kind, entry.sender, receivers, entry.subject, f"{entry.record_count:,}", entry.trace_id
        )
    console.print(table)


dead_letters_app = typer.Typer(
    help="A subscription's dead letters: list them, replay them once the cause is fixed.", no_args_is_help=True
)
Subscription = Annotated[str, typer.Argument(help="The subscription id (or subscriptions/<id>).")]
Department = Annotated[str, typer.Option("--as", help="The subscribing department's certificate, kind/code.")]


def _parent(subscription: str) -> str:
    return subscription if subscription.startswith("subscriptions/") else f"subscriptions/{subscription}"


@dead_letters_app.command("list")
def list_dead_letters(
    subscription: Subscription,
    identity: Department,
    as_json: AsJson = False,
    target: Target = "",
    insecure: Insecure = False,
) -> None:
    """Deliveries that ran out of attempts: which record, how often it was tried, and why it stopped."""
    request = pb.ListDeadLettersRequest(parent=_parent(subscription), page_size=1000)
    with _stub(target, identity, insecure) as stub:
        letters, _ = _all_pages(stub.ListDeadLetters, request, "dead_letters")
    reasons = {
        letter.name: pb.DeadLetterReason.Name(letter.reason).removeprefix("DEAD_LETTER_REASON_") for letter in letters
    }
    if as_json:
        print_json(
            [
                {
                    "name": letter.name,
                    "record_id": letter.record.record_id,
                    "attempts": letter.attempts,
                    "reason": reasons[letter.name],
                    "message": letter.message,
                }
                for letter in letters
            ]
        )
        return
    table = fitting_table(
        f"dead letters of {_parent(subscription)}: {len(letters)}", "name", "record", "attempts", "reason"
    )
    for letter in letters:
        table.add_row(letter.name, letter.record.record_id, str(letter.attempts), reasons[letter.name])
    console.print(table)


@dead_letters_app.command("replay")
def replay_dead_letters(
    subscription: Subscription,
    identity: Department,
    names: Annotated[list[str] | None, typer.Argument(help="Dead letters to replay (names from `list`).")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead letter of the subscription.")] = False,
    as_json: AsJson = False,
    target: Target = "",
    insecure: Insecure = False,
) -> None:
    """Deliver dead letters again, with fresh attempts; each replay is in the ledger."""
    if not names and not replay_all:
        raise typer.BadParameter("name the dead letters to replay, or --all")
    request = pb.ReplayDeadLettersRequest(parent=_parent(subscription), names=names or [], all=replay_all)
    with _stub(target, identity, insecure) as stub:
        reply = stub.ReplayDeadLetters(request, timeout=60)
    if as_json:
        print_json({"subscription": _parent(subscription), "replayed_count": reply.replayed_count})
    else:
        console.print(f"replayed {reply.replayed_count} dead letter(s) of {_parent(subscription)}")
