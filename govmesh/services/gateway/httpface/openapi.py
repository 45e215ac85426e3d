"""An OpenAPI 3.1 document of the HTTP door, written from the same proto descriptors the door serves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, ServiceDescriptor

from govmesh.services.gateway.httpface.routes import reads_only

# Proto3 JSON: 64-bit integers travel as strings, bytes as base64, and these well-known types as text.
_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.Int32Value": {"type": "integer"},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64"},
    "google.protobuf.DoubleValue": {"type": "number"},
}
_ERROR = {
    "type": "object",
    "description": "A Connect error: the gRPC code in lower snake case, the message, and google.rpc details "
    "(`type`, base64 `value`, and their JSON form as `debug`: ErrorInfo's reason, BadRequest's field violations…).",
    "properties": {
        "code": {"type": "string", "examples": ["invalid_argument", "permission_denied", "not_found"]},
        "message": {"type": "string"},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "value": {"type": "string"}, "debug": {"type": "object"}},
            },
        },
    },
}
_ERROR_RESPONSES = {
    str(status): {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/connect.Error"}}},
    }
    for status, text in [
        (400, "invalid_argument, failed_precondition, out_of_range"),
        (401, "unauthenticated (no identity in the certificate, or a revoked certificate)"),
        (403, "permission_denied, with the reason in ErrorInfo"),
        (404, "not_found"),
        (409, "already_exists, aborted"),
        (429, "resource_exhausted (limits), with RetryInfo"),
        (503, "unavailable"),
    ]
}


class _Schemas:
    """Component schemas for every message and enum reachable from the services' methods."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"connect.Error": _ERROR}

    def ref(self, message: Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        if message.full_name not in self.components:
            self.components[message.full_name] = {}  # reserved first: messages may refer to themselves
            self.components[message.full_name] = self._message(message)
        return {"$ref": f"#/components/schemas/{message.full_name}"}

    def _enum(self, enum: EnumDescriptor) -> dict[str, Any]:
        if enum.full_name not in self.components:
            self.components[enum.full_name] = {"type": "string", "enum": [v.name for v in enum.values]}
        return {"$ref": f"#/components/schemas/{enum.full_name}"}

    def _value(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.ref(field.message_type)
        if field.enum_type is not None:
            return self._enum(field.enum_type)
        return dict(_SCALARS[field.type])

    def _field(self, field: FieldDescriptor) -> dict[str, Any]:
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            return {"type": "object", "additionalProperties": self._value(message.fields_by_name["value"])}
        if field.is_repeated:
            return {"type": "array", "items": self._value(field)}
        return self._value(field)

    def _message(self, message: Descriptor) -> dict[str, Any]:
        properties = {field.json_name: self._field(field) for field in message.fields}
        return {"type": "object", "additionalProperties": False, "properties": properties}


def _operation(service: ServiceDescriptor, method: Any, schemas: _Schemas, verb: str) -> dict[str, Any]:
    output = schemas.ref(method.output_type)
    operation: dict[str, Any] = {
        "operationId": f"{service.full_name}.{method.name}" + ("_get" if verb == "get" else ""),
        "tags": [service.full_name],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": output}}}}
        | _ERROR_RESPONSES,
    }
    if verb == "get":
        operation["summary"] = f"{method.name} (Connect GET: the request as JSON in `message`)"
        operation["parameters"] = [
            {"name": "encoding", "in": "query", "required": True, "schema": {"const": "json"}},
            {"name": "message", "in": "query", "required": True, "schema": {"type": "string"}},
        ]
        return operation
    streaming = method.client_streaming or method.server_streaming
    operation["summary"] = method.name + (
        " (a Connect stream: application/connect+json envelopes)" if streaming else ""
    )
    media = "application/connect+json" if streaming else "application/json"
    operation["requestBody"] = {"required": True, "content": {media: {"schema": schemas.ref(method.input_type)}}}
    if streaming:
        operation["responses"]["200"]["content"] = {media: {"schema": output}}
    return operation


def document(services: Iterable[ServiceDescriptor]) -> dict[str, Any]:
    """The OpenAPI 3.1 document: one path per RPC (`/package.Service/Method`), GET for those that only read."""
    schemas = _Schemas()
    paths: dict[str, Any] = {}
    for service in services:
        for method in service.methods:
            item = {"post": _operation(service, method, schemas, "post")}
            if reads_only(method):
                item["get"] = _operation(service, method, schemas, "get")
            paths[f"/{service.full_name}/{method.name}"] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "govmesh HTTP/JSON door",
            "version": "1",
            "description": "Every public RPC of the gateway over the Connect protocol, with mutual TLS: "
            "POST a JSON body to /package.Service/Method.",
        },
        "servers": [{"url": "/"}],  # the door that serves the document
        "paths": paths,
        "components": {"schemas": schemas.components},
    }
