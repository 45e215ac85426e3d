import datetime

from govmesh.contracts.catalog.v1 import catalog_pb2 as _catalog_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PrincipalKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRINCIPAL_KIND_UNSPECIFIED: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_DEPARTMENT: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_MAINTAINER: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_ADMINISTRATOR: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_AUDITOR: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_SERVICE: _ClassVar[PrincipalKind]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_DEPARTMENT: _ClassVar[Role]
    ROLE_CATALOG_MAINTAINER: _ClassVar[Role]
    ROLE_HUB_ADMINISTRATOR: _ClassVar[Role]
    ROLE_AUDITOR: _ClassVar[Role]
    ROLE_ENFORCEMENT_POINT: _ClassVar[Role]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_PUBLISH: _ClassVar[Action]
    ACTION_SUBSCRIBE: _ClassVar[Action]
    ACTION_REQUEST: _ClassVar[Action]
    ACTION_REPLY: _ClassVar[Action]
    ACTION_READ: _ClassVar[Action]
    ACTION_VERIFY: _ClassVar[Action]
    ACTION_CATALOG_READ: _ClassVar[Action]
    ACTION_CATALOG_WRITE: _ClassVar[Action]
    ACTION_GRANT_APPLY: _ClassVar[Action]
    ACTION_GRANT_APPROVE: _ClassVar[Action]
    ACTION_GRANT_REJECT: _ClassVar[Action]
    ACTION_GRANT_REVOKE: _ClassVar[Action]
    ACTION_GRANT_READ: _ClassVar[Action]
    ACTION_AUDIT_READ: _ClassVar[Action]
    ACTION_LEDGER_READ: _ClassVar[Action]
    ACTION_POLICY_READ: _ClassVar[Action]
    ACTION_HUB_ADMINISTER: _ClassVar[Action]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_ALLOW: _ClassVar[Decision]
    DECISION_DENY: _ClassVar[Decision]

class ReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_CODE_UNSPECIFIED: _ClassVar[ReasonCode]
    REASON_CODE_UNCONDITIONAL: _ClassVar[ReasonCode]
    REASON_CODE_GRANTED: _ClassVar[ReasonCode]
    REASON_CODE_PROVIDER: _ClassVar[ReasonCode]
    REASON_CODE_ROLE: _ClassVar[ReasonCode]
    REASON_CODE_NO_GRANT: _ClassVar[ReasonCode]
    REASON_CODE_GRANT_EXPIRED: _ClassVar[ReasonCode]
    REASON_CODE_GRANT_REVOKED: _ClassVar[ReasonCode]
    REASON_CODE_GRANT_NOT_YET_VALID: _ClassVar[ReasonCode]
    REASON_CODE_GRANT_PENDING: _ClassVar[ReasonCode]
    REASON_CODE_ACTION_NOT_GRANTED: _ClassVar[ReasonCode]
    REASON_CODE_NOT_SHAREABLE: _ClassVar[ReasonCode]
    REASON_CODE_NOT_PROVIDER: _ClassVar[ReasonCode]
    REASON_CODE_UNKNOWN_PRINCIPAL: _ClassVar[ReasonCode]
    REASON_CODE_ROLE_REQUIRED: _ClassVar[ReasonCode]
    REASON_CODE_UNKNOWN_SUBJECT: _ClassVar[ReasonCode]
    REASON_CODE_UNKNOWN_ITEM: _ClassVar[ReasonCode]
    REASON_CODE_ROW_OUT_OF_SCOPE: _ClassVar[ReasonCode]
    REASON_CODE_NOT_OWNER: _ClassVar[ReasonCode]
    REASON_CODE_INVALID_QUERY: _ClassVar[ReasonCode]

class GrantMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_MODE_UNSPECIFIED: _ClassVar[GrantMode]
    GRANT_MODE_POINT_TO_POINT: _ClassVar[GrantMode]
    GRANT_MODE_ONE_TO_MANY: _ClassVar[GrantMode]

