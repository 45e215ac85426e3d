"""A publish losing the race for an idempotency key hears IdempotencyKeyTaken, on both databases (COPY too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from govmesh.runtime.database import make_engine, migrate
from govmesh.services.exchange.domain.records import IdempotencyKeyTaken, Record
from govmesh.services.exchange.main import MIGRATIONS
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.store import Store

NOW = dt.datetime(2009, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS, "exchange_alembic_version")
    try:
        yield Store(engine)
    finally:
        engine.dispose()


def _record(entity: str) -> Record:
    return Record(
        subject_code="102.001",
        entity_key=entity,
        division_code="440100",
        event_time=NOW,
        values={},
        idempotency_key="key-1",
        subject_version="1.0",
        publisher="AIC",
        digest=f"digest-{entity}",
        publish_time=NOW,
    )


def test_a_key_committed_meanwhile_is_taken_and_nothing_of_the_losing_call_is_written(store: Store) -> None:
    log = RecordLog(store)
    with store.unit_of_work() as work:
        first = log.append(work.conn, [_record("E1")])
    # The loser looked before the winner committed, so it tries to write the same key.
    with pytest.raises(IdempotencyKeyTaken), store.unit_of_work() as work:
        log.append(work.conn, [_record("E2")])
    assert log.existing("AIC", ["key-1"])["key-1"].sequence == first[0]
    with store.read() as conn:
        assert log.head(conn, "102.001") == first[0]
