"""Settings of every govmesh process, read from GOVMESH_* environment variables and an optional file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Each process's offset from GOVMESH_METRICS_PORT and GOVMESH_HEALTH_PORT, by position; later services go last.
METRICS_PORT_OFFSETS = ("gateway", "catalog", "authz", "exchange", "masters", "applications", "http", "console")


def _offset_port(base: int, service: str) -> int:
    if not base:
        return 0
    offset = METRICS_PORT_OFFSETS.index(service) if service in METRICS_PORT_OFFSETS else len(METRICS_PORT_OFFSETS)
    return base + offset


class Settings(BaseSettings):
    """One place for every setting; each field documents its variable and default.

    Values come, strongest first, from the environment (`GOVMESH_<FIELD>`), then from the file
    named by `GOVMESH_CONFIG_FILE` (dotenv syntax), then from the defaults below.
    """

    model_config = SettingsConfigDict(env_prefix="GOVMESH_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".govmesh"),
        description="Directory for the embedded SQLite database, certificates and span files.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at <data_dir>/govmesh.db. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the internal services bind to; their ports are mutual TLS with service certificates, "
        "so 0.0.0.0 is safe where replicas on other machines must reach them.",
    )
    gateway_host: str = Field(default="127.0.0.1", description="Address the gateway binds to.")
    gateway_port: int = Field(default=50051, description="The gateway's public port.")
    http_port: int = Field(
        default=8443,
        description="The gateway's HTTP/JSON door (the Connect protocol and gRPC-Web), on gateway_host, with the "
        "same mutual TLS as the gRPC port; 0 picks a free port, a negative number closes the door.",
    )
    gateway_tls: bool = Field(
        default=True,
        description="Require mutual TLS at the gateway with certificates from <data_dir>/certs; "
        "false serves plaintext where every caller is anonymous (development only).",
    )
    console_host: str = Field(default="127.0.0.1", description="Address the web console binds to.")
    console_port: int = Field(default=8080, description="The web console's port (http://127.0.0.1:8080).")
    console_session_minutes: int = Field(
        default=480, description="How long a console session lasts after its login link was used."
    )
    console_login_minutes: int = Field(
        default=10, description="How long a `govmesh console login` link may wait before it is used (once)."
    )
    catalog_port: int = Field(default=50061, description="Internal port (mutual TLS) of the catalog service.")
    authz_port: int = Field(default=50062, description="Internal port (mutual TLS) of the authz service.")
    exchange_port: int = Field(default=50063, description="Internal port (mutual TLS) of the exchange service.")
    masters_port: int = Field(default=50064, description="Internal port (mutual TLS) of the masters service.")
    catalog_targets: str = Field(
        default="",
        description="Comma-separated catalog replica addresses the gateway forwards to (and authz reads the "
        "catalog from); empty means 127.0.0.1:<catalog_port>.",
    )
    authz_targets: str = Field(
        default="",
        description="Comma-separated authz replica addresses the gateway forwards to; "
        "empty means 127.0.0.1:<authz_port>.",
    )
    exchange_targets: str = Field(
        default="",
        description="Comma-separated exchange replica addresses the gateway forwards to; "
        "empty means 127.0.0.1:<exchange_port>.",
    )
    masters_targets: str = Field(
        default="",
        description="Comma-separated masters replica addresses the gateway forwards to; "
        "empty means 127.0.0.1:<masters_port>.",
    )
    masters_department: str = Field(
        default="INFO",
        description="The department the masters service acts for in the exchange: the provider of the "
        "master-record subjects 101.090 and 102.090, whose grants decide what it learns.",
    )
    masters_subjects: str = Field(
        default="101,102",
        description="Comma-separated subject codes or code prefixes the masters service learns from.",
    )
    masters_model: str = Field(
        default="",
        description="The linking model file (trained m/u parameters) the masters service loads; "
        "empty means the one shipped with it.",
    )
    authz_refresh_seconds: float = Field(
        default=0.25,
        description="How often an authz replica picks up policy changes other replicas made.",
    )
    authz_expiry_sweep_seconds: float = Field(
        default=10.0,
        description="How often authz marks grants past their end time EXPIRED (decisions deny them from "
        "their end time on regardless).",
    )
    exchange_retention_seconds: float = Field(
        default=60.0,
        description="How often the exchange removes records past their subject's retention (a catalog property) "
        "that every subscription has acknowledged.",
    )
    max_message_bytes: int = Field(default=4 * 1024 * 1024, description="Largest request or response message accepted.")
    gateway_limits: str = Field(
        default="",
        description="Per-principal limits at the gateway: inline JSON, or the path of a .json, .yaml or .toml "
        'file, shaped {"default": {...}, "principals": {"department/AIC": {...}, "maintainer/*": {...}}} with '
        "requests_per_second, burst, max_concurrent_streams, max_message_bytes, default_deadline_seconds and "
        "max_deadline_seconds; empty means the built-in defaults (200/s, burst 400, 32 streams, 30 s, 300 s).",
    )
    gateway_revocation_check_seconds: float = Field(
        default=1.0,
        description="How often the gateway and every service reread <data_dir>/certs/crl.pem (`govmesh certs "
        "revoke`): a revoked certificate's calls and open streams end within this period.",
    )
    shutdown_grace_seconds: float = Field(default=10.0, description="How long in-flight calls may drain after SIGTERM.")
    catalog_refresh_seconds: float = Field(
        default=1.0,
        description="How often a catalog replica looks for changes made by other replicas.",
    )
    log_level: str = Field(default="INFO", description="Python log level of every process.")
    log_format: str = Field(default="json", description="`json` (one object a line) or `text`.")
    metrics_port: int = Field(
        default=0,
        description="Base port of the Prometheus scrape endpoints (/metrics): each process listens on this plus "
        "its offset (gateway +0, catalog +1, authz +2, exchange +3, then later services in order); 0 = no "
        "endpoint. Set it per process to run replicas of one service on one host.",
    )
    health_port: int = Field(
        default=0,
        description="Base port of the plaintext grpc.health.v1 endpoints for probes without a certificate "
        "(same offsets as GOVMESH_METRICS_PORT: the gateway at +0; not the console, which has /healthz); "
        "0 = none, health is then only on each process's own port, to a verified principal.",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the Prometheus endpoints bind to (0.0.0.0 in a container)."
    )
    trace_file: str = Field(
        default="",
        description="Where spans are written as JSON lines when no OTLP endpoint is set; "
        "empty means <data_dir>/spans.jsonl under `govmesh up`, and no spans otherwise.",
    )

    def metrics_port_of(self, service: str) -> int:
        """The process's Prometheus port: the base plus the service's offset; 0 when metrics are off."""
        return _offset_port(self.metrics_port, service)

    def health_port_of(self, service: str) -> int:
        """The process's plaintext health port: the base plus the service's offset; 0 when there is none."""
        return _offset_port(self.health_port, service)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govmesh.db').resolve()}"

    @property
    def certs_dir(self) -> Path:
        return self.data_dir / "certs"

    def catalog_upstreams(self) -> list[str]:
        if self.catalog_targets:
            return [t.strip() for t in self.catalog_targets.split(",") if t.strip()]
        return [f"{self.host}:{self.catalog_port}"]

    def authz_upstreams(self) -> list[str]:
        if self.authz_targets:
            return [t.strip() for t in self.authz_targets.split(",") if t.strip()]
        return [f"{self.host}:{self.authz_port}"]

    def masters_upstreams(self) -> list[str]:
        if self.masters_targets:
            return [t.strip() for t in self.masters_targets.split(",") if t.strip()]
        return [f"{self.host}:{self.masters_port}"]

    def exchange_upstreams(self) -> list[str]:
        if self.exchange_targets:
            return [t.strip() for t in self.exchange_targets.split(",") if t.strip()]
        return [f"{self.host}:{self.exchange_port}"]


@lru_cache(maxsize=1)
def settings() -> Settings:
    import os

    config_file = os.environ.get("GOVMESH_CONFIG_FILE")
    if config_file:
        return Settings(_env_file=config_file)  # type: ignore[call-arg]
    return Settings()
