"""The `govmesh` command: run the mesh, serve one service, manage certificates and the catalog."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from govmesh.cli import supervisor
from govmesh.runtime import spans as spans_file
from govmesh.runtime import telemetry
from govmesh.runtime.certs import CertificateAuthority, serial_hex
from govmesh.runtime.config import Settings, settings
from govmesh.runtime.identity import Principal

app = typer.Typer(help="govmesh: the data hub of a city's e-government data center.", no_args_is_help=True)
certs_app = typer.Typer(help="The hub's certificate authority and the identities it issues.", no_args_is_help=True)
app.add_typer(certs_app, name="certs")
console = Console()

# Each service package exposes `build(settings) -> MeshServer` and `address(settings) -> str` in
# its `main` module; the order is the start order under `govmesh up`.
SERVICES = {
    "catalog": "govmesh.services.catalog.main",
    "authz": "govmesh.services.authz.main",
    "exchange": "govmesh.services.exchange.main",
    "gateway": "govmesh.services.gateway.main",
}


def _register_service_commands() -> None:
    from govmesh.cli.authz import audit, grants_app
    from govmesh.cli.catalog import app as catalog_app
    from govmesh.cli.exchange import app as ledger_app

    app.add_typer(catalog_app, name="catalog")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(grants_app, name="grants")
    # One command with filters rather than a group: `govmesh audit --reason not_provider --format csv`.
    app.command("audit")(audit)


@app.command()
def serve(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")]) -> None:
    """Run one service in this process until SIGTERM or Ctrl-C."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    config = settings()
    telemetry.configure(service, trace_file=config.trace_file, log_level=config.log_level, log_format=config.log_format)
    try:
        asyncio.run(_serve(service, config))
    finally:
        telemetry.shutdown()


async def _serve(service: str, config: Settings) -> None:
    module = importlib.import_module(SERVICES[service])
    server = await module.build(config)
    await server.start(module.address(config))
    await server.serve_until_signalled(config.shutdown_grace_seconds)


@app.command()
def up(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default ./.govmesh or GOVMESH_DATA_DIR).")
    ] = None,
) -> None:
    """Start the whole mesh on loopback: each service in its own process, the gateway in front."""
    config = settings()
    if data_dir is not None:
        config = config.model_copy(update={"data_dir": data_dir})
    config.data_dir.mkdir(parents=True, exist_ok=True)
    from govmesh.services.catalog.files import SEED_DIR, read_departments

    departments, _ = read_departments(SEED_DIR / "departments.yaml")
    certs_dir = supervisor.ensure_development_certificates(config, [d.code for d in departments])
    env = supervisor.child_environment(config, config.data_dir / "spans.jsonl")
    runner = supervisor.Supervisor(config, env)
    table = Table(title="govmesh is up", show_lines=False)
    for column in ("service", "address", "pid", "log"):
        table.add_column(column)
    try:
        addresses = {service: importlib.import_module(name).address(config) for service, name in SERVICES.items()}
        _refuse_taken_ports(addresses)
        for service, address in addresses.items():
            process = runner.start(service, address)
            console.print(f"starting {service} on {address} …")
            healthy = supervisor.wait_healthy(
                address,
                timeout=120,
                credentials_dir=certs_dir if service == "gateway" and config.gateway_tls else None,
                process=process,
            )
            log_path = config.data_dir / "logs" / f"{service}.log"
            if not healthy:
                why = (
                    f"exited with code {process.returncode}" if process.poll() is not None else "did not become healthy"
                )
                console.print(f"[red]{service} {why}; the end of {log_path}:[/red]")
                console.print(supervisor.tail(log_path))
                raise typer.Exit(1)
            table.add_row(service, address, str(process.pid), str(log_path))
        console.print(table)
        console.print(
            f"public endpoint: [bold]{supervisor.gateway_endpoint(config)}[/bold] (mutual TLS)"
            if config.gateway_tls
            else f"public endpoint: {supervisor.gateway_endpoint(config)} (plaintext)"
        )
        console.print(
            f"certificates: {certs_dir} (ca.pem, department-<CODE>.pem/.key, maintainer-ops, admin-hub, auditor-audit)"
        )
        console.print(
            f"spans: {env['GOVMESH_TRACE_FILE']}    database: {config.resolved_database_url().split('@')[-1]}"
        )
        console.print("Ctrl-C stops every process.")
        crashed = asyncio.run(supervisor.wait_for_stop_or_crash(runner))
        if crashed:
            console.print(f"[red]{crashed} exited unexpectedly; stopping the mesh[/red]")
            console.print(supervisor.tail(config.data_dir / "logs" / f"{crashed}.log"))
            raise typer.Exit(1)
    finally:
        console.print("stopping …")
        runner.stop_all(config.shutdown_grace_seconds)
        console.print("stopped.")


