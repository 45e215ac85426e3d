"""Real servers on loopback port 0, over real mutual TLS, on real SQLite and real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from govmesh.runtime.certs import SERVICE_CODES, CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from tests.integration.mesh import Mesh, start_mesh

POSTGRES_ADMIN_URL = os.environ.get("GOVMESH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_database() -> Iterator[str]:
    name = f"govmesh_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        message = (
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}); start it "
            "(`pg_ctlcluster 15 main start`) or point GOVMESH_TEST_POSTGRES at one"
        )
        # In CI PostgreSQL is part of the test bed, so its absence fails; on a laptop the SQLite half runs.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test runs once on its own SQLite file and once on its own PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govmesh.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def mesh_settings(tmp_path: Path) -> Settings:
    authority = CertificateAuthority(tmp_path / "certs")
    authority.init()
    authority.issue_server()
    # Every hop inside a test mesh is mutual TLS too: each service with its own certificate.
    for code in SERVICE_CODES:
        authority.issue_service(code)
    for principal in ("department/AIC", "department/LTAX", "maintainer/ops", "auditor/audit"):
        authority.issue_client(Principal.parse(principal))
    # The HTTP door stays closed here (its default port is fixed); its own tests open it on port 0.
    return Settings(data_dir=tmp_path, catalog_refresh_seconds=0.2, http_port=-1)


@pytest.fixture
async def mesh(mesh_settings: Settings, database_url: str) -> AsyncIterator[Mesh]:
    running = await start_mesh(mesh_settings, database_url)
    try:
        yield running
    finally:
        for channel in running.channels:
            await channel.close()
        await running.gateway.stop(0.5)
        await running.catalog.stop(0.5)


# Principals the authz tests act as, beyond those every mesh test has.
AUTHZ_PRINCIPALS = ("department/NTAX", "department/QTS", "department/PSB", "admin/hub")


@pytest.fixture
async def authz_mesh(
    mesh_settings: Settings, database_url: str, span_exporter: InMemorySpanExporter
) -> AsyncIterator[Mesh]:
    """The mesh with authz between the catalog and the gateway, and certificates for authz's parties.

    Tracing is on, as in production, so grant history and audit entries carry trace ids.
    """
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for principal in AUTHZ_PRINCIPALS:
        authority.issue_client(Principal.parse(principal))
    running = await start_mesh(
        mesh_settings.model_copy(update={"authz_refresh_seconds": 0.1}), database_url, with_authz=True
    )
    try:
        yield running
    finally:
        await running.stop()


# The departments and roles the exchange tests act as: the business bureau publishes; quality, local
# and national tax, police and a district receive and ask.
EXCHANGE_PRINCIPALS = (
    "department/NTAX",
    "department/QTS",
    "department/PSB",
    "department/TIANHE",
    "department/HOUSING",
    "department/HRSS",
    "admin/hub",
)


@pytest.fixture
async def exchange_mesh(
    mesh_settings: Settings, database_url: str, span_exporter: InMemorySpanExporter
) -> AsyncIterator[Mesh]:
    """The whole mesh: catalog, authz, exchange and the gateway in front, with the exchange tests' parties.

    Tracing is on, as in production, so every ledger entry carries the trace id of its call.
    """
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for principal in EXCHANGE_PRINCIPALS:
        authority.issue_client(Principal.parse(principal))
    running = await start_mesh(
        mesh_settings.model_copy(update={"authz_refresh_seconds": 0.1}), database_url, with_exchange=True
    )
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Every span the in-process servers finish, for tests that follow a call across hops."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
async def masters_mesh(
    mesh_settings: Settings, database_url: str, span_exporter: InMemorySpanExporter
) -> AsyncIterator[Mesh]:
    """The whole mesh with the masters service following AIC's and QTS's enterprises and PSB's and CAB's persons."""
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for principal in (*EXCHANGE_PRINCIPALS, "department/CAB"):
        authority.issue_client(Principal.parse(principal))
    settings = mesh_settings.model_copy(
        update={"authz_refresh_seconds": 0.1, "masters_subjects": "101.001,101.002,102.001,102.010"}
    )
    running = await start_mesh(settings, database_url, with_masters=True)
    try:
        yield running
    finally:
        await running.stop()
