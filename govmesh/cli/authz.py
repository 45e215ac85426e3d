"""`govmesh grants …` and `govmesh audit`: the grant workflow and the audit log from the command line."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.markup import escape

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
from govmesh.client import audit_record, grant_application, write_audit
from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc

grants_app = typer.Typer(help="Grants: apply, approve, reject, revoke, list and show.", no_args_is_help=True)

GrantName = Annotated[str, typer.Argument(help="The grant: its number (12) or name (grants/12).")]

_RELATIVE = re.compile(r"\+?([0-9]+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _stub(target: str, identity: str, insecure: bool) -> AbstractContextManager[authz_pb2_grpc.AuthzServiceStub]:
    return gateway_stub(authz_pb2_grpc.AuthzServiceStub, target, identity, insecure)


def _enum_value(enum_type: Any, text: str, option: str) -> int:
    prefix = enum_type.keys()[0].removesuffix("UNSPECIFIED")
    name = prefix + text.strip().upper().replace("-", "_")
    if name not in enum_type.DESCRIPTOR.values_by_name or name.endswith("UNSPECIFIED"):
        choices = ", ".join(label(enum_type, v) for v in enum_type.values() if v)
        raise typer.BadParameter(f"{text!r} is not one of {choices}", param_hint=option)
    return int(enum_type.Value(name))


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601 (`2027-01-01`, `2027-01-01T08:00:00+08:00`, UTC when no zone) or from now (`+90d`, `12h`)."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        return datetime.now(UTC) + timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither an ISO 8601 time nor +<n>d/h/m", param_hint=option) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _shown(stamp: Timestamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")


def grant_name(text: str) -> str:
    name = text if text.startswith("grants/") else f"grants/{text}"
    if not name.removeprefix("grants/").isdigit():
        raise typer.BadParameter(f"{text!r} is not a grant number or grants/<number>")
    return name


def _print_grant(grant: pb.Grant) -> None:
    console.print(f"[bold]{grant.name}[/bold] {label(pb.GrantState, grant.state)} · {label(pb.GrantMode, grant.mode)}")
    scope = grant.row_scope
    rows = (
        "all rows"
        if scope.all_rows
        else "; ".join(
            part
            for part in (
                f"divisions {', '.join(scope.division_codes)}" if scope.division_codes else "",
                f"{len(scope.entity_keys)} entity keys" if scope.entity_keys else "",
                "requested entities only" if scope.requested_entities_only else "",
            )
            if part
        )
    )
    actions = ", ".join(label(pb.Action, a) for a in grant.actions) or "subscribe, request, verify"
    fields = [
        ("subject", f"{grant.subject} (provider {grant.provider})"),
        ("items", ", ".join(grant.items)),
        ("consumers", ", ".join([*grant.consumer_departments, *(f"group {g}" for g in grant.consumer_groups)])),
        ("actions", actions),
        ("rows", rows),
        ("purpose", grant.purpose),
        ("legal basis", grant.legal_basis),
        ("valid", f"{_shown(grant.start_time) or 'from approval'} → {_shown(grant.end_time)} UTC"),
        ("applicant", grant.applicant),
        ("decided by", f"{grant.decided_by} {grant.decision_reason!r}" if grant.decided_by else ""),
        ("revision", str(grant.revision)),
    ]
    for key, value in fields:
        if value:
            console.print(f"  {key:12} {escape(value)}")


@grants_app.command("apply")
def apply(
    subject: Annotated[str, typer.Argument(help="The subject code, e.g. 102.001.")],
    items: Annotated[list[str], typer.Option("--item", "-i", help="An item code; repeat for several.")],
    purpose: Annotated[str, typer.Option(help="What the data will be used for.")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="The law or document allowing it.")],
    end: Annotated[str, typer.Option(help="End of validity: ISO 8601 or from now (+365d).")],
    consumers: Annotated[
        list[str] | None, typer.Option("--consumer", "-c", help="A consumer department code; repeatable.")
    ] = None,
    groups: Annotated[list[str] | None, typer.Option("--group", "-g", help="A consumer group; repeatable.")] = None,
    actions: Annotated[
        list[str] | None, typer.Option("--action", help="subscribe, request or verify; repeatable (default all).")
    ] = None,
    start: Annotated[str, typer.Option(help="Start of validity (default: at approval).")] = "",
    divisions: Annotated[
        list[str] | None, typer.Option("--division", help="Only rows in this GB/T 2260 division; repeatable.")
    ] = None,
    entity_keys: Annotated[
        list[str] | None, typer.Option("--entity-key", help="Only rows of this entity key; repeatable.")
    ] = None,
    requested_only: Annotated[
        bool, typer.Option("--requested-only", help="Only rows of entity keys named in each request.")
    ] = False,
    request_id: Annotated[str, typer.Option(help="An id that makes retrying this application safe.")] = "",
    validate_only: Annotated[bool, typer.Option("--validate-only", help="Check, store nothing.")] = False,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Apply for a grant on CONDITIONAL items of a subject (as a consumer department: --as department/LTAX)."""
    grant = grant_application(
        subject,
        items,
        consumers=consumers or [],
        groups=groups or [],
        actions=[_enum_value(pb.Action, a, "--action") for a in actions or []],
        purpose=purpose,
        legal_basis=legal_basis,
        end=parse_time(end, "--end"),
        start=parse_time(start, "--start") if start else None,
        divisions=divisions,
        entity_keys=entity_keys,
        requested_only=requested_only,
    )
    with _stub(target, identity, insecure) as stub:
        reply = stub.ApplyGrant(pb.ApplyGrantRequest(grant=grant, request_id=request_id, validate_only=validate_only))
    if as_json:
        print_json({**_grant_record(reply.grant), "stored": not validate_only})
        return
    if validate_only:
        console.print("[green]the application is valid[/green]; nothing was stored")
    _print_grant(reply.grant)


