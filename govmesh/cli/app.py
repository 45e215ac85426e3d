"""The `govmesh` command: run the mesh, serve one service, manage certificates and the catalog."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govmesh.cli.common import AsJson, console, fitting_table, print_json
from govmesh.cli.lazy import LazyCommand, LazyGroup, register_lazy

if TYPE_CHECKING:
    import subprocess

    from rich.table import Table

    from govmesh.cli.supervisor import Supervisor
    from govmesh.runtime.config import Settings

# Everything heavy (grpc, SQLAlchemy, the services) is imported inside the command that needs it,
# and the subcommand groups load only when they run: `govmesh --help` stays well under a second.
app = typer.Typer(
    cls=LazyGroup, help="govmesh: the data hub of a city's e-government data center.", no_args_is_help=True
)

# Each service package exposes `build(settings) -> MeshServer` and `address(settings) -> str` in
# its `main` module; the order is the start order under `govmesh up`.
SERVICES = {
    "catalog": "govmesh.services.catalog.main",
    "authz": "govmesh.services.authz.main",
    "exchange": "govmesh.services.exchange.main",
    "masters": "govmesh.services.masters.main",
    "gateway": "govmesh.services.gateway.main",
    # The web console, a client of the gateway like any department; it starts once the gateway serves.
    "console": "govmesh.console.main",
    # Applications: clients of the mesh through the gateway, started once it serves.
    "warnings": "govmesh.apps.warnings.main",
}


register_lazy(
    {
        "certs": LazyCommand("govmesh.cli.certs:certs_app", "The hub's certificate authority and its identities."),
        "catalog": LazyCommand("govmesh.cli.catalog:app", "The metadata catalog: departments, subjects, data items."),
        "grants": LazyCommand("govmesh.cli.authz:grants_app", "Grants: apply, approve, reject, revoke, list, show."),
        # One command with filters rather than a group: `govmesh audit --reason not_provider --format csv`.
        "audit": LazyCommand("govmesh.cli.authz:audit", "The audit log of grant changes and denials."),
        "ledger": LazyCommand("govmesh.cli.exchange:app", "The exchange ledger: verify its chain, count exchanges."),
        "console": LazyCommand("govmesh.cli.console:app", "The web console: a one-time sign-in link."),
        "masters": LazyCommand(
            "govmesh.cli.masters:app", "Master records: look up, review, batch-link files, data quality."
        ),
        "dead-letters": LazyCommand(
            "govmesh.cli.exchange:dead_letters_app", "A subscription's dead letters: list them, replay them."
        ),
        "backup": LazyCommand("govmesh.cli.operations:backup", "Back up the mesh's database while it runs."),
        "restore": LazyCommand("govmesh.cli.operations:restore", "Restore a backup into the database."),
        "health": LazyCommand("govmesh.cli.operations:health", "Whether a process reports SERVING (exit 0 or 1)."),
        "migrate": LazyCommand("govmesh.cli.operations:migrate", "Every service's tables to this version's schema."),
        "chaos": LazyCommand("govmesh.cli.chaos:chaos", "A seeded workload while processes are killed; invariants."),
        "soak": LazyCommand("govmesh.cli.soak:soak_command", "A bounded steady load sampled to CSV and a chart."),
        "warnings": LazyCommand("govmesh.cli.warnings:app", "Early warnings: list, show, close, metrics."),
        "verify": LazyCommand("govmesh.cli.verify:app", "Verification only (限价房): verdicts, never values."),
        "taxtotal": LazyCommand("govmesh.cli.applications:taxtotal_app", "Annual tax totals for the police."),
        "district": LazyCommand("govmesh.cli.applications:district_app", "District return: a district's own data."),
        "apps": LazyCommand("govmesh.cli.applications:apps_app", "The applications' shipped grants and changes."),
        "demo": LazyCommand("govmesh.cli.demo.command:demo", "The seed's year replayed, beside the truth."),
    }
)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}", envvar="GOVMESH_SERVICE")],
) -> None:
    """Run one service in this process until SIGTERM or Ctrl-C."""
    from govmesh.cli import lifeline
    from govmesh.runtime import telemetry

    lifeline.die_with_supervisor()
    from govmesh.runtime.config import settings

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    config = settings()
    telemetry.configure(
        service,
        trace_file=config.trace_file,
        log_level=config.log_level,
        log_format=config.log_format,
        metrics_port=config.metrics_port_of(service),
        metrics_host=config.metrics_host,
        certs_dir=config.certs_dir,
    )
    try:
        asyncio.run(_serve(service, config))
    finally:
        telemetry.shutdown()


async def _serve(service: str, config: Settings) -> None:
    from govmesh.runtime.server import MeshServer

    module = importlib.import_module(SERVICES[service])
    server = await module.build(config)
    await server.start(module.address(config))
    probe_port = config.health_port_of(service)
    # Every gRPC process, the gateway at offset 0 included, answers probes on one mechanism; the
    # console is a web server and answers /healthz on its own HTTP port instead.
    if probe_port and isinstance(server, MeshServer):
        await server.serve_health_probe(f"{config.host}:{probe_port}")
    await server.serve_until_signalled(config.shutdown_grace_seconds)


@app.command()
def up(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default ./.govmesh or GOVMESH_DATA_DIR).")
    ] = None,
) -> None:
    """Start the whole mesh on loopback: each service in its own process, the gateway in front."""
    from govmesh.cli import supervisor

    config = _up_settings(data_dir)
    certs_dir = _development_certificates(config)
    env = supervisor.child_environment(config, config.data_dir / "spans.jsonl")
    runner = supervisor.Supervisor(config, env)
    table = fitting_table("govmesh is up", "service", "address", "pid", "metrics", "log")
    try:
        addresses = _free_addresses(config)
        _start_every_service(config, runner, addresses, certs_dir, table)
        console.print(table)
        _print_endpoints(config, certs_dir, env)
        _wait_for_stop(config, runner)
    finally:
        console.print("stopping …")
        runner.stop_all(config.shutdown_grace_seconds)
        console.print("stopped.")


def _up_settings(data_dir: Path | None) -> Settings:
    """The settings `govmesh up` runs with, its data directory created."""
    from govmesh.runtime.config import settings

    config = settings()
    if data_dir is not None:
        config = config.model_copy(update={"data_dir": data_dir})
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return config


def _development_certificates(config: Settings) -> Path:
    """The development CA and identities for every seeded department and service."""
    from govmesh.cli import supervisor
    from govmesh.kernel.catalog.files import read_departments
    from govmesh.services.catalog.shipped import SEED_DIR

    departments, _ = read_departments(SEED_DIR / "departments.yaml")
    return supervisor.ensure_development_certificates(config, [d.code for d in departments])


def _free_addresses(config: Settings) -> dict[str, str]:
    """Each service's address, refusing to start if any of them (or the HTTP door's) is taken."""
    addresses = {service: importlib.import_module(name).address(config) for service, name in SERVICES.items()}
    _refuse_taken_ports(addresses)
    if config.http_port > 0:  # the gateway's HTTP door, GOVMESH_HTTP_PORT
        _refuse_taken_ports({"http": f"{config.gateway_host}:{config.http_port}"})
    return addresses


def _is_application(service: str) -> bool:
    return SERVICES[service].startswith("govmesh.apps.")


def _start_every_service(
    config: Settings, runner: Supervisor, addresses: dict[str, str], certs_dir: Path, table: Table
) -> None:
    """Start the services in order, each healthy before the next; the applications' grants before the first one."""
    applications_set_up = False
    for service, address in addresses.items():
        if _is_application(service) and not applications_set_up:
            _apply_application_setup(config)
            applications_set_up = True
        process = runner.start(service, address)
        console.print(f"starting {service} on {address} …")
        log_path = config.data_dir / "logs" / f"{service}.log"
        _wait_started(config, service, address, process, certs_dir, log_path)
        port = config.metrics_port_of(service)
        scrape = f"http://{config.metrics_host}:{port}/metrics" if port else "off"
        table.add_row(service, address, str(process.pid), scrape, str(log_path))


