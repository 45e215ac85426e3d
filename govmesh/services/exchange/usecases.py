"""The exchange's use cases: publish, subscribe and deliver, request and reply, locate, and the ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import time
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from opentelemetry import metrics, trace
from sqlalchemy.exc import IntegrityError

from govmesh.kernel.catalog.model import Subject
from govmesh.kernel.catalog.standards import check_division_code
from govmesh.kernel.catalog.validation import RecordViolation
from govmesh.kernel.catalog.view import CatalogView
from govmesh.runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    ViolationCollector,
)
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.domain.directory import Holding
from govmesh.services.exchange.domain.ledger import (
    GENESIS_HASH,
    EntryKind,
    LedgerEntry,
    LedgerEvent,
    StatsDimension,
    StatsRow,
    Verification,
    verify_chain,
)
from govmesh.services.exchange.domain.policy import Action, Entitlement, Filtered, Policy, Row, filter_record
from govmesh.services.exchange.domain.records import (
    Record,
    entity_key_problem,
    envelope_violations,
    payload_digest,
    record_digest,
)
from govmesh.services.exchange.domain.requests import (
    DEFAULT_INBOX_IN_FLIGHT,
    DEFAULT_TIME_TO_LIVE,
    MAX_ENTITY_KEYS,
    MAX_TIME_TO_LIVE,
    Claim,
    DataRequest,
    IncomingRequest,
    ReplyChunk,
    ReplyStatus,
    RequestKind,
    Target,
    VerificationResult,
    WaitMode,
    verify_claims,
)
from govmesh.services.exchange.domain.subscriptions import (
    DEFAULT_BATCH,
    DEFAULT_MAX_IN_FLIGHT,
    MAX_BATCH,
    MAX_IN_FLIGHT,
    AckResult,
    ConsumerLag,
    DeadLetter,
    Delivery,
    DeliveryBatch,
    Nack,
    Subscription,
    SubscriptionState,
    delivery_id,
    parse_cursor,
    parse_delivery_id,
    settings_problems,
)
from govmesh.services.exchange.persistence.ledger import EntryFilter, LedgerStore, StatsFilter
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.store import Store
from govmesh.services.exchange.persistence.subscriptions import AckOutcome, DeliveryPlan, Redelivery, SubscriptionStore
from govmesh.services.exchange.signals import (
    Signals,
    inbox_topic,
    records_topic,
    request_topic,
    subscription_topic,
    wait,
)

log = logging.getLogger("govmesh.exchange")
tracer = trace.get_tracer("govmesh.exchange")
meter = metrics.get_meter("govmesh.exchange")

AUTHZ_DOMAIN = "authz.govmesh"
EXCHANGE_DOMAIN = "exchange.govmesh"
ADMINISTRATOR = "hub-administrator"
AUDITOR = "auditor"
MAX_RECORDS_PER_CALL = 10_000
MAX_GATHERED_RECORDS = 5_000
HEARTBEAT_SECONDS = 10.0
POLL_SECONDS = 1.0
SUBSCRIPTION_CACHE_SECONDS = 2.0
PRESENCE_SECONDS = 6.0
# SendRequest answers this long before the caller's deadline, so the answer still reaches it.
DEADLINE_MARGIN_SECONDS = 0.25


def _trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def _traceparent() -> str:
    ctx = trace.get_current_span().get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-01" if ctx.is_valid else ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[: 24 - len(prefix)]


def _digest_of(document: object) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# -- results the servicer translates -----------------------------------------------------------


@dataclass(frozen=True)
class RecordResult:
    """What became of one record sent to the hub (RecordStatus names)."""

    index: int
    status: str
    record_id: str = ""
    digest: str = ""
    violations: tuple[RecordViolation, ...] = ()
    subject_version: str = ""


@dataclass
class PublishOutcome:
    results: list[RecordResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class RequestDraft:
    """A request as the requester asks it, before targets are resolved."""

    kind: RequestKind
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    entity_keys: tuple[str, ...]
    claims: tuple[Claim, ...] = ()
    question: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    purpose: str = ""
    target_departments: tuple[str, ...] = ()
    to_subject_providers: bool = False
    to_holders_of_entity: bool = False
    time_to_live: dt.timedelta | None = None
    idempotency_key: str = ""


@dataclass(frozen=True)
class GatheredRequest:
    """A request with the reply chunks gathered so far (none in the BASIC view)."""

    request: DataRequest
    replies: tuple[ReplyChunk, ...] = ()
    omitted: bool = False


@dataclass(frozen=True)
class ReplyOutcome:
    accepted: int
    withheld: int
    rejected: tuple[RecordResult, ...]


@dataclass(frozen=True)
class ReplyWatch:
    replies: tuple[ReplyChunk, ...]
    statuses: tuple[Target, ...]
    complete: bool


@dataclass(frozen=True)
class StatsPage:
    rows: list[StatsRow]
    total: StatsRow
    next_offset: int


class Exchange:
    """The exchange's application service; every public method is one use case."""

    def __init__(self, store: Store, catalog: Callable[[], CatalogView], policy: Policy, signals: Signals):
        self.store = store
        self.log = RecordLog(store)
        self.records = RecordCache()
        self.subscriptions = SubscriptionStore(store, self.log, self.records)
        self.requests = RequestStore(store)
        self.ledger = LedgerStore(store)
        self.policy = policy
        self.signals = signals
        self.replica = _new_id("replica-")
        self._catalog = catalog
        self._entitlements: dict[tuple[object, ...], Entitlement] = {}
        self._streams: set[str] = set()
        self._lag: dict[str, ConsumerLag] = {}
        self._subscription_cache: dict[str, tuple[Subscription, float]] = {}
        self._inboxes: Counter[str] = Counter()
        _LIVE.add(self)

    # -- who is calling ----------------------------------------------------------------------

    @property
    def catalog(self) -> CatalogView:
        return self._catalog()

    def _department(self, principal: Principal) -> str:
        """The caller's department; data actions are for departments registered in the catalog only."""
        if principal.kind != "department":
            raise PermissionDenied(
                f"{principal} is not a department; only departments publish, subscribe, request and reply",
                reason="ROLE_REQUIRED",
                domain=AUTHZ_DOMAIN,
                metadata={"role": "department"},
            )
        if principal.code not in self.catalog.department_by_code:
            raise PermissionDenied(
                f"department {principal.code} is not registered with the hub",
                reason="UNKNOWN_PRINCIPAL",
                domain=AUTHZ_DOMAIN,
            )
        return principal.code

    @staticmethod
    def _sees_everything(principal: Principal) -> bool:
        return principal.has_role(ADMINISTRATOR) or principal.has_role(AUDITOR)

    def _subject(self, code: str, field_path: str = "subject") -> Subject:
        subject = self.catalog.subject_by_code.get(code)
        if subject is None:
            raise NotFound("subject", f"subjects/{code}", metadata={"field": field_path})
        return subject

    def entitlement(
        self, principal: Principal, action: Action, subject_code: str, items: Sequence[str] = ()
    ) -> Entitlement:
        """The decisions for one receiver, cached until the policy or the catalog moves on."""
        key = (principal, action, subject_code, tuple(items), self.policy.revision, self.catalog.revision)
        found = self._entitlements.get(key)
        if found is None:
            if len(self._entitlements) > 10_000:
                self._entitlements.clear()
            decisions = self.policy.decide(principal, action, subject_code, items)
            found = self._entitlements[key] = Entitlement.of(subject_code, decisions, self.policy.revision)
        return found

    # -- publish -----------------------------------------------------------------------------

    async def publish(
        self, principal: Principal, records: Sequence[Record], *, validate_only: bool = False, offset: int = 0
    ) -> PublishOutcome:
        """Validates each record, commits the valid new ones in one transaction, answers each on its own."""
        outcome = await asyncio.to_thread(self._publish, principal, records, validate_only, offset)
        if any(r.status == "ACCEPTED" for r in outcome.results) and not validate_only:
            # Other replicas hear the commit's NOTIFY; this process's streams are woken here.
            self.signals.fire(*{records_topic(r.subject_code) for r in records})
        return outcome

    def _publish(
        self, principal: Principal, records: Sequence[Record], validate_only: bool, offset: int
    ) -> PublishOutcome:
        publisher = self._department(principal)
        if len(records) > MAX_RECORDS_PER_CALL:
            raise InvalidArgument(
                "too many records", [FieldViolation("records", f"at most {MAX_RECORDS_PER_CALL:,} a call")]
            )
        view = self.catalog
        subjects: dict[str, Subject] = {}
        for index, record in enumerate(records):
            if record.subject_code in subjects:
                continue
            subject = self._subject(record.subject_code, f"records[{index}].subject")
            if subject.provider != publisher:
                raise PermissionDenied(
                    f"only {subject.provider} publishes subjects/{subject.code}, not {publisher}",
                    reason="NOT_PROVIDER",
                    domain=AUTHZ_DOMAIN,
                    metadata={"subject": f"subjects/{subject.code}", "provider": subject.provider},
                )
            subjects[subject.code] = subject
        tries_left = 3
        while True:
            try:
                return self._publish_once(publisher, records, subjects, view, validate_only, offset)
            except IntegrityError:
                # Another call committed one of these idempotency keys meanwhile: look again.
                tries_left -= 1
                if not tries_left:
                    raise

    def _publish_once(
        self,
        publisher: str,
        records: Sequence[Record],
        subjects: Mapping[str, Subject],
        view: CatalogView,
        validate_only: bool,
        offset: int,
    ) -> PublishOutcome:
        now = _now()
        trace_id = _trace_id()
        results: list[RecordResult | None] = [None] * len(records)
        valid: list[tuple[int, Record]] = []
        for index, record in enumerate(records):
            subject = subjects[record.subject_code]
            violations = envelope_violations(record, now=now)
            violations += view.schema(subject).validate(record.values)
            if violations:
                results[index] = RecordResult(
                    offset + index, "INVALID", violations=tuple(violations), subject_version=str(subject.version)
                )
                continue
            # The digest covers what the publisher sent, so it is taken before the hub's fields are added.
            committed = replace(
                record,
                subject_version=str(subject.version),
                publisher=publisher,
                publish_time=now,
                trace_id=trace_id,
                digest=record_digest(record),
            )
            valid.append((index, committed))
        existing = self.log.existing(publisher, (r.idempotency_key for _, r in valid)) if valid else {}
        fresh: list[tuple[int, Record]] = []
        first_in_call: dict[str, tuple[int, Record]] = {}
        for index, record in valid:
            key = record.idempotency_key
            earlier = existing.get(key)
            if earlier is not None:
                status = "DUPLICATE" if earlier.digest == record.digest else "CONFLICT"
                results[index] = RecordResult(
                    offset + index,
                    status,
                    f"rec-{earlier.sequence}",
                    earlier.digest,
                    subject_version=earlier.subject_version,
                )
            elif key in first_in_call:
                results[index] = RecordResult(
                    offset + index, "DUPLICATE" if first_in_call[key][1].digest == record.digest else "CONFLICT"
                )
            else:
                first_in_call[key] = (index, record)
                fresh.append((index, record))
        if fresh and not validate_only:
            sequences = self.log.append(
                [r for _, r in fresh],
                self._publish_exchanges([r for _, r in fresh], trace_id, now),
                self._publish_notices(fresh),
            )
        else:
            sequences = [0] * len(fresh)
        if fresh and not validate_only:
            self.records.put(
                replace(r, sequence=s, record_id=f"rec-{s}") for (_, r), s in zip(fresh, sequences, strict=True)
            )
        by_key: dict[str, tuple[str, str]] = {}
        for (index, record), sequence in zip(fresh, sequences, strict=True):
            record_id = f"rec-{sequence}" if sequence else ""
            by_key[record.idempotency_key] = (record_id, record.digest)
            results[index] = RecordResult(
                offset + index, "ACCEPTED", record_id, record.digest, subject_version=record.subject_version
            )
        for index, result in enumerate(results):
            # A duplicate within the call points at the record the call itself committed.
            if result is not None and result.status == "DUPLICATE" and not result.record_id:
                record_id, digest = by_key.get(records[index].idempotency_key, ("", ""))
                results[index] = replace(result, record_id=record_id, digest=digest)
        if fresh and not validate_only:
            _PUBLISHED.add(len(fresh), {"publisher": publisher})
        return PublishOutcome([r for r in results if r is not None])

    def _publish_exchanges(
        self, records: Sequence[Record], trace_id: str, now: dt.datetime
    ) -> Callable[[Sequence[int]], list[LedgerEvent]]:
        by_subject: dict[str, list[Record]] = {}
        for record in records:
            by_subject.setdefault(record.subject_code, []).append(record)
        receivers = {code: tuple(self.subscriptions.all_of_subject(code)) for code in by_subject}

        def exchanges(sequences: Sequence[int]) -> list[LedgerEvent]:
            first = dict(zip((r.idempotency_key for r in records), sequences, strict=True))
            return [
                LedgerEvent(
                    kind=EntryKind.PUBLISH,
                    sender=batch[0].publisher,
                    receivers=receivers[code],
                    subject=f"subjects/{code}",
                    record_count=len(batch),
                    payload_digest=payload_digest(r.digest for r in batch),
                    reference=f"rec-{first[batch[0].idempotency_key]}",
                    trace_id=trace_id,
                    create_time=now,
                    department=batch[0].publisher,
                )
                for code, batch in by_subject.items()
            ]

        return exchanges

    @staticmethod
    def _publish_notices(fresh: Sequence[tuple[int, Record]]) -> list[str]:
        return sorted({records_topic(r.subject_code) for _, r in fresh})

    # -- subscriptions -----------------------------------------------------------------------

    def create_subscription(self, principal: Principal, draft: Subscription, *, validate_only: bool) -> Subscription:
        subscriber = self._department(principal)
        subject = self._subject(draft.subject_code, "subscription.subject")
        found = ViolationCollector()
        for problem_field, problem in settings_problems(draft):
            found.add(problem_field, problem)
        for n, code in enumerate(draft.items):
            if subject.item(code) is None:
                found.add(f"subscription.items[{n}]", f"not an item of subjects/{subject.code}")
        for n, code in enumerate(draft.row_filter.division_codes):
            if check_division_code(code) is not None:
                found.add(f"subscription.row_filter.division_codes[{n}]", "not a GB/T 2260 division code")
        for key in draft.row_filter.entity_keys:
            if entity_key_problem(key):
                found.add("subscription.row_filter.entity_keys", f"{key!r} is not an entity key")
        found.raise_if_any("the subscription has invalid fields")
        wanted = replace(draft, id=draft.id or _new_id("sub-"), subscriber=subscriber)
        entitlement = self.entitlement(principal, Action.SUBSCRIBE, subject.code, wanted.items)
        if not entitlement.any_allowed:
            first = entitlement.decisions[0] if entitlement.decisions else None
            raise FailedPrecondition(
                f"{subscriber} may receive no item of subjects/{subject.code}",
                [
                    PreconditionViolation(
                        d.reason, f"subjects/{subject.code}/items/{d.item_code}", _denial_text(d.reason)
                    )
                    for d in entitlement.denied
                ],
                reason=first.reason if first else "NO_GRANT",
                domain=AUTHZ_DOMAIN,
            )
        if draft.id:
            existing = self.subscriptions.get(draft.id)
            if existing is not None:
                if existing.same_order(wanted):
                    return self._decorated(existing, principal)
                raise AlreadyExists("subscription", existing.name)
        if validate_only:
            return self._decorated(replace(wanted, create_time=_now()), principal)
        return self._decorated(self.subscriptions.create(wanted, _now()), principal)

    def _decorated(self, subscription: Subscription, principal: Principal, *, lag: bool = False) -> Subscription:
        receiver = Principal("department", subscription.subscriber)
        entitlement = self.entitlement(receiver, Action.SUBSCRIBE, subscription.subject_code, subscription.items)
        return replace(
            subscription,
            item_decisions=entitlement.decisions,
            state=SubscriptionState.ACTIVE if entitlement.any_allowed else SubscriptionState.SUSPENDED,
            lag=self.subscriptions.lag(subscription, _now()) if lag else None,
        )

    def _own_subscription(self, principal: Principal, subscription_id: str, *, read_only: bool = False) -> Subscription:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise NotFound("subscription", f"subscriptions/{subscription_id}")
        if read_only and self._sees_everything(principal):
            return subscription
        if principal.has_role(ADMINISTRATOR):
            return subscription
        if principal.kind != "department" or principal.code != subscription.subscriber:
            raise PermissionDenied(
                f"subscriptions/{subscription_id} is not {principal}'s", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        return subscription

    def _recent_subscription(self, principal: Principal, subscription_id: str) -> Subscription:
        """The caller's subscription as read at most SUBSCRIPTION_CACHE_SECONDS ago.

        Acknowledgements come hundreds a second; what they need of the subscription (its owner,
        subject and key) never changes, and one deleted meanwhile has no deliveries left to ack.
        """
        now = time.monotonic()
        cached = self._subscription_cache.get(subscription_id)
        if cached is not None and cached[1] > now:
            subscription = cached[0]
            if principal.kind == "department" and principal.code == subscription.subscriber:
                return subscription
        subscription = self._own_subscription(principal, subscription_id)
        self._subscription_cache[subscription_id] = (subscription, now + SUBSCRIPTION_CACHE_SECONDS)
        if len(self._subscription_cache) > 10_000:
            self._subscription_cache.clear()
        return subscription

    def get_subscription(self, principal: Principal, subscription_id: str) -> Subscription:
        return self._decorated(self._own_subscription(principal, subscription_id, read_only=True), principal, lag=True)

    def list_subscriptions(
        self, principal: Principal, *, subject: str, subscriber: str, offset: int, limit: int
    ) -> tuple[list[Subscription], bool]:
        if not self._sees_everything(principal):
            own = self._department(principal)
            if subscriber and subscriber != own:
                raise PermissionDenied(
                    "only hub administrators list other departments' subscriptions",
                    reason="ROLE_REQUIRED",
                    domain=AUTHZ_DOMAIN,
                )
            subscriber = own
        found = self.subscriptions.page(subscriber=subscriber, subject=subject, offset=offset, limit=limit + 1)
        return [self._decorated(s, principal) for s in found[:limit]], len(found) > limit

    async def delete_subscription(self, principal: Principal, subscription_id: str) -> None:
        subscription = await asyncio.to_thread(self._own_subscription, principal, subscription_id)
        await asyncio.to_thread(self.subscriptions.delete, subscription)
        self._subscription_cache.pop(subscription.id, None)
        self.signals.fire(subscription_topic(subscription.id))

    # -- delivery ----------------------------------------------------------------------------

    async def subscribe(
        self, principal: Principal, subscription_id: str, cursor: str, max_in_flight: int, max_batch: int
    ) -> AsyncIterator[DeliveryBatch]:
        """Streams a subscription's deliveries: redeliveries whose time came, then new records, for ever.

        A stream holds at most `max_in_flight` unacknowledged deliveries; it asks the database for
        more only when acknowledgements made room, so a slow consumer slows only itself and the
        hub keeps no more than that per stream in memory.
        """
        subscription = await asyncio.to_thread(self._own_subscription, principal, subscription_id)
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
        limit = max_in_flight or DEFAULT_MAX_IN_FLIGHT
        batch = max_batch or DEFAULT_BATCH
        stream_id = _new_id("s")
        trace_id = _trace_id()
        await asyncio.to_thread(
            self.subscriptions.enter, stream_id, "subscribe", subscription.id, self.replica, _presence_expiry()
        )
        self._streams.add(stream_id)
        outstanding: set[int] = set()
        first = True
        quiet_since = asyncio.get_running_loop().time()
        try:
            with self.signals.watch(
                records_topic(subscription.subject_code), subscription_topic(subscription.id)
            ) as wake:
                while True:
                    wake.clear()
                    if len(outstanding) >= limit:
                        outstanding = await asyncio.to_thread(self.subscriptions.in_flight_of, subscription, stream_id)
                    room = limit - len(outstanding)
                    deliveries: list[Delivery] = []
                    moved = False
                    if room > 0:
                        deliveries, moved = await asyncio.to_thread(
                            self._claim, subscription, stream_id, room, trace_id, after if first else None
                        )
                        first = False
                        outstanding.update(d.sequence for d in deliveries)
                    if deliveries:
                        _DELIVERED.add(len(deliveries), {"subscriber": subscription.subscriber})
                        for start in range(0, len(deliveries), batch):
                            yield DeliveryBatch(deliveries[start : start + batch])
                        quiet_since = asyncio.get_running_loop().time()
                        continue
                    if moved:
                        continue
                    if asyncio.get_running_loop().time() - quiet_since >= HEARTBEAT_SECONDS:
                        current = await asyncio.to_thread(self.subscriptions.get, subscription.id)
                        if current is None:
                            raise NotFound("subscription", subscription.name)
                        yield DeliveryBatch((), await asyncio.to_thread(self.subscriptions.lag, subscription, _now()))
                        quiet_since = asyncio.get_running_loop().time()
                    await wait(wake, POLL_SECONDS)
        finally:
            self._streams.discard(stream_id)
            await _quietly(self.subscriptions.leave, stream_id)

    def _claim(
        self, subscription: Subscription, stream_id: str, room: int, trace_id: str, orphans_after: int | None
    ) -> tuple[list[Delivery], bool]:
        """One dispatch for a stream; returns the deliveries to send and whether the cursor moved."""
        receiver = Principal("department", subscription.subscriber)
        entitlement = self.entitlement(receiver, Action.SUBSCRIBE, subscription.subject_code, subscription.items)
        now = _now()
        outgoing: list[tuple[int, int, Filtered, dt.datetime | None]] = []

        def view(record: Record) -> Filtered | None:
            row = Row(record.division_code, record.entity_key)
            if not subscription.row_filter.passes(row):
                return None
            visible = entitlement.visible_items(row)
            # Receivers with the same visible items share one narrowed copy and its digest.
            return self.records.narrowed(record, visible) if visible else None

        def plan(
            redelivered: list[tuple[Redelivery, Record]], fresh: list[Record], dead: list[Redelivery]
        ) -> DeliveryPlan:
            drop = []
            for again, record in redelivered:
                seen = view(record)
                if seen is None:
                    drop.append(again.sequence)
                else:
                    outgoing.append((again.sequence, again.attempt + 1, seen, again.first_deliver_time))
            send = []
            for record in fresh:
                seen = view(record)
                if seen is not None:
                    send.append(record.sequence)
                    outgoing.append((record.sequence, 1, seen, now))
            return DeliveryPlan(send, drop, self._delivery_exchanges(subscription, outgoing, dead, trace_id, now))

        claim = self.subscriptions.claim(subscription, stream_id, room, now, plan, orphans_after=orphans_after)
        expire = now + subscription.ack_deadline
        scopes: dict[frozenset[str], tuple[object, tuple[str, ...]]] = {}
        with tracer.start_as_current_span("exchange deliver", attributes={"exchange.subscription": subscription.id}):
            traceparent = _traceparent()
            deliveries = []
            for sequence, attempt, seen, _first in outgoing:
                assert seen.record is not None
                shape = scopes.get(seen.items)
                if shape is None:
                    shape = scopes[seen.items] = (entitlement.scope_for(seen.items), entitlement.grants_for(seen.items))
                deliveries.append(
                    Delivery(
                        subscription.id,
                        sequence,
                        attempt,
                        seen.record,
                        shape[0],  # type: ignore[arg-type]
                        shape[1],
                        entitlement.revision,
                        now,
                        expire,
                        traceparent,
                    )
                )
        return deliveries, claim.cursor_moved

    @staticmethod
    def _delivery_exchanges(
        subscription: Subscription,
        outgoing: Sequence[tuple[int, int, Filtered, dt.datetime | None]],
        dead: Sequence[Redelivery],
        trace_id: str,
        now: dt.datetime,
    ) -> list[LedgerEvent]:
        exchanges = []
        by_sender: dict[str, list[tuple[int, Filtered]]] = {}
        for _sequence, attempt, seen, _first in outgoing:
            assert seen.record is not None
            by_sender.setdefault(seen.record.publisher, []).append((attempt, seen))
        for sender, batch in by_sender.items():
            exchanges.append(
                LedgerEvent(
                    kind=EntryKind.DELIVERY,
                    sender=sender,
                    receivers=(subscription.subscriber,),
                    subject=f"subjects/{subscription.subject_code}",
                    record_count=len(batch),
                    payload_digest=payload_digest(seen.record.digest for _, seen in batch if seen.record),
                    reference=subscription.name,
                    trace_id=trace_id,
                    create_time=now,
                    department=subscription.subscriber,
                    exchanged=sum(1 for attempt, _ in batch if attempt == 1),
                )
            )
        if dead:
            exchanges.append(
                LedgerEvent(
                    kind=EntryKind.DEAD_LETTER,
                    sender="",
                    receivers=(subscription.subscriber,),
                    subject=f"subjects/{subscription.subject_code}",
                    record_count=len(dead),
                    payload_digest=_digest_of([delivery_id(subscription.id, d.sequence) for d in dead]),
                    reference=subscription.name,
                    trace_id=trace_id,
                    create_time=now,
                    department=subscription.subscriber,
                )
            )
        return exchanges

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
        subscription = self._recent_subscription(principal, subscription_id)
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
        now = _now()
        trace_id = _trace_id()
        provider = self.catalog.subject_by_code.get(subscription.subject_code)

        def exchanges(outcome: AckOutcome) -> list[LedgerEvent]:
            made = []
            receivers = (provider.provider,) if provider else ()
            if outcome.acknowledged:
                made.append(
                    LedgerEvent(
                        kind=EntryKind.ACKNOWLEDGEMENT,
                        sender=subscription.subscriber,
                        receivers=receivers,
                        subject=f"subjects/{subscription.subject_code}",
                        record_count=len(outcome.acknowledged),
                        payload_digest=_digest_of([delivery_id(subscription.id, s) for s in outcome.acknowledged]),
                        reference=subscription.name,
                        trace_id=trace_id,
                        create_time=now,
                        department=subscription.subscriber,
                    )
                )
            if outcome.rejected:
                made.append(
                    LedgerEvent(
                        kind=EntryKind.DEAD_LETTER,
                        sender=subscription.subscriber,
                        receivers=(subscription.subscriber,),
                        subject=f"subjects/{subscription.subject_code}",
                        record_count=len(outcome.rejected),
                        payload_digest=_digest_of([delivery_id(subscription.id, s) for s in outcome.rejected]),
                        reference=subscription.name,
                        trace_id=trace_id,
                        create_time=now,
                        department=subscription.subscriber,
                    )
                )
            return made

        outcome = self.subscriptions.acknowledge(
            subscription,
            [a for a in acks if a >= 0],
            [n for n in nacked if n[0] >= 0],
            now,
            exchanges,
            subscription_topic(subscription.id),
        )
        if outcome.acknowledged:
            _ACKNOWLEDGED.add(len(outcome.acknowledged), {"subscriber": subscription.subscriber})
        return AckResult(len(outcome.acknowledged), outcome.already, len(outcome.nacked) + len(outcome.rejected))

    def list_dead_letters(
        self, principal: Principal, subscription_id: str, offset: int, limit: int
    ) -> tuple[list[DeadLetter], int]:
        subscription = self._own_subscription(principal, subscription_id, read_only=True)
        rows, total = self.subscriptions.dead_letters(subscription, offset, limit)
        records = self.subscriptions.records([r.sequence for r in rows])
        receiver = Principal("department", subscription.subscriber)
        entitlement = self.entitlement(receiver, Action.SUBSCRIBE, subscription.subject_code, subscription.items)
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
        return letters, total

    async def replay_dead_letters(
        self, principal: Principal, subscription_id: str, names: Sequence[str], replay_all: bool
    ) -> int:
        replayed = await asyncio.to_thread(self._replay, principal, subscription_id, names, replay_all)
        self.signals.fire(subscription_topic(subscription_id))
        return replayed

    def _replay(self, principal: Principal, subscription_id: str, names: Sequence[str], replay_all: bool) -> int:
        subscription = self._own_subscription(principal, subscription_id)
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
        now = _now()
        trace_id = _trace_id()

        def exchanges(count: int) -> list[LedgerEvent]:
            return [
                LedgerEvent(
                    kind=EntryKind.REPLAY,
                    sender=subscription.subscriber,
                    receivers=(subscription.subscriber,),
                    subject=f"subjects/{subscription.subject_code}",
                    record_count=count,
                    payload_digest=_digest_of(sorted(sequences)),
                    reference=subscription.name,
                    trace_id=trace_id,
                    create_time=now,
                    department=subscription.subscriber,
                )
            ]

        return self.subscriptions.replay(
            subscription, None if replay_all else sequences, now, exchanges, subscription_topic(subscription.id)
        )

    # -- requests ----------------------------------------------------------------------------

    async def send_request(
        self,
        principal: Principal,
        draft: RequestDraft,
        *,
        wait_mode: WaitMode,
        max_wait: dt.timedelta | None,
        time_remaining: float | None,
        full_view: bool,
    ) -> GatheredRequest:
        """Resolves the targets, checks each with the policy, stores the request; then waits if asked."""
        started = asyncio.get_running_loop().time()
        request = await asyncio.to_thread(self._send, principal, draft)
        self.signals.fire(*(inbox_topic(t.department) for t in request.targets if t.status is ReplyStatus.PENDING))
        if wait_mode is WaitMode.WAIT:
            budget = max_wait.total_seconds() if max_wait is not None else None
            if time_remaining is not None:
                budget = (
                    min(budget, time_remaining - DEADLINE_MARGIN_SECONDS)
                    if budget is not None
                    else (time_remaining - DEADLINE_MARGIN_SECONDS)
                )
            if budget is None:
                budget = 30.0
            await self._wait_for_replies(request, started + budget)
        return await asyncio.to_thread(self._gathered, request.id, full_view)

    async def _wait_for_replies(self, request: DataRequest, until: float) -> None:
        loop = asyncio.get_running_loop()
        with self.signals.watch(request_topic(request.id)) as wake:
            while True:
                wake.clear()
                if request.expire_time is not None and _now() >= request.expire_time:
                    return
                pending = await asyncio.to_thread(self.requests.pending_targets, request.id)
                if not pending:
                    return
                # An inbox open on this replica is known without asking the database.
                if not any(self._inboxes[department] for department in pending):
                    online = await asyncio.to_thread(self.subscriptions.online, "inbox", pending, _now())
                    if not online:
                        return
                remaining = until - loop.time()
                if remaining <= 0:
                    return
                await wait(wake, min(remaining, 0.5))

    def _send(self, principal: Principal, draft: RequestDraft) -> DataRequest:
        requester = self._department(principal)
        if draft.idempotency_key:
            existing = self.requests.by_key(requester, draft.idempotency_key)
            if existing is not None:
                return existing
        draft = self._checked_draft(draft)
        now = _now()
        ttl = draft.time_to_live or DEFAULT_TIME_TO_LIVE
        targets = self._resolve_targets(principal, requester, draft)
        request = DataRequest(
            id=_new_id("req-"),
            requester=requester,
            kind=draft.kind,
            subjects=draft.subjects,
            items=draft.items,
            entity_keys=draft.entity_keys,
            claims=draft.claims,
            question=draft.question,
            parameters=dict(draft.parameters),
            purpose=draft.purpose,
            target_departments=draft.target_departments,
            to_subject_providers=draft.to_subject_providers,
            to_holders_of_entity=draft.to_holders_of_entity,
            targets=tuple(targets),
            create_time=now,
            expire_time=now + ttl,
            trace_id=_trace_id(),
            idempotency_key=draft.idempotency_key,
        )
        reached = tuple(t.department for t in targets if t.status is ReplyStatus.PENDING)
        exchange = LedgerEvent(
            kind=EntryKind.REQUEST,
            sender=requester,
            receivers=reached,
            subject=f"subjects/{draft.subjects[0]}" if len(draft.subjects) == 1 else "",
            record_count=len(draft.entity_keys),
            payload_digest=_digest_of(sorted(draft.entity_keys)),
            reference=request.name,
            trace_id=request.trace_id,
            create_time=now,
            department=requester,
        )
        return self.requests.create(request, [exchange], [inbox_topic(d) for d in reached])

    def _checked_draft(self, draft: RequestDraft) -> RequestDraft:
        found = ViolationCollector()
        view = self.catalog
        if not (draft.target_departments or draft.to_subject_providers or draft.to_holders_of_entity):
            found.add("target_departments", "name targets, or target the subjects' providers or the entities' holders")
        if not draft.subjects and not draft.to_holders_of_entity:
            found.add("subjects", "required unless the request goes to the entities' holders")
        for n, code in enumerate(draft.subjects):
            if code not in view.subject_by_code:
                raise NotFound("subject", f"subjects/{code}", metadata={"field": f"subjects[{n}]"})
        for n, code in enumerate(draft.items):
            item = view.item_by_code.get(code)
            if item is None or (draft.subjects and item.subject_code not in draft.subjects):
                found.add(f"items[{n}]", "not an item of the subjects asked about")
        for n, code in enumerate(draft.target_departments):
            if code not in view.department_by_code:
                found.add(f"target_departments[{n}]", f"no department {code!r} in the catalog")
        entity_keys = draft.entity_keys
        if draft.kind is RequestKind.VERIFY:
            if not draft.claims:
                found.add("claims", "a VERIFY request needs claims")
            entity_keys = entity_keys or tuple(dict.fromkeys(c.entity_key for c in draft.claims))
            for n, claim in enumerate(draft.claims):
                for code in claim.values:
                    item = view.item_by_code.get(code)
                    if item is None or (draft.subjects and item.subject_code not in draft.subjects):
                        found.add(f"claims[{n}].values", f"{code} is not an item of the subjects asked about")
        elif draft.claims:
            found.add("claims", "only VERIFY requests carry claims")
        if not entity_keys:
            found.add("entity_keys", "name the entities the request is about")
        if len(entity_keys) > MAX_ENTITY_KEYS:
            found.add("entity_keys", f"at most {MAX_ENTITY_KEYS:,}")
        for n, key in enumerate(entity_keys):
            problem = entity_key_problem(key)
            if problem:
                found.add(f"entity_keys[{n}]", problem)
        if draft.time_to_live is not None and not dt.timedelta(0) < draft.time_to_live <= MAX_TIME_TO_LIVE:
            found.add("time_to_live", "must be more than 0 and at most 30 days")
        if len(draft.question) > 2000 or len(draft.purpose) > 1000:
            found.add("question", "question at most 2,000 and purpose at most 1,000 characters")
        if len(draft.idempotency_key) > 128:
            found.add("idempotency_key", "at most 128 characters")
        found.raise_if_any("the request has invalid fields")
        return replace(draft, entity_keys=tuple(dict.fromkeys(entity_keys)))

    def _resolve_targets(self, principal: Principal, requester: str, draft: RequestDraft) -> list[Target]:
        """Every target with the subjects asked of it, checked with the policy before the request reaches it."""
        view = self.catalog
        action = Action.VERIFY if draft.kind is RequestKind.VERIFY else Action.REQUEST
        asked: dict[str, list[str]] = {}
        for code in draft.target_departments:
            asked.setdefault(code, [])
            asked[code] += [s for s in draft.subjects if view.subject_by_code[s].provider == code]
        if draft.to_subject_providers:
            for s in draft.subjects:
                asked.setdefault(view.subject_by_code[s].provider, []).append(s)
        if draft.to_holders_of_entity:
            for _entity, department, subject in self.log.holders(draft.entity_keys):
                if draft.subjects and subject not in draft.subjects:
                    continue
                if not draft.subjects and not self.entitlement(principal, action, subject).any_allowed:
                    continue
                asked.setdefault(department, []).append(subject)
        targets = []
        for department, subjects in sorted(asked.items()):
            subjects = list(dict.fromkeys(subjects))
            if not subjects:
                targets.append(
                    Target(
                        department,
                        ReplyStatus.DENIED,
                        (),
                        denial_reason="NOT_PROVIDER",
                        message=f"{department} provides none of the subjects asked about",
                        final_time=_now(),
                    )
                )
                continue
            allowed: list[str] = []
            denied: list[str] = []
            grants: list[str] = []
            first_denial = ""
            for subject in subjects:
                wanted = [i for i in draft.items if view.item_by_code[i].subject_code == subject]
                if draft.items and not wanted:
                    continue
                entitlement = self.entitlement(principal, action, subject, wanted)
                allowed += list(entitlement.allowed)
                grants += entitlement.grants_for(entitlement.allowed)
                denied += [d.item_code for d in entitlement.denied] if draft.items else []
                if not first_denial and entitlement.denied:
                    first_denial = entitlement.denied[0].reason
            if not allowed:
                targets.append(
                    Target(
                        department,
                        ReplyStatus.DENIED,
                        tuple(subjects),
                        denied_items=tuple(denied),
                        denial_reason=first_denial or "NO_GRANT",
                        message=f"{requester} may receive no item it asked of {department}",
                        final_time=_now(),
                    )
                )
                continue
            targets.append(
                Target(
                    department,
                    ReplyStatus.PENDING,
                    tuple(subjects),
                    items=tuple(dict.fromkeys(allowed)),
                    denied_items=tuple(denied),
                    grants=tuple(dict.fromkeys(grants)),
                )
            )
        return targets

    def _gathered(self, request_id: str, full_view: bool) -> GatheredRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        request = request.as_of(_now())
        if not full_view:
            return GatheredRequest(request, (), True)
        chunks = tuple(self.requests.replies(request_id, limit=100_000))
        total = sum(len(c.records) + len(c.verifications) for c in chunks)
        if total > MAX_GATHERED_RECORDS:
            return GatheredRequest(request, tuple(replace(c, records=(), verifications=()) for c in chunks), True)
        return GatheredRequest(request, chunks, False)

    def _own_request(self, principal: Principal, request_id: str) -> DataRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        if principal.has_role(ADMINISTRATOR):
            return request
        if principal.kind != "department" or principal.code != request.requester:
            raise PermissionDenied(
                f"{request.name} was not sent by {principal}", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        return request

    def get_request(self, principal: Principal, request_id: str, *, full_view: bool) -> GatheredRequest:
        self._own_request(principal, request_id)
        return self._gathered(request_id, full_view)

    def list_requests(
        self, principal: Principal, *, incomplete_only: bool, start_time: dt.datetime | None, offset: int, limit: int
    ) -> tuple[list[DataRequest], bool]:
        requester = self._department(principal)
        found = self.requests.page(
            requester, incomplete_only=incomplete_only, start_time=start_time, offset=offset, limit=limit + 1
        )
        now = _now()
        return [r.as_of(now) for r in found[:limit]], len(found) > limit

    def list_replies(
        self, principal: Principal, request_id: str, *, target: str, offset: int, limit: int
    ) -> tuple[list[ReplyChunk], bool]:
        self._own_request(principal, request_id)
        found = self.requests.replies(request_id, target=target, offset=offset, limit=limit + 1)
        return found[:limit], len(found) > limit

    async def watch_replies(
        self, principal: Principal, request_id: str, after_sequence: int
    ) -> AsyncIterator[ReplyWatch]:
        """Streams new reply chunks and status changes until every target has a final status."""
        request = await asyncio.to_thread(self._own_request, principal, request_id)
        seen = {t.department: t.status for t in request.targets}
        announced = False
        with self.signals.watch(request_topic(request_id)) as wake:
            while True:
                wake.clear()
                chunks = await asyncio.to_thread(self.requests.replies, request_id, after_sequence=after_sequence)
                current = await asyncio.to_thread(self.requests.get, request_id)
                if current is None:
                    raise NotFound("request", f"requests/{request_id}")
                current = current.as_of(_now())
                changed = tuple(t for t in current.targets if seen.get(t.department) is not t.status or not announced)
                if chunks:
                    after_sequence = chunks[-1].sequence
                if chunks or changed or current.complete:
                    yield ReplyWatch(tuple(chunks), changed, current.complete)
                    announced = True
                    seen = {t.department: t.status for t in current.targets}
                if current.complete:
                    return
                await wait(wake, POLL_SECONDS)

    async def stream_inbox(
        self, principal: Principal, subjects: Sequence[str], max_in_flight: int
    ) -> AsyncIterator[list[IncomingRequest]]:
        """Streams the requests waiting for the caller, then new ones; each again on a later stream until answered."""
        department = await asyncio.to_thread(self._department, principal)
        for n, code in enumerate(subjects):
            if code not in self.catalog.subject_by_code:
                raise NotFound("subject", f"subjects/{code}", metadata={"field": f"subjects[{n}]"})
        if max_in_flight < 0:
            raise InvalidArgument("bad max_in_flight", [FieldViolation("max_in_flight", "must not be negative")])
        limit = max_in_flight or DEFAULT_INBOX_IN_FLIGHT
        stream_id = _new_id("i")
        await asyncio.to_thread(
            self.subscriptions.enter, stream_id, "inbox", department, self.replica, _presence_expiry()
        )
        self._streams.add(stream_id)
        self._inboxes[department] += 1
        sent: set[str] = set()
        unanswered: set[str] = set()
        quiet_since = asyncio.get_running_loop().time()
        try:
            with self.signals.watch(inbox_topic(department)) as wake:
                while True:
                    wake.clear()
                    if len(unanswered) >= limit:
                        unanswered = await asyncio.to_thread(
                            self.requests.still_pending, sorted(unanswered), department
                        )
                    room = limit - len(unanswered)
                    waiting = (
                        await asyncio.to_thread(self.requests.inbox, department, subjects, _now(), sent, room)
                        if room > 0
                        else []
                    )
                    if waiting:
                        incoming = await asyncio.to_thread(self._deliver_inbox, department, waiting)
                        sent.update(waiting)
                        unanswered.update(waiting)
                        yield incoming
                        await asyncio.to_thread(self.requests.mark_sent, waiting, department)
                        quiet_since = asyncio.get_running_loop().time()
                        continue
                    if asyncio.get_running_loop().time() - quiet_since >= HEARTBEAT_SECONDS:
                        yield []
                        quiet_since = asyncio.get_running_loop().time()
                    await wait(wake, POLL_SECONDS)
        finally:
            self._streams.discard(stream_id)
            self._inboxes[department] -= 1
            await _quietly(self.subscriptions.leave, stream_id)

    def _deliver_inbox(self, department: str, request_ids: Sequence[str]) -> list[IncomingRequest]:
        incoming = []
        with tracer.start_as_current_span("exchange inbox", attributes={"exchange.target": department}):
            traceparent = _traceparent()
            for request_id in request_ids:
                request = self.requests.get(request_id)
                if request is None:
                    continue
                target = next((t for t in request.targets if t.department == department), None)
                if target is not None and target.status is ReplyStatus.PENDING:
                    # This attempt is counted after it is sent (off the requester's wait).
                    incoming.append(IncomingRequest(request, replace(target, attempt=target.attempt + 1), traceparent))
        return incoming

    async def reply(
        self,
        principal: Principal,
        request_id: str,
        records: Sequence[Record],
        *,
        not_found: Sequence[str],
        partial: bool,
        failed: bool,
        message: str,
        idempotency_key: str,
    ) -> ReplyOutcome:
        """Validates a target's answer and passes on to the requester only what it may receive."""
        outcome = await asyncio.to_thread(
            self._reply, principal, request_id, records, not_found, partial, failed, message, idempotency_key
        )
        self.signals.fire(request_topic(request_id))
        return outcome

    def _reply(
        self,
        principal: Principal,
        request_id: str,
        records: Sequence[Record],
        not_found: Sequence[str],
        partial: bool,
        failed: bool,
        message: str,
        idempotency_key: str,
    ) -> ReplyOutcome:
        department = self._department(principal)
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        target = next((t for t in request.targets if t.department == department), None)
        if target is None:
            raise PermissionDenied(
                f"{request.name} is not addressed to {department}", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        earlier = self.requests.existing_reply(request_id, department, idempotency_key)
        if earlier is not None:
            return _outcome_from(earlier.outcome)
        now = _now()
        if target.status is ReplyStatus.DENIED:
            raise FailedPrecondition(
                f"{department} may not answer {request.name}: the requester may receive nothing from it"
            )
        if target.status.final:
            raise FailedPrecondition(
                f"{department} already answered {request.name} finally",
                reason="ALREADY_ANSWERED",
                domain=EXCHANGE_DOMAIN,
            )
        if request.expire_time is not None and now >= request.expire_time:
            raise FailedPrecondition(
                f"{request.name} expired; replies are refused", reason="EXPIRED", domain=EXCHANGE_DOMAIN
            )
        if failed and (records or not_found):
            raise InvalidArgument(
                "a failed reply carries no records", [FieldViolation("records", "must be empty when failed")]
            )
        if len(records) > MAX_RECORDS_PER_CALL:
            raise InvalidArgument("too many records", [FieldViolation("records", f"at most {MAX_RECORDS_PER_CALL:,}")])
        view = self.catalog
        requested_keys = set(request.entity_keys)
        rejected: list[RecordResult] = []
        accepted: list[Record] = []
        for index, record in enumerate(records):
            violations: list[RecordViolation] = []
            subject = view.subject_by_code.get(record.subject_code)
            if subject is None or record.subject_code not in target.subjects:
                violations.append(RecordViolation("", "SUBJECT", "not a subject this request asked of the caller"))
            else:
                violations += [v for v in envelope_violations(record, now=now) if v.reason != "IDEMPOTENCY_KEY"]
                violations += view.schema(subject).validate(record.values)
                if record.entity_key not in requested_keys:
                    violations.append(RecordViolation("", "ENTITY_KEY", "not an entity the request asked about"))
            if violations:
                rejected.append(RecordResult(index, "INVALID", violations=tuple(violations)))
                continue
            assert subject is not None
            stamped = replace(
                record,
                record_id=f"{request_id}-{department}-{target.record_count + len(accepted) + 1}",
                subject_version=str(subject.version),
                publisher=department,
                publish_time=now,
                trace_id=_trace_id(),
            )
            accepted.append(replace(stamped, digest=record_digest(stamped)))
        requester = Principal("department", request.requester)
        action = Action.VERIFY if request.kind is RequestKind.VERIFY else Action.REQUEST
        asked_items = set(target.items)
        passed: list[Record] = []
        withheld = 0
        verifications: list[VerificationResult] = []
        entitlements = {
            code: self.entitlement(requester, action, code).narrowed_to(asked_items) for code in target.subjects
        }
        for record in accepted:
            filtered = filter_record(
                record, entitlements[record.subject_code], requested=record.entity_key in requested_keys
            )
            if filtered.narrowed:
                withheld += 1
            if filtered.record is not None:
                passed.append(filtered.record)
        if request.kind is RequestKind.VERIFY:

            def verifiable(record: Record) -> frozenset[str]:
                row = Row(record.division_code, record.entity_key, record.entity_key in requested_keys)
                return entitlements[record.subject_code].visible_items(row)

            keys_here = {r.entity_key for r in accepted} | set(not_found)
            claims = [c for c in request.claims if c.entity_key in keys_here]
            verifications = verify_claims(claims, accepted, not_found, verifiable)
            passed = []
        chunk = ReplyChunk(
            request_id,
            department,
            0,
            tuple(passed),
            tuple(verifications),
            tuple(dict.fromkeys(not_found)),
            final=not partial or failed,
            failed=failed,
            message=message[:2000],
            trace_id=_trace_id(),
        )
        carried = len(passed) + len(verifications)
        outcome = ReplyOutcome(len(accepted), withheld, tuple(rejected))
        stored_outcome = {
            "accepted": outcome.accepted,
            "withheld": outcome.withheld,
            "rejected": [
                {"index": r.index, "violations": [[v.item_code, v.reason, v.description] for v in r.violations]}
                for r in rejected
            ],
        }
        subject_name = (
            f"subjects/{(passed[0].subject_code if passed else target.subjects[0])}" if target.subjects else ""
        )
        digests = [r.digest for r in passed] or [_digest_of([[v.entity_key, v.verdict.value] for v in verifications])]

        def exchanges(sequence: int) -> list[LedgerEvent]:
            return [
                LedgerEvent(
                    kind=EntryKind.REPLY,
                    sender=department,
                    receivers=(request.requester,),
                    subject=subject_name,
                    record_count=carried,
                    payload_digest=payload_digest(digests),
                    reference=f"{request.name}/replies/{sequence}",
                    trace_id=chunk.trace_id,
                    create_time=now,
                    department=department,
                    exchanged=carried,
                )
            ]

        self.requests.add_reply(
            request_id,
            chunk,
            record_count=carried,
            idempotency_key=idempotency_key,
            outcome=stored_outcome,
            now=now,
            exchanges=exchanges,
            notify=[request_topic(request_id)],
        )
        return outcome

    # -- reference directory -----------------------------------------------------------------

    def locate_entity(self, principal: Principal, entity_key: str, subjects: Sequence[str]) -> list[Holding]:
        """Holdings of subjects the caller may request at least one item of; nothing else is said."""
        self._department(principal)
        problem = entity_key_problem(entity_key)
        if problem:
            raise InvalidArgument("bad entity key", [FieldViolation("entity_key", problem)])
        for n, code in enumerate(subjects):
            self._subject(code, f"subjects[{n}]")
        wanted = set(subjects)
        holdings = [h for h in self.log.holdings(entity_key) if not wanted or h.subject_code in wanted]
        knowable = {
            code: self.entitlement(principal, Action.REQUEST, code).any_allowed
            for code in {h.subject_code for h in holdings}
        }
        return sorted(
            (h for h in holdings if knowable[h.subject_code]),
            key=lambda h: (h.department, h.subject_code, h.source.value),
        )

    def _provided_subject(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> str:
        department = self._department(principal)
        subject = self._subject(subject_code)
        if subject.provider != department:
            raise PermissionDenied(
                f"only {subject.provider} holds subjects/{subject.code} as its provider",
                reason="NOT_PROVIDER",
                domain=AUTHZ_DOMAIN,
            )
        found = ViolationCollector()
        if not entity_keys:
            found.add("entity_keys", "name at least one entity")
        if len(entity_keys) > MAX_ENTITY_KEYS:
            found.add("entity_keys", f"at most {MAX_ENTITY_KEYS:,}")
        for n, key in enumerate(entity_keys):
            problem = entity_key_problem(key)
            if problem:
                found.add(f"entity_keys[{n}]", problem)
        found.raise_if_any()
        return department

    def register_holdings(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> int:
        department = self._provided_subject(principal, subject_code, entity_keys)
        return self.log.register(department, subject_code, entity_keys, _now())

    def unregister_holdings(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> int:
        department = self._provided_subject(principal, subject_code, entity_keys)
        return self.log.unregister(department, subject_code, entity_keys)

    # -- the ledger --------------------------------------------------------------------------

    def chain_ledger(self, *, wait: bool = True) -> int:
        """Chains what was staged; returns how many entries were appended.

        Readers wait for a chainer busy on another replica, so they see every exchange committed
        before they asked; the background chainer does not.
        """
        total = 0
        while True:
            appended = self.ledger.chain_pending(wait=wait)
            total += appended
            if not appended:
                return total

    def list_ledger_entries(self, principal: Principal, where: EntryFilter, limit: int) -> list[LedgerEntry]:
        if not self._sees_everything(principal):
            own = self._department(principal)
            if where.department and where.department != own:
                raise PermissionDenied(
                    "a department reads only the ledger entries it sent or received",
                    reason="NOT_OWNER",
                    domain=AUTHZ_DOMAIN,
                )
            where = replace(where, visible_to=own)
        self.chain_ledger()
        return self.ledger.entries(where, limit)

    def verify_ledger(
        self,
        principal: Principal,
        *,
        start_sequence: int,
        end_sequence: int,
        expected_previous_hash: str,
        anchors: Mapping[int, str],
    ) -> Verification:
        if not self._sees_everything(principal):
            raise PermissionDenied(
                "verifying the ledger needs the auditor or hub-administrator role",
                reason="ROLE_REQUIRED",
                domain=AUTHZ_DOMAIN,
            )
        found = ViolationCollector()
        if start_sequence < 0 or end_sequence < 0 or (end_sequence and end_sequence < start_sequence):
            found.add("end_sequence", "the range must be 1 ≤ start ≤ end")
        if expected_previous_hash and not _is_hex_digest(expected_previous_hash):
            found.add("expected_previous_hash", "must be 64 hex digits")
        for sequence, digest in anchors.items():
            if sequence < 1 or not _is_hex_digest(digest):
                found.add("anchors", "each anchor is a sequence from 1 and a 64-hex-digit hash")
        found.raise_if_any()
        self.chain_ledger()
        start = start_sequence or 1
        previous = expected_previous_hash or (GENESIS_HASH if start == 1 else "")
        end = end_sequence or self.ledger.head()[0]
        return verify_chain(
            self.ledger.walk(start, end),
            start_sequence=start,
            expected_previous_hash=previous,
            # Anchors past an end the caller chose are outside the question; past the head, they mean a cut.
            anchors={s: h for s, h in anchors.items() if s >= start and not (end_sequence and s > end_sequence)},
        )

    def ledger_stats(
        self,
        principal: Principal,
        dimensions: Sequence[StatsDimension],
        where: StatsFilter,
        offset: int,
        limit: int,
    ) -> StatsPage:
        if not self._sees_everything(principal):
            own = self._department(principal)
            if where.department and where.department != own:
                raise PermissionDenied(
                    "a department reads only its own ledger statistics", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
                )
            where = replace(where, department=own)
        if len(set(dimensions)) != len(dimensions):
            raise InvalidArgument("repeated dimension", [FieldViolation("group_by", "each dimension at most once")])
        self.chain_ledger()
        groups: dict[tuple[str, ...], StatsRow] = {}
        total = StatsRow()
        for key, kind, records, exchanged, entries in self.ledger.stats(dimensions, where):
            row = groups.get(key)
            if row is None:
                labels = dict(zip(dimensions, key, strict=True))
                row = groups[key] = StatsRow(
                    department=labels.get(StatsDimension.DEPARTMENT, ""),
                    subject=labels.get(StatsDimension.SUBJECT, ""),
                    day=labels.get(StatsDimension.DAY, ""),
                    key=key,
                )
            row.add(kind, records, exchanged, entries)
            total.add(kind, records, exchanged, entries)
        ordered = [groups[k] for k in sorted(groups)]
        page = ordered[offset : offset + limit]
        return StatsPage(page, total, offset + limit if offset + limit < len(ordered) else 0)

    # -- upkeep ------------------------------------------------------------------------------

    def keep_alive(self) -> None:
        """Extends this replica's streams in the presence table."""
        self.subscriptions.keep_alive(sorted(self._streams), _presence_expiry(), _now())

    def maintain(self) -> None:
        """Times out expired requests, skips suspended subscriptions past what they may not receive, measures lag."""
        self.requests.expire(_now())
        lag: dict[str, ConsumerLag] = {}
        offset = 0
        while True:
            page = self.subscriptions.page(subscriber="", subject="", offset=offset, limit=500)
            for subscription in page:
                receiver = Principal("department", subscription.subscriber)
                entitlement = self.entitlement(
                    receiver, Action.SUBSCRIBE, subscription.subject_code, subscription.items
                )
                if not entitlement.any_allowed:
                    self.subscriptions.advance(subscription)
                lag[subscription.id] = self.subscriptions.lag(subscription, _now())
            if len(page) < 500:
                break
            offset += 500
        self._lag = lag

    @property
    def lag_by_subscription(self) -> Mapping[str, ConsumerLag]:
        """Each subscription's lag as the last upkeep measured it."""
        return self._lag


# Instruments are made once per process; the lag gauge reads every exchange the process runs.
_LIVE: weakref.WeakSet[Exchange] = weakref.WeakSet()
_PUBLISHED = meter.create_counter("govmesh.exchange.records.published", description="records committed")
_DELIVERED = meter.create_counter("govmesh.exchange.records.delivered", description="deliveries sent")
_ACKNOWLEDGED = meter.create_counter("govmesh.exchange.records.acknowledged", description="deliveries acknowledged")


def _observe_lag(_options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
    for exchange in list(_LIVE):
        for subscription_id, lag in exchange.lag_by_subscription.items():
            yield metrics.Observation(lag.pending_count + lag.in_flight_count, {"subscription": subscription_id})


meter.create_observable_gauge(
    "govmesh.exchange.consumer_lag",
    callbacks=[_observe_lag],
    description="records committed for a subscription and not yet acknowledged",
)


def _presence_expiry() -> dt.datetime:
    return _now() + dt.timedelta(seconds=PRESENCE_SECONDS)


async def _quietly(function: Callable[..., object], *args: object) -> None:
    """Cleanup that must not hide the error that ended a stream (or fail while the database is away)."""
    try:
        await asyncio.shield(asyncio.to_thread(function, *args))
    except Exception:  # the entry expires by itself within seconds
        log.debug("cleanup of %s failed", getattr(function, "__name__", function), exc_info=True)


def _is_hex_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _outcome_from(stored: Mapping[str, object]) -> ReplyOutcome:
    rejected = tuple(
        RecordResult(
            int(r["index"]),
            "INVALID",
            violations=tuple(RecordViolation(*v) for v in r["violations"]),
        )
        for r in stored.get("rejected", [])  # type: ignore[attr-defined]
    )
    return ReplyOutcome(int(stored["accepted"]), int(stored["withheld"]), rejected)  # type: ignore[call-overload]


_DENIAL_TEXT = {
    "NO_GRANT": "conditional: no grant names the subscriber and this item",
    "NOT_SHAREABLE": "not shared: it never leaves its provider",
    "GRANT_EXPIRED": "the grant that named it has expired",
    "GRANT_REVOKED": "the grant that named it was revoked",
    "GRANT_PENDING": "the grant that names it is not approved yet",
    "GRANT_NOT_YET_VALID": "the grant that names it starts later",
    "ACTION_NOT_GRANTED": "a grant names it, but not for this action",
    "UNKNOWN_PRINCIPAL": "the subscriber is not registered with the hub",
    "UNKNOWN_ITEM": "no such item in the subject",
    "ROW_OUT_OF_SCOPE": "no row lies within the grant's row scope",
}


def _denial_text(reason: str) -> str:
    return _DENIAL_TEXT.get(reason, reason.lower().replace("_", " "))
