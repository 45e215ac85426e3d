"""Every service stops the same way: health goes NOT_SERVING first, in-flight calls drain, then it stops."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.runtime.server import MeshServer

SLOW = "/test.Slow/Wait"


def _slow_service(started: asyncio.Event) -> grpc.GenericRpcHandler:
    async def wait(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        started.set()
        await asyncio.sleep(0.5)
        return b"done:" + request

    handler = grpc.unary_unary_rpc_method_handler(wait)
    return grpc.method_handlers_generic_handler("test.Slow", {"Wait": handler})


async def test_a_stopping_server_reports_not_serving_and_finishes_calls_in_flight() -> None:
    server = MeshServer("test", ["test.Slow"])
    started = asyncio.Event()
    server.grpc_server.add_generic_rpc_handlers((_slow_service(started),))
    port = await server.start("127.0.0.1:0")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service="test.Slow"))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        in_flight = asyncio.ensure_future(channel.unary_unary(SLOW)(b"x", timeout=5))
        await started.wait()
        stopping = asyncio.ensure_future(server.stop(grace=3))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert await in_flight == b"done:x"
        await stopping
        with_server_gone = channel.unary_unary(SLOW)(b"y", timeout=1)
        try:
            await with_server_gone
            raise AssertionError("a stopped server answered")
        except grpc.aio.AioRpcError as error:
            assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
