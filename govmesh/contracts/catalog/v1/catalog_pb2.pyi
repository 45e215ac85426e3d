import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SharingType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARING_TYPE_UNSPECIFIED: _ClassVar[SharingType]
    SHARING_TYPE_UNCONDITIONAL: _ClassVar[SharingType]
    SHARING_TYPE_CONDITIONAL: _ClassVar[SharingType]
    SHARING_TYPE_NOT_SHARED: _ClassVar[SharingType]

class DataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATA_TYPE_UNSPECIFIED: _ClassVar[DataType]
    DATA_TYPE_STRING: _ClassVar[DataType]
    DATA_TYPE_INTEGER: _ClassVar[DataType]
    DATA_TYPE_DECIMAL: _ClassVar[DataType]
    DATA_TYPE_DATE: _ClassVar[DataType]
    DATA_TYPE_DATETIME: _ClassVar[DataType]
    DATA_TYPE_BOOLEAN: _ClassVar[DataType]
    DATA_TYPE_BYTES: _ClassVar[DataType]
    DATA_TYPE_ENUM: _ClassVar[DataType]

class FormatStandard(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORMAT_STANDARD_UNSPECIFIED: _ClassVar[FormatStandard]
    FORMAT_STANDARD_CITIZEN_ID: _ClassVar[FormatStandard]
    FORMAT_STANDARD_CREDIT_CODE: _ClassVar[FormatStandard]
    FORMAT_STANDARD_DIVISION_CODE: _ClassVar[FormatStandard]
    FORMAT_STANDARD_PHONE: _ClassVar[FormatStandard]
    FORMAT_STANDARD_DATE: _ClassVar[FormatStandard]
    FORMAT_STANDARD_POSTAL_CODE: _ClassVar[FormatStandard]
    FORMAT_STANDARD_EMAIL: _ClassVar[FormatStandard]

class DepartmentLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPARTMENT_LEVEL_UNSPECIFIED: _ClassVar[DepartmentLevel]
    DEPARTMENT_LEVEL_CITY: _ClassVar[DepartmentLevel]
    DEPARTMENT_LEVEL_DISTRICT: _ClassVar[DepartmentLevel]

class SubjectCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBJECT_CATEGORY_UNSPECIFIED: _ClassVar[SubjectCategory]
    SUBJECT_CATEGORY_BASIC: _ClassVar[SubjectCategory]
    SUBJECT_CATEGORY_THEMATIC: _ClassVar[SubjectCategory]
    SUBJECT_CATEGORY_DEPARTMENTAL: _ClassVar[SubjectCategory]

class UpdateCycle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPDATE_CYCLE_UNSPECIFIED: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_REAL_TIME: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_DAILY: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_WEEKLY: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_MONTHLY: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_QUARTERLY: _ClassVar[UpdateCycle]
    UPDATE_CYCLE_YEARLY: _ClassVar[UpdateCycle]

class SensitivityLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENSITIVITY_LEVEL_UNSPECIFIED: _ClassVar[SensitivityLevel]
    SENSITIVITY_LEVEL_PUBLIC: _ClassVar[SensitivityLevel]
    SENSITIVITY_LEVEL_INTERNAL: _ClassVar[SensitivityLevel]
    SENSITIVITY_LEVEL_SENSITIVE: _ClassVar[SensitivityLevel]
    SENSITIVITY_LEVEL_SECRET: _ClassVar[SensitivityLevel]

class ResourceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOURCE_KIND_UNSPECIFIED: _ClassVar[ResourceKind]
    RESOURCE_KIND_DEPARTMENT: _ClassVar[ResourceKind]
    RESOURCE_KIND_SUBJECT: _ClassVar[ResourceKind]
    RESOURCE_KIND_ITEM: _ClassVar[ResourceKind]

class MatchKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_KIND_UNSPECIFIED: _ClassVar[MatchKind]
    MATCH_KIND_EXACT_CODE: _ClassVar[MatchKind]
    MATCH_KIND_EXACT_NAME: _ClassVar[MatchKind]
    MATCH_KIND_PREFIX: _ClassVar[MatchKind]
    MATCH_KIND_SUBSTRING: _ClassVar[MatchKind]
    MATCH_KIND_FUZZY: _ClassVar[MatchKind]
SHARING_TYPE_UNSPECIFIED: SharingType
SHARING_TYPE_UNCONDITIONAL: SharingType
SHARING_TYPE_CONDITIONAL: SharingType
SHARING_TYPE_NOT_SHARED: SharingType
DATA_TYPE_UNSPECIFIED: DataType
DATA_TYPE_STRING: DataType
DATA_TYPE_INTEGER: DataType
DATA_TYPE_DECIMAL: DataType
DATA_TYPE_DATE: DataType
DATA_TYPE_DATETIME: DataType
DATA_TYPE_BOOLEAN: DataType
DATA_TYPE_BYTES: DataType
DATA_TYPE_ENUM: DataType
FORMAT_STANDARD_UNSPECIFIED: FormatStandard
FORMAT_STANDARD_CITIZEN_ID: FormatStandard
FORMAT_STANDARD_CREDIT_CODE: FormatStandard
FORMAT_STANDARD_DIVISION_CODE: FormatStandard
FORMAT_STANDARD_PHONE: FormatStandard
FORMAT_STANDARD_DATE: FormatStandard
FORMAT_STANDARD_POSTAL_CODE: FormatStandard
FORMAT_STANDARD_EMAIL: FormatStandard
DEPARTMENT_LEVEL_UNSPECIFIED: DepartmentLevel
DEPARTMENT_LEVEL_CITY: DepartmentLevel
DEPARTMENT_LEVEL_DISTRICT: DepartmentLevel
SUBJECT_CATEGORY_UNSPECIFIED: SubjectCategory
SUBJECT_CATEGORY_BASIC: SubjectCategory
SUBJECT_CATEGORY_THEMATIC: SubjectCategory
SUBJECT_CATEGORY_DEPARTMENTAL: SubjectCategory
UPDATE_CYCLE_UNSPECIFIED: UpdateCycle
UPDATE_CYCLE_REAL_TIME: UpdateCycle
UPDATE_CYCLE_DAILY: UpdateCycle
UPDATE_CYCLE_WEEKLY: UpdateCycle
UPDATE_CYCLE_MONTHLY: UpdateCycle
UPDATE_CYCLE_QUARTERLY: UpdateCycle
UPDATE_CYCLE_YEARLY: UpdateCycle
SENSITIVITY_LEVEL_UNSPECIFIED: SensitivityLevel
SENSITIVITY_LEVEL_PUBLIC: SensitivityLevel
SENSITIVITY_LEVEL_INTERNAL: SensitivityLevel
SENSITIVITY_LEVEL_SENSITIVE: SensitivityLevel
SENSITIVITY_LEVEL_SECRET: SensitivityLevel
RESOURCE_KIND_UNSPECIFIED: ResourceKind
RESOURCE_KIND_DEPARTMENT: ResourceKind
RESOURCE_KIND_SUBJECT: ResourceKind
RESOURCE_KIND_ITEM: ResourceKind
MATCH_KIND_UNSPECIFIED: MatchKind
MATCH_KIND_EXACT_CODE: MatchKind
MATCH_KIND_EXACT_NAME: MatchKind
MATCH_KIND_PREFIX: MatchKind
MATCH_KIND_SUBSTRING: MatchKind
MATCH_KIND_FUZZY: MatchKind

class Department(_message.Message):
    __slots__ = ("name", "code", "name_zh", "name_en", "level", "division_code", "groups")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    DIVISION_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    name_zh: str
    name_en: str
    level: DepartmentLevel
    division_code: str
    groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., level: _Optional[_Union[DepartmentLevel, str]] = ..., division_code: _Optional[str] = ..., groups: _Optional[_Iterable[str]] = ...) -> None: ...

