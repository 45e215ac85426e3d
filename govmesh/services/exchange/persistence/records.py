"""The record log: appended once per publish, read by every subscription from its own cursor."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, delete, func, insert, select, text, union_all
from sqlalchemy.exc import IntegrityError

from govmesh.runtime.clock import as_utc, as_utc_or_none
from govmesh.services.exchange.domain.directory import Holding, HoldingSource
from govmesh.services.exchange.domain.records import IdempotencyKeyTaken, Record, values_from_json, values_to_json
from govmesh.services.exchange.persistence import tables as t
from govmesh.services.exchange.persistence.store import Store, in_chunks


def record_id(sequence: int) -> str:
    return f"rec-{sequence}"


def to_record(row: Row) -> Record:  # type: ignore[type-arg]
    return Record(
        subject_code=row.subject,
        entity_key=row.entity_key,
        division_code=row.division_code,
        event_time=as_utc(row.event_time),
        values=values_from_json(row.values),
        idempotency_key=row.idempotency_key,
        record_id=record_id(row.seq),
        subject_version=row.subject_version,
        publisher=row.publisher,
        digest=row.digest,
        publish_time=as_utc(row.publish_time),
        trace_id=row.trace_id,
        sequence=row.seq,
    )


_NEXT_POSITIONS = text("SELECT nextval(pg_get_serial_sequence('exchange_records', 'seq')) FROM generate_series(1, :n)")
_NEXT_POSITIONS = text("SELECT nextval(pg_get_serial_sequence('exchange_records', 'seq')) FROM generate_series(1, :n)")
_RECORD_COLUMNS = (
    "subject",
    "subject_version",
    "entity_key",
    "division_code",
    "event_time",
    "values",
    "publisher",
    "idempotency_key",
    "digest",
    "publish_time",
    "trace_id",
)


@dataclass(frozen=True)
class Existing:
    """What an idempotency key was first used for."""

    sequence: int
    digest: str
    subject_version: str


@contextlib.contextmanager
def _taken_as_domain_error() -> Iterator[None]:
    try:
        yield
    except IntegrityError as error:
        raise IdempotencyKeyTaken(str(error.orig)) from error


class RecordLog:
    def __init__(self, store: Store):
        self.store = store

    def existing(self, publisher: str, keys: Iterable[str]) -> dict[str, Existing]:
        """The records already committed under these idempotency keys, by key (one query a batch)."""
        found: dict[str, Existing] = {}
        wanted = list(dict.fromkeys(keys))
        r = t.records.c
        with self.store.read() as conn:
            for chunk in self.store.chunks(wanted):
                query = select(r.idempotency_key, r.seq, r.digest, r.subject_version).where(
                    r.publisher == publisher, self.store.among(r.idempotency_key, chunk)
                )
                for row in conn.execute(query):
                    found[row.idempotency_key] = Existing(row.seq, row.digest, row.subject_version)
        return found

    def append(self, conn: Connection, records: Sequence[Record]) -> list[int]:
        """Appends records in the caller's unit of work; returns their log positions.

        Publishers of one subject take turns (an advisory lock until commit), so log positions of a
        subject become visible in order and a cursor that passed a position never misses one below it.
        """
        if not records:
            return []
        with _taken_as_domain_error():
            for subject in sorted({r.subject_code for r in records}):
                self.store.lock(conn, f"exchange-publish-{subject}")
            rows = [
                (
                    r.subject_code,
                    r.subject_version,
                    r.entity_key,
                    r.division_code,
                    r.event_time,
                    values_to_json(r.values),
                    r.publisher,
                    r.idempotency_key,
                    r.digest,
                    r.publish_time,
                    r.trace_id,
                )
                for r in records
            ]
            if self.store.postgresql:
                # Positions first, then COPY: the bulk path PostgreSQL is fastest at.
                sequences = sorted(conn.execute(_NEXT_POSITIONS, {"n": len(rows)}).scalars())
                self.store.copy_rows(
                    conn,
                    "exchange_records",
                    ("seq", *_RECORD_COLUMNS),
                    ((s, *row) for s, row in zip(sequences, rows, strict=True)),
                )
            else:
                result = conn.execute(
                    insert(t.records).returning(t.records.c.seq, sort_by_parameter_order=True),
                    [dict(zip(_RECORD_COLUMNS, row, strict=True)) for row in rows],
                )
                sequences = [row[0] for row in result]
        return sequences

    def positions_after(self, conn: Connection, subject: str, cursor: int, limit: int) -> list[int]:
        r = t.records.c
        query = select(r.seq).where(r.subject == subject, r.seq > cursor).order_by(r.seq).limit(limit)
        return list(conn.execute(query).scalars())

    def after(self, conn: Connection, subject: str, cursor: int, limit: int) -> list[Record]:
        r = t.records.c
        query = select(t.records).where(r.subject == subject, r.seq > cursor).order_by(r.seq).limit(limit)
        return [to_record(row) for row in conn.execute(query)]

    def at(self, conn: Connection, sequences: Sequence[int]) -> dict[int, Record]:
        found: dict[int, Record] = {}
        for chunk in self.store.chunks(list(sequences)):
            for row in conn.execute(select(t.records).where(self.store.among(t.records.c.seq, chunk))):
                found[row.seq] = to_record(row)
        return found

    def head(self, conn: Connection, subject: str) -> int:
        r = t.records.c
        return int(conn.execute(select(func.coalesce(func.max(r.seq), 0)).where(r.subject == subject)).scalar_one())

    def position_before(self, conn: Connection, subject: str, moment: dt.datetime) -> int:
        """The last log position of `subject` published before `moment`, by binary search over the index.

        Publish times grow with log positions within a subject, so the search reads O(log n) index
        entries instead of scanning the subject's history.
        """
        r = t.records.c
        low = int(conn.execute(select(func.coalesce(func.min(r.seq), 1)).where(r.subject == subject)).scalar_one())
        high = self.head(conn, subject)
        answer = low - 1
        while low <= high:
            middle = (low + high) // 2
            row = conn.execute(
                select(r.seq, r.publish_time).where(r.subject == subject, r.seq >= middle).order_by(r.seq).limit(1)
            ).first()
            if row is None:
                break
            if as_utc(row.publish_time) < moment:
                answer = row.seq
                low = row.seq + 1
            else:
                high = middle - 1
        return answer

    def prune(self, subject: str, published_before: dt.datetime, limit: int = 5000) -> int:
        """Removes up to `limit` records of `subject` published before the moment and acknowledged by every
        subscription (at or before its cursor, and no delivery of it outstanding, waiting or dead).

        The ledger is not touched: its entries keep each exchange's payload digest, so it still verifies.
        """
        r, d = t.records.c, t.deliveries.c
        with self.store.write() as conn:
            # One pruner per subject across replicas; the others find nothing left to do.
            if not self.store.try_lock(conn, f"exchange-retention:{subject}"):
                return 0
            upto = self.position_before(conn, subject, published_before)
            slowest = conn.execute(
                select(func.min(t.subscriptions.c.cursor)).where(t.subscriptions.c.subject == subject)
            ).scalar()
            if slowest is not None:
                upto = min(upto, int(slowest))
            if upto <= 0:
                return 0
            outstanding = select(d.record_seq).where(d.record_seq == r.seq).exists()
            doomed = (
                select(r.seq)
                .where(r.subject == subject, r.seq <= upto, ~outstanding)
                .order_by(r.seq)
                .limit(limit)
                .scalar_subquery()
            )
            return int(conn.execute(delete(t.records).where(r.seq.in_(doomed))).rowcount or 0)

    def count_after(self, conn: Connection, subject: str, cursor: int) -> int:
        r = t.records.c
        return int(
            conn.execute(
                select(func.count()).select_from(t.records).where(r.subject == subject, r.seq > cursor)
            ).scalar_one()
        )

    def publish_time_of(self, conn: Connection, sequence: int) -> dt.datetime | None:
        return as_utc_or_none(
            conn.execute(select(t.records.c.publish_time).where(t.records.c.seq == sequence)).scalar()
        )

    # -- the reference directory -----------------------------------------------------------------

    def holdings(self, entity_key: str) -> list[Holding]:
        r, h = t.records.c, t.holdings.c
        published = (
            select(r.publisher, r.subject, func.max(r.publish_time))
            .where(r.entity_key == entity_key)
            .group_by(r.publisher, r.subject)
        )
        registered = select(h.department, h.subject, h.update_time).where(h.entity_key == entity_key)
        with self.store.read() as conn:
            found = [
                Holding(row[0], row[1], HoldingSource.PUBLISHED, as_utc_or_none(row[2]))
                for row in conn.execute(published)
            ]
            found += [
                Holding(row[0], row[1], HoldingSource.REGISTERED, as_utc_or_none(row[2]))
                for row in conn.execute(registered)
            ]
        return found

    def holders(self, entity_keys: Sequence[str]) -> list[tuple[str, str, str]]:
        """(entity key, department, subject) for every holding of the entities."""
        r, h = t.records.c, t.holdings.c
        found: set[tuple[str, str, str]] = set()
        with self.store.read() as conn:
            for chunk in in_chunks(list(entity_keys)):
                query = union_all(
                    select(r.entity_key, r.publisher, r.subject).where(r.entity_key.in_(chunk)).distinct(),
                    select(h.entity_key, h.department, h.subject).where(h.entity_key.in_(chunk)),
                )
                found.update((row[0], row[1], row[2]) for row in conn.execute(query))
        return sorted(found)

    def register(self, department: str, subject: str, entity_keys: Sequence[str], now: dt.datetime) -> int:
        h = t.holdings.c
        keys = list(dict.fromkeys(entity_keys))
        with self.store.write() as conn:
            known: set[str] = set()
            for chunk in in_chunks(keys):
                known.update(
                    conn.execute(
                        select(h.entity_key).where(
                            h.department == department, h.subject == subject, h.entity_key.in_(chunk)
                        )
                    ).scalars()
                )
            fresh = [k for k in keys if k not in known]
            if fresh:
                conn.execute(
                    insert(t.holdings),
                    [
                        {"entity_key": k, "department": department, "subject": subject, "update_time": now}
                        for k in fresh
                    ],
                )
        return len(fresh)

    def unregister(self, department: str, subject: str, entity_keys: Sequence[str]) -> int:
        h = t.holdings.c
        removed = 0
        with self.store.write() as conn:
            for chunk in in_chunks(list(dict.fromkeys(entity_keys))):
                result = conn.execute(
                    delete(t.holdings).where(h.department == department, h.subject == subject, h.entity_key.in_(chunk))
                )
                removed += result.rowcount
        return removed
