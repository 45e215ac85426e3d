"""Every public RPC as a Connect endpoint: admitted by the gateway's gate, then forwarded to its upstream service.

The door parses JSON into the method's message, and from there a call is what it is on the gRPC
port: the same gate (identity from the certificate, revocation, limits, the coarse policy check),
the same per-principal message and deadline limits, the same metrics and the same trace span,
and the verified principal written into the upstream call by the gateway alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from connectrpc.request import RequestContext
from connectrpc.server import Endpoint
from google.protobuf import descriptor_pb2, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Setter
from opentelemetry.trace import SpanKind, Status, StatusCode

from govmesh.runtime import errors
from govmesh.runtime.identity import PRINCIPAL_HEADER, current_principal
from govmesh.services.gateway.admission import Admission, Gate, RevocationWatch, message_too_large
from govmesh.services.gateway.httpface.admittance import Admittance, current_admission, method_path
from govmesh.services.gateway.httpface.calls import HttpCall, current_peer
from govmesh.services.gateway.httpface.statuses import from_domain_error, from_rpc_error
from govmesh.services.gateway.local import current_caller
from govmesh.services.gateway.metrics import CallMetrics
from govmesh.services.gateway.upstreams import Upstream

tracer = trace.get_tracer("govmesh.gateway")

# Methods named like these only read, so they also answer Connect's GET (cacheable, linkable);
# a method whose contract says `idempotency_level = NO_SIDE_EFFECTS` does too.
_READING_PREFIXES = ("Get", "List", "Search", "Validate", "Check", "BatchCheck", "Verify", "Locate", "WhoAmI")
_NOT_TRACED: AbstractContextManager[trace.Span] = contextlib.nullcontext(trace.INVALID_SPAN)
Endpoints = dict[str, Any]


def reads_only(method: MethodDescriptor) -> bool:
    """Whether a unary method is side-effect-free, and so answers GET as well as POST."""
    if method.client_streaming or method.server_streaming:
        return False
    declared = method.GetOptions().idempotency_level
    if declared == descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS:
        return True
    return method.name.startswith(_READING_PREFIXES)


def method_info(method: MethodDescriptor) -> MethodInfo[Any, Any]:
    stream_type = {
        (False, False): StreamType.UNARY,
        (False, True): StreamType.SERVER_STREAM,
        (True, False): StreamType.CLIENT_STREAM,
        (True, True): StreamType.BIDI_STREAM,
    }[(method.client_streaming, method.server_streaming)]
    return MethodInfo(
        name=method.name,
        service_name=method.containing_service.full_name,
        input=message_factory.GetMessageClass(method.input_type),
        output=message_factory.GetMessageClass(method.output_type),
        idempotency_level=IdempotencyLevel.NO_SIDE_EFFECTS if reads_only(method) else IdempotencyLevel.UNKNOWN,
        stream_type=stream_type,
    )


@dataclass
class Admitted:
    """An admitted HTTP call: its admission, the metadata to send upstream, and its deadline."""

    admission: Admission
    metadata: list[tuple[str, str]]
    timeout: float
    span: trace.Span

    def sized(self, data: bytes, direction: str) -> bytes:
        if len(data) > self.admission.allowance.limits.max_message_bytes:
            raise message_too_large(self.admission, len(data), direction)
        return data


class Doorkeeper:
    """Admits, traces, counts and answers every HTTP call the way the gRPC port does.

    `admittance` is the interceptor the Connect application runs first; the endpoints run after it.
    """

    def __init__(self, gate: Gate, metrics: CallMetrics, *, traced: bool = True):
        self.admittance = Admittance(gate, metrics)
        self.gate = gate
        self._traced = traced

    @contextmanager
    def cut_when_revoked(self, call: Admitted, upstream_call: grpc.aio.Call) -> Iterator[None]:
        """An open stream ends when its caller's certificate is revoked, as on the gRPC port (`RevocationWatch`)."""
        watch = RevocationWatch(self.gate, call.admission, upstream_call)
        try:
            yield
        except asyncio.CancelledError:
            if watch.refusal is not None:
                raise watch.refusal from None  # `admitted` answers it as a Connect error
            raise
        finally:
            watch.close()

    def _span(self, method: str, call: HttpCall) -> AbstractContextManager[trace.Span]:
        if not self._traced:
            return _NOT_TRACED
        span = tracer.start_span(
            f"gateway {method}",
            context=propagate.extract(dict(call.invocation_metadata())),
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "connect_rpc", "rpc.method": method},
        )
        return trace.use_span(span, end_on_exit=True)

    def _metadata(self, principal: str, call: HttpCall) -> list[tuple[str, str]]:
        outgoing = [(PRINCIPAL_HEADER, principal)]
        if self._traced:
            propagate.inject(outgoing, setter=_APPENDER)
        else:
            outgoing.extend(call.invocation_metadata())
        return outgoing

    @asynccontextmanager
    async def admitted(
        self, ctx: RequestContext[Any, Any], upstream: Upstream | None = None
    ) -> AsyncIterator[Admitted]:
        """The admitted call (see `Admittance`), traced, with upstream failures and refusals as Connect errors."""
        admission = current_admission.get()
        if admission is None:  # the door always runs Admittance first; never forward an unadmitted call
            raise ConnectError(Code.INTERNAL, "the call was not admitted")
        call = HttpCall(current_peer.get(), ctx)
        limits = admission.allowance.limits
        remaining = call.time_remaining()
        timeout = limits.default_deadline_seconds if remaining is None else min(remaining, limits.max_deadline_seconds)
        try:
            with self._span(method_path(ctx), call) as span:
                if upstream is not None:
                    upstream.forwarded_calls += 1
                    upstream.active_calls += 1
                try:
                    yield Admitted(admission, self._metadata(admission.caller.header, call), timeout, span)
                except grpc.aio.AioRpcError as error:
                    span.set_status(Status(StatusCode.ERROR, error.code().name))
                    if upstream is not None:
                        upstream.failed_calls += 1
                    raise from_rpc_error(error) from None
                finally:
                    if upstream is not None:
                        upstream.active_calls -= 1
        except errors.DomainError as refusal:
            raise from_domain_error(refusal)[1] from None

    def forwarding(self, service: ServiceDescriptor, upstream: Upstream) -> Endpoints:
        """An endpoint per method of `service`, forwarding to `upstream`'s replicas."""
        return {f"/{service.full_name}/{m.name}": _forwarder(self, m, upstream) for m in service.methods}

    def answering(self, service: ServiceDescriptor, servicer: Any) -> Endpoints:
        """An endpoint per (unary) method of the gateway's own service, answered by its servicer."""
        endpoints: Endpoints = {}
        for method in service.methods:
            info = method_info(method)
            path = f"/{service.full_name}/{method.name}"
            self.admittance.unpriced.add(path)
            endpoints[path] = _local(self, info, getattr(servicer, method.name))
        return endpoints


