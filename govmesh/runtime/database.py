"""One SQLAlchemy engine per process, the same code on embedded SQLite and PostgreSQL, migrated by Alembic."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import BigInteger, Connection, Engine, Integer, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url

# Every service names its constraints and indexes the same way, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite autoincrements only INTEGER primary keys; PostgreSQL gets a BIGINT identity.
SerialId = BigInteger().with_variant(Integer(), "sqlite")


def service_metadata() -> MetaData:
    """The MetaData a service declares its tables on."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Creates an engine tuned for the backend the URL names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the services' processes read while one writes; the busy timeout makes writers
            # queue for the file lock instead of failing.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # pre_ping replaces connections that a PostgreSQL restart broke, so services recover by themselves.
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def lock_key(name: str) -> int:
    """The advisory lock key of a name: every service derives its keys the same way."""
    return zlib.crc32(name.encode())


def transaction_lock(connection: Connection, name: str) -> None:
    """Serialises transactions on `name` until commit (PostgreSQL; SQLite serialises writers on its file lock)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})


def try_transaction_lock(connection: Connection, name: str) -> bool:
    """Takes `name` until commit if no other transaction holds it; always True on SQLite."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key(name)}).scalar())


@contextlib.contextmanager
def schema_lock(connection: Connection, name: str) -> Iterator[None]:
    """Serialises schema work between replicas starting at once (an advisory lock on PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        key = lock_key(name)
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    else:
        # SQLite serialises writers on the file lock already.
        yield


def migrate(engine: Engine, script_location: str, version_table: str) -> None:
    """Brings one service's tables to the newest revision; each service keeps its own version table."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["version_table"] = version_table
    with engine.connect() as connection, schema_lock(connection, version_table):
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def revisions(engine: Engine, script_location: str, version_table: str) -> tuple[str | None, str | None]:
    """(the revision the database is at, the newest the code has) of one service; None where there is none."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", script_location)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection, opts={"version_table": version_table}).get_current_revision()
    return current, head
