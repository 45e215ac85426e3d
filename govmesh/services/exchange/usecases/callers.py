"""The checks every use case makes of its caller: who it is, what it owns, and what it may receive."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from govmesh.kernel.catalog.model import Subject
from govmesh.kernel.catalog.view import CatalogView
from govmesh.kernel.policy.model import Role
from govmesh.runtime.clock import now
from govmesh.runtime.errors import NotFound, PermissionDenied
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.domain.policy import Action, Entitlement, Policy, reply_as_allowed
from govmesh.services.exchange.domain.requests import DataRequest, ReplyChunk, RequestKind, Target
from govmesh.services.exchange.domain.subscriptions import Subscription
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore

AUTHZ_DOMAIN = "authz.govmesh"
SUBSCRIPTION_CACHE_SECONDS = 2.0
MAX_CACHED = 10_000


class Callers:
    """Caller checks and cached entitlements, shared by every room of the exchange's use cases."""

    def __init__(
        self,
        catalog: Callable[[], CatalogView],
        policy: Policy,
        subscriptions: SubscriptionStore,
        requests: RequestStore,
    ):
        self.policy = policy
        self._catalog = catalog
        self._subscriptions = subscriptions
        self._requests = requests
        self._entitlements: dict[tuple[object, ...], Entitlement] = {}
        self._subscription_cache: dict[str, tuple[Subscription, float]] = {}

    @property
    def catalog(self) -> CatalogView:
        return self._catalog()

    def department(self, principal: Principal) -> str:
        """The caller's department; data actions are for departments registered in the catalog only."""
        if principal.kind != "department":
            raise PermissionDenied(
                f"{principal} is not a department; only departments publish, subscribe, request and reply",
                reason="ROLE_REQUIRED",
                domain=AUTHZ_DOMAIN,
                metadata={"role": "department"},
            )
        if principal.code not in self.catalog.department_by_code:
            raise PermissionDenied(
                f"department {principal.code} is not registered with the hub",
                reason="UNKNOWN_PRINCIPAL",
                domain=AUTHZ_DOMAIN,
            )
        return principal.code

    @staticmethod
    def is_administrator(principal: Principal) -> bool:
        return principal.has_role(Role.HUB_ADMINISTRATOR)

    @staticmethod
    def sees_everything(principal: Principal) -> bool:
        return principal.has_role(Role.HUB_ADMINISTRATOR) or principal.has_role(Role.AUDITOR)

    def subject(self, code: str, field_path: str = "subject") -> Subject:
        subject = self.catalog.subject_by_code.get(code)
        if subject is None:
            raise NotFound("subject", f"subjects/{code}", metadata={"field": field_path})
        return subject

    def entitlement(
        self, principal: Principal, action: Action, subject_code: str, items: Sequence[str] = (), *, asked: bool = False
    ) -> Entitlement:
        """The decisions for one receiver, cached until the policy or the catalog moves on, or a grant starts or ends.

        Time moves decisions too: a grant's end (or start) takes effect at its instant, not when
        authz next marks it expired and the revision moves. A caller's own question (`asked`) is
        decided afresh, because deciding is what puts a refusal in the audit log, and every refusal
        of a caller belongs there; the exchange's own re-checks while delivering use the cache.
        """
        key = (principal, action, subject_code, tuple(items), self.policy.revision, self.catalog.revision)
        found = self._entitlements.get(key)
        if asked or found is None or not found.stands_at(now()):
            if len(self._entitlements) > MAX_CACHED:
                self._entitlements.clear()
            decided = self.policy.decide(principal, action, subject_code, items)
            found = Entitlement.of(subject_code, decided.items, self.policy.revision, decided.valid_until)
            self._entitlements[key] = found
        return found

    def knows_holdings_of(self, principal: Principal, subject_code: str) -> bool:
        """Whether the caller may learn who holds data of a subject: only if it may request some item of it."""
        return self.entitlement(principal, Action.REQUEST, subject_code).any_allowed

    def subscriber_entitlement(self, subscription: Subscription) -> Entitlement:
        """What a subscription's subscriber may receive of what it subscribed to."""
        receiver = Principal("department", subscription.subscriber)
        return self.entitlement(receiver, Action.SUBSCRIBE, subscription.subject_code, subscription.items)

    def requester_entitlements(self, request: DataRequest, target: Target) -> dict[str, Entitlement]:
        """What the requester may receive now of each subject asked of the target, within the items asked."""
        requester = Principal("department", request.requester)
        action = Action.VERIFY if request.kind is RequestKind.VERIFY else Action.REQUEST
        return {code: self.entitlement(requester, action, code).narrowed_to(target.items) for code in target.subjects}

    def readable_replies(self, request: DataRequest, chunks: Sequence[ReplyChunk]) -> list[ReplyChunk]:
        """Reply chunks as the requester may read them now, whatever was allowed when they were stored."""
        targets = {t.department: t for t in request.targets}
        by_target: dict[str, dict[str, Entitlement]] = {}
        readable = []
        for chunk in chunks:
            target = targets.get(chunk.target)
            if target is None:
                continue
            entitlements = by_target.get(chunk.target)
            if entitlements is None:
                entitlements = by_target[chunk.target] = self.requester_entitlements(request, target)
            readable.append(reply_as_allowed(chunk, entitlements, request.entity_keys))
        return readable

    def own_subscription(self, principal: Principal, subscription_id: str, *, read_only: bool = False) -> Subscription:
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            raise NotFound("subscription", f"subscriptions/{subscription_id}")
        if (read_only and self.sees_everything(principal)) or self.is_administrator(principal):
            return subscription
        if principal.kind != "department" or principal.code != subscription.subscriber:
            raise PermissionDenied(
                f"subscriptions/{subscription_id} is not {principal}'s", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        return subscription

    def recent_subscription(self, principal: Principal, subscription_id: str) -> Subscription:
        """The caller's subscription as read at most SUBSCRIPTION_CACHE_SECONDS ago.

        Acknowledgements come hundreds a second; what they need of the subscription (its owner,
        subject and key) never changes, and one deleted meanwhile has no deliveries left to ack.
        """
        now = time.monotonic()
        cached = self._subscription_cache.get(subscription_id)
        if cached is not None and cached[1] > now:
            subscription = cached[0]
            if principal.kind == "department" and principal.code == subscription.subscriber:
                return subscription
        subscription = self.own_subscription(principal, subscription_id)
        self._subscription_cache[subscription_id] = (subscription, now + SUBSCRIPTION_CACHE_SECONDS)
        if len(self._subscription_cache) > MAX_CACHED:
            self._subscription_cache.clear()
        return subscription

    def forget_subscription(self, subscription_id: str) -> None:
        self._subscription_cache.pop(subscription_id, None)

    def own_request(self, principal: Principal, request_id: str) -> DataRequest:
        request = self._requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        if self.is_administrator(principal):
            return request
        if principal.kind != "department" or principal.code != request.requester:
            raise PermissionDenied(
                f"{request.name} was not sent by {principal}", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
            )
        return request


_DENIAL_TEXT = {
    "NO_GRANT": "conditional: no grant names the subscriber and this item",
    "NOT_SHAREABLE": "not shared: it never leaves its provider",
    "GRANT_EXPIRED": "the grant that named it has expired",
    "GRANT_REVOKED": "the grant that named it was revoked",
    "GRANT_PENDING": "the grant that names it is not approved yet",
    "GRANT_NOT_YET_VALID": "the grant that names it starts later",
    "ACTION_NOT_GRANTED": "a grant names it, but not for this action",
    "UNKNOWN_PRINCIPAL": "the subscriber is not registered with the hub",
    "UNKNOWN_ITEM": "no such item in the subject",
    "ROW_OUT_OF_SCOPE": "no row lies within the grant's row scope",
}


def denial_text(reason: str) -> str:
    return _DENIAL_TEXT.get(reason, reason.lower().replace("_", " "))
