"""Server interceptors every service shares: identity, metrics and domain errors → rich gRPC statuses."""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, NoReturn

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry import metrics, trace

from govmesh.runtime import errors
from govmesh.runtime.identity import ANONYMOUS, PRINCIPAL_HEADER, acting_principal, current_principal
from govmesh.runtime.mtls import PeerCache, PeerCertificate, RevocationList, peer_certificate

log = logging.getLogger("govmesh.rpc")

Guard = Callable[[grpc.aio.ServicerContext, str], AbstractAsyncContextManager[None]]


def wrap_handler(handler: grpc.RpcMethodHandler, method: str, guard: Guard) -> grpc.RpcMethodHandler:
    """Runs every kind of handler (unary or streaming either way) inside `guard(context, method)`."""
    if handler.unary_unary is not None:
        uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with guard(context, method):
                return await uu(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream is not None:
        us = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with guard(context, method):
                async for response in _responses(us(request, context)):
                    yield response

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, handler.request_deserializer, handler.response_serializer
        )
    if handler.stream_unary is not None:
        su = handler.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            async with guard(context, method):
                return await su(requests, context)

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, handler.request_deserializer, handler.response_serializer
        )
    ss = handler.stream_stream

    async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async with guard(context, method):
            async for response in _responses(ss(requests, context)):
                yield response

    return grpc.stream_stream_rpc_method_handler(
        stream_stream, handler.request_deserializer, handler.response_serializer
    )


async def _responses(result: Any) -> AsyncIterator[Any]:
    """A streaming handler either yields its responses or writes them with `context.write`."""
    if hasattr(result, "__aiter__"):
        async for response in result:
            yield response
    else:
        await result


def _resolved(handler: grpc.RpcMethodHandler | None) -> Callable[[grpc.HandlerCallDetails], Awaitable[Any]]:
    async def continuation(_details: grpc.HandlerCallDetails) -> Any:
        return handler

    return continuation


class GuardingInterceptor(grpc.aio.ServerInterceptor, abc.ABC):
    """Base for interceptors that wrap the handler's body rather than its lookup."""

    def applies_to(self, method: str) -> bool:
        """Whether calls of `method` run inside the guard (all of them unless a subclass narrows it)."""
        return True

    def found(self, method: str, handler: grpc.RpcMethodHandler) -> None:
        """Called with each method's handler as it is wrapped, for guards that depend on its shape."""

    @abc.abstractmethod
    def guard(self, context: grpc.aio.ServicerContext, method: str) -> AbstractAsyncContextManager[None]:
        """The context the handler's body runs in."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or not self.applies_to(handler_call_details.method):
            return handler
        self.found(handler_call_details.method, handler)
        return wrap_handler(handler, handler_call_details.method, self.guard)


class IdentityInterceptor(GuardingInterceptor):
    """Makes the call's principal, from its verified peer certificate, the `current_principal` of the call.

    A peer acts as its certificate's identity; `x-govmesh-principal` is believed only from a peer
    whose certificate says `service/gateway`. A revoked certificate, or one naming no govmesh
    identity, is refused (UNAUTHENTICATED) even on a connection it opened before. A server without
    TLS has no verified peers: every caller is anonymous.
    """

    def __init__(self, revocations: RevocationList | None = None):
        self._peers = PeerCache(peer_certificate)
        self._revocations = revocations
        self._streaming: set[str] = set()

    def found(self, method: str, handler: grpc.RpcMethodHandler) -> None:
        if handler.request_streaming or handler.response_streaming:
            self._streaming.add(method)

    @asynccontextmanager
    async def guard(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        peer = self._peers(context)
        principal = ANONYMOUS
        if peer is not None:
            refusal = peer_refusal(peer, self._revocations)
            if refusal is not None:
                await abort_with(context, refusal)
            principal = acting_principal(peer.principal, _metadata_value(context, PRINCIPAL_HEADER))
        token = current_principal.set(principal)
        cut = None
        if peer is not None and self._revocations is not None and method in self._streaming:
            cut = _StreamCut(peer, self._revocations)
        try:
            yield
        except asyncio.CancelledError:
            if cut is None or cut.refusal is None:
                raise
            cut.uncancel()
            await abort_with(context, cut.refusal)
        finally:
            if cut is not None:
                cut.close()
            current_principal.reset(token)


class _StreamCut:
    """Cancels the stream's task when its peer's certificate is revoked: an open stream ends then too."""

    def __init__(self, peer: PeerCertificate, revocations: RevocationList):
        self.refusal: errors.Unauthenticated | None = None
        self._stream = asyncio.current_task()
        self._watch = asyncio.get_running_loop().create_task(revocations.wait_revoked(peer.serial))

        def cut(watch: asyncio.Task[None]) -> None:
            if not watch.cancelled() and self._stream is not None:
                self.refusal = peer_refusal(peer, revocations)
                self._stream.cancel()

        self._watch.add_done_callback(cut)

    def uncancel(self) -> None:
        if self._stream is not None:
            self._stream.uncancel()

    def close(self) -> None:
        self._watch.cancel()


async def abort_with(context: grpc.aio.ServicerContext, error: errors.DomainError) -> NoReturn:
    """Ends the call with the status a domain error maps to (`status_for`), rich details included."""
    code, status = status_for(error)
    await context.abort(
        code, status.message, trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),)
    )
    raise AssertionError("abort returned")  # context.abort always raises


def peer_refusal(peer: PeerCertificate, revocations: RevocationList | None) -> errors.Unauthenticated | None:
    """Why a verified certificate may not call: it names no govmesh identity, or it was revoked; None if it may."""
    if peer.principal.is_anonymous:
        return errors.Unauthenticated(
            "the client certificate names no govmesh identity (a spiffe://govmesh/<kind>/<code> URI SAN)",
            reason="NO_IDENTITY",
        )
    if revocations is not None and peer.serial in revocations.serials:
        who = peer.principal.header_value()
        return errors.Unauthenticated(
            f"certificate {peer.serial_hex} of {who} has been revoked",
            reason="CERTIFICATE_REVOKED",
            metadata={"serial_number": peer.serial_hex, "principal": who},
        )
    return None


def _metadata_value(context: grpc.aio.ServicerContext, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


class MetricsInterceptor(GuardingInterceptor):
    """Counts calls and errors and records latency per RPC and per principal."""

    def __init__(self, service: str):
        meter = metrics.get_meter(f"govmesh.{service}")
        self._calls = meter.create_counter("govmesh.rpc.calls", description="RPCs handled")
        self._errors = meter.create_counter("govmesh.rpc.errors", description="RPCs that failed")
        self._latency = meter.create_histogram("govmesh.rpc.duration", unit="ms", description="RPC handling time")

    @asynccontextmanager
    async def guard(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        start = time.perf_counter()
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            attrs = {"rpc.method": method, "govmesh.principal": current_principal.get().header_value()}
            self._calls.add(1, attrs)
            if failed:
                self._errors.add(1, attrs)
            self._latency.record((time.perf_counter() - start) * 1000.0, attrs)


_STATUS_OF: list[tuple[type[errors.DomainError], grpc.StatusCode]] = [
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Aborted, grpc.StatusCode.ABORTED),
    (errors.OutOfRange, grpc.StatusCode.OUT_OF_RANGE),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
]

ERROR_DOMAIN = "govmesh"


def status_for(error: errors.DomainError) -> tuple[grpc.StatusCode, status_pb2.Status]:
    """Builds the google.rpc.Status, with standard details, that a domain error becomes."""
    code = grpc.StatusCode.INTERNAL
    for kind, status_code in _STATUS_OF:
        if isinstance(error, kind):
            code = status_code
            break
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=error.message)
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=error.domain or ERROR_DOMAIN, metadata=error.metadata
    )
    status.details.add().Pack(info)
    if isinstance(error, errors.InvalidArgument) and error.violations:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        status.details.add().Pack(bad)
    if isinstance(error, errors.FailedPrecondition) and error.violations:
        pre = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=v.type, subject=v.subject, description=v.description
                )
                for v in error.violations
            ]
        )
        status.details.add().Pack(pre)
    if isinstance(error, errors.NotFound):
        status.details.add().Pack(
            error_details_pb2.ResourceInfo(resource_type=error.resource_type, resource_name=error.name)
        )
    if isinstance(error, errors.ResourceExhausted | errors.Unavailable) and error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after_seconds * 1e9))
        status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return code, status


class _Malformed:
    """Stands in for a request whose bytes are not a valid message, so the call can say so."""

    __slots__ = ()


_MALFORMED = _Malformed()


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:
            return _MALFORMED

    return deserialize


def malformed_request() -> errors.InvalidArgument:
    """The answer to request bytes that are not a valid message of the method's type."""
    return errors.InvalidArgument(
        "the request is not a valid message of this method's type",
        [errors.FieldViolation("request", "could not be parsed")],
    )


