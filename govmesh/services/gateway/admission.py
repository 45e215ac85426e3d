"""What the gateway decides before it forwards a call: who is calling, whether they may, and within what limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import grpc
from google.rpc import status_pb2
from opentelemetry import propagate, trace

from govmesh.runtime import errors
from govmesh.runtime.interceptors import peer_refusal
from govmesh.services.gateway.domain.limits import Allowance, Limiter
from govmesh.services.gateway.domain.policy import CallPolicy
from govmesh.services.gateway.identity import Caller, RevocationList

# When a stream will close is unknown; a second is a polite first retry.
_STREAM_RETRY_SECONDS = 1.0
# How long a call may be held for its principal's calls in flight to answer before it is refused.
_HOLD_SECONDS = 5.0

Identify = Callable[[grpc.aio.ServicerContext], Caller]


def trace_id_of(context: grpc.aio.ServicerContext) -> str:
    """The trace the caller's call belongs to, as its trace headers name it; empty when it sent none."""
    parent = propagate.extract(dict(context.invocation_metadata() or ()))
    span = trace.get_current_span(parent).get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else ""


@dataclass(slots=True)
class Admission:
    """An admitted call: its caller, the allowance it was charged to, and the response bytes reserved for it."""

    caller: Caller
    allowance: Allowance
    method: str = ""
    reserved: float = 0.0
    probe: bool = False


class Gate:
    """Admits a call or raises the domain error to answer it with, in this order:

    1. identity — over TLS, a certificate naming a `spiffe://govmesh/<kind>/<code>` principal;
    2. revocation — its serial is not on the hub's revocation list;
    3. limits — a free stream slot for a streaming call, a token for the call's rate, and the
       call's expected cost in response bytes;
    4. the coarse policy check (`CallPolicy`), whose refusals are in the audit log before the caller hears of them.

    Limits come before the policy so a flood is turned away by arithmetic alone. Everything here is
    in memory, as it runs on every call, but for the audit write of a refusal.
    """

    def __init__(
        self,
        identify: Identify,
        policy: CallPolicy,
        limiter: Limiter,
        revocations: RevocationList | None,
    ):
        self.identify = identify
        self.policy = policy
        self.limiter = limiter
        self.revocations = revocations
        # Per principal: set when one of its calls in flight answers, for its calls held meanwhile.
        self._answered: dict[str, asyncio.Event] = {}

    def caller(self, context: grpc.aio.ServicerContext) -> Caller:
        caller = self.identify(context)
        if self.revocations is None:
            return caller
        certificate = caller.certificate
        if certificate is None:
            raise errors.Unauthenticated("the call carries no client certificate", reason="NO_IDENTITY")
        refusal = peer_refusal(certificate, self.revocations)
        if refusal is not None:
            raise refusal
        return caller

    async def admit(
        self, context: grpc.aio.ServicerContext, method: str, streaming: bool, *, priced: bool = True
    ) -> Admission:
        """The admitted call; each admitted unary call that is `priced` must be `settle`d when it ends.

        Streams are charged message by message instead; the gateway's own methods (`priced=False`)
        answer from memory and cost nothing.
        """
        caller = self.caller(context)
        allowance = self.limiter.allowance(caller.principal)
        if streaming and allowance.streams_full():
            allowance.refuse()
            raise errors.ResourceExhausted(
                f"{caller.header} already has {allowance.open_streams} streams open, its limit",
                retry_after_seconds=_STREAM_RETRY_SECONDS,
                reason="TOO_MANY_STREAMS",
                metadata={"principal": caller.header, "limit": str(allowance.limits.max_concurrent_streams)},
            )
        now = self.limiter.clock()
        wait = allowance.take_call(now)
        if wait:
            raise errors.ResourceExhausted(
                f"{caller.header} is over its rate of {allowance.limits.requests_per_second:g} calls a second",
                retry_after_seconds=wait,
                reason="RATE_LIMITED",
                metadata={"principal": caller.header, "limit": f"{allowance.limits.requests_per_second:g}"},
            )
        # Every call spends a token; one expected to be costly also waits for its response bytes.
        expected = 0.0 if streaming or not priced else await self._affordable(caller, allowance, method)
        refusal = self.policy.refusal(caller.principal, method)
        if refusal is not None:
            await self.policy.audit_refusal(caller.principal, method, refusal, trace_id_of(context))
            raise refusal
        if streaming:
            allowance.open_streams += 1
        probe = allowance.reserve(method, expected, self.limiter.clock()) if expected else False
        return Admission(caller, allowance, method, expected, probe)

    async def _affordable(self, caller: Caller, allowance: Allowance, method: str) -> float:
        """The cost a call of `method` reserves, once its principal may start it (`Allowance.cost_wait`).

        A call held only by the principal's own calls in flight waits here for their answers, up to
        _HOLD_SECONDS: a client's parallel calls are not errors. Over its budget, it is refused at
        once with the time until the budget holds it (COST_LIMITED), as a flood should be.
        """
        give_up = self.limiter.clock() + _HOLD_SECONDS
        while True:
            now = self.limiter.clock()
            expected, wait, in_flight = allowance.cost_wait(method, now)
            if not wait:
                return expected
            if not in_flight or now >= give_up:
                if in_flight:
                    allowance.refuse()
                allowance.admitted -= 1
                limit = allowance.limits.response_bytes_per_second
                raise errors.ResourceExhausted(
                    f"{caller.header} is over its budget of {limit:,.0f} response bytes a second",
                    retry_after_seconds=wait,
                    reason="COST_LIMITED",
                    metadata={"principal": caller.header, "limit": f"{limit:g}"},
                )
            await self._next_answer(caller.header, min(wait, give_up - now))

    async def _next_answer(self, principal: str, timeout: float) -> None:
        """Returns when one of `principal`'s calls in flight answers, or after `timeout` seconds."""
        answered = self._answered.get(principal)
        if answered is None:
            answered = self._answered[principal] = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered.wait(), timeout)

    def settle(self, admission: Admission, size: int | None) -> None:
        """Charges what a call's response really cost against what was reserved, and learns from it.

        `None` (the call failed) gives the reservation back and teaches nothing. A call admitted
        with nothing reserved (a client stream) is charged its answer; settling twice charges once.
        """
        allowance, now = admission.allowance, self.limiter.clock()
        if admission.reserved:
            allowance.settle(admission.method, admission.reserved, admission.probe, size, now)
            if (answered := self._answered.pop(admission.caller.header, None)) is not None:
                answered.set()
        elif size:
            allowance.charge_bytes(size, now)
        admission.reserved, admission.probe = 0.0, False

    def charge(self, admission: Admission, size: int) -> None:
        """Charges one streamed response message."""
        admission.allowance.charge_bytes(size, self.limiter.clock())