class GrantState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_STATE_UNSPECIFIED: _ClassVar[GrantState]
    GRANT_STATE_APPLIED: _ClassVar[GrantState]
    GRANT_STATE_APPROVED: _ClassVar[GrantState]
    GRANT_STATE_REJECTED: _ClassVar[GrantState]
    GRANT_STATE_REVOKED: _ClassVar[GrantState]
    GRANT_STATE_EXPIRED: _ClassVar[GrantState]

class GrantEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_EVENT_UNSPECIFIED: _ClassVar[GrantEvent]
    GRANT_EVENT_APPLIED: _ClassVar[GrantEvent]
    GRANT_EVENT_APPROVED: _ClassVar[GrantEvent]
    GRANT_EVENT_REJECTED: _ClassVar[GrantEvent]
    GRANT_EVENT_REVOKED: _ClassVar[GrantEvent]
    GRANT_EVENT_EXPIRED: _ClassVar[GrantEvent]

class AuditEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_ENTRY_KIND_UNSPECIFIED: _ClassVar[AuditEntryKind]
    AUDIT_ENTRY_KIND_DECISION: _ClassVar[AuditEntryKind]
    AUDIT_ENTRY_KIND_GRANT_CHANGE: _ClassVar[AuditEntryKind]
PRINCIPAL_KIND_UNSPECIFIED: PrincipalKind
PRINCIPAL_KIND_DEPARTMENT: PrincipalKind
PRINCIPAL_KIND_MAINTAINER: PrincipalKind
PRINCIPAL_KIND_ADMINISTRATOR: PrincipalKind
PRINCIPAL_KIND_AUDITOR: PrincipalKind
PRINCIPAL_KIND_SERVICE: PrincipalKind
ROLE_UNSPECIFIED: Role
ROLE_DEPARTMENT: Role
ROLE_CATALOG_MAINTAINER: Role
ROLE_HUB_ADMINISTRATOR: Role
ROLE_AUDITOR: Role
ROLE_ENFORCEMENT_POINT: Role
ACTION_UNSPECIFIED: Action
ACTION_PUBLISH: Action
ACTION_SUBSCRIBE: Action
ACTION_REQUEST: Action
ACTION_REPLY: Action
ACTION_READ: Action
ACTION_VERIFY: Action
ACTION_CATALOG_READ: Action
ACTION_CATALOG_WRITE: Action
ACTION_GRANT_APPLY: Action
ACTION_GRANT_APPROVE: Action
ACTION_GRANT_REJECT: Action
ACTION_GRANT_REVOKE: Action
ACTION_GRANT_READ: Action
ACTION_AUDIT_READ: Action
ACTION_LEDGER_READ: Action
ACTION_POLICY_READ: Action
ACTION_HUB_ADMINISTER: Action
DECISION_UNSPECIFIED: Decision
DECISION_ALLOW: Decision
DECISION_DENY: Decision
REASON_CODE_UNSPECIFIED: ReasonCode
REASON_CODE_UNCONDITIONAL: ReasonCode
REASON_CODE_GRANTED: ReasonCode
REASON_CODE_PROVIDER: ReasonCode
REASON_CODE_ROLE: ReasonCode
REASON_CODE_NO_GRANT: ReasonCode
REASON_CODE_GRANT_EXPIRED: ReasonCode
REASON_CODE_GRANT_REVOKED: ReasonCode
REASON_CODE_GRANT_NOT_YET_VALID: ReasonCode
REASON_CODE_GRANT_PENDING: ReasonCode
REASON_CODE_ACTION_NOT_GRANTED: ReasonCode
REASON_CODE_NOT_SHAREABLE: ReasonCode
REASON_CODE_NOT_PROVIDER: ReasonCode
REASON_CODE_UNKNOWN_PRINCIPAL: ReasonCode
REASON_CODE_ROLE_REQUIRED: ReasonCode
REASON_CODE_UNKNOWN_SUBJECT: ReasonCode
REASON_CODE_UNKNOWN_ITEM: ReasonCode
REASON_CODE_ROW_OUT_OF_SCOPE: ReasonCode
REASON_CODE_NOT_OWNER: ReasonCode
REASON_CODE_INVALID_QUERY: ReasonCode
GRANT_MODE_UNSPECIFIED: GrantMode
GRANT_MODE_POINT_TO_POINT: GrantMode
GRANT_MODE_ONE_TO_MANY: GrantMode
GRANT_STATE_UNSPECIFIED: GrantState
GRANT_STATE_APPLIED: GrantState
GRANT_STATE_APPROVED: GrantState
GRANT_STATE_REJECTED: GrantState
GRANT_STATE_REVOKED: GrantState
GRANT_STATE_EXPIRED: GrantState
GRANT_EVENT_UNSPECIFIED: GrantEvent
GRANT_EVENT_APPLIED: GrantEvent
GRANT_EVENT_APPROVED: GrantEvent
GRANT_EVENT_REJECTED: GrantEvent
GRANT_EVENT_REVOKED: GrantEvent
GRANT_EVENT_EXPIRED: GrantEvent
AUDIT_ENTRY_KIND_UNSPECIFIED: AuditEntryKind
AUDIT_ENTRY_KIND_DECISION: AuditEntryKind
AUDIT_ENTRY_KIND_GRANT_CHANGE: AuditEntryKind

