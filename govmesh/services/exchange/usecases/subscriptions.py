"""Subscriptions: created after a check that the subscriber may receive something, read, listed and deleted."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from govmesh.kernel.catalog.model import Subject
from govmesh.kernel.catalog.standards import check_division_code
from govmesh.runtime.clock import now
from govmesh.runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    PermissionDenied,
    PreconditionViolation,
    ViolationCollector,
)
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, page_of
from govmesh.services.exchange.domain.policy import Action
from govmesh.services.exchange.domain.records import entity_key_problem
from govmesh.services.exchange.domain.subscriptions import Subscription, SubscriptionState, settings_problems
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.signals import Signals, subscription_topic
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers, denial_text
from govmesh.services.exchange.usecases.common import new_id


class Subscriptions:
    def __init__(self, callers: Callers, subscriptions: SubscriptionStore, signals: Signals):
        self.callers = callers
        self.subscriptions = subscriptions
        self.signals = signals

    def create_subscription(self, principal: Principal, draft: Subscription, *, validate_only: bool) -> Subscription:
        subscriber = self.callers.department(principal)
        subject = self.callers.subject(draft.subject_code, "subscription.subject")
        _check_settings(draft, subject)
        wanted = replace(draft, id=draft.id or new_id("sub-"), subscriber=subscriber)
        entitlement = self.callers.entitlement(principal, Action.SUBSCRIBE, subject.code, wanted.items, asked=True)
        if not entitlement.any_allowed:
            first = entitlement.decisions[0] if entitlement.decisions else None
            raise FailedPrecondition(
                f"{subscriber} may receive no item of subjects/{subject.code}",
                [
                    PreconditionViolation(
                        d.reason, f"subjects/{subject.code}/items/{d.item_code}", denial_text(d.reason)
                    )
                    for d in entitlement.denied
                ],
                reason=first.reason if first else "NO_GRANT",
                domain=AUTHZ_DOMAIN,
            )
        if draft.id:
            existing = self.subscriptions.get(draft.id)
            if existing is not None:
                if existing.same_order(wanted):
                    return self.decorated(existing)
                raise AlreadyExists("subscription", existing.name)
        if validate_only:
            return self.decorated(replace(wanted, create_time=now()))
        return self.decorated(self.subscriptions.create(wanted, now()))

    def decorated(self, subscription: Subscription, *, lag: bool = False) -> Subscription:
        """The subscription with what its subscriber may receive now, and its lag when asked."""
        entitlement = self.callers.subscriber_entitlement(subscription)
        return replace(
            subscription,
            item_decisions=entitlement.decisions,
            state=SubscriptionState.ACTIVE if entitlement.any_allowed else SubscriptionState.SUSPENDED,
            lag=self.subscriptions.lag(subscription, now()) if lag else None,
        )

    def get_subscription(self, principal: Principal, subscription_id: str) -> Subscription:
        return self.decorated(self.callers.own_subscription(principal, subscription_id, read_only=True), lag=True)

    def list_subscriptions(
        self, principal: Principal, *, subject: str, subscriber: str, page: PageRequest
    ) -> Page[Subscription]:
        if not self.callers.sees_everything(principal):
            own = self.callers.department(principal)
            if subscriber and subscriber != own:
                raise PermissionDenied(
                    "only hub administrators list other departments' subscriptions",
                    reason="ROLE_REQUIRED",
                    domain=AUTHZ_DOMAIN,
                )
            subscriber = own
        found = self.subscriptions.page(subscriber=subscriber, subject=subject, offset=page.offset, limit=page.size + 1)
        chosen = page_of(found, page)
        return replace(chosen, items=[self.decorated(s) for s in chosen.items])

    async def delete_subscription(self, principal: Principal, subscription_id: str) -> None:
        subscription = await asyncio.to_thread(self.callers.own_subscription, principal, subscription_id)
        await asyncio.to_thread(self.subscriptions.delete, subscription)
        self.callers.forget_subscription(subscription.id)
        self.signals.fire(subscription_topic(subscription.id))


def _check_settings(draft: Subscription, subject: Subject) -> None:
    found = ViolationCollector()
    for problem_field, problem in settings_problems(draft):
        found.add(problem_field, problem)
    for n, code in enumerate(draft.items):
        if subject.item(code) is None:
            found.add(f"subscription.items[{n}]", f"not an item of subjects/{subject.code}")
    for n, code in enumerate(draft.row_filter.division_codes):
        if check_division_code(code) is not None:
            found.add(f"subscription.row_filter.division_codes[{n}]", "not a GB/T 2260 division code")
    for key in draft.row_filter.entity_keys:
        if entity_key_problem(key):
            found.add("subscription.row_filter.entity_keys", f"{key!r} is not an entity key")
    found.raise_if_any("the subscription has invalid fields")
