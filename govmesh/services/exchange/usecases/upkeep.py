"""Upkeep the exchange runs in the background: presence kept alive, requests timed out, lag measured."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping

from opentelemetry import metrics

from govmesh.runtime.clock import now
from govmesh.services.exchange.domain.subscriptions import ConsumerLag
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.usecases.callers import Callers
from govmesh.services.exchange.usecases.common import Presence, meter

UPKEEP_PAGE = 500


class Upkeep:
    def __init__(self, callers: Callers, subscriptions: SubscriptionStore, requests: RequestStore, presence: Presence):
        self.callers = callers
        self.subscriptions = subscriptions
        self.requests = requests
        self.presence = presence
        self._lag: dict[str, ConsumerLag] = {}
        _LIVE.add(self)

    def keep_alive(self) -> None:
        """Extends this replica's streams in the presence table."""
        self.subscriptions.keep_alive(sorted(self.presence.streams), Presence.expiry(), now())

    def maintain(self) -> None:
        """Times out expired requests, skips suspended subscriptions past what they may not receive, measures lag."""
        self.requests.expire(now())
        lag: dict[str, ConsumerLag] = {}
        offset = 0
        while True:
            page = self.subscriptions.page(subscriber="", subject="", offset=offset, limit=UPKEEP_PAGE)
            for subscription in page:
                if not self.callers.subscriber_entitlement(subscription).any_allowed:
                    self.subscriptions.advance(subscription)
                lag[subscription.id] = self.subscriptions.lag(subscription, now())
            if len(page) < UPKEEP_PAGE:
                break
            offset += UPKEEP_PAGE
        self._lag = lag

    @property
    def lag_by_subscription(self) -> Mapping[str, ConsumerLag]:
        """Each subscription's lag as the last upkeep measured it."""
        return self._lag


# Instruments are made once per process; the lag gauge reads every exchange the process runs.
_LIVE: weakref.WeakSet[Upkeep] = weakref.WeakSet()


def _observe_lag(_options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
    for upkeep in list(_LIVE):
        for subscription_id, lag in upkeep.lag_by_subscription.items():
            yield metrics.Observation(lag.pending_count + lag.in_flight_count, {"subscription": subscription_id})


meter.create_observable_gauge(
    "govmesh.exchange.consumer_lag",
    callbacks=[_observe_lag],
    description="records committed for a subscription and not yet acknowledged",
)
