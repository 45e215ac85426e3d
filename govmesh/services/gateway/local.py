"""The gateway's own methods, served behind the same gate, metrics and rich error statuses as forwarded calls."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from govmesh.runtime import errors
from govmesh.runtime.identity import current_principal
from govmesh.runtime.interceptors import GuardingInterceptor, malformed_request, status_for, wrap_handler
from govmesh.services.gateway.admission import Gate, refuse
from govmesh.services.gateway.identity import ANONYMOUS_CALLER, Caller
from govmesh.services.gateway.metrics import CallMetrics

log = logging.getLogger("govmesh.gateway")
tracer = trace.get_tracer("govmesh.gateway")

current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("current_caller", default=ANONYMOUS_CALLER)


def current_trace_id() -> str:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


class _Guard:
    """Admits a call to one of the gateway's own methods, traces it, counts it, and answers errors richly."""

    def __init__(self, gate: Gate, metrics: CallMetrics):
        self._gate = gate
        self._metrics = metrics

    @asynccontextmanager
    async def __call__(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        started = time.perf_counter()
        principal = ""
        code = "OK"
        try:
            caller = (await self._gate.admit(context, method, False, priced=False)).caller
            principal = caller.header
            parent = propagate.extract(dict(context.invocation_metadata() or ()))
            caller_token = current_caller.set(caller)
            principal_token = current_principal.set(caller.principal)
            try:
                with tracer.start_as_current_span(f"gateway {method}", context=parent, kind=SpanKind.SERVER):
                    yield
            finally:
                current_principal.reset(principal_token)
                current_caller.reset(caller_token)
        except errors.DomainError as error:
            principal = principal or self._gate.identify(context).header
            status_code, status = status_for(error)
            code = status_code.name
            await refuse(context, status_code, status)
        except grpc.aio.AbortError:
            raise
        except Exception:
            code = grpc.StatusCode.INTERNAL.name
            log.exception("unexpected error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error (trace {current_trace_id()})")
        finally:
            self._metrics.record(method, principal, time.perf_counter() - started, code)


def _parsed_after_admission(answer: Any, request_class: Any) -> Any:
    async def parsed(request: bytes, context: grpc.aio.ServicerContext) -> Any:
        try:
            message = request_class.FromString(request)
        except DecodeError:
            raise malformed_request() from None
        return await answer(message, context)

    return parsed


def own_service(servicer: Any, service: ServiceDescriptor, gate: Gate, metrics: CallMetrics) -> grpc.GenericRpcHandler:
    """A handler for every (unary) method of `service`, answered by the servicer's method of the same name."""
    guard = _Guard(gate, metrics)
    handlers = {}
    for method in service.methods:
        if method.client_streaming or method.server_streaming:
            raise ValueError(f"{method.full_name}: the gateway's own methods are unary")
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        # The request arrives as bytes and is parsed inside the guard: after identity and limits.
        plain = grpc.unary_unary_rpc_method_handler(
            _parsed_after_admission(getattr(servicer, method.name), request_class),
            None,
            response_class.SerializeToString,
        )
        handlers[method.name] = wrap_handler(plain, f"/{service.full_name}/{method.name}", guard)
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


# Health and reflection tell whoever asks what the mesh runs and whether it is up.
_PROBE_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class ProbeGuard(GuardingInterceptor):
    """Health and reflection on the public port answer only a verified, unrevoked principal.

    An unauthenticated load balancer checks the port with TCP instead (see the README).
    """

    def __init__(self, gate: Gate):
        self._gate = gate

    def applies_to(self, method: str) -> bool:
        return method.startswith(_PROBE_PREFIXES)

    @asynccontextmanager
    async def guard(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        try:
            self._gate.caller(context)
        except errors.DomainError as refusal:
            status_code, status = status_for(refusal)
            await refuse(context, status_code, status)
        yield
