import datetime

from govmesh.contracts.authz.v1 import authz_pb2 as _authz_pb2
from govmesh.contracts.catalog.v1 import catalog_pb2 as _catalog_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_STATUS_UNSPECIFIED: _ClassVar[RecordStatus]
    RECORD_STATUS_ACCEPTED: _ClassVar[RecordStatus]
    RECORD_STATUS_DUPLICATE: _ClassVar[RecordStatus]
    RECORD_STATUS_INVALID: _ClassVar[RecordStatus]
    RECORD_STATUS_CONFLICT: _ClassVar[RecordStatus]

class SubscriptionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTION_STATE_UNSPECIFIED: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_ACTIVE: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_SUSPENDED: _ClassVar[SubscriptionState]

class DeadLetterReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEAD_LETTER_REASON_UNSPECIFIED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_MAX_ATTEMPTS_EXCEEDED: _ClassVar[DeadLetterReason]
    DEAD_LETTER_REASON_REJECTED: _ClassVar[DeadLetterReason]

class RequestKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUEST_KIND_UNSPECIFIED: _ClassVar[RequestKind]
    REQUEST_KIND_READ: _ClassVar[RequestKind]
    REQUEST_KIND_VERIFY: _ClassVar[RequestKind]

class WaitMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WAIT_MODE_UNSPECIFIED: _ClassVar[WaitMode]
    WAIT_MODE_WAIT: _ClassVar[WaitMode]
    WAIT_MODE_ASYNC: _ClassVar[WaitMode]

class ReplyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_STATUS_UNSPECIFIED: _ClassVar[ReplyStatus]
    REPLY_STATUS_PENDING: _ClassVar[ReplyStatus]
    REPLY_STATUS_ANSWERED: _ClassVar[ReplyStatus]
    REPLY_STATUS_FAILED: _ClassVar[ReplyStatus]
    REPLY_STATUS_TIMED_OUT: _ClassVar[ReplyStatus]
    REPLY_STATUS_DENIED: _ClassVar[ReplyStatus]

class RequestView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUEST_VIEW_UNSPECIFIED: _ClassVar[RequestView]
    REQUEST_VIEW_BASIC: _ClassVar[RequestView]
    REQUEST_VIEW_FULL: _ClassVar[RequestView]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_MATCH: _ClassVar[Verdict]
    VERDICT_MISMATCH: _ClassVar[Verdict]
    VERDICT_NO_RECORD: _ClassVar[Verdict]
    VERDICT_NO_VALUE: _ClassVar[Verdict]
    VERDICT_NOT_ALLOWED: _ClassVar[Verdict]

class HoldingSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLDING_SOURCE_UNSPECIFIED: _ClassVar[HoldingSource]
    HOLDING_SOURCE_PUBLISHED: _ClassVar[HoldingSource]
    HOLDING_SOURCE_REGISTERED: _ClassVar[HoldingSource]

class LedgerEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_ENTRY_KIND_UNSPECIFIED: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_PUBLISH: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_DELIVERY: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_ACKNOWLEDGEMENT: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REQUEST: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REPLY: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_DEAD_LETTER: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REPLAY: _ClassVar[LedgerEntryKind]

class LedgerProblem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_PROBLEM_UNSPECIFIED: _ClassVar[LedgerProblem]
    LEDGER_PROBLEM_ENTRY_MODIFIED: _ClassVar[LedgerProblem]
    LEDGER_PROBLEM_CHAIN_BROKEN: _ClassVar[LedgerProblem]
    LEDGER_PROBLEM_SEQUENCE_GAP: _ClassVar[LedgerProblem]
    LEDGER_PROBLEM_ANCHOR_MISMATCH: _ClassVar[LedgerProblem]

class LedgerStatsDimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_STATS_DIMENSION_UNSPECIFIED: _ClassVar[LedgerStatsDimension]
    LEDGER_STATS_DIMENSION_DEPARTMENT: _ClassVar[LedgerStatsDimension]
    LEDGER_STATS_DIMENSION_SUBJECT: _ClassVar[LedgerStatsDimension]
    LEDGER_STATS_DIMENSION_DAY: _ClassVar[LedgerStatsDimension]

class PredicateOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREDICATE_OPERATOR_UNSPECIFIED: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_EQUALS: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_LESS_THAN: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_AT_MOST: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_WITHIN_RANGE: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_ABSENT: _ClassVar[PredicateOperator]
    PREDICATE_OPERATOR_IN_SET: _ClassVar[PredicateOperator]
