"""Replies: the inbox a target answers from, answers filtered to what the requester may receive, reading them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from govmesh.kernel.catalog.validation import RecordViolation
from govmesh.runtime.clock import now as utc_now
from govmesh.runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, token_for
from govmesh.runtime.unit_of_work import Database
from govmesh.services.exchange.domain.ledger import Occasion, digest_of, reply_event
from govmesh.services.exchange.domain.policy import Row, filter_record
from govmesh.services.exchange.domain.records import Record, envelope_violations, payload_digest, record_digest
from govmesh.services.exchange.domain.requests import (
    DEFAULT_INBOX_IN_FLIGHT,
    DataRequest,
    IncomingRequest,
    ReplyChunk,
    ReplyStatus,
    RequestKind,
    Target,
    VerificationResult,
    verify_claims,
)
from govmesh.services.exchange.persistence.ledger import stage
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.signals import Signals, inbox_topic, request_topic, wait
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers
from govmesh.services.exchange.usecases.common import (
    EXCHANGE_DOMAIN,
    HEARTBEAT_SECONDS,
    MAX_RECORDS_PER_CALL,
    POLL_SECONDS,
    Presence,
    new_id,
    occasion,
    quietly,
    traceparent,
    tracer,
)
from govmesh.services.exchange.usecases.results import RecordResult, ReplyOutcome, ReplyWatch


@dataclass(frozen=True)
class Answer:
    """What a target sends back for one request."""

    records: Sequence[Record]
    not_found: Sequence[str]
    partial: bool
    failed: bool
    message: str
    idempotency_key: str


class Replies:
    def __init__(
        self,
        callers: Callers,
        database: Database,
        requests: RequestStore,
        subscriptions: SubscriptionStore,
        signals: Signals,
        presence: Presence,
    ):
        self.callers = callers
        self.database = database
        self.requests = requests
        self.subscriptions = subscriptions
        self.signals = signals
        self.presence = presence

    # -- the inbox ---------------------------------------------------------------------------

    async def stream_inbox(
        self, principal: Principal, subjects: Sequence[str], max_in_flight: int
    ) -> AsyncIterator[list[IncomingRequest]]:
        """Streams the requests waiting for the caller, then new ones; each again on a later stream until answered."""
        department = await asyncio.to_thread(self.callers.department, principal)
        for n, code in enumerate(subjects):
            if code not in self.callers.catalog.subject_by_code:
                raise NotFound("subject", f"subjects/{code}", metadata={"field": f"subjects[{n}]"})
        if max_in_flight < 0:
            raise InvalidArgument("bad max_in_flight", [FieldViolation("max_in_flight", "must not be negative")])
        limit = max_in_flight or DEFAULT_INBOX_IN_FLIGHT
        stream_id = new_id("i")
        await asyncio.to_thread(
            self.subscriptions.enter, stream_id, "inbox", department, self.presence.replica, Presence.expiry()
        )
        self.presence.streams.add(stream_id)
        self.presence.inboxes[department] += 1
        try:
            async for incoming in self._inbox(department, subjects, limit):
                yield incoming
        finally:
            self.presence.streams.discard(stream_id)
            self.presence.inboxes[department] -= 1
            await quietly(self.subscriptions.leave, stream_id)

    async def _inbox(
        self, department: str, subjects: Sequence[str], limit: int
    ) -> AsyncIterator[list[IncomingRequest]]:
        sent: set[str] = set()
        unanswered: set[str] = set()
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        with self.signals.watch(inbox_topic(department)) as wake:
            while True:
                wake.clear()
                if len(unanswered) >= limit:
                    unanswered = await asyncio.to_thread(self.requests.still_pending, sorted(unanswered), department)
                room = limit - len(unanswered)
                waiting, incoming = (
                    await asyncio.to_thread(self._deliver_inbox, department, subjects, sent, room)
                    if room > 0
                    else ([], [])
                )
                if waiting:
                    sent.update(waiting)
                    unanswered.update(waiting)
                    yield incoming
                    await asyncio.to_thread(self.requests.mark_sent, waiting, department)
                    quiet_since = loop.time()
                    continue
                if loop.time() - quiet_since >= HEARTBEAT_SECONDS:
                    yield []
                    quiet_since = loop.time()
                await wait(wake, POLL_SECONDS)

    def _deliver_inbox(
        self, department: str, subjects: Sequence[str], sent: set[str], room: int
    ) -> tuple[list[str], list[IncomingRequest]]:
        """The ids of the requests waiting for the department (not sent on this stream yet) and the requests.

        One hop off the event loop for both: a request reaches its target sooner.
        """
        request_ids = self.requests.inbox(department, subjects, utc_now(), sent, room)
        if not request_ids:
            return [], []
        incoming = []
        with tracer.start_as_current_span("exchange inbox", attributes={"exchange.target": department}):
            parent = traceparent()
            for request_id in request_ids:
                request = self.requests.get(request_id)
                if request is None:
                    continue
                target = next((t for t in request.targets if t.department == department), None)
                if target is not None and target.status is ReplyStatus.PENDING:
                    # This attempt is counted after it is sent (off the requester's wait).
                    incoming.append(IncomingRequest(request, replace(target, attempt=target.attempt + 1), parent))
        return list(request_ids), incoming

    # -- answering ---------------------------------------------------------------------------

    async def reply(self, principal: Principal, request_id: str, answer: Answer) -> ReplyOutcome:
        """Validates a target's answer and passes on to the requester only what it may receive."""
        outcome = await asyncio.to_thread(self._reply, principal, request_id, answer)
        self.signals.fire(request_topic(request_id))
        return outcome

    def _reply(self, principal: Principal, request_id: str, answer: Answer) -> ReplyOutcome:
        department = self.callers.department(principal)
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        target = next((t for t in request.targets if t.department == department), None)
        if target is None:
            raise PermissionDenied(
                f"{request.name} is not addressed to {department}", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        earlier = self.requests.existing_reply(request_id, department, answer.idempotency_key)
        if earlier is not None:
            return ReplyOutcome.from_stored(earlier.outcome)
        when = occasion()
        _check_answerable(request, target, answer, when.create_time)
        accepted, rejected = self._validated(request, target, answer.records, when)
        # A target routed by master record said so in its own keys; the requester hears the keys it asked by.
        not_found = target.as_asked(answer.not_found)
        passed, withheld, verifications = self._for_requester(request, target, accepted, not_found)
        chunk = ReplyChunk(
            request_id,
            department,
            0,
            tuple(passed),
            tuple(verifications),
            tuple(dict.fromkeys(not_found)),
            final=not answer.partial or answer.failed,
            failed=answer.failed,
            message=answer.message[:2000],
            trace_id=when.trace_id,
        )
        outcome = ReplyOutcome(len(accepted), withheld, tuple(rejected))
        carried = len(passed) + len(verifications)
        subject = f"subjects/{(passed[0].subject_code if passed else target.subjects[0])}" if target.subjects else ""
        digests = [r.digest for r in passed] or [digest_of([[v.entity_key, v.verdict.value] for v in verifications])]
        with self.database.unit_of_work() as work:
            stored = self.requests.add_reply(
                work.conn,
                request_id,
                chunk,
                record_count=carried,
                idempotency_key=answer.idempotency_key,
                outcome=outcome.stored(),
                now=when.create_time,
            )
            reply = f"{request.name}/replies/{stored.sequence}"
            digest = payload_digest(digests)
            stage(work.conn, [reply_event(reply, department, request.requester, subject, carried, digest, when)])
            work.notify(request_topic(request_id))
        return outcome

    def _validated(
        self, request: DataRequest, target: Target, records: Sequence[Record], when: Occasion
    ) -> tuple[list[Record], list[RecordResult]]:
        """The records that fit the request, stamped with the hub's fields and the asked keys, and the rejected ones."""
        view = self.callers.catalog
        requested_keys = set(target.entity_keys(request.entity_keys))
        rejected: list[RecordResult] = []
        accepted: list[Record] = []
        for index, record in enumerate(records):
            violations: list[RecordViolation] = []
            subject = view.subject_by_code.get(record.subject_code)
            if subject is None or record.subject_code not in target.subjects:
                violations.append(RecordViolation("", "SUBJECT", "not a subject this request asked of the caller"))
            else:
                now = when.create_time
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
                entity_key=target.as_asked([record.entity_key])[0],
                record_id=f"{request.id}-{target.department}-{target.record_count + len(accepted) + 1}",
                subject_version=str(subject.version),
                publisher=target.department,
                publish_time=when.create_time,
                trace_id=when.trace_id,
            )
            accepted.append(replace(stamped, digest=record_digest(stamped)))
        return accepted, rejected

    def _for_requester(
        self, request: DataRequest, target: Target, accepted: Sequence[Record], not_found: Sequence[str]
    ) -> tuple[list[Record], int, list[VerificationResult]]:
        """The records the requester may receive, how many were narrowed, and the verdicts of a VERIFY request."""
        requested_keys = set(request.entity_keys)
        entitlements = self.callers.requester_entitlements(request, target)
        passed: list[Record] = []
        withheld = 0
        for record in accepted:
            filtered = filter_record(
                record, entitlements[record.subject_code], requested=record.entity_key in requested_keys
            )
            if filtered.narrowed:
                withheld += 1
            if filtered.record is not None:
                passed.append(filtered.record)
        if request.kind is not RequestKind.VERIFY:
            return passed, withheld, []

        def verifiable(record: Record) -> frozenset[str]:
            row = Row(record.division_code, record.entity_key, record.entity_key in requested_keys)
            return entitlements[record.subject_code].visible_items(row)

        keys_here = {r.entity_key for r in accepted} | set(not_found)
        claims = [c for c in request.claims if c.entity_key in keys_here]
        return [], withheld, verify_claims(claims, accepted, not_found, verifiable, target.subjects)

    # -- reading replies ---------------------------------------------------------------------

    def list_replies(
        self, principal: Principal, request_id: str, *, target: str, page: PageRequest
    ) -> Page[ReplyChunk]:
        request = self.callers.own_request(principal, request_id)
        found = self.requests.replies(request_id, target=target, offset=page.offset, limit=page.size + 1)
        more = len(found) > page.size
        shown = self.callers.readable_replies(request, found[: page.size])
        return Page(shown, token_for(page.offset + page.size) if more else "", -1)

    async def watch_replies(
        self, principal: Principal, request_id: str, after_sequence: int
    ) -> AsyncIterator[ReplyWatch]:
        """Streams new reply chunks and status changes until every target has a final status."""
        request = await asyncio.to_thread(self.callers.own_request, principal, request_id)
        seen = {t.department: t.status for t in request.targets}
        announced = False
        with self.signals.watch(request_topic(request_id)) as wake:
            while True:
                wake.clear()
                chunks = await asyncio.to_thread(self.requests.replies, request_id, after_sequence=after_sequence)
                current = await asyncio.to_thread(self.requests.get, request_id)
                if current is None:
                    raise NotFound("request", f"requests/{request_id}")
                current = current.as_of(utc_now())
                changed = tuple(t for t in current.targets if seen.get(t.department) is not t.status or not announced)
                if chunks:
                    after_sequence = chunks[-1].sequence
                if chunks or changed or current.complete:
                    readable = await asyncio.to_thread(self.callers.readable_replies, current, chunks)
                    yield ReplyWatch(tuple(readable), changed, current.complete)
                    announced = True
                    seen = {t.department: t.status for t in current.targets}
                if current.complete:
                    return
                await wait(wake, POLL_SECONDS)


def _check_answerable(request: DataRequest, target: Target, answer: Answer, now: dt.datetime) -> None:
    """Refuses an answer the target may not give now, or one that contradicts itself."""
    department = target.department
    if target.status is ReplyStatus.DENIED:
        raise FailedPrecondition(
            f"{department} may not answer {request.name}: the requester may receive nothing from it"
        )
    if target.status.final:
        raise FailedPrecondition(
            f"{department} already answered {request.name} finally", reason="ALREADY_ANSWERED", domain=EXCHANGE_DOMAIN
        )
    if request.expire_time is not None and now >= request.expire_time:
        raise FailedPrecondition(
            f"{request.name} expired; replies are refused", reason="EXPIRED", domain=EXCHANGE_DOMAIN
        )
    if answer.failed and (answer.records or answer.not_found):
        raise InvalidArgument(
            "a failed reply carries no records", [FieldViolation("records", "must be empty when failed")]
        )
    if len(answer.records) > MAX_RECORDS_PER_CALL:
        raise InvalidArgument("too many records", [FieldViolation("records", f"at most {MAX_RECORDS_PER_CALL:,}")])