class DataItem(_message.Message):
    __slots__ = ("name", "code", "subject_code", "name_zh", "name_en", "data_type", "length", "scale", "enum_values", "format_standard", "required", "sharing_type", "sharing_conditions", "open_to_public", "sensitivity", "description", "deprecated")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    ENUM_VALUES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_STANDARD_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    SHARING_CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    OPEN_TO_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    subject_code: str
    name_zh: str
    name_en: str
    data_type: DataType
    length: int
    scale: int
    enum_values: _containers.RepeatedScalarFieldContainer[str]
    format_standard: FormatStandard
    required: bool
    sharing_type: SharingType
    sharing_conditions: str
    open_to_public: bool
    sensitivity: SensitivityLevel
    description: str
    deprecated: bool
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., subject_code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., data_type: _Optional[_Union[DataType, str]] = ..., length: _Optional[int] = ..., scale: _Optional[int] = ..., enum_values: _Optional[_Iterable[str]] = ..., format_standard: _Optional[_Union[FormatStandard, str]] = ..., required: _Optional[bool] = ..., sharing_type: _Optional[_Union[SharingType, str]] = ..., sharing_conditions: _Optional[str] = ..., open_to_public: _Optional[bool] = ..., sensitivity: _Optional[_Union[SensitivityLevel, str]] = ..., description: _Optional[str] = ..., deprecated: _Optional[bool] = ...) -> None: ...

