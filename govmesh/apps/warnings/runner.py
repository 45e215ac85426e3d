"""The warnings application on the mesh: reads its subscriptions, evaluates on a schedule, publishes
warnings, answers close requests in its inbox and drains the reminders' outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

from govmesh.apps import mesh
from govmesh.apps.notifier.outbox import Dispatcher
from govmesh.apps.warnings.domain.model import Outcome, State, Warning, day_of, warning_values
from govmesh.apps.warnings.usecases import HUB_ZONE, Evaluation, IncomingRecord, WarningsApp
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

log = logging.getLogger("govmesh.warnings")

# Items of the warnings subjects typed `enum` in the catalog: sent as enum text.
ENUM_ITEMS = frozenset(
    {"206.001.010", "206.001.016", "206.002.006", "206.002.007", "206.002.008", "206.002.009", "206.002.013"}
    | {"206.003.005", "206.003.012"}
)


# Warnings one close request may name: a step's follow-up of a bureau, within a reply's size.
MAX_CLOSED_AT_ONCE = 1_000


def incoming(delivery: pb.Delivery) -> IncomingRecord:
    record = delivery.record
    return IncomingRecord(
        subject=record.subject.removeprefix("subjects/"),
        record_id=record.record_id,
        entity_key=record.entity_key,
        division_code=record.division_code,
        event_time=record.event_time.ToDatetime(tzinfo=dt.UTC),
        publisher=record.publisher,
        values=mesh.values_of(record),
    )


def _moment(day: int) -> dt.datetime:
    return dt.datetime.combine(day_of(day), dt.time(9, 0), HUB_ZONE)


class WarningsRunner:
    """Connects a WarningsApp to the exchange through the gateway, as the department that runs it."""

    def __init__(self, app: WarningsApp, stub: mesh.Stub, dispatcher: Dispatcher | None, *, evaluate_seconds: float):
        self.app = app
        self.stub = stub
        self.dispatcher = dispatcher
        self.evaluate_seconds = evaluate_seconds
        self.tasks: list[asyncio.Task[None]] = []
        self.published: dict[str, int] = {}  # warning records published, by subject
        self._publishing = asyncio.Lock()

    def warning_records(self, warnings: Sequence[Warning], idempotency_keys: Sequence[str] = ()) -> list[pb.Record]:
        """The warnings as records of their subjects (206.001 with the reminder mobile, which stays with INFO)."""
        reminding = [w.entity_key for w in warnings if self.app.rules.rule(w.rule).subject == "206.001"]
        phones = self.app.phones_of(reminding) if reminding else {}
        keys = list(idempotency_keys) or [""] * len(warnings)
        return [self.warning_record(w, phones.get(w.entity_key, ""), k) for w, k in zip(warnings, keys, strict=True)]

    def warning_record(self, warning: Warning, phone: str = "", idempotency_key: str = "") -> pb.Record:
        rule = self.app.rules.rule(warning.rule)
        phone = phone if rule.subject == "206.001" else ""
        values = warning_values(rule.subject, warning, "、".join(rule.notify), phone)
        day = (
            warning.closed_day
            if warning.state is State.CLOSED and warning.closed_day is not None
            else warning.raised_day
        )
        key = idempotency_key or f"{warning.number}-{warning.state.value}"
        return mesh.record(
            rule.subject, warning.entity_key, warning.division_code, _moment(day), values, key, ENUM_ITEMS
        )

    async def publish_pending(self) -> int:
        """Publishes every warning whose state is not published yet (new, closed, or left over from a failure).

        One publication at a time, each reading what is still unpublished once it may start: two at once
        would pick up the same warnings and publish them twice under one idempotency key.
        """
        async with self._publishing:
            published = 0
            while warnings := await asyncio.to_thread(self.app.unpublished):
                built = await asyncio.to_thread(self.warning_records, warnings)
                response = await mesh.publish(self.stub, built)
                await asyncio.to_thread(self.app.mark_published, warnings)
                for warning, result in zip(warnings, response.results, strict=True):
                    if result.status == pb.RECORD_STATUS_ACCEPTED:  # not a duplicate of an earlier attempt
                        subject = self.app.rules.rule(warning.rule).subject
                        self.published[subject] = self.published.get(subject, 0) + 1
                published += len(warnings)
            return published

    async def on_deliveries(self, deliveries: Sequence[pb.Delivery]) -> None:
        """Stores the facts, then evaluates the rules for the entities they are about, as they arrive."""
        records = [incoming(d) for d in deliveries]
        keys = await asyncio.to_thread(self.app.ingest, records)
        kinds = self.app.rules.kinds_of({r.subject for r in records})
        await asyncio.to_thread(self.app.evaluate, keys, kinds)
        await self.publish_pending()

    async def evaluate_all(self) -> Evaluation:
        evaluation: Evaluation = await asyncio.to_thread(self.app.evaluate)
        await self.publish_pending()
        return evaluation

    async def on_request(self, request: pb.IncomingRequest) -> pb.ReplyRequest:
        """`action=close` closes a warning (`warning`), or several in one go (`warnings`, comma-separated),
        with an `outcome` and a `note`; otherwise the requester's warnings about the entities asked. Either
        way the reply carries the warnings as records (those closed now), filtered by the hub."""
        parameters = dict(request.parameters)
        if parameters.get("action") == "close":
            try:
                outcome = Outcome(parameters.get("outcome", ""))
            except ValueError:
                choices = ", ".join(o.value for o in Outcome)
                return pb.ReplyRequest(failed=True, message=f"outcome must be one of {choices}")
            several = [n.strip() for n in parameters.get("warnings", "").split(",") if n.strip()]
            if len(several) > MAX_CLOSED_AT_ONCE:
                return pb.ReplyRequest(failed=True, message=f"at most {MAX_CLOSED_AT_ONCE} warnings at once")
            requester = f"department/{request.requester}"
            note = parameters.get("note", "")
            if several:  # a warning already closed meanwhile is left out rather than failing the others
                found = await asyncio.to_thread(self.app.close_many, several, outcome, note, requester)
            else:
                found = [
                    await asyncio.to_thread(self.app.close, parameters.get("warning", ""), outcome, note, requester)
                ]
            await self.publish_pending()
        else:
            found = await asyncio.to_thread(self.app.for_department, request.requester, list(request.entity_keys))
        asked = {s.removeprefix("subjects/") for s in request.subjects}
        chosen = [w for w in found if self.app.rules.rule(w.rule).subject in asked]
        keys = [f"{request.request}-{w.number}" for w in chosen]
        records = await asyncio.to_thread(self.warning_records, chosen, keys)
        held = {r.entity_key for r in records}
        return pb.ReplyRequest(records=records, not_found_entity_keys=[k for k in request.entity_keys if k not in held])

    async def _schedule(self) -> None:
        while True:
            try:
                await self.evaluate_all()
            except Exception:
                log.exception("scheduled evaluation failed; trying again at the next tick")
            await asyncio.sleep(self.evaluate_seconds)

    async def subscribe_all(self) -> None:
        for subject in self.app.rules.subjects():
            await mesh.ensure_subscription(
                self.stub, f"warnings-{subject.replace('.', '-')}", subject, "early warnings (信息预警)"
            )

    def start(self) -> None:
        async def main() -> None:
            while True:  # the gateway may come up after the application, or be restarting
                try:
                    await self.subscribe_all()
                    break
                except Exception as error:
                    log.warning("cannot subscribe yet (%s); retrying", error)
                    await asyncio.sleep(2.0)
            for subject in self.app.rules.subjects():
                sid = f"warnings-{subject.replace('.', '-')}"
                self.tasks.append(asyncio.create_task(mesh.consume(self.stub, sid, self.on_deliveries)))
            self.tasks.append(asyncio.create_task(mesh.serve_inbox(self.stub, self.on_request)))
            self.tasks.append(asyncio.create_task(self._schedule()))
            if self.dispatcher is not None:
                self.tasks.append(asyncio.create_task(self.dispatcher.run()))

        self.tasks.append(asyncio.create_task(main()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
