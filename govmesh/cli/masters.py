"""`govmesh masters …`: look up master records, work the review queue, batch-link files, report data quality."""

from __future__ import annotations

import csv
import dataclasses
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from google.protobuf.json_format import MessageToDict

from govmesh.cli.common import AsJson, Identity, Insecure, Target, console, fitting_table, gateway_stub, print_json
from govmesh.contracts.masters.v1 import masters_pb2 as pb
from govmesh.contracts.masters.v1 import masters_pb2_grpc

if TYPE_CHECKING:
    from govmesh.services.masters.batch import BatchSummary

app = typer.Typer(help="Master records: look up, review, batch-link files, data quality.", no_args_is_help=True)
review_app = typer.Typer(help="The review queue: links the model proposed below the link threshold.")
app.add_typer(review_app, name="review")

Reason = Annotated[str, typer.Option("--reason", help="Why, for the audit.")]
_STATES = {"open": pb.REVIEW_STATE_OPEN, "confirmed": pb.REVIEW_STATE_CONFIRMED, "rejected": pb.REVIEW_STATE_REJECTED}
LOAD_BATCH = 1000


def _stub(target: str, identity: str, insecure: bool) -> AbstractContextManager[masters_pb2_grpc.MastersServiceStub]:
    return gateway_stub(masters_pb2_grpc.MastersServiceStub, target, identity, insecure)


