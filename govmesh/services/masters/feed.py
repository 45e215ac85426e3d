"""How the masters service learns and tells: catalog subjects, exchange deliveries, published master records.

Design. The masters service is a subscriber like any department: it reads the catalog over the
catalog's public contract (as `service/masters`), subscribes through the exchange's public
contract to every person (101.*) and enterprise (102.*) subject whose items it may receive, links
each delivery as it arrives, acknowledges it only once linked and stored, and publishes each new
version of a master record as a record of 101.090 or 102.090.

Grants. The exchange serves departments: publishing and subscribing are acts of a department,
decided by that department's grants. The master-record subjects are provided by INFO, the city's
information center that runs the hub, so the masters service acts in the exchange for INFO
(`GOVMESH_MASTERS_DEPARTMENT`), on the loopback the internal services share, the way the gateway
forwards a verified caller. Its grants are therefore INFO's: every UNCONDITIONAL item without
asking, and CONDITIONAL items through grants that INFO applies for and the providing department
approves in authz like any other consumer's — a NOT_SHARED item never reaches it. Subjects of
which it may receive nothing are retried until a grant allows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as catalog_pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.runtime.identity import PRINCIPAL_HEADER
from govmesh.services.masters.domain.masters import calibrate, name_variants
from govmesh.services.masters.domain.records import RecordKey
from govmesh.services.masters.domain.subjects import MasterValues, SubjectFields, master_values, subject_fields
from govmesh.services.masters.usecases import Arrival, Masters

log = logging.getLogger("govmesh.masters.feed")

SELF = (PRINCIPAL_HEADER, "service/masters")
CALL_TIMEOUT = 30.0
RETRY_SECONDS = 1.0
NOT_ALLOWED_RETRY_SECONDS = 10.0
PUBLISH_BATCH = 100


async def read_subjects(channel: grpc.aio.Channel, wanted: Callable[[str], bool]) -> dict[str, SubjectFields]:
    """The person and enterprise subjects of the catalog that `wanted` selects, with how their items map to fields."""
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    found: dict[str, SubjectFields] = {}
    token = ""
    while True:
        page = await stub.ListSubjects(
            catalog_pb.ListSubjectsRequest(page_size=500, page_token=token, include_items=True),
            timeout=CALL_TIMEOUT,
            metadata=(SELF,),
        )
        for subject in page.subjects:
            mapping = subject_fields(subject.code, [(item.code, item.name_en) for item in subject.items])
            if mapping is not None and wanted(subject.code):
                found[subject.code] = mapping
        token = page.next_page_token
        if not token:
            return found


def _text(value: object) -> str:
    kind = value.WhichOneof("kind")  # type: ignore[attr-defined]
    if kind is None or kind == "bytes_value":
        return ""  # opaque content is never compared nor shown again
    found = getattr(value, kind)
    if kind == "datetime_value":
        return str(found.ToDatetime(tzinfo=dt.UTC).isoformat())
    return str(found)


def arrival_of(mapping: SubjectFields, record: pb.Record) -> Arrival:
    items = {code: _text(value) for code, value in record.values.items()}
    items = {code: text for code, text in items.items() if text}
    return Arrival(
        key=RecordKey(record.publisher, record.entity_key),
        kind=mapping.kind,
        fields=mapping.read(items),
        subject=mapping.subject,
        items=items,
        event_time=record.event_time.ToDatetime(tzinfo=dt.UTC) if record.HasField("event_time") else None,
    )


class ExchangeFeed:
    """Follows one subscription per subject into the linker, and publishes master records that changed."""

    def __init__(self, masters: Masters, channel: grpc.aio.Channel, department: str):
        self.masters = masters
        self.stub = exchange_pb2_grpc.ExchangeServiceStub(channel)
        self.department = department
        self.metadata = ((PRINCIPAL_HEADER, f"department/{department}"),)
        self.changed = asyncio.Event()

    async def follow(self, mapping: SubjectFields) -> None:
        subscription_id = "masters-" + mapping.subject.replace(".", "-")
        name = f"subscriptions/{subscription_id}"
        cursor = ""
        while True:
            try:
                await self.stub.CreateSubscription(
                    pb.CreateSubscriptionRequest(
                        subscription=pb.Subscription(
                            subject=f"subjects/{mapping.subject}", description="master records"
                        ),
                        subscription_id=subscription_id,
                    ),
                    timeout=CALL_TIMEOUT,
                    metadata=self.metadata,
                )
                cursor = await self._read(mapping, name, cursor)
            except grpc.aio.AioRpcError as error:
                if error.code() is grpc.StatusCode.FAILED_PRECONDITION:
                    log.info("%s may receive nothing of %s yet; asking again later", self.department, mapping.subject)
                    await asyncio.sleep(NOT_ALLOWED_RETRY_SECONDS)
                    continue
                log.warning("following %s broke (%s); resuming", mapping.subject, error.code().name)
            except Exception:
                # Unacknowledged deliveries come again: a failed link (the database away) is retried.
                log.exception("linking deliveries of %s failed; resuming", mapping.subject)
            await asyncio.sleep(RETRY_SECONDS)

    async def _read(self, mapping: SubjectFields, name: str, cursor: str) -> str:
        call = self.stub.Subscribe(pb.SubscribeRequest(subscription=name, cursor=cursor), metadata=self.metadata)
        try:
            async for response in call:
                if not response.deliveries:
                    continue
                arrivals = [arrival_of(mapping, delivery.record) for delivery in response.deliveries]
                await asyncio.to_thread(self.masters.ingest, arrivals)
                await self.stub.AcknowledgeDeliveries(
                    pb.AcknowledgeDeliveriesRequest(
                        subscription=name, delivery_ids=[d.delivery_id for d in response.deliveries]
                    ),
                    timeout=CALL_TIMEOUT,
                    metadata=self.metadata,
                )
                cursor = response.deliveries[-1].cursor
                self.changed.set()
        finally:
            call.cancel()
        return cursor

    async def publish_changes(self, interval: float) -> None:
        """Publishes every master version the exchange does not have yet; woken by changes, and every `interval`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=interval)
            self.changed.clear()
            try:
                while await self.publish_pending():
                    pass
            except grpc.aio.AioRpcError as error:
                log.warning("publishing master records failed (%s); retrying", error.code().name)
            except Exception:
                # The loop must outlive any one failure (a database restarting): the versions wait.
                log.exception("publishing master records failed; retrying")

    async def publish_pending(self) -> bool:
        """One batch; True when a full batch went and more may wait."""
        pending = await asyncio.to_thread(self.masters.unpublished, PUBLISH_BATCH)
        records: list[pb.Record] = []
        versions: list[tuple[str, int]] = []
        today = dt.datetime.now(dt.UTC).date()
        for item in pending:
            linked = item.linked
            fields = calibrate(item.kind, linked)
            departments = sorted({record.key.department for record in linked})
            died = next((r.fields["death_date"] for r in linked if r.fields.get("death_date")), "")
            variants = name_variants(linked)
            values = master_values(
                item.kind, item.master_id, fields, variants, departments, item.version, today, died, item.merged_into
            )
            versions.append((item.master_id, item.version))
            if values is not None:
                records.append(_record(values, item.master_id, item.version))
        if records:
            response = await self.stub.Publish(
                pb.PublishRequest(records=records), timeout=CALL_TIMEOUT, metadata=self.metadata
            )
            for result in response.results:
                if result.status == pb.RECORD_STATUS_INVALID:
                    log.warning(
                        "master record %s refused: %s", records[result.index].idempotency_key, result.violations
                    )
        for master_id, version in versions:
            await asyncio.to_thread(self.masters.mark_published, master_id, version)
        return len(pending) == PUBLISH_BATCH


def _record(values: MasterValues, master_id: str, version: int) -> pb.Record:
    record = pb.Record(
        subject=f"subjects/{values.subject}",
        entity_key=values.entity_key,
        division_code=values.division_code,
        idempotency_key=f"{master_id}-v{version}",
    )
    record.event_time.FromDatetime(dt.datetime.now(dt.UTC))
    for item, text in values.strings.items():
        record.values[item].string_value = text
    for item, day in values.dates.items():
        record.values[item].date_value = day
    for item, number in values.integers.items():
        record.values[item].integer_value = number
    for item, choice in values.enums.items():
        record.values[item].enum_value = choice
    return record


def subject_filter(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Subject codes or code prefixes (`102`, `101.001`) as a predicate."""
    cleaned = [pattern.strip().rstrip("*").rstrip(".") for pattern in patterns if pattern.strip()]
    return lambda code: any(code == p or code.startswith(p + ".") for p in cleaned)


def follow_all(feed: ExchangeFeed, subjects: Mapping[str, SubjectFields]) -> list[asyncio.Task[None]]:
    loop = asyncio.get_running_loop()
    return [loop.create_task(feed.follow(mapping)) for mapping in subjects.values()]
