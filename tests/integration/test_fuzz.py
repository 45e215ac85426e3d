"""Fuzzing the public catalog RPCs through the gateway: malformed input never breaks a server."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.runtime.certs import CertificateAuthority
from tests.integration.mesh import Mesh

SERVICE = pb.DESCRIPTOR.services_by_name["CatalogService"]
UNARY = [m for m in SERVICE.methods if not m.client_streaming and not m.server_streaming]
# What a server may answer to nonsense: a clear refusal or a success, never "something broke".
ACCEPTABLE = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}

_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["subjects/102.001", "subjects/-", "subjects/102.001/items/102.001.001", "departments/AIC", "1.0"]),
    st.builds(lambda a, b: f"{a}/{b}", st.sampled_from(["subjects", "departments", "items", ""]), st.text(max_size=12)),
)
_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FieldDescriptor.TYPE_STRING: _text,
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=40),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True),
    FieldDescriptor.TYPE_ENUM: st.integers(-3, 20),
}


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Field-by-field random content for any message type, nested messages to two levels."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= 2 or field.message_type.GetOptions().map_entry:
                continue
            value = messages(field.message_type, depth + 1)
        else:
            value = _SCALARS.get(field.type, st.none())
        is_repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        fields[field.name] = st.lists(value, max_size=3) if is_repeated else value
    return st.fixed_dictionaries({}, optional=fields)


def _fill(message: Message, content: dict[str, Any]) -> Message:
    for name, value in content.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if isinstance(value, list):
                for entry in value:
                    _fill(getattr(message, name).add(), entry)
            else:
                _fill(getattr(message, name), value)
        elif value is not None:
            if isinstance(value, list):
                getattr(message, name).extend(value)
            else:
                setattr(message, name, value)
    return message


def _blocking_channel(mesh: Mesh, identity: str) -> grpc.Channel:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    pair = authority.key_pair(identity.replace("/", "-"))
    return grpc.secure_channel(
        mesh.gateway_address, grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
    )


def _fuzz_typed_requests(mesh: Mesh) -> None:
    channel = _blocking_channel(mesh, "maintainer/ops")
    request_types = {m.name: pb.DESCRIPTOR.message_types_by_name[m.input_type.name] for m in UNARY}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(method=st.sampled_from([m.name for m in UNARY]), data=st.data())
    def call_with_random_content(method: str, data: st.DataObject) -> None:
        descriptor = request_types[method]
        request = _fill(getattr(pb, descriptor.name)(), data.draw(messages(descriptor)))
        call = channel.unary_unary(f"/{SERVICE.full_name}/{method}")
        try:
            call(request.SerializeToString(), timeout=10)
        except grpc.RpcError as error:
            assert error.code() in ACCEPTABLE, (method, error.code(), error.details())  # type: ignore[attr-defined]

    try:
        call_with_random_content()
    finally:
        channel.close()


def _fuzz_raw_bytes(mesh: Mesh) -> None:
    channel = _blocking_channel(mesh, "department/AIC")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(method=st.sampled_from([m.name for m in UNARY]), payload=st.binary(max_size=200))
    def call_with_random_bytes(method: str, payload: bytes) -> None:
        try:
            channel.unary_unary(f"/{SERVICE.full_name}/{method}")(payload, timeout=10)
        except grpc.RpcError as error:
            assert error.code() in ACCEPTABLE, (method, error.code(), error.details())  # type: ignore[attr-defined]

    try:
        call_with_random_bytes()
    finally:
        channel.close()


# The servers under test run on this process's event loop while hypothesis draws in a thread, and
# OpenTelemetry's span ids come from `random`: hypothesis sees that use and warns, wrongly here.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
async def test_random_well_typed_requests_get_a_clear_status_never_an_internal_error(mesh: Mesh) -> None:
    await asyncio.to_thread(_fuzz_typed_requests, mesh)
    stats = await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())
    assert stats.departments == 46


@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
async def test_random_bytes_are_refused_as_invalid_and_the_servers_keep_serving(mesh: Mesh) -> None:
    await asyncio.to_thread(_fuzz_raw_bytes, mesh)
    stats = await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())
    assert stats.items == 4535
