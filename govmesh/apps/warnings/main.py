"""Builds and runs the warnings application: its own process, a client of the mesh through the gateway."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from govmesh.apps import mesh
from govmesh.apps.notifier.outbox import Dispatcher, RetryPolicy
from govmesh.apps.notifier.providers import provider_from_url
from govmesh.apps.warnings.domain.rules import RuleSet, load_rules
from govmesh.apps.warnings.persistence.tables import VERSION_TABLE, outbox
from govmesh.apps.warnings.runner import WarningsRunner
from govmesh.apps.warnings.usecases import WarningsApp
from govmesh.client import connect
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.server import MeshServer

log = logging.getLogger("govmesh.warnings")

SHIPPED_RULES = Path(__file__).with_name("rules.yaml")
MIGRATIONS = str(Path(__file__).parent / "persistence" / "migrations")


class WarningsSettings(BaseSettings):
    """GOVMESH_WARNINGS_* settings of the warnings application."""

    model_config = SettingsConfigDict(env_prefix="GOVMESH_WARNINGS_", extra="ignore")

    port: int = Field(default=50071, description="Loopback port of the application's health endpoint.")
    rules_file: str = Field(default="", description="The rules YAML; the shipped rules.yaml when empty.")
    identity: str = Field(
        default="department/INFO",
        description="Whom the application calls the gateway as: the department providing 206.x.",
    )
    certificate: str = Field(
        default="application-warnings",
        description="The application's own certificate of that identity (<certs dir>/<name>.pem and .key, "
        "which `govmesh up` issues); empty for the department's own.",
    )
    sms: str = Field(default="file:", description="`file:` (<data dir>/sms.jsonl), `file:/path` or an http(s) URL.")
    database_url: str = Field(
        default="",
        description="The application's database; on the embedded default its own SQLite file beside the mesh's, "
        "otherwise the mesh's database (its own tables and version table).",
    )
    evaluate_seconds: float = Field(default=60.0, description="How often every rule is evaluated over all facts.")
    dispatch_seconds: float = Field(default=1.0, description="How often the reminders' outbox is drained.")


def address(settings: Settings) -> str:
    return f"{settings.host}:{WarningsSettings().port}"


def rules(app_settings: WarningsSettings) -> RuleSet:
    return load_rules(Path(app_settings.rules_file) if app_settings.rules_file else SHIPPED_RULES)


def application_database_url(settings: Settings, app_settings: WarningsSettings | None = None) -> str:
    """Its own SQLite file on the embedded default, so the application never waits on the services' writes;
    the mesh's PostgreSQL database otherwise."""
    chosen = (app_settings or WarningsSettings()).database_url
    if chosen:
        return chosen
    mesh_url = settings.resolved_database_url()
    if make_url(mesh_url).get_backend_name() == "sqlite":
        return f"sqlite:///{settings.data_dir / 'warnings.db'}"
    return mesh_url


def open_database(settings: Settings, url: str | None = None) -> Engine:
    """The application's tables (its own tables and version table), migrated to the newest revision."""
    engine = make_engine(url or application_database_url(settings))
    migrate(engine, MIGRATIONS, VERSION_TABLE)
    return engine


def gateway_target(settings: Settings) -> str:
    host = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "::") else settings.gateway_host  # noqa: S104
    return f"{host}:{settings.gateway_port}"


async def build(
    settings: Settings,
    database_url: str | None = None,
    *,
    app_settings: WarningsSettings | None = None,
    target: str | None = None,
) -> MeshServer:
    """The application's process: a health endpoint for `govmesh up`, and its work in background tasks."""
    app_settings = app_settings or WarningsSettings()
    ruleset = rules(app_settings)  # a bad rules file stops the start with the file and line at fault
    engine = open_database(settings, database_url or application_database_url(settings, app_settings))
    app = WarningsApp(engine, ruleset)
    channel = connect(
        target or gateway_target(settings),
        identity=app_settings.identity,
        certs_dir=settings.certs_dir,
        certificate=app_settings.certificate,
    )
    provider = provider_from_url(app_settings.sms, settings.data_dir)
    dispatcher = Dispatcher(engine, outbox, provider, RetryPolicy())
    runner = WarningsRunner(app, mesh.Stub(channel), dispatcher, evaluate_seconds=app_settings.evaluate_seconds)
    server = MeshServer("govmesh-warnings", [])
    runner.start()
    server.on_stop(runner.stop)
    server.on_stop(channel.close)
    server.on_stop(engine.dispose)
    log.info(
        "warnings: %d rules over %d subjects, as %s (certificate %s)",
        len(ruleset.rules),
        len(ruleset.subjects()),
        app_settings.identity,
        app_settings.certificate or "the department's",
    )
    return server
