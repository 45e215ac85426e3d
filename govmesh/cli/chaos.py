"""`govmesh chaos`: a seeded workload while processes die, PostgreSQL restarts and a consumer stalls; the invariants.

The business bureau publishes new enterprises (retrying a failed batch with the same idempotency
keys, as a department backend should), the quality bureau subscribes and acknowledges, the police
ask the business bureau about enterprises and it answers from its inbox; the quality bureau is
granted one more item and loses it again, over and over, and the police keep asking for what
nobody may have. Meanwhile every few seconds a fault strikes: one process of the mesh — any of
them, the gateway too — is killed and started again, PostgreSQL is restarted (with the operator's
command), or the quality bureau's backend stops reading and acknowledging for a while.
Afterwards: every accepted record was delivered at least once (and how many duplicates the
deduplication by record id removed), nothing reached the subscriber that it was not entitled to at
the policy revision the delivery was decided at, every refusal is in the audit log, the ledger
verifies, and every request reached a final state.
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
from govmesh.cli.chaos_faults import (
    GRANTED_MID_RUN,
    Faults,
    change_grants,
    missing_from_audit,
    pause_consumer,
    probe_denials,
    restart_postgres,
)
from govmesh.client import Stubs, connect
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.runtime.config import settings

console = Console(soft_wrap=True)
SERVICES = ("catalog", "authz", "exchange", "gateway")
SUBJECT = "subjects/102.001"
TIANHE = "440106"
# 102.001.006 is CONDITIONAL and .030 NOT_SHARED: the quality bureau never has a grant for them
# (for .021, CONDITIONAL too, it has one now and then: see chaos_faults.GRANTED_MID_RUN).
NOT_ENTITLED = frozenset({"102.001.006", "102.001.030"})
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


@dataclass
class Tally:
    """What the workload saw: accepted records, deliveries, requests sent, kills done."""

    accepted: set[str] = field(default_factory=set)
    deliveries: Counter[str] = field(default_factory=Counter)
    unentitled: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)  # every fault, in order: a service, postgresql, consumer
    # (record id, policy revision it was decided at) of each delivery carrying GRANTED_MID_RUN.
    conditional: list[tuple[str, int]] = field(default_factory=list)
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


async def subscribe(hub: Stubs, tally: Tally, faults: Faults, stop: asyncio.Event, subscription: str) -> None:
    """Reads and acknowledges for good, reopening the stream whenever a process on its way died."""
    while not stop.is_set():
        await faults.consumer_running.wait()
        call = hub.exchange.Subscribe(pb.SubscribeRequest(subscription=subscription))
        try:
            async for response in call:
                for delivery in response.deliveries:
                    tally.deliveries[delivery.record.record_id] += 1
                    if NOT_ENTITLED & set(delivery.record.values):
                        tally.unentitled.add(delivery.record.record_id)
                    if GRANTED_MID_RUN in delivery.record.values:
                        tally.conditional.append((delivery.record.record_id, delivery.policy_revision))
                if response.deliveries:
                    # A paused backend sits on what it received, unacknowledged, and reads nothing more.
                    await faults.consumer_running.wait()
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
        # The workload speaks gRPC only: the gateway's HTTP door stays closed rather than take a fixed
        # port another mesh on this machine may hold.
        env.update(GOVMESH_DATABASE_URL=database_url, GOVMESH_SHUTDOWN_GRACE_SECONDS="1", GOVMESH_HTTP_PORT="-1")
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


@dataclass(frozen=True)
class Plan:
    """What the run does: its seed and length, how often a fault strikes, and the faults beyond kills."""

    seed: int
    seconds: float
    every: float
    restart_postgres: str = ""  # the command that restarts PostgreSQL; empty: PostgreSQL is left alone
    pause_seconds: float = 5.0

    def faults(self) -> list[str]:
        """Every fault in an order the seed alone decides, each before any twice, so a short run hits several."""
        order = [*SERVICES, *(["postgresql"] if self.restart_postgres else []), "consumer"]
        random.Random(self.seed).shuffle(order)  # noqa: S311 - reproducible, not secret
        return order


async def strike(mesh: Mesh, plan: Plan, tally: Tally, faults: Faults, stop: asyncio.Event) -> None:
    """Every `plan.every` seconds the next fault: a process killed and restarted, PostgreSQL restarted, a pause."""
    order = plan.faults()
    pauses: list[asyncio.Task[None]] = []
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=plan.every)
        if stop.is_set():
            break
        victim = order[len(tally.kills) % len(order)]
        tally.kills.append(victim)
        if victim == "postgresql":
            await restart_postgres(plan.restart_postgres, faults)
        elif victim == "consumer":
            pauses.append(asyncio.create_task(pause_consumer(faults, plan.pause_seconds)))
        else:
            mesh.kill(victim)
            await asyncio.to_thread(mesh.start, victim)
    await asyncio.gather(*pauses)


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
    hubs: dict[str, Stubs], seed: int, tally: Tally, faults: Faults
) -> tuple[asyncio.Event, asyncio.Event, list[asyncio.Task[None]]]:
    """Starts the parties; set the first event to stop producing, the second to stop consuming.

    The tasks that produce come first in the list, those that consume (and end only when told) last.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    producing, consuming = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(publish(hubs["AIC"], rng, seed, tally, producing)),
        asyncio.create_task(ask(hubs["PSB"], rng, seed, tally, producing)),
        asyncio.create_task(change_grants(hubs, faults, producing)),
        asyncio.create_task(probe_denials(hubs["PSB"], faults, lambda: rng.uniform(0.3, 1.0), producing)),
        asyncio.create_task(subscribe(hubs["QTS"], tally, faults, consuming, f"subscriptions/chaos-{seed}")),
        asyncio.create_task(answer(hubs["AIC"], tally, consuming)),
    ]
    return producing, consuming, tasks


