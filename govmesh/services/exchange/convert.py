"""Translation between the exchange.v1 messages and the exchange's domain model."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog import convert as catalog_convert
from govmesh.kernel.catalog.validation import RecordViolation, TypedValue
from govmesh.runtime import wellknown
from govmesh.runtime.errors import FieldViolation, InvalidArgument, ViolationCollector
from govmesh.runtime.protoenum import EnumMapping
from govmesh.services.exchange.domain.directory import Holding, HoldingSource
from govmesh.services.exchange.domain.ledger import LedgerEntry, LedgerProblem, StatsDimension, StatsRow, Verification
from govmesh.services.exchange.domain.policy import ItemDecision, RowScope
from govmesh.services.exchange.domain.records import Record
from govmesh.services.exchange.domain.requests import (
    OPERANDS,
    Claim,
    DataRequest,
    IncomingRequest,
    Operator,
    Predicate,
    ReplyChunk,
    ReplyStatus,
    RequestKind,
    Target,
    Verdict,
    VerificationResult,
    WaitMode,
)
from govmesh.services.exchange.domain.subscriptions import (
    DEFAULT_ACK_DEADLINE,
    DEFAULT_MAX_ATTEMPTS,
    ConsumerLag,
    DeadLetter,
    DeadLetterReason,
    Delivery,
    Nack,
    RowFilter,
    Subscription,
    SubscriptionState,
    cursor_of,
)
from govmesh.services.exchange.usecases import GatheredRequest, RecordResult, RequestDraft

STATE = EnumMapping(pb.SubscriptionState, SubscriptionState, "SUBSCRIPTION_STATE")
DEAD_REASON = EnumMapping(pb.DeadLetterReason, DeadLetterReason, "DEAD_LETTER_REASON")
KIND = EnumMapping(pb.RequestKind, RequestKind, "REQUEST_KIND")
WAIT = EnumMapping(pb.WaitMode, WaitMode, "WAIT_MODE")
REPLY_STATUS = EnumMapping(pb.ReplyStatus, ReplyStatus, "REPLY_STATUS")
VERDICT = EnumMapping(pb.Verdict, Verdict, "VERDICT")
OPERATOR = EnumMapping(pb.PredicateOperator, Operator, "PREDICATE_OPERATOR")
HOLDING_SOURCE = EnumMapping(pb.HoldingSource, HoldingSource, "HOLDING_SOURCE")
PROBLEM = EnumMapping(pb.LedgerProblem, LedgerProblem, "LEDGER_PROBLEM")
DIMENSION = EnumMapping(pb.LedgerStatsDimension, StatsDimension, "LEDGER_STATS_DIMENSION")

# The domain's value kinds → the FieldValue field that carries them.
_VALUE_FIELDS = {kind: field for field, kind in catalog_convert.VALUE_KINDS.items()}


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    return catalog_convert.timestamp(value)


def moment(stamp: Timestamp, field: str = "time") -> dt.datetime:
    return wellknown.moment(stamp, field)


def optional_moment(message: object, field: str) -> dt.datetime | None:
    return wellknown.optional_moment(message, field)


def duration(value: dt.timedelta) -> Duration:
    made = Duration()
    made.FromTimedelta(value)
    return made


# -- names -------------------------------------------------------------------------------------


def subject_code(name: str, field: str) -> str:
    if not name:
        raise InvalidArgument("subject missing", [FieldViolation(field, "is required, as subjects/{code}")])
    return catalog_convert.subject_code_of(name, field)


def subscription_id(name: str, field: str = "name") -> str:
    return catalog_convert.parse_name(name, field, "subscriptions")[0]


def request_id(name: str, field: str = "name") -> str:
    return catalog_convert.parse_name(name, field, "requests")[0]


def subject_codes(names: Sequence[str], field: str) -> tuple[str, ...]:
    return tuple(subject_code(name, f"{field}[{n}]") for n, name in enumerate(names))


# -- records -----------------------------------------------------------------------------------


def values_of(values: Mapping[str, cpb.FieldValue]) -> dict[str, TypedValue]:
    """A record's values as the domain validates them; an unset oneof counts as an empty string."""
    found: dict[str, TypedValue] = {}
    # Indexing by key is faster than the map's items() view, which is built in Python.
    for code in values:
        value = values[code]
        which = value.WhichOneof("kind")
        if which is None:
            found[code] = ("string", "")
        elif which == "datetime_value":
            found[code] = ("datetime", wellknown.moment(value.datetime_value, f"values[{code}].datetime_value"))
        else:
            found[code] = (catalog_convert.VALUE_KINDS[which], getattr(value, which))
    return found


