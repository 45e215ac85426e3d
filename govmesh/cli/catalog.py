"""`govmesh catalog …`: the maintainers' tools — stats, search, show, and catalog as code (export, plan, apply)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import grpc
import typer
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from govmesh.cli.common import (
    AsJson,
    Identity,
    Insecure,
    Target,
    console,
    fitting_table,
    gateway_stub,
    label,
    print_json,
)
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert as model_convert
from govmesh.kernel.catalog import plan as plan_requests
from govmesh.kernel.catalog.files import FileError, read_catalog_dir, subject_line, write_catalog_dir
from govmesh.kernel.catalog.model import Subject
from govmesh.services.catalog.domain.compatibility import diff_subjects

app = typer.Typer(help="The metadata catalog: departments, subjects, data items.", no_args_is_help=True)


# Progress goes to stderr, so `--json` output on stdout stays one clean document.
progress_console = Console(stderr=True)


def _stub(target: str, identity: str, insecure: bool) -> AbstractContextManager[catalog_pb2_grpc.CatalogServiceStub]:
    return gateway_stub(catalog_pb2_grpc.CatalogServiceStub, target, identity, insecure)


@app.command()
def stats(
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Counts of departments, subjects and items, per sharing type."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.GetCatalogStats(pb.GetCatalogStatsRequest())
    per_type = {label(pb.SharingType, c.sharing_type): c.items for c in reply.by_sharing_type}
    if as_json:
        payload = {
            "departments": reply.departments,
            "subjects": reply.subjects,
            "items": reply.items,
            "items_by_sharing_type": per_type,
            "revision": reply.revision,
        }
        print_json(payload)
        return
    shown = fitting_table(f"catalog at revision {reply.revision}", "what", "count")
    for what, count in [("departments", reply.departments), ("subjects", reply.subjects), ("data items", reply.items)]:
        shown.add_row(what, str(count))
    for name, count in per_type.items():
        shown.add_row(f"  {name}", str(count))
    console.print(shown)


@app.command()
def search(
    query: str,
    limit: Annotated[int, typer.Option(help="How many results.")] = 20,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Search departments, subjects and items by code or Chinese/English name."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.Search(pb.SearchRequest(query=query, page_size=limit))
    if as_json:
        print_json(
            {
                "total_size": reply.total_size,
                "results": [json_format.MessageToDict(r, preserving_proto_field_name=True) for r in reply.results],
            }
        )
        return
    shown = fitting_table(
        f"{reply.total_size} matches for {query!r}", "code", "match", "kind", "名称", "name", "department"
    )
    shown.add_column("sharing", overflow="fold")
    for r in reply.results:
        shown.add_row(
            r.code,
            label(pb.MatchKind, r.match),
            label(pb.ResourceKind, r.kind),
            r.name_zh,
            r.name_en,
            r.department,
            label(pb.SharingType, r.sharing_type),
        )
    console.print(shown)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="A subject code (102.001) or an item code (102.001.003).")],
    version: Annotated[str, typer.Option(help="A subject version, major.minor.")] = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Show a subject with its items, or one item."""
    with _stub(target, identity, insecure) as stub:
        if name.count(".") >= 2:
            subject_code = name.rsplit(".", 1)[0]
            item = stub.GetItem(pb.GetItemRequest(name=f"subjects/{subject_code}/items/{name}")).item
            fields = json_format.MessageToDict(item, preserving_proto_field_name=True)
            if as_json:
                print_json(fields)
                return
            for key, value in fields.items():
                console.print(f"[bold]{key}[/bold]: {escape(str(value))}")
            return
        subject = stub.GetSubject(pb.GetSubjectRequest(name=f"subjects/{name}", version=version)).subject
    if as_json:
        print_json(json_format.MessageToDict(subject, preserving_proto_field_name=True))
        return
    console.print(f"[bold]{subject.code} {subject.name_zh}[/bold] ({subject.name_en}) v{subject.version}")
    category, cycle = label(pb.SubjectCategory, subject.category), label(pb.UpdateCycle, subject.update_cycle)
    console.print(f"provider {subject.provider} · {category} · {cycle} · released {subject.release_date}")
    console.print(escape(subject.abstract))
    shown = fitting_table(None, "code", "名称", "name", "type", "len", "standard", "req", "sharing")
    for i in subject.items:
        shown.add_row(
            i.code,
            i.name_zh,
            i.name_en,
            label(pb.DataType, i.data_type),
            str(i.length or ""),
            label(pb.FormatStandard, i.format_standard),
            "yes" if i.required else "",
            label(pb.SharingType, i.sharing_type),
        )
    console.print(shown)


