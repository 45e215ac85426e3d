"""The masters service's links, asked over its contract as service/exchange, for requests about a master record."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc

from govmesh.contracts.masters.v1 import masters_pb2 as mpb
from govmesh.contracts.masters.v1 import masters_pb2_grpc
from govmesh.runtime.errors import FailedPrecondition, NotFound, Unavailable
from govmesh.runtime.mtls import ServiceTLS
from govmesh.services.exchange.domain.routing import MASTER_PREFIX, HeldRecord

# A request waits this long for the links; past it the send fails UNAVAILABLE rather than hang.
RESOLVE_TIMEOUT_SECONDS = 5.0


class MastersDirectory:
    """Who holds a record of a master, each holder with its own key.

    Asked at send time rather than kept as a copy of 101.090/102.090: the published master records
    carry no department keys, and the links change by review (confirm, split, merge), which the
    masters service answers from its own tables at once.
    """

    def __init__(self, targets: Sequence[str], tls: ServiceTLS):
        # Mutual TLS as the exchange's own certificate: masters knows its caller as service/exchange.
        self._channel = tls.channel(targets, "masters")
        self._stub = masters_pb2_grpc.MastersServiceStub(self._channel)

    async def holders(self, master_ids: Sequence[str]) -> dict[str, list[HeldRecord]]:
        """The linked records of each master, by master key (`masters/{id}`); NOT_FOUND for an unknown one."""
        answers = await asyncio.gather(*(self._resolve(i) for i in master_ids))
        return {f"{MASTER_PREFIX}{i}": found for i, found in zip(master_ids, answers, strict=True)}

    async def _resolve(self, master_id: str) -> list[HeldRecord]:
        name = f"{MASTER_PREFIX}{master_id}"
        try:
            answer = await self._stub.ResolveHolders(
                mpb.ResolveHoldersRequest(name=name), timeout=RESOLVE_TIMEOUT_SECONDS
            )
        except grpc.aio.AioRpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound("master record", name) from e
            if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Unavailable(f"the masters service cannot be reached to resolve {name}") from e
            raise FailedPrecondition(f"the masters service refused to resolve {name}: {e.details()}") from e
        return [HeldRecord(h.department, h.subject.removeprefix("subjects/"), h.key) for h in answer.holders]

    async def close(self) -> None:
        await self._channel.close()