def record_from_proto(message: pb.Record, path: str) -> Record:
    return Record(
        subject_code=subject_code(message.subject, f"{path}.subject"),
        entity_key=message.entity_key,
        division_code=message.division_code,
        event_time=optional_moment(message, "event_time"),
        values=values_of(message.values),
        idempotency_key=message.idempotency_key,
    )


def records_from_proto(messages: Iterable[pb.Record], path: str = "records") -> list[Record]:
    return [record_from_proto(m, f"{path}[{n}]") for n, m in enumerate(messages)]


def fill_values(target: object, values: Mapping[str, TypedValue]) -> None:
    """Writes typed values into a `map<string, FieldValue>`."""
    for code, (kind, value) in values.items():
        slot = target[code]  # type: ignore[index]
        if kind == "datetime":
            slot.datetime_value.FromDatetime(value)
        else:
            setattr(slot, _VALUE_FIELDS[kind], value)


def record_to_proto(record: Record) -> pb.Record:
    message = pb.Record(
        record_id=record.record_id,
        subject=f"subjects/{record.subject_code}",
        subject_version=record.subject_version,
        entity_key=record.entity_key,
        division_code=record.division_code,
        idempotency_key=record.idempotency_key,
        publisher=record.publisher,
        digest=record.digest,
    )
    if record.event_time is not None:
        message.event_time.FromDatetime(record.event_time)
    if record.publish_time is not None:
        message.publish_time.FromDatetime(record.publish_time)
    fill_values(message.values, record.values)
    return message


def violation_to_proto(v: RecordViolation) -> cpb.Violation:
    return cpb.Violation(item_code=v.item_code, reason=v.reason, description=v.description)


def result_to_proto(result: RecordResult) -> pb.RecordResult:
    return pb.RecordResult(
        index=result.index,
        status=pb.RecordStatus.Value(f"RECORD_STATUS_{result.status}"),  # type: ignore[arg-type]
        record_id=result.record_id,
        digest=result.digest,
        violations=[violation_to_proto(v) for v in result.violations],
        subject_version=result.subject_version,
    )


# -- decisions ---------------------------------------------------------------------------------


def reason_code(reason: str) -> int:
    try:
        return int(apb.ReasonCode.Value(f"REASON_CODE_{reason}"))
    except ValueError:
        return 0


def row_scope_to_proto(scope: RowScope) -> apb.RowScope:
    return apb.RowScope(
        all_rows=scope.all_rows,
        division_codes=list(scope.division_codes),
        entity_keys=sorted(scope.entity_keys),
        requested_entities_only=scope.requested_entities_only,
    )


def item_decision_to_proto(decision: ItemDecision) -> apb.ItemDecision:
    return apb.ItemDecision(
        subject=f"subjects/{decision.subject_code}",
        item=decision.item_code,
        decision=apb.DECISION_ALLOW if decision.allowed else apb.DECISION_DENY,
        reason=reason_code(decision.reason),  # type: ignore[arg-type]
        sharing_type=catalog_convert.SHARING.to_proto(decision.sharing_type) if decision.sharing_type else 0,  # type: ignore[arg-type]
        row_scope=row_scope_to_proto(decision.row_scope) if decision.allowed else None,
        grants=list(decision.grants),
    )


# -- subscriptions -----------------------------------------------------------------------------


def subscription_from_proto(message: pb.Subscription, subscription_id_text: str) -> Subscription:
    return Subscription(
        id=subscription_id_text,
        subject_code=subject_code(message.subject, "subscription.subject"),
        subscriber="",
        items=tuple(dict.fromkeys(message.items)),
        row_filter=RowFilter(
            tuple(dict.fromkeys(message.row_filter.division_codes)), frozenset(message.row_filter.entity_keys)
        ),
        start_time=optional_moment(message, "start_time"),
        ack_deadline=(
            wellknown.span(message.ack_deadline, "ack_deadline")
            if message.HasField("ack_deadline")
            else DEFAULT_ACK_DEADLINE
        ),
        max_attempts=message.max_attempts or DEFAULT_MAX_ATTEMPTS,
        description=message.description,
    )


