"""Subscriptions, their deliveries and dead letters: the rules of at-least-once delivery."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from govmesh.kernel.policy.rows import division_covers
from govmesh.services.exchange.domain.policy import ItemDecision, Row, RowScope
from govmesh.services.exchange.domain.records import Record

SUBSCRIPTION_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})")
DEFAULT_ACK_DEADLINE = dt.timedelta(seconds=60)
MIN_ACK_DEADLINE = dt.timedelta(seconds=10)
MAX_ACK_DEADLINE = dt.timedelta(minutes=10)
DEFAULT_MAX_ATTEMPTS = 10
MAX_ATTEMPTS = 100
DEFAULT_MAX_IN_FLIGHT = 1000
MAX_IN_FLIGHT = 10_000
DEFAULT_BATCH = 500
MAX_BATCH = 1000


class SubscriptionState(enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class DeadLetterReason(enum.Enum):
    MAX_ATTEMPTS_EXCEEDED = "max_attempts_exceeded"
    REJECTED = "rejected"


class DeliveryState(enum.Enum):
    """Where an unacknowledged delivery stands; acknowledged deliveries are gone."""

    IN_FLIGHT = "in_flight"  # sent, waiting for an ack until its deadline
    WAITING = "waiting"  # negatively acknowledged or orphaned; sent again from its visible time
    DEAD = "dead"  # failed every attempt, or rejected; waits for inspection or replay


@dataclass(frozen=True)
class RowFilter:
    """The subscriber's own narrowing: a row passes when it matches every non-empty list."""

    division_codes: tuple[str, ...] = ()
    entity_keys: frozenset[str] = frozenset()

    def passes(self, row: Row) -> bool:
        if self.division_codes and not any(division_covers(c, row.division_code) for c in self.division_codes):
            return False
        return not (self.entity_keys and row.entity_key not in self.entity_keys)

    @property
    def empty(self) -> bool:
        return not self.division_codes and not self.entity_keys


@dataclass(frozen=True)
class ConsumerLag:
    pending_count: int = 0
    in_flight_count: int = 0
    dead_letter_count: int = 0
    oldest_unacknowledged_age: dt.timedelta = dt.timedelta(0)
    last_acknowledge_time: dt.datetime | None = None
    acknowledged_count: int = 0
    open_streams: int = 0


@dataclass(frozen=True)
class Subscription:
    """A department's standing order for the records of one subject."""

    id: str
    subject_code: str
    subscriber: str
    items: tuple[str, ...] = ()
    row_filter: RowFilter = field(default_factory=RowFilter)
    start_time: dt.datetime | None = None
    ack_deadline: dt.timedelta = DEFAULT_ACK_DEADLINE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    description: str = ""
    create_time: dt.datetime | None = None
    key: int = 0
    cursor: int = 0
    item_decisions: tuple[ItemDecision, ...] = ()
    state: SubscriptionState = SubscriptionState.ACTIVE
    lag: ConsumerLag | None = None

    @property
    def name(self) -> str:
        return f"subscriptions/{self.id}"

    def same_order(self, other: Subscription) -> bool:
        """Whether a create call asks for this very subscription again (making creation idempotent)."""
        return (
            self.subject_code == other.subject_code
            and self.subscriber == other.subscriber
            and self.items == other.items
            and self.row_filter == other.row_filter
            and self.ack_deadline == other.ack_deadline
            and self.max_attempts == other.max_attempts
        )


def settings_problems(subscription: Subscription) -> list[tuple[str, str]]:
    """(field, problem) for every setting out of its bounds."""
    found = []
    if subscription.id and not SUBSCRIPTION_ID.fullmatch(subscription.id):
        found.append(("subscription_id", "letters, digits and '-', starting with a letter or digit; up to 63"))
    if not MIN_ACK_DEADLINE <= subscription.ack_deadline <= MAX_ACK_DEADLINE:
        found.append(("subscription.ack_deadline", "must be from 10 s to 10 min"))
    if not 1 <= subscription.max_attempts <= MAX_ATTEMPTS:
        found.append(("subscription.max_attempts", f"must be from 1 to {MAX_ATTEMPTS}"))
    if len(subscription.description) > 1000:
        found.append(("subscription.description", "at most 1000 characters"))
    return found


# -- delivery ids and cursors ----------------------------------------------------------------------


def delivery_id(subscription_id: str, sequence: int) -> str:
    """A delivery is a record of the log delivered to a subscription: `{subscription}.{sequence}`."""
    return f"{subscription_id}.{sequence}"


def parse_delivery_id(text: str) -> tuple[str, int] | None:
    subscription_id, dot, number = text.rpartition(".")
    if not dot or not number.isascii() or not number.isdigit() or not SUBSCRIPTION_ID.fullmatch(subscription_id):
        return None
    return subscription_id, int(number)


def cursor_of(sequence: int) -> str:
    return str(sequence)


def parse_cursor(text: str) -> int | None:
    """The log position a cursor names; -1 (before everything) when empty; None when malformed."""
    if not text:
        return -1
    return int(text) if text.isascii() and text.isdigit() else None


# Not frozen: thousands are made a second, and a frozen dataclass pays for every field it sets.
@dataclass(slots=True)
class Delivery:
    """One record delivered to one subscription, as it is sent on this attempt."""

    subscription_id: str
    sequence: int
    attempt: int
    record: Record
    row_scope: RowScope
    grants: tuple[str, ...]
    policy_revision: int
    deliver_time: dt.datetime
    ack_expire_time: dt.datetime
    traceparent: str = ""

    @property
    def id(self) -> str:
        return delivery_id(self.subscription_id, self.sequence)


@dataclass(frozen=True)
class DeadLetter:
    subscription_id: str
    sequence: int
    record: Record | None
    attempts: int
    reason: DeadLetterReason
    message: str
    first_deliver_time: dt.datetime | None
    dead_letter_time: dt.datetime | None

    @property
    def name(self) -> str:
        return f"subscriptions/{self.subscription_id}/deadLetters/{self.sequence}"


@dataclass(frozen=True)
class Nack:
    delivery_id: str
    reason: str = ""
    retry_delay: dt.timedelta = dt.timedelta(0)
    dead_letter: bool = False


@dataclass(frozen=True)
class AckResult:
    acknowledged: int
    already_acknowledged: int
    nacked: int


def next_attempt_fate(attempt: int, max_attempts: int) -> DeliveryState:
    """An unacknowledged delivery whose time came: sent again, or dead once every attempt is spent."""
    return DeliveryState.DEAD if attempt >= max_attempts else DeliveryState.IN_FLIGHT


@dataclass(frozen=True)
class DeliveryBatch:
    """What one Subscribe response carries: deliveries, or a heartbeat with the lag when empty."""

    deliveries: Sequence[Delivery] = ()
    lag: ConsumerLag | None = None
