"""Wake-ups for waiting streams: fired by this process's commits and, on PostgreSQL, by other replicas' NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import psycopg

from govmesh.services.exchange.persistence.store import NOTIFY_CHANNEL

log = logging.getLogger("govmesh.exchange.signals")


def records_topic(subject_code: str) -> str:
    return f"records:{subject_code}"


def subscription_topic(subscription_id: str) -> str:
    return f"subscription:{subscription_id}"


def inbox_topic(department: str) -> str:
    return f"inbox:{department}"


def request_topic(request_id: str) -> str:
    return f"request:{request_id}"


class Signals:
    """Topics a waiter watches with an asyncio.Event; firing a topic sets every watcher's event.

    A signal is only a hint to look again: waiters always re-read the database, and wait with a
    timeout, so a lost signal (a replica restarting, the database failing over) costs latency only.
    """

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, *topics: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        for topic in topics:
            self._watchers.setdefault(topic, set()).add(event)
        try:
            yield event
        finally:
            for topic in topics:
                watchers = self._watchers.get(topic)
                if watchers is not None:
                    watchers.discard(event)
                    if not watchers:
                        del self._watchers[topic]

    def fire(self, *topics: str) -> None:
        for topic in topics:
            for event in self._watchers.get(topic, ()):
                event.set()


async def wait(event: asyncio.Event, timeout: float) -> bool:
    """Waits for the event at most `timeout` seconds; True when it fired."""
    if timeout <= 0:
        return event.is_set()
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def listen(signals: Signals, libpq_url: str) -> None:
    """Relays PostgreSQL NOTIFY payloads from every replica to this process's waiters, for good.

    The connection is rebuilt after any failure (a database restart included); meanwhile waiters
    fall back on their timeouts.
    """
    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(libpq_url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                delay = 0.5
                async for notification in conn.notifies():
                    signals.fire(notification.payload)
        except (psycopg.Error, OSError) as error:
            log.info("notification listener interrupted (%s); reconnecting", type(error).__name__)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