def _live_catalog(stub: catalog_pb2_grpc.CatalogServiceStub) -> tuple[list[pb.Department], list[pb.Subject]]:
    departments = list(stub.ListDepartments(pb.ListDepartmentsRequest(page_size=1000)).departments)
    subjects: list[pb.Subject] = []
    token = ""
    while True:
        reply = stub.ListSubjects(
            pb.ListSubjectsRequest(page_size=1000, page_token=token, include_items=True, include_deprecated=True)
        )
        subjects.extend(reply.subjects)
        token = reply.next_page_token
        if not token:
            return departments, subjects


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write departments.yaml and subjects/*.yaml.")],
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Write the live catalog as YAML, one file per subject, for review and `plan`/`apply`."""
    with _stub(target, identity, insecure) as stub:
        departments, subjects = _live_catalog(stub)
    written = write_catalog_dir(
        directory,
        [model_convert.department_from_proto(d) for d in departments],
        [model_convert.subject_from_proto(s) for s in subjects],
    )
    console.print(f"wrote {written} files to {directory}")


@dataclass
class Plan:
    """What `apply` would do: per subject, the change, and every error found on the way."""

    creates: list[tuple[Path, Subject, pb.SubjectChange]] = field(default_factory=list)
    updates: list[tuple[Path, Subject, pb.SubjectChange]] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    breaking: list[tuple[Path, pb.FieldChange]] = field(default_factory=list)


def _make_plan(stub: catalog_pb2_grpc.CatalogServiceStub, directory: Path, *, major: bool, reason: str) -> Plan:
    """Compares the directory with the live catalog here, and asks the catalog only about what differs.

    The local comparison is the catalog's own (`diff_subjects`); the catalog then validates each
    changed subject (`validate_only`) so its rules, not a copy of them, decide what is refused.
    """
    plan = Plan()
    _departments, subjects, errors = read_catalog_dir(directory)
    plan.errors.extend(errors)
    if errors:
        return plan
    _live_departments, live = _live_catalog(stub)
    live_by_code = {s.code: model_convert.subject_from_proto(s) for s in live}
    with Progress(transient=True, console=progress_console) as progress:
        task = progress.add_task("comparing subjects", total=len(subjects))
        for path, subject in subjects:
            progress.advance(task)
            current = live_by_code.get(subject.code)
            if current is not None and not diff_subjects(current, subject):
                continue
            try:
                _plan_subject(stub, plan, path, subject, exists=current is not None, reason=reason)
            except grpc.RpcError as error:
                plan.errors.extend(_file_errors(path, error))
    return plan


def _plan_subject(
    stub: catalog_pb2_grpc.CatalogServiceStub, plan: Plan, path: Path, subject: Subject, *, exists: bool, reason: str
) -> None:
    request = plan_requests.check_request(subject, exists=exists, reason=reason)
    if isinstance(request, pb.CreateSubjectRequest):
        plan.creates.append((path, subject, stub.CreateSubject(request).change))
        return
    change = stub.UpdateSubject(request).change
    if change.changes:
        plan.updates.append((path, subject, change))
        plan.breaking += [(path, c) for c in plan_requests.breaking(change)]


def _file_errors(path: Path, error: grpc.RpcError) -> list[FileError]:
    """Places the server's field violations (`subject.items[3].length`) on lines of the file."""
    found: list[FileError] = []
    status = rpc_status.from_call(error)
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            for v in bad.field_violations:
                # `subject.items[3].length` → the `length:` line of the fourth item.
                index = None
                if ".items[" in v.field:
                    index = int(v.field.split(".items[", 1)[1].split("]", 1)[0])
                key = v.field.rsplit(".", 1)[-1]
                found.append(FileError(str(path), subject_line(path, index, key), f"{v.field}: {v.description}"))
    if not found:
        found.append(FileError(str(path), subject_line(path), f"{error.code().name}: {error.details()}"))
    return found


def _print_plan(plan: Plan, *, major: bool) -> None:
    for path, subject, _change in plan.creates:
        where = escape(str(path))
        console.print(
            f"[green]+ create[/green] subjects/{subject.code} {subject.name_zh} ({len(subject.items)} items) {where}"
        )
    for path, subject, change in plan.updates:
        console.print(
            f"[yellow]~ update[/yellow] subjects/{subject.code} from {change.from_version} {escape(str(path))}"
        )
        for c in change.changes:
            flag = f" [red]BREAKING: {c.breaking_reason}[/red]" if c.breaking else ""
            console.print(f"    {c.kind:8} {escape(c.path)}: {escape(repr(c.before))} → {escape(repr(c.after))}{flag}")
    for error in plan.errors:
        console.print(f"[red]error[/red] {escape(str(error))}")
    if not plan.creates and not plan.updates and not plan.errors:
        console.print("no changes: the live catalog matches the directory")
    elif plan.breaking and not major:
        console.print(f"[red]{len(plan.breaking)} breaking change(s): `apply` needs --major[/red]")


@app.command()
def plan(
    directory: Annotated[Path, typer.Argument(help="A directory in the layout `export` writes.")],
    major: Annotated[bool, typer.Option("--major", help="Plan as if a new major version were declared.")] = False,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Print the difference between a directory and the live catalog; flag breaking changes. Changes nothing."""
    with _stub(target, identity, insecure) as stub:
        result = _make_plan(stub, directory, major=major, reason="plan")
    if as_json:
        print_json(_plan_document(result, major=major))
    else:
        _print_plan(result, major=major)
    if result.errors:
        raise typer.Exit(1)


def _plan_document(plan: Plan, *, major: bool) -> dict[str, Any]:
    def change(path: Path, subject: Subject, found: pb.SubjectChange) -> dict[str, Any]:
        return {
            "subject": f"subjects/{subject.code}",
            "file": str(path),
            "from_version": found.from_version,
            "to_version": found.to_version,
            "changes": [json_format.MessageToDict(c, preserving_proto_field_name=True) for c in found.changes],
        }

    return {
        "creates": [change(*entry) for entry in plan.creates],
        "updates": [change(*entry) for entry in plan.updates],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in plan.errors],
        "breaking": len(plan.breaking),
        "needs_major": bool(plan.breaking) and not major,
    }


@app.command()
def apply(
    directory: Annotated[Path, typer.Argument(help="A directory in the layout `export` writes.")],
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why: recorded in every version and audit entry.")],
    major: Annotated[
        bool, typer.Option("--major", help="Declare a new major version; allows breaking changes.")
    ] = False,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Apply a directory to the live catalog; refuses breaking changes unless --major.

    Every subject is checked before any is written: one error anywhere and nothing changes.
    """
    with _stub(target, identity, insecure) as stub:
        result = _make_plan(stub, directory, major=major, reason=reason)
        _print_plan(result, major=major)
        if result.errors or (result.breaking and not major):
            console.print("[red]nothing applied[/red]")
            raise typer.Exit(1)
        for exists, changes in ((False, result.creates), (True, result.updates)):
            for _path, subject, change in changes:
                request = plan_requests.apply_request(subject, change, exists=exists, reason=reason, major=major)
                if isinstance(request, pb.UpdateSubjectRequest):
                    stub.UpdateSubject(request)
                else:
                    stub.CreateSubject(request)
    console.print(f"applied: {len(result.creates)} created, {len(result.updates)} updated")
