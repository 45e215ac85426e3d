"""Refusals over HTTP: domain errors and upstream gRPC statuses as Connect errors with readable google.rpc details.

Connect sends each detail as its type and its bytes (base64), which Connect clients decode; for a
person with curl the same detail also goes out as JSON under `debug`, so reason codes and field
violations read in the clear.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError, ErrorDetail
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from google.rpc import error_details_pb2, status_pb2
from protobuf import Registry, wkt
from protobuf._file_registry import create_file_registry  # not exported yet; the version is pinned

from govmesh.runtime import errors
from govmesh.runtime.interceptors import status_for

log = logging.getLogger("govmesh.gateway")

_DETAILS_HEADER = "grpc-status-details-bin"
# The unknown key in google.protobuf.json_format's message for a JSON field the message lacks.
_UNKNOWN_FIELD = re.compile(r'has no field named "([^"]+)"')


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _with_json_names(message: descriptor_pb2.DescriptorProto) -> None:
    # Generated descriptors leave json_name empty; the JSON form needs it to name the fields.
    for field in message.field:
        if not field.json_name:
            field.json_name = _camel(field.name)
    for nested in message.nested_type:
        _with_json_names(nested)


def _portable(file: FileDescriptor) -> wkt.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    for message in proto.message_type:
        _with_json_names(message)
    return wkt.FileDescriptorProto.from_binary(proto.SerializeToString())


@functools.cache
def _detail_types() -> Registry:
    """The google.rpc detail messages, described for the JSON writer Connect uses."""
    pool = descriptor_pool.Default()
    return create_file_registry(
        _portable(error_details_pb2.DESCRIPTOR), lambda path: _portable(pool.FindFileByName(path))
    )


class _Detail(ErrorDetail):
    """A google.rpc detail whose JSON form the Connect error carries under `debug`."""

    def value(self, desc_or_registry: Any = None) -> Any:
        if desc_or_registry is not None:
            return super().value(desc_or_registry)
        try:
            return super().value(_detail_types())
        except Exception:  # the JSON form is a courtesy: without it the detail's bytes still go out
            log.debug("no JSON form for the error detail %s", self.type_name, exc_info=True)
            return None


def connect_code(grpc_code_name: str) -> Code:
    if grpc_code_name == "CANCELLED":
        return Code.CANCELED
    try:
        return Code[grpc_code_name]
    except KeyError:
        return Code.UNKNOWN


def from_status(code_name: str, message: str, status: status_pb2.Status | None) -> ConnectError:
    details = [_Detail(wkt.Any(type_url=d.type_url, value=d.value)) for d in (status.details if status else ())]
    return ConnectError(connect_code(code_name), message, details)


def from_domain_error(error: errors.DomainError) -> tuple[str, ConnectError]:
    """The refusal as a Connect error, and the name of its gRPC status code (for the metrics)."""
    code, status = status_for(error)
    return code.name, from_status(code.name, status.message, status)


def from_rpc_error(error: grpc.aio.AioRpcError) -> ConnectError:
    """An upstream status passed on as it was: code, message and rich details."""
    status = None
    for key, value in error.trailing_metadata() or ():
        if key == _DETAILS_HEADER and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
    return from_status(error.code().name, error.details() or "", status)


def undecodable_json(message_type: str, problem: str) -> ConnectError:
    """A JSON body that is not a message of the method's type; an unknown field is named, never ignored."""
    unknown = _UNKNOWN_FIELD.search(problem)
    if unknown:
        field = unknown.group(1)
        refusal = errors.InvalidArgument(
            f"{field!r} is not a field of {message_type}",
            [errors.FieldViolation(field, f"unknown field of {message_type}; unknown fields are refused, not ignored")],
            reason="UNKNOWN_FIELD",
        )
    else:
        refusal = errors.InvalidArgument(
            f"the JSON body is not a {message_type}: {problem}",
            [errors.FieldViolation("request", problem)],
            reason="MALFORMED_REQUEST",
        )
    return from_domain_error(refusal)[1]
