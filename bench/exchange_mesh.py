"""The exchange benchmarks' mesh (catalog, authz, exchange and gateway, each `govmesh serve`) and their records."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from bench.load import cpu_seconds
from bench.processes import (
    Server,
    _spawn,
    child_environment,
    free_port,
    internal_server,
    prepare_certificates,
)
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.runtime.identity import Principal

BATCH = 500
SUBSCRIBERS = ("QTS", "LTAX", "NTAX")
EXCHANGE_SERVICE = "exchange.v1.ExchangeService"
PRINCIPALS = ("AIC", "PSB", *SUBSCRIBERS)
# The departments of the benchmark may call as fast as they can: the gateway still admits every call.
LIMITS = json.dumps(
    {
        "principals": {
            f"department/{code}": {
                "requests_per_second": 1_000_000,
                "burst": 1_000_000,
                "response_bytes_per_second": 1 << 40,
                "response_bytes_burst": 1 << 40,
            }
            for code in PRINCIPALS
        }
    }
)


# -- the servers -------------------------------------------------------------------------------


@dataclass
class ExchangeMesh:
    """`govmesh serve` catalog, authz, exchange and gateway, each its own process, on one database."""

    catalog: Server
    authz: Server
    exchange: Server
    gateway: Server
    credentials: dict[str, grpc.ChannelCredentials] = field(default_factory=dict)

    def channel(self, department: str) -> grpc.aio.Channel:
        return grpc.aio.secure_channel(
            self.gateway.address,
            self.credentials[department],
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
        )

    def stop(self) -> None:
        for server in (self.gateway, self.exchange, self.authz, self.catalog):
            server.stop()


async def start_exchange_mesh(data_dir: Path, database_url: str) -> ExchangeMesh:
    authority = prepare_certificates(data_dir)
    for code in PRINCIPALS:
        authority.issue_client(Principal("department", code))
    ports = {name: free_port() for name in ("catalog", "authz", "exchange", "gateway")}
    env = child_environment(
        {
            "GOVMESH_DATA_DIR": str(data_dir),
            "GOVMESH_DATABASE_URL": database_url,
            **{f"GOVMESH_{name.upper()}_PORT": str(port) for name, port in ports.items()},
            "GOVMESH_GATEWAY_LIMITS": LIMITS,
            "GOVMESH_SHUTDOWN_GRACE_SECONDS": "1",
            # The gateway's HTTP door is not measured here; closed, it cannot collide with another on 8443.
            "GOVMESH_HTTP_PORT": "-1",
        }
    )
    started: list[Server] = []
    services = {
        "catalog": "catalog.v1.CatalogService",
        "authz": "authz.v1.AuthzService",
        "exchange": EXCHANGE_SERVICE,
        "gateway": "",
    }
    try:
        for name, service in services.items():
            process, log_path = _spawn(name, ["-m", "govmesh.cli", "serve", name], env, data_dir / "logs")
            address = f"127.0.0.1:{ports[name]}"
            if name == "gateway":
                pair = authority.key_pair("department-AIC")
                credentials = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
                server = Server(name, process, address, log_path, credentials)
            else:
                server = internal_server(name, process, address, log_path, authority)
            started.append(server)
            await server.wait_healthy(service if name != "gateway" else EXCHANGE_SERVICE, timeout=180)
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    catalog, authz, exchange, gateway = started
    mesh = ExchangeMesh(catalog, authz, exchange, gateway)
    for code in PRINCIPALS:
        pair = authority.key_pair(f"department-{code}")
        mesh.credentials[code] = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
    return mesh


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process on this machine (the benchmark's database work)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError):
            continue
    return total


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB."""
    current = peak = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return current, peak


# -- records -----------------------------------------------------------------------------------


def enterprise(n: int, prefix: str) -> pb.Record:
    """A new-enterprise record of 102.001 as the business bureau publishes it: 10 items, two conditional."""
    division = ("440103", "440104", "440105", "440106", "440111")[n % 5]
    code = make_credit_code(division, n)
    record = pb.Record(subject="subjects/102.001", entity_key=code, division_code=division)
    record.idempotency_key = f"{prefix}-{n}"
    record.event_time.FromDatetime(dt.datetime(2009, 3, 2, tzinfo=dt.UTC) + dt.timedelta(seconds=n))
    values = record.values
    values["102.001.001"].string_value = code
    values["102.001.003"].string_value = f"广州某某贸易有限公司{n}"
    values["102.001.004"].enum_value = "有限责任公司"
    values["102.001.005"].string_value = "张三"
    values["102.001.006"].string_value = make_citizen_id(division, dt.date(1975, 5, 17), n % 1000)
    values["102.001.007"].decimal_value = f"{(n % 997) * 10}.00"
    values["102.001.011"].string_value = "广州市天河区体育西路1号"
    values["102.001.012"].string_value = division
    values["102.001.015"].date_value = "2009-03-02"
    values["102.001.021"].string_value = "13800138000"
    return record


def batches(count: int, prefix: str) -> list[pb.PublishRequest]:
    made = [enterprise(n, prefix) for n in range(count)]
    return [pb.PublishRequest(records=made[i : i + BATCH]) for i in range(0, count, BATCH)]
