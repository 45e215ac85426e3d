import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EntityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTITY_KIND_UNSPECIFIED: _ClassVar[EntityKind]
    ENTITY_KIND_PERSON: _ClassVar[EntityKind]
    ENTITY_KIND_ENTERPRISE: _ClassVar[EntityKind]

class ReviewState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATE_UNSPECIFIED: _ClassVar[ReviewState]
    REVIEW_STATE_OPEN: _ClassVar[ReviewState]
    REVIEW_STATE_CONFIRMED: _ClassVar[ReviewState]
    REVIEW_STATE_REJECTED: _ClassVar[ReviewState]
ENTITY_KIND_UNSPECIFIED: EntityKind
ENTITY_KIND_PERSON: EntityKind
ENTITY_KIND_ENTERPRISE: EntityKind
REVIEW_STATE_UNSPECIFIED: ReviewState
REVIEW_STATE_OPEN: ReviewState
REVIEW_STATE_CONFIRMED: ReviewState
REVIEW_STATE_REJECTED: ReviewState

class Evidence(_message.Message):
    __slots__ = ("method", "score", "agreed", "disagreed")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    AGREED_FIELD_NUMBER: _ClassVar[int]
    DISAGREED_FIELD_NUMBER: _ClassVar[int]
    method: str
    score: float
    agreed: _containers.RepeatedScalarFieldContainer[str]
    disagreed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, method: _Optional[str] = ..., score: _Optional[float] = ..., agreed: _Optional[_Iterable[str]] = ..., disagreed: _Optional[_Iterable[str]] = ...) -> None: ...

class LinkedRecord(_message.Message):
    __slots__ = ("department", "key", "subject", "fields", "evidence", "invalid_identifier", "update_time")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    INVALID_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    department: str
    key: str
    subject: str
    fields: _containers.ScalarMap[str, str]
    evidence: Evidence
    invalid_identifier: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, department: _Optional[str] = ..., key: _Optional[str] = ..., subject: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., evidence: _Optional[_Union[Evidence, _Mapping]] = ..., invalid_identifier: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FieldDifference(_message.Message):
    __slots__ = ("field", "master_value", "department_values")
    class DepartmentValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MASTER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_VALUES_FIELD_NUMBER: _ClassVar[int]
    field: str
    master_value: str
    department_values: _containers.ScalarMap[str, str]
    def __init__(self, field: _Optional[str] = ..., master_value: _Optional[str] = ..., department_values: _Optional[_Mapping[str, str]] = ...) -> None: ...

