"""`govmesh backup`, `restore` and `health`: the SRE's commands that work on the database and processes directly."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from govmesh.runtime import backup as backups
from govmesh.runtime.config import settings
from govmesh.runtime.database import make_engine, revisions
from govmesh.runtime.database import migrate as run_migrations

console = Console(soft_wrap=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DatabaseUrl = Annotated[
    str,
    typer.Option("--database-url", help="Database to use (default: GOVMESH_DATABASE_URL, else the data dir's SQLite)."),
]


def _database(url: str) -> str:
    return url or settings().resolved_database_url()


def _report(verb: str, result: backups.BackupResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"action": verb, **result.as_dict()}))
    else:
        console.print(f"{verb} {result.backend} database {result.database} ↔ {result.file} ({result.bytes:,} bytes)")


def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (pg_dump custom format, or a SQLite file).")],
    database_url: DatabaseUrl = "",
    as_json: AsJson = False,
) -> None:
    """Back up the mesh's database while it runs: pg_dump on PostgreSQL, the online backup API on SQLite."""
    try:
        result = backups.backup(_database(database_url), file)
    except backups.BackupError as error:
        console.print(f"[red]backup failed[/red]: {error}")
        raise typer.Exit(1) from None
    _report("backed up", result, as_json)


def restore(
    file: Annotated[Path, typer.Argument(help="A file `govmesh backup` wrote.")],
    database_url: DatabaseUrl = "",
    as_json: AsJson = False,
) -> None:
    """Restore a backup into the database (stop the services first; start them after, migrations then run)."""
    try:
        result = backups.restore(_database(database_url), file)
    except backups.BackupError as error:
        console.print(f"[red]restore failed[/red]: {error}")
        raise typer.Exit(1) from None
    _report("restored", result, as_json)


def health(
    service: Annotated[
        str,
        typer.Argument(
            help="catalog, authz, exchange or gateway (default: GOVMESH_SERVICE).", envvar="GOVMESH_SERVICE"
        ),
    ],
    address: Annotated[str, typer.Option(help="host:port to ask (default: the service's health or own port).")] = "",
    timeout: Annotated[float, typer.Option(help="Seconds to keep asking before giving up.")] = 3.0,
    as_json: AsJson = False,
) -> None:
    """Ask a process's grpc.health.v1 whether it is SERVING: exit 0 if so, 1 if not (container health checks)."""
    from govmesh.cli import supervisor
    from govmesh.cli.app import SERVICES

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    config = settings()
    probe_port = config.health_port_of(service)
    probe = f"127.0.0.1:{probe_port}" if probe_port else ""
    own = importlib.import_module(SERVICES[service]).address(config).replace("0.0.0.0", "127.0.0.1")  # noqa: S104
    target = address or probe or own
    credentials, name, client = None, None, "admin-hub"
    if target != probe and (service != "gateway" or config.gateway_tls):
        # A process's own port is mutual TLS: ask as the hub administrator, or as the service itself
        # where only its certificate is at hand (a replica's machine), checking who answers.
        credentials = config.certs_dir
        name = None if service == "gateway" else service
        if not (config.certs_dir / "admin-hub.pem").exists() and name:
            client = f"service-{name}"
    serving = supervisor.wait_healthy(target, timeout=timeout, credentials_dir=credentials, service=name, client=client)
    if as_json:
        print(json.dumps({"service": service, "address": target, "serving": serving}))
    else:
        console.print(f"{service} at {target}: {'SERVING' if serving else '[red]not serving[/red]'}")
    if not serving:
        raise typer.Exit(1)


# Each service with tables: its migrations and its own Alembic version table, in start order.
MIGRATING = ("catalog", "authz", "exchange", "masters")


def migrate(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 when any service's tables are behind the code.")
    ] = False,
    database_url: DatabaseUrl = "",
    as_json: AsJson = False,
) -> None:
    """Bring every service's tables to the code's newest revision (services also do this as they start)."""
    from govmesh.cli.app import SERVICES

    engine = make_engine(_database(database_url))
    states = []
    try:
        for service in MIGRATING:
            scripts = importlib.import_module(SERVICES[service]).MIGRATIONS
            table = f"{service}_alembic_version"
            before, head = revisions(engine, scripts, table)
            if not check and before != head:
                run_migrations(engine, scripts, table)
            after = before if check else revisions(engine, scripts, table)[0]
            states.append({"service": service, "was": before, "now": after, "head": head, "current": after == head})
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"checked_only": check, "services": states}))
    else:
        for state in states:
            mark = "up to date" if state["current"] else "[red]behind[/red]"
            console.print(
                f"{state['service']}: {state['was'] or 'empty'} → {state['now'] or 'empty'} "
                f"(head {state['head']}) {mark}"
            )
    if check and not all(state["current"] for state in states):
        raise typer.Exit(1)
