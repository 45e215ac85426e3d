"""The Policy port answered by authz's decision library: a local snapshot kept current by WatchPolicy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from govmesh.kernel.policy.model import AccessDecision, AccessQuery
from govmesh.kernel.policy.model import ItemDecision as AuthzItemDecision
from govmesh.kernel.policy.model import RowScope as AuthzRowScope
from govmesh.kernel.policy.snapshot import PolicySnapshot
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.domain.policy import Action, Decisions, ItemDecision, RowScope

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
        sharing_type=found.sharing_type,
        row_scope=_scope(found.row_scope),
        grants=tuple(f"grants/{g}" for g in found.grants),
    )


def _decisions(found: AccessDecision) -> Decisions:
    return Decisions(tuple(_decision(d) for d in found.items), found.valid_until)


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

    async def settle_denials(self) -> None:
        """Writes the denials decided so far to the audit log before the caller hears of them (see PolicySnapshot)."""
        await self.snapshot.settle_denials()

    def decide(self, principal: Principal, action: Action, subject_code: str, items: Sequence[str] = ()) -> Decisions:
        query = AccessQuery(principal.kind, principal.code, action, subject_code, tuple(items))
        if threading.get_ident() == self._loop_thread:
            return _decisions(self.snapshot.check(query))

        async def on_loop() -> Decisions:
            return _decisions(self.snapshot.check(query))

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(DECISION_TIMEOUT_SECONDS)