def _forwarder(door: Doorkeeper, method: MethodDescriptor, upstream: Upstream) -> Any:
    info = method_info(method)
    path = f"/{info.service_name}/{info.name}"
    output = info.output
    channel = upstream.channel

    def outgoing(request: Any, call: Admitted) -> Any:
        """The request as bytes upstream: one message, or a stream refused at its first message over the limit."""
        if not method.client_streaming:
            return call.sized(request.SerializeToString(), "request")

        async def messages() -> AsyncIterator[bytes]:
            async for message in request:
                yield call.sized(message.SerializeToString(), "request")

        return messages()

    if not method.server_streaming:
        send_one = channel.stream_unary(path) if method.client_streaming else channel.unary_unary(path)

        async def one_reply(request: Any, ctx: RequestContext[Any, Any]) -> Any:
            async with door.admitted(ctx, upstream) as call:
                if not method.client_streaming:
                    reply = await send_one(outgoing(request, call), timeout=call.timeout, metadata=call.metadata)
                else:
                    upstream_call = send_one(
                        outgoing(request, call), timeout=_stream_timeout(ctx), metadata=call.metadata
                    )
                    with door.cut_when_revoked(call, upstream_call):
                        reply = await upstream_call
                door.gate.settle(call.admission, len(reply))  # the answer's real cost, as on the gRPC port
                return output.FromString(call.sized(reply, "response"))

        return (Endpoint.client_stream if method.client_streaming else Endpoint.unary)(info, one_reply)

    send_many = channel.stream_stream(path) if method.client_streaming else channel.unary_stream(path)

    async def replies(request: Any, ctx: RequestContext[Any, Any]) -> AsyncIterator[Any]:
        async with door.admitted(ctx, upstream) as call:
            upstream_call = send_many(outgoing(request, call), timeout=_stream_timeout(ctx), metadata=call.metadata)
            try:
                with door.cut_when_revoked(call, upstream_call):
                    async for reply in upstream_call:
                        door.gate.charge(call.admission, len(reply))  # a stream pays message by message
                        yield output.FromString(call.sized(reply, "response"))
            finally:
                # A caller who goes away, or a refused message, ends the upstream call too.
                upstream_call.cancel()

    return (Endpoint.bidi_stream if method.client_streaming else Endpoint.server_stream)(info, replies)


def _stream_timeout(ctx: RequestContext[Any, Any]) -> float | None:
    """A stream lives as long as its caller asks (as on the gRPC port), not the default unary deadline."""
    remaining = ctx.timeout_ms
    return None if remaining is None else max(remaining / 1000.0, 0.0)


def _local(door: Doorkeeper, info: MethodInfo[Any, Any], answer: Callable[[Any, Any], Any]) -> Any:
    async def unary(request: Any, ctx: RequestContext[Any, Any]) -> Any:
        async with door.admitted(ctx) as call:
            caller_token = current_caller.set(call.admission.caller)
            principal_token = current_principal.set(call.admission.caller.principal)
            try:
                return await answer(request, HttpCall(current_peer.get(), ctx))
            finally:
                current_principal.reset(principal_token)
                current_caller.reset(caller_token)

    return Endpoint.unary(info, unary)


class _Appender(Setter[list[tuple[str, str]]]):
    """Writes trace context into gRPC metadata, a list of pairs rather than a dict."""

    def set(self, carrier: list[tuple[str, str]], key: str, value: str) -> None:
        carrier.append((key, value))


_APPENDER = _Appender()
