"""The gateway's relay of client-streaming calls: a refusal from the service reaches the caller as it was."""

from __future__ import annotations

import collections

import grpc

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.exchange_support import enterprise
from tests.integration.mesh import Mesh

TRIES = 1000


async def test_a_refused_publish_stream_answers_its_refusal_every_time(exchange_mesh: Mesh) -> None:
    # Local tax may not publish the business bureau's enterprises: the exchange refuses the stream
    # while the caller may still be sending, a thousand times over.
    stub = exchange_mesh.exchange_stub("department/LTAX")

    async def messages():  # type: ignore[no-untyped-def]
        for n in range(3):
            yield pb.PublishStreamRequest(records=[enterprise(n)])

    answers: collections.Counter[str] = collections.Counter()
    for _ in range(TRIES):
        try:
            await stub.PublishStream(messages(), timeout=30)
            answers["OK"] += 1
        except grpc.aio.AioRpcError as error:
            refused = error.code() == grpc.StatusCode.PERMISSION_DENIED
            answers["PERMISSION_DENIED" if refused else f"{error.code().name}: {error.details()}"] += 1
    assert answers == {"PERMISSION_DENIED": TRIES}
