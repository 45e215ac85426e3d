"""The exchange's hold on its database: the runtime's units of work, and the dialect differences its queries need."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from govmesh.runtime.database import transaction_lock, try_transaction_lock
from govmesh.runtime.unit_of_work import Database

NOTIFY_CHANNEL = "govmesh_exchange"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text_value: str) -> Any:
    return json.loads(text_value)


class Store(Database):
    """The exchange's database: units of work from the runtime, plus the dialect differences its queries need."""

    def __init__(self, engine: Engine):
        super().__init__(engine, service="exchange", notify_channel=NOTIFY_CHANNEL)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A unit of work's connection, for persistence that needs nothing else of it."""
        with self.unit_of_work() as work:
            yield work.conn

    def without_flush(self, conn: Connection) -> None:
        """Commits this transaction without waiting for its WAL flush (PostgreSQL): only for counts that may be
        lost in a crash without harm, so that their row locks are held for no flush's length."""
        if self.postgresql:
            conn.execute(text("SET LOCAL synchronous_commit = off"))

    def lock(self, conn: Connection, name: str) -> None:
        """Serialises transactions on `name` until commit (PostgreSQL; SQLite writes are serial already)."""
        transaction_lock(conn, name)

    def try_lock(self, conn: Connection, name: str) -> bool:
        return try_transaction_lock(conn, name)

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
        statement = f"COPY {table} ({names}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except conn.dialect.dbapi.IntegrityError as error:  # type: ignore[union-attr]
            # COPY runs on the driver, past SQLAlchemy: its constraint violations are raised the way
            # SQLAlchemy raises those of any other statement, so callers handle both paths alike.
            raise IntegrityError(statement, None, error) from error


def in_chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Keeps IN lists within what SQLite accepts as bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
