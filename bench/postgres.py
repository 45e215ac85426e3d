"""PostgreSQL for the benchmarks: fresh throwaway databases, and Baseline B (COPY of ledger-shaped rows)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# The shape exchange records will have in the ledger; exchange benchmarks compare against COPY into it.
RECORD_TABLE_DDL = """
CREATE TABLE bench_records (
    record_id uuid PRIMARY KEY,
    subject text NOT NULL,
    entity_key text NOT NULL,
    jurisdiction text NOT NULL,
    event_time timestamptz NOT NULL,
    "values" jsonb NOT NULL,
    idempotency_key text NOT NULL
)
"""
RECORD_COLUMNS = ("record_id", "subject", "entity_key", "jurisdiction", "event_time", "values", "idempotency_key")


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) → `postgresql://…` (libpq)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` → `postgresql+psycopg://…`, the driver govmesh uses."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql+psycopg{sep}{rest}" if scheme == "postgresql" else url


def server_version(server_url: str) -> str:
    with psycopg.connect(libpq_url(server_url), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "govmesh_bench") -> Iterator[str]:
    """Creates an empty database on the server of `server_url`, yields its SQLAlchemy URL, drops it after."""
    admin_url = libpq_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield sqlalchemy_url(admin_url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def record_rows(count: int, subject: str = "subjects/102.001") -> list[tuple[object, ...]]:
    """`count` ledger-shaped rows with realistic field sizes (built before timing starts)."""
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        values = {
            "102.001.001": f"91440101MA{n:08d}X",
            "102.001.002": f"某某企业管理有限公司{n}",
            "102.001.003": "2019-06-01",
            "102.001.004": n % 1000 * 10_000,
        }
        rows.append(
            (
                uuid.uuid4(),
                subject,
                f"91440101MA{n:08d}X",
                "440101",
                base + dt.timedelta(seconds=n),
                json.dumps(values, ensure_ascii=False),
                f"AIC-{n:012d}",
            )
        )
    return rows


@dataclass(frozen=True)
class CopyResult:
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def copy_records(database_url: str, rows: list[tuple[object, ...]], table: str = "bench_records") -> CopyResult:
    """COPY `rows` into `table` (created with RECORD_TABLE_DDL if missing) and commit; timed from COPY to commit.

    The floor for exchange ingestion: whatever exchange does per record is measured against this.
    """
    with psycopg.connect(libpq_url(database_url)) as conn:
        conn.execute(RECORD_TABLE_DDL.replace("CREATE TABLE bench_records", f"CREATE TABLE IF NOT EXISTS {table}"))
        conn.commit()
        columns = ", ".join(f'"{c}"' for c in RECORD_COLUMNS)
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert count is not None and count[0] >= len(rows)
    return CopyResult(len(rows), seconds)


def copy_baseline(server_url: str, count: int = 100_000) -> CopyResult:
    """Baseline B: rows/s of psycopg COPY of `count` ledger-shaped rows into a table of a fresh database."""
    rows = record_rows(count)
    with fresh_database(server_url, "govmesh_bench_copy") as url:
        return copy_records(url, rows)
