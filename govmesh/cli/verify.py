"""`govmesh verify --file applicants.csv`: the housing bureau's batch verification, verdicts only."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import grpc
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govmesh.apps.mesh import Stub
from govmesh.apps.verification.domain import ApplicantsError, Outcome, parse_applicants, parse_claims
from govmesh.apps.verification.usecases import DEFAULT_WAIT_SECONDS, SHIPPED_CLAIMS, verify
from govmesh.cli.common import AsJson, Insecure, Target
from govmesh.client import connect
from govmesh.runtime.config import settings

app = typer.Typer(
    help="Verification only (限价房): applicants checked against departments' records; verdicts, never values.",
    invoke_without_command=True,
)
console = Console(soft_wrap=True)


def _target(target: str) -> str:
    config = settings()
    return target or f"{config.gateway_host}:{config.gateway_port}"


@app.callback()
def verify_file(
    context: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="Applicants CSV: id_number, name, …, members.")] = None,
    claims: Annotated[Path, typer.Option(help="The claims as predicates (YAML).")] = SHIPPED_CLAIMS,
    purpose: Annotated[str, typer.Option(help="The case, e.g. the application round.")] = "限价房",
    identity: Annotated[str, typer.Option("--as", help="Whose certificate.")] = "department/HOUSING",
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for the departments' verdicts; a department silent that long counts as "
            f"NO_ANSWER (default {DEFAULT_WAIT_SECONDS:g}).",
            min=0.1,
            max=3600.0,
        ),
    ] = DEFAULT_WAIT_SECONDS,
    target: Target = "",
    insecure: Insecure = False,
    as_json: AsJson = False,
) -> None:
    """Verifies every applicant of the file: eligible or not, with a reason code per claim."""
    if context.invoked_subcommand is not None:
        return
    if file is None:
        raise typer.BadParameter("name the applicants with --file applicants.csv")
    try:
        specs = parse_claims(claims.read_text(encoding="utf-8"), str(claims))
        applicants = parse_applicants(file.read_text(encoding="utf-8-sig"), specs, str(file))
    except (OSError, ApplicantsError) as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None

    async def run() -> list[Outcome]:
        channel = connect(_target(target), identity=identity, certs_dir=settings().certs_dir, insecure=insecure)
        try:
            return await verify(Stub(channel), applicants, specs, purpose=purpose, wait=wait)
        finally:
            await channel.close()

    try:
        outcomes = asyncio.run(run())
    except grpc.RpcError as error:
        console.print(f"[red]{error.code().name}[/red]: {escape(error.details() or '')}")
        raise typer.Exit(2) from None
    if as_json:
        for outcome in outcomes:
            print(json.dumps(outcome.as_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{sum(o.eligible for o in outcomes):,} of {len(outcomes):,} applicants eligible")
    table.add_column("id number")
    table.add_column("eligible")
    for spec in specs:
        table.add_column(spec.id)
    for outcome in outcomes:
        reasons = [r if r == "OK" else f"[red]{r}[/red]" for r in outcome.reasons.values()]
        table.add_row(outcome.id_number, "yes" if outcome.eligible else "[red]no[/red]", *reasons)
    console.print(table)