RECORD_STATUS_UNSPECIFIED: RecordStatus
RECORD_STATUS_ACCEPTED: RecordStatus
RECORD_STATUS_DUPLICATE: RecordStatus
RECORD_STATUS_INVALID: RecordStatus
RECORD_STATUS_CONFLICT: RecordStatus
SUBSCRIPTION_STATE_UNSPECIFIED: SubscriptionState
SUBSCRIPTION_STATE_ACTIVE: SubscriptionState
SUBSCRIPTION_STATE_SUSPENDED: SubscriptionState
DEAD_LETTER_REASON_UNSPECIFIED: DeadLetterReason
DEAD_LETTER_REASON_MAX_ATTEMPTS_EXCEEDED: DeadLetterReason
DEAD_LETTER_REASON_REJECTED: DeadLetterReason
REQUEST_KIND_UNSPECIFIED: RequestKind
REQUEST_KIND_READ: RequestKind
REQUEST_KIND_VERIFY: RequestKind
WAIT_MODE_UNSPECIFIED: WaitMode
WAIT_MODE_WAIT: WaitMode
WAIT_MODE_ASYNC: WaitMode
REPLY_STATUS_UNSPECIFIED: ReplyStatus
REPLY_STATUS_PENDING: ReplyStatus
REPLY_STATUS_ANSWERED: ReplyStatus
REPLY_STATUS_FAILED: ReplyStatus
REPLY_STATUS_TIMED_OUT: ReplyStatus
REPLY_STATUS_DENIED: ReplyStatus
REQUEST_VIEW_UNSPECIFIED: RequestView
REQUEST_VIEW_BASIC: RequestView
REQUEST_VIEW_FULL: RequestView
VERDICT_UNSPECIFIED: Verdict
VERDICT_MATCH: Verdict
VERDICT_MISMATCH: Verdict
VERDICT_NO_RECORD: Verdict
VERDICT_NO_VALUE: Verdict
VERDICT_NOT_ALLOWED: Verdict
HOLDING_SOURCE_UNSPECIFIED: HoldingSource
HOLDING_SOURCE_PUBLISHED: HoldingSource
HOLDING_SOURCE_REGISTERED: HoldingSource
LEDGER_ENTRY_KIND_UNSPECIFIED: LedgerEntryKind
LEDGER_ENTRY_KIND_PUBLISH: LedgerEntryKind
LEDGER_ENTRY_KIND_DELIVERY: LedgerEntryKind
LEDGER_ENTRY_KIND_ACKNOWLEDGEMENT: LedgerEntryKind
LEDGER_ENTRY_KIND_REQUEST: LedgerEntryKind
LEDGER_ENTRY_KIND_REPLY: LedgerEntryKind
LEDGER_ENTRY_KIND_DEAD_LETTER: LedgerEntryKind
LEDGER_ENTRY_KIND_REPLAY: LedgerEntryKind
LEDGER_PROBLEM_UNSPECIFIED: LedgerProblem
LEDGER_PROBLEM_ENTRY_MODIFIED: LedgerProblem
LEDGER_PROBLEM_CHAIN_BROKEN: LedgerProblem
LEDGER_PROBLEM_SEQUENCE_GAP: LedgerProblem
LEDGER_PROBLEM_ANCHOR_MISMATCH: LedgerProblem
LEDGER_STATS_DIMENSION_UNSPECIFIED: LedgerStatsDimension
LEDGER_STATS_DIMENSION_DEPARTMENT: LedgerStatsDimension
LEDGER_STATS_DIMENSION_SUBJECT: LedgerStatsDimension
LEDGER_STATS_DIMENSION_DAY: LedgerStatsDimension
PREDICATE_OPERATOR_UNSPECIFIED: PredicateOperator
PREDICATE_OPERATOR_EQUALS: PredicateOperator
PREDICATE_OPERATOR_LESS_THAN: PredicateOperator
PREDICATE_OPERATOR_AT_MOST: PredicateOperator
PREDICATE_OPERATOR_WITHIN_RANGE: PredicateOperator
PREDICATE_OPERATOR_ABSENT: PredicateOperator
PREDICATE_OPERATOR_IN_SET: PredicateOperator

