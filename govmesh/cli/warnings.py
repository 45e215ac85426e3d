"""`govmesh warnings …`: the early warnings — list, show and count them (the application's operator),
close one (the responsible department, through the gateway)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govmesh.apps.warnings.domain.model import Outcome, Warning, day_of
from govmesh.apps.warnings.main import WarningsSettings, open_database, rules
from govmesh.apps.warnings.usecases import WarningsApp
from govmesh.cli.common import AsJson, Insecure, Target
from govmesh.cli.exchange import _stub
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime import errors
from govmesh.runtime.config import settings

app = typer.Typer(help="Early warnings (信息预警): list, show, close, and their figures.", no_args_is_help=True)
console = Console(soft_wrap=True)

_SUBJECT_OF_RULE_HELP = "rule id (see the rules file), e.g. no-tax-registration"


def _app() -> WarningsApp:
    """The application's tables, where it runs (GOVMESH_DATABASE_URL or the data directory's SQLite)."""
    return WarningsApp(open_database(settings()), rules(WarningsSettings()))


def _as_dict(warning: Warning) -> dict[str, Any]:
    return {
        "number": warning.number,
        "rule": warning.rule,
        "entity_key": warning.entity_key,
        "division_code": warning.division_code,
        "name": warning.name,
        "event_date": day_of(warning.event_day).isoformat(),
        "raised_date": day_of(warning.raised_day).isoformat(),
        "missing": list(warning.missing),
        "state": warning.state.value,
        "outcome": warning.outcome.value if warning.outcome else None,
        "note": warning.note,
        "closed_by": warning.closed_by,
        "closed_date": day_of(warning.closed_day).isoformat() if warning.closed_day is not None else None,
        "reminded_date": day_of(warning.reminded_day).isoformat() if warning.reminded_day is not None else None,
        "detail": warning.detail,
    }


@app.command("list")
def list_warnings(
    rule: Annotated[str, typer.Option(help=_SUBJECT_OF_RULE_HELP)] = "",
    state: Annotated[str, typer.Option(help="open or closed")] = "",
    entity: Annotated[str, typer.Option(help="Only this entity key (credit code, ID number).")] = "",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """The warnings raised, oldest first."""
    if state and state not in ("open", "closed"):
        raise typer.BadParameter("--state is open or closed")
    found = _app().search(rule=rule, state=state, entity_key=entity, limit=limit)
    if as_json:
        for warning in found:
            print(json.dumps(_as_dict(warning), ensure_ascii=False))
        return
    table = Table(title=f"{len(found)} warnings")
    for column in ("number", "rule", "entity", "name", "raised", "missing", "state"):
        table.add_column(column)
    for w in found:
        shown = w.state.value if w.outcome is None else f"{w.state.value} ({w.outcome.value}, {w.closed_by})"
        table.add_row(
            w.number, w.rule, w.entity_key, w.name, day_of(w.raised_day).isoformat(), "、".join(w.missing), shown
        )
    console.print(table)


@app.command("show")
def show(
    number: Annotated[str, typer.Argument(help="The warning number, e.g. YJ010000000042.")], as_json: AsJson = False
) -> None:
    """One warning with its outcome."""
    try:
        warning = _app().get(number)
    except errors.NotFound:
        console.print(f"[red]no warning {escape(number)}[/red]")
        raise typer.Exit(1) from None
    shown = _as_dict(warning)
    if as_json:
        print(json.dumps(shown, ensure_ascii=False))
        return
    for key, value in shown.items():
        console.print(f"[bold]{key}[/bold]: {escape(str(value))}")


@app.command("close")
def close(
    number: Annotated[str, typer.Argument(help="The warning number.")],
    entity: Annotated[str, typer.Option(help="The warning's entity key (its credit code or ID number).")],
    outcome: Annotated[str, typer.Option(help="handled, registered or false_alarm")],
    note: Annotated[str, typer.Option(help="What the department did.")] = "",
    subject: Annotated[str, typer.Option(help="The warning's subject.")] = "206.001",
    provider: Annotated[str, typer.Option(help="The department running the warnings application.")] = "INFO",
    identity: Annotated[
        str, typer.Option("--as", help="The responsible department's certificate.")
    ] = "department/LTAX",
    target: Target = "",
    insecure: Insecure = False,
    as_json: AsJson = False,
) -> None:
    """Closes a warning as the responsible department: a request to the application through the gateway."""
    if outcome not in {o.value for o in Outcome}:
        raise typer.BadParameter(f"--outcome is one of {', '.join(o.value for o in Outcome)}")
    request = pb.SendRequestRequest(
        subjects=[f"subjects/{subject}"],
        entity_keys=[entity],
        parameters={"action": "close", "warning": number, "outcome": outcome, "note": note},
        target_departments=[provider],
        question=f"close warning {number}",
        idempotency_key=f"close-{number}",
    )
    with _stub(target, identity, insecure) as stub:
        response = stub.SendRequest(request, timeout=30)
    answer = response.request.replies[0] if response.request.replies else None
    if answer is None or answer.status != pb.REPLY_STATUS_ANSWERED:
        why = answer.message if answer is not None else "no answer"
        console.print(f"[red]not closed[/red]: {escape(why or pb.ReplyStatus.Name(answer.status) if answer else why)}")
        raise typer.Exit(1)
    values = {
        code: str(v.enum_value or v.string_value or v.date_value)
        for r in answer.records
        for code, v in sorted(r.values.items())
    }
    if as_json:
        print(json.dumps({"number": number, "closed": True, "values": values}, ensure_ascii=False))
        return
    console.print(f"closed {escape(number)}: {escape(values.get(f'{subject}.016', values.get(f'{subject}.013', '')))}")


@app.command("metrics")
def metrics(as_json: AsJson = False) -> None:
    """Raised, open, closed, follow-up rate and time to close per rule; reminders; the tax registration rate."""
    figures = _app().figures()
    shown = figures.as_dict()
    if as_json:
        print(json.dumps(shown, ensure_ascii=False))
        return
    table = Table(title="early warnings")
    for column in ("rule", "raised", "open", "closed", "by departments", "follow-up rate", "mean days to close"):
        table.add_column(column)
    for rule, row in shown["rules"].items():
        rate = row["follow_up_rate"]
        days = row["mean_days_to_close"]
        table.add_row(
            rule,
            f"{row['raised']:,}",
            f"{row['open']:,}",
            f"{row['closed']:,}",
            f"{row['closed_by_department']:,}",
            "—" if rate is None else f"{rate:.1%}",
            "—" if days is None else f"{days:.1f}",
        )
    console.print(table)
    rate = shown["tax_registration_rate"]
    console.print(
        f"reminders sent {shown['reminders_sent']:,} (dead {shown['reminders_dead']:,}); tax registration rate "
        + ("—" if rate is None else f"{rate:.1%}")
        + f" ({shown['tax_registered_enterprises']:,} of {shown['registered_enterprises']:,} past their deadline)"
    )
