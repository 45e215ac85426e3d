"""How every govmesh service starts and stops: grpc.aio with health, reflection, interceptors and a graceful drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from govmesh.runtime.interceptors import ErrorInterceptor, IdentityInterceptor, MetricsInterceptor
from govmesh.runtime.mtls import RevocationList, ServiceTLS

log = logging.getLogger("govmesh.server")


def server_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", 0),
    ]


def standard_interceptors(
    name: str, error_domain: str = "", revocations: RevocationList | None = None
) -> list[grpc.aio.ServerInterceptor]:
    """The chain every service runs: tracing, metrics, the caller's identity, domain errors → statuses."""
    return [
        aio_server_interceptor(),  # type: ignore[no-untyped-call]
        MetricsInterceptor(name),
        IdentityInterceptor(revocations),
        ErrorInterceptor(error_domain),
    ]


class MeshServer:
    """A grpc.aio server with the mesh's standard parts; services add their servicers to `grpc_server`.

    With `tls` (a service's own certificate) the port is mutual TLS: a peer without a certificate
    from the hub's CA never completes the handshake, and a revoked one is refused call by call.
    """

    def __init__(
        self,
        name: str,
        service_names: Sequence[str],
        *,
        max_message_bytes: int = 4 * 1024 * 1024,
        interceptors: Sequence[grpc.aio.ServerInterceptor] | None = None,
        credentials: grpc.ServerCredentials | None = None,
        error_domain: str = "",
        tls: ServiceTLS | None = None,
    ):
        self.name = name
        self.service_names = list(service_names)
        self.revocations: RevocationList | None = None
        self._revocation_check_seconds = 1.0
        if tls is not None:
            credentials = tls.server_credentials()
            self.revocations = RevocationList(tls.authority)
            self.revocations.reload_if_changed()
            self._revocation_check_seconds = tls.revocation_check_seconds
        chain = (
            list(interceptors)
            if interceptors is not None
            else standard_interceptors(name, error_domain, self.revocations)
        )
        self.grpc_server = grpc.aio.server(interceptors=chain, options=server_options(max_message_bytes))
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc_server)
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.grpc_server
        )
        self.port = 0
        self._credentials = credentials
        self._on_stop: list[Callable[[], object]] = []
        self._revocation_follower: asyncio.Task[None] | None = None
        self._plaintext_health: grpc.aio.Server | None = None
        self.plaintext_health_port = 0

    async def serve_health_probe(self, address: str) -> int:
        """Also answers grpc.health.v1, and nothing else, in plaintext at `address`; returns its port.

        For probes that hold no certificate (Kubernetes `grpc:` probes, a load balancer's agent):
        the service's own port answers health only to a verified principal. The same answers as
        that port, so nothing but SERVING / NOT_SERVING is told to whoever asks.
        """
        probe = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, probe)
        self.plaintext_health_port = int(probe.add_insecure_port(address))
        await probe.start()
        self._plaintext_health = probe
        return self.plaintext_health_port

    def on_stop(self, callback: Callable[[], object]) -> None:
        """Registers cleanup (a function or coroutine function) run after the last call drained."""
        self._on_stop.append(callback)

    async def start(self, address: str) -> int:
        """Binds `host:port` (port 0 picks a free one), starts serving and reports SERVING."""
        if self._credentials is not None:
            self.port = self.grpc_server.add_secure_port(address, self._credentials)
        else:
            self.port = self.grpc_server.add_insecure_port(address)
        await self.grpc_server.start()
        if self.revocations is not None and self._revocation_follower is None:
            follow = self.revocations.follow(self._revocation_check_seconds)
            self._revocation_follower = asyncio.get_running_loop().create_task(follow)
        await self.set_serving(True)
        return self.port

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in ["", *self.service_names]:
            await self.health.set(service, status)

    async def stop(self, grace: float = 5.0) -> None:
        """Goes NOT_SERVING so balancers move away, lets in-flight calls drain, then stops."""
        await self.health.enter_graceful_shutdown()
        await self.grpc_server.stop(grace)
        if self._plaintext_health is not None:
            await self._plaintext_health.stop(0)
        if self._revocation_follower is not None:
            self._revocation_follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._revocation_follower
            self._revocation_follower = None
        for callback in self._on_stop:
            result = callback()
            if asyncio.iscoroutine(result):
                await result

    async def serve_until_signalled(self, grace: float) -> None:
        """Serves until SIGTERM or SIGINT, then stops gracefully."""
        await wait_for_stop_signal()
        log.info("%s stopping: draining in-flight calls for up to %.1fs", self.name, grace)
        await self.stop(grace)
        log.info("%s stopped", self.name)


async def wait_for_stop_signal() -> None:
    """Returns when the process gets SIGTERM or SIGINT (how `govmesh up` and Ctrl-C stop a process)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