class MasterRecord(_message.Message):
    __slots__ = ("name", "kind", "identifier", "fields", "name_variants", "departments", "version", "linked_records", "differences", "update_time")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    NAME_VARIANTS_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LINKED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: EntityKind
    identifier: str
    fields: _containers.ScalarMap[str, str]
    name_variants: _containers.RepeatedScalarFieldContainer[str]
    departments: _containers.RepeatedScalarFieldContainer[str]
    version: int
    linked_records: _containers.RepeatedCompositeFieldContainer[LinkedRecord]
    differences: _containers.RepeatedCompositeFieldContainer[FieldDifference]
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[EntityKind, str]] = ..., identifier: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., name_variants: _Optional[_Iterable[str]] = ..., departments: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., linked_records: _Optional[_Iterable[_Union[LinkedRecord, _Mapping]]] = ..., differences: _Optional[_Iterable[_Union[FieldDifference, _Mapping]]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReviewItem(_message.Message):
    __slots__ = ("name", "department", "key", "current_master", "proposed_master", "evidence", "state", "decided_by", "reason", "create_time", "decide_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_MASTER_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_MASTER_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    department: str
    key: str
    current_master: str
    proposed_master: str
    evidence: Evidence
    state: ReviewState
    decided_by: str
    reason: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., department: _Optional[str] = ..., key: _Optional[str] = ..., current_master: _Optional[str] = ..., proposed_master: _Optional[str] = ..., evidence: _Optional[_Union[Evidence, _Mapping]] = ..., state: _Optional[_Union[ReviewState, str]] = ..., decided_by: _Optional[str] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMasterRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetMasterRecordResponse(_message.Message):
    __slots__ = ("master_record",)
    MASTER_RECORD_FIELD_NUMBER: _ClassVar[int]
    master_record: MasterRecord
    def __init__(self, master_record: _Optional[_Union[MasterRecord, _Mapping]] = ...) -> None: ...

class LookupMasterRecordsRequest(_message.Message):
    __slots__ = ("department", "key", "query", "page_size")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    department: str
    key: str
    query: str
    page_size: int
    def __init__(self, department: _Optional[str] = ..., key: _Optional[str] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class LookupMasterRecordsResponse(_message.Message):
    __slots__ = ("master_records",)
    MASTER_RECORDS_FIELD_NUMBER: _ClassVar[int]
    master_records: _containers.RepeatedCompositeFieldContainer[MasterRecord]
    def __init__(self, master_records: _Optional[_Iterable[_Union[MasterRecord, _Mapping]]] = ...) -> None: ...

class ListReviewItemsRequest(_message.Message):
    __slots__ = ("state", "page_size", "page_token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: ReviewState
    page_size: int
    page_token: str
    def __init__(self, state: _Optional[_Union[ReviewState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReviewItemsResponse(_message.Message):
    __slots__ = ("review_items", "next_page_token")
    REVIEW_ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    review_items: _containers.RepeatedCompositeFieldContainer[ReviewItem]
    next_page_token: str
    def __init__(self, review_items: _Optional[_Iterable[_Union[ReviewItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ConfirmReviewItemRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ConfirmReviewItemResponse(_message.Message):
    __slots__ = ("review_item",)
    REVIEW_ITEM_FIELD_NUMBER: _ClassVar[int]
    review_item: ReviewItem
    def __init__(self, review_item: _Optional[_Union[ReviewItem, _Mapping]] = ...) -> None: ...

class RejectReviewItemRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectReviewItemResponse(_message.Message):
    __slots__ = ("review_item",)
    REVIEW_ITEM_FIELD_NUMBER: _ClassVar[int]
    review_item: ReviewItem
    def __init__(self, review_item: _Optional[_Union[ReviewItem, _Mapping]] = ...) -> None: ...

class RecordRef(_message.Message):
    __slots__ = ("department", "key")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    department: str
    key: str
    def __init__(self, department: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class SplitMasterRecordRequest(_message.Message):
    __slots__ = ("name", "records", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    records: _containers.RepeatedCompositeFieldContainer[RecordRef]
    reason: str
    def __init__(self, name: _Optional[str] = ..., records: _Optional[_Iterable[_Union[RecordRef, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class SplitMasterRecordResponse(_message.Message):
    __slots__ = ("source", "created")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    source: MasterRecord
    created: MasterRecord
    def __init__(self, source: _Optional[_Union[MasterRecord, _Mapping]] = ..., created: _Optional[_Union[MasterRecord, _Mapping]] = ...) -> None: ...

class MergeMasterRecordsRequest(_message.Message):
    __slots__ = ("name", "absorbed", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ABSORBED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    absorbed: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., absorbed: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MergeMasterRecordsResponse(_message.Message):
    __slots__ = ("master_record",)
    MASTER_RECORD_FIELD_NUMBER: _ClassVar[int]
    master_record: MasterRecord
    def __init__(self, master_record: _Optional[_Union[MasterRecord, _Mapping]] = ...) -> None: ...

class LifecycleEvent(_message.Message):
    __slots__ = ("event_time", "department", "subject", "key", "summary", "values")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    event_time: _timestamp_pb2.Timestamp
    department: str
    subject: str
    key: str
    summary: str
    values: _containers.ScalarMap[str, str]
    def __init__(self, event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., subject: _Optional[str] = ..., key: _Optional[str] = ..., summary: _Optional[str] = ..., values: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetLifecycleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLifecycleResponse(_message.Message):
    __slots__ = ("events", "hidden_count")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LifecycleEvent]
    hidden_count: int
    def __init__(self, events: _Optional[_Iterable[_Union[LifecycleEvent, _Mapping]]] = ..., hidden_count: _Optional[int] = ...) -> None: ...

class Holder(_message.Message):
    __slots__ = ("department", "subject", "key")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    department: str
    subject: str
    key: str
    def __init__(self, department: _Optional[str] = ..., subject: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class ResolveHoldersRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ResolveHoldersResponse(_message.Message):
    __slots__ = ("holders",)
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    holders: _containers.RepeatedCompositeFieldContainer[Holder]
    def __init__(self, holders: _Optional[_Iterable[_Union[Holder, _Mapping]]] = ...) -> None: ...

class DepartmentRecord(_message.Message):
    __slots__ = ("key", "kind", "name", "uscc", "id_number", "address", "legal_rep", "district", "established", "birth_date", "gender")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USCC_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LEGAL_REP_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    ESTABLISHED_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    key: str
    kind: EntityKind
    name: str
    uscc: str
    id_number: str
    address: str
    legal_rep: str
    district: str
    established: str
    birth_date: str
    gender: str
    def __init__(self, key: _Optional[str] = ..., kind: _Optional[_Union[EntityKind, str]] = ..., name: _Optional[str] = ..., uscc: _Optional[str] = ..., id_number: _Optional[str] = ..., address: _Optional[str] = ..., legal_rep: _Optional[str] = ..., district: _Optional[str] = ..., established: _Optional[str] = ..., birth_date: _Optional[str] = ..., gender: _Optional[str] = ...) -> None: ...

class LoadResult(_message.Message):
    __slots__ = ("key", "master", "evidence", "invalid_identifier")
    KEY_FIELD_NUMBER: _ClassVar[int]
    MASTER_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    INVALID_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    key: str
    master: str
    evidence: Evidence
    invalid_identifier: str
    def __init__(self, key: _Optional[str] = ..., master: _Optional[str] = ..., evidence: _Optional[_Union[Evidence, _Mapping]] = ..., invalid_identifier: _Optional[str] = ...) -> None: ...

class LoadRecordsRequest(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[DepartmentRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[DepartmentRecord, _Mapping]]] = ...) -> None: ...

class LoadRecordsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[LoadResult]
    def __init__(self, results: _Optional[_Iterable[_Union[LoadResult, _Mapping]]] = ...) -> None: ...

class QualityRow(_message.Message):
    __slots__ = ("department", "subject", "record_count", "invalid_identifier_share", "disagreement_shares", "unmatched_count", "open_review_count")
    class DisagreementSharesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    INVALID_IDENTIFIER_SHARE_FIELD_NUMBER: _ClassVar[int]
    DISAGREEMENT_SHARES_FIELD_NUMBER: _ClassVar[int]
    UNMATCHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    department: str
    subject: str
    record_count: int
    invalid_identifier_share: float
    disagreement_shares: _containers.ScalarMap[str, float]
    unmatched_count: int
    open_review_count: int
    def __init__(self, department: _Optional[str] = ..., subject: _Optional[str] = ..., record_count: _Optional[int] = ..., invalid_identifier_share: _Optional[float] = ..., disagreement_shares: _Optional[_Mapping[str, float]] = ..., unmatched_count: _Optional[int] = ..., open_review_count: _Optional[int] = ...) -> None: ...

class GetQualityReportRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQualityReportResponse(_message.Message):
    __slots__ = ("rows", "master_count")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    MASTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[QualityRow]
    master_count: int
    def __init__(self, rows: _Optional[_Iterable[_Union[QualityRow, _Mapping]]] = ..., master_count: _Optional[int] = ...) -> None: ...
