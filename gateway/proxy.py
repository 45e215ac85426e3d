"""Byte-level forwarding of every public RPC to its upstream service, for all four call shapes.

Messages are never parsed: the gateway passes serialized bytes through, so forwarding costs one
hop and no protobuf work, and a contract change needs no gateway release.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Setter
from opentelemetry.trace import SpanKind, Status, StatusCode

from govmesh.identity import PRINCIPAL_HEADER, Principal

tracer = trace.get_tracer("govmesh.gateway")

# Metadata a caller may not pass on: transport headers, and anything that claims an identity or
# a trace position (the gateway writes its own of both).
_DROPPED_PREFIXES = ("grpc-", ":", "x-govmesh-")
_DROPPED_KEYS = frozenset(
    {"user-agent", "te", "content-type", "traceparent", "tracestate", "baggage", "authority", "host"}
)

PrincipalOf = Callable[[grpc.aio.ServicerContext], Principal]


def forwardable(metadata: Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    return tuple((k, v) for k, v in metadata or () if k not in _DROPPED_KEYS and not k.startswith(_DROPPED_PREFIXES))


def upstream_channel(addresses: Sequence[str], max_message_bytes: int) -> grpc.aio.Channel:
    """One channel over every replica: round_robin across the healthy ones."""
    target = addresses[0] if len(addresses) == 1 else "ipv4:" + ",".join(addresses)
    service_config = {
        "loadBalancingConfig": [{"round_robin": {}}],
        "healthCheckConfig": {"serviceName": ""},
    }
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(service_config)),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.enable_retries", 1),
        ],
    )


@dataclass(frozen=True)
class Route:
    method: str
    client_streaming: bool
    server_streaming: bool
    channel: grpc.aio.Channel


class ForwardingHandler(grpc.GenericRpcHandler):
    """Answers every method of the public services by forwarding it; other methods fall through."""

    def __init__(self, principal_of: PrincipalOf, max_deadline_seconds: float = 300.0):
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        self._principal_of = principal_of
        self._max_deadline = max_deadline_seconds

    def add_service(self, service: ServiceDescriptor, channel: grpc.aio.Channel) -> None:
        for method in service.methods:
            route = Route(
                f"/{service.full_name}/{method.name}", method.client_streaming, method.server_streaming, channel
            )
            self._handlers[route.method] = self._handler_for(route)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)

    def _outgoing(self, context: grpc.aio.ServicerContext) -> tuple[list[tuple[str, Any]], float | None]:
        metadata = list(forwardable(context.invocation_metadata()))
        metadata.append((PRINCIPAL_HEADER, self._principal_of(context).header_value()))
        propagate.inject(metadata, setter=_METADATA_APPENDER)
        remaining = context.time_remaining()
        timeout = self._max_deadline if remaining is None else min(remaining, self._max_deadline)
        return metadata, timeout

    def _span(self, route: Route, context: grpc.aio.ServicerContext) -> trace.Span:
        parent = propagate.extract(dict(context.invocation_metadata() or ()))
        return tracer.start_span(
            f"gateway {route.method}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": route.method},
        )

    def _handler_for(self, route: Route) -> grpc.RpcMethodHandler:
        if not route.client_streaming and not route.server_streaming:
            upstream_uu = route.channel.unary_unary(route.method)

            async def unary_unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
                span = self._span(route, context)
                with trace.use_span(span, end_on_exit=True):
                    metadata, timeout = self._outgoing(context)
                    call = upstream_uu(request, timeout=timeout, metadata=metadata)
                    try:
                        response = await call
                    except grpc.aio.AioRpcError as error:
                        await _relay_error(error, context, span)
                    _relay_trailers(await call.trailing_metadata(), context)
                    return response  # type: ignore[no-any-return]

            return grpc.unary_unary_rpc_method_handler(unary_unary)

        if not route.client_streaming:
            upstream_us = route.channel.unary_stream(route.method)

            async def unary_stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
                span = self._span(route, context)
                with trace.use_span(span, end_on_exit=True):
                    metadata, timeout = self._outgoing(context)
                    call = upstream_us(request, timeout=timeout, metadata=metadata)
                    async for response in _relay_stream(call, context, span):
                        yield response

            return grpc.unary_stream_rpc_method_handler(unary_stream)

        if not route.server_streaming:
            upstream_su = route.channel.stream_unary(route.method)

            async def stream_unary(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
                span = self._span(route, context)
                with trace.use_span(span, end_on_exit=True):
                    metadata, timeout = self._outgoing(context)
                    call = upstream_su(requests, timeout=timeout, metadata=metadata)
                    try:
                        response = await call
                    except grpc.aio.AioRpcError as error:
                        await _relay_error(error, context, span)
                    finally:
                        if not call.done():
                            call.cancel()
                    _relay_trailers(await call.trailing_metadata(), context)
                    return response  # type: ignore[no-any-return]

            return grpc.stream_unary_rpc_method_handler(stream_unary)

        upstream_ss = route.channel.stream_stream(route.method)

        async def stream_stream(
            requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
        ) -> AsyncIterator[bytes]:
            span = self._span(route, context)
            with trace.use_span(span, end_on_exit=True):
                metadata, timeout = self._outgoing(context)
                call = upstream_ss(requests, timeout=timeout, metadata=metadata)
                async for response in _relay_stream(call, context, span):
                    yield response

        return grpc.stream_stream_rpc_method_handler(stream_stream)


async def _relay_stream(call: Any, context: grpc.aio.ServicerContext, span: trace.Span) -> AsyncIterator[bytes]:
    """Yields the upstream's responses; a caller who goes away cancels the upstream call too."""
    try:
        initial = await call.initial_metadata()
        if initial:
            await context.send_initial_metadata(forwardable(initial))
        async for response in call:
            yield response
    except grpc.aio.AioRpcError as error:
        await _relay_error(error, context, span)
    finally:
        if not call.done():
            call.cancel()
    _relay_trailers(await call.trailing_metadata(), context)


def _relay_trailers(trailers: Any, context: grpc.aio.ServicerContext) -> None:
    kept = forwardable(trailers)
    if kept:
        context.set_trailing_metadata(kept)


async def _relay_error(error: grpc.aio.AioRpcError, context: grpc.aio.ServicerContext, span: trace.Span) -> None:
    """Passes the upstream status on as it was: code, message and rich details (grpc-status-details-bin)."""
    span.set_status(Status(StatusCode.ERROR, error.code().name))
    trailers = tuple(
        (k, v)
        for k, v in error.trailing_metadata() or ()
        if k == "grpc-status-details-bin" or not k.startswith(_DROPPED_PREFIXES)
    )
    await context.abort(error.code(), error.details() or "", trailing_metadata=trailers)


class _MetadataAppender(Setter[list[tuple[str, Any]]]):
    """Writes trace context into gRPC metadata, which is a list of pairs rather than a dict."""

    def set(self, carrier: list[tuple[str, Any]], key: str, value: str) -> None:
        carrier.append((key, value))


_METADATA_APPENDER = _MetadataAppender()
