"""`govmesh chaos`: a seeded mixed workload while service processes die by SIGKILL and restart; then the invariants.

The business bureau publishes new enterprises (retrying a failed batch with the same idempotency
keys, as a department backend should), the quality bureau subscribes and acknowledges, the police
ask the business bureau about enterprises and it answers from its inbox. Meanwhile every few
seconds one process of the mesh — any of them, the gateway too — is killed and started again.
Afterwards: every accepted record was delivered at least once (and how many duplicates the
deduplication by record id removed), nothing the subscriber is not entitled to reached it, the
ledger verifies, and every request reached a final state.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import grpc
import typer
from google.protobuf.duration_pb2 import Duration
from rich.console import Console

from govmesh.cli import supervisor
from govmesh.client import Stubs, connect
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.runtime.config import settings

console = Console(soft_wrap=True)
SERVICES = ("catalog", "authz", "exchange", "gateway")
SUBJECT = "subjects/102.001"
TIANHE = "440106"
# 102.001.006 and .021 are CONDITIONAL and .030 NOT_SHARED: the quality bureau has no grant for them.
NOT_ENTITLED = frozenset({"102.001.006", "102.001.021", "102.001.030"})
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


@dataclass
class Tally:
    """What the workload saw: accepted records, deliveries, requests sent, kills done."""

    accepted: set[str] = field(default_factory=set)
    deliveries: Counter[str] = field(default_factory=Counter)
    unentitled: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)
    retries: int = 0
    # (monotonic time, milliseconds) of every publish call that succeeded, retries included.
    publish_latencies: list[tuple[float, float]] = field(default_factory=list)


def enterprise(seed: int, n: int) -> pb.Record:
    """A valid new-enterprise record of 102.001 carrying items of every sharing type."""
    code = make_credit_code(TIANHE, seed * 100_000 + n)
    record = pb.Record(subject=SUBJECT, entity_key=code, division_code=TIANHE, idempotency_key=f"chaos-{seed}-{n}")
    record.event_time.FromDatetime(dt.datetime(2009, 3, 2, 9, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=n))
    values = record.values
    values["102.001.001"].string_value = code
    values["102.001.003"].string_value = f"广州某某贸易有限公司{n}"
    values["102.001.012"].string_value = TIANHE
    values["102.001.015"].date_value = "2009-03-02"
    values["102.001.006"].string_value = make_citizen_id(TIANHE, dt.date(1975, 5, 17), n % 1000)
    values["102.001.021"].string_value = "13800138000"
    values["102.001.030"].bytes_value = b"balance sheet"
    return record


async def _retrying(tally: Tally, stop: asyncio.Event, call: object) -> object:
    """Calls until it succeeds or the run ends; a dying process makes calls fail, which is the point."""
    while True:
        try:
            return await call()  # type: ignore[operator]
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRYABLE or stop.is_set():
                raise
            tally.retries += 1
            await asyncio.sleep(0.3)


async def publish(hub: Stubs, rng: random.Random, seed: int, tally: Tally, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        batch = [enterprise(seed, n + i) for i in range(rng.randint(1, 20))]
        n += len(batch)
        started = time.monotonic()
        reply = await _retrying(tally, stop, lambda b=batch: hub.exchange.Publish(pb.PublishRequest(records=b)))
        tally.publish_latencies.append((time.monotonic(), (time.monotonic() - started) * 1000))
        for result in reply.results:  # type: ignore[attr-defined]
            if result.status in (pb.RECORD_STATUS_ACCEPTED, pb.RECORD_STATUS_DUPLICATE):
                tally.accepted.add(result.record_id)
        await asyncio.sleep(rng.uniform(0.05, 0.3))


async def subscribe(hub: Stubs, tally: Tally, stop: asyncio.Event, subscription: str) -> None:
    """Reads and acknowledges for good, reopening the stream whenever a process on its way died."""
    while not stop.is_set():
        call = hub.exchange.Subscribe(pb.SubscribeRequest(subscription=subscription))
        try:
            async for response in call:
                for delivery in response.deliveries:
                    tally.deliveries[delivery.record.record_id] += 1
                    if NOT_ENTITLED & set(delivery.record.values):
                        tally.unentitled.add(delivery.record.record_id)
                if response.deliveries:
                    ids = [d.delivery_id for d in response.deliveries]
                    await hub.exchange.AcknowledgeDeliveries(
                        pb.AcknowledgeDeliveriesRequest(subscription=subscription, delivery_ids=ids)
                    )
        except grpc.aio.AioRpcError:
            tally.retries += 1
        finally:
            call.cancel()
        await asyncio.sleep(0.3)


async def ask(hub: Stubs, rng: random.Random, seed: int, tally: Tally, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        keys = [make_credit_code(TIANHE, seed * 100_000 + rng.randint(0, max(n, 1))) for _ in range(2)]
        request = pb.SendRequestRequest(
            subjects=[SUBJECT],
            entity_keys=keys,
            question="is this enterprise registered?",
            purpose=f"chaos {seed}-{n}",
            target_departments=["AIC"],
            wait_mode=pb.WAIT_MODE_ASYNC,
            max_wait=Duration(seconds=10),
        )
        with contextlib.suppress(grpc.aio.AioRpcError):
            reply = await _retrying(tally, stop, lambda r=request: hub.exchange.SendRequest(r))
            tally.requests.append(reply.request.name)  # type: ignore[attr-defined]
        n += 1
        await asyncio.sleep(rng.uniform(0.2, 0.8))


async def answer(hub: Stubs, tally: Tally, stop: asyncio.Event) -> None:
    """The business bureau's backend: every request in its inbox answered, final, holding nothing."""
    while not stop.is_set():
        call = hub.exchange.StreamInbox(pb.StreamInboxRequest())
        try:
            async for response in call:
                for incoming in response.requests:
                    reply = pb.ReplyRequest(
                        request=incoming.request,
                        not_found_entity_keys=list(incoming.entity_keys),
                        idempotency_key="final",
                    )
                    with contextlib.suppress(grpc.aio.AioRpcError):
                        await hub.exchange.Reply(reply)
        except grpc.aio.AioRpcError:
            tally.retries += 1
        finally:
            call.cancel()
        await asyncio.sleep(0.3)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mesh:
    """The four processes on free loopback ports, each killable and restartable."""

    def __init__(self, data_dir: Path, database_url: str):
        ports = {service: _free_port() for service in SERVICES}
        self.addresses = {s: f"127.0.0.1:{p}" for s, p in ports.items()}
        config = settings().model_copy(update={"data_dir": data_dir, "database_url": database_url})
        self.certs_dir = data_dir / "certs"
        env = supervisor.child_environment(config, data_dir / "spans.jsonl")
        env.update({f"GOVMESH_{s.upper()}_PORT": str(p) for s, p in ports.items()})
        env.update(GOVMESH_DATABASE_URL=database_url, GOVMESH_SHUTDOWN_GRACE_SECONDS="1")
        for name in ("GOVMESH_METRICS_PORT", "GOVMESH_HEALTH_PORT", "GOVMESH_CATALOG_TARGETS"):
            env.pop(name, None)
        self.runner = supervisor.Supervisor(config, env)

    def start(self, service: str) -> None:
        self.runner.start(service, self.addresses[service])
        # Every port is mutual TLS; an internal one must also present that service's own certificate.
        internal = None if service == "gateway" else service
        if not supervisor.wait_healthy(
            self.addresses[service], timeout=120, credentials_dir=self.certs_dir, service=internal
        ):
            raise RuntimeError(f"{service} did not become healthy; see its log under {self.runner.settings.data_dir}")

    def kill(self, service: str) -> None:
        process = self.runner.processes[service]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        self.runner.stop_all(2)


