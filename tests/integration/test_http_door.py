"""The HTTP/JSON door: every public RPC over Connect with a plain HTTP client, answering as the gRPC port does."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor

from govmesh.contracts.authz.v1 import authz_pb2
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.contracts.exchange.v1 import exchange_pb2
from govmesh.contracts.gateway.v1 import gateway_pb2
from govmesh.runtime.config import Settings
from tests.integration.exchange_support import (
    CREDIT_CODE,
    ENTERPRISES,
    PHONE,
    REPRESENTATIVE_ID,
    STATEMENTS,
    enterprise,
)
from tests.integration.helpers import details_of
from tests.integration.http_support import StreamEnd, call, client, error_of, stream
from tests.integration.mesh import Mesh

SERVICES = [
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    authz_pb2.DESCRIPTOR.services_by_name["AuthzService"],
    exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"],
    gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"],
]
METHODS = [method for service in SERVICES for method in service.methods]
# A stream that is still open when its deadline comes ends DEADLINE_EXCEEDED on either door.
# Long enough that a loaded machine answers an error before it; streams that stay open end then.
STREAM_SECONDS = 6.0


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    return mesh_settings.model_copy(update={"http_port": 0})


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def _classes(method: MethodDescriptor) -> tuple[Any, Any]:
    return message_factory.GetMessageClass(method.input_type), message_factory.GetMessageClass(method.output_type)


async def _over_grpc(mesh: Mesh, method: MethodDescriptor) -> tuple[str, str, list[str], Any]:
    """Calls `method` with an empty request on the gRPC port: (code, reason, violated fields, first response)."""
    request_class, response_class = _classes(method)
    channel = mesh.channel("department/LTAX")
    await channel.channel_ready()  # a loaded machine's handshake must not eat the stream's deadline
    kw = {"request_serializer": request_class.SerializeToString, "response_deserializer": response_class.FromString}
    path = _path(method)
    first = None
    try:
        if method.server_streaming:
            shape = channel.stream_stream if method.client_streaming else channel.unary_stream
            argument = iter(()) if method.client_streaming else request_class()
            async for response in shape(path, **kw)(argument, timeout=STREAM_SECONDS):
                first = first or response
        else:
            shape = channel.stream_unary if method.client_streaming else channel.unary_unary
            argument = iter(()) if method.client_streaming else request_class()
            first = await shape(path, **kw)(argument, timeout=10)
    except grpc.aio.AioRpcError as error:
        details = details_of(error)
        info, bad = details.get("ErrorInfo"), details.get("BadRequest")
        fields = [v.field for v in bad.field_violations] if bad else []  # type: ignore[attr-defined]
        return error.code().name, info.reason if info else "", fields, None  # type: ignore[attr-defined]
    return "OK", "", [], first


async def _over_http(mesh: Mesh, method: MethodDescriptor) -> tuple[str, str, list[str], Any]:
    """The same call over the HTTP door with JSON: (code, reason, violated fields, first response)."""
    _, response_class = _classes(method)
    async with client(mesh) as http:
        if not (method.client_streaming or method.server_streaming):
            response = await call(http, _path(method).lstrip("/"))
            if response.status_code == 200:
                return "OK", "", [], json_format.Parse(response.text, response_class())
            error = error_of(response)
            return error.code.upper(), error.reason, error.fields, None
        first = None
        requests = () if method.client_streaming else ({},)
        async for message in stream(http, _path(method).lstrip("/"), *requests, timeout_ms=int(STREAM_SECONDS * 1000)):
            if isinstance(message, StreamEnd):
                if message.error is None:
                    return "OK", "", [], first
                e = message.error
                return e.code.upper().replace("CANCELED", "CANCELLED"), e.reason, e.fields, None
            first = first or json_format.ParseDict(message, response_class())
    raise AssertionError(f"{method.full_name}: the stream ended without its end message")


async def test_every_public_rpc_answers_over_http_json_as_it_does_over_grpc(exchange_mesh: Mesh) -> None:
    # Each method once with an empty request from a department: most refuse it, which exercises the
    # error path of every service; the rest answer. Either way both doors must say the same.
    async def both(method: MethodDescriptor) -> tuple[MethodDescriptor, Any, Any]:
        grpc_outcome, http_outcome = await asyncio.gather(
            _over_grpc(exchange_mesh, method), _over_http(exchange_mesh, method)
        )
        return method, grpc_outcome, http_outcome

    results = await asyncio.gather(*(both(m) for m in METHODS))
    differing = []
    for method, over_grpc, over_http in results:
        comparable = method.containing_service.name != "GatewayService"  # WhoAmI names the call's own trace
        if over_grpc[:3] != over_http[:3] or (comparable and over_grpc[3] != over_http[3]):
            differing.append(f"{method.full_name}: gRPC {over_grpc[:3]} / HTTP {over_http[:3]}")
    assert not differing, "\n".join(differing)
    codes = {outcome[0] for _, outcome, _ in results}
    assert {"OK", "INVALID_ARGUMENT", "PERMISSION_DENIED"} <= codes, codes
    assert len(results) == len(METHODS) >= 60


async def test_a_catalog_read_answers_post_and_get_with_the_same_json(exchange_mesh: Mesh) -> None:
    request = {"name": "subjects/102.001/items/102.001.001"}
    async with client(exchange_mesh) as http:
        posted = await call(http, "catalog.v1.CatalogService/GetItem", request)
        got = await http.get(
            "/catalog.v1.CatalogService/GetItem", params={"encoding": "json", "message": json.dumps(request)}
        )
        # A method with effects answers POST only.
        publish = await http.get("/exchange.v1.ExchangeService/Publish", params={"encoding": "json", "message": "{}"})
    assert posted.status_code == got.status_code == 200
    assert posted.headers["content-type"] == "application/json"
    item = posted.json()["item"]
    assert item["nameZh"] == "统一社会信用代码" and item["sharingType"] == "SHARING_TYPE_UNCONDITIONAL"
    assert got.json() == posted.json()
    assert publish.status_code == 405


async def test_refusals_carry_their_http_status_code_reason_and_field_violations(exchange_mesh: Mesh) -> None:
    async with client(exchange_mesh) as http:
        malformed = error_of(await call(http, "catalog.v1.CatalogService/GetItem", {"name": "items/x"}))
        missing = error_of(
            await call(http, "catalog.v1.CatalogService/GetItem", {"name": "subjects/999.999/items/999.999.001"})
        )
        not_administrator = error_of(await call(http, "gateway.v1.GatewayService/ListUpstreams"))
        not_auditor = error_of(await call(http, "authz.v1.AuthzService/ListAuditEntries"))
    assert (malformed.http_status, malformed.code, malformed.fields) == (400, "invalid_argument", ["name"])
    # The JSON form of each detail is there for people reading it with curl.
    assert malformed.debug["BadRequest"]["fieldViolations"][0]["field"] == "name"
    assert (missing.http_status, missing.code) == (404, "not_found")
    assert missing.details["ResourceInfo"].resource_name
    assert (not_administrator.http_status, not_administrator.reason) == (403, "ROLE_REQUIRED")
    assert not_administrator.debug["ErrorInfo"]["metadata"]["role"] == "hub-administrator"
    assert (not_auditor.http_status, not_auditor.code) == (403, "permission_denied") and not_auditor.reason


async def test_an_unknown_json_field_is_refused_by_name_and_changes_nothing(exchange_mesh: Mesh) -> None:
    subscription = {"subject": "subjects/102.001"}
    async with client(exchange_mesh) as http:
        refused = await call(
            http,
            "exchange.v1.ExchangeService/CreateSubscription",
            {"subscription": subscription, "subscriptionId": "ltax-new", "dryRun": True},
        )
        listed = await call(http, "exchange.v1.ExchangeService/ListSubscriptions")
        misspelt_filter = await call(http, "catalog.v1.CatalogService/Search", {"qeury": "统一社会信用代码"})
    error = error_of(refused)
    assert (error.http_status, error.code, error.reason, error.fields) == (
        400,
        "invalid_argument",
        "UNKNOWN_FIELD",
        ["dryRun"],
    )
    assert "dryRun" in error.message
    assert listed.status_code == 200 and not listed.json().get("subscriptions")
    assert error_of(misspelt_filter).fields == ["qeury"]


async def test_the_openapi_document_names_every_public_rpc(exchange_mesh: Mesh) -> None:
    async with client(exchange_mesh) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {_path(m) for m in METHODS}
    get_item = document["paths"]["/catalog.v1.CatalogService/GetItem"]
    assert {"get", "post"} <= set(get_item) and set(document["paths"]["/exchange.v1.ExchangeService/Publish"]) == {
        "post"
    }
    request_schema = document["components"]["schemas"]["catalog.v1.GetItemRequest"]
    assert "name" in request_schema["properties"] and request_schema["additionalProperties"] is False


async def test_a_department_subscribes_over_http_and_receives_only_what_it_may_see(exchange_mesh: Mesh) -> None:
    published = json_format.MessageToDict(exchange_pb2.PublishRequest(records=[enterprise(7)]))
    async with client(exchange_mesh, "department/LTAX") as ltax, client(exchange_mesh, "department/AIC") as aic:
        created = await call(
            ltax,
            "exchange.v1.ExchangeService/CreateSubscription",
            {"subscription": {"subject": ENTERPRISES}, "subscriptionId": "ltax-enterprises"},
        )
        assert created.status_code == 200, created.text
        accepted = await call(aic, "exchange.v1.ExchangeService/Publish", published)
        assert accepted.status_code == 200 and accepted.json()["acceptedCount"] == 1, accepted.text
        deliveries: list[dict[str, Any]] = []
        async for message in stream(
            ltax, "exchange.v1.ExchangeService/Subscribe", {"subscription": "subscriptions/ltax-enterprises"}
        ):
            assert not isinstance(message, StreamEnd), message
            deliveries += message.get("deliveries", [])
            if deliveries:
                break
        acknowledged = await call(
            ltax,
            "exchange.v1.ExchangeService/AcknowledgeDeliveries",
            {"subscription": "subscriptions/ltax-enterprises", "deliveryIds": [d["deliveryId"] for d in deliveries]},
        )
    assert acknowledged.status_code == 200, acknowledged.text
    values = deliveries[0]["record"]["values"]
    assert values[CREDIT_CODE]["stringValue"] == enterprise(7).values[CREDIT_CODE].string_value
    # Without a grant the conditional items stay home, and the not-shared one never leaves.
    assert REPRESENTATIVE_ID not in values and PHONE not in values and STATEMENTS not in values


async def test_a_grpc_web_client_calls_the_same_door(exchange_mesh: Mesh) -> None:
    request = catalog_pb2.GetItemRequest(name="subjects/102.001/items/102.001.001").SerializeToString()
    async with client(exchange_mesh) as http:
        response = await http.post(
            "/catalog.v1.CatalogService/GetItem",
            content=struct.pack(">BI", 0, len(request)) + request,
            headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"},
        )
    body = response.content
    flags, size = struct.unpack(">BI", body[:5])
    item = catalog_pb2.GetItemResponse.FromString(body[5 : 5 + size]).item
    trailer = body[5 + size + 5 :].decode()
    assert (response.status_code, flags, item.name_zh) == (200, 0, "统一社会信用代码")
    assert "grpc-status: 0" in trailer or "grpc-status:0" in trailer
