"""The notifier's outbox against a fake SMS gateway on loopback: retries with backoff, dead letters,
and a reminder sent exactly once across a dispatcher that dies between sending and recording."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from govmesh.apps.notifier.outbox import DEAD, PENDING, SENDING, SENT, Dispatcher, RetryPolicy, enqueue
from govmesh.apps.notifier.providers import HttpProvider, Message
from govmesh.apps.warnings.main import open_database
from govmesh.apps.warnings.persistence.tables import outbox
from govmesh.runtime.config import Settings
from tests.integration.apps_support import FakeSms


class Time:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_database(Settings(), database_url)
    yield engine
    engine.dispose()


def queue(engine: Engine, *phones: str) -> list[int]:
    with engine.begin() as connection:
        return [enqueue(connection, outbox, f"reminders/{n}", phone, "温馨提示") for n, phone in enumerate(phones)]


def states(engine: Engine) -> dict[int, tuple[str, int]]:
    with engine.connect() as connection:
        return {
            r.id: (r.state, r.attempts)
            for r in connection.execute(select(outbox.c.id, outbox.c.state, outbox.c.attempts))
        }


async def test_a_failing_gateway_is_retried_with_growing_backoff_until_it_answers(engine: Engine) -> None:
    (key,) = queue(engine, "13800000001")
    fake, clock = FakeSms(failures=2), Time()
    with fake.running() as url:
        dispatcher = Dispatcher(engine, outbox, HttpProvider(url), RetryPolicy(backoff_seconds=10), clock)
        assert await dispatcher.drain() == 1
        assert states(engine)[key] == (PENDING, 1)
        clock.now += 9.9
        assert await dispatcher.drain() == 0  # not due yet: 10 s after the first failure
        clock.now += 0.2
        assert await dispatcher.drain() == 1
        assert states(engine)[key] == (PENDING, 2)
        clock.now += 19.9
        assert await dispatcher.drain() == 0  # 20 s after the second
        clock.now += 0.2
        assert await dispatcher.drain() == 1
    assert states(engine)[key] == (SENT, 3)
    assert [p["header_key"] for p in fake.posts] == [str(key)] * 3
    assert list(fake.delivered) == [str(key)]


async def test_a_message_moves_to_the_dead_letters_after_its_last_attempt_or_a_permanent_refusal(
    engine: Engine,
) -> None:
    transient, refused = queue(engine, "13800000001", "not-a-phone")
    fake, clock = FakeSms(failures=100), Time()
    with fake.running() as url:
        dispatcher = Dispatcher(
            engine, outbox, HttpProvider(url), RetryPolicy(max_attempts=3, backoff_seconds=1), clock
        )
        for _ in range(5):
            await dispatcher.drain()
            clock.now += 60
    assert states(engine)[transient] == (DEAD, 3)
    refusing = FakeSms(failures=100, status=400)
    queue(engine, "13800000009")
    with refusing.running() as url:
        dispatcher = Dispatcher(engine, outbox, HttpProvider(url), RetryPolicy(max_attempts=3), clock)
        await dispatcher.drain()
    assert [s for s, _ in states(engine).values()].count(DEAD) == 3  # the 400 went dead on its first attempt
    assert refused in states(engine)


async def test_a_reminder_is_delivered_exactly_once_when_the_dispatcher_dies_after_sending(engine: Engine) -> None:
    (key,) = queue(engine, "13800000001")
    fake, clock = FakeSms(), Time()
    with fake.running() as url:
        provider = HttpProvider(url)
        crashing = Dispatcher(engine, outbox, provider, RetryPolicy(lease_seconds=30), clock)
        (claimed,) = crashing.claim()
        await provider.send(claimed)  # sent to the provider; the process dies before recording it
        assert states(engine)[key] == (SENDING, 1)

        survivor = Dispatcher(engine, outbox, provider, RetryPolicy(lease_seconds=30), clock)
        assert await survivor.drain() == 0  # the dead dispatcher's lease still holds
        clock.now += 31
        assert await survivor.drain() == 1  # the lease passed: sent again, with the same key
        assert await survivor.drain() == 0
    assert states(engine)[key] == (SENT, 2)
    assert [p["key"] for p in fake.posts] == [str(key), str(key)]
    assert len(fake.delivered) == 1  # the provider deduplicated: one SMS reached the phone


async def test_the_http_provider_sends_the_outbox_id_as_the_deduplication_key() -> None:
    fake = FakeSms()
    with fake.running() as url:
        await HttpProvider(url).send(Message(key="42", phone="13800000001", body="温馨提示"))
    assert fake.posts == [{"key": "42", "phone": "13800000001", "body": "温馨提示", "header_key": "42"}]