async def kill_and_restart(mesh: Mesh, seed: int, every: float, tally: Tally, stop: asyncio.Event) -> None:
    # Victims in an order the seed alone decides, each before any twice, so a short run hits several.
    order = list(SERVICES)
    random.Random(seed).shuffle(order)  # noqa: S311 - reproducible, not secret
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if stop.is_set():
            return
        victim = order[len(tally.kills) % len(order)]
        mesh.kill(victim)
        tally.kills.append(victim)
        await asyncio.to_thread(mesh.start, victim)


async def _until(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.5)
    return bool(await check())  # type: ignore[operator]


async def _incomplete(psb: Stubs, names: list[str]) -> list[str]:
    left = []
    for name in names:
        try:
            reply = await psb.exchange.GetRequest(pb.GetRequestRequest(name=name), timeout=10)
            if not reply.request.complete:
                left.append(name)
        except grpc.aio.AioRpcError:
            left.append(name)
    return left


@contextlib.asynccontextmanager
async def running_mesh(data_dir: Path, database_url: str, seed: int) -> AsyncIterator[tuple[Mesh, dict[str, Stubs]]]:
    """The mesh started, a channel to the gateway per party, and the quality bureau's subscription."""
    from govmesh.kernel.catalog.files import read_departments
    from govmesh.services.catalog.shipped import SEED_DIR

    departments, _ = read_departments(SEED_DIR / "departments.yaml")
    config = settings().model_copy(update={"data_dir": data_dir})
    supervisor.ensure_development_certificates(config, [d.code for d in departments])
    mesh = Mesh(data_dir, database_url)
    channels: dict[str, grpc.aio.Channel] = {}
    try:
        for service in SERVICES:
            await asyncio.to_thread(mesh.start, service)
        for who in ("department/AIC", "department/QTS", "department/PSB", "auditor/audit"):
            channels[who] = connect(mesh.addresses["gateway"], identity=who, certs_dir=mesh.certs_dir)
        hubs = {who.split("/")[1]: Stubs(channel) for who, channel in channels.items()}
        draft = pb.Subscription(subject=SUBJECT)
        with contextlib.suppress(grpc.aio.AioRpcError):  # already there when a run reuses its directory
            await hubs["QTS"].exchange.CreateSubscription(
                pb.CreateSubscriptionRequest(subscription=draft, subscription_id=f"chaos-{seed}")
            )
        yield mesh, hubs
    finally:
        for channel in channels.values():
            await channel.close()
        await asyncio.to_thread(mesh.stop)