class Subject(_message.Message):
    __slots__ = ("name", "code", "name_zh", "name_en", "provider", "abstract", "category", "format", "update_cycle", "release_date", "version", "items", "deprecated", "update_time", "retention")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ABSTRACT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_CYCLE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RETENTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    name_zh: str
    name_en: str
    provider: str
    abstract: str
    category: SubjectCategory
    format: str
    update_cycle: UpdateCycle
    release_date: str
    version: str
    items: _containers.RepeatedCompositeFieldContainer[DataItem]
    deprecated: bool
    update_time: _timestamp_pb2.Timestamp
    retention: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., provider: _Optional[str] = ..., abstract: _Optional[str] = ..., category: _Optional[_Union[SubjectCategory, str]] = ..., format: _Optional[str] = ..., update_cycle: _Optional[_Union[UpdateCycle, str]] = ..., release_date: _Optional[str] = ..., version: _Optional[str] = ..., items: _Optional[_Iterable[_Union[DataItem, _Mapping]]] = ..., deprecated: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retention: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class FieldChange(_message.Message):
    __slots__ = ("path", "kind", "before", "after", "breaking", "breaking_reason")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    BREAKING_FIELD_NUMBER: _ClassVar[int]
    BREAKING_REASON_FIELD_NUMBER: _ClassVar[int]
    path: str
    kind: str
    before: str
    after: str
    breaking: bool
    breaking_reason: str
    def __init__(self, path: _Optional[str] = ..., kind: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ..., breaking: _Optional[bool] = ..., breaking_reason: _Optional[str] = ...) -> None: ...

class SubjectChange(_message.Message):
    __slots__ = ("subject", "from_version", "to_version", "breaking", "changes")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    BREAKING_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    subject: str
    from_version: str
    to_version: str
    breaking: bool
    changes: _containers.RepeatedCompositeFieldContainer[FieldChange]
    def __init__(self, subject: _Optional[str] = ..., from_version: _Optional[str] = ..., to_version: _Optional[str] = ..., breaking: _Optional[bool] = ..., changes: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ...) -> None: ...

