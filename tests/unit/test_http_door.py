"""The HTTP door's pure parts: strict JSON, which methods answer GET, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from connectrpc.errors import ConnectError
from google.protobuf.descriptor import MethodDescriptor
from google.rpc import error_details_pb2
from hypothesis import given
from hypothesis import strategies as st

from govmesh.contracts.authz.v1 import authz_pb2
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.contracts.exchange.v1 import exchange_pb2
from govmesh.contracts.gateway.v1 import gateway_pb2
from govmesh.runtime import errors
from govmesh.services.gateway.httpface import openapi
from govmesh.services.gateway.httpface.codecs import StrictJsonCodec
from govmesh.services.gateway.httpface.routes import reads_only
from govmesh.services.gateway.httpface.statuses import from_domain_error

SERVICES = [
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    authz_pb2.DESCRIPTOR.services_by_name["AuthzService"],
    exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"],
    gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"],
]
KNOWN = set(catalog_pb2.SearchRequest.DESCRIPTOR.fields_by_name) | {
    f.json_name for f in catalog_pb2.SearchRequest.DESCRIPTOR.fields
}


def _method(service: int, name: str) -> MethodDescriptor:
    return SERVICES[service].methods_by_name[name]


def _violations(error: ConnectError) -> list[str]:
    return [
        v.field
        for d in error.details
        if d.type_name == "google.rpc.BadRequest"
        for v in error_details_pb2.BadRequest.FromString(d.message_bytes).field_violations
    ]


def test_json_in_either_field_spelling_decodes_and_chinese_stays_readable() -> None:
    codec = StrictJsonCodec()
    request = codec.decode(b'{"query": "\xe7\xbb\x9f\xe4\xb8\x80", "page_size": 5}', catalog_pb2.SearchRequest)
    assert (request.query, request.page_size) == ("统一", 5)
    assert codec.decode(b"", catalog_pb2.SearchRequest) == catalog_pb2.SearchRequest()
    assert "统一社会信用代码".encode() in codec.encode(catalog_pb2.SearchRequest(query="统一社会信用代码"))


@given(st.text(alphabet=st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=20))
def test_any_field_the_message_lacks_is_refused_by_name(name: str) -> None:
    if name in KNOWN:
        return
    with pytest.raises(ConnectError) as refused:
        StrictJsonCodec().decode(f'{{"query": "x", "{name}": 1}}'.encode(), catalog_pb2.SearchRequest)
    assert refused.value.code.name == "INVALID_ARGUMENT"
    assert _violations(refused.value) == [name]


def test_a_body_that_is_not_json_is_an_invalid_argument_not_a_crash() -> None:
    with pytest.raises(ConnectError) as refused:
        StrictJsonCodec().decode(b"{not json", catalog_pb2.SearchRequest)
    assert refused.value.code.name == "INVALID_ARGUMENT" and _violations(refused.value) == ["request"]


def test_domain_errors_keep_their_reason_and_details_as_connect_errors() -> None:
    code, error = from_domain_error(errors.PermissionDenied("no", reason="ROLE_REQUIRED", metadata={"role": "auditor"}))
    assert code == "PERMISSION_DENIED" and error.code.name == "PERMISSION_DENIED"
    info = error_details_pb2.ErrorInfo.FromString(error.details[0].message_bytes)
    assert (info.reason, dict(info.metadata)) == ("ROLE_REQUIRED", {"role": "auditor"})
    # The JSON form Connect writes under `debug`, for people reading the error.
    debug: Any = error.details[0].value()
    assert debug is not None


@pytest.mark.parametrize(
    ("service", "name", "reads"),
    [
        (0, "GetItem", True),
        (0, "Search", True),
        (0, "ValidateRecords", True),
        (1, "Check", True),
        (1, "ListAllowed", True),
        (3, "WhoAmI", True),
        (0, "CreateSubject", False),
        (1, "ApproveGrant", False),
        (2, "Publish", False),
        (2, "Subscribe", False),  # a stream never answers GET
        (0, "ValidateRecordStream", False),
    ],
)
def test_only_methods_that_read_answer_get(service: int, name: str, reads: bool) -> None:
    assert reads_only(_method(service, name)) is reads


def test_the_openapi_document_resolves_every_reference_it_makes() -> None:
    document = openapi.document(SERVICES)
    schemas = document["components"]["schemas"]
    references: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                references.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert references
    assert {r.removeprefix("#/components/schemas/") for r in references} <= set(schemas)
    assert len(document["paths"]) == sum(len(s.methods) for s in SERVICES)
    timestamp = schemas["authz.v1.Grant"]["properties"]["endTime"]
    assert timestamp == {"type": "string", "format": "date-time"}
