"""Byte-level forwarding of every public RPC to its upstream service, for all four call shapes.

Messages are never parsed: the gateway passes serialized bytes through, so forwarding costs one
hop and no protobuf work, and a contract change needs no gateway release. Before a call goes on,
the gate admits it (identity, revocation, limits, the coarse policy check); every call, admitted
or not, is counted in the gateway's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Setter
from opentelemetry.trace import SpanKind, Status, StatusCode

from govmesh.runtime import errors
from govmesh.runtime.identity import PRINCIPAL_HEADER
from govmesh.runtime.interceptors import status_for
from govmesh.services.gateway.admission import Admission, Gate, RevocationWatch, message_too_large, refuse
from govmesh.services.gateway.metrics import CallMetrics
from govmesh.services.gateway.upstreams import Upstream

tracer = trace.get_tracer("govmesh.gateway")
T = TypeVar("T")

# Metadata a caller may not pass on: transport headers, and anything that claims an identity
# (the gateway writes the verified principal itself).
_DROPPED_PREFIXES = ("grpc-", ":", "x-govmesh-")
_DROPPED_KEYS = frozenset({"user-agent", "te", "content-type", "authority", "host"})
# The caller's trace position: replaced by the gateway's own span when it records spans, passed
# on unchanged when it does not, so the hops behind it still join the caller's trace.
_TRACE_KEYS = frozenset({"traceparent", "tracestate", "baggage"})
_NOT_TRACED: AbstractContextManager[trace.Span] = contextlib.nullcontext(trace.INVALID_SPAN)
_OK = "OK"


def forwardable(metadata: Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    """Metadata without transport headers, identity claims or trace context."""
    return tuple(
        (k, v)
        for k, v in metadata or ()
        if k not in _DROPPED_KEYS and k not in _TRACE_KEYS and not k.startswith(_DROPPED_PREFIXES)
    )


@dataclass(frozen=True)
class Route:
    method: str
    client_streaming: bool
    server_streaming: bool
    upstream: Upstream


class ForwardingHandler(grpc.GenericRpcHandler):
    """Answers every method of the public services by forwarding it; other methods fall through.

    `traced` says whether spans are recorded anywhere: when they are not, the gateway starts no
    span of its own (the cheapest path) and passes the caller's trace context on as it came.
    """

    def __init__(self, gate: Gate, metrics: CallMetrics, *, traced: bool = True):
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        self._gate = gate
        self._metrics = metrics
        self._traced = traced

    def add_service(self, service: ServiceDescriptor, upstream: Upstream) -> None:
        for method in service.methods:
            route = Route(
                f"/{service.full_name}/{method.name}", method.client_streaming, method.server_streaming, upstream
            )
            self._handlers[route.method] = self._handler_for(route)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)

    def _span(self, route: Route, context: grpc.aio.ServicerContext) -> AbstractContextManager[trace.Span]:
        if not self._traced:
            return _NOT_TRACED
        parent = propagate.extract(dict(context.invocation_metadata() or ()))
        span = tracer.start_span(
            f"gateway {route.method}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": route.method},
        )
        return trace.use_span(span, end_on_exit=True)

    def _metadata(self, context: grpc.aio.ServicerContext, principal_header: str) -> list[tuple[str, Any]]:
        """The caller's metadata as it may go on, plus the verified principal and the trace position."""
        outgoing = []
        for key, value in context.invocation_metadata() or ():
            if key in _TRACE_KEYS:
                if not self._traced:
                    outgoing.append((key, value))
            elif key not in _DROPPED_KEYS and not key.startswith(_DROPPED_PREFIXES):
                outgoing.append((key, value))
        outgoing.append((PRINCIPAL_HEADER, principal_header))
        if self._traced:
            propagate.inject(outgoing, setter=_METADATA_APPENDER)
        return outgoing

    def _handler_for(self, route: Route) -> grpc.RpcMethodHandler:
        if not route.client_streaming and not route.server_streaming:
            return grpc.unary_unary_rpc_method_handler(self._unary_unary(route))
        if not route.client_streaming:
            return grpc.unary_stream_rpc_method_handler(self._streaming(route))
        if not route.server_streaming:
            return grpc.stream_unary_rpc_method_handler(self._stream_unary(route))
        return grpc.stream_stream_rpc_method_handler(self._streaming(route))

    def _unary_unary(self, route: Route) -> Any:
        gate, metrics, upstream, method = self._gate, self._metrics, route.upstream, route.method
        upstream_call = upstream.channel.unary_unary(method)

        async def unary_unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            started = time.perf_counter()
            principal = ""
            code = _OK
            admission: Admission | None = None
            try:
                admission = await gate.admit(context, method, False)
                principal = admission.caller.header
                limits = admission.allowance.limits
                if len(request) > limits.max_message_bytes:
                    raise message_too_large(admission, len(request), "request")
                remaining = context.time_remaining()
                timeout = (
                    limits.default_deadline_seconds
                    if remaining is None
                    else min(remaining, limits.max_deadline_seconds)
                )
                with self._span(route, context) as span:
                    call = upstream_call(request, timeout=timeout, metadata=self._metadata(context, principal))
                    upstream.forwarded_calls += 1
                    upstream.active_calls += 1
                    try:
                        response: bytes = await call
                    except grpc.aio.AioRpcError as error:
                        code = error.code().name
                        upstream.failed_calls += 1
                        await _relay_error(error, context, span)
                    finally:
                        upstream.active_calls -= 1
                    gate.settle(admission, len(response))
                    if len(response) > limits.max_message_bytes:
                        raise message_too_large(admission, len(response), "response")
                    _relay_trailers(await call.trailing_metadata(), context)
                    return response
            except errors.DomainError as refusal:
                principal = principal or gate.identify(context).header
                status_code, status = status_for(refusal)
                code = status_code.name
                await refuse(context, status_code, status)
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            finally:
                if admission is not None and admission.reserved:
                    gate.settle(admission, None)
                metrics.record(method, principal, time.perf_counter() - started, code)

        return unary_unary

    def _stream_unary(self, route: Route) -> Any:
        gate, metrics, upstream, method = self._gate, self._metrics, route.upstream, route.method
        upstream_call = upstream.channel.stream_unary(method)

        async def stream_unary(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
            started = time.perf_counter()
            principal = ""
            code = _OK
            admission: Admission | None = None
            try:
                admission = await gate.admit(context, method, True)
                principal = admission.caller.header
                sized = _SizedRequests(requests, admission)
                with self._span(route, context) as span:
                    metadata = self._metadata(context, principal)
                    call = upstream_call(sized, timeout=context.time_remaining(), metadata=metadata)
                    settled = _FirstStatus(call)
                    watch = RevocationWatch(gate, admission, call)
                    upstream.forwarded_calls += 1
                    upstream.active_calls += 1
                    try:
                        response: bytes = await call
                    except asyncio.CancelledError:
                        # A refused request message or a revoked certificate cancelled the upstream call.
                        if (refusal := sized.refusal or watch.refusal) is not None:
                            raise refusal from None
                        raise
                    except grpc.aio.AioRpcError as failure:
                        error = settled.genuine(failure)
                        code = error.code().name
                        upstream.failed_calls += 1
                        await _relay_error(error, context, span)
                    finally:
                        watch.close()
                        upstream.active_calls -= 1
                        if not call.done():
                            call.cancel()
                    gate.settle(admission, len(response))
                    if len(response) > admission.allowance.limits.max_message_bytes:
                        raise message_too_large(admission, len(response), "response")
                    _relay_trailers(await call.trailing_metadata(), context)
                    return response
            except errors.DomainError as refusal:
                principal = principal or gate.identify(context).header
                status_code, status = status_for(refusal)
                code = status_code.name
                await refuse(context, status_code, status)
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            finally:
                if admission is not None:
                    admission.allowance.open_streams -= 1
                metrics.record(method, principal, time.perf_counter() - started, code)

        return stream_unary

    def _streaming(self, route: Route) -> Any:
        """Server streaming and bidirectional streaming: responses relayed one by one as they come."""
        gate, metrics, method = self._gate, self._metrics, route.method
        upstream_call = (
            route.upstream.channel.stream_stream(method)
            if route.client_streaming
            else route.upstream.channel.unary_stream(method)
        )

        async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
            started = time.perf_counter()
            principal = ""
            outcome = _Outcome()
            admission: Admission | None = None
            try:
                admission = await gate.admit(context, method, True)
                principal = admission.caller.header
                sized: _SizedRequests | None = None
                if route.client_streaming:
                    request = sized = _SizedRequests(request, admission)
                elif len(request) > admission.allowance.limits.max_message_bytes:
                    raise message_too_large(admission, len(request), "request")
                relayed = self._relay_responses(route, upstream_call, request, sized, admission, context, outcome)
                # Closed here rather than left to the collector, so a caller who goes away cancels the
                # upstream call at once.
                async with contextlib.aclosing(relayed):
                    async for response in relayed:
                        yield response
            except errors.DomainError as refusal:
                principal = principal or gate.identify(context).header
                status_code, status = status_for(refusal)
                outcome.code = status_code.name
                await refuse(context, status_code, status)
            except (asyncio.CancelledError, GeneratorExit):
                outcome.code = "CANCELLED"
                raise
            finally:
                if admission is not None:
                    admission.allowance.open_streams -= 1
                metrics.record(method, principal, time.perf_counter() - started, outcome.code)

        return streaming

    async def _relay_responses(
        self,
        route: Route,
        upstream_call: Any,
        request: Any,
        sized: _SizedRequests | None,
        admission: Admission,
        context: grpc.aio.ServicerContext,
        outcome: _Outcome,
    ) -> AsyncGenerator[bytes, None]:
        """One admitted streaming call forwarded upstream, each response checked and charged as it passes."""
        gate, upstream = self._gate, route.upstream
        limit = admission.allowance.limits.max_message_bytes
        with self._span(route, context) as span:
            metadata = self._metadata(context, admission.caller.header)
            call = upstream_call(request, timeout=context.time_remaining(), metadata=metadata)
            settled = _FirstStatus(call)
            watch = RevocationWatch(gate, admission, call)
            upstream.forwarded_calls += 1
            upstream.active_calls += 1
            try:
                initial = await call.initial_metadata()
                if initial:
                    await context.send_initial_metadata(forwardable(initial))
                async for response in call:
                    if len(response) > limit:
                        raise message_too_large(admission, len(response), "response")
                    gate.charge(admission, len(response))
                    yield response
            except asyncio.CancelledError:
                # A refused request message or a revoked certificate cancelled the upstream call.
                if (refusal := (sized and sized.refusal) or watch.refusal) is not None:
                    raise refusal from None
                raise
            except grpc.aio.AioRpcError as failure:
                error = settled.genuine(failure)
                outcome.code = error.code().name
                upstream.failed_calls += 1
                await _relay_error(error, context, span)
            finally:
                watch.close()
                upstream.active_calls -= 1
                # A caller who goes away, or a refused message, cancels the upstream call too.
                if not call.done():
                    call.cancel()
            _relay_trailers(await call.trailing_metadata(), context)


@dataclass
class _Outcome:
    """The status a streaming call ended with, as the metrics count it."""

    code: str = _OK


class _SizedRequests:
    """The caller's request stream, refused (and the upstream call cancelled) at the first message over the limit."""

    def __init__(self, requests: AsyncIterator[bytes], admission: Admission):
        self._requests = requests
        self._admission = admission
        self.refusal: errors.DomainError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        limit = self._admission.allowance.limits.max_message_bytes
        async for message in self._requests:
            if len(message) > limit:
                self.refusal = message_too_large(self._admission, len(message), "request")
                # Raising inside the request iterator makes gRPC cancel the upstream call, so the
                # service never mistakes the cut stream for a complete one.
                raise self.refusal
            yield message


# What grpc.aio reports when a request message could not be sent because the call had just ended.
_CORE_INTERNAL_ERROR = "Internal error from Core"


class _FirstStatus:
    """The status a client-streaming upstream call settled on first: the service's own answer.

    grpc.aio writes the caller's request messages from a task of its own. When the service ends
    the call (a refusal) while one of those writes is under way, the write fails and grpc.aio
    overwrites the call's status with INTERNAL "Internal error from Core" — after the service's
    status had arrived, if the write lost the race. The done callback runs when the first status
    is set, so it holds the service's answer, which the relay passes on instead of the overwrite.
    (When the failed write comes first, the service's status replaces it and is what the call
    raises anyway.)
    """

    def __init__(self, call: grpc.aio.Call):
        self._first: grpc.aio.AioRpcError | None = None
        call.add_done_callback(self._settled)

    def _settled(self, call: grpc.aio.Call) -> None:
        code = _now(call.code())
        if code is None or code == grpc.StatusCode.OK:
            return
        details = _now(call.details())
        trailers = _now(call.trailing_metadata())
        self._first = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailers or grpc.aio.Metadata(), details)

    def genuine(self, error: grpc.aio.AioRpcError) -> grpc.aio.AioRpcError:
        overwritten = error.code() == grpc.StatusCode.INTERNAL and error.details() == _CORE_INTERNAL_ERROR
        return self._first if overwritten and self._first is not None else error


