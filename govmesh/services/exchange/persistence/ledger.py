"""The ledger's tables: exchanges staged in their own transaction, chained later by one chainer at a time."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, delete, func, insert, or_, select

from govmesh.runtime.clock import as_utc
from govmesh.services.exchange.domain.ledger import (
    GENESIS_HASH,
    EntryKind,
    LedgerEntry,
    LedgerEvent,
    StatsDimension,
    chain,
)
from govmesh.services.exchange.persistence import tables as t
from govmesh.services.exchange.persistence.store import Store, dumps, loads

CHAIN_LOCK = "exchange-ledger-chain"
CHAIN_BATCH = 2000
DIGEST_KEY = "ledger-digest-key"


def stage(conn: Connection, exchanges: Iterable[LedgerEvent]) -> None:
    """Stages exchanges in the caller's transaction: they reach the ledger exactly when it commits."""
    rows = [
        {
            "kind": e.kind.value,
            "sender": e.sender,
            "receivers": dumps(list(e.receivers)),
            "subject": e.subject,
            "record_count": e.record_count,
            "payload_digest": e.payload_digest,
            "reference": e.reference,
            "trace_id": e.trace_id,
            "create_time": e.create_time,
            "department": e.department,
            "exchanged": e.exchanged,
            "payload_digest_version": e.payload_digest_version,
        }
        for e in exchanges
    ]
    if rows:
        conn.execute(insert(t.ledger_outbox), rows)


def _exchange(row: Row, day: str = "") -> LedgerEvent:  # type: ignore[type-arg]
    return LedgerEvent(
        kind=EntryKind(row.kind),
        sender=row.sender,
        receivers=tuple(loads(row.receivers)),
        subject=row.subject,
        record_count=row.record_count,
        payload_digest=row.payload_digest,
        reference=row.reference,
        trace_id=row.trace_id,
        create_time=as_utc(row.create_time),
        department=row.department,
        exchanged=row.exchanged,
        day=day,
        payload_digest_version=row.payload_digest_version,
    )


def _entry(row: Row) -> LedgerEntry:  # type: ignore[type-arg]
    return LedgerEntry(row.sequence, _exchange(row, row.day), row.previous_hash, row.entry_hash)


@dataclass(frozen=True)
class EntryFilter:
    department: str = ""
    visible_to: str = ""
    subject: str = ""
    kinds: tuple[EntryKind, ...] = ()
    trace_id: str = ""
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    start_sequence: int = 0


@dataclass(frozen=True)
class StatsFilter:
    department: str = ""
    subject: str = ""
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None


