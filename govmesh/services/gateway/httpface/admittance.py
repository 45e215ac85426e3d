"""The gate at the HTTP door: a call is admitted (or refused) and later counted before its body is read.

connectrpc runs leading metadata interceptors before it reads or parses a request, so the
certificate, revocation, limits and policy check come first, as on the gRPC port: a refused or
rate-limited caller costs no JSON parsing, and every call — a malformed body included — is counted
in the gateway's metrics under its method, principal and status.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from typing import Any, cast

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.method import StreamType
from connectrpc.request import RequestContext

from govmesh.runtime import errors
from govmesh.services.gateway.admission import Admission, Gate
from govmesh.services.gateway.httpface.calls import HttpCall, current_peer
from govmesh.services.gateway.httpface.statuses import from_domain_error
from govmesh.services.gateway.metrics import CallMetrics

current_admission: contextvars.ContextVar[Admission | None] = contextvars.ContextVar("current_admission", default=None)


def method_path(ctx: RequestContext[Any, Any]) -> str:
    return f"/{ctx.method.service_name}/{ctx.method.name}"


def status_name(error: Exception | None) -> str:
    """The gRPC status code name of how a call ended, as the gateway's metrics name it."""
    if error is None:
        return "OK"
    if isinstance(error, ConnectError):
        return "CANCELLED" if error.code is Code.CANCELED else error.code.name
    return "UNKNOWN"


@dataclass(frozen=True, slots=True)
class _Started:
    started: float
    admission: Admission
    streaming: bool


class Admittance:
    """A connectrpc metadata interceptor: admits each call through the gateway's Gate, and counts it when it ends."""

    def __init__(self, gate: Gate, metrics: CallMetrics):
        self._gate = gate
        self._metrics = metrics
        self.unpriced: set[str] = set()  # the gateway's own methods: answered from memory, they cost nothing

    async def on_start(self, ctx: RequestContext[Any, Any]) -> _Started:
        started = time.perf_counter()
        call = cast(grpc.aio.ServicerContext, HttpCall(current_peer.get(), ctx))
        streaming = ctx.method.stream_type is not StreamType.UNARY
        try:
            path = method_path(ctx)
            admission = await self._gate.admit(call, path, streaming, priced=path not in self.unpriced)
        except errors.DomainError as refusal:
            code, refused = from_domain_error(refusal)
            principal = self._gate.identify(call).header
            self._metrics.record(method_path(ctx), principal, time.perf_counter() - started, code)
            raise refused from None
        # Set in the request's own task, so the endpoint that runs next in it reads this admission.
        current_admission.set(admission)
        return _Started(started, admission, streaming)

    async def on_end(self, token: _Started, ctx: RequestContext[Any, Any], error: Exception | None) -> None:
        self._gate.settle(token.admission, None)  # gives back the reservation of a call that did not answer
        if token.streaming:
            token.admission.allowance.open_streams -= 1
        elapsed = time.perf_counter() - token.started
        self._metrics.record(method_path(ctx), token.admission.caller.header, elapsed, status_name(error))
