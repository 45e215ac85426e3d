"""The outbox table an application declares beside its own, and the dispatcher that drains it.

The message and its outbox row are written in the caller's transaction, so a reminder is never
recorded without its message nor the message without its reminder. The dispatcher claims due rows
(a lease, so a dispatcher that dies gives its rows back when the lease passes), sends each with the
outbox id as the provider's deduplication key and marks it sent: at least once to the provider,
and never twice delivered, because the provider drops a key it has seen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Index, Integer, MetaData, String, Table, Text, and_, or_, select, update
from sqlalchemy.engine import Connection

from govmesh.apps.notifier.providers import Message, PermanentFailure, SmsProvider
from govmesh.runtime.database import SerialId, is_postgresql

log = logging.getLogger("govmesh.notifier")

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


def outbox_table(metadata: MetaData, name: str) -> Table:
    """An outbox on the application's own metadata, so its rows share the application's transactions."""
    return Table(
        name,
        metadata,
        Column("id", SerialId, primary_key=True, autoincrement=True),
        Column("reference", String(64), nullable=False),  # what the message is about, e.g. `reminders/12`
        Column("phone", String(20), nullable=False),
        Column("body", Text, nullable=False),
        Column("state", String(8), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", Float, nullable=False),
        Column("claimed_until", Float, nullable=False),
        Column("last_error", Text, nullable=False),
        Column("sent_at", Float, nullable=True),
        Index(f"ix_{name}_state_due", "state", "next_attempt_at"),
    )


def enqueue(connection: Connection, table: Table, reference: str, phone: str, body: str) -> int:
    """Adds a message in the caller's transaction; it is sent once that transaction commits."""
    result = connection.execute(
        table.insert().values(
            reference=reference,
            phone=phone,
            body=body,
            state=PENDING,
            attempts=0,
            next_attempt_at=0.0,  # due at once, whatever clock the dispatcher keeps
            claimed_until=0.0,
            last_error="",
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0
    lease_seconds: float = 30.0

    def delay(self, attempts: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1)))


class Dispatcher:
    """Claims due outbox rows, sends them through the provider, and records what happened."""

    def __init__(
        self,
        engine: Engine,
        table: Table,
        provider: SmsProvider,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.engine = engine
        self.table = table
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.clock = clock

    def claim(self, limit: int = 100) -> list[Message]:
        """Leases due rows: pending ones whose time has come and sending ones whose lease has passed."""
        t = self.table
        now = self.clock()
        due = or_(
            and_(t.c.state == PENDING, t.c.next_attempt_at <= now),
            and_(t.c.state == SENDING, t.c.claimed_until <= now),
        )
        with self.engine.begin() as connection:
            query = select(t.c.id, t.c.phone, t.c.body, t.c.attempts).where(due).order_by(t.c.id).limit(limit)
            if is_postgresql(self.engine):
                query = query.with_for_update(skip_locked=True)  # replicas claim disjoint rows
            rows = connection.execute(query).all()
            if not rows:
                return []
            connection.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]))
                .values(state=SENDING, claimed_until=now + self.policy.lease_seconds, attempts=t.c.attempts + 1)
            )
        return [Message(key=str(r.id), phone=r.phone, body=r.body, attempt=r.attempts + 1) for r in rows]

    async def send(self, message: Message) -> str:
        """Sends one claimed message and records the result: SENT, back to PENDING later, or DEAD."""
        t = self.table
        row = t.c.id == int(message.key)
        try:
            await self.provider.send(message)
        except PermanentFailure as error:
            self._finish(row, state=DEAD, last_error=str(error))
            return DEAD
        except Exception as error:  # any transient failure: retry with backoff, then give up
            if message.attempt >= self.policy.max_attempts:
                self._finish(row, state=DEAD, last_error=f"{type(error).__name__}: {error}")
                return DEAD
            self._finish(
                row,
                state=PENDING,
                next_attempt_at=self.clock() + self.policy.delay(message.attempt),
                last_error=f"{type(error).__name__}: {error}",
            )
            return PENDING
        self._finish(row, state=SENT, sent_at=self.clock(), last_error="")
        return SENT

    def _finish(self, row: object, **values: object) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(self.table).where(row).values(**values))  # type: ignore[arg-type]

    async def drain(self, limit: int = 100) -> int:
        """Sends everything due now; returns how many messages were claimed."""
        claimed = 0
        while True:
            messages = await asyncio.to_thread(self.claim, limit)
            if not messages:
                return claimed
            claimed += len(messages)
            for message in messages:
                await self.send(message)

    async def run(self, interval: float = 1.0) -> None:
        """Drains the outbox every `interval` seconds until cancelled."""
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("outbox dispatch failed; retrying")
            await asyncio.sleep(interval)