def workload(
    hubs: dict[str, Stubs], seed: int, tally: Tally
) -> tuple[asyncio.Event, asyncio.Event, list[asyncio.Task[None]]]:
    """Starts the four parties; set the first event to stop producing, the second to stop consuming."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    producing, consuming = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(publish(hubs["AIC"], rng, seed, tally, producing)),
        asyncio.create_task(ask(hubs["PSB"], rng, seed, tally, producing)),
        asyncio.create_task(subscribe(hubs["QTS"], tally, consuming, f"subscriptions/chaos-{seed}")),
        asyncio.create_task(answer(hubs["AIC"], tally, consuming)),
    ]
    return producing, consuming, tasks


async def run(data_dir: Path, database_url: str, seed: int, duration: float, every: float) -> dict[str, object]:
    """Starts the mesh, runs the workload under kills for `duration` seconds, and checks the invariants."""
    tally = Tally()
    async with running_mesh(data_dir, database_url, seed) as (mesh, hubs):
        producing, consuming, tasks = workload(hubs, seed, tally)
        killer = asyncio.create_task(kill_and_restart(mesh, seed, every, tally, producing))
        await asyncio.sleep(duration)
        producing.set()
        await asyncio.gather(killer, *tasks[:2], return_exceptions=True)

        async def all_delivered() -> bool:
            return tally.accepted <= set(tally.deliveries)

        await _until(all_delivered, 90)
        await _until(lambda: _none_left(hubs["PSB"], tally.requests), 60)
        incomplete = await _incomplete(hubs["PSB"], tally.requests)
        consuming.set()
        for task in tasks[2:]:
            task.cancel()
        verified = await hubs["audit"].exchange.VerifyLedger(pb.VerifyLedgerRequest(), timeout=120)
    return _report(seed, duration, tally, incomplete, verified)


async def _none_left(psb: Stubs, names: list[str]) -> bool:
    return not await _incomplete(psb, names)


def _report(
    seed: int, duration: float, tally: Tally, incomplete: list[str], verified: pb.VerifyLedgerResponse
) -> dict[str, object]:
    missing = sorted(tally.accepted - set(tally.deliveries))
    report: dict[str, object] = {
        "seed": seed,
        "seconds": duration,
        "kills": tally.kills,
        "accepted_records": len(tally.accepted),
        "delivered_records": len(tally.deliveries),
        "duplicate_deliveries": sum(tally.deliveries.values()) - len(tally.deliveries),
        "undelivered_records": missing[:20],
        "unentitled_deliveries": sorted(tally.unentitled)[:20],
        "requests": len(tally.requests),
        "requests_without_final_state": incomplete[:20],
        "ledger_verified": verified.ok,
        "ledger_entries": verified.entries_checked,
        "retried_calls": tally.retries,
    }
    report["ok"] = not missing and not tally.unentitled and not incomplete and verified.ok and bool(tally.accepted)
    return report


def chaos(
    seconds: Annotated[float, typer.Option("--seconds", help="How long the workload runs under kills.")] = 60.0,
    kill_every: Annotated[float, typer.Option(help="Seconds between kills (SIGKILL, then a restart).")] = 5.0,
    seed: Annotated[int, typer.Option(help="Seeds the workload and the choice of victims.")] = 1,
    data_dir: Annotated[Path | None, typer.Option(help="Certificates, logs (default: a new directory).")] = None,
    database_url: Annotated[str, typer.Option(help="Default: SQLite in the data directory.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run a seeded workload while killing and restarting service processes; exit 1 if an invariant breaks."""
    import tempfile

    directory = data_dir or Path(tempfile.mkdtemp(prefix="govmesh-chaos-"))
    url = database_url or f"sqlite:///{(directory / 'govmesh.db').resolve()}"
    report = asyncio.run(run(directory, url, seed, seconds, kill_every))
    if as_json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            console.print(f"{key}: {value}")
    if not report["ok"]:
        raise typer.Exit(1)
