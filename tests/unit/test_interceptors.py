"""Unit tests for how domain errors become gRPC statuses with rich details (govmesh.interceptors.status_for)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from govmesh.runtime import errors
from govmesh.runtime.interceptors import ERROR_DOMAIN, status_for


def detail(status: status_pb2.Status, message_type: type[Message]) -> Message | None:
    """The one detail of that type in the status, or None."""
    found = []
    for any_detail in status.details:
        message = message_type()
        if any_detail.Unpack(message):
            found.append(message)
    assert len(found) <= 1, f"{message_type.__name__} appears {len(found)} times"
    return found[0] if found else None


def detail_types(status: status_pb2.Status) -> set[str]:
    return {d.TypeName().rsplit(".", 1)[-1] for d in status.details}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidArgument("bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("subject", "subjects/102.001"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists("subject", "subjects/102.001"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.FailedPrecondition("breaking"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.Aborted("lost a race"), grpc.StatusCode.ABORTED),
        (errors.PermissionDenied("not yours"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.Unauthenticated("who are you"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.ResourceExhausted("slow down"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.DomainError("unexpected"), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_domain_error_becomes_its_grpc_code_with_an_error_info(
    error: errors.DomainError, code: grpc.StatusCode
) -> None:
    status_code, status = status_for(error)
    assert status_code == code
    assert status.code == getattr(code_pb2, code.name) == code.value[0]
    assert status.message == error.message
    info = detail(status, error_details_pb2.ErrorInfo)
    assert info is not None
    assert (info.reason, info.domain) == (code.name, ERROR_DOMAIN)


def test_an_error_info_carries_a_specific_reason_and_its_metadata() -> None:
    error = errors.FailedPrecondition(
        "grant expired", reason="GRANT_EXPIRED", metadata={"grant": "grants/7", "expired": "2024-01-01"}
    )
    _code, status = status_for(error)
    info = detail(status, error_details_pb2.ErrorInfo)
    assert info is not None
    assert info.reason == "GRANT_EXPIRED"
    assert dict(info.metadata) == {"grant": "grants/7", "expired": "2024-01-01"}


def test_an_invalid_argument_lists_every_field_violation_in_a_bad_request() -> None:
    error = errors.InvalidArgument(
        "the request has invalid fields",
        [
            errors.FieldViolation("subject.code", "must be classification and sequence"),
            errors.FieldViolation("subject.items[2].length", "must not be negative"),
        ],
    )
    _code, status = status_for(error)
    bad = detail(status, error_details_pb2.BadRequest)
    assert bad is not None
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("subject.code", "must be classification and sequence"),
        ("subject.items[2].length", "must not be negative"),
    ]


def test_a_violation_collector_raises_one_invalid_argument_with_everything_it_gathered() -> None:
    found = errors.ViolationCollector()
    found.raise_if_any()  # nothing gathered: nothing raised
    found.add("page_size", "must not be negative")
    found.add("page_token", "is not a token this service issued")
    with pytest.raises(errors.InvalidArgument) as raised:
        found.raise_if_any()
    _code, status = status_for(raised.value)
    bad = detail(status, error_details_pb2.BadRequest)
    assert bad is not None
    assert [v.field for v in bad.field_violations] == ["page_size", "page_token"]


def test_an_invalid_argument_without_violations_has_no_bad_request() -> None:
    _code, status = status_for(errors.InvalidArgument("bad"))
    assert detail_types(status) == {"ErrorInfo"}


def test_a_failed_precondition_lists_its_violations_in_a_precondition_failure() -> None:
    error = errors.FailedPrecondition(
        "the change breaks consumers",
        [errors.PreconditionViolation("BREAKING_CHANGE", "subjects/102.001", "items/102.001.003 removed")],
    )
    _code, status = status_for(error)
    failure = detail(status, error_details_pb2.PreconditionFailure)
    assert failure is not None
    assert [(v.type, v.subject, v.description) for v in failure.violations] == [
        ("BREAKING_CHANGE", "subjects/102.001", "items/102.001.003 removed")
    ]


def test_a_not_found_names_the_missing_resource() -> None:
    _code, status = status_for(errors.NotFound("subject", "subjects/999.001"))
    info = detail(status, error_details_pb2.ResourceInfo)
    assert info is not None
    assert (info.resource_type, info.resource_name) == ("subject", "subjects/999.001")
    assert status.message == "subject 'subjects/999.001' not found"


@pytest.mark.parametrize(("seconds", "nanos"), [(1.0, 1_000_000_000), (0.25, 250_000_000), (30.0, 30_000_000_000)])
def test_resource_exhausted_tells_the_caller_when_to_retry(seconds: float, nanos: int) -> None:
    _code, status = status_for(errors.ResourceExhausted("too many requests", retry_after_seconds=seconds))
    retry = detail(status, error_details_pb2.RetryInfo)
    assert retry is not None
    assert retry.retry_delay.ToNanoseconds() == nanos


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.AlreadyExists("subject", "subjects/102.001"), {"ErrorInfo"}),
        (errors.Aborted("lost a race"), {"ErrorInfo"}),
        (errors.PermissionDenied("no grant"), {"ErrorInfo"}),
        (errors.Unauthenticated("no certificate"), {"ErrorInfo"}),
        (errors.NotFound("subject", "x"), {"ErrorInfo", "ResourceInfo"}),
        (errors.ResourceExhausted("slow down"), {"ErrorInfo", "RetryInfo"}),
    ],
)
def test_each_error_carries_only_the_details_that_apply_to_it(error: errors.DomainError, expected: set[str]) -> None:
    _code, status = status_for(error)
    assert detail_types(status) == expected


def test_a_status_survives_serialisation_into_the_trailer() -> None:
    _code, status = status_for(errors.NotFound("grant", "grants/1", reason="GRANT_NOT_FOUND"))
    again = status_pb2.Status.FromString(status.SerializeToString())
    info = detail(again, error_details_pb2.ErrorInfo)
    assert info is not None
    assert info.reason == "GRANT_NOT_FOUND"


def test_the_status_message_of_invalid_argument_names_the_first_violation() -> None:
    error = errors.InvalidArgument(
        "the request has invalid fields",
        [
            errors.FieldViolation("records[0].event_time", "is out of range"),
            errors.FieldViolation("records[1].subject", "is required"),
        ],
    )
    _code, status = status_for(error)
    assert status.message == "the request has invalid fields: records[0].event_time: is out of range (and 1 more)"