def lag_to_proto(lag: ConsumerLag) -> pb.ConsumerLag:
    return pb.ConsumerLag(
        pending_count=lag.pending_count,
        in_flight_count=lag.in_flight_count,
        dead_letter_count=lag.dead_letter_count,
        oldest_unacknowledged_age=duration(lag.oldest_unacknowledged_age),
        last_acknowledge_time=timestamp(lag.last_acknowledge_time),
        acknowledged_count=lag.acknowledged_count,
        open_streams=lag.open_streams,
    )


def subscription_to_proto(s: Subscription) -> pb.Subscription:
    message = pb.Subscription(
        name=s.name,
        subject=f"subjects/{s.subject_code}",
        subscriber=s.subscriber,
        items=list(s.items),
        ack_deadline=duration(s.ack_deadline),
        max_attempts=s.max_attempts,
        description=s.description,
        state=STATE.to_proto(s.state),  # type: ignore[arg-type]
        item_decisions=[item_decision_to_proto(d) for d in s.item_decisions],
        start_time=timestamp(s.start_time),
        create_time=timestamp(s.create_time),
    )
    if not s.row_filter.empty:
        message.row_filter.CopyFrom(
            pb.RowFilter(division_codes=list(s.row_filter.division_codes), entity_keys=sorted(s.row_filter.entity_keys))
        )
    if s.lag is not None:
        message.lag.CopyFrom(lag_to_proto(s.lag))
    return message


def delivery_to_proto(d: Delivery) -> pb.Delivery:
    message = pb.Delivery()
    _fill_delivery(message, d, {}, {})
    return message


class RecordProtos:
    """Record messages already built, by record id and digest (which names the items carried).

    A record delivered to several subscribers with the same visible items, or sent again, is
    built once and copied in C afterwards: building messages field by field is most of a
    delivery's cost.
    """

    def __init__(self, capacity: int = 10_000):
        self._capacity = capacity
        self._built: OrderedDict[tuple[str, str], pb.Record] = OrderedDict()

    def get(self, record: Record) -> pb.Record:
        key = (record.record_id, record.digest)
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = record_to_proto(record)
            if len(self._built) > self._capacity:
                self._built.popitem(last=False)
        return found


def subscribe_response(deliveries: Sequence[Delivery], protos: RecordProtos) -> pb.SubscribeResponse:
    """One Subscribe message; records, scopes and times shared by deliveries are built once."""
    response = pb.SubscribeResponse()
    scopes: dict[RowScope, apb.RowScope] = {}
    stamps: dict[dt.datetime, Timestamp] = {}
    for delivery in deliveries:
        message = response.deliveries.add()
        _fill_delivery(message, delivery, scopes, stamps, protos.get(delivery.record))
    return response


def _fill_delivery(
    message: pb.Delivery,
    d: Delivery,
    scopes: dict[RowScope, apb.RowScope],
    stamps: dict[dt.datetime, Timestamp],
    record: pb.Record | None = None,
) -> None:
    message.delivery_id = d.id
    message.subscription = f"subscriptions/{d.subscription_id}"
    message.attempt = d.attempt
    message.cursor = cursor_of(d.sequence)
    message.policy_revision = d.policy_revision
    message.trace_id = d.record.trace_id
    message.traceparent = d.traceparent
    message.record.CopyFrom(record if record is not None else record_to_proto(d.record))
    scope = scopes.get(d.row_scope)
    if scope is None:
        scope = scopes[d.row_scope] = row_scope_to_proto(d.row_scope)
    message.row_scope.CopyFrom(scope)
    if d.grants:
        message.grants.extend(d.grants)
    for field, moment in (("deliver_time", d.deliver_time), ("ack_expire_time", d.ack_expire_time)):
        stamp = stamps.get(moment)
        if stamp is None:
            stamp = stamps[moment] = Timestamp()
            stamp.FromDatetime(moment)
        getattr(message, field).CopyFrom(stamp)


def nacks_from_proto(nacks: Iterable[pb.Nack]) -> list[Nack]:
    return [
        Nack(
            n.delivery_id,
            n.reason,
            wellknown.span(n.retry_delay, "retry_delay") if n.HasField("retry_delay") else dt.timedelta(0),
            n.dead_letter,
        )
        for n in nacks
    ]


