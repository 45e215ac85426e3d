"""`govmesh catalog …`: the maintainers' tools — stats, search, show, and catalog as code (export, plan, apply)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import grpc
import typer
from google.protobuf import field_mask_pb2, json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govmesh.client import connect_blocking
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert as model_convert
from govmesh.kernel.catalog.model import Subject
from govmesh.runtime.config import settings
from govmesh.services.catalog.files import FileError, read_catalog_dir, subject_line, write_catalog_dir
from govmesh.services.catalog.usecases import SUBJECT_FIELDS

app = typer.Typer(help="The metadata catalog: departments, subjects, data items.", no_args_is_help=True)
# Soft wrap keeps `file:line: message` lines whole, so editors and scripts can read them.
console = Console(soft_wrap=True)

Target = Annotated[str, typer.Option("--target", help="Gateway address (default: the configured gateway).")]
Identity = Annotated[str, typer.Option("--as", help="Whose certificate to call with, kind/code.")]
Insecure = Annotated[
    bool, typer.Option("--insecure", help="Plaintext, for a gateway run with GOVMESH_GATEWAY_TLS=false.")
]


@contextmanager
def _stub(target: str, identity: str, insecure: bool) -> Iterator[catalog_pb2_grpc.CatalogServiceStub]:
    config = settings()
    address = target or f"{config.gateway_host}:{config.gateway_port}"
    channel = connect_blocking(address, identity=identity, certs_dir=config.certs_dir, insecure=insecure)
    try:
        yield catalog_pb2_grpc.CatalogServiceStub(channel)
    except grpc.RpcError as error:
        console.print(f"[red]{error.code().name}[/red]: {escape(error.details() or '')}")
        for line in _detail_lines(error):
            console.print(f"  {escape(line)}")
        raise typer.Exit(1) from None
    finally:
        channel.close()


def label(enum_type: Any, number: int) -> str:
    """`SHARING_TYPE_NOT_SHARED` → `not_shared`; the unspecified value → an empty string."""
    prefix = enum_type.keys()[0].removesuffix("UNSPECIFIED")
    return "" if number == 0 else enum_type.Name(number).removeprefix(prefix).lower()


def _detail_lines(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    lines: list[str] = []
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        pre = error_details_pb2.PreconditionFailure()
        if detail.Unpack(bad):
            lines += [f"{v.field}: {v.description}" for v in bad.field_violations]
        elif detail.Unpack(pre):
            lines += [f"{v.type} {v.subject}: {v.description}" for v in pre.violations]
    return lines


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
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
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    table = Table(title=f"catalog at revision {reply.revision}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in [("departments", reply.departments), ("subjects", reply.subjects), ("data items", reply.items)]:
        table.add_row(what, str(count))
    for name, count in per_type.items():
        table.add_row(f"  {name}", str(count))
    console.print(table)


@app.command()
def search(
    query: str,
    limit: Annotated[int, typer.Option(help="How many results.")] = 20,
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Search departments, subjects and items by code or Chinese/English name."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.Search(pb.SearchRequest(query=query, page_size=limit))
    table = Table(title=f"{reply.total_size} matches for {query!r}")
    for column in ("match", "kind", "code", "名称", "name", "department", "sharing"):
        table.add_column(column)
    for r in reply.results:
        table.add_row(
            label(pb.MatchKind, r.match),
            label(pb.ResourceKind, r.kind),
            r.code,
            r.name_zh,
            r.name_en,
            r.department,
            label(pb.SharingType, r.sharing_type),
        )
    console.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="A subject code (102.001) or an item code (102.001.003).")],
    version: Annotated[str, typer.Option(help="A subject version, major.minor.")] = "",
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Show a subject with its items, or one item."""
    with _stub(target, identity, insecure) as stub:
        if name.count(".") >= 2:
            subject_code = name.rsplit(".", 1)[0]
            item = stub.GetItem(pb.GetItemRequest(name=f"subjects/{subject_code}/items/{name}")).item
            for key, value in json_format.MessageToDict(item, preserving_proto_field_name=True).items():
                console.print(f"[bold]{key}[/bold]: {escape(str(value))}")
            return
        subject = stub.GetSubject(pb.GetSubjectRequest(name=f"subjects/{name}", version=version)).subject
    console.print(f"[bold]{subject.code} {subject.name_zh}[/bold] ({subject.name_en}) v{subject.version}")
    category, cycle = label(pb.SubjectCategory, subject.category), label(pb.UpdateCycle, subject.update_cycle)
    console.print(f"provider {subject.provider} · {category} · {cycle} · released {subject.release_date}")
    console.print(escape(subject.abstract))
    table = Table()
    for column in ("code", "名称", "name", "type", "len", "standard", "req", "sharing"):
        table.add_column(column)
    for i in subject.items:
        table.add_row(
            i.code,
            i.name_zh,
            i.name_en,
            label(pb.DataType, i.data_type),
            str(i.length or ""),
            label(pb.FormatStandard, i.format_standard),
            "yes" if i.required else "",
            label(pb.SharingType, i.sharing_type),
        )
    console.print(table)


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
    plan = Plan()
    _departments, subjects, errors = read_catalog_dir(directory)
    plan.errors.extend(errors)
    if errors:
        return plan
    _live_departments, live = _live_catalog(stub)
    live_codes = {s.code for s in live}
    for path, subject in subjects:
        message = model_convert.subject_to_proto(subject)
        try:
            if subject.code in live_codes:
                reply = stub.UpdateSubject(
                    pb.UpdateSubjectRequest(
                        subject=message,
                        update_mask=field_mask_pb2.FieldMask(paths=sorted(SUBJECT_FIELDS)),
                        reason=reason,
                        # The plan asks with `major` so every breaking change is listed, not just refused.
                        major=True,
                        validate_only=True,
                    )
                )
                if reply.change.changes:
                    plan.updates.append((path, subject, reply.change))
                    plan.breaking += [(path, c) for c in reply.change.changes if c.breaking]
            else:
                reply_c = stub.CreateSubject(
                    pb.CreateSubjectRequest(subject=message, reason=reason, validate_only=True)
                )
                plan.creates.append((path, subject, reply_c.change))
        except grpc.RpcError as error:
            plan.errors.extend(_file_errors(path, error))
    return plan


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
    target: Target = "",
    identity: Identity = "maintainer/ops",
    insecure: Insecure = False,
) -> None:
    """Print the difference between a directory and the live catalog; flag breaking changes. Changes nothing."""
    with _stub(target, identity, insecure) as stub:
        result = _make_plan(stub, directory, major=major, reason="plan")
    _print_plan(result, major=major)
    if result.errors:
        raise typer.Exit(1)


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
        for _path, subject, _change in result.creates:
            stub.CreateSubject(pb.CreateSubjectRequest(subject=model_convert.subject_to_proto(subject), reason=reason))
        for _path, subject, _change in result.updates:
            breaking = any(c.breaking for c in _change.changes)
            stub.UpdateSubject(
                pb.UpdateSubjectRequest(
                    subject=model_convert.subject_to_proto(subject),
                    update_mask=field_mask_pb2.FieldMask(paths=sorted(SUBJECT_FIELDS)),
                    reason=reason,
                    major=major and breaking,
                )
            )
    console.print(f"applied: {len(result.creates)} created, {len(result.updates)} updated")
