"""Delivery: a subscription's stream, acknowledgements, dead letters and their replay."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from govmesh.runtime.clock import now as utc_now
from govmesh.runtime.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, ViolationCollector
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, page_of
from govmesh.runtime.unit_of_work import Database
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.domain.ledger import (
    EntryKind,
    LedgerEvent,
    Occasion,
    delivery_events,
    replay_event,
    subscription_event,
)
from govmesh.services.exchange.domain.policy import Entitlement, Filtered, Row, filter_record
from govmesh.services.exchange.domain.records import Record
from govmesh.services.exchange.domain.subscriptions import (
    DEFAULT_BATCH,
    DEFAULT_MAX_IN_FLIGHT,
    MAX_BATCH,
    MAX_IN_FLIGHT,
    AckResult,
    DeadLetter,
    Delivery,
    DeliveryBatch,
    Nack,
    Subscription,
    delivery_id,
    parse_cursor,
    parse_delivery_id,
)
from govmesh.services.exchange.persistence.ledger import stage
from govmesh.services.exchange.persistence.subscriptions import (
    AckOutcome,
    Claim,
    DeliveryPlan,
    Redelivery,
    SubscriptionStore,
)
from govmesh.services.exchange.signals import Signals, records_topic, subscription_topic, wait
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers
from govmesh.services.exchange.usecases.common import (
    ACKNOWLEDGED,
    DELIVERED,
    HEARTBEAT_SECONDS,
    POLL_SECONDS,
    Presence,
    new_id,
    occasion,
    quietly,
    traceparent,
    tracer,
)


@dataclass(frozen=True)
class _Outgoing:
    sequence: int
    attempt: int
    seen: Filtered


class Deliveries:
    def __init__(
        self,
        callers: Callers,
        database: Database,
        subscriptions: SubscriptionStore,
        records: RecordCache,
        signals: Signals,
        presence: Presence,
    ):
        self.callers = callers
        self.database = database
        self.subscriptions = subscriptions
        self.records = records
        self.signals = signals
        self.presence = presence

    async def subscribe(
        self, principal: Principal, subscription_id: str, cursor: str, max_in_flight: int, max_batch: int
    ) -> AsyncIterator[DeliveryBatch]:
        """Streams a subscription's deliveries: redeliveries whose time came, then new records, for ever.

        A stream holds at most `max_in_flight` unacknowledged deliveries; it asks the database for
        more only when acknowledgements made room, so a slow consumer slows only itself and the
        hub keeps no more than that per stream in memory.
        """
        subscription = await asyncio.to_thread(self.callers.own_subscription, principal, subscription_id)
        after, limit, batch = _stream_settings(cursor, max_in_flight, max_batch)
        stream_id = new_id("s")
        when = occasion()
        await asyncio.to_thread(
            self.subscriptions.enter, stream_id, "subscribe", subscription.id, self.presence.replica, Presence.expiry()
        )
        self.presence.streams.add(stream_id)
        outstanding: set[int] = set()
        orphans_after: int | None = after
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        try:
            topics = (records_topic(subscription.subject_code), subscription_topic(subscription.id))
            with self.signals.watch(*topics) as wake:
                while True:
                    wake.clear()
                    if len(outstanding) >= limit:
                        outstanding = await asyncio.to_thread(self.subscriptions.in_flight_of, subscription, stream_id)
                    room = limit - len(outstanding)
                    deliveries: list[Delivery] = []
                    moved = False
                    if room > 0:
                        deliveries, moved = await asyncio.to_thread(
                            self._claim, subscription, stream_id, room, when.trace_id, orphans_after
                        )
                        orphans_after = None
                        outstanding.update(d.sequence for d in deliveries)
                    if deliveries:
                        DELIVERED.add(len(deliveries), {"subscriber": subscription.subscriber})
                        for start in range(0, len(deliveries), batch):
                            yield DeliveryBatch(deliveries[start : start + batch])
                        quiet_since = loop.time()
                        continue
                    if moved:
                        continue
                    if loop.time() - quiet_since >= HEARTBEAT_SECONDS:
                        yield await asyncio.to_thread(self._heartbeat, subscription)
                        quiet_since = loop.time()
                    await wait(wake, POLL_SECONDS)
        finally:
            self.presence.streams.discard(stream_id)
            await quietly(self.subscriptions.leave, stream_id)

    def _heartbeat(self, subscription: Subscription) -> DeliveryBatch:
        if self.subscriptions.get(subscription.id) is None:
            raise NotFound("subscription", subscription.name)
        return DeliveryBatch((), self.subscriptions.lag(subscription, utc_now()))

    def _visible(self, subscription: Subscription, entitlement: Entitlement, record: Record) -> Filtered | None:
        row = Row(record.division_code, record.entity_key)
        if not subscription.row_filter.passes(row):
            return None
        visible = entitlement.visible_items(row)
        # Receivers with the same visible items share one narrowed copy and its digest.
        return self.records.narrowed(record, visible) if visible else None

    def _claim(
        self, subscription: Subscription, stream_id: str, room: int, trace_id: str, orphans_after: int | None
    ) -> tuple[list[Delivery], bool]:
        """One dispatch for a stream; returns the deliveries to send and whether the cursor moved."""
        entitlement = self.callers.subscriber_entitlement(subscription)
        when = Occasion(trace_id, utc_now())
        with self.database.unit_of_work() as work:
            claim = self.subscriptions.take(
                work.conn, subscription, room, when.create_time, orphans_after=orphans_after
            )
            outgoing, plan = self._plan(subscription, entitlement, claim)
            self.subscriptions.record_claim(work.conn, subscription, stream_id, when.create_time, claim, plan)
            stage(work.conn, _delivery_events(subscription, outgoing, claim.dead, when))
        return self._deliveries(subscription, entitlement, outgoing, when.create_time), claim.cursor_moved

    def _plan(
        self, subscription: Subscription, entitlement: Entitlement, claim: Claim
    ) -> tuple[list[_Outgoing], DeliveryPlan]:
        """What goes out of a claim, as each record looks to the subscriber; the rest is dropped or skipped."""
        outgoing: list[_Outgoing] = []
        drop = []
        for again, record in claim.redelivered:
            seen = self._visible(subscription, entitlement, record)
            if seen is None:
                drop.append(again.sequence)
            else:
                outgoing.append(_Outgoing(again.sequence, again.attempt + 1, seen))
        send = []
        for record in claim.fresh:
            seen = self._visible(subscription, entitlement, record)
            if seen is not None:
                send.append(record.sequence)
                outgoing.append(_Outgoing(record.sequence, 1, seen))
        return outgoing, DeliveryPlan(send, drop)

    @staticmethod
    def _deliveries(
        subscription: Subscription, entitlement: Entitlement, outgoing: Sequence[_Outgoing], now: dt.datetime
    ) -> list[Delivery]:
        expire = now + subscription.ack_deadline
        scopes: dict[frozenset[str], tuple[object, tuple[str, ...]]] = {}
        with tracer.start_as_current_span("exchange deliver", attributes={"exchange.subscription": subscription.id}):
            parent = traceparent()
            deliveries = []
            for out in outgoing:
                assert out.seen.record is not None
                shape = scopes.get(out.seen.items)
                if shape is None:
                    items = out.seen.items
                    shape = scopes[items] = (entitlement.scope_for(items), entitlement.grants_for(items))
                deliveries.append(
                    Delivery(
                        subscription.id,
                        out.sequence,
                        out.attempt,
                        out.seen.record,
                        shape[0],  # type: ignore[arg-type]
                        shape[1],
                        entitlement.revision,
                        now,
                        expire,
                        parent,
                    )
                )
        return deliveries

    async def acknowledge(
        self, principal: Principal, subscription_id: str, delivery_ids: Sequence[str], nacks: Sequence[Nack]
    ) -> AckResult:
        """Acknowledges and negatively acknowledges; refused whole when any delivery is not this subscription's."""
        result = await asyncio.to_thread(self._acknowledge, principal, subscription_id, delivery_ids, nacks)
        # The subscription's streams on this process learn there is room (others poll).
        self.signals.fire(subscription_topic(subscription_id))
        return result

    def _acknowledge(
        self, principal: Principal, subscription_id: str, delivery_ids: Sequence[str], nacks: Sequence[Nack]
    ) -> AckResult:
        subscription = self.callers.recent_subscription(principal, subscription_id)
        acks, nacked = _positions(subscription, delivery_ids, nacks)
        when = occasion()
        subject = self.callers.catalog.subject_by_code.get(subscription.subject_code)
        provider = (subject.provider,) if subject else ()

        with self.database.unit_of_work() as work:
            outcome = self.subscriptions.acknowledge(work.conn, subscription, acks, nacked, when.create_time)
            stage(work.conn, _acknowledgement_events(subscription, provider, outcome, when))
            if outcome.nacked or outcome.acknowledged:
                work.notify(subscription_topic(subscription.id))
        if outcome.acknowledged:
            ACKNOWLEDGED.add(len(outcome.acknowledged), {"subscriber": subscription.subscriber})
        return AckResult(len(outcome.acknowledged), outcome.already, len(outcome.nacked) + len(outcome.rejected))

    def list_dead_letters(self, principal: Principal, subscription_id: str, page: PageRequest) -> Page[DeadLetter]:
        subscription = self.callers.own_subscription(principal, subscription_id, read_only=True)
        rows, total = self.subscriptions.dead_letters(subscription, page.offset, page.size)
        records = self.subscriptions.records([r.sequence for r in rows])
        entitlement = self.callers.subscriber_entitlement(subscription)
        letters = []
        for row in rows:
            record = records.get(row.sequence)
            shown = filter_record(record, entitlement).record if record is not None else None
            letters.append(
                DeadLetter(
                    subscription.id,
                    row.sequence,
                    shown,
                    row.attempts,
                    row.reason,
                    row.message,
                    row.first_deliver_time,
                    row.dead_letter_time,
                )
            )
        return page_of(letters, page, total)

    async def replay_dead_letters(
        self, principal: Principal, subscription_id: str, names: Sequence[str], replay_all: bool
    ) -> int:
        replayed = await asyncio.to_thread(self._replay, principal, subscription_id, names, replay_all)
        self.signals.fire(subscription_topic(subscription_id))
        return replayed

    def _replay(self, principal: Principal, subscription_id: str, names: Sequence[str], replay_all: bool) -> int:
        subscription = self.callers.own_subscription(principal, subscription_id)
        sequences = _dead_letter_positions(subscription, names, replay_all)
        when = occasion()

        with self.database.unit_of_work() as work:
            replayed = self.subscriptions.replay(
                work.conn, subscription, None if replay_all else sequences, when.create_time
            )
            if replayed:
                stage(
                    work.conn,
                    [
                        replay_event(
                            subscription.name,
                            subscription.subscriber,
                            subscription.subject_code,
                            sequences,
                            replayed,
                            when,
                        )
                    ],
                )
                work.notify(subscription_topic(subscription.id))
        return replayed


