"""The exchange's gauges for Prometheus and OTLP: ledger head and outbox depth, dead letters per subscription."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable

from opentelemetry import metrics

from govmesh.services.exchange.persistence.ledger import LedgerStore
from govmesh.services.exchange.usecases.upkeep import Upkeep

log = logging.getLogger("govmesh.exchange")
meter = metrics.get_meter("govmesh.exchange")
# Every exchange this process runs (its ledger and its upkeep); the gauges read them at each collection.
_LEDGERS: weakref.WeakSet[LedgerStore] = weakref.WeakSet()
_UPKEEPS: weakref.WeakSet[Upkeep] = weakref.WeakSet()


def watch(ledger: LedgerStore, upkeep: Upkeep) -> None:
    """Reports this exchange's ledger and dead letters with every collection from now on."""
    _LEDGERS.add(ledger)
    _UPKEEPS.add(upkeep)


def ledger_readings(ledger: LedgerStore) -> tuple[int, int]:
    """(head sequence, exchanges staged and not chained yet), read from the database."""
    head, _ = ledger.head()
    return head, ledger.staged_count()


def dead_letters(upkeep: Upkeep) -> dict[str, int]:
    """Dead letters per subscription, as the last upkeep measured them."""
    return {name: lag.dead_letter_count for name, lag in upkeep.lag_by_subscription.items()}


def _readings(_options: metrics.CallbackOptions) -> list[tuple[int, int]]:
    found = []
    for ledger in list(_LEDGERS):
        try:
            found.append(ledger_readings(ledger))
        except Exception:  # the database is away: no reading beats a failed scrape
            log.debug("ledger reading failed", exc_info=True)
    return found


def _observe_head(options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
    for head, _ in _readings(options):
        yield metrics.Observation(head)


def _observe_outbox(options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
    for _, staged in _readings(options):
        yield metrics.Observation(staged)


def _observe_dead_letters(_options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
    for upkeep in list(_UPKEEPS):
        for subscription, count in dead_letters(upkeep).items():
            yield metrics.Observation(count, {"subscription": subscription})


meter.create_observable_gauge(
    "govmesh.exchange.ledger_head", callbacks=[_observe_head], description="sequence of the ledger's last entry"
)
meter.create_observable_gauge(
    "govmesh.exchange.ledger_outbox",
    callbacks=[_observe_outbox],
    description="exchanges staged for the ledger and not chained yet",
)
meter.create_observable_gauge(
    "govmesh.exchange.dead_letters",
    callbacks=[_observe_dead_letters],
    description="deliveries that ran out of attempts, per subscription",
)