class RevocationWatch:
    """Ends an open stream when its caller's certificate is revoked: the gate admits a call only at its start.

    The revocation list is reread every `GOVMESH_GATEWAY_REVOCATION_CHECK_SECONDS`; at the reload
    that lists the certificate, the upstream call is cancelled (its reader then sees
    CancelledError) and `refusal` holds the answer for the caller, on either door: UNAUTHENTICATED
    with reason CERTIFICATE_REVOKED.
    """

    def __init__(self, gate: Gate, admission: Admission, call: grpc.aio.Call):
        self.refusal: errors.DomainError | None = None
        self._task: asyncio.Task[None] | None = None
        revocations, certificate = gate.revocations, admission.caller.certificate
        if revocations is None or certificate is None:
            return

        def cut(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and revocations is not None and certificate is not None:
                self.refusal = peer_refusal(certificate, revocations)
                call.cancel()

        self._task = asyncio.get_running_loop().create_task(revocations.wait_revoked(certificate.serial))
        self._task.add_done_callback(cut)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()


def message_too_large(admission: Admission, size: int, direction: str) -> errors.ResourceExhausted:
    limit = admission.allowance.limits.max_message_bytes
    admission.allowance.refuse()
    return errors.ResourceExhausted(
        f"the {direction} message of {size} bytes is over {admission.caller.header}'s limit of {limit} bytes",
        retry_after_seconds=None,
        reason="MESSAGE_TOO_LARGE",
        metadata={"principal": admission.caller.header, "limit": str(limit), "size": str(size)},
    )


async def refuse(context: grpc.aio.ServicerContext, code: grpc.StatusCode, status: status_pb2.Status) -> NoReturn:
    """Answers a refused call with the status its domain error maps to (`status_for`), rich details included."""
    await context.abort(
        code, status.message, trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),)
    )
    raise AssertionError("abort returned")  # context.abort always raises
