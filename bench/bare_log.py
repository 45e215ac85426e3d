"""The bare per-record design the exchange is measured against: a log row per record (COPY), a cursor per consumer.

One publisher COPYs the benchmark's records into a log table in batches of 500, committing each; three
consumers each read the log from their own cursor in batches of 500 (`position > cursor ORDER BY
position LIMIT 500`), advance the cursor and commit, until each has read every record. No catalog,
no filtering, no ledger: the speed of the storage with the least a durable fan-out must do.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import psycopg

from bench import postgres
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

BATCH = 500
# A consumer that caught up looks again this soon: short beside the time a batch of 500 takes to arrive.
POLL_SECONDS = 0.005
LOG_DDL = """
CREATE TABLE bare_log (
    position bigserial PRIMARY KEY,
    subject text NOT NULL,
    entity_key text NOT NULL,
    division_code text NOT NULL,
    event_time timestamptz NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    "values" jsonb NOT NULL
);
CREATE TABLE bare_cursors (consumer text PRIMARY KEY, position bigint NOT NULL);
"""
COLUMNS = '(subject, entity_key, division_code, event_time, idempotency_key, "values")'


@dataclass(frozen=True)
class BareRun:
    records: int
    consumers: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def _row(record: pb.Record) -> tuple[object, ...]:
    """What the bare publisher stores of a record: the envelope and its values as JSON."""
    values = {
        code: [value.WhichOneof("kind"), getattr(value, value.WhichOneof("kind") or "")]
        for code, value in record.values.items()
    }
    return (
        record.subject,
        record.entity_key,
        record.division_code,
        record.event_time.ToDatetime(),
        record.idempotency_key,
        json.dumps(values, ensure_ascii=False),
    )


def _publish(url: str, batches: list[bytes], ready: Barrier, times: Queue) -> None:  # type: ignore[type-arg]
    with psycopg.connect(url) as conn:
        decoded = [pb.PublishRequest.FromString(b) for b in batches]
        ready.wait()
        times.put(("start", time.time()))
        for batch in decoded:
            with conn.cursor() as cursor, cursor.copy(f"COPY bare_log {COLUMNS} FROM STDIN") as copy:
                for record in batch.records:
                    copy.write_row(_row(record))
            conn.commit()


def _consume(url: str, name: str, expected: int, ready: Barrier, times: Queue) -> None:  # type: ignore[type-arg]
    """Reads from its cursor until `expected` records came; polls briefly when it has caught up."""
    seen = 0
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO bare_cursors VALUES (%s, 0)", (name,))
        conn.commit()
        ready.wait()
        while seen < expected:
            rows = conn.execute(
                'SELECT l.position, l.entity_key, l.event_time, l."values" FROM bare_log l, bare_cursors c '
                "WHERE c.consumer = %s AND l.position > c.position ORDER BY l.position LIMIT %s",
                (name, BATCH),
            ).fetchall()
            if rows:
                conn.execute("UPDATE bare_cursors SET position = %s WHERE consumer = %s", (rows[-1][0], name))
                conn.commit()
                seen += len(rows)
                continue
            conn.commit()
            time.sleep(POLL_SECONDS)
    times.put(("end", time.time()))


def measure(server_url: str, batches: list[pb.PublishRequest], consumers: int = 3) -> BareRun:
    """One fan-out of `batches` to `consumers` on a fresh database; from the first COPY to the last read.

    The publisher and each consumer are processes of their own, as the exchange's parts are.
    """
    count = sum(len(b.records) for b in batches)
    context = multiprocessing.get_context("spawn")
    with postgres.fresh_database(server_url, "govmesh_bench_bare") as sqlalchemy_url:
        url = postgres.libpq_url(sqlalchemy_url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(LOG_DDL)
        ready = context.Barrier(consumers + 1)
        times = context.Queue()
        roles = [context.Process(target=_publish, args=(url, [b.SerializeToString() for b in batches], ready, times))]
        roles += [
            context.Process(target=_consume, args=(url, f"consumer-{n}", count, ready, times)) for n in range(consumers)
        ]
        for role in roles:
            role.start()
        marks = [times.get(timeout=600) for _ in roles]
        for role in roles:
            role.join()
    if any(role.exitcode for role in roles):
        raise RuntimeError(f"a bare design process failed: {[role.exitcode for role in roles]}")
    began = min(t for kind, t in marks if kind == "start")
    return BareRun(count, consumers, max(t for kind, t in marks if kind == "end") - began)
