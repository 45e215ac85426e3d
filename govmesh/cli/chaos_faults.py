"""`govmesh chaos` beyond killed processes: PostgreSQL restarted, a consumer paused, grants changed, denials probed.

Each fault keeps what the invariants need: the policy revisions between which the quality bureau
held its mid-run grant (a delivery of that item decided at any other revision is a breach), and
the trace id of every call the hub refused (each must be found in the audit log afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shlex
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from govmesh.client import Stubs
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

SUBJECT = "subjects/102.001"
# A CONDITIONAL item of 102.001 the quality bureau is granted and loses again, over and over, mid-run.
GRANTED_MID_RUN = "102.001.021"
# A NOT_SHARED item: nobody is ever granted it, so asking to subscribe to it is always refused.
NEVER_SHARED = "102.001.030"


@dataclass
class Faults:
    """What the faults did, and the state the workload reads (whether the consumer is paused)."""

    consumer_running: asyncio.Event = field(default_factory=asyncio.Event)
    postgres_restarts: list[int] = field(default_factory=list)  # each restart command's exit code
    pauses: int = 0
    # [from, until) policy revisions of each grant of GRANTED_MID_RUN; until is 0 while it stands.
    grant_spans: list[list[int]] = field(default_factory=list)
    grant_errors: list[str] = field(default_factory=list)
    denied_traces: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.consumer_running.set()

    def granted_at(self, revision: int) -> bool:
        return any(start <= revision and (not until or revision < until) for start, until in self.grant_spans)


async def restart_postgres(command: str, faults: Faults) -> None:
    """Runs the operator's restart command (`pg_ctlcluster 15 main restart`, `systemctl restart postgresql`…)."""
    done = await asyncio.to_thread(subprocess.run, shlex.split(command), capture_output=True, check=False)
    faults.postgres_restarts.append(done.returncode)


async def pause_consumer(faults: Faults, seconds: float) -> None:
    """The quality bureau's backend stalls: it neither reads its stream nor acknowledges for `seconds`."""
    faults.pauses += 1
    faults.consumer_running.clear()
    try:
        await asyncio.sleep(seconds)
    finally:
        faults.consumer_running.set()


async def _settled(call: object, stop: asyncio.Event) -> object:
    """A call through a gateway that may be down, retried while it is unavailable; None if the run ended first."""
    while not stop.is_set():
        try:
            return await call()  # type: ignore[operator]
        except grpc.aio.AioRpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise
            await asyncio.sleep(0.3)
    return None


async def _grant_state(provider: Stubs, name: str, stop: asyncio.Event) -> apb.Grant | None:
    reply = await _settled(lambda: provider.authz.GetGrant(apb.GetGrantRequest(name=name), timeout=10), stop)
    return reply.grant if reply is not None else None  # type: ignore[attr-defined]


async def _moved_to(provider: Stubs, name: str, state: int, change: object, stop: asyncio.Event) -> int:
    """Makes a change, tolerating a retry of one that already happened; the policy revision it made, 0 if not."""
    with contextlib.suppress(grpc.aio.AioRpcError):  # e.g. FAILED_PRECONDITION: an earlier try already did it
        await _settled(change, stop)
    grant = await _grant_state(provider, name, stop)
    return grant.revision if grant is not None and grant.state == state else 0


async def grant_and_revoke(hubs: dict[str, Stubs], faults: Faults, run: str, stop: asyncio.Event) -> None:
    """One cycle: the quality bureau applies for GRANTED_MID_RUN, the business bureau approves, then revokes it."""
    grant = apb.Grant(
        subject=SUBJECT,
        items=[GRANTED_MID_RUN],
        mode=apb.GRANT_MODE_POINT_TO_POINT,
        consumer_departments=["QTS"],
        actions=[apb.ACTION_SUBSCRIBE],
        purpose="product quality supervision of new enterprises",
        legal_basis="穗府办〔2008〕1号",
    )
    grant.end_time.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    request_id = f"chaos-{run}-{len(faults.grant_spans)}"
    try:
        applied = await _settled(
            lambda: hubs["QTS"].authz.ApplyGrant(apb.ApplyGrantRequest(grant=grant, request_id=request_id)), stop
        )
        if applied is None:
            return
        name = applied.grant.name  # type: ignore[attr-defined]
        approve = apb.ApproveGrantRequest(name=name, reason="chaos")
        start = await _moved_to(
            hubs["AIC"], name, apb.GRANT_STATE_APPROVED, lambda: hubs["AIC"].authz.ApproveGrant(approve), stop
        )
        if not start:
            faults.grant_errors.append(f"{name} was not approved")
            return
        span = [start, 0]
        faults.grant_spans.append(span)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=2.0)
        revoke = apb.RevokeGrantRequest(name=name, reason="chaos")
        # Revoked even when the run has ended meanwhile, so every cycle is closed: retried until it is.
        span[1] = await _moved_to(
            hubs["AIC"], name, apb.GRANT_STATE_REVOKED, lambda: hubs["AIC"].authz.RevokeGrant(revoke), asyncio.Event()
        )
        if not span[1]:
            faults.grant_errors.append(f"{name} was not revoked")
    except grpc.aio.AioRpcError as error:
        faults.grant_errors.append(f"{error.code().name}: {error.details()}")


async def probe_denial(psb: Stubs, faults: Faults, n: int) -> None:
    """The police ask to subscribe to a NOT_SHARED item; the refusal is remembered by its trace id.

    The exchange refuses it as FAILED_PRECONDITION (no item of the subscription may be received)
    or the gateway as PERMISSION_DENIED; either way a denial, which the audit log must hold.
    """
    trace_id = uuid.uuid4().int or 1
    context = SpanContext(trace_id, uuid.uuid4().int >> 64 or 1, is_remote=False, trace_flags=TraceFlags(1))
    span_id = format(context.span_id, "016x")
    # Our own trace id, so the refusal can be found in the audit log by it.
    metadata = (("traceparent", f"00-{trace_id:032x}-{span_id}-01"),)
    draft = pb.Subscription(subject=SUBJECT, items=[NEVER_SHARED])
    request = pb.CreateSubscriptionRequest(subscription=draft, subscription_id=f"chaos-denied-{n}")
    with trace.use_span(NonRecordingSpan(context)):
        try:
            await psb.exchange.CreateSubscription(request, metadata=metadata, timeout=10)
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION):
                faults.denied_traces.append(f"{trace_id:032x}")
            return
    faults.grant_errors.append(f"the police were allowed to subscribe to {NEVER_SHARED}")


async def missing_from_audit(auditor: Stubs, traces: list[str]) -> list[str]:
    """The denied calls' trace ids without a DENY entry in the audit log."""
    missing = []
    for trace_id in traces:
        request = apb.ListAuditEntriesRequest(trace_id=trace_id, decision=apb.DECISION_DENY, page_size=1)
        try:
            reply = await auditor.authz.ListAuditEntries(request, timeout=10)
            if not reply.entries:
                missing.append(trace_id)
        except grpc.aio.AioRpcError:
            missing.append(trace_id)
    return missing


async def change_grants(hubs: dict[str, Stubs], faults: Faults, stop: asyncio.Event) -> None:
    """Grant cycles until the run ends (request ids unique to the run: a reused database holds earlier runs')."""
    run = uuid.uuid4().hex[:8]
    while not stop.is_set():
        await grant_and_revoke(hubs, faults, run, stop)
        await asyncio.sleep(1.0)


async def probe_denials(psb: Stubs, faults: Faults, pause: Callable[[], float], stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        await probe_denial(psb, faults, n)
        n += 1
        await asyncio.sleep(pause())
