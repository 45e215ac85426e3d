import datetime

from govmesh.contracts.authz.v1 import authz_pb2 as _authz_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HealthStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_STATUS_UNSPECIFIED: _ClassVar[HealthStatus]
    HEALTH_STATUS_SERVING: _ClassVar[HealthStatus]
    HEALTH_STATUS_NOT_SERVING: _ClassVar[HealthStatus]
    HEALTH_STATUS_SERVICE_UNKNOWN: _ClassVar[HealthStatus]
    HEALTH_STATUS_UNREACHABLE: _ClassVar[HealthStatus]

class ConnectivityState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTIVITY_STATE_UNSPECIFIED: _ClassVar[ConnectivityState]
    CONNECTIVITY_STATE_IDLE: _ClassVar[ConnectivityState]
    CONNECTIVITY_STATE_CONNECTING: _ClassVar[ConnectivityState]
    CONNECTIVITY_STATE_READY: _ClassVar[ConnectivityState]
    CONNECTIVITY_STATE_TRANSIENT_FAILURE: _ClassVar[ConnectivityState]
    CONNECTIVITY_STATE_SHUTDOWN: _ClassVar[ConnectivityState]
HEALTH_STATUS_UNSPECIFIED: HealthStatus
HEALTH_STATUS_SERVING: HealthStatus
HEALTH_STATUS_NOT_SERVING: HealthStatus
HEALTH_STATUS_SERVICE_UNKNOWN: HealthStatus
HEALTH_STATUS_UNREACHABLE: HealthStatus
CONNECTIVITY_STATE_UNSPECIFIED: ConnectivityState
CONNECTIVITY_STATE_IDLE: ConnectivityState
CONNECTIVITY_STATE_CONNECTING: ConnectivityState
CONNECTIVITY_STATE_READY: ConnectivityState
CONNECTIVITY_STATE_TRANSIENT_FAILURE: ConnectivityState
CONNECTIVITY_STATE_SHUTDOWN: ConnectivityState

class Certificate(_message.Message):
    __slots__ = ("serial_number", "spiffe_id", "subject", "issuer", "not_before", "not_after", "sha256_fingerprint")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SPIFFE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    SHA256_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    spiffe_id: str
    subject: str
    issuer: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    sha256_fingerprint: str
    def __init__(self, serial_number: _Optional[str] = ..., spiffe_id: _Optional[str] = ..., subject: _Optional[str] = ..., issuer: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sha256_fingerprint: _Optional[str] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("requests_per_second", "burst", "max_concurrent_streams", "max_message_bytes", "default_deadline", "max_deadline", "response_bytes_per_second", "response_bytes_burst")
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    BURST_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_STREAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    MAX_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BYTES_BURST_FIELD_NUMBER: _ClassVar[int]
    requests_per_second: float
    burst: int
    max_concurrent_streams: int
    max_message_bytes: int
    default_deadline: _duration_pb2.Duration
    max_deadline: _duration_pb2.Duration
    response_bytes_per_second: float
    response_bytes_burst: int
    def __init__(self, requests_per_second: _Optional[float] = ..., burst: _Optional[int] = ..., max_concurrent_streams: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., default_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., response_bytes_per_second: _Optional[float] = ..., response_bytes_burst: _Optional[int] = ...) -> None: ...

class LimitUsage(_message.Message):
    __slots__ = ("available_tokens", "available_response_bytes", "open_streams", "admitted_calls", "rejected_calls", "since")
    AVAILABLE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_RESPONSE_BYTES_FIELD_NUMBER: _ClassVar[int]
    OPEN_STREAMS_FIELD_NUMBER: _ClassVar[int]
    ADMITTED_CALLS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_CALLS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    available_tokens: float
    available_response_bytes: float
    open_streams: int
    admitted_calls: int
    rejected_calls: int
    since: _timestamp_pb2.Timestamp
    def __init__(self, available_tokens: _Optional[float] = ..., available_response_bytes: _Optional[float] = ..., open_streams: _Optional[int] = ..., admitted_calls: _Optional[int] = ..., rejected_calls: _Optional[int] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpstreamEndpoint(_message.Message):
    __slots__ = ("address", "health", "state", "check_time", "change_time", "active_calls", "forwarded_calls", "failed_calls", "last_error")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_CALLS_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_CALLS_FIELD_NUMBER: _ClassVar[int]
    FAILED_CALLS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    address: str
    health: HealthStatus
    state: ConnectivityState
    check_time: _timestamp_pb2.Timestamp
    change_time: _timestamp_pb2.Timestamp
    active_calls: int
    forwarded_calls: int
    failed_calls: int
    last_error: str
    def __init__(self, address: _Optional[str] = ..., health: _Optional[_Union[HealthStatus, str]] = ..., state: _Optional[_Union[ConnectivityState, str]] = ..., check_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_calls: _Optional[int] = ..., forwarded_calls: _Optional[int] = ..., failed_calls: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class Upstream(_message.Message):
    __slots__ = ("service", "endpoints", "load_balancing_policy", "healthy_endpoints")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCING_POLICY_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    service: str
    endpoints: _containers.RepeatedCompositeFieldContainer[UpstreamEndpoint]
    load_balancing_policy: str
    healthy_endpoints: int
    def __init__(self, service: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[UpstreamEndpoint, _Mapping]]] = ..., load_balancing_policy: _Optional[str] = ..., healthy_endpoints: _Optional[int] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ("principal", "certificate", "peer_address", "policy_revision", "trace_id")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    PEER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    principal: _authz_pb2.Principal
    certificate: Certificate
    peer_address: str
    policy_revision: int
    trace_id: str
    def __init__(self, principal: _Optional[_Union[_authz_pb2.Principal, _Mapping]] = ..., certificate: _Optional[_Union[Certificate, _Mapping]] = ..., peer_address: _Optional[str] = ..., policy_revision: _Optional[int] = ..., trace_id: _Optional[str] = ...) -> None: ...

class GetLimitsRequest(_message.Message):
    __slots__ = ("principal",)
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: str
    def __init__(self, principal: _Optional[str] = ...) -> None: ...

class GetLimitsResponse(_message.Message):
    __slots__ = ("principal", "limits", "usage")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    principal: str
    limits: Limits
    usage: LimitUsage
    def __init__(self, principal: _Optional[str] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., usage: _Optional[_Union[LimitUsage, _Mapping]] = ...) -> None: ...

class ListUpstreamsRequest(_message.Message):
    __slots__ = ("service", "page_size", "page_token")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service: str
    page_size: int
    page_token: str
    def __init__(self, service: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUpstreamsResponse(_message.Message):
    __slots__ = ("upstreams", "next_page_token")
    UPSTREAMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    upstreams: _containers.RepeatedCompositeFieldContainer[Upstream]
    next_page_token: str
    def __init__(self, upstreams: _Optional[_Iterable[_Union[Upstream, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