class Record(_message.Message):
    __slots__ = ("record_id", "subject", "subject_version", "entity_key", "division_code", "event_time", "values", "idempotency_key", "publisher", "digest", "publish_time")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _catalog_pb2.FieldValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_catalog_pb2.FieldValue, _Mapping]] = ...) -> None: ...
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    DIVISION_CODE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    subject: str
    subject_version: str
    entity_key: str
    division_code: str
    event_time: _timestamp_pb2.Timestamp
    values: _containers.MessageMap[str, _catalog_pb2.FieldValue]
    idempotency_key: str
    publisher: str
    digest: str
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, record_id: _Optional[str] = ..., subject: _Optional[str] = ..., subject_version: _Optional[str] = ..., entity_key: _Optional[str] = ..., division_code: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., values: _Optional[_Mapping[str, _catalog_pb2.FieldValue]] = ..., idempotency_key: _Optional[str] = ..., publisher: _Optional[str] = ..., digest: _Optional[str] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordResult(_message.Message):
    __slots__ = ("index", "status", "record_id", "digest", "violations", "subject_version")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_VERSION_FIELD_NUMBER: _ClassVar[int]
    index: int
    status: RecordStatus
    record_id: str
    digest: str
    violations: _containers.RepeatedCompositeFieldContainer[_catalog_pb2.Violation]
    subject_version: str
    def __init__(self, index: _Optional[int] = ..., status: _Optional[_Union[RecordStatus, str]] = ..., record_id: _Optional[str] = ..., digest: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[_catalog_pb2.Violation, _Mapping]]] = ..., subject_version: _Optional[str] = ...) -> None: ...

