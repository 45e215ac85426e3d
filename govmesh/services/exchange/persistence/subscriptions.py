"""Subscriptions, their outstanding deliveries (acknowledged ones are deleted) and who is streaming now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from govmesh.runtime.clock import as_utc_or_none
from govmesh.runtime.errors import AlreadyExists, FieldViolation, InvalidArgument
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.domain.records import Record
from govmesh.services.exchange.domain.subscriptions import (
    ConsumerLag,
    DeadLetterReason,
    DeliveryState,
    RowFilter,
    Subscription,
    next_attempt_fate,
)
from govmesh.services.exchange.persistence import tables as t
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.store import Store, dumps, in_chunks, loads

_OUTSTANDING = (DeliveryState.IN_FLIGHT.value, DeliveryState.WAITING.value)
_DELIVERY_COLUMNS = (
    "subscription_key",
    "record_seq",
    "attempt",
    "state",
    "visible_at",
    "stream_id",
    "first_deliver_time",
    "deliver_time",
    "message",
)


def _subscription(row: Row) -> Subscription:  # type: ignore[type-arg]
    row_filter = loads(row.row_filter)
    return Subscription(
        id=row.id,
        subject_code=row.subject,
        subscriber=row.subscriber,
        items=tuple(loads(row.items)),
        row_filter=RowFilter(tuple(row_filter["division_codes"]), frozenset(row_filter["entity_keys"])),
        start_time=as_utc_or_none(row.start_time),
        ack_deadline=dt.timedelta(milliseconds=row.ack_deadline_ms),
        max_attempts=row.max_attempts,
        description=row.description,
        create_time=as_utc_or_none(row.create_time),
        key=row.key,
        cursor=row.cursor,
    )


@dataclass(frozen=True)
class Redelivery:
    sequence: int
    attempt: int
    first_deliver_time: dt.datetime | None


@dataclass(frozen=True)
class DeliveryPlan:
    """What the use case decided for the records a claim found: which new ones to send, which to drop."""

    send_fresh: Sequence[int] = ()
    drop: Sequence[int] = ()


@dataclass
class Claim:
    """What one dispatch took for a stream: redeliveries, new records, and deliveries that died."""

    redelivered: list[tuple[Redelivery, Record]] = field(default_factory=list)
    fresh: list[Record] = field(default_factory=list)
    sent_fresh: set[int] = field(default_factory=set)
    dead: list[Redelivery] = field(default_factory=list)
    cursor_moved: bool = False


@dataclass(frozen=True)
class DeadLetterRow:
    sequence: int
    attempts: int
    reason: DeadLetterReason
    message: str
    first_deliver_time: dt.datetime | None
    dead_letter_time: dt.datetime | None


@dataclass(frozen=True)
class AckOutcome:
    acknowledged: list[int]
    already: int
    nacked: list[int]
    rejected: list[int]


class SubscriptionStore:
    def __init__(self, store: Store, log: RecordLog, cache: RecordCache):
        self.store = store
        self.log = log
        self.cache = cache

    def _records(self, conn: Connection, sequences: Sequence[int]) -> dict[int, Record]:
        """Records by position: from the cache, the rest from the log (and into the cache)."""
        found: dict[int, Record] = {}
        missing = []
        for sequence in sequences:
            record = self.cache.get(sequence)
            if record is None:
                missing.append(sequence)
            else:
                found[sequence] = record
        if missing:
            read = self.log.at(conn, missing)
            self.cache.put(read.values())
            found.update(read)
        return found

    # -- subscriptions -----------------------------------------------------------------------

    def create(self, subscription: Subscription, now: dt.datetime) -> Subscription:
        try:
            with self.store.write() as conn:
                if subscription.start_time is not None and subscription.start_time < now:
                    cursor = self.log.position_before(conn, subscription.subject_code, subscription.start_time)
                else:
                    cursor = self.log.head(conn, subscription.subject_code)
                conn.execute(
                    insert(t.subscriptions).values(
                        id=subscription.id,
                        subject=subscription.subject_code,
                        subscriber=subscription.subscriber,
                        items=dumps(list(subscription.items)),
                        row_filter=dumps(
                            {
                                "division_codes": list(subscription.row_filter.division_codes),
                                "entity_keys": sorted(subscription.row_filter.entity_keys),
                            }
                        ),
                        start_time=subscription.start_time,
                        ack_deadline_ms=int(subscription.ack_deadline.total_seconds() * 1000),
                        max_attempts=subscription.max_attempts,
                        description=subscription.description,
                        create_time=now,
                        cursor=cursor,
                        acknowledged_count=0,
                    )
                )
        except IntegrityError as error:
            raise AlreadyExists("subscription", subscription.name) from error
        found = self.get(subscription.id)
        assert found is not None
        return found

    def get(self, subscription_id: str) -> Subscription | None:
        with self.store.read() as conn:
            row = conn.execute(select(t.subscriptions).where(t.subscriptions.c.id == subscription_id)).first()
        return None if row is None else _subscription(row)

    def page(self, *, subscriber: str, subject: str, offset: int, limit: int) -> list[Subscription]:
        s = t.subscriptions.c
        query = select(t.subscriptions).order_by(s.key).offset(offset).limit(limit)
        if subscriber:
            query = query.where(s.subscriber == subscriber)
        if subject:
            query = query.where(s.subject == subject)
        with self.store.read() as conn:
            return [_subscription(r) for r in conn.execute(query)]

    def subscribers_of(self, conn: Connection, subject: str) -> list[str]:
        s = t.subscriptions.c
        return sorted(set(conn.execute(select(s.subscriber).where(s.subject == subject)).scalars()))

    def all_of_subject(self, subject: str) -> list[str]:
        with self.store.read() as conn:
            return self.subscribers_of(conn, subject)

    def delete(self, subscription: Subscription) -> None:
        with self.store.write() as conn:
            conn.execute(delete(t.deliveries).where(t.deliveries.c.subscription_key == subscription.key))
            conn.execute(delete(t.subscriptions).where(t.subscriptions.c.key == subscription.key))

    def advance(self, subscription: Subscription) -> int:
        """Moves a suspended subscription's cursor to the head: what was published meanwhile is not owed later."""
        with self.store.write() as conn:
            head = self.log.head(conn, subscription.subject_code)
            conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.key == subscription.key, t.subscriptions.c.cursor < head)
                .values(cursor=head)
            )
        return head

    # -- dispatch ----------------------------------------------------------------------------

    def take(
        self,
        conn: Connection,
        subscription: Subscription,
        capacity: int,
        now: dt.datetime,
        *,
        orphans_after: int | None = None,
    ) -> Claim:
        """Takes what a stream may send now, in the caller's unit of work (rows stay locked until it commits).

        First deliveries whose time came (ack deadline passed, retry delay over; with
        `orphans_after`, also those sent after that position on streams that are gone), then new
        records after the cursor. Concurrent streams skip each other's locked rows; only one of
        them reads new records at a time.
        """
        claim = Claim()
        if capacity <= 0:
            return claim
        d = t.deliveries.c
        due = and_(d.state.in_(_OUTSTANDING), d.visible_at <= now)
        if orphans_after is not None:
            live = select(t.presence.c.stream_id).where(t.presence.c.expires_at > now)
            orphaned = and_(
                d.state == DeliveryState.IN_FLIGHT.value, d.record_seq > orphans_after, d.stream_id.not_in(live)
            )
            due = or_(due, orphaned)
        query = (
            select(d.record_seq, d.attempt, d.first_deliver_time)
            .where(d.subscription_key == subscription.key, due)
            .order_by(d.visible_at, d.record_seq)
            .limit(capacity)
        )
        taken = [
            Redelivery(r.record_seq, r.attempt, as_utc_or_none(r.first_deliver_time))
            for r in conn.execute(self.store.for_update(query, skip_locked=True))
        ]
        again = [r for r in taken if next_attempt_fate(r.attempt, subscription.max_attempts) is not DeliveryState.DEAD]
        claim.dead = [r for r in taken if r not in again]
        records = self._records(conn, [r.sequence for r in again]) if again else {}
        claim.redelivered = [(r, records[r.sequence]) for r in again if r.sequence in records]
        room = capacity - len(again)
        # One stream at a time reads new records for a subscription; the others skip ahead
        # rather than wait. An advisory lock, not the subscription's row, so that
        # acknowledgements updating the row's counters never hold dispatch up.
        if room > 0 and self.store.try_lock(conn, f"exchange-dispatch-{subscription.key}"):
            cursor = conn.execute(
                select(t.subscriptions.c.cursor).where(t.subscriptions.c.key == subscription.key)
            ).scalar()
            if cursor is not None:
                positions = self.log.positions_after(conn, subscription.subject_code, cursor, room)
                fresh = self._records(conn, positions)
                claim.fresh = [fresh[p] for p in positions]
        return claim

    def record_claim(
        self,
        conn: Connection,
        subscription: Subscription,
        stream_id: str,
        now: dt.datetime,
        claim: Claim,
        plan: DeliveryPlan,
    ) -> None:
        """Records what the use case decided of a claim: the deliveries sent, those dropped, the dead ones."""
        dropped = set(plan.drop)
        claim.redelivered = [(r, rec) for r, rec in claim.redelivered if r.sequence not in dropped]
        claim.sent_fresh = set(plan.send_fresh)
        self._record_claim(conn, subscription, stream_id, now, now + subscription.ack_deadline, claim, dropped)

    def _record_claim(
        self,
        conn: Connection,
        subscription: Subscription,
        stream_id: str,
        now: dt.datetime,
        deadline: dt.datetime,
        claim: Claim,
        dropped: set[int],
    ) -> None:
        d = t.deliveries.c
        mine = d.subscription_key == subscription.key
        for chunk in self.store.chunks([r.sequence for r in claim.dead]):
            conn.execute(
                update(t.deliveries)
                .where(mine, self.store.among(d.record_seq, chunk))
                .values(
                    state=DeliveryState.DEAD.value,
                    dead_reason=DeadLetterReason.MAX_ATTEMPTS_EXCEEDED.value,
                    dead_time=now,
                )
            )
        for chunk in self.store.chunks(sorted(dropped)):
            conn.execute(delete(t.deliveries).where(mine, self.store.among(d.record_seq, chunk)))
        for chunk in self.store.chunks([r.sequence for r, _ in claim.redelivered]):
            conn.execute(
                update(t.deliveries)
                .where(mine, self.store.among(d.record_seq, chunk))
                .values(
                    attempt=d.attempt + 1,
                    state=DeliveryState.IN_FLIGHT.value,
                    visible_at=deadline,
                    stream_id=stream_id,
                    deliver_time=now,
                    first_deliver_time=func.coalesce(d.first_deliver_time, now),
                )
            )
        if claim.sent_fresh:
            rows = [
                (subscription.key, seq, 1, DeliveryState.IN_FLIGHT.value, deadline, stream_id, now, now, "")
                for seq in sorted(claim.sent_fresh)
            ]
            if self.store.postgresql:
                self.store.copy_rows(conn, "exchange_deliveries", _DELIVERY_COLUMNS, rows)
            else:
                conn.execute(insert(t.deliveries), [dict(zip(_DELIVERY_COLUMNS, row, strict=True)) for row in rows])
        if claim.fresh:
            conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.key == subscription.key)
                .values(cursor=claim.fresh[-1].sequence)
            )
            claim.cursor_moved = True

    def in_flight_of(self, subscription: Subscription, stream_id: str) -> set[int]:
        d = t.deliveries.c
        query = select(d.record_seq).where(
            d.subscription_key == subscription.key, d.state == DeliveryState.IN_FLIGHT.value, d.stream_id == stream_id
        )
        with self.store.read() as conn:
            return set(conn.execute(query).scalars())

    # -- acknowledgements --------------------------------------------------------------------

    def acknowledge(
        self,
        conn: Connection,
        subscription: Subscription,
        acks: Sequence[int],
        nacks: Sequence[tuple[int, str, dt.timedelta, bool]],
        now: dt.datetime,
    ) -> AckOutcome:
        """Acknowledges and negatively acknowledges in the caller's unit of work; refuses positions never delivered."""
        d = t.deliveries.c
        mine = d.subscription_key == subscription.key
        cursor = conn.execute(
            select(t.subscriptions.c.cursor).where(t.subscriptions.c.key == subscription.key)
        ).scalar_one()
        beyond = sorted({seq for seq in (*acks, *(n[0] for n in nacks)) if seq > cursor})
        if beyond:
            raise InvalidArgument(
                "some deliveries were never sent to this subscription",
                [FieldViolation("delivery_ids", f"{subscription.id}.{seq} was never delivered") for seq in beyond[:20]],
            )
        acknowledged: list[int] = []
        for chunk in self.store.chunks(sorted(set(acks))):
            acknowledged += list(
                conn.execute(
                    delete(t.deliveries).where(mine, self.store.among(d.record_seq, chunk)).returning(d.record_seq)
                ).scalars()
            )
        nacked: list[int] = []
        rejected: list[int] = []
        for seq, reason, delay, dead in nacks:
            in_flight = and_(mine, d.record_seq == seq, d.state == DeliveryState.IN_FLIGHT.value)
            if dead:
                values = {
                    "state": DeliveryState.DEAD.value,
                    "dead_reason": DeadLetterReason.REJECTED.value,
                    "dead_time": now,
                    "message": reason,
                }
            else:
                values = {"state": DeliveryState.WAITING.value, "visible_at": now + delay, "message": reason}
            if conn.execute(update(t.deliveries).where(in_flight).values(**values)).rowcount:
                (rejected if dead else nacked).append(seq)
        if acknowledged:
            conn.execute(
                update(t.subscriptions)
                .where(t.subscriptions.c.key == subscription.key)
                .values(
                    acknowledged_count=t.subscriptions.c.acknowledged_count + len(acknowledged),
                    last_acknowledge_time=now,
                )
            )
        return AckOutcome(sorted(acknowledged), len(acks) - len(acknowledged), nacked, rejected)

    # -- dead letters ------------------------------------------------------------------------

    def dead_letters(self, subscription: Subscription, offset: int, limit: int) -> tuple[list[DeadLetterRow], int]:
        d = t.deliveries.c
        dead = and_(d.subscription_key == subscription.key, d.state == DeliveryState.DEAD.value)
        query = select(t.deliveries).where(dead).order_by(d.dead_time, d.record_seq).offset(offset).limit(limit)
        with self.store.read() as conn:
            rows = [
                DeadLetterRow(
                    r.record_seq,
                    r.attempt,
                    DeadLetterReason(r.dead_reason or DeadLetterReason.MAX_ATTEMPTS_EXCEEDED.value),
                    r.message,
                    as_utc_or_none(r.first_deliver_time),
                    as_utc_or_none(r.dead_time),
                )
                for r in conn.execute(query)
            ]
            total = int(conn.execute(select(func.count()).select_from(t.deliveries).where(dead)).scalar_one())
        return rows, total

    def records(self, sequences: Sequence[int]) -> dict[int, Record]:
        with self.store.read() as conn:
            return self.log.at(conn, sequences)

    def replay(
        self, conn: Connection, subscription: Subscription, sequences: Sequence[int] | None, now: dt.datetime
    ) -> int:
        """Turns dead letters back into deliveries that go out again as attempt 1, in the caller's unit of work."""
        d = t.deliveries.c
        dead = and_(d.subscription_key == subscription.key, d.state == DeliveryState.DEAD.value)
        replayed = 0
        chunks = [None] if sequences is None else list(in_chunks(list(sequences)))
        for chunk in chunks:
            where = dead if chunk is None else and_(dead, d.record_seq.in_(chunk))
            replayed += conn.execute(
                update(t.deliveries)
                .where(where)
                .values(
                    state=DeliveryState.WAITING.value,
                    attempt=0,
                    visible_at=now,
                    dead_reason=None,
                    dead_time=None,
                )
            ).rowcount
        return replayed

    # -- lag ---------------------------------------------------------------------------------

    def lag(self, subscription: Subscription, now: dt.datetime) -> ConsumerLag:
        d = t.deliveries.c
        with self.store.read() as conn:
            sub = conn.execute(
                select(
                    t.subscriptions.c.cursor,
                    t.subscriptions.c.acknowledged_count,
                    t.subscriptions.c.last_acknowledge_time,
                ).where(t.subscriptions.c.key == subscription.key)
            ).first()
            if sub is None:
                return ConsumerLag()
            counts: dict[str, int] = dict(
                conn.execute(
                    select(d.state, func.count()).where(d.subscription_key == subscription.key).group_by(d.state)
                ).all()
            )
            oldest = conn.execute(
                select(func.min(d.record_seq)).where(d.subscription_key == subscription.key, d.state.in_(_OUTSTANDING))
            ).scalar()
            unsent = self.log.count_after(conn, subscription.subject_code, sub.cursor)
            if oldest is None and unsent:
                oldest = conn.execute(
                    select(func.min(t.records.c.seq)).where(
                        t.records.c.subject == subscription.subject_code, t.records.c.seq > sub.cursor
                    )
                ).scalar()
            oldest_time = self.log.publish_time_of(conn, oldest) if oldest is not None else None
            streams = int(
                conn.execute(
                    select(func.count())
                    .select_from(t.presence)
                    .where(
                        t.presence.c.kind == "subscribe",
                        t.presence.c.key == subscription.id,
                        t.presence.c.expires_at > now,
                    )
                ).scalar_one()
            )
        return ConsumerLag(
            pending_count=unsent + int(counts.get(DeliveryState.WAITING.value, 0)),
            in_flight_count=int(counts.get(DeliveryState.IN_FLIGHT.value, 0)),
            dead_letter_count=int(counts.get(DeliveryState.DEAD.value, 0)),
            oldest_unacknowledged_age=max(dt.timedelta(0), now - oldest_time) if oldest_time else dt.timedelta(0),
            last_acknowledge_time=as_utc_or_none(sub.last_acknowledge_time),
            acknowledged_count=int(sub.acknowledged_count),
            open_streams=streams,
        )

    # -- presence ----------------------------------------------------------------------------

    def enter(self, stream_id: str, kind: str, key: str, replica: str, expires_at: dt.datetime) -> None:
        with self.store.write() as conn:
            conn.execute(
                insert(t.presence).values(
                    stream_id=stream_id, kind=kind, key=key, replica=replica, expires_at=expires_at
                )
            )

    def leave(self, stream_id: str) -> None:
        with self.store.write() as conn:
            conn.execute(delete(t.presence).where(t.presence.c.stream_id == stream_id))

    def keep_alive(self, stream_ids: Sequence[str], expires_at: dt.datetime, now: dt.datetime) -> None:
        """Extends this replica's streams and forgets entries whose replica died without saying so."""
        with self.store.write() as conn:
            for chunk in in_chunks(list(stream_ids)):
                conn.execute(update(t.presence).where(t.presence.c.stream_id.in_(chunk)).values(expires_at=expires_at))
            conn.execute(delete(t.presence).where(t.presence.c.expires_at < now - dt.timedelta(minutes=5)))

    def online(self, kind: str, keys: Sequence[str], now: dt.datetime) -> set[str]:
        p = t.presence.c
        with self.store.read() as conn:
            return set(
                conn.execute(
                    select(p.key).where(p.kind == kind, p.key.in_(list(keys)), p.expires_at > now).distinct()
                ).scalars()
            )