def _dict(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def _name(text: str, prefix: str) -> str:
    return text if text.startswith(f"{prefix}/") else f"{prefix}/{text}"


def _print_master(master: pb.MasterRecord) -> None:
    table = fitting_table(f"{master.name} (version {master.version})", "field", "master", "differs at")
    differing = {d.field: d.department_values for d in master.differences}
    for field, value in sorted(master.fields.items()):
        table.add_row(field, value, "; ".join(f"{k}: {v}" for k, v in sorted(differing.get(field, {}).items())))
    console.print(table)
    linked = fitting_table("linked records", "department", "key", "subject", "method", "score", "name")
    for record in master.linked_records:
        score = f"{record.evidence.score:.3f}"
        linked.add_row(
            record.department, record.key, record.subject, record.evidence.method, score, record.fields.get("name", "")
        )
    console.print(linked)


@app.command()
def show(
    key_or_name: Annotated[str, typer.Argument(help="masters/ID, DEPARTMENT:KEY, a name or an identifier.")],
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Show the master records a department's key, a name or an identifier leads to, with where departments differ."""
    with _stub(target, identity, insecure) as stub:
        if key_or_name.startswith("masters/"):
            names = [key_or_name]
        else:
            department, colon, key = key_or_name.partition(":")
            request = (
                pb.LookupMasterRecordsRequest(department=department, key=key)
                if colon and department.isupper()
                else pb.LookupMasterRecordsRequest(query=key_or_name)
            )
            names = [m.name for m in stub.LookupMasterRecords(request, timeout=30).master_records]
        masters = [stub.GetMasterRecord(pb.GetMasterRecordRequest(name=n), timeout=30).master_record for n in names]
    if as_json:
        print_json([_dict(master) for master in masters])
        return
    if not masters:
        console.print(f"no master record for {key_or_name}")
        raise typer.Exit(1)
    for master in masters:
        _print_master(master)


@app.command()
def lifecycle(
    master: Annotated[str, typer.Argument(help="masters/ID")],
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Every event about one master record across departments, oldest first, as the caller may see it."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.GetLifecycle(pb.GetLifecycleRequest(name=_name(master, "masters")), timeout=30)
    if as_json:
        print_json(_dict(reply))
        return
    table = fitting_table(_name(master, "masters"), "time", "department", "subject", "what")
    for event in reply.events:
        table.add_row(event.event_time.ToJsonString(), event.department, event.subject, event.summary)
    console.print(table)
    if reply.hidden_count:
        console.print(f"{reply.hidden_count} events you may not see are left out")


@review_app.command("list")
def review_list(
    state: Annotated[str, typer.Option(help="open, confirmed or rejected.")] = "open",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """List review items."""
    if state not in _STATES:
        raise typer.BadParameter(f"state must be one of {', '.join(_STATES)}")
    with _stub(target, identity, insecure) as stub:
        reply = stub.ListReviewItems(pb.ListReviewItemsRequest(state=_STATES[state], page_size=500), timeout=30)
    if as_json:
        print_json([_dict(item) for item in reply.review_items])
        return
    table = fitting_table(f"{state} review items", "item", "record", "now in", "proposed", "score", "disagreed")
    for item in reply.review_items:
        table.add_row(
            item.name, f"{item.department}:{item.key}", item.current_master, item.proposed_master,
            f"{item.evidence.score:.3f}", ", ".join(item.evidence.disagreed),
        )  # fmt: skip
    console.print(table)


def _decide(item: str, confirm: bool, reason: str, as_json: bool, target: str, identity: str, insecure: bool) -> None:
    name = _name(item, "reviewItems")
    with _stub(target, identity, insecure) as stub:
        if confirm:
            decided = stub.ConfirmReviewItem(pb.ConfirmReviewItemRequest(name=name, reason=reason), timeout=30)
        else:
            decided = stub.RejectReviewItem(pb.RejectReviewItemRequest(name=name, reason=reason), timeout=30)
    if as_json:
        print_json(_dict(decided.review_item))
    else:
        state = pb.ReviewState.Name(decided.review_item.state).removeprefix("REVIEW_STATE_").lower()
        console.print(f"{name}: {state}")


ReviewItemName = Annotated[str, typer.Argument(help="reviewItems/ID")]


@review_app.command()
def confirm(
    item: ReviewItemName,
    reason: Reason = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Confirm a review item: the record joins the proposed master record."""
    _decide(item, True, reason, as_json, target, identity, insecure)


@review_app.command()
def reject(
    item: ReviewItemName,
    reason: Reason = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Reject a review item: the record stays a master record of its own."""
    _decide(item, False, reason, as_json, target, identity, insecure)


@review_app.command()
def split(
    master: Annotated[str, typer.Argument(help="masters/ID")],
    records: Annotated[list[str], typer.Option("--record", help="DEPARTMENT:KEY of a record to split out; repeat.")],
    reason: Reason = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Split records out of a master record into a new one."""
    refs = []
    for text in records:
        department, colon, key = text.partition(":")
        if not colon:
            raise typer.BadParameter(f"{text!r} is not DEPARTMENT:KEY")
        refs.append(pb.RecordRef(department=department, key=key))
    with _stub(target, identity, insecure) as stub:
        request = pb.SplitMasterRecordRequest(name=_name(master, "masters"), records=refs, reason=reason)
        reply = stub.SplitMasterRecord(request, timeout=30)
    if as_json:
        print_json(_dict(reply))
    else:
        console.print(f"{reply.created.name} split from {reply.source.name}")


@review_app.command()
def merge(
    master: Annotated[str, typer.Argument(help="masters/ID that stays")],
    absorbed: Annotated[str, typer.Argument(help="masters/ID whose records move into it")],
    reason: Reason = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Merge one master record into another (refused when their valid identifiers differ)."""
    with _stub(target, identity, insecure) as stub:
        request = pb.MergeMasterRecordsRequest(
            name=_name(master, "masters"), absorbed=_name(absorbed, "masters"), reason=reason
        )
        reply = stub.MergeMasterRecords(request, timeout=30)
    if as_json:
        print_json(_dict(reply.master_record))
    else:
        console.print(f"{_name(absorbed, 'masters')} merged into {reply.master_record.name}")


_KINDS = {"person": pb.ENTITY_KIND_PERSON, "enterprise": pb.ENTITY_KIND_ENTERPRISE}
_FIELDS = ("name", "uscc", "id_number", "address", "legal_rep", "district", "established", "birth_date", "gender")


def _records_to_load(path: Path) -> tuple[str, list[pb.DepartmentRecord]]:
    """The file's records as LoadRecords takes them; the file was already checked by linking it."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("record_id")]
    departments = {row["department"].strip() for row in rows}
    if len(departments) != 1:
        raise typer.BadParameter(f"--load takes one department's file; this one has {', '.join(sorted(departments))}")
    records = [
        pb.DepartmentRecord(
            key=row["record_id"].strip(),
            kind=_KINDS[row["kind"].strip()],
            **{name: (row.get(name) or "").strip() for name in _FIELDS},
        )
        for row in rows
    ]
    return departments.pop(), records


def _link_with_progress(input_path: Path, output: Path) -> BatchSummary:
    from rich.progress import Progress

    from govmesh.services.masters.batch import MalformedInputError, link_csv

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("linking", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        try:
            return link_csv(input_path, output, progress=progress)
        except MalformedInputError as error:
            console.print(f"[red]error[/red]: {input_path}: {error}; nothing was linked or loaded")
            raise typer.Exit(2) from None


@app.command()
def link(
    input_path: Annotated[Path, typer.Argument(help="UTF-8 CSV of department records.", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write one line per input record.")],
    load: Annotated[bool, typer.Option("--load", help="Also load the records into the masters service.")] = False,
    as_json: AsJson = False,
    target: Target = "",
    identity: Annotated[str, typer.Option("--as", help="Certificate for --load; default the file's department.")] = "",
    insecure: Insecure = False,
) -> None:
    """Link a department's CSV file into master records in one run (the service's engine and rules)."""
    summary = _link_with_progress(input_path, out)
    loaded = 0
    if load:
        department, records = _records_to_load(input_path)
        with _stub(target, identity or f"department/{department}", insecure) as stub:
            for start in range(0, len(records), LOAD_BATCH):
                batch = records[start : start + LOAD_BATCH]
                loaded += len(stub.LoadRecords(pb.LoadRecordsRequest(records=batch), timeout=120).results)
    document = {**dataclasses.asdict(summary), "output": str(out), "loaded": loaded}
    if as_json:
        print_json(document)
        return
    table = fitting_table(f"linked {input_path}", "", "count")
    for key, value in document.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def quality(
    as_json: AsJson = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML page with charts here.")] = None,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Per department and subject: invalid identifiers, disagreement with the masters, unmatched, open reviews."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.GetQualityReport(pb.GetQualityReportRequest(), timeout=60)
    report = {
        "master_count": reply.master_count,
        "rows": [
            {
                "department": row.department,
                "subject": row.subject,
                "records": row.record_count,
                "invalid_identifier_share": row.invalid_identifier_share,
                "disagreement_shares": dict(sorted(row.disagreement_shares.items())),
                "unmatched": row.unmatched_count,
                "open_reviews": row.open_review_count,
            }
            for row in reply.rows
        ],
    }
    if html is not None:
        from govmesh.cli.masters_report import quality_html

        html.write_text(quality_html(report), encoding="utf-8")
    if as_json:
        print_json(report)
        return
    table = fitting_table(
        f"master data quality ({reply.master_count} master records)",
        "department", "subject", "records", "invalid ids", "disagreeing", "unmatched", "open reviews",
    )  # fmt: skip
    for row in report["rows"]:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in row["disagreement_shares"].items())
        table.add_row(
            row["department"], row["subject"], str(row["records"]), f"{row['invalid_identifier_share']:.1%}",
            shares, str(row["unmatched"]), str(row["open_reviews"]),
        )  # fmt: skip
    console.print(table)