def dead_letter_to_proto(d: DeadLetter) -> pb.DeadLetter:
    return pb.DeadLetter(
        name=d.name,
        delivery_id=f"{d.subscription_id}.{d.sequence}",
        record=record_to_proto(d.record) if d.record is not None else None,
        attempts=d.attempts,
        reason=DEAD_REASON.to_proto(d.reason),  # type: ignore[arg-type]
        message=d.message,
        first_deliver_time=timestamp(d.first_deliver_time),
        dead_letter_time=timestamp(d.dead_letter_time),
        trace_id=d.record.trace_id if d.record is not None else "",
    )


# -- requests ----------------------------------------------------------------------------------


def draft_from_proto(request: pb.SendRequestRequest) -> RequestDraft:
    found = ViolationCollector()
    # Unset means READ, as the contract says.
    kind = KIND.optional(request.kind, "kind", found) or RequestKind.READ
    draft = RequestDraft(
        kind=kind,
        subjects=subject_codes(request.subjects, "subjects"),
        items=tuple(dict.fromkeys(request.items)),
        entity_keys=tuple(request.entity_keys),
        claims=tuple(_claim(c, f"claims[{n}]", found) for n, c in enumerate(request.claims)),
        question=request.question,
        parameters=dict(request.parameters),
        purpose=request.purpose,
        target_departments=tuple(dict.fromkeys(request.target_departments)),
        to_subject_providers=request.to_subject_providers,
        to_holders_of_entity=request.to_holders_of_entity,
        time_to_live=wellknown.span(request.time_to_live, "time_to_live") if request.HasField("time_to_live") else None,
        idempotency_key=request.idempotency_key,
    )
    found.raise_if_any()
    return draft


def _claim(claim: pb.Claim, path: str, found: ViolationCollector) -> Claim:
    predicates = []
    for n, predicate in enumerate(claim.predicates):
        where = f"{path}.predicates[{n}]"
        operator = OPERATOR.to_domain(predicate.operator, f"{where}.operator", found)
        low, high = OPERANDS[operator]
        count = len(predicate.operands)
        if count < low or (high is not None and count > high):
            wanted = f"{low}" if low == high else f"at least {low}"
            found.add(f"{where}.operands", f"{operator.name} takes {wanted} operand(s), not {count}")
        if not predicate.item:
            found.add(f"{where}.item", "name the item the predicate is about")
        operands = tuple(values_of({str(i): o for i, o in enumerate(predicate.operands)}).values())
        predicates.append(Predicate(predicate.item, operator, operands))
    return Claim(claim.entity_key, values_of(claim.values), tuple(predicates))


def claim_to_proto(claim: Claim) -> pb.Claim:
    message = pb.Claim(entity_key=claim.entity_key)
    fill_values(message.values, claim.values)
    for predicate in claim.predicates:
        added = message.predicates.add(item=predicate.item_code, operator=OPERATOR.to_proto(predicate.operator))
        for value in predicate.operands:
            fill_values({"": added.operands.add()}, {"": value})
    return message


def verification_to_proto(v: VerificationResult) -> pb.VerificationResult:
    return pb.VerificationResult(
        entity_key=v.entity_key,
        subject=f"subjects/{v.subject_code}" if v.subject_code else "",
        verdict=VERDICT.to_proto(v.verdict),  # type: ignore[arg-type]
        items=[pb.ItemVerdict(item=i.item_code, verdict=VERDICT.to_proto(i.verdict)) for i in v.items],  # type: ignore[arg-type]
    )


def gathered_to_proto(target: Target, chunks: Sequence[ReplyChunk], omitted: bool) -> pb.GatheredReply:
    mine = [c for c in chunks if c.target == target.department]
    message = pb.GatheredReply(
        target=target.department,
        status=REPLY_STATUS.to_proto(target.status),  # type: ignore[arg-type]
        subjects=[f"subjects/{s}" for s in target.subjects],
        record_count=target.record_count,
        records_omitted=omitted and target.record_count > 0,
        denied_items=list(target.denied_items),
        denial_reason=reason_code(target.denial_reason) if target.denial_reason else 0,  # type: ignore[arg-type]
        message=target.message,
        final_time=timestamp(target.final_time),
    )
    for chunk in mine:
        message.records.extend(record_to_proto(r) for r in chunk.records)
        message.verifications.extend(verification_to_proto(v) for v in chunk.verifications)
        message.not_found_entity_keys.extend(chunk.not_found_entity_keys)
    return message


