"""The simulated year: each department publishes its day through the gateway as itself, the applications
work as they would, and at the end the system's own figures are read back beside the simulator's truth."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import func, select

from govmesh.apps import mesh
from govmesh.apps.district.usecases import ensure_feed, subscription_id
from govmesh.apps.notifier.outbox import Dispatcher
from govmesh.apps.notifier.providers import FileProvider
from govmesh.apps.setup import ensure_all
from govmesh.apps.taxtotal.usecases import tax_totals
from govmesh.apps.verification import domain as verification
from govmesh.apps.verification.usecases import shipped_claims, verify
from govmesh.apps.warnings.domain.model import day_number
from govmesh.apps.warnings.domain.rules import load_rules
from govmesh.apps.warnings.main import SHIPPED_RULES, WarningsSettings, open_database
from govmesh.apps.warnings.persistence.tables import facts, outbox, reminders, warnings
from govmesh.apps.warnings.runner import MAX_CLOSED_AT_ONCE, WarningsRunner
from govmesh.apps.warnings.usecases import WarningsApp
from govmesh.cli.demo import records
from govmesh.cli.demo.hub import Hub
from govmesh.cli.demo.world import DAYS, THE_DISTRICT, YEAR_START, World
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

Progress = Callable[[int, str], None]
VERIFICATION_DAYS = (90, 181, 273, 365)  # the housing bureau verifies a quarter's applications at a time
TAX_TOTAL_DAYS = (60, 150, 240, 330)


class Clock:
    def __init__(self) -> None:
        self.day = day_number(YEAR_START)

    def __call__(self) -> int:
        return self.day


@dataclass
class Observed:
    """What the departments' backends saw: deliveries counted, warnings received, district rows."""

    green_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    warnings_by_entity: dict[str, str] = field(default_factory=dict)  # 206.001 at local tax: entity → number
    warning_records: set[str] = field(default_factory=set)  # every 206.001 record local tax received
    district_keys: set[str] = field(default_factory=set)
    district_foreign_rows: int = 0
    verification: list[verification.Outcome] = field(default_factory=list)
    tax_lines: list[Any] = field(default_factory=list)