def _stream_settings(cursor: str, max_in_flight: int, max_batch: int) -> tuple[int, int, int]:
    """The position a stream resumes after, its in-flight limit and its batch size."""
    after = parse_cursor(cursor)
    found = ViolationCollector()
    if after is None:
        found.add("cursor", "is not a cursor this hub issued")
    if max_in_flight < 0 or max_in_flight > MAX_IN_FLIGHT:
        found.add("max_in_flight", f"must be from 0 to {MAX_IN_FLIGHT:,}")
    if max_batch < 0 or max_batch > MAX_BATCH:
        found.add("max_batch_size", f"must be from 0 to {MAX_BATCH}")
    found.raise_if_any()
    assert after is not None
    return after, max_in_flight or DEFAULT_MAX_IN_FLIGHT, max_batch or DEFAULT_BATCH


def _delivery_events(
    subscription: Subscription, outgoing: Sequence[_Outgoing], dead: Sequence[Redelivery], when: Occasion
) -> list[LedgerEvent]:
    sent = [(out.attempt, out.seen.record) for out in outgoing if out.seen.record is not None]
    return delivery_events(
        subscription.name,
        subscription.subscriber,
        subscription.subject_code,
        sent,
        [delivery_id(subscription.id, d.sequence) for d in dead],
        when,
    )