class Principal(_message.Message):
    __slots__ = ("name", "kind", "code", "spiffe_id", "roles", "department", "groups", "display_name", "disabled")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SPIFFE_ID_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: PrincipalKind
    code: str
    spiffe_id: str
    roles: _containers.RepeatedScalarFieldContainer[Role]
    department: str
    groups: _containers.RepeatedScalarFieldContainer[str]
    display_name: str
    disabled: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[PrincipalKind, str]] = ..., code: _Optional[str] = ..., spiffe_id: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[Role, str]]] = ..., department: _Optional[str] = ..., groups: _Optional[_Iterable[str]] = ..., display_name: _Optional[str] = ..., disabled: _Optional[bool] = ...) -> None: ...

class RowScope(_message.Message):
    __slots__ = ("all_rows", "division_codes", "entity_keys", "requested_entities_only")
    ALL_ROWS_FIELD_NUMBER: _ClassVar[int]
    DIVISION_CODES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEYS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_ENTITIES_ONLY_FIELD_NUMBER: _ClassVar[int]
    all_rows: bool
    division_codes: _containers.RepeatedScalarFieldContainer[str]
    entity_keys: _containers.RepeatedScalarFieldContainer[str]
    requested_entities_only: bool
    def __init__(self, all_rows: _Optional[bool] = ..., division_codes: _Optional[_Iterable[str]] = ..., entity_keys: _Optional[_Iterable[str]] = ..., requested_entities_only: _Optional[bool] = ...) -> None: ...

class Row(_message.Message):
    __slots__ = ("division_code", "entity_key", "entity_key_requested")
    DIVISION_CODE_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEY_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    division_code: str
    entity_key: str
    entity_key_requested: bool
    def __init__(self, division_code: _Optional[str] = ..., entity_key: _Optional[str] = ..., entity_key_requested: _Optional[bool] = ...) -> None: ...

class AccessQuery(_message.Message):
    __slots__ = ("principal", "action", "subject", "items", "resource", "row")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    principal: str
    action: Action
    subject: str
    items: _containers.RepeatedScalarFieldContainer[str]
    resource: str
    row: Row
    def __init__(self, principal: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., subject: _Optional[str] = ..., items: _Optional[_Iterable[str]] = ..., resource: _Optional[str] = ..., row: _Optional[_Union[Row, _Mapping]] = ...) -> None: ...

class ItemDecision(_message.Message):
    __slots__ = ("subject", "item", "decision", "reason", "sharing_type", "row_scope", "grants")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    ROW_SCOPE_FIELD_NUMBER: _ClassVar[int]
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    item: str
    decision: Decision
    reason: ReasonCode
    sharing_type: _catalog_pb2.SharingType
    row_scope: RowScope
    grants: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subject: _Optional[str] = ..., item: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[_Union[ReasonCode, str]] = ..., sharing_type: _Optional[_Union[_catalog_pb2.SharingType, str]] = ..., row_scope: _Optional[_Union[RowScope, _Mapping]] = ..., grants: _Optional[_Iterable[str]] = ...) -> None: ...

