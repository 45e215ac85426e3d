"""The thin GatewayService servicer: translates gateway.v1 messages and calls one use case each."""

from __future__ import annotations

import grpc

from govmesh.contracts.gateway.v1 import gateway_pb2 as pb
from govmesh.contracts.gateway.v1 import gateway_pb2_grpc
from govmesh.services.gateway import convert
from govmesh.services.gateway.local import current_caller, current_trace_id
from govmesh.services.gateway.usecases import GatewayQueries


def _peer_address(context: grpc.aio.ServicerContext) -> str:
    """`ipv4:127.0.0.1:5000` → `127.0.0.1:5000`; `ipv6:[::1]:5000` → `[::1]:5000`."""
    peer: str = context.peer() or ""
    return peer.partition(":")[2] if peer.startswith(("ipv4:", "ipv6:")) else peer


class GatewayServicer(gateway_pb2_grpc.GatewayServiceServicer):
    """Answers from the certificate-verified caller the gate put in `current_caller`."""

    def __init__(self, queries: GatewayQueries):
        self._queries = queries

    async def WhoAmI(self, request: pb.WhoAmIRequest, context: grpc.aio.ServicerContext) -> pb.WhoAmIResponse:
        identity = self._queries.who_am_i(current_caller.get())
        return convert.who_am_i(identity, _peer_address(context), current_trace_id())

    async def GetLimits(self, request: pb.GetLimitsRequest, context: grpc.aio.ServicerContext) -> pb.GetLimitsResponse:
        return convert.principal_limits(self._queries.limits(current_caller.get(), request.principal))

    async def ListUpstreams(
        self, request: pb.ListUpstreamsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListUpstreamsResponse:
        page = self._queries.upstreams(current_caller.get(), request.service, request.page_size, request.page_token)
        return pb.ListUpstreamsResponse(
            upstreams=[convert.upstream(u) for u in page.items], next_page_token=page.next_page_token
        )
