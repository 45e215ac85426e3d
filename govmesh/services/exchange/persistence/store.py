"""The exchange's hold on its database: transactions, dialect differences, and outages turned into UNAVAILABLE."""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, OperationalError

from govmesh.runtime.errors import Unavailable

NOTIFY_CHANNEL = "govmesh_exchange"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text_value: str) -> Any:
    return json.loads(text_value)


class Store:
    """One engine, used the same way on SQLite and PostgreSQL.

    On SQLite every write of this process goes through one lock: pysqlite starts a transaction only
    at the first write, so a read-then-write sequence is made atomic by holding the lock instead.
    On PostgreSQL row locks (FOR UPDATE SKIP LOCKED) and transaction advisory locks do that work,
    across replicas too.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"
        self._sqlite_writes = threading.RLock()

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction that may write; database outages surface as UNAVAILABLE."""
        with self._unavailable_on_outage():
            if self.postgresql:
                with self.engine.begin() as conn:
                    yield conn
            else:
                with self._sqlite_writes, self.engine.begin() as conn:
                    yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self._unavailable_on_outage(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _unavailable_on_outage(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            raise Unavailable("the exchange's database is unavailable; retry shortly") from error
        except DBAPIError as error:
            if error.connection_invalidated:
                raise Unavailable("the exchange's database connection was lost; retry shortly") from error
            raise

    def lock(self, conn: Connection, name: str) -> None:
        """Serialises transactions on `name` until commit (PostgreSQL; SQLite writes are serial already)."""
        if self.postgresql:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())})

    def try_lock(self, conn: Connection, name: str) -> bool:
        if not self.postgresql:
            return True
        return bool(
            conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())}).scalar()
        )

    def notify(self, conn: Connection, payload: str) -> None:
        """Tells the other replicas, at commit, that something they may be waiting for happened."""
        if self.postgresql:
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": payload})

    def for_update(self, query: Any, *, skip_locked: bool = False) -> Any:
        return query.with_for_update(skip_locked=skip_locked) if self.postgresql else query

    def among(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        """`column IN values`: one array parameter on PostgreSQL, a parameter per value on SQLite."""
        if self.postgresql:
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))  # type: ignore[no-any-return]
        return column.in_(list(values))  # type: ignore[no-any-return]

    def chunks(self, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
        """Values in groups one statement can take: all at once as a PostgreSQL array, 500 on SQLite."""
        if self.postgresql:
            if values:
                yield values
            return
        yield from in_chunks(values)

    def copy_rows(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Bulk insert with PostgreSQL COPY inside the connection's transaction: the cheapest way in."""
        raw = conn.connection.driver_connection
        assert raw is not None
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def in_chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Keeps IN lists within what SQLite accepts as bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
