"""A plaintext grpc.health.v1 port beside a service's own, for probes that cannot present a client certificate."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2_grpc


async def serve_health(servicer: health.aio.HealthServicer, address: str) -> grpc.aio.Server:
    """Serves the same health answers as the service's port (Kubernetes `grpc:` probes speak no TLS).

    Only the health service is on it, so nothing but SERVING / NOT_SERVING is told to whoever asks.
    """
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(address)
    await server.start()
    return server