def _reject_malformed(request: Any) -> None:
    if request is _MALFORMED:
        raise malformed_request()


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        _reject_malformed(request)
        yield request


class ErrorInterceptor(GuardingInterceptor):
    """Turns domain errors into statuses with details; hides the text of unexpected ones.

    It also answers unparseable request bytes with INVALID_ARGUMENT, where gRPC alone would say
    INTERNAL, so a fuzzing or buggy client learns that the fault is its own. `domain` is the
    ErrorInfo domain of the service's errors that name none themselves (e.g. `authz.govmesh`).
    """

    def __init__(self, domain: str = ""):
        self._domain = domain

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return await super().intercept_service(_resolved(handler), handler_call_details)
        tolerant = _tolerant(handler.request_deserializer)
        if handler.unary_unary is not None:
            uu = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                _reject_malformed(request)
                return await uu(request, context)

            checked = grpc.unary_unary_rpc_method_handler(unary_unary, tolerant, handler.response_serializer)
        elif handler.unary_stream is not None:
            us = handler.unary_stream

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                _reject_malformed(request)
                async for response in _responses(us(request, context)):
                    yield response

            checked = grpc.unary_stream_rpc_method_handler(unary_stream, tolerant, handler.response_serializer)
        elif handler.stream_unary is not None:
            su = handler.stream_unary

            async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
                return await su(_checked(requests), context)

            checked = grpc.stream_unary_rpc_method_handler(stream_unary, tolerant, handler.response_serializer)
        else:
            ss = handler.stream_stream

            async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                async for response in _responses(ss(_checked(requests), context)):
                    yield response

            checked = grpc.stream_stream_rpc_method_handler(stream_stream, tolerant, handler.response_serializer)
        return await super().intercept_service(_resolved(checked), handler_call_details)

    @asynccontextmanager
    async def guard(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        try:
            yield
        except errors.DomainError as error:
            if self._domain and not error.domain:
                error.domain = self._domain
            await abort_with(context, error)
        except grpc.aio.AbortError:
            raise
        except Exception:
            # The text of an unexpected error may quote a record's values: it goes to the log with
            # the trace id, never to the caller.
            trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
            log.exception("unexpected error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error (trace {trace_id})")
