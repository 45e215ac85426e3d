"""Small helpers the integration tests share: reading rich error details off a failed call."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def details_of(error: grpc.aio.AioRpcError) -> dict[str, object]:
    """The google.rpc details of a failed call, keyed by their message name."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: dict[str, object] = {}
    if status is None:
        return found
    for detail in status.details:
        for message_type in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.PreconditionFailure,
            error_details_pb2.ResourceInfo,
            error_details_pb2.RetryInfo,
        ):
            message = message_type()
            if detail.Unpack(message):
                found[message_type.DESCRIPTOR.name] = message
    return found


def violated_fields(error: grpc.aio.AioRpcError) -> list[str]:
    bad = details_of(error).get("BadRequest")
    return [v.field for v in bad.field_violations] if bad else []  # type: ignore[attr-defined]


def reason_of(error: grpc.aio.AioRpcError) -> str:
    info = details_of(error).get("ErrorInfo")
    return info.reason if info else ""  # type: ignore[attr-defined]