class Simulation:
    def __init__(self, hub: Hub, world: World, data_dir: Path, progress: Progress | None = None, *, step_days: int = 7):
        self.step_days = step_days
        self.hub = hub
        self.world = world
        self.progress = progress or (lambda _day, _what: None)
        self.clock = Clock()
        self.engine = open_database(hub.settings)  # its own SQLite file beside the hub's
        self.rules = load_rules(SHIPPED_RULES)
        self.app = WarningsApp(self.engine, self.rules, self.clock)
        self.sms = FileProvider(data_dir / "sms.jsonl")
        self.dispatcher = Dispatcher(self.engine, outbox, self.sms)
        app_settings = WarningsSettings()  # the application acts as INFO, with a certificate of its own
        info = mesh.Stub(hub.channel(app_settings.identity, app_settings.certificate))
        self.runner = WarningsRunner(self.app, info, None, evaluate_seconds=10**9)
        self.observed = Observed()
        self.tasks: list[asyncio.Task[Any]] = []
        self.published_followed = 0
        self.published: dict[str, int] = defaultdict(int)
        self.timings: dict[str, float] = {}

    def exchange(self, department: str) -> mesh.Stub:
        return self.hub.stubs(f"department/{department}").exchange

    # -- the departments' standing backends ---------------------------------------------------

    async def _counting(self, department: str, subscription: str, subject: str) -> None:
        await mesh.ensure_subscription(self.exchange(department), subscription, subject, "demo backend")

        async def count(deliveries: Any) -> None:
            self.observed.green_channel[department] += len(deliveries)

        self.tasks.append(asyncio.create_task(mesh.consume(self.exchange(department), subscription, count)))

    async def _warnings_inbox(self) -> None:
        """Local tax keeps the warnings it receives, to follow them up."""
        await mesh.ensure_subscription(self.exchange("LTAX"), "ltax-warnings", "206.001", "warnings to follow up")

        async def keep(deliveries: Any) -> None:
            for delivery in deliveries:
                number = delivery.record.values["206.001.001"].string_value
                self.observed.warning_records.add(delivery.record.idempotency_key or delivery.record.record_id)
                if delivery.record.values["206.001.016"].enum_value == "待处理":
                    self.observed.warnings_by_entity[delivery.record.entity_key] = number
                else:
                    self.observed.warnings_by_entity.pop(delivery.record.entity_key, None)

        self.tasks.append(asyncio.create_task(mesh.consume(self.exchange("LTAX"), "ltax-warnings", keep)))

    async def _district(self) -> None:
        tianhe = self.exchange("TIANHE")
        await ensure_feed(tianhe, THE_DISTRICT, ["102.001"])

        async def keep(deliveries: Any) -> None:
            for delivery in deliveries:
                if delivery.record.division_code == THE_DISTRICT:
                    self.observed.district_keys.add(delivery.record.entity_key)
                else:
                    self.observed.district_foreign_rows += 1

        self.tasks.append(asyncio.create_task(mesh.consume(tianhe, subscription_id("102.001"), keep)))

    def _responders(self) -> None:
        held = records.holdings_of(self.world.applicants, self.world.enterprises)

        async def answer(request: pb.IncomingRequest) -> pb.ReplyRequest:
            found, nothing = [], []
            for entity in request.entity_keys:
                mine = []
                for subject in request.subjects:
                    code = subject.removeprefix("subjects/")
                    for n, values in enumerate(held.get((code, entity), [])):
                        key = f"{request.request}-{code}-{entity}-{n}"
                        mine.append(
                            mesh.record(
                                code,
                                entity,
                                entity[2:8] if code.startswith("301") else entity[:6],
                                records.moment(0),
                                values,
                                key,
                                records.ENUMS,
                            )
                        )
                found += mine
                if not mine:
                    nothing.append(entity)
            return pb.ReplyRequest(records=found, not_found_entity_keys=nothing)

        for department in ("PSB", "CAB", "LAND", "LTAX", "NTAX"):
            self.tasks.append(asyncio.create_task(mesh.serve_inbox(self.exchange(department), answer)))

    # -- the year ----------------------------------------------------------------------------

    def _events(self) -> dict[int, dict[tuple[str, str], list[pb.Record]]]:
        """Every record of the year by day, then by (publishing department, subject)."""
        days: dict[int, dict[tuple[str, str], list[pb.Record]]] = defaultdict(lambda: defaultdict(list))

        def add(day: int | None, department: str, record: pb.Record) -> None:
            if day is not None and day < DAYS:
                days[day][(department, record.subject)].append(record)

        for e in self.world.enterprises:
            add(e.day, "AIC", records.establishment(e))
            if e.local_day is not None:
                add(e.local_day, "LTAX", records.tax_registration(e, "LTAX", e.local_day))
            if e.national_day is not None:
                add(e.national_day, "NTAX", records.tax_registration(e, "NTAX", e.national_day))
            if e.deregister_day is not None:
                add(e.deregister_day, "AIC", records.deregistration(e, e.deregister_day))
            for bureau, day in (("LTAX", e.local_dereg_day), ("NTAX", e.national_dereg_day)):
                if day is not None:
                    add(day, bureau, records.tax_deregistration(e, bureau, day))
        for p in self.world.pensioners:
            if p.death_day is not None:
                add(p.death_day, "CAB", records.death(p.key, p.name, p.death_day))
            for day in p.paid_days:
                add(day, "HRSS", records.pension(p.key, p.name, day))
        for n, (day, department, key) in enumerate(self.world.relief):
            add(day, department, records.relief(department, key, day, n))
        return days

    async def _publish(self, day_events: dict[tuple[str, str], list[pb.Record]]) -> None:
        followed = {f"subjects/{s}" for s in self.rules.subjects()}
        sends = []
        for (department, subject), batch in day_events.items():
            sends.append(mesh.publish(self.exchange(department), batch))
            self.published[subject] += len(batch)
            if subject in followed:
                self.published_followed += len(batch)
        await asyncio.gather(*sends)

    def _facts_stored(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(facts)).scalar_one())

    async def _until_ingested(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while await asyncio.to_thread(self._facts_stored) < self.published_followed:
            if time.monotonic() > deadline:
                raise TimeoutError("the warnings application did not receive every record in time")
            await asyncio.sleep(0.05)

    async def _until_warnings_received(self, timeout: float = 120.0) -> None:
        """Local tax has every 206.001 record published so far (one when raised, one when closed)."""
        deadline = time.monotonic() + timeout
        wanted = self.runner.published.get("206.001", 0)
        while len(self.observed.warning_records) < wanted and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def _follow_up(self, day: int) -> None:
        """Local tax closes the open warnings of enterprises it has followed up by then (the seed's 80% and more)."""
        due = [
            e
            for e in self.world.enterprises
            if e.closes_warning_day is not None
            and e.closes_warning_day <= day
            and e.key in self.observed.warnings_by_entity
        ]
        ltax = self.exchange("LTAX")
        # A step's follow-up goes in requests of many warnings each, as a bureau's backend would send it.
        for start in range(0, len(due), MAX_CLOSED_AT_ONCE):
            keys = [e.key for e in due[start : start + MAX_CLOSED_AT_ONCE]]
            numbers = [self.observed.warnings_by_entity[key] for key in keys]
            request = pb.SendRequestRequest(
                subjects=["subjects/206.001"],
                entity_keys=keys,
                parameters={
                    "action": "close",
                    "warnings": ",".join(numbers),
                    "outcome": "handled",
                    "note": "已上门催办",
                },
                target_departments=["INFO"],
                idempotency_key=f"close-{day}-{numbers[0]}",
            )
            response = await ltax.SendRequest(request, timeout=60)
            replies = response.request.replies
            if replies and replies[0].status == pb.REPLY_STATUS_ANSWERED:
                for key in keys:  # closed now, or by its registration a moment before: open no more
                    self.observed.warnings_by_entity.pop(key, None)

    async def _verify_quarter(self, quarter: int) -> None:
        applicants = self.world.applicants
        part = applicants[quarter * len(applicants) // 4 : (quarter + 1) * len(applicants) // 4]
        if not part:
            return
        specs = shipped_claims()
        rows = [
            verification.Applicant(
                a.key,
                {"id_number": a.key, "name": a.claimed_name, "marital_status": a.claimed_marital},
                tuple(a.members),
            )
            for a in part
        ]
        housing = self.exchange("HOUSING")
        self.observed.verification += await verify(housing, rows, specs, purpose=f"限价房 2008 第{quarter + 1}批")

    async def _tax_totals(self, day: int) -> None:
        registered = [e.key for e in self.world.enterprises if e.day <= day]
        step = max(1, len(registered) // max(1, round(200 * self.world.scale)))
        asked = registered[::step]
        if asked:
            self.observed.tax_lines += await tax_totals(self.exchange("PSB"), asked, 2008, wait=110)

    async def run(self) -> None:
        started = time.monotonic()
        await ensure_all(self.hub.stubs)
        await asyncio.sleep(1.0)  # grants and the catalog change reach the exchange's copies of the policy
        await self.runner.subscribe_all()
        for subscription in (f"warnings-{s.replace('.', '-')}" for s in self.rules.subjects()):
            self.tasks.append(
                asyncio.create_task(mesh.consume(self.runner.stub, subscription, self.runner.on_deliveries))
            )
        self.tasks.append(asyncio.create_task(mesh.serve_inbox(self.runner.stub, self.runner.on_request)))
        for department in ("QTS", "LTAX", "NTAX"):
            await self._counting(department, f"{department.lower()}-green-channel", "102.001")
        await self._warnings_inbox()
        await self._district()
        self._responders()
        events = self._events()
        self.timings["setup_seconds"] = time.monotonic() - started
        year_started = time.monotonic()
        for first in range(0, DAYS, self.step_days):
            # A step publishes its days' records, then the scheduled evaluation runs as of its last day.
            days = range(first, min(DAYS, first + self.step_days))
            step: dict[tuple[str, str], list[pb.Record]] = defaultdict(list)
            for day in days:
                for key, batch in events.get(day, {}).items():
                    step[key] += batch
            await self._publish(step)
            await self._until_ingested()
            self.clock.day = day_number(YEAR_START) + days[-1]
            await self.runner.evaluate_all()
            await self.dispatcher.drain()
            await self._until_warnings_received()
            await self._follow_up(days[-1])
            for day in days:
                if day in TAX_TOTAL_DAYS:
                    await self._tax_totals(day)
                if day in VERIFICATION_DAYS:
                    await self._verify_quarter(VERIFICATION_DAYS.index(day))
            self.progress(days[-1], f"{sum(self.published.values()):,} records published")
        await self._settle()
        self.timings["year_seconds"] = time.monotonic() - year_started

    async def _settle(self, timeout: float = 120.0) -> None:
        """Waits until the green channel's subscribers have every new enterprise (deliveries are async)."""
        deadline = time.monotonic() + timeout
        wanted = self.published["subjects/102.001"]
        while any(self.observed.green_channel[d] < wanted for d in ("QTS", "LTAX", "NTAX")):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.engine.dispose()

    # -- what the system knows ---------------------------------------------------------------

    def warned(self, rule: str) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.execute(select(warnings.c.entity_key).where(warnings.c.rule == rule)).scalars())

    def reminded(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.execute(select(reminders.c.entity_key)).scalars())

    async def ledger(self) -> tuple[dict[str, Any], Any]:
        auditor = self.hub.stubs("auditor/audit").exchange
        try:
            stats = await auditor.GetLedgerStats(
                pb.GetLedgerStatsRequest(group_by=[pb.LEDGER_STATS_DIMENSION_SUBJECT], page_size=1000)
            )
        except grpc.aio.AioRpcError:
            return {}, None
        return {row.subject: row for row in stats.rows}, stats.total