def _acknowledgement_events(
    subscription: Subscription, provider: tuple[str, ...], outcome: AckOutcome, when: Occasion
) -> list[LedgerEvent]:
    """An ACKNOWLEDGEMENT entry to the provider, and a DEAD_LETTER entry for deliveries the subscriber rejected."""
    made = []
    for kind, sequences, receivers in (
        (EntryKind.ACKNOWLEDGEMENT, outcome.acknowledged, provider),
        (EntryKind.DEAD_LETTER, outcome.rejected, (subscription.subscriber,)),
    ):
        if sequences:
            ids = [delivery_id(subscription.id, s) for s in sequences]
            made.append(
                subscription_event(
                    kind,
                    subscription.name,
                    subscription.subscriber,
                    subscription.subscriber,
                    subscription.subject_code,
                    ids,
                    when,
                    receivers=receivers,
                )
            )
    return made


def _positions(
    subscription: Subscription, delivery_ids: Sequence[str], nacks: Sequence[Nack]
) -> tuple[list[int], list[tuple[int, str, dt.timedelta, bool]]]:
    """The log positions acknowledged and negatively acknowledged; refused when any is bad or foreign."""
    found = ViolationCollector()
    foreign: list[str] = []

    def position(text: str, path: str) -> int:
        parsed = parse_delivery_id(text)
        if parsed is None:
            found.add(path, "is not a delivery id this hub issued")
            return -1
        if parsed[0] != subscription.id:
            foreign.append(text)
            return -1
        return parsed[1]

    acks = [position(text, f"delivery_ids[{n}]") for n, text in enumerate(delivery_ids)]
    nacked = [
        (position(n.delivery_id, f"nacks[{i}].delivery_id"), n.reason[:1000], n.retry_delay, n.dead_letter)
        for i, n in enumerate(nacks)
    ]
    for i, n in enumerate(nacks):
        if n.retry_delay < dt.timedelta(0) or n.retry_delay > dt.timedelta(hours=1):
            found.add(f"nacks[{i}].retry_delay", "must be from 0 to 1 h")
    if set(acks) & {seq for seq, *_ in nacked} - {-1}:
        found.add("nacks", "a delivery cannot be acknowledged and negatively acknowledged at once")
    if foreign:
        raise PermissionDenied(
            f"{len(foreign)} deliveries are not of {subscription.name}, e.g. {foreign[0]}",
            reason="NOT_OWNER",
            domain=AUTHZ_DOMAIN,
        )
    found.raise_if_any("bad deliveries")
    return [a for a in acks if a >= 0], [n for n in nacked if n[0] >= 0]


def _dead_letter_positions(subscription: Subscription, names: Sequence[str], replay_all: bool) -> list[int]:
    if replay_all and names:
        raise InvalidArgument("names or all, not both", [FieldViolation("names", "must be empty when all is set")])
    if not replay_all and not names:
        raise InvalidArgument("nothing to replay", [FieldViolation("names", "name dead letters, or set all")])
    prefix = f"{subscription.name}/deadLetters/"
    sequences = []
    found = ViolationCollector()
    for n, name in enumerate(names):
        number = name.removeprefix(prefix)
        if not name.startswith(prefix) or not number.isascii() or not number.isdigit():
            found.add(f"names[{n}]", f"must look like {prefix}{{id}}")
        else:
            sequences.append(int(number))
    found.raise_if_any()
    return sequences
