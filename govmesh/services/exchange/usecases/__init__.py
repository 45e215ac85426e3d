"""The exchange's use cases, one room per what they serve, assembled over stores built by the process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govmesh.kernel.catalog.view import CatalogView
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.domain.policy import Policy
from govmesh.services.exchange.persistence.ledger import LedgerStore
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.store import Store
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.signals import Signals
from govmesh.services.exchange.usecases.callers import Callers
from govmesh.services.exchange.usecases.common import EXCHANGE_DOMAIN, Presence
from govmesh.services.exchange.usecases.delivery import Deliveries
from govmesh.services.exchange.usecases.directory import Directory
from govmesh.services.exchange.usecases.ledger import Ledger
from govmesh.services.exchange.usecases.master_routes import MasterLinks
from govmesh.services.exchange.usecases.publishing import Publishing
from govmesh.services.exchange.usecases.replies import Answer, Replies
from govmesh.services.exchange.usecases.requests import Requests
from govmesh.services.exchange.usecases.results import (
    GatheredRequest,
    PublishOutcome,
    RecordResult,
    ReplyOutcome,
    ReplyWatch,
    RequestDraft,
    StatsPage,
)
from govmesh.services.exchange.usecases.subscriptions import Subscriptions
from govmesh.services.exchange.usecases.upkeep import Upkeep


@dataclass(frozen=True)
class Stores:
    """The exchange's persistence, built once per process and shared by every room."""

    database: Store
    log: RecordLog
    records: RecordCache
    subscriptions: SubscriptionStore
    requests: RequestStore
    ledger: LedgerStore
    # The hub's secret that keys payload digests of entries whose readers received less than the records.
    ledger_key: bytes


class Exchange:
    """The exchange's application service: its rooms, sharing one set of caller checks and stores."""

    def __init__(
        self,
        stores: Stores,
        catalog: Callable[[], CatalogView],
        policy: Policy,
        signals: Signals,
        masters: MasterLinks | None = None,
    ):
        self.policy = policy
        callers = Callers(catalog, policy, stores.subscriptions, stores.requests)
        presence = Presence()
        self.callers = callers
        self.publishing = Publishing(
            callers, stores.database, stores.log, stores.records, stores.subscriptions, signals, stores.ledger_key
        )
        self.subscriptions = Subscriptions(callers, stores.subscriptions, signals)
        self.delivery = Deliveries(callers, stores.database, stores.subscriptions, stores.records, signals, presence)
        self.requests = Requests(callers, stores.requests, stores.log, stores.subscriptions, signals, presence, masters)
        self.replies = Replies(callers, stores.database, stores.requests, stores.subscriptions, signals, presence)
        self.directory = Directory(callers, stores.log)
        self.ledger = Ledger(callers, stores.ledger)
        self.upkeep = Upkeep(callers, stores.subscriptions, stores.requests, presence)


__all__ = [
    "EXCHANGE_DOMAIN",
    "Answer",
    "Exchange",
    "GatheredRequest",
    "PublishOutcome",
    "RecordResult",
    "ReplyOutcome",
    "ReplyWatch",
    "RequestDraft",
    "StatsPage",
    "Stores",
]