def data_request_to_proto(gathered: GatheredRequest) -> pb.DataRequest:
    r: DataRequest = gathered.request
    return pb.DataRequest(
        name=r.name,
        requester=r.requester,
        kind=KIND.to_proto(r.kind),  # type: ignore[arg-type]
        subjects=[f"subjects/{s}" for s in r.subjects],
        items=list(r.items),
        entity_keys=list(r.entity_keys),
        claims=[claim_to_proto(c) for c in r.claims],
        question=r.question,
        parameters=dict(r.parameters),
        purpose=r.purpose,
        target_departments=list(r.target_departments),
        to_subject_providers=r.to_subject_providers,
        to_holders_of_entity=r.to_holders_of_entity,
        replies=[gathered_to_proto(t, gathered.replies, gathered.omitted) for t in r.targets],
        complete=r.complete,
        create_time=timestamp(r.create_time),
        expire_time=timestamp(r.expire_time),
        trace_id=r.trace_id,
    )


def incoming_to_proto(incoming: IncomingRequest) -> pb.IncomingRequest:
    r, target = incoming.request, incoming.target
    return pb.IncomingRequest(
        request=r.name,
        requester=r.requester,
        kind=KIND.to_proto(r.kind),  # type: ignore[arg-type]
        subjects=[f"subjects/{s}" for s in target.subjects],
        items=list(target.items),
        entity_keys=list(target.entity_keys(r.entity_keys)),
        question=r.question,
        parameters=dict(r.parameters),
        purpose=r.purpose,
        grants=list(target.grants),
        create_time=timestamp(r.create_time),
        expire_time=timestamp(r.expire_time),
        attempt=target.attempt,
        trace_id=r.trace_id,
        traceparent=incoming.traceparent,
    )


def reply_to_proto(chunk: ReplyChunk) -> pb.Reply:
    return pb.Reply(
        name=chunk.name,
        target=chunk.target,
        sequence=chunk.sequence,
        records=[record_to_proto(r) for r in chunk.records],
        verifications=[verification_to_proto(v) for v in chunk.verifications],
        not_found_entity_keys=list(chunk.not_found_entity_keys),
        final=chunk.final,
        failed=chunk.failed,
        message=chunk.message,
        create_time=timestamp(chunk.create_time),
        trace_id=chunk.trace_id,
    )


def status_to_proto(target: Target) -> pb.GatheredReply:
    return gathered_to_proto(target, (), target.record_count > 0)


# -- directory and ledger ----------------------------------------------------------------------


def holding_to_proto(h: Holding) -> pb.Holding:
    return pb.Holding(
        department=h.department,
        subject=f"subjects/{h.subject_code}",
        source=HOLDING_SOURCE.to_proto(h.source),  # type: ignore[arg-type]
        update_time=timestamp(h.update_time),
    )


def ledger_entry_to_proto(e: LedgerEntry) -> pb.LedgerEntry:
    x = e.exchange
    return pb.LedgerEntry(
        sequence=e.sequence,
        kind=pb.LedgerEntryKind.Value(f"LEDGER_ENTRY_KIND_{x.kind.name}"),  # type: ignore[arg-type]
        sender=x.sender,
        receivers=list(x.receivers),
        subject=x.subject,
        record_count=x.record_count,
        payload_digest=x.payload_digest,
        reference=x.reference,
        trace_id=x.trace_id,
        create_time=timestamp(x.create_time),
        previous_hash=e.previous_hash,
        entry_hash=e.entry_hash,
        payload_digest_version=x.payload_digest_version,
    )


def verification_result_to_proto(v: Verification) -> pb.VerifyLedgerResponse:
    return pb.VerifyLedgerResponse(
        ok=v.ok,
        entries_checked=v.entries_checked,
        first_bad_sequence=v.first_bad_sequence,
        problem=PROBLEM.to_proto(v.problem) if v.problem else 0,  # type: ignore[arg-type]
        description=v.description,
        last_sequence=max(v.last_sequence, 0),
        last_hash=v.last_hash,
    )


def stats_row_to_proto(row: StatsRow) -> pb.LedgerStatsRow:
    return pb.LedgerStatsRow(
        department=row.department,
        subject=row.subject,
        day=row.day,
        published_records=row.published_records,
        delivered_records=row.delivered_records,
        acknowledged_records=row.acknowledged_records,
        requests=row.requests,
        replied_records=row.replied_records,
        dead_lettered_records=row.dead_lettered_records,
        exchanged_records=row.exchanged_records,
        entries=row.entries,
    )
