"""Something changed, wake the watchers: topics waited on in this process, fired by its own commits and others'.

A signal is only a hint to look again: watchers always re-read what they wait for, and wait with a
timeout, so a lost signal (a replica restarting, the database failing over) costs latency only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import psycopg

log = logging.getLogger("govmesh.signals")


class Signals:
    """Topics a waiter watches with an asyncio.Event; firing a topic sets every watcher's event."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._loop = loop

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
        """Wakes the watchers of `topics`; on the event loop's thread."""
        for topic in topics:
            for event in self._watchers.get(topic, ()):
                event.set()

    def fire_from_thread(self, *topics: str) -> None:
        """Wakes the watchers of `topics` from any thread (a commit made in a worker thread)."""
        assert self._loop is not None, "fire_from_thread needs the loop the watchers wait on"
        self._loop.call_soon_threadsafe(self.fire, *topics)


async def wait(event: asyncio.Event, timeout: float) -> bool:
    """Waits for the event at most `timeout` seconds; True when it fired."""
    if timeout <= 0:
        return event.is_set()
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def listen(signals: Signals, libpq_url: str, channel: str) -> None:
    """Relays PostgreSQL NOTIFY payloads on `channel` from every replica to this process's watchers, for good.

    The connection is rebuilt after any failure (a database restart included); meanwhile watchers
    fall back on their timeouts.
    """
    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(libpq_url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {channel}")
                delay = 0.5
                async for notification in conn.notifies():
                    signals.fire(notification.payload)
        except (psycopg.Error, OSError) as error:
            log.info("notification listener interrupted (%s); reconnecting", type(error).__name__)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