def _refuse_taken_ports(addresses: dict[str, str]) -> None:
    """Fails at once, naming the port and the OS's reason, rather than waiting on a process that cannot listen."""
    for service, address in addresses.items():
        problem = supervisor.port_problem(address)
        if problem:
            variable = f"GOVMESH_{service.upper()}_PORT"
            console.print(
                f"[red]cannot start {service}: {address} — {problem}.[/red] "
                f"Stop whatever holds it (another `govmesh up`?) or choose another port with {variable}."
            )
            raise typer.Exit(1)


@app.command("config")
def show_config() -> None:
    """Print every setting: its variable, the value in force, its default and what it means."""
    current = settings()
    table = Table(title="govmesh settings (GOVMESH_* variables, or the file named by GOVMESH_CONFIG_FILE)")
    for column in ("variable", "value", "default", "meaning"):
        table.add_column(column)
    for name, field in Settings.model_fields.items():
        value = str(getattr(current, name))
        if name == "database_url" and value:
            value = make_url(value).render_as_string(hide_password=True)  # never print a password
        table.add_row(f"GOVMESH_{name.upper()}", value, str(field.default), field.description or "")
    console.print(table)


@certs_app.command("init")
def certs_init() -> None:
    """Create the hub's certificate authority and the gateway's server certificate (kept if present)."""
    config = settings()
    authority = CertificateAuthority(config.certs_dir)
    authority.init()
    if not authority.has("gateway"):
        authority.issue_server()
    console.print(f"CA and gateway certificate in {authority.directory}")


@certs_app.command("issue")
def certs_issue(
    identity: Annotated[str, typer.Argument(help="kind/code, e.g. department/AIC, maintainer/ops, auditor/audit")],
    days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
) -> None:
    """Issue a client certificate whose identity is spiffe://govmesh/<kind>/<code>."""
    principal = Principal.parse(identity)
    if principal.is_anonymous:
        raise typer.BadParameter("identity must be kind/code with kind one of department, maintainer, admin, auditor")
    authority = CertificateAuthority(settings().certs_dir)
    if not authority.exists:
        raise typer.BadParameter("no CA yet: run `govmesh certs init` first")
    name = authority.issue_client(principal, days=days)
    console.print(f"{authority.path(name, 'pem')} and {authority.path(name, 'key')}: {principal.spiffe_id()}")


def _authority() -> CertificateAuthority:
    authority = CertificateAuthority(settings().certs_dir)
    if not authority.exists:
        raise typer.BadParameter(f"no CA in {authority.directory}: run `govmesh certs init` first")
    return authority


@certs_app.command("revoke")
def certs_revoke(
    certificate: Annotated[
        str, typer.Argument(help="kind/code (department/AIC), a file name (department-AIC) or a hex serial number")
    ],
) -> None:
    """Revoke a certificate: its serial goes on the CA-signed crl.pem, which the gateway rereads within seconds."""
    authority = _authority()
    try:
        serial = authority.revoke(certificate)
    except (LookupError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    console.print(f"revoked serial {serial_hex(serial)} ({certificate}); revocation list: {authority.crl_path}")


@certs_app.command("list")
def certs_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per certificate, for scripts.")] = False,
) -> None:
    """Every certificate the CA directory holds: identity, serial, validity and whether it is revoked."""
    authority = _authority()
    now = dt.datetime.now(dt.UTC)
    if as_json:
        for issued in authority.issued():
            record = {
                "name": issued.name,
                "spiffe_id": issued.spiffe_id,
                "serial_number": issued.serial_hex,
                "not_before": issued.not_before.isoformat(),
                "not_after": issued.not_after.isoformat(),
                "status": issued.status(now),
            }
            print(json.dumps(record))
        return
    table = Table(title=f"certificates in {authority.directory}")
    for column in ("name", "identity", "serial", "not after", "status"):
        table.add_column(column, overflow="fold")
    for issued in authority.issued():
        status = issued.status(now)
        shown = status if status == "valid" else f"[red]{status}[/red]"
        table.add_row(
            issued.name, issued.spiffe_id, issued.serial_hex, issued.not_after.strftime("%Y-%m-%d %H:%M"), shown
        )
    console.print(table)


@app.command("trace")
def trace_tree(
    trace_id: Annotated[str, typer.Argument(help="The 32-hex-digit trace id (logs and WhoAmI show it).")],
    span_file: Annotated[
        list[Path] | None,
        typer.Option("--file", help="Span file(s) to read (default: GOVMESH_TRACE_FILE, else <data dir>/spans.jsonl)."),
    ] = None,
) -> None:
    """Print one trace's spans as a tree, with each span's service and duration."""
    config = settings()
    current = Path(config.trace_file) if config.trace_file else config.data_dir / "spans.jsonl"
    paths = span_file or [telemetry.rotated_path(current), current]
    spans = spans_file.read_trace(paths, trace_id)
    if not spans:
        console.print(f"no spans of trace {trace_id} in {', '.join(str(p) for p in paths)}")
        raise typer.Exit(1)
    console.print(spans_file.render_tree(trace_id.strip().lower(), spans_file.build_tree(spans)))


_register_service_commands()

if __name__ == "__main__":
    sys.exit(app())
