"""What every room of the exchange's use cases shares: trace context, new ids, presence of open streams, metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry import metrics, trace

from govmesh.runtime.clock import now
from govmesh.services.exchange.domain.ledger import Occasion

log = logging.getLogger("govmesh.exchange")
tracer = trace.get_tracer("govmesh.exchange")
meter = metrics.get_meter("govmesh.exchange")

EXCHANGE_DOMAIN = "exchange.govmesh"
MAX_RECORDS_PER_CALL = 10_000
HEARTBEAT_SECONDS = 10.0
POLL_SECONDS = 1.0
PRESENCE_SECONDS = 6.0

PUBLISHED = meter.create_counter("govmesh.exchange.records.published", description="records committed")
DELIVERED = meter.create_counter("govmesh.exchange.records.delivered", description="deliveries sent")
ACKNOWLEDGED = meter.create_counter("govmesh.exchange.records.acknowledged", description="deliveries acknowledged")


def trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def traceparent() -> str:
    ctx = trace.get_current_span().get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-01" if ctx.is_valid else ""


def occasion(at: dt.datetime | None = None) -> Occasion:
    """Now (or `at`) in the current trace: what the ledger entries of one exchange share."""
    return Occasion(trace_id(), at or now())


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[: 24 - len(prefix)]


@dataclass
class Presence:
    """The streams this replica holds open: kept alive in the presence table, and inboxes known without asking."""

    replica: str = field(default_factory=lambda: new_id("replica-"))
    streams: set[str] = field(default_factory=set)
    inboxes: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def expiry() -> dt.datetime:
        return now() + dt.timedelta(seconds=PRESENCE_SECONDS)


async def quietly(function: Callable[..., object], *args: object) -> None:
    """Cleanup that must not hide the error that ended a stream (or fail while the database is away)."""
    try:
        await asyncio.shield(asyncio.to_thread(function, *args))
    except Exception:  # the entry expires by itself within seconds
        log.debug("cleanup of %s failed", getattr(function, "__name__", function), exc_info=True)
