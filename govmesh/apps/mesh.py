"""What every application does with the mesh: typed values, subscriptions it keeps reading, publishing, its inbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc

log = logging.getLogger("govmesh.apps")

Stub: TypeAlias = exchange_pb2_grpc.ExchangeServiceStub


def field_value(value: Any, *, enum: bool = False) -> cpb.FieldValue:
    """A Python value as the catalog's FieldValue: dates, datetimes, numbers, text (enum text when asked)."""
    if isinstance(value, bool):
        return cpb.FieldValue(boolean_value=value)
    if isinstance(value, int):
        return cpb.FieldValue(integer_value=value)
    if isinstance(value, Decimal | float):
        return cpb.FieldValue(decimal_value=str(value))
    if isinstance(value, dt.datetime):
        field = cpb.FieldValue()
        field.datetime_value.FromDatetime(value)
        return field
    if isinstance(value, dt.date):
        return cpb.FieldValue(date_value=value.isoformat())
    if isinstance(value, bytes):
        return cpb.FieldValue(bytes_value=value)
    return cpb.FieldValue(enum_value=str(value)) if enum else cpb.FieldValue(string_value=str(value))


def python_value(field: cpb.FieldValue) -> Any:
    kind = field.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "datetime_value":
        return field.datetime_value.ToDatetime(tzinfo=dt.UTC)
    if kind == "date_value":
        return dt.date.fromisoformat(field.date_value)
    if kind == "decimal_value":
        return Decimal(field.decimal_value)
    return getattr(field, kind)


def values_of(record: pb.Record) -> dict[str, Any]:
    return {code: python_value(value) for code, value in record.values.items()}


def record(
    subject: str,
    entity_key: str,
    division_code: str,
    event_time: dt.datetime,
    values: Mapping[str, Any],
    idempotency_key: str,
    enum_items: frozenset[str] = frozenset(),
) -> pb.Record:
    """A record to publish, its values typed by `field_value` (items in `enum_items` as enum text)."""
    built = pb.Record(
        subject=f"subjects/{subject}",
        entity_key=entity_key,
        division_code=division_code,
        idempotency_key=idempotency_key,
    )
    built.event_time.FromDatetime(event_time)
    for code, value in values.items():
        built.values[code].CopyFrom(field_value(value, enum=code in enum_items))
    return built


async def ensure_subscription(stub: Stub, subscription_id: str, subject: str, description: str) -> None:
    """Creates the subscription once (the id makes it idempotent); an existing one is kept as it is."""
    request = pb.CreateSubscriptionRequest(
        subscription=pb.Subscription(subject=f"subjects/{subject}", description=description, max_attempts=100),
        subscription_id=subscription_id,
    )
    try:
        await stub.CreateSubscription(request)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise


Handler = Callable[[Sequence[pb.Delivery]], Awaitable[None]]


async def consume(stub: Stub, subscription_id: str, handler: Handler, *, retry_seconds: float = 1.0) -> None:
    """Reads a subscription for ever: hands each batch to `handler`, then acknowledges it.

    A batch is acknowledged only after the handler stored it, so a crash in between gets it again
    (the handler must be idempotent, as deliveries are at least once). A broken stream is reopened.
    """
    name = f"subscriptions/{subscription_id}"
    while True:
        call = stub.Subscribe(pb.SubscribeRequest(subscription=name, max_in_flight=2000, max_batch_size=500))
        try:
            async for response in call:
                if not response.deliveries:
                    continue
                try:
                    await handler(response.deliveries)
                except Exception:
                    # Not acknowledged: the batch comes again after the ack deadline, on a fresh stream.
                    log.exception("handling deliveries of %s failed; they will come again", subscription_id)
                    break
                await stub.AcknowledgeDeliveries(
                    pb.AcknowledgeDeliveriesRequest(
                        subscription=name, delivery_ids=[d.delivery_id for d in response.deliveries]
                    )
                )
        except grpc.aio.AioRpcError as error:
            log.warning("subscription %s broke (%s); reopening", subscription_id, error.code().name)
        finally:
            call.cancel()
        await asyncio.sleep(retry_seconds)


RequestHandler = Callable[[pb.IncomingRequest], Awaitable[pb.ReplyRequest]]


async def serve_inbox(stub: Stub, handler: RequestHandler, *, retry_seconds: float = 1.0) -> None:
    """Answers the requests addressed to the caller for ever; a handler that fails says so in a failed reply."""
    while True:
        call = stub.StreamInbox(pb.StreamInboxRequest())
        try:
            async for response in call:
                for request in response.requests:
                    try:
                        reply = await handler(request)
                    except Exception as error:  # the requester learns why instead of waiting for the expiry
                        reply = pb.ReplyRequest(failed=True, message=str(getattr(error, "message", error))[:500])
                    reply.request = request.request
                    reply.idempotency_key = reply.idempotency_key or f"{request.request}-final"
                    try:
                        await stub.Reply(reply)
                    except grpc.aio.AioRpcError as error:
                        log.warning("reply to %s refused: %s", request.request, error.details())
        except grpc.aio.AioRpcError as error:
            log.warning("inbox broke (%s); reopening", error.code().name)
        finally:
            call.cancel()
        await asyncio.sleep(retry_seconds)


async def publish(stub: Stub, records: Sequence[pb.Record], *, batch: int = 500) -> pb.PublishResponse:
    """Publishes in batches; raises when a record is invalid or conflicts (the application built it wrongly)."""
    total = pb.PublishResponse()
    for start in range(0, len(records), batch):
        response = await stub.Publish(pb.PublishRequest(records=records[start : start + batch]))
        for result in response.results:
            if result.status in (pb.RECORD_STATUS_INVALID, pb.RECORD_STATUS_CONFLICT):
                problems = "; ".join(f"{v.item_code} {v.reason} {v.description}" for v in result.violations)
                raise ValueError(
                    f"record {start + result.index} not accepted: {pb.RecordStatus.Name(result.status)} {problems}"
                )
        total.accepted_count += response.accepted_count
        total.duplicate_count += response.duplicate_count
        for result in response.results:
            total.results.add().CopyFrom(result)
            total.results[-1].index = start + result.index
    return total