def _decide(verb: str, name: str, reason: str, target: str, identity: str, insecure: bool, as_json: bool) -> None:
    with _stub(target, identity, insecure) as stub:
        if verb == "approve":
            grant = stub.ApproveGrant(pb.ApproveGrantRequest(name=grant_name(name), reason=reason)).grant
        elif verb == "reject":
            grant = stub.RejectGrant(pb.RejectGrantRequest(name=grant_name(name), reason=reason)).grant
        else:
            grant = stub.RevokeGrant(pb.RevokeGrantRequest(name=grant_name(name), reason=reason)).grant
    if as_json:
        print_json(_grant_record(grant))
    else:
        _print_grant(grant)


@grants_app.command("approve")
def approve(
    name: GrantName,
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why, e.g. the approval document number.")] = "",
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Approve an applied grant (as the providing department: --as department/AIC)."""
    _decide("approve", name, reason, target, identity, insecure, as_json)


@grants_app.command("reject")
def reject(
    name: GrantName,
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why; the applicant sees it.")],
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Reject an applied grant, with the reason the applicant sees."""
    _decide("reject", name, reason, target, identity, insecure, as_json)


@grants_app.command("revoke")
def revoke(
    name: GrantName,
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why it is revoked.")],
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Revoke an approved grant: every enforcement point denies under it within about a second."""
    _decide("revoke", name, reason, target, identity, insecure, as_json)


@grants_app.command("list")
def list_grants(
    subject: Annotated[str, typer.Option(help="Only grants on this subject code.")] = "",
    provider: Annotated[str, typer.Option(help="Only grants on subjects this department provides.")] = "",
    consumer: Annotated[str, typer.Option(help="Only grants covering this department.")] = "",
    states: Annotated[
        list[str] | None, typer.Option("--state", help="applied, approved, rejected, revoked, expired; repeatable.")
    ] = None,
    item: Annotated[str, typer.Option(help="Only grants covering this item code.")] = "",
    active: Annotated[bool, typer.Option("--active", help="Only grants active now.")] = False,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
    page_token: Annotated[str, typer.Option(help="Continue from a previous listing.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per grant.")] = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """List the grants you may see, newest first."""
    request = pb.ListGrantsRequest(
        subject=f"subjects/{subject}" if subject else "",
        provider=provider,
        consumer=consumer,
        states=[_enum_value(pb.GrantState, s, "--state") for s in states or []],  # type: ignore[misc]
        item=item,
        page_size=limit,
        page_token=page_token,
    )
    if active:
        request.active_at.CopyFrom(_stamp(datetime.now(UTC)))
    with _stub(target, identity, insecure) as stub:
        reply = stub.ListGrants(request)
    if as_json:
        for grant in reply.grants:
            typer.echo(json.dumps(_grant_record(grant), ensure_ascii=False))
        return
    table = fitting_table(
        f"{reply.total_size} grant(s)", "grant", "state", "subject", "provider", "consumers", "items", "valid until"
    )
    for grant in reply.grants:
        consumers = ", ".join([*grant.consumer_departments, *(f"group {g}" for g in grant.consumer_groups)])
        table.add_row(
            grant.name,
            label(pb.GrantState, grant.state),
            grant.subject.removeprefix("subjects/"),
            grant.provider,
            consumers,
            str(len(grant.items)),
            _shown(grant.end_time),
        )
    console.print(table)
    if reply.next_page_token:
        console.print(f"more: --page-token {reply.next_page_token}")


def _grant_record(grant: pb.Grant) -> dict[str, Any]:
    return {
        "name": grant.name,
        "state": label(pb.GrantState, grant.state),
        "subject": grant.subject,
        "provider": grant.provider,
        "items": list(grant.items),
        "mode": label(pb.GrantMode, grant.mode),
        "consumer_departments": list(grant.consumer_departments),
        "consumer_groups": list(grant.consumer_groups),
        "actions": [label(pb.Action, a) for a in grant.actions],
        "purpose": grant.purpose,
        "legal_basis": grant.legal_basis,
        "start_time": _shown(grant.start_time),
        "end_time": _shown(grant.end_time),
        "applicant": grant.applicant,
        "decided_by": grant.decided_by,
        "decision_reason": grant.decision_reason,
        "revision": grant.revision,
    }


@grants_app.command("show")
def show(
    name: GrantName,
    as_json: AsJson = False,
    target: Target = "",
    identity: Identity = "admin/hub",
    insecure: Insecure = False,
) -> None:
    """Show a grant and its history."""
    with _stub(target, identity, insecure) as stub:
        reply = stub.GetGrant(pb.GetGrantRequest(name=grant_name(name)))
    if as_json:
        history = [
            {
                "time": _shown(entry.create_time),
                "event": label(pb.GrantEvent, entry.event),
                "state": label(pb.GrantState, entry.state),
                "principal": entry.principal,
                "reason": entry.reason,
                "revision": entry.revision,
            }
            for entry in reply.history
        ]
        print_json({**_grant_record(reply.grant), "history": history})
        return
    _print_grant(reply.grant)
    table = fitting_table("history", "when (UTC)", "event", "state", "by", "reason", "revision")
    for entry in reply.history:
        table.add_row(
            _shown(entry.create_time),
            label(pb.GrantEvent, entry.event),
            label(pb.GrantState, entry.state),
            entry.principal,
            entry.reason,
            str(entry.revision),
        )
    console.print(table)


def audit(
    principal: Annotated[str, typer.Option(help="Only this principal, kind/code or principals/kind/code.")] = "",
    actions: Annotated[list[str] | None, typer.Option("--action", help="Only this action; repeatable.")] = None,
    decision: Annotated[str, typer.Option(help="allow or deny.")] = "",
    subject: Annotated[str, typer.Option(help="Only entries about this subject code.")] = "",
    obj: Annotated[str, typer.Option("--object", help="Only entries about this resource (grants/12…).")] = "",
    grant: Annotated[str, typer.Option(help="Only entries about this grant.")] = "",
    reason: Annotated[str, typer.Option(help="Only this reason code, e.g. not_provider.")] = "",
    trace_id: Annotated[str, typer.Option("--trace", help="Only entries of this trace id.")] = "",
    kind: Annotated[str, typer.Option(help="decision or grant_change.")] = "",
    since: Annotated[str, typer.Option(help="At or after this time (ISO 8601).")] = "",
    until: Annotated[str, typer.Option(help="Before this time (ISO 8601).")] = "",
    oldest_first: Annotated[bool, typer.Option("--oldest-first", help="Oldest entries first.")] = False,
    limit: Annotated[
        int | None, typer.Option(help="How many entries; 0 for all (default 50 shown, all exported).")
    ] = None,
    page_token: Annotated[str, typer.Option(help="Continue from a previous page.")] = "",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or jsonl.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    target: Target = "",
    identity: Identity = "auditor/audit",
    insecure: Insecure = False,
) -> None:
    """Query the audit log (auditors and hub administrators), newest first; export as CSV or JSON Lines."""
    if output_format not in ("table", "csv", "jsonl"):
        raise typer.BadParameter("choose table, csv or jsonl", param_hint="--format")
    if principal and not principal.startswith("principals/"):
        principal = f"principals/{principal}"
    request = pb.ListAuditEntriesRequest(
        principal=principal,
        actions=[_enum_value(pb.Action, a, "--action") for a in actions or []],  # type: ignore[misc]
        decision=_enum_value(pb.Decision, decision, "--decision") if decision else 0,  # type: ignore[arg-type]
        subject=f"subjects/{subject}" if subject else "",
        object=obj,
        grant=grant_name(grant) if grant else "",
        reason=_enum_value(pb.ReasonCode, reason, "--reason") if reason else 0,  # type: ignore[arg-type]
        trace_id=trace_id,
        kind=_enum_value(pb.AuditEntryKind, kind, "--kind") if kind else 0,  # type: ignore[arg-type]
        oldest_first=oldest_first,
    )
    if since:
        request.start_time.CopyFrom(_stamp(parse_time(since, "--since")))
    if until:
        request.end_time.CopyFrom(_stamp(parse_time(until, "--until")))
    wanted = limit if limit is not None else (50 if output_format == "table" else 0)
    with _stub(target, identity, insecure) as stub:
        entries, next_token = _read_audit(stub, request, wanted, page_token)
    if output_format == "table":
        _print_audit(entries, next_token)
        return
    with _open_output(output) as out:
        write_audit(entries, output_format, out)
    if output is not None:
        console.print(f"wrote {len(entries)} entries to {output}")


def _read_audit(
    stub: authz_pb2_grpc.AuthzServiceStub, request: pb.ListAuditEntriesRequest, wanted: int, token: str
) -> tuple[list[pb.AuditEntry], str]:
    """Pages through the log until `wanted` entries (0: all) or its end; returns them and where to go on."""
    entries: list[pb.AuditEntry] = []
    while True:
        request.page_token = token
        request.page_size = min(10_000, wanted - len(entries)) if wanted else 10_000
        reply = stub.ListAuditEntries(request)
        entries.extend(reply.entries)
        token = reply.next_page_token
        if not token or (wanted and len(entries) >= wanted):
            return entries, token


@contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def _print_audit(entries: list[pb.AuditEntry], next_token: str) -> None:
    table = fitting_table(
        f"{len(entries)} audit entries",
        "seq",
        "time (UTC)",
        "principal",
        "action",
        "object",
        "decision",
        "reason",
        "rev",
        "message",
    )
    for entry in entries:
        record = audit_record(entry)
        shown = "[red]deny[/red]" if record["decision"] == "deny" else record["decision"]
        table.add_row(
            str(entry.sequence),
            _shown(entry.create_time),
            entry.principal.removeprefix("principals/"),
            record["action"],
            entry.object,
            shown,
            record["reason"],
            str(entry.policy_revision),
            escape(entry.message[:120]),
        )
    console.print(table)
    if next_token:
        console.print(f"more: --page-token {next_token}")
