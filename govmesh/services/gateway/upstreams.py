"""The services behind the gateway: each a list of replicas, one balanced channel, and a health probe per replica."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.runtime.mtls import ServiceTLS

LOAD_BALANCING_POLICY = "round_robin"
_PROBE_TIMEOUT_SECONDS = 1.0

# Health as the gateway's probes last saw it, one of these words.
HEALTH_UNSPECIFIED = "unspecified"
HEALTH_SERVING = "serving"
HEALTH_NOT_SERVING = "not_serving"
HEALTH_SERVICE_UNKNOWN = "service_unknown"
HEALTH_UNREACHABLE = "unreachable"

_HEALTH_OF_STATUS = {
    health_pb2.HealthCheckResponse.SERVING: HEALTH_SERVING,
    health_pb2.HealthCheckResponse.NOT_SERVING: HEALTH_NOT_SERVING,
    health_pb2.HealthCheckResponse.SERVICE_UNKNOWN: HEALTH_SERVICE_UNKNOWN,
}


def upstream_channel(
    tls: ServiceTLS, service: str, addresses: Sequence[str], max_message_bytes: int
) -> grpc.aio.Channel:
    """One channel over every replica: gRPC's round_robin across the ones its health checks find SERVING.

    Client-side health checking (`healthCheckConfig`) watches grpc.health.v1 on each replica, so a
    replica that drains (NOT_SERVING) or dies stops getting new calls without the gateway's help.
    Every replica is reached over mutual TLS as `service/gateway`, and must prove it is `service`.
    """
    service_config = {
        "loadBalancingConfig": [{LOAD_BALANCING_POLICY: {}}],
        "healthCheckConfig": {"serviceName": ""},
    }
    return tls.channel(
        addresses,
        service,
        [
            ("grpc.service_config", json.dumps(service_config)),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.enable_retries", 1),
        ],
    )


@dataclass
class Endpoint:
    """One replica as the gateway's own probe sees it (its probe channel is not the balanced one)."""

    address: str
    probe: grpc.aio.Channel
    health: str = HEALTH_UNSPECIFIED
    check_time: dt.datetime | None = None
    change_time: dt.datetime | None = None
    last_error: str = ""

    @property
    def state(self) -> str:
        """The probe channel's connectivity state, e.g. `ready` or `transient_failure`."""
        return str(self.probe.get_state(try_to_connect=False).name).lower()

    def saw(self, health: str, error: str, now: dt.datetime) -> None:
        if health != self.health:
            self.change_time = now
        self.health = health
        self.check_time = now
        if error:
            self.last_error = error


@dataclass
class Upstream:
    """An upstream service: its replicas, the balanced channel calls go over, and counts of those calls.

    gRPC's balancer does not say which replica served a call, so the call counts are per service.
    """

    service: str
    endpoints: list[Endpoint]
    channel: grpc.aio.Channel
    load_balancing_policy: str = LOAD_BALANCING_POLICY
    active_calls: int = 0
    forwarded_calls: int = 0
    failed_calls: int = 0

    @property
    def healthy_endpoints(self) -> int:
        return sum(1 for e in self.endpoints if e.health == HEALTH_SERVING and e.state == "ready")

    @property
    def serving(self) -> bool:
        return any(e.health == HEALTH_SERVING for e in self.endpoints)


async def _probe(endpoint: Endpoint, service: str) -> None:
    stub = health_pb2_grpc.HealthStub(endpoint.probe)
    now = dt.datetime.now(dt.UTC)
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=_PROBE_TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            endpoint.saw(HEALTH_SERVICE_UNKNOWN, "", now)
        else:
            endpoint.saw(HEALTH_UNREACHABLE, f"{error.code().name}: {error.details() or ''}", now)
        return
    endpoint.saw(_HEALTH_OF_STATUS.get(reply.status, HEALTH_UNSPECIFIED), "", now)


class Upstreams:
    """Every upstream service by its full name, and the probes that keep their replicas' health current."""

    def __init__(self, tls: ServiceTLS) -> None:
        self.by_service: dict[str, Upstream] = {}
        self._tls = tls

    def add(self, service: str, code: str, addresses: Sequence[str], max_message_bytes: int) -> Upstream:
        """Adds service `service` (its full name), whose replicas hold the certificate of `service/<code>`."""
        upstream = Upstream(
            service,
            [Endpoint(address, self._tls.channel([address], code)) for address in addresses],
            upstream_channel(self._tls, code, addresses, max_message_bytes),
        )
        self.by_service[service] = upstream
        return upstream

    async def probe(self) -> None:
        """Checks every replica once, all at the same time."""
        await asyncio.gather(*(_probe(e, u.service) for u in self.by_service.values() for e in u.endpoints))

    async def follow(self, interval: float, on_probed: Callable[[Upstream], Awaitable[None]]) -> None:
        """Probes every `interval` seconds until cancelled, handing each upstream to `on_probed` after each round."""
        while True:
            await self.probe()
            for upstream in self.by_service.values():
                await on_probed(upstream)
            await asyncio.sleep(interval)

    async def close(self) -> None:
        for upstream in self.by_service.values():
            await upstream.channel.close()
            for endpoint in upstream.endpoints:
                await endpoint.probe.close()
