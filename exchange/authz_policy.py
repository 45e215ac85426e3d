"""The Policy port answered by authz's decision library: a local snapshot kept current by WatchPolicy."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

import grpc

from authz.domain.model import AccessQuery
from authz.domain.model import Action as AuthzAction
from authz.domain.model import ItemDecision as AuthzItemDecision
from authz.domain.model import RowScope as AuthzRowScope
from authz.snapshot import PolicySnapshot
from catalog.domain.model import SharingType
from exchange.domain.policy import Action, ItemDecision, RowScope
from govmesh.identity import PRINCIPAL_HEADER, Principal

log = logging.getLogger("govmesh.exchange.authz")

# The principal the exchange reads the policy as: an enforcement point.
EXCHANGE_PRINCIPAL = Principal("service", "exchange")
# A decision asked from a worker thread waits at most this long for the event loop.
DECISION_TIMEOUT_SECONDS = 10.0


def _scope(scope: AuthzRowScope) -> RowScope:
    return RowScope(
        all_rows=scope.all_rows,
        division_codes=tuple(scope.division_codes),
        entity_keys=frozenset(scope.entity_keys),
        requested_entities_only=scope.requested_entities_only,
    )


def _decision(found: AuthzItemDecision) -> ItemDecision:
    return ItemDecision(
        subject_code=found.subject,
        item_code=found.item,
        allowed=found.allowed,
        reason=found.reason.code,
        sharing_type=SharingType(found.sharing_type.value) if found.sharing_type else None,
        row_scope=_scope(found.row_scope),
        grants=tuple(f"grants/{g}" for g in found.grants),
    )


class AuthzPolicy:
    """Decides from the embedded snapshot; no network hop per decision.

    The snapshot follows WatchPolicy on the event loop, so decisions asked from worker threads
    (the exchange's database work runs there) are taken on the loop too, never racing a change.
    """

    def __init__(self, snapshot: PolicySnapshot, loop: asyncio.AbstractEventLoop):
        self.snapshot = snapshot
        self._loop = loop
        self._loop_thread = threading.get_ident()

    @property
    def revision(self) -> int:
        return self.snapshot.revision

    def decide(
        self, principal: Principal, action: Action, subject_code: str, items: Sequence[str] = ()
    ) -> list[ItemDecision]:
        query = AccessQuery(principal.kind, principal.code, AuthzAction[action.name], subject_code, tuple(items))
        if threading.get_ident() == self._loop_thread:
            return [_decision(d) for d in self.snapshot.check(query).items]

        async def on_loop() -> list[ItemDecision]:
            return [_decision(d) for d in self.snapshot.check(query).items]

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(DECISION_TIMEOUT_SECONDS)


def authz_channel(targets: Sequence[str], max_message_bytes: int) -> grpc.aio.Channel:
    target = targets[0] if len(targets) == 1 else "ipv4:" + ",".join(targets)
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.service_config", '{"loadBalancingConfig": [{"round_robin": {}}]}'),
        ],
    )


async def start_snapshot(channel: grpc.aio.Channel, timeout: float = 60.0) -> PolicySnapshot:
    """A snapshot read as the exchange's own principal, retried while authz is starting."""
    snapshot = PolicySnapshot(channel, metadata=((PRINCIPAL_HEADER, EXCHANGE_PRINCIPAL.header_value()),))
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
            log.info("waiting for authz (%s)", getattr(error, "code", lambda: "timeout")())
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
