"""The unit of work: one transaction a use case opens, writes in and commits, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from govmesh.runtime.database import is_postgresql, transaction_lock, try_transaction_lock
from govmesh.runtime.errors import Unavailable


class UnitOfWork:
    """One open transaction: what a use case writes in it becomes visible together, at commit."""

    def __init__(self, conn: Connection, notify_channel: str):
        self.conn = conn
        self._channel = notify_channel

    def lock(self, name: str) -> None:
        """Serialises units of work on `name` until commit (across replicas on PostgreSQL)."""
        transaction_lock(self.conn, name)

    def try_lock(self, name: str) -> bool:
        return try_transaction_lock(self.conn, name)

    def notify(self, *payloads: str) -> None:
        """Tells the other replicas, at commit, that something they may be waiting for happened."""
        if self._channel and self.conn.dialect.name == "postgresql":
            for payload in payloads:
                self.conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": self._channel, "p": payload})


class Database:
    """A service's engine, used the same way on SQLite and PostgreSQL; outages surface as UNAVAILABLE.

    On SQLite every write of this process goes through one lock: pysqlite starts a transaction only
    at the first write, so a read-then-write sequence is made atomic by holding the lock instead.
    On PostgreSQL row locks and transaction advisory locks do that work, across replicas too.
    """

    def __init__(self, engine: Engine, *, service: str, notify_channel: str = ""):
        self.engine = engine
        self.postgresql = is_postgresql(engine)
        self._service = service
        self._channel = notify_channel
        self._sqlite_writes = threading.RLock()

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A transaction that may write: committed when the block ends, rolled back if it raises."""
        with self._unavailable_on_outage():
            if self.postgresql:
                with self.engine.begin() as conn:
                    yield UnitOfWork(conn, self._channel)
            else:
                with self._sqlite_writes, self.engine.begin() as conn:
                    yield UnitOfWork(conn, self._channel)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self._unavailable_on_outage(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _unavailable_on_outage(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            raise Unavailable(f"the {self._service}'s database is unavailable; retry shortly") from error
        except DBAPIError as error:
            if error.connection_invalidated:
                raise Unavailable(f"the {self._service}'s database connection was lost; retry shortly") from error
            raise