def _apply_application_setup(config: Settings) -> None:
    try:
        changes = asyncio.run(_set_up_applications(config))
        console.print(f"applications: {len(changes)} shipped grants and catalog changes applied")
    except Exception as error:  # the mesh still runs; `govmesh apps setup` can finish it later
        console.print(f"[yellow]applications' grants not applied ({error}); run `govmesh apps setup`[/yellow]")


def _wait_started(
    config: Settings, service: str, address: str, process: subprocess.Popen[bytes], certs_dir: Path, log_path: Path
) -> None:
    """Wait for one started service to report healthy; exit with the end of its log if it does not."""
    from govmesh.cli import supervisor

    if service == "console":
        healthy = supervisor.wait_http_healthy(f"http://{address}/healthz", timeout=60, process=process)
    else:
        # Internal ports are mutual TLS with each service's certificate; the gateway per its setting.
        # An application serves only its health on loopback, in plaintext: it is a client of the mesh.
        internal = service != "gateway" and not _is_application(service)
        healthy = supervisor.wait_healthy(
            address,
            timeout=120,
            credentials_dir=certs_dir if internal or (service == "gateway" and config.gateway_tls) else None,
            process=process,
            service=service if internal else None,
        )
    if not healthy:
        why = f"exited with code {process.returncode}" if process.poll() is not None else "did not become healthy"
        console.print(f"[red]{service} {why}; the end of {log_path}:[/red]")
        console.print(supervisor.tail(log_path))
        raise typer.Exit(1)