CONSUMERS = 2  # the last tasks of `workload`


async def run(data_dir: Path, database_url: str, plan: Plan) -> dict[str, object]:
    """Starts the mesh, runs the workload under faults for `plan.seconds`, and checks the invariants."""
    tally, faults = Tally(), Faults()
    async with running_mesh(data_dir, database_url, plan.seed) as (mesh, hubs):
        producing, consuming, tasks = workload(hubs, plan.seed, tally, faults)
        striker = asyncio.create_task(strike(mesh, plan, tally, faults, producing))
        await asyncio.sleep(plan.seconds)
        producing.set()
        await asyncio.gather(striker, *tasks[:-CONSUMERS], return_exceptions=True)

        async def all_delivered() -> bool:
            return tally.accepted <= set(tally.deliveries)

        async def all_audited() -> bool:
            return not await missing_from_audit(hubs["audit"], faults.denied_traces)

        await _until(all_delivered, 90)
        await _until(lambda: _none_left(hubs["PSB"], tally.requests), 60)
        incomplete = await _incomplete(hubs["PSB"], tally.requests)
        consuming.set()
        for task in tasks[-CONSUMERS:]:
            task.cancel()
        # Enforcement points write their denials to the audit log in the background: allow them a moment.
        await _until(all_audited, 30)
        unaudited = await missing_from_audit(hubs["audit"], faults.denied_traces)
        verified = await hubs["audit"].exchange.VerifyLedger(pb.VerifyLedgerRequest(), timeout=120)
    return _report(plan, tally, faults, Outcome(incomplete, unaudited, verified))


async def _none_left(psb: Stubs, names: list[str]) -> bool:
    return not await _incomplete(psb, names)


@dataclass(frozen=True)
class Outcome:
    """What the checks after the run found."""

    incomplete: list[str]
    unaudited: list[str]
    verified: pb.VerifyLedgerResponse


def _report(plan: Plan, tally: Tally, faults: Faults, outcome: Outcome) -> dict[str, object]:
    missing = sorted(tally.accepted - set(tally.deliveries))
    out_of_grant = sorted({record for record, revision in tally.conditional if not faults.granted_at(revision)})
    report: dict[str, object] = {
        "seed": plan.seed,
        "seconds": plan.seconds,
        "faults": tally.kills,
        "accepted_records": len(tally.accepted),
        "delivered_records": len(tally.deliveries),
        "duplicate_deliveries": sum(tally.deliveries.values()) - len(tally.deliveries),
        "undelivered_records": missing[:20],
        "unentitled_deliveries": sorted(tally.unentitled | set(out_of_grant))[:20],
        "grant_cycles": [list(span) for span in faults.grant_spans],
        "deliveries_under_mid_run_grant": len(tally.conditional) - len(out_of_grant),
        "grant_errors": faults.grant_errors[:20],
        "postgres_restart_exit_codes": faults.postgres_restarts,
        "consumer_pauses": faults.pauses,
        "denials": len(faults.denied_traces),
        "denials_missing_from_audit": outcome.unaudited[:20],
        "requests": len(tally.requests),
        "requests_without_final_state": outcome.incomplete[:20],
        "ledger_verified": outcome.verified.ok,
        "ledger_entries": outcome.verified.entries_checked,
        "retried_calls": tally.retries,
    }
    report["ok"] = (
        bool(tally.accepted)
        and not missing
        and not report["unentitled_deliveries"]
        and not faults.grant_errors
        and not any(faults.postgres_restarts)
        and bool(faults.denied_traces)
        and not outcome.unaudited
        and not outcome.incomplete
        and outcome.verified.ok
    )
    return report


def chaos(
    seconds: Annotated[float, typer.Option("--seconds", help="How long the workload runs under faults.")] = 60.0,
    kill_every: Annotated[
        float, typer.Option(help="Seconds between faults (a SIGKILL and restart, a PostgreSQL restart, a pause).")
    ] = 5.0,
    seed: Annotated[int, typer.Option(help="Seeds the workload and the order of the faults.")] = 1,
    restart_postgres: Annotated[
        str,
        typer.Option(
            help="Command that restarts PostgreSQL, run as one of the faults "
            "(e.g. 'pg_ctlcluster 15 chaos restart'); never the server others use."
        ),
    ] = "",
    pause_seconds: Annotated[
        float, typer.Option(help="How long the paused consumer neither reads nor acknowledges.")
    ] = 5.0,
    data_dir: Annotated[Path | None, typer.Option(help="Certificates, logs (default: a new directory).")] = None,
    database_url: Annotated[str, typer.Option(help="Default: SQLite in the data directory.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run a seeded workload under kills, PostgreSQL restarts and a paused consumer; exit 1 on a broken invariant."""
    import tempfile

    directory = data_dir or Path(tempfile.mkdtemp(prefix="govmesh-chaos-"))
    url = database_url or f"sqlite:///{(directory / 'govmesh.db').resolve()}"
    plan = Plan(seed, seconds, kill_every, restart_postgres, pause_seconds)
    report = asyncio.run(run(directory, url, plan))
    if as_json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            console.print(f"{key}: {value}")
    if not report["ok"]:
        raise typer.Exit(1)