class SubjectVersion(_message.Message):
    __slots__ = ("subject", "version", "create_time", "author", "reason", "change")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: str
    create_time: _timestamp_pb2.Timestamp
    author: str
    reason: str
    change: SubjectChange
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., author: _Optional[str] = ..., reason: _Optional[str] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class CatalogChange(_message.Message):
    __slots__ = ("revision", "create_time", "principal", "action", "subject", "reason", "change", "trace_id")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    revision: int
    create_time: _timestamp_pb2.Timestamp
    principal: str
    action: str
    subject: str
    reason: str
    change: SubjectChange
    trace_id: str
    def __init__(self, revision: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[str] = ..., action: _Optional[str] = ..., subject: _Optional[str] = ..., reason: _Optional[str] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class FieldValue(_message.Message):
    __slots__ = ("string_value", "integer_value", "decimal_value", "date_value", "datetime_value", "boolean_value", "bytes_value", "enum_value")
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INTEGER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DECIMAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    DATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    DATETIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_VALUE_FIELD_NUMBER: _ClassVar[int]
    BYTES_VALUE_FIELD_NUMBER: _ClassVar[int]
    ENUM_VALUE_FIELD_NUMBER: _ClassVar[int]
    string_value: str
    integer_value: int
    decimal_value: str
    date_value: str
    datetime_value: _timestamp_pb2.Timestamp
    boolean_value: bool
    bytes_value: bytes
    enum_value: str
    def __init__(self, string_value: _Optional[str] = ..., integer_value: _Optional[int] = ..., decimal_value: _Optional[str] = ..., date_value: _Optional[str] = ..., datetime_value: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., boolean_value: _Optional[bool] = ..., bytes_value: _Optional[bytes] = ..., enum_value: _Optional[str] = ...) -> None: ...

class RecordValues(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FieldValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FieldValue, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, FieldValue]
    def __init__(self, values: _Optional[_Mapping[str, FieldValue]] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("item_code", "reason", "description")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    reason: str
    description: str
    def __init__(self, item_code: _Optional[str] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class RecordVerdict(_message.Message):
    __slots__ = ("index", "valid", "violations")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    index: int
    valid: bool
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    def __init__(self, index: _Optional[int] = ..., valid: _Optional[bool] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ...) -> None: ...

class ListDepartmentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDepartmentsResponse(_message.Message):
    __slots__ = ("departments", "next_page_token", "total_size")
    DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    departments: _containers.RepeatedCompositeFieldContainer[Department]
    next_page_token: str
    total_size: int
    def __init__(self, departments: _Optional[_Iterable[_Union[Department, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetDepartmentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDepartmentResponse(_message.Message):
    __slots__ = ("department",)
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    department: Department
    def __init__(self, department: _Optional[_Union[Department, _Mapping]] = ...) -> None: ...

class ListSubjectsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "provider", "category", "include_deprecated", "include_items")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ITEMS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    provider: str
    category: SubjectCategory
    include_deprecated: bool
    include_items: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ..., category: _Optional[_Union[SubjectCategory, str]] = ..., include_deprecated: _Optional[bool] = ..., include_items: _Optional[bool] = ...) -> None: ...

class ListSubjectsResponse(_message.Message):
    __slots__ = ("subjects", "next_page_token", "total_size")
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    subjects: _containers.RepeatedCompositeFieldContainer[Subject]
    next_page_token: str
    total_size: int
    def __init__(self, subjects: _Optional[_Iterable[_Union[Subject, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetSubjectRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class GetSubjectResponse(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ...) -> None: ...

class ListSubjectVersionsRequest(_message.Message):
    __slots__ = ("name", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSubjectVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[SubjectVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[SubjectVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListItemsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "sharing_type")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    sharing_type: SharingType
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., sharing_type: _Optional[_Union[SharingType, str]] = ...) -> None: ...

class ListItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "total_size")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DataItem]
    next_page_token: str
    total_size: int
    def __init__(self, items: _Optional[_Iterable[_Union[DataItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetItemRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetItemResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: DataItem
    def __init__(self, item: _Optional[_Union[DataItem, _Mapping]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query", "page_size", "page_token", "kinds", "department", "sharing_type")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    query: str
    page_size: int
    page_token: str
    kinds: _containers.RepeatedScalarFieldContainer[ResourceKind]
    department: str
    sharing_type: SharingType
    def __init__(self, query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[ResourceKind, str]]] = ..., department: _Optional[str] = ..., sharing_type: _Optional[_Union[SharingType, str]] = ...) -> None: ...

class SearchResult(_message.Message):
    __slots__ = ("kind", "name", "code", "name_zh", "name_en", "department", "sharing_type", "match", "score")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    kind: ResourceKind
    name: str
    code: str
    name_zh: str
    name_en: str
    department: str
    sharing_type: SharingType
    match: MatchKind
    score: float
    def __init__(self, kind: _Optional[_Union[ResourceKind, str]] = ..., name: _Optional[str] = ..., code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., department: _Optional[str] = ..., sharing_type: _Optional[_Union[SharingType, str]] = ..., match: _Optional[_Union[MatchKind, str]] = ..., score: _Optional[float] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("results", "next_page_token", "total_size")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SearchResult]
    next_page_token: str
    total_size: int
    def __init__(self, results: _Optional[_Iterable[_Union[SearchResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetCatalogStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SharingTypeCount(_message.Message):
    __slots__ = ("sharing_type", "items")
    SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    sharing_type: SharingType
    items: int
    def __init__(self, sharing_type: _Optional[_Union[SharingType, str]] = ..., items: _Optional[int] = ...) -> None: ...

class GetCatalogStatsResponse(_message.Message):
    __slots__ = ("departments", "subjects", "items", "by_sharing_type", "revision")
    DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    BY_SHARING_TYPE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    departments: int
    subjects: int
    items: int
    by_sharing_type: _containers.RepeatedCompositeFieldContainer[SharingTypeCount]
    revision: int
    def __init__(self, departments: _Optional[int] = ..., subjects: _Optional[int] = ..., items: _Optional[int] = ..., by_sharing_type: _Optional[_Iterable[_Union[SharingTypeCount, _Mapping]]] = ..., revision: _Optional[int] = ...) -> None: ...

class ListCatalogChangesRequest(_message.Message):
    __slots__ = ("subject", "page_size", "page_token")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject: str
    page_size: int
    page_token: str
    def __init__(self, subject: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCatalogChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[CatalogChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[CatalogChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchCatalogRequest(_message.Message):
    __slots__ = ("after_revision",)
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    def __init__(self, after_revision: _Optional[int] = ...) -> None: ...

class WatchCatalogResponse(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: CatalogChange
    def __init__(self, change: _Optional[_Union[CatalogChange, _Mapping]] = ...) -> None: ...

class CreateSubjectRequest(_message.Message):
    __slots__ = ("subject", "reason", "validate_only")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    reason: str
    validate_only: bool
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateSubjectResponse(_message.Message):
    __slots__ = ("subject", "change")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    change: SubjectChange
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class UpdateSubjectRequest(_message.Message):
    __slots__ = ("subject", "update_mask", "reason", "major", "validate_only", "expected_version")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MAJOR_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    update_mask: _field_mask_pb2.FieldMask
    reason: str
    major: bool
    validate_only: bool
    expected_version: str
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., reason: _Optional[str] = ..., major: _Optional[bool] = ..., validate_only: _Optional[bool] = ..., expected_version: _Optional[str] = ...) -> None: ...

class UpdateSubjectResponse(_message.Message):
    __slots__ = ("subject", "change")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    change: SubjectChange
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class DeprecateSubjectRequest(_message.Message):
    __slots__ = ("name", "reason", "validate_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    validate_only: bool
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class DeprecateSubjectResponse(_message.Message):
    __slots__ = ("subject", "change")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    subject: Subject
    change: SubjectChange
    def __init__(self, subject: _Optional[_Union[Subject, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class CreateItemRequest(_message.Message):
    __slots__ = ("parent", "item", "reason", "validate_only")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    item: DataItem
    reason: str
    validate_only: bool
    def __init__(self, parent: _Optional[str] = ..., item: _Optional[_Union[DataItem, _Mapping]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateItemResponse(_message.Message):
    __slots__ = ("item", "change")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    item: DataItem
    change: SubjectChange
    def __init__(self, item: _Optional[_Union[DataItem, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class UpdateItemRequest(_message.Message):
    __slots__ = ("item", "update_mask", "reason", "major", "validate_only")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MAJOR_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    item: DataItem
    update_mask: _field_mask_pb2.FieldMask
    reason: str
    major: bool
    validate_only: bool
    def __init__(self, item: _Optional[_Union[DataItem, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., reason: _Optional[str] = ..., major: _Optional[bool] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateItemResponse(_message.Message):
    __slots__ = ("item", "change")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    item: DataItem
    change: SubjectChange
    def __init__(self, item: _Optional[_Union[DataItem, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class DeprecateItemRequest(_message.Message):
    __slots__ = ("name", "reason", "validate_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    validate_only: bool
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class DeprecateItemResponse(_message.Message):
    __slots__ = ("item", "change")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    item: DataItem
    change: SubjectChange
    def __init__(self, item: _Optional[_Union[DataItem, _Mapping]] = ..., change: _Optional[_Union[SubjectChange, _Mapping]] = ...) -> None: ...

class ValidateRecordsRequest(_message.Message):
    __slots__ = ("subject", "version", "records")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: str
    records: _containers.RepeatedCompositeFieldContainer[RecordValues]
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[str] = ..., records: _Optional[_Iterable[_Union[RecordValues, _Mapping]]] = ...) -> None: ...

class ValidateRecordsResponse(_message.Message):
    __slots__ = ("version", "verdicts", "invalid_count")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    INVALID_COUNT_FIELD_NUMBER: _ClassVar[int]
    version: str
    verdicts: _containers.RepeatedCompositeFieldContainer[RecordVerdict]
    invalid_count: int
    def __init__(self, version: _Optional[str] = ..., verdicts: _Optional[_Iterable[_Union[RecordVerdict, _Mapping]]] = ..., invalid_count: _Optional[int] = ...) -> None: ...

class ValidateRecordStreamRequest(_message.Message):
    __slots__ = ("subject", "version", "record")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    subject: str
    version: str
    record: RecordValues
    def __init__(self, subject: _Optional[str] = ..., version: _Optional[str] = ..., record: _Optional[_Union[RecordValues, _Mapping]] = ...) -> None: ...

class ValidateRecordStreamResponse(_message.Message):
    __slots__ = ("version", "verdict")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    version: str
    verdict: RecordVerdict
    def __init__(self, version: _Optional[str] = ..., verdict: _Optional[_Union[RecordVerdict, _Mapping]] = ...) -> None: ...