def _print_endpoints(config: Settings, certs_dir: Path, env: dict[str, str]) -> None:
    """Where to reach the running mesh: its endpoints, certificates, spans, database and console."""
    from govmesh.cli import supervisor

    console.print(
        f"public endpoint: [bold]{supervisor.gateway_endpoint(config)}[/bold] (mutual TLS)"
        if config.gateway_tls
        else f"public endpoint: {supervisor.gateway_endpoint(config)} (plaintext)"
    )
    if config.http_port >= 0:
        door = supervisor.http_endpoint(config)
        console.print(f"HTTP/JSON door: [bold]{door}[/bold] (Connect protocol; schema at {door}/openapi.json)")
    console.print(
        f"certificates: {certs_dir} (ca.pem, department-<CODE>.pem/.key, maintainer-ops, admin-hub, "
        "auditor-audit, and service-<name> for each service's mutual TLS)"
    )
    console.print(f"spans: {env['GOVMESH_TRACE_FILE']}    database: {config.resolved_database_url().split('@')[-1]}")
    console.print(
        f"web console: [bold]http://{config.console_host}:{config.console_port}[/bold] "
        "(sign in with a link from `govmesh console login --as department/AIC`)"
    )
    console.print("Ctrl-C stops every process.")


def _wait_for_stop(config: Settings, runner: Supervisor) -> None:
    """Block until Ctrl-C or a crash; a crashed process stops the mesh with the end of its log."""
    from govmesh.cli import supervisor

    crashed = asyncio.run(supervisor.wait_for_stop_or_crash(runner))
    if crashed:
        console.print(f"[red]{crashed} exited unexpectedly; stopping the mesh[/red]")
        console.print(supervisor.tail(config.data_dir / "logs" / f"{crashed}.log"))
        raise typer.Exit(1)


async def _set_up_applications(config: Settings) -> list[str]:
    """The applications' grants and catalog changes on the development hub (see apps/setup.py)."""
    from govmesh.apps.setup import ensure_all
    from govmesh.cli import supervisor
    from govmesh.client import Stubs, connect

    channels: dict[str, Any] = {}
    target = supervisor.gateway_endpoint(config)

    def stub_of(identity: str) -> Stubs:
        if identity not in channels:
            channels[identity] = connect(target, identity=identity, certs_dir=config.certs_dir)
        return Stubs(channels[identity])

    try:
        return await ensure_all(stub_of)
    finally:
        for channel in channels.values():
            await channel.close()


def _refuse_taken_ports(addresses: dict[str, str]) -> None:
    """Fails at once, naming the port and the OS's reason, rather than waiting on a process that cannot listen."""
    from govmesh.cli import supervisor

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
def show_config(as_json: AsJson = False) -> None:
    """Print every setting: its variable, the value in force, its default and what it means."""
    from sqlalchemy.engine import make_url

    from govmesh.runtime.config import Settings, settings

    current = settings()
    rows = []
    for name, field in Settings.model_fields.items():
        value = str(getattr(current, name))
        if name == "database_url" and value:
            value = make_url(value).render_as_string(hide_password=True)  # never print a password
        rows.append((f"GOVMESH_{name.upper()}", value, str(field.default), field.description or ""))
    if as_json:
        print_json({variable: {"value": v, "default": d, "meaning": m} for variable, v, d, m in rows})
        return
    shown = fitting_table(
        "govmesh settings (GOVMESH_* variables, or the file named by GOVMESH_CONFIG_FILE)", "variable"
    )
    for column in ("value", "default", "meaning"):
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*row)
    console.print(shown)


@app.command("trace")
def trace_tree(
    trace_id: Annotated[str, typer.Argument(help="The 32-hex-digit trace id (logs and WhoAmI show it).")],
    span_file: Annotated[
        list[Path] | None,
        typer.Option("--file", help="Span file(s) to read (default: GOVMESH_TRACE_FILE, else <data dir>/spans.jsonl)."),
    ] = None,
) -> None:
    """Print one trace's spans as a tree, with each span's service and duration."""
    from govmesh.runtime import spans as spans_file
    from govmesh.runtime import telemetry
    from govmesh.runtime.config import settings

    config = settings()
    current = Path(config.trace_file) if config.trace_file else config.data_dir / "spans.jsonl"
    paths = span_file or [telemetry.rotated_path(current), current]
    spans = spans_file.read_trace(paths, trace_id)
    if not spans:
        console.print(f"no spans of trace {trace_id} in {', '.join(str(p) for p in paths)}")
        raise typer.Exit(1)
    console.print(spans_file.render_tree(trace_id.strip().lower(), spans_file.build_tree(spans)))


if __name__ == "__main__":
    sys.exit(app())
