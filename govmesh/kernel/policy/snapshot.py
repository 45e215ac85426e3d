"""The decision library enforcement points embed: a local copy of the policy, decisions in microseconds.

The gateway and the exchange hold one PolicySnapshot each. It is built from ReadPolicySnapshot,
kept current by WatchPolicy (a revocation arrives within about a second, usually milliseconds),
and rebuilt from a full read after any break of the watch, so a copy is never silently stale.
Decisions run the same Policy.decide as the authz service, on the caller's event loop, without a
network hop; denials are queued and appended to the audit log with AppendAuditEntries.

A copy is a few hundred thousand long-lived objects. An embedding process does well to call
`gc.collect(); gc.freeze()` once it has started (as authz itself does): the cyclic collector then
stops walking them, and its full collections no longer pause decisions for tens of milliseconds.
Reference counting still frees whatever a later change replaces.

    snapshot = PolicySnapshot(channel)          # policy_channel(...): mutual TLS as a `service/...` certificate
    await snapshot.start()
    gc.collect(); gc.freeze()                   # advised: see above
    decision = snapshot.check(AccessQuery("department", "LTAX", Action.SUBSCRIBE, "102.001"))
    await snapshot.wait_for_revision(decision_revision_from_elsewhere, timeout=1.0)
    await snapshot.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime

import grpc
from opentelemetry import trace

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.kernel.policy import convert as policy_convert
from govmesh.kernel.policy.model import AccessDecision, AccessQuery, PrincipalEntry, SnapshotContents
from govmesh.kernel.policy.policy import Policy, denial_entry
from govmesh.runtime.identity import Principal
from govmesh.runtime.mtls import ServiceTLS

log = logging.getLogger("govmesh.authz.snapshot")

Metadata = Sequence[tuple[str, str]]
# A denial decided locally, as queued: the question, the answer, its trace id and when (epoch seconds).
_Denial = tuple[AccessQuery, AccessDecision, str, float]
AUDIT_FLUSH_SECONDS = 0.5
MAX_QUEUED_DENIALS = 50_000


class SnapshotUnavailable(RuntimeError):
    """No copy of the policy yet: `start` has not finished (an enforcement point then denies)."""


class PolicySnapshot:
    """A local copy of the authz policy that follows every change; `check` decides from it."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        metadata: Metadata = (),
        audit_denials: bool = True,
        reconnect_seconds: float = 0.5,
    ):
        self._stub = authz_pb2_grpc.AuthzServiceStub(channel)
        self._metadata = tuple(metadata)
        self._audit_denials = audit_denials
        self._reconnect_seconds = reconnect_seconds
        self._policy: Policy | None = None
        self._follower: asyncio.Task[None] | None = None
        self._auditor: asyncio.Task[None] | None = None
        self._moved = asyncio.Event()
        # Bounded: while authz is unreachable the oldest denials give way (and are counted).
        self._denials: deque[_Denial] = deque(maxlen=MAX_QUEUED_DENIALS)
        self.dropped_denials = 0
        # One writer at a time: a caller waiting in `settle_denials` knows its denial, if another
        # writer took it, is in the log (or back in the queue) by the time the lock is its own.
        self._writing = asyncio.Lock()
        self._failed_writes = 0
        # What the server said its revision was at the last message: how far behind this copy may be.
        self.server_revision = 0
        self.last_message_at = 0.0
        self.rebuilds = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, timeout: float = 30.0) -> None:
        """Reads the whole policy, then follows it in the background."""
        await asyncio.wait_for(self._rebuild(), timeout)
        self._follower = asyncio.get_running_loop().create_task(self._follow())
        if self._audit_denials:
            self._auditor = asyncio.get_running_loop().create_task(self._write_denials())

    async def close(self) -> None:
        for task in (self._follower, self._auditor):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._audit_denials:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.flush_denials()

    async def _rebuild(self) -> None:
        current = self._policy.revision if self._policy is not None else 0
        contents: SnapshotContents | None = None
        stream = self._stub.ReadPolicySnapshot(
            pb.ReadPolicySnapshotRequest(at_least_revision=current), metadata=self._metadata
        )
        async for chunk in stream:
            if contents is None:
                contents = SnapshotContents(chunk.revision, chunk.catalog_revision)
            contents.items.extend(policy_convert.item_policy_from_proto(i) for i in chunk.items)
            contents.principals.extend(policy_convert.principal_from_proto(p) for p in chunk.principals)
            contents.grants.extend(policy_convert.grant_from_proto(g) for g in chunk.grants)
        if contents is None:
            raise SnapshotUnavailable("authz sent an empty snapshot")
        self._policy = Policy.from_contents(contents)
        self.rebuilds += 1
        self._note_message(contents.revision)

    async def _follow(self) -> None:
        while True:
            try:
                assert self._policy is not None
                stream = self._stub.WatchPolicy(
                    pb.WatchPolicyRequest(after_revision=self._policy.revision), metadata=self._metadata
                )
                async for response in stream:
                    if response.changes:
                        self._policy.apply_all(policy_convert.change_from_proto(c) for c in response.changes)
                    self._note_message(response.revision)
            except grpc.aio.AioRpcError as error:
                log.warning("policy watch broke (%s); rebuilding the snapshot", error.code().name)
            # Whatever happened while the stream was down, a full read makes the copy whole again.
            while True:
                await asyncio.sleep(self._reconnect_seconds)
                try:
                    await self._rebuild()
                    break
                except grpc.aio.AioRpcError as error:
                    log.warning("policy snapshot unavailable (%s); retrying", error.code().name)

    def _note_message(self, server_revision: int) -> None:
        self.server_revision = max(self.server_revision, server_revision)
        self.last_message_at = time.monotonic()
        self._moved.set()
        self._moved = asyncio.Event()

    # -- reading the copy ----------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The revision of the copy: every change up to it is applied."""
        return self._policy.revision if self._policy is not None else 0

    @property
    def ready(self) -> bool:
        return self._policy is not None

    @property
    def policy(self) -> Policy:
        """The copy itself, for inspection (sizes, indexes); decide with `check`."""
        return self._require()

    def principal(self, kind: str, code: str) -> PrincipalEntry | None:
        """The registered principal as the copy knows it (roles, department, groups); None if unknown."""
        return self._require().principal(kind, code)

    def check(self, query: AccessQuery, now: datetime | None = None) -> AccessDecision:
        """Decides locally; a denial is queued for the audit log."""
        decision = self._require().decide(query, now or datetime.now(UTC))
        if not decision.allowed and self._audit_denials:
            self._queue_denial(query, decision)
        return decision

    async def wait_for_revision(self, revision: int, timeout: float) -> bool:
        """Waits until the copy has applied `revision`; False if it has not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.revision < revision:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), remaining)
        return True

    def _require(self) -> Policy:
        if self._policy is None:
            raise SnapshotUnavailable("the policy snapshot is not loaded yet; call start() first")
        return self._policy

    # -- the audit of local denials ------------------------------------------------------------

    def _queue_denial(self, query: AccessQuery, decision: AccessDecision, trace_id: str | None = None) -> None:
        if len(self._denials) == MAX_QUEUED_DENIALS:
            self.dropped_denials += 1
        if trace_id is None:
            span = trace.get_current_span().get_span_context()
            trace_id = format(span.trace_id, "032x") if span.is_valid else ""
        # Only what is at hand now; the entry and its message are built when the queue is written.
        self._denials.append((query, decision, trace_id, time.time()))

    def record_denial(self, query: AccessQuery, decision: AccessDecision, trace_id: str) -> None:
        """Queues a denial the enforcement point decided without `check` (e.g. a method its caller may not call)."""
        if self._audit_denials:
            self._queue_denial(query, decision, trace_id)

    @property
    def queued_denials(self) -> int:
        """Denials decided here and not yet in the audit log."""
        return len(self._denials)

    async def flush_denials(self) -> int:
        """Appends the queued denials to authz's audit log; returns how many were sent."""
        async with self._writing:
            return await self._append_queued()

    async def settle_denials(self) -> None:
        """Writes the denials decided so far to the audit log before the caller hears of them.

        The background writer alone would leave a refusal in memory for up to half a second, and a
        crash in that window would lose it. If authz cannot be reached the denials stay queued for
        the background writer, and the caller still gets its answer.
        """
        # An empty queue while a write is under way may mean that write carries the caller's denial.
        if not self._denials and not self._writing.locked():
            return
        failures = self._failed_writes
        async with self._writing:
            # A write failed while this caller waited: authz is unreachable, and trying again for
            # each waiting caller in turn would hold them all. The background writer retries.
            if self._failed_writes != failures:
                return
            try:
                await self._append_queued()
            except grpc.aio.AioRpcError as error:
                log.warning("denials stay queued for the audit log: %s", error.code().name)

    async def _append_queued(self) -> int:
        sent = 0
        while self._denials:
            batch = [self._denials.popleft() for _ in range(min(1000, len(self._denials)))]
            entries = [
                denial_entry(q, d, when=datetime.fromtimestamp(at, UTC), trace_id=trace_id, recorded_by="")
                for q, d, trace_id, at in batch
            ]
            request = pb.AppendAuditEntriesRequest(entries=[policy_convert.audit_to_proto(e) for e in entries])
            try:
                await self._stub.AppendAuditEntries(request, metadata=self._metadata, timeout=10.0)
            except grpc.aio.AioRpcError:
                self._denials.extendleft(reversed(batch))
                self._failed_writes += 1
                raise
            sent += len(batch)
        return sent

    async def _write_denials(self) -> None:
        while True:
            await asyncio.sleep(AUDIT_FLUSH_SECONDS)
            try:
                await self.flush_denials()
            except grpc.aio.AioRpcError as error:
                log.warning(
                    "appending %d denial(s) to the audit log failed (%s)", len(self._denials), error.code().name
                )


def policy_channel(targets: Sequence[str], max_message_bytes: int, tls: ServiceTLS) -> grpc.aio.Channel:
    """A channel to authz's replicas (mutual TLS as the enforcement point's own certificate, round_robin)."""
    return tls.channel(
        targets,
        "authz",
        [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.service_config", '{"loadBalancingConfig": [{"round_robin": {}}]}'),
        ],
    )


async def start_snapshot(channel: grpc.aio.Channel, reader: Principal, timeout: float = 60.0) -> PolicySnapshot:
    """A started snapshot read by `reader` (an enforcement point), retried while authz is still starting.

    authz knows the reader from the certificate of `channel` (see `policy_channel`); `reader` names it in logs.
    """
    snapshot = PolicySnapshot(channel)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.2
    while True:
        try:
            await snapshot.start(timeout=max(1.0, deadline - loop.time()))
            return snapshot
        except (grpc.aio.AioRpcError, TimeoutError) as error:
            if loop.time() + delay > deadline:
                raise RuntimeError(f"authz did not answer within {timeout:.0f}s") from error
            log.info("%s waiting for authz", reader)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