def _now(step: Coroutine[Any, Any, T]) -> T | None:
    """The value of a coroutine that finishes without waiting (a finished call's status accessors); else None."""
    try:
        step.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    step.close()
    return None


def _relay_trailers(trailers: Any, context: grpc.aio.ServicerContext) -> None:
    kept = forwardable(trailers)
    if kept:
        context.set_trailing_metadata(kept)


async def _relay_error(error: grpc.aio.AioRpcError, context: grpc.aio.ServicerContext, span: trace.Span) -> NoReturn:
    """Passes the upstream status on as it was: code, message and rich details (grpc-status-details-bin)."""
    span.set_status(Status(StatusCode.ERROR, error.code().name))
    trailers = tuple(
        (k, v)
        for k, v in error.trailing_metadata() or ()
        if k == "grpc-status-details-bin" or not k.startswith(_DROPPED_PREFIXES)
    )
    await context.abort(error.code(), error.details() or "", trailing_metadata=trailers)
    raise AssertionError("abort returned")  # context.abort always raises


class _MetadataAppender(Setter[list[tuple[str, Any]]]):
    """Writes trace context into gRPC metadata, which is a list of pairs rather than a dict."""

    def set(self, carrier: list[tuple[str, Any]], key: str, value: str) -> None:
        carrier.append((key, value))


_METADATA_APPENDER = _MetadataAppender()