class AccessDecision(_message.Message):
    __slots__ = ("decision", "reason", "items", "policy_revision", "message")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    reason: ReasonCode
    items: _containers.RepeatedCompositeFieldContainer[ItemDecision]
    policy_revision: int
    message: str
    def __init__(self, decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[_Union[ReasonCode, str]] = ..., items: _Optional[_Iterable[_Union[ItemDecision, _Mapping]]] = ..., policy_revision: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ItemPolicy(_message.Message):
    __slots__ = ("subject", "item", "provider", "sharing_type", "deprecated", "removed")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    subject: str
    item: str
    provider: str
    sharing_type: _catalog_pb2.SharingType
    deprecated: bool
    removed: bool
    def __init__(self, subject: _Optional[str] = ..., item: _Optional[str] = ..., provider: _Optional[str] = ..., sharing_type: _Optional[_Union[_catalog_pb2.SharingType, str]] = ..., deprecated: _Optional[bool] = ..., removed: _Optional[bool] = ...) -> None: ...

class Grant(_message.Message):
    __slots__ = ("name", "subject", "provider", "items", "mode", "consumer_departments", "consumer_groups", "actions", "purpose", "legal_basis", "start_time", "end_time", "row_scope", "state", "applicant", "decided_by", "decision_reason", "create_time", "update_time", "revision")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROW_SCOPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    name: str
    subject: str
    provider: str
    items: _containers.RepeatedScalarFieldContainer[str]
    mode: GrantMode
    consumer_departments: _containers.RepeatedScalarFieldContainer[str]
    consumer_groups: _containers.RepeatedScalarFieldContainer[str]
    actions: _containers.RepeatedScalarFieldContainer[Action]
    purpose: str
    legal_basis: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    row_scope: RowScope
    state: GrantState
    applicant: str
    decided_by: str
    decision_reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    revision: int
    def __init__(self, name: _Optional[str] = ..., subject: _Optional[str] = ..., provider: _Optional[str] = ..., items: _Optional[_Iterable[str]] = ..., mode: _Optional[_Union[GrantMode, str]] = ..., consumer_departments: _Optional[_Iterable[str]] = ..., consumer_groups: _Optional[_Iterable[str]] = ..., actions: _Optional[_Iterable[_Union[Action, str]]] = ..., purpose: _Optional[str] = ..., legal_basis: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., row_scope: _Optional[_Union[RowScope, _Mapping]] = ..., state: _Optional[_Union[GrantState, str]] = ..., applicant: _Optional[str] = ..., decided_by: _Optional[str] = ..., decision_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ...) -> None: ...

class GrantHistoryEntry(_message.Message):
    __slots__ = ("grant", "event", "state", "principal", "reason", "create_time", "revision", "trace_id")
    GRANT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    grant: str
    event: GrantEvent
    state: GrantState
    principal: str
    reason: str
    create_time: _timestamp_pb2.Timestamp
    revision: int
    trace_id: str
    def __init__(self, grant: _Optional[str] = ..., event: _Optional[_Union[GrantEvent, str]] = ..., state: _Optional[_Union[GrantState, str]] = ..., principal: _Optional[str] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ..., trace_id: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("sequence", "create_time", "kind", "principal", "action", "object", "subject", "items", "decision", "reason", "grant", "policy_revision", "trace_id", "recorded_by", "message")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    GRANT_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    create_time: _timestamp_pb2.Timestamp
    kind: AuditEntryKind
    principal: str
    action: Action
    object: str
    subject: str
    items: _containers.RepeatedScalarFieldContainer[str]
    decision: Decision
    reason: ReasonCode
    grant: str
    policy_revision: int
    trace_id: str
    recorded_by: str
    message: str
    def __init__(self, sequence: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[AuditEntryKind, str]] = ..., principal: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., object: _Optional[str] = ..., subject: _Optional[str] = ..., items: _Optional[_Iterable[str]] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[_Union[ReasonCode, str]] = ..., grant: _Optional[str] = ..., policy_revision: _Optional[int] = ..., trace_id: _Optional[str] = ..., recorded_by: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class PolicyChange(_message.Message):
    __slots__ = ("revision", "create_time", "grant", "item", "principal")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    revision: int
    create_time: _timestamp_pb2.Timestamp
    grant: Grant
    item: ItemPolicy
    principal: Principal
    def __init__(self, revision: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., grant: _Optional[_Union[Grant, _Mapping]] = ..., item: _Optional[_Union[ItemPolicy, _Mapping]] = ..., principal: _Optional[_Union[Principal, _Mapping]] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("query", "at_least_revision")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_REVISION_FIELD_NUMBER: _ClassVar[int]
    query: AccessQuery
    at_least_revision: int
    def __init__(self, query: _Optional[_Union[AccessQuery, _Mapping]] = ..., at_least_revision: _Optional[int] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: AccessDecision
    def __init__(self, decision: _Optional[_Union[AccessDecision, _Mapping]] = ...) -> None: ...

class BatchCheckRequest(_message.Message):
    __slots__ = ("queries", "at_least_revision")
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_REVISION_FIELD_NUMBER: _ClassVar[int]
    queries: _containers.RepeatedCompositeFieldContainer[AccessQuery]
    at_least_revision: int
    def __init__(self, queries: _Optional[_Iterable[_Union[AccessQuery, _Mapping]]] = ..., at_least_revision: _Optional[int] = ...) -> None: ...

class BatchCheckResponse(_message.Message):
    __slots__ = ("decisions", "policy_revision")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[AccessDecision]
    policy_revision: int
    def __init__(self, decisions: _Optional[_Iterable[_Union[AccessDecision, _Mapping]]] = ..., policy_revision: _Optional[int] = ...) -> None: ...

class ListAllowedRequest(_message.Message):
    __slots__ = ("principal", "action", "subject", "page_size", "page_token", "at_least_revision", "include_denied")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_REVISION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DENIED_FIELD_NUMBER: _ClassVar[int]
    principal: str
    action: Action
    subject: str
    page_size: int
    page_token: str
    at_least_revision: int
    include_denied: bool
    def __init__(self, principal: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., subject: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., at_least_revision: _Optional[int] = ..., include_denied: _Optional[bool] = ...) -> None: ...

class ListAllowedResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "policy_revision")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemDecision]
    next_page_token: str
    policy_revision: int
    def __init__(self, items: _Optional[_Iterable[_Union[ItemDecision, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., policy_revision: _Optional[int] = ...) -> None: ...

class WatchPolicyRequest(_message.Message):
    __slots__ = ("after_revision",)
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    def __init__(self, after_revision: _Optional[int] = ...) -> None: ...

class WatchPolicyResponse(_message.Message):
    __slots__ = ("changes", "revision")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[PolicyChange]
    revision: int
    def __init__(self, changes: _Optional[_Iterable[_Union[PolicyChange, _Mapping]]] = ..., revision: _Optional[int] = ...) -> None: ...

class ReadPolicySnapshotRequest(_message.Message):
    __slots__ = ("at_least_revision",)
    AT_LEAST_REVISION_FIELD_NUMBER: _ClassVar[int]
    at_least_revision: int
    def __init__(self, at_least_revision: _Optional[int] = ...) -> None: ...

class ReadPolicySnapshotResponse(_message.Message):
    __slots__ = ("revision", "catalog_revision", "items", "principals", "grants")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CATALOG_REVISION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPALS_FIELD_NUMBER: _ClassVar[int]
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    revision: int
    catalog_revision: int
    items: _containers.RepeatedCompositeFieldContainer[ItemPolicy]
    principals: _containers.RepeatedCompositeFieldContainer[Principal]
    grants: _containers.RepeatedCompositeFieldContainer[Grant]
    def __init__(self, revision: _Optional[int] = ..., catalog_revision: _Optional[int] = ..., items: _Optional[_Iterable[_Union[ItemPolicy, _Mapping]]] = ..., principals: _Optional[_Iterable[_Union[Principal, _Mapping]]] = ..., grants: _Optional[_Iterable[_Union[Grant, _Mapping]]] = ...) -> None: ...

class GetPrincipalRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPrincipalResponse(_message.Message):
    __slots__ = ("principal",)
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: Principal
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ...) -> None: ...

class ListPrincipalsRequest(_message.Message):
    __slots__ = ("kind", "page_size", "page_token")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    kind: PrincipalKind
    page_size: int
    page_token: str
    def __init__(self, kind: _Optional[_Union[PrincipalKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPrincipalsResponse(_message.Message):
    __slots__ = ("principals", "next_page_token")
    PRINCIPALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    principals: _containers.RepeatedCompositeFieldContainer[Principal]
    next_page_token: str
    def __init__(self, principals: _Optional[_Iterable[_Union[Principal, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApplyGrantRequest(_message.Message):
    __slots__ = ("grant", "validate_only", "request_id")
    GRANT_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    validate_only: bool
    request_id: str
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class ApplyGrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class ApproveGrantRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApproveGrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class RejectGrantRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectGrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class RevokeGrantRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeGrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class GetGrantRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetGrantResponse(_message.Message):
    __slots__ = ("grant", "history")
    GRANT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    history: _containers.RepeatedCompositeFieldContainer[GrantHistoryEntry]
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ..., history: _Optional[_Iterable[_Union[GrantHistoryEntry, _Mapping]]] = ...) -> None: ...

class ListGrantsRequest(_message.Message):
    __slots__ = ("subject", "provider", "consumer", "states", "item", "active_at", "page_size", "page_token")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject: str
    provider: str
    consumer: str
    states: _containers.RepeatedScalarFieldContainer[GrantState]
    item: str
    active_at: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, subject: _Optional[str] = ..., provider: _Optional[str] = ..., consumer: _Optional[str] = ..., states: _Optional[_Iterable[_Union[GrantState, str]]] = ..., item: _Optional[str] = ..., active_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGrantsResponse(_message.Message):
    __slots__ = ("grants", "next_page_token", "total_size")
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    grants: _containers.RepeatedCompositeFieldContainer[Grant]
    next_page_token: str
    total_size: int
    def __init__(self, grants: _Optional[_Iterable[_Union[Grant, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListGrantHistoryRequest(_message.Message):
    __slots__ = ("name", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGrantHistoryResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[GrantHistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[GrantHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAuditEntriesRequest(_message.Message):
    __slots__ = ("principal", "actions", "decision", "subject", "object", "grant", "reason", "trace_id", "kind", "start_time", "end_time", "page_size", "page_token", "oldest_first")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    GRANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OLDEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    principal: str
    actions: _containers.RepeatedScalarFieldContainer[Action]
    decision: Decision
    subject: str
    object: str
    grant: str
    reason: ReasonCode
    trace_id: str
    kind: AuditEntryKind
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    oldest_first: bool
    def __init__(self, principal: _Optional[str] = ..., actions: _Optional[_Iterable[_Union[Action, str]]] = ..., decision: _Optional[_Union[Decision, str]] = ..., subject: _Optional[str] = ..., object: _Optional[str] = ..., grant: _Optional[str] = ..., reason: _Optional[_Union[ReasonCode, str]] = ..., trace_id: _Optional[str] = ..., kind: _Optional[_Union[AuditEntryKind, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., oldest_first: _Optional[bool] = ...) -> None: ...

class ListAuditEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AppendAuditEntriesRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...

class AppendAuditEntriesResponse(_message.Message):
    __slots__ = ("first_sequence", "appended_count")
    FIRST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    APPENDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    first_sequence: int
    appended_count: int
    def __init__(self, first_sequence: _Optional[int] = ..., appended_count: _Optional[int] = ...) -> None: ...