class LedgerStore:
    def __init__(self, store: Store):
        self.store = store

    def chain_pending(self, *, wait: bool = False) -> int:
        """Moves staged exchanges into the chain; returns how many. One chainer at a time across replicas.

        With `wait`, a chainer busy elsewhere is waited for (a reader that must see everything
        staged so far); without, this call gives way and returns 0.
        """
        with self.store.write() as conn:
            if wait:
                self.store.lock(conn, CHAIN_LOCK)
            elif not self.store.try_lock(conn, CHAIN_LOCK):
                return 0
            staged = list(conn.execute(select(t.ledger_outbox).order_by(t.ledger_outbox.c.id).limit(CHAIN_BATCH)))
            if not staged:
                return 0
            head = conn.execute(
                select(t.ledger.c.sequence, t.ledger.c.entry_hash).order_by(t.ledger.c.sequence.desc()).limit(1)
            ).first()
            head_sequence, head_hash = (head.sequence, head.entry_hash) if head else (0, GENESIS_HASH)
            entries = chain(head_sequence, head_hash, [_exchange(row) for row in staged])
            conn.execute(
                insert(t.ledger),
                [
                    {
                        "sequence": e.sequence,
                        "kind": e.exchange.kind.value,
                        "sender": e.exchange.sender,
                        "receivers": dumps(list(e.exchange.receivers)),
                        "subject": e.exchange.subject,
                        "record_count": e.exchange.record_count,
                        "payload_digest": e.exchange.payload_digest,
                        "reference": e.exchange.reference,
                        "trace_id": e.exchange.trace_id,
                        "create_time": e.exchange.create_time,
                        "department": e.exchange.department,
                        "exchanged": e.exchange.exchanged,
                        "day": e.exchange.day,
                        "payload_digest_version": e.exchange.payload_digest_version,
                        "previous_hash": e.previous_hash,
                        "entry_hash": e.entry_hash,
                    }
                    for e in entries
                ],
            )
            conn.execute(delete(t.ledger_outbox).where(t.ledger_outbox.c.id.in_([row.id for row in staged])))
            return len(entries)

    def digest_key(self) -> bytes:
        """The hub's ledger key: made once by the first replica to start, then read by every replica."""
        name = t.secrets.c.name
        with self.store.write() as conn:
            found = conn.execute(select(t.secrets.c.secret).where(name == DIGEST_KEY)).scalar()
            if found is None:
                self.store.lock(conn, DIGEST_KEY)
                found = conn.execute(select(t.secrets.c.secret).where(name == DIGEST_KEY)).scalar()
            if found is None:
                found = secrets.token_hex(32)
                conn.execute(insert(t.secrets).values(name=DIGEST_KEY, secret=found))
        return bytes.fromhex(found)

    def staged_count(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.ledger_outbox)).scalar_one())

    def head(self) -> tuple[int, str]:
        with self.store.read() as conn:
            row = conn.execute(
                select(t.ledger.c.sequence, t.ledger.c.entry_hash).order_by(t.ledger.c.sequence.desc()).limit(1)
            ).first()
        return (row.sequence, row.entry_hash) if row else (0, GENESIS_HASH)

    def entries(self, where: EntryFilter, limit: int) -> list[LedgerEntry]:
        query = select(t.ledger).where(t.ledger.c.sequence >= where.start_sequence)
        for department in (where.department, where.visible_to):
            if department:
                query = query.where(
                    or_(t.ledger.c.sender == department, t.ledger.c.receivers.contains(dumps(department)))
                )
        if where.subject:
            query = query.where(t.ledger.c.subject == where.subject)
        if where.kinds:
            query = query.where(t.ledger.c.kind.in_([k.value for k in where.kinds]))
        if where.trace_id:
            query = query.where(t.ledger.c.trace_id == where.trace_id)
        if where.start_time:
            query = query.where(t.ledger.c.create_time >= where.start_time)
        if where.end_time:
            query = query.where(t.ledger.c.create_time < where.end_time)
        with self.store.read() as conn:
            return [_entry(r) for r in conn.execute(query.order_by(t.ledger.c.sequence).limit(limit))]

    def walk(self, start_sequence: int, end_sequence: int, page: int = 5000) -> Iterator[LedgerEntry]:
        """Entries from `start_sequence` to `end_sequence` (0: the head) in order, a page at a time."""
        after = start_sequence - 1
        while True:
            query = select(t.ledger).where(t.ledger.c.sequence > after)
            if end_sequence:
                query = query.where(t.ledger.c.sequence <= end_sequence)
            with self.store.read() as conn:
                rows = list(conn.execute(query.order_by(t.ledger.c.sequence).limit(page)))
            for row in rows:
                yield _entry(row)
            if len(rows) < page:
                return
            after = rows[-1].sequence

    def hash_at(self, sequence: int) -> str | None:
        with self.store.read() as conn:
            value = conn.execute(select(t.ledger.c.entry_hash).where(t.ledger.c.sequence == sequence)).scalar()
        return str(value) if value is not None else None

    def stats(
        self, dimensions: Sequence[StatsDimension], where: StatsFilter
    ) -> list[tuple[tuple[str, ...], EntryKind, int, int, int]]:
        """(group key, kind, records, exchanged, entries) per group and kind."""
        columns = {
            StatsDimension.DEPARTMENT: t.ledger.c.department,
            StatsDimension.SUBJECT: t.ledger.c.subject,
            StatsDimension.DAY: t.ledger.c.day,
        }
        keys = [columns[d] for d in dimensions]
        query = select(
            *keys,
            t.ledger.c.kind,
            func.sum(t.ledger.c.record_count),
            func.sum(t.ledger.c.exchanged),
            func.count(),
        ).group_by(*keys, t.ledger.c.kind)
        if where.department:
            query = query.where(t.ledger.c.department == where.department)
        if where.subject:
            query = query.where(t.ledger.c.subject == where.subject)
        if where.start_time:
            query = query.where(t.ledger.c.create_time >= where.start_time)
        if where.end_time:
            query = query.where(t.ledger.c.create_time < where.end_time)
        with self.store.read() as conn:
            rows = list(conn.execute(query))
        width = len(keys)
        return [
            (
                tuple(str(v) for v in row[:width]),
                EntryKind(row[width]),
                int(row[width + 1] or 0),
                int(row[width + 2] or 0),
                int(row[width + 3]),
            )
            for row in rows
        ]