class RowFilter(_message.Message):
    __slots__ = ("division_codes", "entity_keys")
    DIVISION_CODES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    division_codes: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, division_codes: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class ConsumerLag(_message.Message):
    __slots__ = ("pending_count", "in_flight_count", "dead_letter_count", "oldest_unacknowledged_age", "last_acknowledge_time", "acknowledged_count", "open_streams")
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    OLDEST_UNACKNOWLEDGED_AGE_FIELD_NUMBER: _ClassVar[int]
    LAST_ACKNOWLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_STREAMS_FIELD_NUMBER: _ClassVar[int]
    pending_count: int
    in_flight_count: int
    dead_letter_count: int
    oldest_unacknowledged_age: _duration_pb2.Duration
    last_acknowledge_time: _timestamp_pb2.Timestamp
    acknowledged_count: int
    open_streams: int
    def __init__(self, pending_count: _Optional[int] = ..., in_flight_count: _Optional[int] = ..., dead_letter_count: _Optional[int] = ..., oldest_unacknowledged_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., last_acknowledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_count: _Optional[int] = ..., open_streams: _Optional[int] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("name", "subject", "subscriber", "items", "row_filter", "start_time", "ack_deadline", "max_attempts", "description", "state", "item_decisions", "lag", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ROW_FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    ACK_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ITEM_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    subject: str
    subscriber: str
    items: _containers.RepeatedScalarFieldContainer[str]
    row_filter: RowFilter
    start_time: _timestamp_pb2.Timestamp
    ack_deadline: _duration_pb2.Duration
    max_attempts: int
    description: str
    state: SubscriptionState
    item_decisions: _containers.RepeatedCompositeFieldContainer[_authz_pb2.ItemDecision]
    lag: ConsumerLag
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., subject: _Optional[str] = ..., subscriber: _Optional[str] = ..., items: _Optional[_Iterable[str]] = ..., row_filter: _Optional[_Union[RowFilter, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ack_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_attempts: _Optional[int] = ..., description: _Optional[str] = ..., state: _Optional[_Union[SubscriptionState, str]] = ..., item_decisions: _Optional[_Iterable[_Union[_authz_pb2.ItemDecision, _Mapping]]] = ..., lag: _Optional[_Union[ConsumerLag, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("delivery_id", "subscription", "attempt", "cursor", "record", "row_scope", "grants", "policy_revision", "trace_id", "traceparent", "deliver_time", "ack_expire_time")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    ROW_SCOPE_FIELD_NUMBER: _ClassVar[int]
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    ACK_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    subscription: str
    attempt: int
    cursor: str
    record: Record
    row_scope: _authz_pb2.RowScope
    grants: _containers.RepeatedScalarFieldContainer[str]
    policy_revision: int
    trace_id: str
    traceparent: str
    deliver_time: _timestamp_pb2.Timestamp
    ack_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., subscription: _Optional[str] = ..., attempt: _Optional[int] = ..., cursor: _Optional[str] = ..., record: _Optional[_Union[Record, _Mapping]] = ..., row_scope: _Optional[_Union[_authz_pb2.RowScope, _Mapping]] = ..., grants: _Optional[_Iterable[str]] = ..., policy_revision: _Optional[int] = ..., trace_id: _Optional[str] = ..., traceparent: _Optional[str] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ack_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Nack(_message.Message):
    __slots__ = ("delivery_id", "reason", "retry_delay", "dead_letter")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_DELAY_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    reason: str
    retry_delay: _duration_pb2.Duration
    dead_letter: bool
    def __init__(self, delivery_id: _Optional[str] = ..., reason: _Optional[str] = ..., retry_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., dead_letter: _Optional[bool] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("name", "delivery_id", "record", "attempts", "reason", "message", "first_deliver_time", "dead_letter_time", "trace_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIRST_DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    delivery_id: str
    record: Record
    attempts: int
    reason: DeadLetterReason
    message: str
    first_deliver_time: _timestamp_pb2.Timestamp
    dead_letter_time: _timestamp_pb2.Timestamp
    trace_id: str
    def __init__(self, name: _Optional[str] = ..., delivery_id: _Optional[str] = ..., record: _Optional[_Union[Record, _Mapping]] = ..., attempts: _Optional[int] = ..., reason: _Optional[_Union[DeadLetterReason, str]] = ..., message: _Optional[str] = ..., first_deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dead_letter_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class Predicate(_message.Message):
    __slots__ = ("item", "operator", "operands")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OPERANDS_FIELD_NUMBER: _ClassVar[int]
    item: str
    operator: PredicateOperator
    operands: _containers.RepeatedCompositeFieldContainer[_catalog_pb2.FieldValue]
    def __init__(self, item: _Optional[str] = ..., operator: _Optional[_Union[PredicateOperator, str]] = ..., operands: _Optional[_Iterable[_Union[_catalog_pb2.FieldValue, _Mapping]]] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("entity_key", "values", "predicates")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _catalog_pb2.FieldValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_catalog_pb2.FieldValue, _Mapping]] = ...) -> None: ...
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    PREDICATES_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    values: _containers.MessageMap[str, _catalog_pb2.FieldValue]
    predicates: _containers.RepeatedCompositeFieldContainer[Predicate]
    def __init__(self, entity_key: _Optional[str] = ..., values: _Optional[_Mapping[str, _catalog_pb2.FieldValue]] = ..., predicates: _Optional[_Iterable[_Union[Predicate, _Mapping]]] = ...) -> None: ...

class ItemVerdict(_message.Message):
    __slots__ = ("item", "verdict")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    item: str
    verdict: Verdict
    def __init__(self, item: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ...) -> None: ...

class VerificationResult(_message.Message):
    __slots__ = ("entity_key", "subject", "verdict", "items")
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    subject: str
    verdict: Verdict
    items: _containers.RepeatedCompositeFieldContainer[ItemVerdict]
    def __init__(self, entity_key: _Optional[str] = ..., subject: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., items: _Optional[_Iterable[_Union[ItemVerdict, _Mapping]]] = ...) -> None: ...

class GatheredReply(_message.Message):
    __slots__ = ("target", "status", "subjects", "records", "verifications", "not_found_entity_keys", "record_count", "records_omitted", "denied_items", "denial_reason", "message", "final_time")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    VERIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    DENIED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    DENIAL_REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FINAL_TIME_FIELD_NUMBER: _ClassVar[int]
    target: str
    status: ReplyStatus
    subjects: _containers.RepeatedScalarFieldContainer[str]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    verifications: _containers.RepeatedCompositeFieldContainer[VerificationResult]
    not_found_entity_keys: _containers.RepeatedScalarFieldContainer[str]
    record_count: int
    records_omitted: bool
    denied_items: _containers.RepeatedScalarFieldContainer[str]
    denial_reason: _authz_pb2.ReasonCode
    message: str
    final_time: _timestamp_pb2.Timestamp
    def __init__(self, target: _Optional[str] = ..., status: _Optional[_Union[ReplyStatus, str]] = ..., subjects: _Optional[_Iterable[str]] = ..., records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., verifications: _Optional[_Iterable[_Union[VerificationResult, _Mapping]]] = ..., not_found_entity_keys: _Optional[_Iterable[str]] = ..., record_count: _Optional[int] = ..., records_omitted: _Optional[bool] = ..., denied_items: _Optional[_Iterable[str]] = ..., denial_reason: _Optional[_Union[_authz_pb2.ReasonCode, str]] = ..., message: _Optional[str] = ..., final_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DataRequest(_message.Message):
    __slots__ = ("name", "requester", "kind", "subjects", "items", "entity_keys", "claims", "question", "parameters", "purpose", "target_departments", "to_subject_providers", "to_holders_of_entity", "replies", "complete", "create_time", "expire_time", "trace_id")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    TARGET_DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    TO_SUBJECT_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    TO_HOLDERS_OF_ENTITY_FIELD_NUMBER: _ClassVar[int]
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    requester: str
    kind: RequestKind
    subjects: _containers.RepeatedScalarFieldContainer[str]
    items: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    question: str
    parameters: _containers.ScalarMap[str, str]
    purpose: str
    target_departments: _containers.RepeatedScalarFieldContainer[str]
    to_subject_providers: bool
    to_holders_of_entity: bool
    replies: _containers.RepeatedCompositeFieldContainer[GatheredReply]
    complete: bool
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    trace_id: str
    def __init__(self, name: _Optional[str] = ..., requester: _Optional[str] = ..., kind: _Optional[_Union[RequestKind, str]] = ..., subjects: _Optional[_Iterable[str]] = ..., items: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[str]] = ..., claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., question: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., purpose: _Optional[str] = ..., target_departments: _Optional[_Iterable[str]] = ..., to_subject_providers: _Optional[bool] = ..., to_holders_of_entity: _Optional[bool] = ..., replies: _Optional[_Iterable[_Union[GatheredReply, _Mapping]]] = ..., complete: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class IncomingRequest(_message.Message):
    __slots__ = ("request", "requester", "kind", "subjects", "items", "entity_keys", "question", "parameters", "purpose", "grants", "create_time", "expire_time", "attempt", "trace_id", "traceparent")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    request: str
    requester: str
    kind: RequestKind
    subjects: _containers.RepeatedScalarFieldContainer[str]
    items: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    question: str
    parameters: _containers.ScalarMap[str, str]
    purpose: str
    grants: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    attempt: int
    trace_id: str
    traceparent: str
    def __init__(self, request: _Optional[str] = ..., requester: _Optional[str] = ..., kind: _Optional[_Union[RequestKind, str]] = ..., subjects: _Optional[_Iterable[str]] = ..., items: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[str]] = ..., question: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., purpose: _Optional[str] = ..., grants: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., trace_id: _Optional[str] = ..., traceparent: _Optional[str] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("name", "target", "sequence", "records", "verifications", "not_found_entity_keys", "final", "failed", "message", "create_time", "trace_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    VERIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    target: str
    sequence: int
    records: _containers.RepeatedCompositeFieldContainer[Record]
    verifications: _containers.RepeatedCompositeFieldContainer[VerificationResult]
    not_found_entity_keys: _containers.RepeatedScalarFieldContainer[str]
    final: bool
    failed: bool
    message: str
    create_time: _timestamp_pb2.Timestamp
    trace_id: str
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., sequence: _Optional[int] = ..., records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., verifications: _Optional[_Iterable[_Union[VerificationResult, _Mapping]]] = ..., not_found_entity_keys: _Optional[_Iterable[str]] = ..., final: _Optional[bool] = ..., failed: _Optional[bool] = ..., message: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class Holding(_message.Message):
    __slots__ = ("department", "subject", "source", "update_time")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    department: str
    subject: str
    source: HoldingSource
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, department: _Optional[str] = ..., subject: _Optional[str] = ..., source: _Optional[_Union[HoldingSource, str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("sequence", "kind", "sender", "receivers", "subject", "record_count", "payload_digest", "reference", "trace_id", "create_time", "previous_hash", "entry_hash", "payload_digest_version")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_DIGEST_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_DIGEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    kind: LedgerEntryKind
    sender: str
    receivers: _containers.RepeatedScalarFieldContainer[str]
    subject: str
    record_count: int
    payload_digest: str
    reference: str
    trace_id: str
    create_time: _timestamp_pb2.Timestamp
    previous_hash: str
    entry_hash: str
    payload_digest_version: int
    def __init__(self, sequence: _Optional[int] = ..., kind: _Optional[_Union[LedgerEntryKind, str]] = ..., sender: _Optional[str] = ..., receivers: _Optional[_Iterable[str]] = ..., subject: _Optional[str] = ..., record_count: _Optional[int] = ..., payload_digest: _Optional[str] = ..., reference: _Optional[str] = ..., trace_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_hash: _Optional[str] = ..., entry_hash: _Optional[str] = ..., payload_digest_version: _Optional[int] = ...) -> None: ...

class LedgerAnchor(_message.Message):
    __slots__ = ("sequence", "entry_hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    entry_hash: str
    def __init__(self, sequence: _Optional[int] = ..., entry_hash: _Optional[str] = ...) -> None: ...

class LedgerStatsRow(_message.Message):
    __slots__ = ("department", "subject", "day", "published_records", "delivered_records", "acknowledged_records", "requests", "replied_records", "dead_lettered_records", "exchanged_records", "entries")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REPLIED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    EXCHANGED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    department: str
    subject: str
    day: str
    published_records: int
    delivered_records: int
    acknowledged_records: int
    requests: int
    replied_records: int
    dead_lettered_records: int
    exchanged_records: int
    entries: int
    def __init__(self, department: _Optional[str] = ..., subject: _Optional[str] = ..., day: _Optional[str] = ..., published_records: _Optional[int] = ..., delivered_records: _Optional[int] = ..., acknowledged_records: _Optional[int] = ..., requests: _Optional[int] = ..., replied_records: _Optional[int] = ..., dead_lettered_records: _Optional[int] = ..., exchanged_records: _Optional[int] = ..., entries: _Optional[int] = ...) -> None: ...

class PublishRequest(_message.Message):
    __slots__ = ("records", "validate_only")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    validate_only: bool
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("results", "accepted_count", "duplicate_count", "invalid_count", "conflict_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    INVALID_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordResult]
    accepted_count: int
    duplicate_count: int
    invalid_count: int
    conflict_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[RecordResult, _Mapping]]] = ..., accepted_count: _Optional[int] = ..., duplicate_count: _Optional[int] = ..., invalid_count: _Optional[int] = ..., conflict_count: _Optional[int] = ...) -> None: ...

class PublishStreamRequest(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[Record]
    def __init__(self, records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ...) -> None: ...

class PublishStreamResponse(_message.Message):
    __slots__ = ("accepted_count", "duplicate_count", "invalid_count", "conflict_count", "rejected")
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    INVALID_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    accepted_count: int
    duplicate_count: int
    invalid_count: int
    conflict_count: int
    rejected: _containers.RepeatedCompositeFieldContainer[RecordResult]
    def __init__(self, accepted_count: _Optional[int] = ..., duplicate_count: _Optional[int] = ..., invalid_count: _Optional[int] = ..., conflict_count: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RecordResult, _Mapping]]] = ...) -> None: ...

class CreateSubscriptionRequest(_message.Message):
    __slots__ = ("subscription", "subscription_id", "validate_only")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    subscription_id: str
    validate_only: bool
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., subscription_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ...) -> None: ...

class GetSubscriptionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ...) -> None: ...

class ListSubscriptionsRequest(_message.Message):
    __slots__ = ("subject", "subscriber", "page_size", "page_token")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject: str
    subscriber: str
    page_size: int
    page_token: str
    def __init__(self, subject: _Optional[str] = ..., subscriber: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSubscriptionsResponse(_message.Message):
    __slots__ = ("subscriptions", "next_page_token")
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[Subscription]
    next_page_token: str
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[Subscription, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteSubscriptionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSubscriptionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("subscription", "cursor", "max_in_flight", "max_batch_size")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    subscription: str
    cursor: str
    max_in_flight: int
    max_batch_size: int
    def __init__(self, subscription: _Optional[str] = ..., cursor: _Optional[str] = ..., max_in_flight: _Optional[int] = ..., max_batch_size: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("deliveries", "lag")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    lag: ConsumerLag
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., lag: _Optional[_Union[ConsumerLag, _Mapping]] = ...) -> None: ...

class AcknowledgeDeliveriesRequest(_message.Message):
    __slots__ = ("subscription", "delivery_ids", "nacks")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_IDS_FIELD_NUMBER: _ClassVar[int]
    NACKS_FIELD_NUMBER: _ClassVar[int]
    subscription: str
    delivery_ids: _containers.RepeatedScalarFieldContainer[str]
    nacks: _containers.RepeatedCompositeFieldContainer[Nack]
    def __init__(self, subscription: _Optional[str] = ..., delivery_ids: _Optional[_Iterable[str]] = ..., nacks: _Optional[_Iterable[_Union[Nack, _Mapping]]] = ...) -> None: ...

class AcknowledgeDeliveriesResponse(_message.Message):
    __slots__ = ("acknowledged_count", "already_acknowledged_count", "nacked_count")
    ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ALREADY_ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    NACKED_COUNT_FIELD_NUMBER: _ClassVar[int]
    acknowledged_count: int
    already_acknowledged_count: int
    nacked_count: int
    def __init__(self, acknowledged_count: _Optional[int] = ..., already_acknowledged_count: _Optional[int] = ..., nacked_count: _Optional[int] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters", "next_page_token", "total_size")
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    next_page_token: str
    total_size: int
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ReplayDeadLettersRequest(_message.Message):
    __slots__ = ("parent", "names", "all")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    parent: str
    names: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    def __init__(self, parent: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ...) -> None: ...

class ReplayDeadLettersResponse(_message.Message):
    __slots__ = ("replayed_count",)
    REPLAYED_COUNT_FIELD_NUMBER: _ClassVar[int]
    replayed_count: int
    def __init__(self, replayed_count: _Optional[int] = ...) -> None: ...

class SendRequestRequest(_message.Message):
    __slots__ = ("kind", "subjects", "items", "entity_keys", "claims", "question", "parameters", "purpose", "target_departments", "to_subject_providers", "to_holders_of_entity", "wait_mode", "max_wait", "time_to_live", "idempotency_key", "view")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    TARGET_DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    TO_SUBJECT_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    TO_HOLDERS_OF_ENTITY_FIELD_NUMBER: _ClassVar[int]
    WAIT_MODE_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_LIVE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    kind: RequestKind
    subjects: _containers.RepeatedScalarFieldContainer[str]
    items: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    question: str
    parameters: _containers.ScalarMap[str, str]
    purpose: str
    target_departments: _containers.RepeatedScalarFieldContainer[str]
    to_subject_providers: bool
    to_holders_of_entity: bool
    wait_mode: WaitMode
    max_wait: _duration_pb2.Duration
    time_to_live: _duration_pb2.Duration
    idempotency_key: str
    view: RequestView
    def __init__(self, kind: _Optional[_Union[RequestKind, str]] = ..., subjects: _Optional[_Iterable[str]] = ..., items: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[str]] = ..., claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., question: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., purpose: _Optional[str] = ..., target_departments: _Optional[_Iterable[str]] = ..., to_subject_providers: _Optional[bool] = ..., to_holders_of_entity: _Optional[bool] = ..., wait_mode: _Optional[_Union[WaitMode, str]] = ..., max_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., time_to_live: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., view: _Optional[_Union[RequestView, str]] = ...) -> None: ...

class SendRequestResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: DataRequest
    def __init__(self, request: _Optional[_Union[DataRequest, _Mapping]] = ...) -> None: ...

class StreamInboxRequest(_message.Message):
    __slots__ = ("subjects", "max_in_flight")
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    subjects: _containers.RepeatedScalarFieldContainer[str]
    max_in_flight: int
    def __init__(self, subjects: _Optional[_Iterable[str]] = ..., max_in_flight: _Optional[int] = ...) -> None: ...

class StreamInboxResponse(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[IncomingRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[IncomingRequest, _Mapping]]] = ...) -> None: ...

class ReplyRequest(_message.Message):
    __slots__ = ("request", "records", "not_found_entity_keys", "partial", "failed", "message", "idempotency_key")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    request: str
    records: _containers.RepeatedCompositeFieldContainer[Record]
    not_found_entity_keys: _containers.RepeatedScalarFieldContainer[str]
    partial: bool
    failed: bool
    message: str
    idempotency_key: str
    def __init__(self, request: _Optional[str] = ..., records: _Optional[_Iterable[_Union[Record, _Mapping]]] = ..., not_found_entity_keys: _Optional[_Iterable[str]] = ..., partial: _Optional[bool] = ..., failed: _Optional[bool] = ..., message: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ReplyResponse(_message.Message):
    __slots__ = ("accepted_count", "rejected", "withheld_count")
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    WITHHELD_COUNT_FIELD_NUMBER: _ClassVar[int]
    accepted_count: int
    rejected: _containers.RepeatedCompositeFieldContainer[RecordResult]
    withheld_count: int
    def __init__(self, accepted_count: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RecordResult, _Mapping]]] = ..., withheld_count: _Optional[int] = ...) -> None: ...

class GetRequestRequest(_message.Message):
    __slots__ = ("name", "view")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    name: str
    view: RequestView
    def __init__(self, name: _Optional[str] = ..., view: _Optional[_Union[RequestView, str]] = ...) -> None: ...

class GetRequestResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: DataRequest
    def __init__(self, request: _Optional[_Union[DataRequest, _Mapping]] = ...) -> None: ...

class ListRequestsRequest(_message.Message):
    __slots__ = ("incomplete_only", "start_time", "page_size", "page_token")
    INCOMPLETE_ONLY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    incomplete_only: bool
    start_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, incomplete_only: _Optional[bool] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRequestsResponse(_message.Message):
    __slots__ = ("requests", "next_page_token")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[DataRequest]
    next_page_token: str
    def __init__(self, requests: _Optional[_Iterable[_Union[DataRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRepliesRequest(_message.Message):
    __slots__ = ("parent", "target", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    target: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., target: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRepliesResponse(_message.Message):
    __slots__ = ("replies", "next_page_token")
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    next_page_token: str
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchRepliesRequest(_message.Message):
    __slots__ = ("name", "after_sequence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    after_sequence: int
    def __init__(self, name: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchRepliesResponse(_message.Message):
    __slots__ = ("replies", "statuses", "complete")
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    statuses: _containers.RepeatedCompositeFieldContainer[GatheredReply]
    complete: bool
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ..., statuses: _Optional[_Iterable[_Union[GatheredReply, _Mapping]]] = ..., complete: _Optional[bool] = ...) -> None: ...

class LocateEntityRequest(_message.Message):
    __slots__ = ("entity_key", "subjects")
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    subjects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entity_key: _Optional[str] = ..., subjects: _Optional[_Iterable[str]] = ...) -> None: ...

class LocateEntityResponse(_message.Message):
    __slots__ = ("holdings",)
    HOLDINGS_FIELD_NUMBER: _ClassVar[int]
    holdings: _containers.RepeatedCompositeFieldContainer[Holding]
    def __init__(self, holdings: _Optional[_Iterable[_Union[Holding, _Mapping]]] = ...) -> None: ...

class RegisterHoldingsRequest(_message.Message):
    __slots__ = ("subject", "entity_keys")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subject: _Optional[str] = ..., entity_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class RegisterHoldingsResponse(_message.Message):
    __slots__ = ("registered_count",)
    REGISTERED_COUNT_FIELD_NUMBER: _ClassVar[int]
    registered_count: int
    def __init__(self, registered_count: _Optional[int] = ...) -> None: ...

class UnregisterHoldingsRequest(_message.Message):
    __slots__ = ("subject", "entity_keys")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subject: _Optional[str] = ..., entity_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class UnregisterHoldingsResponse(_message.Message):
    __slots__ = ("unregistered_count",)
    UNREGISTERED_COUNT_FIELD_NUMBER: _ClassVar[int]
    unregistered_count: int
    def __init__(self, unregistered_count: _Optional[int] = ...) -> None: ...

class ListLedgerEntriesRequest(_message.Message):
    __slots__ = ("department", "subject", "kinds", "trace_id", "start_time", "end_time", "start_sequence", "page_size", "page_token")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    START_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    department: str
    subject: str
    kinds: _containers.RepeatedScalarFieldContainer[LedgerEntryKind]
    trace_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    start_sequence: int
    page_size: int
    page_token: str
    def __init__(self, department: _Optional[str] = ..., subject: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[LedgerEntryKind, str]]] = ..., trace_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_sequence: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyLedgerRequest(_message.Message):
    __slots__ = ("start_sequence", "end_sequence", "expected_previous_hash", "anchors")
    START_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    END_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    ANCHORS_FIELD_NUMBER: _ClassVar[int]
    start_sequence: int
    end_sequence: int
    expected_previous_hash: str
    anchors: _containers.RepeatedCompositeFieldContainer[LedgerAnchor]
    def __init__(self, start_sequence: _Optional[int] = ..., end_sequence: _Optional[int] = ..., expected_previous_hash: _Optional[str] = ..., anchors: _Optional[_Iterable[_Union[LedgerAnchor, _Mapping]]] = ...) -> None: ...

class VerifyLedgerResponse(_message.Message):
    __slots__ = ("ok", "entries_checked", "first_bad_sequence", "problem", "description", "last_sequence", "last_hash")
    OK_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    entries_checked: int
    first_bad_sequence: int
    problem: LedgerProblem
    description: str
    last_sequence: int
    last_hash: str
    def __init__(self, ok: _Optional[bool] = ..., entries_checked: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[_Union[LedgerProblem, str]] = ..., description: _Optional[str] = ..., last_sequence: _Optional[int] = ..., last_hash: _Optional[str] = ...) -> None: ...

class GetLedgerStatsRequest(_message.Message):
    __slots__ = ("group_by", "department", "subject", "start_time", "end_time", "page_size", "page_token")
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    group_by: _containers.RepeatedScalarFieldContainer[LedgerStatsDimension]
    department: str
    subject: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, group_by: _Optional[_Iterable[_Union[LedgerStatsDimension, str]]] = ..., department: _Optional[str] = ..., subject: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetLedgerStatsResponse(_message.Message):
    __slots__ = ("rows", "total", "next_page_token")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[LedgerStatsRow]
    total: LedgerStatsRow
    next_page_token: str
    def __init__(self, rows: _Optional[_Iterable[_Union[LedgerStatsRow, _Mapping]]] = ..., total: _Optional[_Union[LedgerStatsRow, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
